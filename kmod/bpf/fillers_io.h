/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for vectored and socket I/O, pipes and fd duplication
 * (event-schema.md §3.2-§3.4).  iovec gathering runs in a bpf_loop callback
 * (at most 32 iovecs, as upstream).
 */
#ifndef PEREGRINE_BPF_FILLERS_IO_H
#define PEREGRINE_BPF_FILLERS_IO_H

#define MAX_IOVCNT 32

struct iov_ctx {
	const struct iovec *iov;
	__u32 off;   /* start of the data parameter */
	__u32 len;   /* bytes copied */
	__u32 max;   /* copy bound */
	__u64 total; /* sum of iov_len */
};

static long iov_cb(__u32 i, void *arg)
{
	struct iov_ctx *c = arg;
	__u8 *buf = scratch();
	struct iovec v;
	__u64 n;

	if (!buf || bpf_probe_read_user(&v, sizeof(v), &c->iov[i]))
		return 1;
	c->total += v.iov_len;
	if (c->len >= c->max || !v.iov_base)
		return 0;
	n = v.iov_len;
	if (n > c->max - c->len)
		n = c->max - c->len;
	if (n > PRG_MAX_SNAPLEN)
		n = PRG_MAX_SNAPLEN;
	if (!bpf_probe_read_user(buf + ((c->off + c->len) & PRG_EVENT_MAX), n, v.iov_base))
		c->len += n;
	return 0;
}

/* Gathers up to max bytes of iov[0..cnt) as the next parameter; returns sum(iov_len). */
static __always_inline __u64 put_iov(struct evb *b, const struct iovec *iov, __u64 cnt, __u64 max)
{
	struct iov_ctx c = { .iov = iov, .off = b->off, .max = max > cfg_snaplen ? cfg_snaplen : max };

	if (cnt > MAX_IOVCNT)
		cnt = MAX_IOVCNT;
	if (iov && cnt)
		bpf_loop(cnt, iov_cb, &c, 0);
	set_len(b, c.len & (2 * PRG_MAX_SNAPLEN - 1));
	return c.total;
}

/* Sum of iov_len without copying (sizes are needed before data in some events). */
static __always_inline __u64 iov_total(const struct iovec *iov, __u64 cnt)
{
	struct iov_ctx c = { .iov = iov, .max = 0 };

	if (cnt > MAX_IOVCNT)
		cnt = MAX_IOVCNT;
	if (iov && cnt)
		bpf_loop(cnt, iov_cb, &c, 0);
	return c.total;
}

/*
 * readv and preadv: (res, size, data, fd[, pos]); data is what the call
 * read, at most snaplen bytes, empty unless res > 0. pos is arg 3 (pos_l,
 * all of it on 64-bit).
 */
static __always_inline void vec_read(struct pt_regs *r, long ret, __u16 code, bool pos)
{
	const struct iovec *iov = (void *)sarg(r, 1);
	struct evb b;

	if (!evb_begin(&b, code, pos ? 5 : 4))
		return;
	put_u64(&b, ret);
	put_u32(&b, ret > 0 ? ret : 0);
	if (ret > 0)
		put_iov(&b, iov, sarg(r, 2), ret);
	else
		put_empty(&b);
	put_fd(&b, sarg(r, 0));
	if (pos)
		put_u64(&b, sarg(r, 3));
	evb_submit(&b);
}

/* writev and pwritev: (res, data, fd, size[, pos]). */
static __always_inline void vec_write(struct pt_regs *r, long ret, __u16 code, bool pos)
{
	const struct iovec *iov = (void *)sarg(r, 1);
	struct evb b;
	__u64 total;

	if (!evb_begin(&b, code, pos ? 5 : 4))
		return;
	put_u64(&b, ret);
	total = put_iov(&b, iov, sarg(r, 2), ret > 0 ? ret : PRG_MAX_SNAPLEN);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, total);
	if (pos)
		put_u64(&b, sarg(r, 3));
	evb_submit(&b);
}

