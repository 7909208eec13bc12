#!/bin/sh
# Guest job: peregrine.ko tests (see tests/kmod-vm.sh, which checks the
# results on the host). Expects /job/peregrine.ko and prg-kmod-guest in PATH.
# STRESS_SECONDS comes from /job/env.
. /job/env
G=prg-kmod-guest

started() { # wait until the capture in log $1 has its rings open
	i=0
	while ! grep -q 'capture: started' "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# The workload runs in a nested cgroup (v2, controllers enabled), so the
# cgroups parameter carries a real path.
mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup &&
	echo "+cpu +cpuset +io +memory" >/sys/fs/cgroup/cgroup.subtree_control &&
	mkdir -p /sys/fs/cgroup/prg/wl &&
	echo "+cpu +cpuset +io +memory" >/sys/fs/cgroup/prg/cgroup.subtree_control &&
	echo "RESULT cgroup=ok"
in_cgroup() { sh -c 'echo $$ >/sys/fs/cgroup/prg/wl/cgroup.procs 2>/dev/null; exec "$@"' sh "$@"; }

insmod /job/peregrine.ko ring_bytes=$RING_BYTES || { echo "RESULT insmod=failed"; exit 1; }
echo "RESULT insmod=ok"
ls -l /dev/peregrine* >/out/devices.txt

# 1. The known workload, captured.
$G capture --out /out/workload.scap --until /tmp/stop1 --stats /out/workload.stats >/out/capture-workload.log 2>&1 &
cap=$!
started /out/capture-workload.log
rm -rf /tmp/wl
in_cgroup $G workload --dir /tmp/wl --expect /tmp/wl.expect && cp /tmp/wl.expect /out/workload.expect &&
	echo "RESULT workload=ok"
sleep 0.5
touch /tmp/stop1
wait $cap && echo "RESULT capture_workload=ok"

# 2. rmmod while a reader has the rings mapped: must be refused, not crash.
$G capture --until /tmp/stop2 >/out/capture-rmmod.log 2>&1 &
cap=$!
started /out/capture-rmmod.log
if rmmod peregrine 2>/out/rmmod-busy.txt; then
	echo "RESULT rmmod_while_reading=unloaded"
else
	echo "RESULT rmmod_while_reading=refused"
fi
touch /tmp/stop2
wait $cap && echo "RESULT capture_rmmod=ok"

# 3. Stress from several processes, with CPU 1 taken offline and back.
$G capture --count-prefix /tmp/stress/marker --until /tmp/stop3 --stats /out/stress.stats >/out/capture-stress.log 2>&1 &
cap=$!
started /out/capture-stress.log
$G stress --procs 4 --seconds "$STRESS_SECONDS" --dir /tmp/stress --out /out/stress.counts >/out/stress.log 2>&1 &
st=$!
if [ -w /sys/devices/system/cpu/cpu1/online ]; then
	sleep 2
	echo 0 >/sys/devices/system/cpu/cpu1/online && echo "RESULT cpu1_offline=ok"
	sleep 2
	echo 1 >/sys/devices/system/cpu/cpu1/online && echo "RESULT cpu1_online=ok"
fi
wait $st && echo "RESULT stress=ok"
sleep 0.5
touch /tmp/stop3
wait $cap && echo "RESULT capture_stress=ok"

# 4. Unload once every reader is gone.
rmmod peregrine && echo "RESULT rmmod=ok"
echo "RESULT done"

# 5. A full ring: small rings and a consumer that reads slowly. Drops must
# be counted and the events that do arrive must be intact.
insmod /job/peregrine.ko ring_bytes=131072 && echo "RESULT insmod_small=ok"
$G capture --count-prefix /tmp/full/marker --slow-ms 20 --until /tmp/stop5 --stats /out/full.stats >/out/capture-full.log 2>&1 &
cap=$!
started /out/capture-full.log
$G stress --procs 2 --seconds 3 --dir /tmp/full --out /out/full.counts >/out/full.log 2>&1 && echo "RESULT full_stress=ok"
sleep 0.5
touch /tmp/stop5
wait $cap && echo "RESULT capture_full=ok"
rmmod peregrine && echo "RESULT rmmod_small=ok"
echo "RESULT done_full"

# 6. The same workload through the modern eBPF probe, for the comparison.
if command -v peregrine >/dev/null; then
	peregrine capture --driver modern-ebpf --all-syscalls -w /out/ebpf.scap >/out/capture-ebpf.log 2>&1 &
	cap=$!
	i=0
	while [ ! -e /out/ebpf.scap ] && [ $i -lt 600 ] && kill -0 $cap 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
	rm -rf /tmp/wl
	in_cgroup $G workload --dir /tmp/wl --expect /tmp/wl.expect && cp /tmp/wl.expect /out/ebpf.expect &&
		echo "RESULT ebpf_workload=ok"
	sleep 1
	kill -INT $cap
	wait $cap && echo "RESULT capture_ebpf=ok"
fi
echo "RESULT done_ebpf"

# 7. Process names on the module's events: busybox runs an applet by
# re-executing itself (comm "exe") and then names itself with
# prctl(PR_SET_NAME); the open of the file must carry the applet's name.
if command -v peregrine >/dev/null; then
	printf 'root:*:19000:0:99999:7:::\n' >/etc/shadow
	insmod /job/peregrine.ko ring_bytes=$RING_BYTES && echo "RESULT insmod_names=ok"
	peregrine capture --driver kmod -p '%proc.name %evt.type %fd.name' --duration 8 \
		>/out/kmod-names.out 2>/out/kmod-names.err &
	cap=$!
	sleep 3
	cat /etc/shadow >/dev/null
	wait $cap && echo "RESULT capture_names=ok"
	rmmod peregrine && echo "RESULT rmmod_names=ok"
	grep -Eq '^cat (open|openat) /etc/shadow$' /out/kmod-names.out && echo "RESULT kmod_proc_name=ok"
fi
echo "RESULT done_names"
