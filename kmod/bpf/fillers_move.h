/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for the data movers: preadv/pwritev (readv/writev with a
 * position), sendfile, splice and copy_file_range (event-table.md codes 121,
 * 123, 167, 189, 333).  Needs put_iov (fillers_io.h).
 */
#ifndef PEREGRINE_BPF_FILLERS_MOVE_H
#define PEREGRINE_BPF_FILLERS_MOVE_H

/* A user loff_t after the call (the offset it moved to); 0 when NULL or unreadable. */
static __always_inline __u64 uoff(const void *p)
{
	__u64 v = 0;

	if (p && bpf_probe_read_user(&v, sizeof(v), p))
		v = 0;
	return v;
}

/* (res, size, data, fd, pos) and (res, data, fd, size, pos): readv's and writev's rules. */
EXIT_FILLER(preadv)
{
	vec_read(r, ret, PPME_SYSCALL_PREADV_X, true);
}

EXIT_FILLER(pwritev)
{
	vec_write(r, ret, PPME_SYSCALL_PWRITEV_X, true);
}

/* (res, offset, out_fd, in_fd, size): offset is *arg 2 after the call. */
EXIT_FILLER(sendfile)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_SENDFILE_X, 5))
		return;
	put_u64(&b, ret);
	put_u64(&b, uoff((const void *)sarg(r, 2)));
	put_fd(&b, sarg(r, 0));
	put_fd(&b, sarg(r, 1));
	put_u64(&b, sarg(r, 3));
	evb_submit(&b);
}

/* (res, fd_in, fd_out, size, flags): SPLICE_F_* keep their native bits. */
EXIT_FILLER(splice)
{
	__u32 f = sarg(r, 5), s = 0;
	struct evb b;

	if (f & 0x1)
		s |= PRG_SPLICE_F_MOVE;
	if (f & 0x2)
		s |= PRG_SPLICE_F_NONBLOCK;
	if (f & 0x4)
		s |= PRG_SPLICE_F_MORE;
	if (f & 0x8)
		s |= PRG_SPLICE_F_GIFT;
	if (!evb_begin(&b, PPME_SYSCALL_SPLICE_X, 5))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_fd(&b, sarg(r, 2));
	put_u64(&b, sarg(r, 4));
	put_u32(&b, s);
	evb_submit(&b);
}

/* (res, fdout, offout, fdin, offin, len): offsets are *arg 3 / *arg 1 after the call. */
EXIT_FILLER(copy_file_range)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_COPY_FILE_RANGE_X, 6))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 2));
	put_u64(&b, uoff((const void *)sarg(r, 3)));
	put_fd(&b, sarg(r, 0));
	put_u64(&b, uoff((const void *)sarg(r, 1)));
	put_u64(&b, sarg(r, 4));
	evb_submit(&b);
}

#endif /* PEREGRINE_BPF_FILLERS_MOVE_H */
