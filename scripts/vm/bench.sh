#!/bin/bash
# Side by side with Falco's module: the anchor lab's icount guest benchmark
# with peregrine.ko + prg-kmod-guest as the extra "sensor" phase, against
# scap.ko + `sysdig -q` in the same boot.
#
#   scripts/vm/bench.sh [OUTDIR]     (default $PEREGRINE_VM_CACHE/bench)
#
# The lab's cache goes to $PEREGRINE_VM_CACHE/anchor and its results to
# OUTDIR, so nothing under ../shared/lab changes. Needs the lab's host
# tools (its 00-host-deps.sh installs them).
. "$(dirname "$0")/common.sh"
LAB=${ANCHOR_LAB:-$REPO/../shared/lab/anchor-vm}
OUT=${1:-$PEREGRINE_VM_CACHE/bench}
export ANCHOR_CACHE=$PEREGRINE_VM_CACHE/anchor
KV=6.1.0-56-cloud-amd64	# the lab's kernel
"$LAB/scripts/00-host-deps.sh"
"$LAB/scripts/10-fetch.sh"
"$LAB/scripts/20-build-module.sh"
"$LAB/scripts/30-initramfs.sh"
"$VM_DIR/build-module.sh" "$KV"
kver_vars "$KV"
tgt=x86_64-unknown-linux-gnu
RUSTFLAGS="-C target-feature=+crt-static" CARGO_TARGET_DIR=$REPO/target/vm \
	cargo build --release --locked -q -p peregrine-kmod-source --bin prg-kmod-guest --target $tgt
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$VM_DIR/bench-sensor/sensor.sh" "$KOUT/peregrine.ko" "$dir/"
cp "$REPO/target/vm/$tgt/release/prg-kmod-guest" "$dir/"
strip --strip-debug "$dir/prg-kmod-guest"
"$LAB/scripts/50-bench-guest.sh" -I -s 1 -R "${BENCH_ROUNDS:-3}" -r "${BENCH_REPS:-3}" \
	-n "getpid=100000 read=100000 openclose=10000" -x "$dir" -o "$OUT"
