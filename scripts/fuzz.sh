#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 10 s each), seeded with
# the capture fixtures. A crash fails the script and leaves the input under
# fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"

if ! command -v cargo-fuzz >/dev/null && ! [[ -x "$HOME/.cargo/bin/cargo-fuzz" ]]; then
	echo "fuzz: installing cargo-fuzz (once)" >&2
	cargo install --locked cargo-fuzz >&2
fi
# cargo-fuzz needs -Z flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1

mkdir -p fuzz/corpus/capture_read fuzz/corpus/event_decode fuzz/corpus/rules_yaml fuzz/corpus/rules_condition fuzz/corpus/driver_index
find tests/fixtures -name '*.scap' -size -400k -exec cp -n {} fuzz/corpus/capture_read/ \;
find tests/fixtures/rules tests/fixtures/falco-0.35-tests/rules -name '*.yaml' -size -80k -exec cp -n {} fuzz/corpus/rules_yaml/ \;
grep -h '^  condition: ' tests/fixtures/rules/falco_rules.yaml | sed 's/^  condition: //' | split -l 1 - fuzz/corpus/rules_condition/stable- 2>/dev/null || true
# A built index (plain and signed with the key the target checks) and a module's ELF.
cp -n fuzz/seeds/driver_index/* fuzz/corpus/driver_index/

for t in event_decode capture_read rules_condition rules_yaml driver_index; do
	echo "fuzz: $t for ${secs}s" >&2
	(cd fuzz && cargo fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=1024 -max_len=262144 \
		-print_final_stats=1 2>&1 | tail -n 15) || { echo "fuzz: $t FAILED (see fuzz/artifacts/$t)" >&2; exit 1; }
done
