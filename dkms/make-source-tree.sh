#!/bin/bash
# Assemble the DKMS source tree of peregrine.ko:
#
#   dkms/make-source-tree.sh [DEST_PARENT]    (default /usr/src)
#   dkms add peregrine/<version>
#   dkms build peregrine/<version> [-k KVER]
#   dkms install peregrine/<version> [-k KVER]
#
# The version is the module's API version (kmod/include/peregrine/ring.h).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kmod=$here/../kmod
ver=$(sed -n 's/^#define PRG_API_VERSION_STRING "\(.*\)"$/\1/p' "$kmod/include/peregrine/ring.h")
[ -n "$ver" ] || { echo "make-source-tree: no PRG_API_VERSION_STRING in ring.h" >&2; exit 1; }
dest=${1:-/usr/src}/peregrine-$ver
rm -rf "$dest"
mkdir -p "$dest/include"
cp "$kmod/module/Kbuild" "$kmod/module/Makefile" "$kmod/module/"*.c "$kmod/module/"*.h "$dest/"
cp -r "$kmod/include/peregrine" "$dest/include/"
sed "s/@VERSION@/$ver/" "$here/dkms.conf" >"$dest/dkms.conf"
echo "$dest"
