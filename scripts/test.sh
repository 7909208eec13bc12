#!/usr/bin/env bash
# The whole test suite: what CI runs (.ci/run) and what README documents.
# Installs what it needs first. Slow matrices stay behind flags.
#
#   scripts/test.sh            lint + every test + a short fuzz smoke run
#   FUZZ_SECONDS=60 scripts/test.sh   longer fuzzing per target
#   PEREGRINE_SKIP_VM=1 scripts/test.sh   without the kernel-module VM tests
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
# --no-fail-fast: one run reports every failing test, not the first binary's.
cargo test --workspace --locked --no-fail-fast 2>&1 | tee target/test.log
# cargo's own summary lines, added up, so the closing line counts every test.
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "%d passed, %d failed, %d skipped\n", p, f, i }' target/test.log >target/test-summary.txt

if [[ -x scripts/fuzz.sh ]]; then
	echo "== fuzz smoke (${FUZZ_SECONDS:-10}s per target)"
	scripts/fuzz.sh "${FUZZ_SECONDS:-10}"
fi

if [[ ${PEREGRINE_SKIP_VM:-0} != 1 ]]; then
	# peregrine.ko in QEMU guests: one 6.1 and one 6.12 kernel (a few
	# minutes); PEREGRINE_VM_MATRIX=all for every Debian 12 ABI.
	echo "== kernel module in VMs"
	tests/kmod-vm.sh
	# peregrine-loader in a guest: picks, verifies and inserts the module
	# from a signed mirror; falls back to modern eBPF when it cannot.
	echo "== driver loader in a VM"
	tests/loader-vm.sh
fi

echo "== summary"
cat target/test-summary.txt