EXIT_FILLER(readv)
{
	vec_read(r, ret, PPME_SYSCALL_READV_X, false);
}

EXIT_FILLER(writev)
{
	vec_write(r, ret, PPME_SYSCALL_WRITEV_X, false);
}

EXIT_FILLER(sendto)
{
	__u64 len = sarg(r, 2);
	struct evb b;

	if (!evb_begin(&b, PPME_SOCKET_SENDTO_X, 5))
		return;
	put_u64(&b, ret);
	put_data(&b, (void *)sarg(r, 1), ret > 0 ? ret : (__s64)len);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, len);
	if (ret >= 0)
		put_socktuple_user(&b, (__s32)sarg(r, 0), 0, (void *)sarg(r, 4));
	else
		put_empty(&b);
	evb_submit(&b);
}

EXIT_FILLER(recvfrom)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SOCKET_RECVFROM_X, 5))
		return;
	put_u64(&b, ret);
	if (ret >= 0) {
		put_data(&b, (void *)sarg(r, 1), ret);
		put_socktuple_user(&b, (__s32)sarg(r, 0), 1, (void *)sarg(r, 4));
	} else {
		put_empty(&b);
		put_empty(&b);
	}
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sarg(r, 2));
	evb_submit(&b);
}

EXIT_FILLER(sendmsg)
{
	struct user_msghdr mh;
	struct evb b;
	__u64 total = 0;

	if (!evb_begin(&b, PPME_SOCKET_SENDMSG_X, 5))
		return;
	put_u64(&b, ret);
	if (bpf_probe_read_user(&mh, sizeof(mh), (void *)sarg(r, 1))) {
		put_empty(&b);
		put_fd(&b, sarg(r, 0));
		put_empty(&b);
	} else {
		total = put_iov(&b, mh.msg_iov, mh.msg_iovlen, ret > 0 ? ret : PRG_MAX_SNAPLEN);
		put_fd(&b, sarg(r, 0));
		put_u32(&b, total);
	}
	if (ret >= 0)
		put_socktuple_user(&b, (__s32)sarg(r, 0), 0, mh.msg_name);
	else
		put_empty(&b);
	evb_submit(&b);
}

EXIT_FILLER(recvmsg)
{
	struct user_msghdr mh;
	struct evb b;
	int ok;

	ok = !bpf_probe_read_user(&mh, sizeof(mh), (void *)sarg(r, 1));
	if (!evb_begin(&b, PPME_SOCKET_RECVMSG_X, 6))
		return;
	put_u64(&b, ret);
	put_u32(&b, ret >= 0 ? ret : 0);
	if (ret >= 0 && ok) {
		put_iov(&b, mh.msg_iov, mh.msg_iovlen, ret);
		put_socktuple_user(&b, (__s32)sarg(r, 0), 1, mh.msg_name);
		if (mh.msg_controllen > 0 && mh.msg_controllen <= 65535)
			put_ubytes(&b, mh.msg_control, mh.msg_controllen);
		else
			put_empty(&b);
	} else {
		put_empty(&b);
		put_empty(&b);
		put_empty(&b);
	}
	put_fd(&b, sarg(r, 0));
	evb_submit(&b);
}

