// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Exit fillers for the data movers: preadv/pwritev (readv/writev with a
 * position), sendfile, splice and copy_file_range (event-table.md codes 121,
 * 123, 167, 189, 333).  Parameters and conversions are those of the eBPF
 * probe (kmod/bpf/fillers_move.h), so both drivers give the same events.
 */
#include <linux/fs.h>
#include <linux/splice.h>
#include <linux/uaccess.h>
#include <asm/unistd.h>
#include "prg.h"

/* A user loff_t after the call (the offset it moved to); 0 when NULL or unreadable. */
static u64 prg_uoff(unsigned long uptr)
{
	u64 v = 0;

	if (uptr && copy_from_user_nofault(&v, (const void __user *)uptr, sizeof(v)))
		v = 0;
	return v;
}

/* (res, offset, out_fd, in_fd, size): offset is *arg 2 after the call. */
static void prg_emit_sendfile(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_SENDFILE_X, 5))
		return;
	prg_put_u64(&e, ret);
	prg_put_u64(&e, prg_uoff(a[2]));
	prg_put_fd(&e, a[0]);
	prg_put_fd(&e, a[1]);
	prg_put_u64(&e, a[3]);
	prg_evt_commit(&e);
}

/* (res, fd_in, fd_out, size, flags): SPLICE_F_* keep their native bits. */
static void prg_emit_splice(unsigned long *a, long ret)
{
	struct prg_evt e;
	u32 f = 0;

	if (a[5] & SPLICE_F_MOVE)
		f |= PRG_SPLICE_F_MOVE;
	if (a[5] & SPLICE_F_NONBLOCK)
		f |= PRG_SPLICE_F_NONBLOCK;
	if (a[5] & SPLICE_F_MORE)
		f |= PRG_SPLICE_F_MORE;
	if (a[5] & SPLICE_F_GIFT)
		f |= PRG_SPLICE_F_GIFT;
	if (prg_evt_begin(&e, PPME_SYSCALL_SPLICE_X, 5))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_fd(&e, a[2]);
	prg_put_u64(&e, a[4]);
	prg_put_u32(&e, f);
	prg_evt_commit(&e);
}

/* (res, fdout, offout, fdin, offin, len): offsets are *arg 3 / *arg 1 after the call. */
static void prg_emit_copy_file_range(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_COPY_FILE_RANGE_X, 6))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[2]);
	prg_put_u64(&e, prg_uoff(a[3]));
	prg_put_fd(&e, a[0]);
	prg_put_u64(&e, prg_uoff(a[1]));
	prg_put_u64(&e, a[4]);
	prg_evt_commit(&e);
}

bool prg_emit_move(unsigned long *a, long nr, long ret)
{
	switch (nr) {
	case __NR_preadv:
		prg_emit_readv(PPME_SYSCALL_PREADV_X, a, ret, true);
		break;
	case __NR_pwritev:
		prg_emit_writev(PPME_SYSCALL_PWRITEV_X, a, ret, true);
		break;
	case __NR_sendfile:
		prg_emit_sendfile(a, ret);
		break;
	case __NR_splice:
		prg_emit_splice(a, ret);
		break;
	case __NR_copy_file_range:
		prg_emit_copy_file_range(a, ret);
		break;
	default:
		return false;
	}
	return true;
}
