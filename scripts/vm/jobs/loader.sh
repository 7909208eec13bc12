#!/bin/sh
# Guest job: peregrine-loader against real kernels (see tests/loader-vm.sh, which checks
# the RESULT lines on the host). /job/repo is a signed mirror of the prebuilt matrix,
# /job/partial a repository without this guest's kernel; the guest has no kernel headers.
L="peregrine-loader --cache-dir /tmp/cache --decision-file /run/peregrine/driver.json"
NOREPOS="--repos-file /nonexistent"

# 1. The whole matrix, served over HTTP inside the guest, signed index checked.
peregrine-driver-index serve /job/repo --listen 127.0.0.1:8080 >/out/serve.log 2>&1 &
i=0
while ! wget -q -O /dev/null http://127.0.0.1:8080/index.json && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
$L --explain auto --repo http://127.0.0.1:8080 --public-key /job/repo.pub $NOREPOS >/out/auto-prebuilt.log 2>&1
echo "RESULT auto_prebuilt_rc=$?"
cp /run/peregrine/driver.json /out/driver-prebuilt.json
[ -c /dev/peregrine0 ] && echo "RESULT device=ok"
echo "RESULT loaded_version=$(cat /sys/module/peregrine/version 2>/dev/null)"

# 2. Again: the compatible module already loaded is kept.
$L --explain auto --repo http://127.0.0.1:8080 $NOREPOS >/out/auto-loaded.log 2>&1
echo "RESULT auto_loaded_rc=$?"

# 3. cleanup unloads what the loader inserted.
$L cleanup >/out/cleanup.log 2>&1
echo "RESULT cleanup_rc=$?"
if [ -e /sys/module/peregrine ]; then echo "RESULT after_cleanup=loaded"; else echo "RESULT after_cleanup=unloaded"; fi

# 4. This kernel missing from the repository and no headers: modern eBPF, with the reasons.
$L --explain auto --repo file:///job/partial $NOREPOS >/out/auto-fallback.log 2>&1
echo "RESULT auto_fallback_rc=$?"
cp /run/peregrine/driver.json /out/driver-fallback.json
if [ -e /sys/module/peregrine ]; then echo "RESULT fallback_module=loaded"; else echo "RESULT fallback_module=none"; fi
