#!/usr/bin/env python3
"""Prints (PPM_SC id -> native x86_64 syscall numbers) seen in GENERIC_E events
of 2022-era captures: usage: scripts/learn-ppm-sc.py FILE.scap..."""
import struct, sys, gzip, glob
pairs = {}
for f in sys.argv[1:]:
    data = open(f,'rb').read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    off = 0
    while off + 8 <= len(data):
        bt, bl = struct.unpack_from('<II', data, off)
        if bl < 12 or off + bl > len(data): break
        body = data[off+8: off+bl-4]
        if bt in (0x216, 0x217, 0x204, 0x208):
            p = 2 + (4 if bt in (0x217, 0x208) else 0)
            ev = body[p:]
            if bt in (0x216, 0x217) and len(ev) >= 26:
                ts, tid, ln, code, npar = struct.unpack_from('<QQIHI', ev, 0)
                if code == 0 and npar >= 2:
                    lens = struct.unpack_from('<%dH' % npar, ev, 26)
                    d = 26 + 2*npar
                    sc = struct.unpack_from('<H', ev, d)[0]
                    nat = struct.unpack_from('<H', ev, d + lens[0])[0]
                    pairs.setdefault(sc, set()).add(nat)
        off += bl
for k in sorted(pairs): print(k, sorted(pairs[k]))
