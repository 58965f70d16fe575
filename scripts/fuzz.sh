#!/usr/bin/env bash
# Runs every fuzz target for a set time, one after the other.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Seeds fuzz/corpus/<target>/ from the fixtures each target names in fuzz/dispatch.rs, and from the
# inputs kept in fuzz/regressions/<target>/ (the corpus folder is not committed), builds the targets
# with cargo-fuzz (installed if missing) and runs each with libFuzzer. cargo-fuzz needs
# nightly compiler flags (-Zsanitizer); on a stable toolchain RUSTC_BOOTSTRAP=1 enables them.
# Crashes land in fuzz/artifacts/<target>/; keep each as fuzz/regressions/<target>/<name> once fixed
# (tests/fuzz_regressions.rs replays them). The last lines of each run (libFuzzer's final stats) are
# collected in fuzz/last-run.txt.
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
shift || true
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FUZZ="$ROOT/fuzz"
export RUSTC_BOOTSTRAP="${RUSTC_BOOTSTRAP:-1}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Targets and seeds come from the table in fuzz/dispatch.rs.
write_seeds() {
    cargo run --quiet --locked --manifest-path "$FUZZ/Cargo.toml" --example write_seeds -- "$@"
}
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else mapfile -t TARGETS < <(write_seeds --list); fi
write_seeds "$FUZZ/corpus" "${TARGETS[@]}"
cd "$FUZZ"
cargo fuzz build -O --debug-assertions

: > "$FUZZ/last-run.txt"
status=0
for t in "${TARGETS[@]}"; do
    echo "== $t (${SECONDS_PER_TARGET}s)"
    log="$FUZZ/artifacts/$t.log"
    mkdir -p "$FUZZ/artifacts/$t"
    # -rss_limit_mb: an input that needs more than this is a finding (unbounded allocation).
    if cargo fuzz run -O --debug-assertions "$t" -- -max_total_time="$SECONDS_PER_TARGET" \
        -rss_limit_mb=2048 -timeout=10 -max_len=1048576 -print_final_stats=1 >"$log" 2>&1; then
        result=ok
    else
        result=FAILED
        status=1
    fi
    execs="$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' | tail -n1)"
    echo "$t: $result, ${execs:-?} executions" | tee -a "$FUZZ/last-run.txt"
    [ "$result" = ok ] || grep -E 'ERROR|panicked|SUMMARY|Test unit written' "$log" | head -n 5
done
exit "$status"
