#!/usr/bin/env bash
# The build time users feel (issue 15, "Figures"): how long the SECOND build takes after a
# source-only edit, with buildah's layer cache, for the original Dockerfile of each real app and
# for dfmigrate's rewrite of it. Not part of `cargo test` or CI.
#
#   benches/rebuild.sh                         # every app of tests/e2e/real/apps, from the repository root
#   RUNS=3 benches/rebuild.sh node-express     # some apps; RUNS edits and rebuilds per side (default 2)
#
# For each app (data: benches/rebuild.tsv, the app's main source file and its comment marker):
#   1. copies the app's build context twice into a scratch folder (the repository's app folders
#      are never modified): `original/` as it is, `rewrite/` rewritten in place by
#      `dfmigrate --unsafe --write` (all default transforms with --unsafe, what
#      `dfmigrate verify --unsafe` builds, including an ignore file the fixes create or change);
#   2. for each side, a first build with the layer cache (`buildah bud --layers`), then RUNS times:
#      append a comment line to the main source file, build again, and time that build;
#   3. reads which steps of each build re-ran (no `Using cache` line) from buildah's output;
#   4. removes the images those builds made (only those: the storage is shared) before the next
#      side, so that neither side is built on the other's layers, and the scratch folder at the end.
# It prints a Markdown table (second-build seconds of each run, steps re-run of the steps that
# can be cached, i.e. all but FROM) and the steps that re-ran, and keeps every build's log and a
# results.tsv in ${DFMIGRATE_REBUILD_LOGS:-target/rebuild-bench}.
#
# Fair by construction: both sides use the same storage, isolation and flags (`bud --layers
# --format docker --isolation chroot --pull=never`, the settings of `dfmigrate verify`; an own
# ignore file `Dockerfile.dockerignore` is passed with --ignorefile as verify does, otherwise
# buildah reads the context's `.dockerignore`), the same edit, and the same first build from the
# base image. Times are wall clock of `buildah bud` alone (`/usr/bin/time -f %e`): every buildah
# command runs under `flock $BUILDAH_LOCK` (default /tmp/buildah.lock, taken per command so that
# other users' builds interleave), and the wait for the lock is reported apart, not counted.
# What is NOT reset between sides: buildah's cache mounts (`RUN --mount=type=cache`, kept by
# buildah under /var/tmp and shared by every build on the machine) — a rewrite's first build may
# find them warm from earlier builds; its second build finds them warm from its own first one,
# which is the situation this benchmark measures.
#
# Needs root, buildah, flock, GNU time, and the real suite's base images: run
# tests/e2e/real/images.sh first (they live in the storage of
# ${DFMIGRATE_REAL_CACHE:-/var/cache/dfmigrate-real}/storage.conf, used here as
# CONTAINERS_STORAGE_CONF unless that is set; that storage is vfs, where every committed step
# copies the whole root filesystem: for figures close to Docker's and BuildKit's, import the
# images into an overlay storage and point CONTAINERS_STORAGE_CONF at it for both scripts, as
# BENCHMARKS.md shows). Builds reach Debian's mirror, the npm registry,
# PyPI and crates.io, as in tests/e2e/real/run.sh (the build images trust this machine's CA
# bundle; chroot isolation uses the host's network). BUILDAH_ISOLATION overrides chroot.
# DFMIGRATE: the binary to use (default: `cargo build --release`, then target/release/dfmigrate).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
APPS_DIR=$ROOT/tests/e2e/real/apps
DATA=$ROOT/benches/rebuild.tsv
REAL_CACHE=${DFMIGRATE_REAL_CACHE:-/var/cache/dfmigrate-real}
export CONTAINERS_STORAGE_CONF=${CONTAINERS_STORAGE_CONF:-$REAL_CACHE/storage.conf}
ISOLATION=${BUILDAH_ISOLATION:-chroot}
LOCK=${BUILDAH_LOCK:-/tmp/buildah.lock}
RUNS=${RUNS:-2}
LOGS=${DFMIGRATE_REBUILD_LOGS:-$ROOT/target/rebuild-bench}