EXIT_FILLER(socketpair)
{
	__s32 sv[2] = { -1, -1 };
	__u64 source = 0, peer = 0;
	struct evb b;

	if (ret == 0 && !bpf_probe_read_user(sv, sizeof(sv), (void *)sarg(r, 3))) {
		struct sock *sk = fd_sock(sv[0]);

		source = (__u64)sk;
		if (sk)
			peer = (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
	} else {
		sv[0] = sv[1] = -1;
	}
	if (!evb_begin(&b, PPME_SOCKET_SOCKETPAIR_X, 8))
		return;
	put_u64(&b, ret);
	put_u64(&b, (__s64)sv[0]);
	put_u64(&b, (__s64)sv[1]);
	put_u64(&b, source);
	put_u64(&b, peer);
	put_u32(&b, socket_family_to_scap(sarg(r, 0)));
	put_u32(&b, sarg(r, 1));
	put_u32(&b, sarg(r, 2));
	evb_submit(&b);
}

static __always_inline void emit_pipe(struct pt_regs *r, long ret, int two)
{
	__s32 fds[2] = { -1, -1 };
	__u64 ino = 0;
	struct evb b;

	if (bpf_probe_read_user(fds, sizeof(fds), (void *)sarg(r, 0)))
		fds[0] = fds[1] = -1;
	if (ret == 0) {
		struct file *f = fd_file(fds[0]);

		ino = BPF_CORE_READ(f, f_inode, i_ino);
	}
	if (!evb_begin(&b, two ? PPME_SYSCALL_PIPE2_X : PPME_SYSCALL_PIPE_X, two ? 5 : 4))
		return;
	put_u64(&b, ret);
	put_u64(&b, (__s64)fds[0]);
	put_u64(&b, (__s64)fds[1]);
	put_u64(&b, ino);
	if (two) {
		__s32 f = sarg(r, 1);
		__u32 s = 0;

		if (f >= 0) {
			if (f & 0x80000) s |= PPM_O_CLOEXEC;
			if (f & 0x4000) s |= PPM_O_DIRECT;
			if (f & 0x800) s |= PPM_O_NONBLOCK;
		}
		put_u32(&b, s);
	}
	evb_submit(&b);
}

EXIT_FILLER(pipe)
{
	emit_pipe(r, ret, 0);
}

EXIT_FILLER(pipe2)
{
	emit_pipe(r, ret, 1);
}

EXIT_FILLER(dup)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_DUP_1_X, 2))
		return;
	put_fd(&b, ret);
	put_fd(&b, sarg(r, 0));
	evb_submit(&b);
}

EXIT_FILLER(dup2)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_DUP2_X, 3))
		return;
	put_fd(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_fd(&b, sarg(r, 1));
	evb_submit(&b);
}

EXIT_FILLER(dup3)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_DUP3_X, 4))
		return;
	put_fd(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_fd(&b, sarg(r, 1));
	put_u32(&b, (sarg(r, 2) & 0x80000) ? PPM_O_CLOEXEC : 0);
	evb_submit(&b);
}

/* §5.5 fcntl commands. */
static __always_inline __u8 fcntl_cmd_to_scap(__u32 c)
{
	switch (c) {
	case 0: return 1;
	case 1: return 2;
	case 2: return 3;
	case 3: return 4;
	case 4: return 5;
	case 5: return 6;
	case 6: return 8;
	case 7: return 9;
	case 8: return 10;
	case 9: return 12;
	case 10: return 13;
	case 11: return 15;
	case 15: return 21;
	case 16: return 22;
	case 0x400: return 23;
	case 0x401: return 24;
	case 0x405: return 25;
	case 0x406: return 26;
	case 0x402: return 27;
	case 0x407: return 28;
	case 0x408: return 29;
	case 0x24: return 30;
	case 0x25: return 31;
	case 0x26: return 32;
	default: return 0;
	}
}

EXIT_FILLER(fcntl)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_FCNTL_X, 4))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u8(&b, fcntl_cmd_to_scap(sarg(r, 1)));
	put_u64(&b, sarg(r, 2));
	evb_submit(&b);
}

EXIT_FILLER(memfd_create)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_MEMFD_CREATE_X, 3))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, sarg(r, 1) & 7);
	evb_submit(&b);
}

EXIT_FILLER(userfaultfd)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_USERFAULTFD_X, 2))
		return;
	put_u64(&b, ret);
	put_u32(&b, sarg(r, 0));
	evb_submit(&b);
}

#endif /* PEREGRINE_BPF_FILLERS_IO_H */
