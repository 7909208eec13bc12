#!/usr/bin/env bash
# Builds Peregrine (release) and runs it. Installs build dependencies first.
#
#   scripts/run.sh                      replay the bundled capture (the main job for now)
#   scripts/run.sh replay FILE.scap -p '%evt.num %evt.type %evt.args'
#   scripts/run.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --locked -p peregrine >&2
if (($# == 0)); then
	set -- replay tests/fixtures/captures/anchor-vm/known-workload.scap
fi
exec target/release/peregrine "$@"
