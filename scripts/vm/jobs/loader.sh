#!/bin/sh
# Guest job: peregrine-loader against real kernels (see tests/loader-vm.sh, which checks
# the RESULT lines on the host). /job/repo is a signed mirror of the prebuilt matrix,
# /job/newer the guest's module as another driver version (1.0.1, same API), /job/partial a
# repository without this guest's kernel; the guest has no kernel headers.
L="peregrine-loader --cache-dir /tmp/cache --decision-file /run/peregrine/driver.json"
NOREPOS="--repos-file /nonexistent"
# The sensor reads the decision at its default path, /var/run being /run as on Debian.
mkdir -p /var && ln -sfn /run /var/run
printf 'root:*:19000:0:99999:7:::\n' >/etc/shadow
echo guest >/etc/hostname

wait_for() { # PATTERN FILE PID: until PATTERN is in FILE, PID exits, or 60 s
	i=0
	while ! grep -q "$1" "$2" 2>/dev/null && kill -0 "$3" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.2
		i=$((i + 1))
	done
}

# sensor PREFIX: `peregrine run` on the loader's decision while `cat /etc/shadow` runs; it
# stays up until stop_sensor, so a loader run can meet the module in use.
sensor() {
	peregrine run >/out/$1-sensor.out 2>/out/$1-sensor.err &
	spid=$!
	wait_for 'capturing with' /out/$1-sensor.err $spid
	cat /etc/shadow >/dev/null
	wait_for 'file=/etc/shadow' /out/$1-sensor.out $spid
}
stop_sensor() { # PREFIX
	kill -TERM $spid 2>/dev/null
	wait $spid
	echo "RESULT $1_sensor_rc=$?"
	if grep -q '^peregrine: capturing with the kernel module' /out/$1-sensor.err; then
		echo "RESULT $1_sensor_driver=kmod"
	elif grep -q '^peregrine: capturing with modern eBPF' /out/$1-sensor.err; then
		echo "RESULT $1_sensor_driver=modern-ebpf"
	fi
	grep -q 'Sensitive file opened for reading (file=/etc/shadow' /out/$1-sensor.out &&
		echo "RESULT $1_sensor_alert=ok"
	echo "RESULT $1_sensor_events=$(sed -n 's/^peregrine: stopping after \([0-9]*\) events.*/\1/p' /out/$1-sensor.err)"
}

# 1. The whole matrix, served over HTTP inside the guest, signed index checked.
peregrine-driver-index serve /job/repo --listen 127.0.0.1:8080 >/out/serve.log 2>&1 &
i=0
while ! wget -q -O /dev/null http://127.0.0.1:8080/index.json && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
$L --explain auto --repo http://127.0.0.1:8080 --public-key /job/repo.pub $NOREPOS >/out/auto-prebuilt.log 2>&1
echo "RESULT auto_prebuilt_rc=$?"
cp /run/peregrine/driver.json /out/driver-prebuilt.json
[ -c /dev/peregrine0 ] && echo "RESULT device=ok"
echo "RESULT loaded_version=$(cat /sys/module/peregrine/version 2>/dev/null)"

# 2. The sensor captures through the module the loader chose. While it holds the module, a
# repository with another driver version cannot replace it: the loaded one is kept.
sensor kmod
$L --explain auto --repo file:///job/newer $NOREPOS >/out/auto-busy.log 2>&1
echo "RESULT auto_busy_rc=$?"
echo "RESULT busy_version=$(cat /sys/module/peregrine/version 2>/dev/null)"
stop_sensor kmod

# 2a. Rules reloaded on SIGHUP that need a syscall the first rules did not: the sensor adds
# it to the module's syscall set while capturing, and the new rule alerts.
printf -- '- rule: Opened\n  desc: d\n  condition: evt.type = openat and fd.name = /nonexistent\n  output: "Opened %%evt.type"\n  priority: WARNING\n' >/tmp/hup.yaml
peregrine run -r /tmp/hup.yaml >/out/hup-sensor.out 2>/out/hup-sensor.err &
spid=$!
wait_for 'capturing with' /out/hup-sensor.err $spid
printf -- '- rule: Made\n  desc: d\n  condition: evt.type in (mkdir, mkdirat) and evt.arg.path contains made-by-hup\n  output: "Made %%evt.type %%evt.arg.path"\n  priority: WARNING\n' >/tmp/hup.yaml
kill -HUP $spid
wait_for 'rules reloaded' /out/hup-sensor.err $spid
grep -q 'now also capturing' /out/hup-sensor.err && echo "RESULT kmod_hup_added=ok"
i=0
while ! grep -q 'Made mkdir' /out/hup-sensor.out && [ $i -lt 50 ]; do
	rmdir /tmp/made-by-hup 2>/dev/null
	mkdir /tmp/made-by-hup
	sleep 0.2
	i=$((i + 1))
done
grep -q 'Made mkdir' /out/hup-sensor.out && echo "RESULT kmod_hup_alert=ok"
kill -TERM $spid 2>/dev/null
wait $spid

# 2b. `peregrine capture --driver kmod`: rules and state fields on the module's events.
peregrine capture --driver kmod -r /job/rules.yaml --duration 8 >/out/kmod-capture-rules.out 2>/out/kmod-capture-rules.err &
cpid=$!
sleep 3
cat /etc/shadow >/dev/null
wait $cpid
echo "RESULT kmod_capture_rules_rc=$?"
grep -q 'Sensitive file opened for reading (file=/etc/shadow' /out/kmod-capture-rules.out &&
	echo "RESULT kmod_capture_alert=ok"
peregrine capture --driver kmod -p '%proc.name %evt.type %fd.name' --duration 8 >/out/kmod-capture-fields.out 2>/out/kmod-capture-fields.err &
cpid=$!
sleep 3
cat /etc/hostname >/dev/null
wait $cpid
# A process name from state (not <NA>) on the open of /etc/hostname.
grep -Eq '^[^<][^ ]* (open|openat) /etc/hostname$' /out/kmod-capture-fields.out &&
	echo "RESULT kmod_capture_fields=ok"

# 3. Again from the mirror: the same version already loaded is kept.
$L --explain auto --repo http://127.0.0.1:8080 $NOREPOS >/out/auto-loaded.log 2>&1
echo "RESULT auto_loaded_rc=$?"

# 4. Sensor stopped: the other version replaces the loaded module.
$L --explain auto --repo file:///job/newer $NOREPOS >/out/auto-replace.log 2>&1
echo "RESULT auto_replace_rc=$?"
echo "RESULT replaced_version=$(cat /sys/module/peregrine/version 2>/dev/null)"

# 5. cleanup unloads what the loader inserted.
$L cleanup >/out/cleanup.log 2>&1
echo "RESULT cleanup_rc=$?"
if [ -e /sys/module/peregrine ]; then echo "RESULT after_cleanup=loaded"; else echo "RESULT after_cleanup=unloaded"; fi

# 6. This kernel missing from the repository and no headers: modern eBPF, with the reasons.
$L --explain auto --repo file:///job/partial $NOREPOS >/out/auto-fallback.log 2>&1
echo "RESULT auto_fallback_rc=$?"
cp /run/peregrine/driver.json /out/driver-fallback.json
if [ -e /sys/module/peregrine ]; then echo "RESULT fallback_module=loaded"; else echo "RESULT fallback_module=none"; fi
# The sensor follows that decision too.
if grep -q '"driver": "modern-ebpf"' /run/peregrine/driver.json; then
	sensor ebpf
	stop_sensor ebpf
fi
