// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Exit fillers for the single-fd creators the state tables track (eventfd,
 * eventfd2, signalfd, signalfd4, timerfd_create, inotify_init,
 * inotify_init1, epoll_create, epoll_create1), for close_range, and for
 * io_uring_enter/io_uring_register, which read a sigset as signalfd does
 * (event-table.md codes 63, 127, 137, 139, 341, 343, 375, 377, 395, 397,
 * 399, 451).
 * Parameters and conversions are those of the eBPF probe
 * (kmod/bpf/fillers_fdc.h), so both drivers give the same events.
 */
#include <linux/fcntl.h>
#include <linux/uaccess.h>
#include <uapi/linux/io_uring.h>
#include <asm/unistd.h>
#include "prg.h"

/* Native close_range flags (include/uapi/linux/close_range.h). */
#define PRG_NATIVE_CLOSE_RANGE_UNSHARE (1U << 1)
#define PRG_NATIVE_CLOSE_RANGE_CLOEXEC (1U << 2)

/*
 * The first 32 bits of the user's sigset_t (signals 1-32), 0 when it is
 * NULL or unreadable.
 */
static u32 prg_sigmask_lo(unsigned long uptr)
{
	u32 m = 0;

	if (uptr && copy_from_user_nofault(&m, (const void __user *)uptr, sizeof(m)))
		m = 0;
	return m;
}

/* (res, initval, flags): eventfd has no flags argument. */
static void prg_emit_eventfd(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_EVENTFD_X, 3))
		return;
	prg_put_fd(&e, ret);
	prg_put_u64(&e, (u32)a[0]);
	prg_put_u32(&e, 0);
	prg_evt_commit(&e);
}

/*
 * (res, flags, initval): EFD_NONBLOCK/EFD_CLOEXEC are the O_ (and SOCK_)
 * bits, written as file_flags; EFD_SEMAPHORE has no file_flags bit.
 */
static void prg_emit_eventfd2(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_EVENTFD2_X, 3))
		return;
	prg_put_fd(&e, ret);
	prg_put_u16(&e, prg_sock_flags(a[1]));
	prg_put_u64(&e, (u32)a[0]);
	prg_evt_commit(&e);
}

/* (res, fd, mask, flags): signalfd has no flags argument. */
static void prg_emit_signalfd(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_SIGNALFD_X, 4))
		return;
	prg_put_fd(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, prg_sigmask_lo(a[1]));
	prg_put_u8(&e, 0);
	prg_evt_commit(&e);
}

/* (res, flags, fd, mask): SFD_NONBLOCK/SFD_CLOEXEC as file_flags. */
static void prg_emit_signalfd4(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_SIGNALFD4_X, 4))
		return;
	prg_put_fd(&e, ret);
	prg_put_u16(&e, prg_sock_flags(a[3]));
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, prg_sigmask_lo(a[1]));
	prg_evt_commit(&e);
}

/*
 * (res, clockid, flags), both PT_UINT8 with no table: the low byte of each
 * argument, so TFD_NONBLOCK (0x800) and TFD_CLOEXEC (0x80000) read as 0.
 */
static void prg_emit_timerfd_create(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_TIMERFD_CREATE_X, 3))
		return;
	prg_put_fd(&e, ret);
	prg_put_u8(&e, a[0]);
	prg_put_u8(&e, a[1]);
	prg_evt_commit(&e);
}

/* (res, flags): inotify_init has no flags argument; inotify_init1's as file_flags. */
static void prg_emit_inotify(u16 code, u32 flags, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, 2))
		return;
	prg_put_fd(&e, ret);
	if (code == PPME_SYSCALL_INOTIFY_INIT_X)
		prg_put_u8(&e, 0);
	else
		prg_put_u16(&e, prg_sock_flags(flags));
	prg_evt_commit(&e);
}

/* (res, size) and (res, flags): EPOLL_CLOEXEC (O_CLOEXEC) is the only flag. */
static void prg_emit_epoll_create(u16 code, u32 arg, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, 2))
		return;
	prg_put_u64(&e, ret);
	if (code == PPME_SYSCALL_EPOLL_CREATE_X)
		prg_put_u32(&e, arg);
	else
		prg_put_u32(&e, (arg & O_CLOEXEC) ? PRG_EPOLL_CLOEXEC : 0);
	prg_evt_commit(&e);
}

