#!/usr/bin/env bash
# Builds Peregrine (release) and runs it. Installs build dependencies first.
#
#   scripts/run.sh                      run the sensor on this host with the default rules
#   scripts/run.sh run -c peregrine.yaml -r my_rules.yaml
#   scripts/run.sh replay FILE.scap -p '%evt.num %evt.type %evt.args'
#   scripts/run.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --locked -p peregrine >&2
if (($# == 0)); then
	set -- run
fi
# Live capture needs root (CAP_BPF + CAP_PERFMON); replay and validation do not.
if [[ "$1" == run || "$1" == capture ]] && [[ $(id -u) -ne 0 ]] && command -v sudo >/dev/null; then
	exec sudo target/release/peregrine "$@"
fi
exec target/release/peregrine "$@"
