#!/bin/bash
# peregrine-loader in a QEMU guest (Debian kernel, TCG): from a signed mirror of the
# prebuilt matrix served over HTTP in the guest it picks this kernel's module, verifies
# and inserts it (finit_module); a second run keeps the loaded module; cleanup unloads
# it; with the kernel missing from the repository and no headers it falls back to the
# modern eBPF probe and says why.
#
# The repository holds the harness's kernels (vm_kernels: PEREGRINE_VM_MATRIX=all for
# every Debian 12 ABI); the guest boots the first of them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vm/common.sh
mapfile -t kernels < <(vm_kernels)
guest=${kernels[0]}

tgt=x86_64-unknown-linux-gnu
log "building peregrine-loader and peregrine-driver-index (static)"
RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR=target/vm \
	cargo build --release --locked -q -p peregrine-loader -p peregrine-driver-index \
	--bin peregrine-loader --bin peregrine-driver-index --target $tgt
bins=(target/vm/$tgt/release/peregrine-loader target/vm/$tgt/release/peregrine-driver-index)
for b in "${bins[@]}"; do
	! readelf -l "$b" | grep -q 'program interpreter' || die "$b is not static"
done
idx=${bins[1]}

scripts/vm/fetch.sh "${kernels[@]}"
work=$PEREGRINE_VM_CACHE/loader
job=$(mktemp -d)
trap 'rm -rf "$job"' EXIT
mkdir -p "$work"
"$idx" keygen "$job/k" >/dev/null
SIGNING_KEY=$job/k.key scripts/build-driver-repo.sh "$job/repo" "${kernels[@]}" >&2
mv "$job/k.pub" "$job/repo.pub" && rm -f "$job/k.key"
# A repository without the guest's kernel.
mkdir -p "$job/partial/x86_64"
for kv in "${kernels[@]}"; do
	[ "$kv" = "$guest" ] || cp "$job/repo/x86_64/peregrine_debian_$kv.ko"* "$job/partial/x86_64/"
done
"$idx" build "$job/partial" >&2
cp scripts/vm/jobs/loader.sh "$job/run.sh"

scripts/vm/initramfs.sh "$guest" "$work/initramfs-$guest.cpio" "${bins[@]}"
out=$PEREGRINE_VM_CACHE/results/loader-$guest
rm -rf "$out"
scripts/vm/run.sh -s 2 -m 1024 -t 900 "$guest" "$work/initramfs-$guest.cpio" "$job" "$out"

fail=0
check() { # description, command...
	local d=$1
	shift
	if "$@"; then log "ok: $d"; else log "FAIL: $d"; fail=1; fi
}
r() { grep -q "^RESULT $1\$" "$out/run.log"; }
check "prebuilt chosen, verified and inserted (exit 0)" r auto_prebuilt_rc=0
check "decision says kmod from the mirror" grep -q '"driver": "kmod"' "$out/driver-prebuilt.json"
check "the module is this kernel's" grep -q "peregrine_debian_$guest.ko" "$out/auto-prebuilt.log"
check "/dev/peregrine0 exists" r device=ok
check "loaded module speaks API 1" grep -q '^RESULT loaded_version=1\.' "$out/run.log"
check "second run keeps the loaded module" grep -q 'already loaded' "$out/auto-loaded.log"
check "cleanup unloads it" r after_cleanup=unloaded
check "missing kernel, no headers: not kmod" r fallback_module=none
check "fallback says the repository lacks this kernel" grep -q "no kmod for kernel $guest" "$out/auto-fallback.log"
check "fallback says there are no headers" grep -q 'no kernel headers' "$out/auto-fallback.log"
check "fallback decision is modern eBPF (or none, with reasons)" grep -Eq '"driver": "(modern-ebpf|none)"' "$out/driver-fallback.json"
check "no oops or BUG in dmesg" bash -c "! grep -Eq 'Oops|BUG:|WARNING:' '$out/dmesg.txt'"
sed -n '1,200p' "$out/run.log" >&2
((fail == 0)) || die "loader VM test failed (results: $out)"
log "loader VM test passed on $guest"
