#!/bin/bash
# Download a Debian kernel image and its headers (+common, +kbuild) with
# `apt-get download` into $PEREGRINE_VM_CACHE/debs and unpack them into one
# tree per ABI. Nothing is installed on the host.
#
#   scripts/vm/fetch.sh KVER...      e.g. 6.12.115+deb12-cloud-amd64
#
# PEREGRINE_VM_HEADERS_ONLY=1 skips the kernel image (enough to build).
. "$(dirname "$0")/common.sh"
[ $# -gt 0 ] || set -- $(vm_kernels)
mkdir -p "$DEBS"
updated=0
for kv in "$@"; do
	kver_vars "$kv"
	pkgs=("linux-headers-$KVER" "linux-headers-$KABI-common" "linux-kbuild-$KSERIES")
	[[ ${PEREGRINE_VM_HEADERS_ONLY:-} ]] || pkgs+=("linux-image-$KVER")
	# The rt flavour's headers build on their own common tree.
	[[ $FLAVOUR == rt-amd64 ]] && pkgs+=("linux-headers-$KABI-common-rt")
	need=()
	for p in "${pkgs[@]}"; do
		ls "$DEBS/${p}"_*.deb >/dev/null 2>&1 || need+=("$p")
	done
	if ((${#need[@]})); then
		if ((!updated)); then
			apt-get update -qq || log "apt-get update failed; trying the cached lists"
			updated=1
		fi
		log "apt-get download ${need[*]}"
		# _apt cannot write into root-owned dirs, so this downloads unsandboxed.
		(cd "$DEBS" && apt-get download "${need[@]}" 2>&1 | grep -v unsandboxed) || true
	fi
	mkdir -p "$KROOT"
	for p in "${pkgs[@]}"; do
		deb=$(ls "$DEBS/${p}"_*.deb 2>/dev/null | sort -V | tail -1)
		[ -n "$deb" ] || die "no $p in Debian's archive (apt-get download failed)"
		stamp=$KROOT/.unpacked.$(basename "$deb")
		if [ ! -e "$stamp" ]; then
			dpkg-deb -x "$deb" "$KROOT"
			touch "$stamp"
		fi
	done
	# The flavour headers include the common headers by an absolute
	# /usr/src path: point that at our unpacked copy.
	sed -i "s|^include /usr/src/|include $KROOT/usr/src/|" "$HDR/Makefile"
	grep -q "^include $KROOT/" "$HDR/Makefile" || die "could not retarget $HDR/Makefile"
	# The headers' scripts and tools are symlinks into linux-kbuild under
	# /usr/lib; retarget absolute symlinks into our tree.
	find "$HDR" "$KROOT/usr/src/linux-headers-$KABI-common" -maxdepth 1 -type l | while read -r l; do
		t=$(readlink "$l")
		case $t in /*) [ -e "$KROOT$t" ] && ln -sfn "$KROOT$t" "$l" ;; esac
	done
	[[ ${PEREGRINE_VM_HEADERS_ONLY:-} ]] || [ -f "$VMLINUZ" ] || die "no $VMLINUZ"
	log "ready: $KVER"
done
