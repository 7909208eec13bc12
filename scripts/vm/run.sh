#!/bin/bash
# Boot one kernel with an initramfs under QEMU/TCG (no network), run a job
# directory in it and bring back what it wrote to /out.
#
#   scripts/vm/run.sh [-s SMP] [-m MB] [-t TIMEOUT_S] [-I] KVER INITRAMFS JOBDIR OUTDIR
#
# JOBDIR must hold run.sh. OUTDIR receives the guest's /out (run.log,
# dmesg.txt, whatever the job wrote) and console.log. -I: icount mode.
# On failure the end of the console is printed.
. "$(dirname "$0")/common.sh"
SMP=2 MEM=1024 TMO=600 ICOUNT=0
while getopts "s:m:t:I" o; do
	case $o in
	s) SMP=$OPTARG ;; m) MEM=$OPTARG ;; t) TMO=$OPTARG ;; I) ICOUNT=1 ;;
	*) sed -n '2,10p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 4 ] || { sed -n '2,10p' "$0"; exit 2; }
kver_vars "$1"
initrd=$2 job=$3 out=$4
[ -f "$job/run.sh" ] || die "$job/run.sh not found"
mkdir -p "$out"
disks=$(mktemp -d "$PEREGRINE_VM_CACHE/run.XXXXXX")
trap 'rm -rf "$disks"' EXIT
tar -C "$job" -cf "$disks/job.tar" .
truncate -s 512M "$disks/out.img"
if ((ICOUNT)); then
	accel=(-accel tcg -icount shift=0,sleep=on)
else
	accel=(-accel "tcg,thread=multi")
fi
log "boot $KVER smp=$SMP job=$job"
start=$(date +%s)
set +e
timeout "$TMO" qemu-system-x86_64 "${accel[@]}" -cpu max -smp "$SMP" -m "$MEM" \
	-nographic -no-reboot -nic none \
	-kernel "$VMLINUZ" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 oops=panic quiet" \
	-drive "file=$disks/job.tar,format=raw,if=virtio,readonly=on" \
	-drive "file=$disks/out.img,format=raw,if=virtio" \
	</dev/null >"$out/console.log" 2>&1
rc=$?
set -e
log "qemu rc=$rc after $(($(date +%s) - start)) s"
tar -xf "$disks/out.img" -C "$out" 2>/dev/null || log "no results on the output disk"
if [ "$rc" -ne 0 ] || ! grep -q 'prg-init: results written' "$out/console.log"; then
	tail -40 "$out/console.log" >&2
	die "guest run failed for $KVER (console: $out/console.log)"
fi
