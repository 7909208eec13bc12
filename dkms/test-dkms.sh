#!/bin/bash
# dkms add/build/install of peregrine.ko against the Debian kernels that
# scripts/vm/fetch.sh unpacked, in a private DKMS tree (nothing on the host
# changes). Kernels as for the VM tests (PEREGRINE_VM_KERNELS /
# PEREGRINE_VM_MATRIX=all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../scripts/vm/common.sh"
command -v dkms >/dev/null || die "dkms is not installed (apt-get install dkms)"
mapfile -t kernels < <(vm_kernels)
"$VM_DIR/fetch.sh" "${kernels[@]}"
t=$(mktemp -d "$PEREGRINE_VM_CACHE/dkms.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$t"' EXIT
src=$("$here/make-source-tree.sh" "$t/src")
ver=${src##*/peregrine-}
mkdir -p "$t/dkms" "$t/install"
# --no-depmod: the kernel is not installed on this host, so its depmod data is not here.
trees=(--sourcetree "$t/src" --dkmstree "$t/dkms" --installtree "$t/install" --no-depmod)
dkms add -m peregrine -v "$ver" "${trees[@]}" >"$t/add.log" 2>&1 || { cat "$t/add.log"; die "dkms add failed"; }
for kv in "${kernels[@]}"; do
	kver_vars "$kv"
	# install refuses a kernel whose module tree does not exist.
	mkdir -p "$t/install/$KVER"
	for step in build install; do
		if ! dkms "$step" -m peregrine -v "$ver" -k "$KVER" --kernelsourcedir "$HDR" \
			"${trees[@]}" >"$t/$step.log" 2>&1; then
			cat "$t/$step.log" "$t/dkms/peregrine/$ver/$KVER/x86_64/log/make.log" 2>/dev/null | tail -40
			die "dkms $step failed for $KVER"
		fi
	done
	ko=$(find "$t/install" -path "*$KVER*" -name 'peregrine.ko*' | head -1)
	[ -n "$ko" ] || die "dkms install put no peregrine.ko under $t/install for $KVER"
	vm=$(modinfo -F vermagic "$ko")
	case $vm in "$KVER "*) ;; *) die "vermagic '$vm' != $KVER" ;; esac
	log "dkms add/build/install ok for $KVER: $ko"
done
