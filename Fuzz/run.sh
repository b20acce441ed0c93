#!/usr/bin/env bash
# Builds the libFuzzer targets (release, -sanitize=fuzzer,address) and runs each for
# FUZZ_SECONDS seconds on its working corpus ($FUZZ_PATH/corpus/TARGET, seeded from
# Fuzz/Corpus/TARGET). Prints one summary line per target; exits non-zero if any target
# crashed (the input is then in $FUZZ_PATH/artifacts/TARGET/).
set -uo pipefail
cd "$(dirname "$0")"
SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_PATH=${FUZZ_PATH:-.build-fuzz}
case "$FUZZ_PATH" in /*) ;; *) FUZZ_PATH="$(cd .. && pwd)/$FUZZ_PATH" ;; esac
TARGETS=${FUZZ_TARGETS:-"FuzzIsIP FuzzSocketAddress FuzzBlockList FuzzBufferDecode FuzzStringDecoder FuzzProxyHeader"}
FLAGS=(-c release --scratch-path "$FUZZ_PATH" -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

"$SWIFT" build "${FLAGS[@]}" || exit 1
bin=$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)
failed=()
for t in $TARGETS; do
    corpus="$FUZZ_PATH/corpus/$t"
    artifacts="$FUZZ_PATH/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    log="$FUZZ_PATH/$t.log"
    "$bin/$t" "$corpus" "Corpus/$t" -max_total_time="$FUZZ_SECONDS" -max_len=512 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1
    status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    files=$(find "$corpus" -type f | wc -l)
    size=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print int(s / 1024) }')
    echo "fuzz: $t: ${FUZZ_SECONDS} s, $execs executions, corpus $files inputs ($size KiB), exit $status"
    if [ $status -ne 0 ]; then
        failed+=("$t")
        grep -E 'ERROR|Fatal error|Test unit written' "$log" | head -5
    fi
done
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: crashes in ${failed[*]}; reproduce with $bin/TARGET ARTIFACT"
    exit 1
fi
