#!/bin/bash
# Kernel-module tests in QEMU guests: build peregrine.ko for each kernel and
# the static guest driver, boot each kernel under TCG with 2 vCPUs, run
# scripts/vm/jobs/kmod.sh, and check on the host what came back:
#   - the module loads, /dev/peregrine0..1 exist with mode 0600;
#   - every expected event of the known workload is in the capture;
#   - rmmod is refused while a reader is attached, succeeds after;
#   - stress with CPU 1 offline/online: received + dropped == produced;
#   - with the static sensor: the same workload through the eBPF probe gives
#     the same parameters, and a busybox applet's open carries the name it
#     set with prctl(PR_SET_NAME) on the module's events;
#   - no oops, BUG or WARNING in dmesg.
#
# Kernels: one 6.1 and one 6.12 (cloud-amd64) by default;
# PEREGRINE_VM_MATRIX=all for every Debian 12 ABI, or
# PEREGRINE_VM_KERNELS="KVER ..." for a list; PEREGRINE_VM_EBPF=0 skips the
# kmod/eBPF comparison (which builds the static sensor). PEREGRINE_VM_STRESS_SECONDS
# (default 10; the issue's long run is 60).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vm/common.sh
STRESS_SECONDS=${PEREGRINE_VM_STRESS_SECONDS:-10}
mapfile -t kernels < <(vm_kernels)

log "building prg-kmod-guest (static)"
tgt=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR=target/vm \
	cargo build --release --locked -q -p peregrine-kmod-source --bin prg-kmod-guest --target $tgt
guest_bin=target/vm/$tgt/release/prg-kmod-guest
! readelf -l "$guest_bin" | grep -q 'program interpreter' || die "$guest_bin is not static"
# The host-side checker is the same program.
host_bin=$guest_bin
# The sensor, for capturing the same workload through the eBPF probe.
sensor_bin=
if [[ ${PEREGRINE_VM_EBPF:-1} != 0 ]]; then
	log "building peregrine (static) for the kmod/eBPF comparison"
	RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR=target/vm \
		cargo build --release --locked -q -p peregrine --target $tgt
	sensor_bin=target/vm/$tgt/release/peregrine
fi

scripts/vm/fetch.sh "${kernels[@]}"
scripts/vm/build-module.sh "${kernels[@]}"

fail=0
results=$PEREGRINE_VM_CACHE/results
for kv in "${kernels[@]}"; do
	kver_vars "$kv"
	job=$(mktemp -d) out=$results/$KVER
	rm -rf "$out"
	cp scripts/vm/jobs/kmod.sh "$job/run.sh"
	cp "$KOUT/peregrine.ko" "$job/"
	printf 'STRESS_SECONDS=%s\nRING_BYTES=%s\n' "$STRESS_SECONDS" $((1 << 20)) >"$job/env"
	scripts/vm/initramfs.sh "$KVER" "$KOUT/initramfs.cpio" "$guest_bin" $sensor_bin
	if ! scripts/vm/run.sh -s 2 -m 1024 -t $((STRESS_SECONDS * 20 + 300)) "$KVER" "$KOUT/initramfs.cpio" "$job" "$out"; then
		fail=1
		rm -rf "$job"
		continue
	fi
	rm -rf "$job"
	ok=1
	check() { # description, command...
		local d=$1
		shift
		if "$@" >>"$out/checks.log" 2>&1; then
			log "  ok   $d"
		else
			log "  FAIL $d (see $out/checks.log)"
			ok=0
		fi
	}
	res() { grep -q "^RESULT $1\$" "$out/run.log"; }
	log "$KVER:"
	check "modinfo api_version/schema_version" bash -c "modinfo -F api_version '$KOUT/peregrine.ko' | grep -qx 1.0.0 && modinfo -F schema_version '$KOUT/peregrine.ko' | grep -qx 4.5.1"
	check "module loads" res insmod=ok
	check "/dev/peregrine0,1 mode 0600" bash -c "[ \$(grep -c '^crw------- .* /dev/peregrine[01]\$' '$out/devices.txt') -eq 2 ]"
	check "workload ran and was captured" bash -c "grep -q '^RESULT workload=ok' '$out/run.log' && grep -q '^RESULT capture_workload=ok' '$out/run.log'"
	check "every expected workload event" "$host_bin" check-workload --capture "$out/workload.scap" --expect "$out/workload.expect"
	check "rmmod refused while reading" res rmmod_while_reading=refused
	check "CPU 1 offline and online during capture" bash -c "grep -q '^RESULT cpu1_offline=ok' '$out/run.log' && grep -q '^RESULT cpu1_online=ok' '$out/run.log'"
	check "stress: counters consistent" bash -c "grep -q '^RESULT stress=ok' '$out/run.log' && grep -q '^RESULT capture_stress=ok' '$out/run.log'"
	check "stress: received + dropped == produced" "$host_bin" check-stress --stats "$out/stress.stats" --counts "$out/stress.counts"
	check "rmmod after the readers left" res rmmod=ok
	check "full ring: drops counted, counters consistent" bash -c "grep -q '^RESULT capture_full=ok' '$out/run.log' && ! grep -q '^dropped=0\$' '$out/full.stats'"
	check "full ring: received + dropped == produced" "$host_bin" check-stress --stats "$out/full.stats" --counts "$out/full.counts"
	if [[ -n $sensor_bin ]]; then
		check "same workload via kmod and eBPF: same params" "$host_bin" compare \
			--kmod "$out/workload.scap" --kmod-expect "$out/workload.expect" \
			--ebpf "$out/ebpf.scap" --ebpf-expect "$out/ebpf.expect"
		check "busybox cat via kmod: proc.name cat after prctl(PR_SET_NAME)" bash -c \
			"grep -q '^RESULT capture_names=ok' '$out/run.log' && grep -q '^RESULT rmmod_names=ok' '$out/run.log' && grep -q '^RESULT kmod_proc_name=ok' '$out/run.log'"
	fi
	check "no oops/BUG/WARNING in dmesg" bash -c "! grep -E 'Oops|BUG:|WARNING:|Call Trace|general protection' '$out/dmesg.txt'"
	grep -E '^  |check-|compare' "$out/checks.log" || true
	((ok)) || fail=1
done
if ((fail)); then
	log "kmod VM tests FAILED (results under $results)"
	exit 1
fi
log "kmod VM tests passed on: ${kernels[*]}"
