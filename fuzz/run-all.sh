#!/usr/bin/env bash
# Runs every fuzz target in turn for $FUZZ_SECONDS seconds each (default 60),
# one single-threaded libFuzzer process at a time, at low priority.
# Optional, separate from the main CI. Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# Usage: [FUZZ_SECONDS=N] [FUZZ_FLAGS="-s none -a"] fuzz/run-all.sh [target ...]
#        (default: every target)
# Exits non-zero if any target found a crash, timeout or OOM (see fuzz/artifacts/).
set -u
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-60}"
toolchain="${FUZZ_TOOLCHAIN:-+nightly}"
# Extra cargo-fuzz flags for build and run, e.g. FUZZ_FLAGS="-s none -a"
# (no sanitizer, debug assertions and overflow checks on: faster, and catches
# arithmetic overflow).
read -r -a flags <<< "${FUZZ_FLAGS:-}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(detect_format text_line documents traceback rule_load scan_buffer)
fi
max_len() {
    case "$1" in
        detect_format) echo 8192 ;;
        text_line | traceback | rule_load) echo 16384 ;;
        *) echo 65536 ;;
    esac
}
cargo "$toolchain" fuzz build "${flags[@]}" || exit 1
failed=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    dict=()
    if [ -f "dicts/$target.dict" ]; then
        dict=("-dict=$PWD/dicts/$target.dict")
    fi
    echo "== $target: ${seconds}s"
    if ! nice -n 10 cargo "$toolchain" fuzz run "${flags[@]}" "$target" -- \
        -max_total_time="$seconds" -max_len="$(max_len "$target")" \
        -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 "${dict[@]}"; then
        failed+=("$target")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in: ${failed[*]} (see fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: all targets ran ${seconds}s clean"
