#!/bin/bash
# Build a driver repository for Debian's kernels: peregrine.ko for every kernel
# ABI of the VM harness (all of Debian 12's with PEREGRINE_VM_MATRIX=all, or the
# kernels named on the command line), laid out as OUT/x86_64/peregrine_debian_<release>.ko
# with each kernel's `uname -v` (UTS_VERSION from its headers) in a .uname-v side file,
# then OUT/index.json written (and signed, with SIGNING_KEY) by peregrine-driver-index.
#
#   scripts/build-driver-repo.sh OUT [KVER...]
#   PEREGRINE_VM_MATRIX=all SIGNING_KEY=peregrine.key scripts/build-driver-repo.sh ./repo
. "$(dirname "$0")/vm/common.sh"
[ $# -ge 1 ] || die "usage: $0 OUT [KVER...]"
OUT=$(mkdir -p "$1" && cd "$1" && pwd)
shift
[ $# -gt 0 ] || set -- $(vm_kernels)
mkdir -p "$OUT/x86_64"
for kv in "$@"; do
	kver_vars "$kv"
	[ -f "$KOUT/peregrine.ko" ] || "$VM_DIR/build-module.sh" "$KVER"
	uts=$(grep -h '^#define UTS_VERSION ' "$HDR"/include/generated/{compile,utsversion}.h 2>/dev/null |
		head -1 | sed -e 's/^#define UTS_VERSION "//' -e 's/"$//')
	[ -n "$uts" ] || die "no UTS_VERSION in $HDR/include/generated"
	dest=$OUT/x86_64/peregrine_debian_$KVER.ko
	cp "$KOUT/peregrine.ko" "$dest.tmp" && mv "$dest.tmp" "$dest"
	printf '%s\n' "$uts" >"$dest.uname-v"
	log "$KVER: $uts"
done
cd "$REPO"
cargo build -q -p peregrine-driver-index
args=(build "$OUT" --target debian)
[ -z "${SIGNING_KEY:-}" ] || args+=(--signing-key "$SIGNING_KEY")
"$REPO/target/debug/peregrine-driver-index" "${args[@]}"
"$REPO/target/debug/peregrine-driver-index" verify "$OUT"
