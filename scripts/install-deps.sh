#!/usr/bin/env bash
# Installs what building and testing Peregrine needs on Debian 12.
# Idempotent: only missing packages are installed. Needs root (or sudo).
#
#   scripts/install-deps.sh          build dependencies
#   scripts/install-deps.sh --test   plus what the test suite uses (sysdig, ...)
set -euo pipefail

want=(clang libclang-dev pkg-config python3 clang-19 llvm-19 libbpf-dev bpftool)
if [[ "${1:-}" == "--test" ]]; then
	# sysdig 0.29 (libsinsp of 2022) reads our captures back in the tests.
	want+=(sysdig)
	# Kernel-module tests in QEMU guests (scripts/vm/): the module is built
	# with kbuild against Debian kernel headers (pahole for 6.12 module BTF).
	want+=(qemu-system-x86 busybox-static kmod libelf-dev bc dwarves)
	# Compressed kernel modules are made with the tools kbuild and DKMS use.
	want+=(xz-utils zstd)
fi

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
	echo "install-deps: installing ${missing[*]}" >&2
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	$sudo apt-get update -qq
	# sysdig pulls in DKMS and kernel headers for its module; we only need the
	# userspace tool, so skip recommends.
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if ! command -v cargo >/dev/null; then
	echo "install-deps: cargo not found. Install the Rust toolchain (rustup, stable >= 1.85) and re-run." >&2
	exit 1
fi
