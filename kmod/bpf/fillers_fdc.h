/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for the single-fd creators the state tables track (eventfd,
 * eventfd2, signalfd, signalfd4, timerfd_create, inotify_init,
 * inotify_init1, epoll_create, epoll_create1), for close_range, and for
 * io_uring_enter/io_uring_register, which read a sigset as signalfd does
 * (event-table.md codes 63, 127, 137, 139, 341, 343, 375, 377, 395, 397,
 * 399, 451).  Needs sock_flags_to_scap (extract.h).
 */
#ifndef PEREGRINE_BPF_FILLERS_FDC_H
#define PEREGRINE_BPF_FILLERS_FDC_H

/*
 * The first 32 bits of the user's sigset_t (signals 1-32), 0 when it is
 * NULL or unreadable.
 */
static __always_inline __u32 sigmask_lo(const void *p)
{
	__u32 m = 0;

	if (p && bpf_probe_read_user(&m, sizeof(m), p))
		m = 0;
	return m;
}

/* (res, initval, flags): eventfd has no flags argument. */
EXIT_FILLER(eventfd)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_EVENTFD_X, 3))
		return;
	put_fd(&b, ret);
	put_u64(&b, (__u32)sarg(r, 0));
	put_u32(&b, 0);
	evb_submit(&b);
}

/*
 * (res, flags, initval): EFD_NONBLOCK/EFD_CLOEXEC are the O_ bits, written
 * as file_flags; EFD_SEMAPHORE has no file_flags bit.
 */
EXIT_FILLER(eventfd2)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_EVENTFD2_X, 3))
		return;
	put_fd(&b, ret);
	put_u16(&b, sock_flags_to_scap(sarg(r, 1)));
	put_u64(&b, (__u32)sarg(r, 0));
	evb_submit(&b);
}

/* (res, fd, mask, flags): signalfd has no flags argument. */
EXIT_FILLER(signalfd)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_SIGNALFD_X, 4))
		return;
	put_fd(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sigmask_lo((const void *)sarg(r, 1)));
	put_u8(&b, 0);
	evb_submit(&b);
}

/* (res, flags, fd, mask): SFD_NONBLOCK/SFD_CLOEXEC as file_flags. */
EXIT_FILLER(signalfd4)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_SIGNALFD4_X, 4))
		return;
	put_fd(&b, ret);
	put_u16(&b, sock_flags_to_scap(sarg(r, 3)));
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sigmask_lo((const void *)sarg(r, 1)));
	evb_submit(&b);
}

/*
 * (res, clockid, flags), both PT_UINT8 with no table: the low byte of each
 * argument, so TFD_NONBLOCK (0x800) and TFD_CLOEXEC (0x80000) read as 0.
 */
EXIT_FILLER(timerfd_create)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_TIMERFD_CREATE_X, 3))
		return;
	put_fd(&b, ret);
	put_u8(&b, sarg(r, 0));
	put_u8(&b, sarg(r, 1));
	evb_submit(&b);
}

/* (res, flags): inotify_init has no flags argument. */
EXIT_FILLER(inotify_init)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_INOTIFY_INIT_X, 2))
		return;
	put_fd(&b, ret);
	put_u8(&b, 0);
	evb_submit(&b);
}

/* (res, flags): IN_NONBLOCK/IN_CLOEXEC as file_flags. */
EXIT_FILLER(inotify_init1)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_INOTIFY_INIT1_X, 2))
		return;
	put_fd(&b, ret);
	put_u16(&b, sock_flags_to_scap(sarg(r, 0)));
	evb_submit(&b);
}

/* (res, size). */
EXIT_FILLER(epoll_create)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_EPOLL_CREATE_X, 2))
		return;
	put_u64(&b, ret);
	put_u32(&b, sarg(r, 0));
	evb_submit(&b);
}

/* (res, flags): EPOLL_CLOEXEC (O_CLOEXEC) is the only flag. */
EXIT_FILLER(epoll_create1)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_EPOLL_CREATE1_X, 2))
		return;
	put_u64(&b, ret);
	put_u32(&b, (sarg(r, 0) & 0x80000) ? PRG_EPOLL_CLOEXEC : 0);
	evb_submit(&b);
}

/* (res, first, last, flags). */
EXIT_FILLER(close_range)
{
	__u32 f = sarg(r, 2), s = 0;
	struct evb b;

	if (f & 0x2) /* CLOSE_RANGE_UNSHARE */
		s |= PRG_CLOSE_RANGE_UNSHARE;
	if (f & 0x4) /* CLOSE_RANGE_CLOEXEC */
		s |= PRG_CLOSE_RANGE_CLOEXEC;
	if (!evb_begin(&b, PPME_SYSCALL_CLOSE_RANGE_X, 4))
		return;
	put_u64(&b, ret);
	put_u32(&b, sarg(r, 0));
	put_u32(&b, sarg(r, 1));
	put_u32(&b, s);
	evb_submit(&b);
}

/*
 * (res, fd, to_submit, min_complete, flags, sig): IORING_ENTER_GETEVENTS,
 * SQ_WAKEUP, SQ_WAIT and EXT_ARG keep their bits (newer ones have no scap
 * value); sig is the first 32 bits of the sigset at arg 4, unless arg 4 is
 * an EXT_ARG struct (then 0).
 */
EXIT_FILLER(io_uring_enter)
{
	__u32 f = sarg(r, 3), s = 0;
	struct evb b;

	if (f & 0x1)
		s |= PRG_IORING_ENTER_GETEVENTS;
	if (f & 0x2)
		s |= PRG_IORING_ENTER_SQ_WAKEUP;
	if (f & 0x4)
		s |= PRG_IORING_ENTER_SQ_WAIT;
	if (f & 0x8)
		s |= PRG_IORING_ENTER_EXT_ARG;
	if (!evb_begin(&b, PPME_SYSCALL_IO_URING_ENTER_X, 6))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sarg(r, 1));
	put_u32(&b, sarg(r, 2));
	put_u32(&b, s);
	put_u32(&b, (f & 0x8) ? 0 : sigmask_lo((const void *)sarg(r, 4)));
	evb_submit(&b);
}

/* (res, fd, opcode, arg, nr_args): the opcode is the native number. */
EXIT_FILLER(io_uring_register)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_IO_URING_REGISTER_X, 5))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u16(&b, sarg(r, 1));
	put_u64(&b, sarg(r, 2));
	put_u32(&b, sarg(r, 3));
	evb_submit(&b);
}

#endif /* PEREGRINE_BPF_FILLERS_FDC_H */
