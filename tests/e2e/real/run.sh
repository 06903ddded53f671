#!/usr/bin/env bash
# Usage: tests/e2e/real/run.sh
#
# The real end-to-end suite of `dfmigrate verify`: real base images (images.sh: Debian bookworm
# node 18.x, python 3.11, Go 1.19 and Rust 1.63 toolchains, distroless/static and Debian 13 slim
# runtimes, cached), real applications (apps/: Express and bcrypt compiled by node-gyp from npm,
# Flask under gunicorn and psycopg2 compiled against libpq from PyPI, a Go server reading
# templates/ at start-up built static and with cgo, a Rust server on tiny_http from crates.io,
# each with its lock file), real servers answering HTTP. For every app, `dfmigrate verify --unsafe --probe ...` must say
# `equivalent`; for every broken rewrite in negative/, `dfmigrate verify --against` must say
# DIFFERENT, naming what breaks. Ends with `N passed, N failed`; exits 1 when anything failed.
#
# Needs root, buildah, debootstrap (apt-get install buildah debootstrap), Debian's package mirror,
# the npm registry, PyPI and crates.io. DFMIGRATE_BIN: the dfmigrate to test (default: cargo build --release).
# Logs: ${DFMIGRATE_REAL_LOGS:-target/real-e2e}/NAME.log.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${DFMIGRATE_REAL_CACHE:-/var/cache/dfmigrate-real}
export CONTAINERS_STORAGE_CONF=${CONTAINERS_STORAGE_CONF:-$cache/storage.conf}
logs=${DFMIGRATE_REAL_LOGS:-$repo/target/real-e2e}
mkdir -p "$logs"
started=$SECONDS

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

log "base images (cache: $cache)"
"$here/images.sh"
images_seconds=$((SECONDS - started))

if [[ -z "${DFMIGRATE_BIN:-}" ]]; then
  (cd "$repo" && cargo build --release --locked --quiet)
  DFMIGRATE_BIN="$repo/target/release/dfmigrate"
fi

passed=0
failed=0
failures=()

# The probes of an app, from probes.tsv, as --probe arguments.
probe_args() {
  local app=$1 line name probes probe
  while IFS= read -r line; do
    [[ -z $line || $line == \#* ]] && continue
    name=${line%%$'\t'*}
    probes=${line#*$'\t'}
    if [[ $name == "$app" ]]; then
      for probe in $probes; do
        printf '%s\n' --probe "$probe"
      done
      return
    fi
  done < "$here/probes.tsv"
  echo "run.sh: no probes for $app in probes.tsv" >&2
  return 1
}

# check NAME EXPECTED_EXIT EXPECTED_TEXT -- VERIFY_ARGS...
check() {
  local name=$1 expected_code=$2 expected_text=$3
  shift 4
  local code=0 case_started=$SECONDS
  log "$name: dfmigrate verify $*"
  "$DFMIGRATE_BIN" verify "$@" > "$logs/$name.out" 2> "$logs/$name.err" || code=$?
  cat "$logs/$name.out"
  if [[ $code == "$expected_code" ]] && grep -qF -- "$expected_text" "$logs/$name.out"; then
    passed=$((passed + 1))
    log "$name: ok ($((SECONDS - case_started))s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    log "$name: FAILED: expected exit $expected_code and \`$expected_text\`, got exit $code ($((SECONDS - case_started))s)"
    sed 's/^/  stderr: /' "$logs/$name.err" | tail -40 >&2
  fi
}

for app_dir in "$here"/apps/*/; do
  app=$(basename "$app_dir")
  mapfile -t probes < <(probe_args "$app")
  check "$app" 0 ": equivalent (" -- --unsafe "${probes[@]}" "$app_dir/Dockerfile"
done

while IFS=$'\t' read -r broken app expected; do
  [[ -z $broken || $broken == \#* ]] && continue
  mapfile -t probes < <(probe_args "$app")
  check "$broken" 1 "$expected" -- --against "$here/negative/$broken.Dockerfile" "${probes[@]}" \
    "$here/apps/$app/Dockerfile"
done < "$here/negative/expected.tsv"

log "images ${images_seconds}s, whole suite $((SECONDS - started))s"
if ((failed > 0)); then
  log "failed: ${failures[*]}"
fi
echo "real e2e: $passed passed, $failed failed"
((failed == 0))
