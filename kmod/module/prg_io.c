// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Exit fillers for fd plumbing and I/O beyond read/write (event-schema.md
 * 3.2 - 3.4): dup*, fcntl, pipe*, socketpair, memfd_create, userfaultfd, bpf,
 * vectored and positioned I/O, send/recv, shutdown.  Parameters and
 * conversions are those of the eBPF probe (kmod/bpf/fillers_io.h,
 * fillers_fs.h, fillers_net.h), so both drivers give the same events.
 */
#include <linux/file.h>
#include <linux/fcntl.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <net/af_unix.h>
#include <asm/unistd.h>
#include "prg.h"

/* Payload bytes kept of a read-like (in) or write-like (out) call. */
static u32 prg_data_len(long ret, u64 count, bool out)
{
	u64 n = ret > 0 ? ret : (out ? count : 0);

	return min_t(u64, n, READ_ONCE(prg.snaplen));
}

static void prg_emit_prw(unsigned long *a, long ret, bool out)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, out ? PPME_SYSCALL_PWRITE_X : PPME_SYSCALL_PREAD_X, 5))
		return;
	prg_put_u64(&e, ret);
	prg_put_ubuf(&e, a[1], prg_data_len(ret, a[2], out));
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, a[2]);
	prg_put_u64(&e, a[3]);
	prg_evt_commit(&e);
}

/*
 * readv and preadv: (res, size, data, fd[, pos]); data is what the call
 * read, at most snaplen bytes, empty unless res > 0. pos is arg 3 (pos_l,
 * all of it on 64-bit).
 */
void prg_emit_readv(u16 code, unsigned long *a, long ret, bool pos)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, pos ? 5 : 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_u32(&e, ret > 0 ? ret : 0);
	if (ret > 0)
		prg_put_iov(&e, a[1], a[2], ret);
	else
		prg_put_empty(&e);
	prg_put_fd(&e, a[0]);
	if (pos)
		prg_put_u64(&e, a[3]);
	prg_evt_commit(&e);
}

/* writev and pwritev: (res, data, fd, size[, pos]). */
void prg_emit_writev(u16 code, unsigned long *a, long ret, bool pos)
{
	struct prg_evt e;
	u64 total;

	if (prg_evt_begin(&e, code, pos ? 5 : 4))
		return;
	prg_put_u64(&e, ret);
	total = prg_put_iov(&e, a[1], a[2], ret > 0 ? ret : PRG_MAX_BUF);
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, total);
	if (pos)
		prg_put_u64(&e, a[3]);
	prg_evt_commit(&e);
}

static void prg_emit_sendto(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SOCKET_SENDTO_X, 5))
		return;
	prg_put_u64(&e, ret);
	prg_put_ubuf(&e, a[1], prg_data_len(ret, a[2], true));
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, a[2]);
	if (ret >= 0)
		prg_put_socktuple_to(&e, (int)a[0], false, a[4]);
	else
		prg_put_empty(&e);
	prg_evt_commit(&e);
}

static void prg_emit_recvfrom(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SOCKET_RECVFROM_X, 5))
		return;
	prg_put_u64(&e, ret);
	if (ret >= 0) {
		prg_put_ubuf(&e, a[1], prg_data_len(ret, 0, false));
		prg_put_socktuple_to(&e, (int)a[0], true, a[4]);
	} else {
		prg_put_empty(&e);
		prg_put_empty(&e);
	}
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, a[2]);
	prg_evt_commit(&e);
}

/* The msghdr of sendmsg/recvmsg, as the call left it; false when unreadable. */
static bool prg_read_msghdr(unsigned long uptr, struct user_msghdr *mh)
{
	if (uptr && !copy_from_user_nofault(mh, (const void __user *)uptr, sizeof(*mh)))
		return true;
	memset(mh, 0, sizeof(*mh));
	return false;
}

static void prg_emit_sendmsg(unsigned long *a, long ret)
{
	struct user_msghdr mh;
	struct prg_evt e;
	bool ok = prg_read_msghdr(a[1], &mh);
	u64 total;

	if (prg_evt_begin(&e, PPME_SOCKET_SENDMSG_X, 5))
		return;
	prg_put_u64(&e, ret);
	if (ok) {
		total = prg_put_iov(&e, (unsigned long)mh.msg_iov, mh.msg_iovlen,
				    ret > 0 ? ret : PRG_MAX_BUF);
		prg_put_fd(&e, a[0]);
		prg_put_u32(&e, total);
	} else {
		prg_put_empty(&e);
		prg_put_fd(&e, a[0]);
		prg_put_empty(&e);	/* the eBPF probe leaves size empty too */
	}
	if (ret >= 0)
		prg_put_socktuple_to(&e, (int)a[0], false, (unsigned long)mh.msg_name);
	else
		prg_put_empty(&e);
	prg_evt_commit(&e);
}

