#!/bin/sh
# /init of the Peregrine test guest (busybox). Runs the job from the first
# virtio disk (a raw tar holding run.sh), writes /out as a raw tar onto the
# second disk, powers off.
export PATH=/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ip link set lo up
for m in /lib/modules/virtio/*; do
	[ -e "$m" ] && insmod "$m" 2>/dev/null
done
i=0
while [ ! -b /dev/vdb ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p /job /out
echo "prg-init: kernel $(uname -r), $(nproc) cpu(s)"
if [ -b /dev/vda ] && tar -xf /dev/vda -C /job && [ -f /job/run.sh ]; then
	cd /job && sh /job/run.sh >/out/run.log 2>&1
	echo "prg-init: job exited rc=$?" | tee -a /out/run.log
	cd /
else
	echo "prg-init: no job on /dev/vda"
fi
dmesg >/out/dmesg.txt
[ -b /dev/vdb ] && tar -cf /dev/vdb -C /out . && sync && echo "prg-init: results written"
poweroff -f
