# shellcheck shell=bash disable=SC2034
# Shared settings of the Peregrine VM harness. Source it, do not run it.
#
# Heavy things (debs, unpacked kernel trees, module builds, initramfs, disk
# images) live in $PEREGRINE_VM_CACHE, never in the repository.
set -euo pipefail

VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$VM_DIR/../.." && pwd)
PEREGRINE_VM_CACHE=${PEREGRINE_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/peregrine-vm}
DEBS=$PEREGRINE_VM_CACHE/debs

# The default kernels: the smallest flavour of one 6.1 and one 6.12 ABI.
VM_DEFAULT_KERNELS=(6.1.0-56-cloud-amd64 6.12.115+deb12-cloud-amd64)
# Every ABI Debian 12's archive carries (PEREGRINE_VM_MATRIX=all).
vm_all_kernels() {
	local abi fl
	for abi in 6.1.0-47 6.1.0-50 6.1.0-53 6.1.0-54 6.1.0-55 6.1.0-56 \
		6.12.107+deb12 6.12.111+deb12 6.12.113+deb12 6.12.115+deb12; do
		for fl in amd64 cloud-amd64 rt-amd64; do
			echo "$abi-$fl"
		done
	done
}
vm_kernels() {
	if [[ ${PEREGRINE_VM_KERNELS:-} ]]; then
		tr ' ,' '\n\n' <<<"$PEREGRINE_VM_KERNELS" | grep .
	elif [[ ${PEREGRINE_VM_MATRIX:-} == all ]]; then
		vm_all_kernels
	else
		printf '%s\n' "${VM_DEFAULT_KERNELS[@]}"
	fi
}

# kver_vars KVER: sets KABI (6.1.0-56 | 6.12.115+deb12), FLAVOUR, KSERIES (the
# linux-kbuild package suffix: per series for 6.1.0-N, per ABI for 6.12) and
# the paths of the unpacked tree of that kernel.
kver_vars() {
	KVER=$1
	case $KVER in
	*-cloud-amd64) FLAVOUR=cloud-amd64 ;;
	*-rt-amd64) FLAVOUR=rt-amd64 ;;
	*-amd64) FLAVOUR=amd64 ;;
	*) die "unsupported kernel flavour in $KVER" ;;
	esac
	KABI=${KVER%-"$FLAVOUR"}
	if [[ $KABI =~ ^[0-9]+\.[0-9]+\.0-[0-9]+$ ]]; then
		KSERIES=$(cut -d. -f1,2 <<<"$KABI")
	else
		KSERIES=$KABI
	fi
	KROOT=$PEREGRINE_VM_CACHE/root/$KABI
	HDR=$KROOT/usr/src/linux-headers-$KVER
	VMLINUZ=$KROOT/boot/vmlinuz-$KVER
	KMODDIR=$KROOT/lib/modules/$KVER
	KOUT=$PEREGRINE_VM_CACHE/out/$KVER
}

log() { printf '[vm %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}
