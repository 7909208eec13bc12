#!/bin/bash
# Pack a guest initramfs for one kernel: busybox-static, the virtio modules
# of that kernel (for the job/result disks), our /init, and the given
# static binaries (copied to /usr/local/bin).
#
#   scripts/vm/initramfs.sh KVER OUT.cpio [BINARY...]
. "$(dirname "$0")/common.sh"
[ $# -ge 2 ] || die "usage: initramfs.sh KVER OUT.cpio [BINARY...]"
kver_vars "$1"
out=$2
shift 2
[ -x /bin/busybox ] || die "busybox-static is not installed (scripts/install-deps.sh --test)"
st=$(mktemp -d "$PEREGRINE_VM_CACHE/initramfs.XXXXXX")
trap 'rm -rf "$st"' EXIT
mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,lib/modules/virtio,etc,proc,sys,dev,tmp,run,root}
cp /bin/busybox "$st/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -sf busybox "$st/bin/$a"
done
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
	f=$(find "$KMODDIR/kernel" -name "$m.ko*" | head -1)
	# Built into the kernel when absent.
	[ -n "$f" ] && cp "$f" "$st/lib/modules/virtio/$(printf '%02d' "$(ls "$st/lib/modules/virtio" | wc -l)")-$(basename "$f")"
done
for b in "$@"; do
	install -m755 "$b" "$st/usr/local/bin/$(basename "$b")"
	strip --strip-debug "$st/usr/local/bin/$(basename "$b")" 2>/dev/null || true
done
install -m755 "$VM_DIR/guest-init.sh" "$st/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$st/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$st/etc/group"
printf '127.0.0.1 localhost\n' >"$st/etc/hosts"
(cd "$st" && find . -print0 | sort -z | /bin/busybox cpio -o -H newc -0 2>/dev/null) >"$out.tmp"
mv "$out.tmp" "$out"
log "initramfs $out: $(du -h "$out" | cut -f1)"
