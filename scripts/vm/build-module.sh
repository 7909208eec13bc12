#!/bin/bash
# Build peregrine.ko against the unpacked headers of each kernel (fetch.sh
# first) with an external-module kbuild. The build must be warning-free:
# the Kbuild file sets -Werror, and any "warning:" in the log fails here too.
#
#   scripts/vm/build-module.sh [KVER...]
. "$(dirname "$0")/common.sh"
[ $# -gt 0 ] || set -- $(vm_kernels)
for kv in "$@"; do
	kver_vars "$kv"
	[ -f "$HDR/Makefile" ] || "$VM_DIR/fetch.sh" "$KVER"
	b=$PEREGRINE_VM_CACHE/build/$KVER
	rm -rf "$b" && mkdir -p "$b" "$KOUT"
	cp -a "$REPO/kmod/module" "$b/module"
	cp -a "$REPO/kmod/include" "$b/include"
	if ! make -C "$HDR" M="$b/module" modules -j"$(nproc)" >"$b/build.log" 2>&1 ||
		grep -qi 'warning:' "$b/build.log"; then
		{ grep -iE -B2 -A4 'warning:|error' "$b/build.log" || tail -20 "$b/build.log"; } | head -60 >&2
		die "peregrine.ko failed to build cleanly for $KVER (log: $b/build.log)"
	fi
	vm=$(modinfo -F vermagic "$b/module/peregrine.ko")
	case $vm in "$KVER "*) ;; *) die "vermagic '$vm' does not match $KVER" ;; esac
	cp "$b/module/peregrine.ko" "$KOUT/peregrine.ko"
	log "built $KOUT/peregrine.ko (api $(modinfo -F api_version "$KOUT/peregrine.ko"), schema $(modinfo -F schema_version "$KOUT/peregrine.ko"))"
done