static void prg_emit_recvmsg(unsigned long *a, long ret)
{
	struct user_msghdr mh;
	struct prg_evt e;
	bool ok = prg_read_msghdr(a[1], &mh);

	if (prg_evt_begin(&e, PPME_SOCKET_RECVMSG_X, 6))
		return;
	prg_put_u64(&e, ret);
	prg_put_u32(&e, ret >= 0 ? ret : 0);
	if (ret >= 0 && ok) {
		prg_put_iov(&e, (unsigned long)mh.msg_iov, mh.msg_iovlen, ret);
		prg_put_socktuple_to(&e, (int)a[0], true, (unsigned long)mh.msg_name);
		if (mh.msg_controllen > 0 && mh.msg_controllen <= 65535)
			prg_put_ubuf(&e, (unsigned long)mh.msg_control,
				     min_t(u64, mh.msg_controllen, PRG_MAX_BUF));
		else
			prg_put_empty(&e);
	} else {
		prg_put_empty(&e);
		prg_put_empty(&e);
		prg_put_empty(&e);
	}
	prg_put_fd(&e, a[0]);
	prg_evt_commit(&e);
}

static void prg_emit_shutdown(unsigned long *a, long ret)
{
	u32 how = a[1];
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SOCKET_SHUTDOWN_X, 3))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_u8(&e, how <= 2 ? how : 0xff);
	prg_evt_commit(&e);
}

/* The two fds the call wrote at uptr; -1, -1 when unreadable. */
static void prg_read_fd_pair(unsigned long uptr, s32 fds[2])
{
	if (!uptr || copy_from_user_nofault(fds, (const void __user *)uptr, 2 * sizeof(s32)))
		fds[0] = fds[1] = -1;
}

static void prg_emit_socketpair(unsigned long *a, long ret)
{
	s32 sv[2] = { -1, -1 };
	u64 source = 0, peer = 0;
	struct socket *sock;
	struct prg_evt e;
	struct file *f;

	if (ret == 0)
		prg_read_fd_pair(a[3], sv);
	f = sv[0] >= 0 ? fget(sv[0]) : NULL;
	if (f) {
		sock = sock_from_file(f);
		if (sock && sock->sk) {
			source = (u64)sock->sk;
			if (sock->sk->sk_family == AF_UNIX)
				peer = (u64)READ_ONCE(unix_sk(sock->sk)->peer);
		}
		fput(f);
	}
	if (prg_evt_begin(&e, PPME_SOCKET_SOCKETPAIR_X, 8))
		return;
	prg_put_u64(&e, ret);
	prg_put_u64(&e, (s64)sv[0]);
	prg_put_u64(&e, (s64)sv[1]);
	prg_put_u64(&e, source);
	prg_put_u64(&e, peer);
	prg_put_u32(&e, prg_socket_family(a[0]));
	prg_put_u32(&e, a[1]);
	prg_put_u32(&e, a[2]);
	prg_evt_commit(&e);
}