log() { printf '%s %s\n' "$(date -u +%T)" "$*" >&2; }
die() { echo "rebuild.sh: $*" >&2; exit 2; }

[[ $(id -u) == 0 ]] || die "needs root (buildah mounts images)"
command -v buildah > /dev/null || die "needs buildah (apt-get install buildah)"
command -v flock > /dev/null || die "needs flock (util-linux)"
[[ -x /usr/bin/time ]] || die "needs GNU time at /usr/bin/time"
[[ -f $CONTAINERS_STORAGE_CONF ]] || die "no storage at $CONTAINERS_STORAGE_CONF: run tests/e2e/real/images.sh"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"

if [[ -z ${DFMIGRATE:-} ]]; then
  (cd "$ROOT" && cargo build --release --quiet)
  DFMIGRATE=$ROOT/target/release/dfmigrate
fi

# Every buildah command holds the shared lock, one command at a time.
locked() { flock "$LOCK" "$@"; }

# The apps to measure: the arguments, or every row of the data file.
declare -A source_of comment_of
apps=()
while IFS=$'\t' read -r app file comment; do
  [[ -z $app || $app == \#* ]] && continue
  source_of[$app]=$file
  comment_of[$app]=$comment
  apps+=("$app")
done < "$DATA"
if (($# > 0)); then
  apps=("$@")
fi
for app in "${apps[@]}"; do
  [[ -n ${source_of[$app]:-} ]] || die "no row for '$app' in $DATA"
  [[ -f $APPS_DIR/$app/Dockerfile ]] || die "no app $APPS_DIR/$app"
done

mkdir -p "$LOGS"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dfmigrate-rebuild.XXXXXX")
# The images the side being measured made (tags and the ids of the steps it committed).
made=()

remove_made() {
  ((${#made[@]} > 0)) || return 0
  # Newest first: an image goes before the images it was built on.
  local reversed=() i
  for ((i = ${#made[@]} - 1; i >= 0; i--)); do
    reversed+=("${made[i]}")
  done
  # shellcheck disable=SC2016 # expanded by the inner bash
  locked bash -c 'for image; do buildah rmi "$image" > /dev/null 2>&1 || true; done' _ "${reversed[@]}"
  made=()
}
cleanup() {
  remove_made || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

load() { cut -d' ' -f1-3 /proc/loadavg; }

# stamp: buildah's output with each line prefixed by the seconds since its first line,
# `[  12.3] `, from which the time each step took is read.
stamp() {
  local line now start='' tenths
  while IFS= read -r line || [[ -n $line ]]; do
    now=${EPOCHREALTIME/[.,]/}
    start=${start:-$now}
    tenths=$(((now - start) / 100000))
    printf '[%4d.%d] %s\n' $((tenths / 10)) $((tenths % 10)) "$line"
  done
}

# The awk prelude that reads a stamped line: `t` its time, `$0` buildah's line.
# shellcheck disable=SC2016 # awk's $0
UNSTAMP='{ t = 0; if (match($0, /^\[ *[0-9]+\.[0-9]\] /)) { t = substr($0, 2, RLENGTH - 3) + 0; $0 = substr($0, RLENGTH + 1) } }'

# build DIR TAG LOG: one build of DIR/Dockerfile with the layer cache, under the lock, retried
# once when buildah fails on a busy resource (as `dfmigrate verify` does: chroot isolation and
# builds of others). Sets `seconds` (the build) and `waited` (for the lock); records what it made.
build() {
  local dir=$1 tag=$2 out=$3 timing=$WORK/time asked status attempt ignore=()
  if [[ -f $dir/Dockerfile.dockerignore ]]; then
    ignore=(--ignorefile "$dir/Dockerfile.dockerignore")
  fi
  waited=0
  for attempt in 1 2; do
    asked=$(date +%s.%N)
    # The first line, printed once the lock is taken, is time 0 of the stamps.
    if locked bash -c 'echo "lock taken: buildah bud"; exec "$@"' _ \
      /usr/bin/time -f %e -o "$timing" buildah bud --layers --format docker \
      --isolation "$ISOLATION" --pull=never "${ignore[@]}" -f "$dir/Dockerfile" -t "$tag" "$dir" \
      2>&1 | stamp > "$out"; then
      status=ok
    else
      status=failed
    fi
    seconds=$(tail -n 1 "$timing")
    waited=$(awk -v w="$waited" -v now="$(date +%s.%N)" -v asked="$asked" -v s="$seconds" \
      'BEGIN { printf "%.1f", w + now - asked - s }')
    # The ids of the steps this build committed (a cache hit's id is not ours to remove).
    mapfile -t -O "${#made[@]}" made < <(awk "$UNSTAMP"'
      /^--> Using cache / { hit = 1; next }
      /^--> [0-9a-f]+$/ { if (!hit) print $2; hit = 0 }' "$out")
    if [[ " ${made[*]} " != *" $tag "* ]]; then
      made+=("$tag")
    fi
    if [[ $status == ok ]]; then
      return 0
    fi
    if [[ $attempt == 1 ]] && grep -q 'Device or resource busy' "$out"; then
      log "  $tag: buildah failed on a busy resource; building once more"
      cp "$out" "$out.busy"
      continue
    fi
    return 1
  done
}

# steps LOG: "RE-RUN TOTAL" over the steps that can be cached (all but FROM).
steps() {
  awk "$UNSTAMP"'
    / STEP [0-9]+\/[0-9]+: / || /^STEP [0-9]+\/[0-9]+: / {
      line = $0; sub(/.*STEP [0-9]+\/[0-9]+: /, "", line)
      cacheable = (toupper(line) !~ /^FROM /); if (cacheable) total++
      pending = cacheable; next
    }
    /^--> Using cache / { if (pending) hits++; pending = 0; next }
    /^--> / { pending = 0 }
    END { printf "%d %d\n", total - hits, total }' "$1"
}

# rerun LOG: the steps that re-ran, one a line (stage prefix kept), each with its seconds (until
# the next step begins; the last one's until the image is tagged, so with the final commit),
# then the seconds before the first step (buildah reading the storage) and after the tag
# (buildah removing the build's containers: with vfs each is a full copy of a root filesystem).
rerun() {
  awk "$UNSTAMP"'
    function flush(end) {
      if (pending != "" && !hit) printf "%s (%.0f s)\n", pending, end - began
      pending = ""; hit = 0
    }
    { last = t }
    / STEP [0-9]+\/[0-9]+: / || /^STEP [0-9]+\/[0-9]+: / {
      if (first == "") first = t
      flush(t); began = t; line = $0; sub(/STEP [0-9]+\/[0-9]+: /, "", line)
      if (toupper(line) !~ /(^|\] )FROM /) pending = substr(line, 1, 70)
      next
    }
    /^--> Using cache / { hit = 1 }
    /^Successfully tagged / { flush(t); tagged = t }
    END {
      flush(last)
      printf "before the first step (%.0f s)\n", first
      if (tagged != "") printf "after the tag (%.0f s)\n", last - tagged
    }' "$1"
}

# A line appended to the app's main source file: a comment, harmless in any of its languages.
edit() {
  local file=$1 comment=$2 run=$3
  if [[ -s $file && -n $(tail -c 1 "$file") ]]; then
    echo >> "$file"
  fi
  printf '%s dfmigrate rebuild benchmark: source-only edit %s\n' "$comment" "$run" >> "$file"
}

buildah_version=$(buildah --version)
started_load=$(load)
log "$buildah_version; isolation $ISOLATION; storage $CONTAINERS_STORAGE_CONF; load $started_load"
results=$LOGS/results.tsv
printf 'app\tside\tbuild\tseconds\twaited\trerun\tsteps\tload\n' > "$results"
declare -A first=() second=() reruns=() failures=()
details=()

for app in "${apps[@]}"; do
  scratch=$WORK/$app
  mkdir -p "$scratch"
  cp -a "$APPS_DIR/$app/." "$scratch/original/"
  cp -a "$APPS_DIR/$app/." "$scratch/rewrite/"
  "$DFMIGRATE" --unsafe --write "$scratch/rewrite/Dockerfile" > "$LOGS/$app.dfmigrate" 2>&1
  if cmp -s "$scratch/original/Dockerfile" "$scratch/rewrite/Dockerfile"; then
    log "$app: dfmigrate leaves the Dockerfile unchanged; skipped"
    continue
  fi
  cp "$scratch/rewrite/Dockerfile" "$LOGS/$app.rewrite.Dockerfile"
  for side in original rewrite; do
    dir=$scratch/$side
    tag=localhost/dfmigrate-rebuild-$$-$app-$side
    log "$app $side: first build (load $(load))"
    if ! build "$dir" "$tag" "$LOGS/$app.$side.0.log"; then
      log "$app $side: first build FAILED (see $LOGS/$app.$side.0.log)"
      failures[$app]+="$side first build; "
      remove_made
      continue
    fi
    first[$app.$side]=$seconds
    read -r re total < <(steps "$LOGS/$app.$side.0.log")
    printf '%s\t%s\t0\t%s\t%.1f\t%s\t%s\t%s\n' "$app" "$side" "$seconds" "$waited" "$re" "$total" \
      "$(load)" >> "$results"
    for ((run = 1; run <= RUNS; run++)); do
      edit "$dir/${source_of[$app]}" "${comment_of[$app]}" "$run"
      out=$LOGS/$app.$side.$run.log
      if ! build "$dir" "$tag" "$out"; then
        log "$app $side: build after edit $run FAILED (see $out)"
        failures[$app]+="$side build after edit $run; "
        break
      fi
      read -r re total < <(steps "$out")
      log "$app $side: after edit $run: ${seconds}s (waited ${waited}s for the lock), $re of $total steps re-ran"
      printf '%s\t%s\t%s\t%s\t%.1f\t%s\t%s\t%s\n' "$app" "$side" "$run" "$seconds" "$waited" "$re" \
        "$total" "$(load)" >> "$results"
      second[$app.$side]+="${second[$app.$side]:+, }$seconds"
      if [[ -z ${reruns[$app.$side]:-} ]]; then
        reruns[$app.$side]="$re of $total"
        details+=("$app $side, steps re-run after the edit: $(rerun "$out" | paste -sd ';' | sed 's/;/; /g')")
      elif [[ ${reruns[$app.$side]} != "$re of $total"* ]]; then
        reruns[$app.$side]+=" (run $run: $re)"
      fi
    done
    remove_made
  done
  rm -rf "$scratch"
done

echo
echo "$buildah_version; isolation $ISOLATION; RUNS=$RUNS; load at start $started_load, at end $(load)"
echo
echo "| app | original: 2nd build s | rewrite: 2nd build s | steps re-run, original → rewrite | 1st build s, original / rewrite |"
echo "|---|---:|---:|---|---|"
for app in "${apps[@]}"; do
  printf '| %s | %s | %s | %s → %s | %s / %s |\n' "$app" \
    "${second[$app.original]:-–}" "${second[$app.rewrite]:-–}" \
    "${reruns[$app.original]:-–}" "${reruns[$app.rewrite]:-–}" \
    "${first[$app.original]:-–}" "${first[$app.rewrite]:-–}"
done
echo
for line in "${details[@]}"; do
  echo "- $line"
done
for app in "${!failures[@]}"; do
  echo "FAILED: $app: ${failures[$app]}"
done
echo "logs: $LOGS"
((${#failures[@]} == 0))
