#!/bin/bash
# peregrine-loader in a QEMU guest (Debian kernel, TCG): from a signed mirror of the
# prebuilt matrix served over HTTP in the guest it picks this kernel's module, verifies
# and inserts it (finit_module); the sensor (`peregrine run`) follows that decision and
# alerts on `cat /etc/shadow` through the module; another driver version cannot replace
# the module while the sensor holds it (kept, and said why); a rerun keeps the same
# version; the other version replaces it once the sensor is gone; cleanup unloads it; with
# the kernel missing from the repository and no headers it falls back to the modern eBPF
# probe, says why, and the sensor captures through eBPF.
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
# The sensor, built exactly as tests/kmod-vm.sh builds it (the second build is a no-op).
log "building peregrine (static)"
RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR=target/vm \
	cargo build --release --locked -q -p peregrine --target $tgt
bins=(target/vm/$tgt/release/peregrine-loader target/vm/$tgt/release/peregrine-driver-index
	target/vm/$tgt/release/peregrine)
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
# The guest's module as another driver version (modinfo `version` 1.0.1, same API): what a
# repository update looks like to a host with the old module loaded.
mkdir -p "$job/newer/x86_64"
ko=x86_64/peregrine_debian_$guest.ko
perl -0777 -pe 's/\0version=1\.0\.0\0/\0version=1.0.1\0/ or die "no version=1.0.0 in the module\n"' \
	"$job/repo/$ko" >"$job/newer/$ko"
cp "$job/repo/$ko.uname-v" "$job/newer/$ko.uname-v"
"$idx" build "$job/newer" >&2
cp scripts/vm/jobs/loader.sh "$job/run.sh"
cp rules/peregrine_rules.yaml "$job/rules.yaml"

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
check "sensor follows the decision: the kernel module" r kmod_sensor_driver=kmod
check "sensor alerts on cat /etc/shadow through the module" r kmod_sensor_alert=ok
check "sensor counted events" grep -Eq '^RESULT kmod_sensor_events=[1-9]' "$out/run.log"
check "sensor exits 0 on SIGTERM" r kmod_sensor_rc=0
check "SIGHUP: rules needing a new syscall add it to the module's set" r kmod_hup_added=ok
check "SIGHUP: the new rule alerts through the module" r kmod_hup_alert=ok
check "capture --driver kmod -r: exits 0" r kmod_capture_rules_rc=0
check "capture --driver kmod -r: alerts on cat /etc/shadow" r kmod_capture_alert=ok
check "capture --driver kmod -p: state fields on the module's events" r kmod_capture_fields=ok
check "module in use: another version does not replace it" r busy_version=1.0.0
check "module in use: kept, and the reason says so" grep -q 'cannot be unloaded' "$out/auto-busy.log"
check "module in use: still a kmod decision (exit 0)" r auto_busy_rc=0
check "second run keeps the same version" grep -q 'already loaded, the same version' "$out/auto-loaded.log"
check "another version replaces the idle module" r replaced_version=1.0.1
check "the replacement says what it replaced" grep -q 'unloaded peregrine 1.0.0 to replace it with 1.0.1' "$out/auto-replace.log"
check "cleanup unloads it" r after_cleanup=unloaded
check "missing kernel, no headers: not kmod" r fallback_module=none
check "fallback says the repository lacks this kernel" grep -q "no kmod for kernel $guest" "$out/auto-fallback.log"
check "fallback says there are no headers" grep -q 'no kernel headers' "$out/auto-fallback.log"
check "fallback decision is modern eBPF (or none, with reasons)" grep -Eq '"driver": "(modern-ebpf|none)"' "$out/driver-fallback.json"
if grep -q '"driver": "modern-ebpf"' "$out/driver-fallback.json"; then
	check "eBPF decision: the sensor uses modern eBPF" r ebpf_sensor_driver=modern-ebpf
	check "eBPF decision: the sensor alerts on cat /etc/shadow" r ebpf_sensor_alert=ok
	check "eBPF decision: the sensor exits 0" r ebpf_sensor_rc=0
fi
check "no oops or BUG in dmesg" bash -c "! grep -Eq 'Oops|BUG:|WARNING:' '$out/dmesg.txt'"
sed -n '1,200p' "$out/run.log" >&2
((fail == 0)) || die "loader VM test failed (results: $out)"
log "loader VM test passed on $guest"