static void prg_emit_pipe(unsigned long *a, long nr, long ret)
{
	bool two = nr == __NR_pipe2;
	s32 fds[2];
	struct prg_evt e;
	struct file *f;
	u64 ino = 0;
	u32 fl = 0;

	prg_read_fd_pair(a[0], fds);
	if (ret == 0 && fds[0] >= 0) {
		f = fget(fds[0]);
		if (f) {
			ino = file_inode(f)->i_ino;
			fput(f);
		}
	}
	if (prg_evt_begin(&e, two ? PPME_SYSCALL_PIPE2_X : PPME_SYSCALL_PIPE_X, two ? 5 : 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_u64(&e, (s64)fds[0]);
	prg_put_u64(&e, (s64)fds[1]);
	prg_put_u64(&e, ino);
	if (two) {
		if ((s32)a[1] >= 0) {
			if (a[1] & O_CLOEXEC)
				fl |= PPM_O_CLOEXEC;
			if (a[1] & O_DIRECT)
				fl |= PPM_O_DIRECT;
			if (a[1] & O_NONBLOCK)
				fl |= PPM_O_NONBLOCK;
		}
		prg_put_u32(&e, fl);
	}
	prg_evt_commit(&e);
}

static void prg_emit_dup(unsigned long *a, long nr, long ret)
{
	u16 nparams = nr == __NR_dup ? 2 : nr == __NR_dup2 ? 3 : 4;
	u16 code = nr == __NR_dup ? PPME_SYSCALL_DUP_1_X :
		   nr == __NR_dup2 ? PPME_SYSCALL_DUP2_X : PPME_SYSCALL_DUP3_X;
	struct prg_evt e;

	if (prg_evt_begin(&e, code, nparams))
		return;
	prg_put_fd(&e, ret);
	prg_put_fd(&e, a[0]);
	if (nr != __NR_dup)
		prg_put_fd(&e, a[1]);
	if (nr == __NR_dup3)
		prg_put_u32(&e, (a[2] & O_CLOEXEC) ? PPM_O_CLOEXEC : 0);
	prg_evt_commit(&e);
}

/* fcntl commands (event-schema.md 5.5); 0 for the ones scap does not name. */
static u8 prg_fcntl_cmd(u32 cmd)
{
	static const struct { u32 native; u8 scap; } map[] = {
		{ F_DUPFD, 1 }, { F_GETFD, 2 }, { F_SETFD, 3 }, { F_GETFL, 4 },
		{ F_SETFL, 5 }, { F_GETLK, 6 }, { F_SETLK, 8 }, { F_SETLKW, 9 },
		{ F_SETOWN, 10 }, { F_GETOWN, 12 }, { F_SETSIG, 13 }, { F_GETSIG, 15 },
		{ F_SETOWN_EX, 21 }, { F_GETOWN_EX, 22 }, { F_SETLEASE, 23 },
		{ F_GETLEASE, 24 }, { F_CANCELLK, 25 }, { F_DUPFD_CLOEXEC, 26 },
		{ F_NOTIFY, 27 }, { F_SETPIPE_SZ, 28 }, { F_GETPIPE_SZ, 29 },
		{ F_OFD_GETLK, 30 }, { F_OFD_SETLK, 31 }, { F_OFD_SETLKW, 32 },
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].native == cmd)
			return map[i].scap;
	return 0;
}

static void prg_emit_fcntl(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_FCNTL_X, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_u8(&e, prg_fcntl_cmd(a[1]));
	prg_put_u64(&e, a[2]);
	prg_evt_commit(&e);
}

static void prg_emit_memfd(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_MEMFD_CREATE_X, 3))
		return;
	prg_put_u64(&e, ret);
	prg_put_ustr(&e, a[0], PRG_MAX_PATH);
	/* MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB keep their bits. */
	prg_put_u32(&e, a[1] & 7);
	prg_evt_commit(&e);
}

/* res and one u32 argument taken as is (userfaultfd flags, bpf cmd). */
static void prg_emit_u32(u16 code, long ret, unsigned long v)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, 2))
		return;
	prg_put_u64(&e, ret);
	prg_put_u32(&e, v);
	prg_evt_commit(&e);
}

bool prg_emit_io(unsigned long *a, long nr, long ret)
{
	switch (nr) {
	case __NR_pread64:
		prg_emit_prw(a, ret, false);
		break;
	case __NR_pwrite64:
		prg_emit_prw(a, ret, true);
		break;
	case __NR_readv:
		prg_emit_readv(PPME_SYSCALL_READV_X, a, ret, false);
		break;
	case __NR_writev:
		prg_emit_writev(PPME_SYSCALL_WRITEV_X, a, ret, false);
		break;
	case __NR_sendto:
		prg_emit_sendto(a, ret);
		break;
	case __NR_recvfrom:
		prg_emit_recvfrom(a, ret);
		break;
	case __NR_sendmsg:
		prg_emit_sendmsg(a, ret);
		break;
	case __NR_recvmsg:
		prg_emit_recvmsg(a, ret);
		break;
	case __NR_shutdown:
		prg_emit_shutdown(a, ret);
		break;
	case __NR_socketpair:
		prg_emit_socketpair(a, ret);
		break;
	case __NR_pipe:
	case __NR_pipe2:
		prg_emit_pipe(a, nr, ret);
		break;
	case __NR_dup:
	case __NR_dup2:
	case __NR_dup3:
		prg_emit_dup(a, nr, ret);
		break;
	case __NR_fcntl:
		prg_emit_fcntl(a, ret);
		break;
	case __NR_memfd_create:
		prg_emit_memfd(a, ret);
		break;
	case __NR_userfaultfd:
		prg_emit_u32(PPME_SYSCALL_USERFAULTFD_X, ret, a[0]);
		break;
	case __NR_bpf:
		prg_emit_u32(PPME_SYSCALL_BPF_2_X, ret, a[0]);
		break;
	default:
		return false;
	}
	return true;
}
