#!/bin/sh
# Side-by-side hook for the anchor lab's guest benchmark
# (../shared/lab/anchor-vm/scripts/50-bench-guest.sh -x DIR): peregrine.ko
# plus prg-kmod-guest reading every syscall and discarding the events, the
# counterpart of scap.ko plus `sysdig -q`. scripts/vm/bench.sh assembles
# DIR (this file, peregrine.ko for the lab's kernel, the static binary).
sensor_load() { insmod /job/sensor/peregrine.ko ring_bytes=8388608; }
sensor_unload() { rmmod peregrine; }
sensor_start() {
	SENSOR_LOG=/out/prg-sensor-$ROUND-$1.log
	rm -f /tmp/prg-stop
	$SPIN /job/sensor/prg-kmod-guest capture --until /tmp/prg-stop --stats /tmp/prg-stats >"$SENSOR_LOG" 2>&1 &
	SENSOR_PID=$!
	i=0
	while ! grep -q 'capture: started' "$SENSOR_LOG" 2>/dev/null; do
		sleep 0.2; i=$((i + 1)); [ $i -lt 300 ] || return 1
	done
	sleep 2
}
sensor_stop() {
	touch /tmp/prg-stop
	wait $SENSOR_PID
	echo "events=$(sed -n 's/^received=//p' /tmp/prg-stats) drops=$(sed -n 's/^dropped=//p' /tmp/prg-stats)"
}
