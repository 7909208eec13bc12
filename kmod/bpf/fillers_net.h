/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for sockets (event-schema.md §3.3) and credentials (§3.7).
 */
#ifndef PEREGRINE_BPF_FILLERS_NET_H
#define PEREGRINE_BPF_FILLERS_NET_H

#define EINPROGRESS_ 115

EXIT_FILLER(socket)
{
	struct evb b;
	__u32 type = sarg(r, 1);

	if (!evb_begin(&b, PPME_SOCKET_SOCKET_X, 5))
		return;
	put_u64(&b, ret);
	put_u32(&b, socket_family_to_scap(sarg(r, 0)));
	put_u32(&b, type);
	put_u32(&b, sarg(r, 2));
	put_u32(&b, sock_flags_to_scap(type));
	evb_submit(&b);
}

EXIT_FILLER(connect)
{
	__s64 fd = (__s32)sarg(r, 0);
	struct evb b;

	if (!evb_begin(&b, PPME_SOCKET_CONNECT_X, 4))
		return;
	put_u64(&b, ret);
	if (ret == 0 || ret == -EINPROGRESS_)
		put_socktuple(&b, fd, 0);
	else
		put_empty(&b);
	put_u64(&b, fd);
	put_usockaddr(&b, (void *)sarg(r, 1), sarg(r, 2));
	evb_submit(&b);
}

/* accept and accept4 share params 0..4. */
static __always_inline void put_accept(struct evb *b, struct pt_regs *r, long ret)
{
	struct sock *lsk = fd_sock((__s32)sarg(r, 0));
	__u32 qlen = 0, qmax = 0;

	put_u64(b, ret);
	if (ret >= 0)
		put_socktuple(b, ret, 1);
	else
		put_empty(b);
	if (ret >= 0 && lsk) {
		qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
		qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	}
	put_u8(b, qlen && qmax ? (__u8)((__u64)qlen * 100 / qmax) : 0);
	put_u32(b, qlen);
	put_u32(b, qmax);
}

EXIT_FILLER(accept)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SOCKET_ACCEPT_5_X, 5))
		return;
	put_accept(&b, r, ret);
	evb_submit(&b);
}

EXIT_FILLER(accept4)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SOCKET_ACCEPT4_6_X, 6))
		return;
	put_accept(&b, r, ret);
	put_u32(&b, sock_flags_to_scap(sarg(r, 3)));
	evb_submit(&b);
}

EXIT_FILLER(bind)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SOCKET_BIND_X, 3))
		return;
	put_u64(&b, ret);
	put_usockaddr(&b, (void *)sarg(r, 1), sarg(r, 2));
	put_fd(&b, sarg(r, 0));
	evb_submit(&b);
}

EXIT_FILLER(listen)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SOCKET_LISTEN_X, 3))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sarg(r, 1));
	evb_submit(&b);
}

EXIT_FILLER(shutdown)
{
	__u32 how = sarg(r, 1);
	struct evb b;

	if (!evb_begin(&b, PPME_SOCKET_SHUTDOWN_X, 3))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u8(&b, how <= 2 ? how : 0xff);
	evb_submit(&b);
}

/* Events of the form (res, u32 id arg 0): setuid, setgid. */
#define ID_FILLER(name, code)				\
	EXIT_FILLER(name)				\
	{						\
		struct evb b;				\
		if (!evb_begin(&b, code, 2))		\
			return;				\
		put_u64(&b, ret);			\
		put_u32(&b, sarg(r, 0));		\
		evb_submit(&b);				\
	}

ID_FILLER(setuid, PPME_SYSCALL_SETUID_X)
ID_FILLER(setgid, PPME_SYSCALL_SETGID_X)

/* setresuid/setresgid: (res, r, e, s). */
#define RES_ID_FILLER(name, code)			\
	EXIT_FILLER(name)				\
	{						\
		struct evb b;				\
		if (!evb_begin(&b, code, 4))		\
			return;				\
		put_u64(&b, ret);			\
		put_u32(&b, sarg(r, 0));		\
		put_u32(&b, sarg(r, 1));		\
		put_u32(&b, sarg(r, 2));		\
		evb_submit(&b);				\
	}

RES_ID_FILLER(setresuid, PPME_SYSCALL_SETRESUID_X)
RES_ID_FILLER(setresgid, PPME_SYSCALL_SETRESGID_X)

/* kill/tkill: (res, pid, sig). */
#define KILL_FILLER(name, code)				\
	EXIT_FILLER(name)				\
	{						\
		struct evb b;				\
		if (!evb_begin(&b, code, 3))		\
			return;				\
		put_u64(&b, ret);			\
		put_fd(&b, sarg(r, 0));			\
		put_u8(&b, sarg(r, 1));			\
		evb_submit(&b);				\
	}

KILL_FILLER(kill, PPME_SYSCALL_KILL_X)
KILL_FILLER(tkill, PPME_SYSCALL_TKILL_X)

#endif /* PEREGRINE_BPF_FILLERS_NET_H */