/* (res, first, last, flags). */
static void prg_emit_close_range(unsigned long *a, long ret)
{
	struct prg_evt e;
	u32 f = 0;

	if (a[2] & PRG_NATIVE_CLOSE_RANGE_UNSHARE)
		f |= PRG_CLOSE_RANGE_UNSHARE;
	if (a[2] & PRG_NATIVE_CLOSE_RANGE_CLOEXEC)
		f |= PRG_CLOSE_RANGE_CLOEXEC;
	if (prg_evt_begin(&e, PPME_SYSCALL_CLOSE_RANGE_X, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_u32(&e, a[0]);
	prg_put_u32(&e, a[1]);
	prg_put_u32(&e, f);
	prg_evt_commit(&e);
}

/*
 * (res, fd, to_submit, min_complete, flags, sig): IORING_ENTER_GETEVENTS,
 * SQ_WAKEUP, SQ_WAIT and EXT_ARG keep their bits (newer ones have no scap
 * value); sig is the first 32 bits of the sigset at arg 4, unless arg 4 is
 * an EXT_ARG struct (then 0).
 */
static void prg_emit_io_uring_enter(unsigned long *a, long ret)
{
	struct prg_evt e;
	u32 f = 0;

	if (a[3] & IORING_ENTER_GETEVENTS)
		f |= PRG_IORING_ENTER_GETEVENTS;
	if (a[3] & IORING_ENTER_SQ_WAKEUP)
		f |= PRG_IORING_ENTER_SQ_WAKEUP;
	if (a[3] & IORING_ENTER_SQ_WAIT)
		f |= PRG_IORING_ENTER_SQ_WAIT;
	if (a[3] & IORING_ENTER_EXT_ARG)
		f |= PRG_IORING_ENTER_EXT_ARG;
	if (prg_evt_begin(&e, PPME_SYSCALL_IO_URING_ENTER_X, 6))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, a[1]);
	prg_put_u32(&e, a[2]);
	prg_put_u32(&e, f);
	prg_put_u32(&e, (f & PRG_IORING_ENTER_EXT_ARG) ? 0 : prg_sigmask_lo(a[4]));
	prg_evt_commit(&e);
}

/* (res, fd, opcode, arg, nr_args): the opcode is the native number. */
static void prg_emit_io_uring_register(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_IO_URING_REGISTER_X, 5))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_u16(&e, a[1]);
	prg_put_u64(&e, a[2]);
	prg_put_u32(&e, a[3]);
	prg_evt_commit(&e);
}

bool prg_emit_fdc(unsigned long *a, long nr, long ret)
{
	switch (nr) {
	case __NR_eventfd:
		prg_emit_eventfd(a, ret);
		break;
	case __NR_eventfd2:
		prg_emit_eventfd2(a, ret);
		break;
	case __NR_signalfd:
		prg_emit_signalfd(a, ret);
		break;
	case __NR_signalfd4:
		prg_emit_signalfd4(a, ret);
		break;
	case __NR_timerfd_create:
		prg_emit_timerfd_create(a, ret);
		break;
	case __NR_inotify_init:
		prg_emit_inotify(PPME_SYSCALL_INOTIFY_INIT_X, 0, ret);
		break;
	case __NR_inotify_init1:
		prg_emit_inotify(PPME_SYSCALL_INOTIFY_INIT1_X, a[0], ret);
		break;
	case __NR_epoll_create:
		prg_emit_epoll_create(PPME_SYSCALL_EPOLL_CREATE_X, a[0], ret);
		break;
	case __NR_epoll_create1:
		prg_emit_epoll_create(PPME_SYSCALL_EPOLL_CREATE1_X, a[0], ret);
		break;
	case __NR_close_range:
		prg_emit_close_range(a, ret);
		break;
	case __NR_io_uring_enter:
		prg_emit_io_uring_enter(a, ret);
		break;
	case __NR_io_uring_register:
		prg_emit_io_uring_register(a, ret);
		break;
	default:
		return false;
	}
	return true;
}
