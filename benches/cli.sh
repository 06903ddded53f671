#!/usr/bin/env bash
# Whole-pipeline benchmark of the dfmigrate CLI (issue #3, item 5). Not part of `cargo test` or CI.
#
#   benches/cli.sh                      # from the repository root
#   DFMIGRATE_CORPUS=/path/to/corpus RUNS=9 benches/cli.sh
#
# The floor is `../shared/tools/speed-of-light DIR` (SPEED_OF_LIGHT): walk the layout on two
# threads, read every file and count its lines, timed in the same run; `× floor` is each
# command's median over the floor's.
#
# It lays out `$DFMIGRATE_CORPUS/public` (default ../shared/corpus) COPIES times (default 10)
# under a temporary folder, one file per folder: `copyN/<owner__repo>/<flat name>/Dockerfile`,
# so that walking a folder picks every file (the corpus flattens paths; a walk only takes
# files named like Dockerfiles). It then measures, page cache warm, RUNS runs each (median):
#
#   - the reading floor: `find DIR -type f | xargs cat > /dev/null`;
#   - `dfmigrate --check`, `--diff` and the default mode (findings) with all cores, and
#     `--check` with `-j 1` and `-j 2`, plus `--check --isolated` (no configuration lookup);
#   - peak RSS (`/usr/bin/time -f %M`, median of RUNS) of `--check` and `--diff` over 1, 5 and
#     COPIES copies;
#   - hadolint (when `$HADOLINT` or `hadolint` on PATH exists) on a sample of HADOLINT_FILES
#     (default 200) files in one process, against dfmigrate on the very same files.
#
# Uses hyperfine when installed (`-N`, median), else repeats with `date` and takes the median.
# The layout is removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${DFMIGRATE_CORPUS:-$ROOT/../shared/corpus}
COPIES=${COPIES:-10}
RUNS=${RUNS:-7}
HADOLINT_FILES=${HADOLINT_FILES:-200}
HADOLINT=${HADOLINT:-$(command -v hadolint || true)}
SPEED_OF_LIGHT=${SPEED_OF_LIGHT:-$ROOT/../shared/tools/speed-of-light}
SRC=$CORPUS/public
[ -d "$SRC" ] || { echo "no corpus at $SRC (set DFMIGRATE_CORPUS)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }

if [ -z "${DFMIGRATE:-}" ]; then
    (cd "$ROOT" && cargo build --release --quiet)
    DFMIGRATE=$ROOT/target/release/dfmigrate
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dfmigrate-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# --- layout -------------------------------------------------------------------------------
(cd "$SRC" && find . -type f | sed 's|^\./||' | sort) > corpus.list
while IFS= read -r rel; do
    mkdir -p "copy1/$rel"
    cp "$SRC/$rel" "copy1/$rel/Dockerfile"
done < corpus.list
for n in $(seq 2 "$COPIES"); do cp -r copy1 "copy$n"; done
ALL=$(seq -f 'copy%g' 1 "$COPIES" | tr '\n' ' ')
NFIVE=$((COPIES < 5 ? COPIES : 5))
FIVE=$(seq -f 'copy%g' 1 "$NFIVE" | tr '\n' ' ')
FILES=$(find $ALL -type f | wc -l)
BYTES=$(find $ALL -type f -print0 | xargs -0 cat | wc -c)
find $ALL -type f -print0 | xargs -0 cat > /dev/null # warm the page cache
"$DFMIGRATE" --check $ALL > /dev/null 2>&1 || true

# --- helpers ------------------------------------------------------------------------------
# median_ms CMD: median wall time in milliseconds over RUNS runs (output discarded). With
# hyperfine, the mean CPU time (user + system) of the runs is left in cpu.txt ("n/a" without).
median_ms() {
    if command -v hyperfine > /dev/null; then
        hyperfine -N -i -w 1 -r "$RUNS" --export-csv t.csv "$1" > /dev/null 2>&1
        awk -F, 'NR == 2 { printf "%.1f", ($5 + $6) * 1000 }' t.csv > cpu.txt
        awk -F, 'NR == 2 { printf "%.1f", $4 * 1000 }' t.csv
    else
        echo n/a > cpu.txt
        local times=() i start end
        for i in $(seq 1 "$RUNS"); do
            start=$(date +%s%N)
            sh -c "$1" > /dev/null 2>&1 || true
            end=$(date +%s%N)
            times+=($(((end - start) / 1000)))
        done
        printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { printf "%.1f", t[int((NR + 1) / 2)] / 1000 }'
    fi
}
# median_rss_kb CMD...: median peak RSS in KB over RUNS runs.
median_rss_kb() {
    local i
    for i in $(seq 1 "$RUNS"); do
        /usr/bin/time -f '%M' -o rss.txt "$@" > /dev/null 2>&1 || true
        tail -1 rss.txt
    done | sort -n | awk '{ r[NR] = $1 } END { print r[int((NR + 1) / 2)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
us_per_file() { awk -v ms="$1" -v n="$2" 'BEGIN { printf "%.1f", ms * 1000 / n }'; }

# --- timings ------------------------------------------------------------------------------
echo "# dfmigrate CLI benchmark"
echo "machine: nproc=$(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "binary: $DFMIGRATE ($("$DFMIGRATE" --version))"
echo "layout: $COPIES copies, $FILES files, $BYTES bytes; $RUNS runs per figure (median)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
echo

declare -A MS
row() { # name command
    MS[$1]=$(median_ms "$2")
    CPU[$1]=$(cat cpu.txt)
    printf '| %s | `%s` | %s | %s | %s | %s | %s |\n' "$1" "${2//$DFMIGRATE/dfmigrate}" "${MS[$1]}" \
        "$(us_per_file "${MS[$1]}" "$FILES")" "$(ratio "${MS[$1]}" "${MS[cat]}")" \
        "$(ratio "${MS[$1]}" "${MS[floor]:-${MS[cat]}}")" "${CPU[$1]}"
}
declare -A CPU
echo "| run | command | median wall ms | µs/file | × cat | × floor | mean CPU ms |"
echo "|---|---|---:|---:|---:|---:|---:|"
if [ -x "$SPEED_OF_LIGHT" ]; then
    MS[floor]=$(median_ms "$SPEED_OF_LIGHT $WORK")
    CPU[floor]=$(cat cpu.txt)
fi
MS[cat]=$(median_ms "sh -c 'find $ALL -type f | xargs cat > /dev/null'")
CPU[cat]=$(cat cpu.txt)
if [ -n "${MS[floor]:-}" ]; then
    printf '| floor | `speed-of-light DIR` | %s | %s | %s | 1.00 | %s |\n' "${MS[floor]}" \
        "$(us_per_file "${MS[floor]}" "$FILES")" "$(ratio "${MS[floor]}" "${MS[cat]}")" "${CPU[floor]}"
fi
printf '| cat | `find DIR -type f \\| xargs cat > /dev/null` | %s | %s | 1.00 | %s | %s |\n' \
    "${MS[cat]}" "$(us_per_file "${MS[cat]}" "$FILES")" \
    "$(ratio "${MS[cat]}" "${MS[floor]:-${MS[cat]}}")" "${CPU[cat]}"
row check "$DFMIGRATE --check $ALL"
row check-j1 "$DFMIGRATE --check -j 1 $ALL"
row check-j2 "$DFMIGRATE --check -j 2 $ALL"
row check-isolated-j1 "$DFMIGRATE --check --isolated -j 1 $ALL"
row check-isolated-j2 "$DFMIGRATE --check --isolated -j 2 $ALL"
row diff "$DFMIGRATE --diff $ALL"
row default "$DFMIGRATE $ALL"
echo
echo "speed-up -j 1 → -j 2: --check $(ratio "${MS[check-j1]}" "${MS[check-j2]}")×," \
    "--check --isolated $(ratio "${MS[check-isolated-j1]}" "${MS[check-isolated-j2]}")×"
echo

# --- memory -------------------------------------------------------------------------------
echo "| peak RSS (KB, median) | 1 copy | $NFIVE copies | $COPIES copies |"
echo "|---|---:|---:|---:|"
for mode in --check --diff; do
    printf '| `%s` |' "$mode"
    for set in copy1 "$FIVE" "$ALL"; do
        printf ' %s |' "$(median_rss_kb "$DFMIGRATE" $mode $set)"
    done
    echo
done
echo

# --- hadolint -----------------------------------------------------------------------------
if [ -n "$HADOLINT" ] && [ -x "$HADOLINT" ]; then
    find copy1 -type f | sort | awk -v n="$HADOLINT_FILES" -v total="$(wc -l < corpus.list)" \
        'BEGIN { step = int(total / n); if (step < 1) step = 1 } (NR - 1) % step == 0 && taken < n { print; taken++ }' \
        > sample.list
    SAMPLE=$(wc -l < sample.list)
    HL_MS=$(median_ms "sh -c '$HADOLINT --no-fail \$(cat sample.list) > /dev/null 2>&1'")
    HL_CPU=$(cat cpu.txt)
    DF_MS=$(median_ms "sh -c '$DFMIGRATE --check \$(cat sample.list) > /dev/null 2>&1'")
    DF_CPU=$(cat cpu.txt)
    HL_US=$(us_per_file "$HL_MS" "$SAMPLE")
    DF_US=$(us_per_file "$DF_MS" "$SAMPLE")
    CHECK_US=$(us_per_file "${MS[check]}" "$FILES")
    echo "hadolint: $("$HADOLINT" --version), $SAMPLE files spread evenly over copy1, all in one process"
    echo "| tool | files | median wall ms | µs/file | mean CPU ms |"
    echo "|---|---:|---:|---:|---:|"
    echo "| hadolint --no-fail | $SAMPLE | $HL_MS | $HL_US | $HL_CPU |"
    echo "| dfmigrate --check (same files, one process) | $SAMPLE | $DF_MS | $DF_US | $DF_CPU |"
    echo "| dfmigrate --check (whole layout) | $FILES | ${MS[check]} | $CHECK_US | ${CPU[check]} |"
    echo
    echo "hadolint ÷ dfmigrate per file: same files $(ratio "$HL_US" "$DF_US")×," \
        "against the whole-layout rate $(ratio "$HL_US" "$CHECK_US")×"
else
    echo "hadolint: not found (set HADOLINT=/path/to/hadolint); skipped"
fi
echo
echo "load after: $(uptime | sed 's/.*load average/load average/')"
