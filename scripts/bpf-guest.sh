#!/usr/bin/env bash
# Runs the modern eBPF probe's real-capture test inside a Debian kernel guest
# (QEMU TCG), to prove the same binary and BPF object load and capture there
# (CO-RE relocations against that kernel's BTF).
#
#   scripts/bpf-guest.sh [KERNEL_ABI]      default 6.1.0-56-cloud-amd64
#
# Needs qemu-system-x86, busybox-static, and network access to Debian's
# archive the first time (apt-get download of the kernel image).
set -euo pipefail

abi=${1:-6.1.0-56-cloud-amd64}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${PRG_GUEST_WORK:-/tmp/prg-bpf-guest}
target=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR=$work/target
mkdir -p "$work"

# 1. The guest kernel.
vmlinuz=$work/kernel/boot/vmlinuz-$abi
if [[ ! -f $vmlinuz ]]; then
	(cd "$work" && apt-get download "linux-image-$abi" >&2)
	dpkg-deb -x "$work"/linux-image-"$abi"_*.deb "$work/kernel"
fi

# 2. Static test binaries (crt-static only for the target, not build scripts).
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release -p peregrine-bpf --bin bpf-workload --target $target --manifest-path "$root/Cargo.toml" >&2
test_bin=$(RUSTFLAGS="-C target-feature=+crt-static" cargo test --release -p peregrine-bpf --test capture --no-run --target $target --manifest-path "$root/Cargo.toml" --message-format=json 2>/dev/null |
	sed -n 's/.*"executable":"\([^"]*capture-[^"]*\)".*/\1/p' | tail -1)
[[ -x $test_bin ]] || { echo "bpf-guest: test binary not found" >&2; exit 1; }
workload=$CARGO_TARGET_DIR/$target/release/bpf-workload

# 3. initramfs: busybox, the test, the workload at the path compiled into the test.
ird=$work/initramfs
rm -rf "$ird" && mkdir -p "$ird"/{bin,sbin,usr/bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh"
ln -s /bin/busybox "$ird/usr/bin/cat"
install -D "$test_bin" "$ird/capture-test"
install -D "$workload" "$ird$workload"
cat >"$ird/init" <<'EOF'
#!/bin/sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ip link set lo up
echo "guest: kernel $(uname -r), $(nproc) cpus, btf $(stat -c %s /sys/kernel/btf/vmlinux 2>/dev/null)"
/capture-test --test-threads=1 --nocapture captures_workload_events_exactly_tp_btf captures_workload_events_exactly_raw_tp 2>&1
echo "guest: exit $?"
poweroff -f
EOF
chmod +x "$ird/init"
(cd "$ird" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$work/initramfs.gz"

# 4. Boot it (TCG: KVM hangs on this host).
timeout 1200 qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 2048 -nographic -no-reboot \
	-nic none -kernel "$vmlinuz" -initrd "$work/initramfs.gz" \
	-append "console=ttyS0 panic=-1 quiet" | tee "$work/console.log"
grep -q "test result: ok" "$work/console.log"
