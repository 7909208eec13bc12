// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * sys_enter/sys_exit dispatch and the syscall fillers (event-schema.md 3.2 -
 * 3.6).  sys_enter only produces the TOCTOU enter events of open, openat,
 * openat2, creat and connect; every other syscall is one exit event, either
 * its own (here, in prg_io.c, prg_misc.c, prg_fs.c, prg_sec.c, prg_fdc.c,
 * prg_move.c or prg_lim.c) or GENERIC_X.
 */
#include <linux/syscalls.h>
#include <linux/uaccess.h>
#include <linux/openat2.h>
#include <linux/file.h>
#include <net/sock.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#include "prg.h"
#include "peregrine/ppm_sc.h"

/* Native syscall number -> PPM_SC code (0 when the reference has none). */
static const u16 prg_nr_to_sc[PRG_SYSCALL_BITS] = {
#define PRG_SC(code, name, nr) [(nr) >= 0 && (nr) < PRG_SYSCALL_BITS ? (nr) : 0] = (nr) >= 0 ? (code) : 0,
	PRG_PPM_SC_TABLE
#undef PRG_SC
};

static u32 prg_resolve_flags(u64 r)
{
	return ((r & RESOLVE_BENEATH) ? 0x1 : 0) | ((r & RESOLVE_IN_ROOT) ? 0x2 : 0) |
	       ((r & RESOLVE_NO_MAGICLINKS) ? 0x4 : 0) | ((r & RESOLVE_NO_SYMLINKS) ? 0x8 : 0) |
	       ((r & RESOLVE_NO_XDEV) ? 0x10 : 0) | ((r & RESOLVE_CACHED) ? 0x20 : 0);
}

static bool prg_interested(long nr)
{
	return nr >= 0 && nr < PRG_SYSCALL_BITS && test_bit(nr, prg.interest);
}

static void prg_emit_open_enter(unsigned long *a, long nr)
{
	struct prg_evt e;
	struct open_how how = {};
	u32 f;

	switch (nr) {
	case __NR_open:
		if (prg_evt_begin(&e, PPME_SYSCALL_OPEN_E, 3))
			return;
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_u32(&e, prg_open_flags(a[1]));
		prg_put_u32(&e, prg_open_mode(a[1], a[2]));
		break;
	case __NR_openat:
		if (prg_evt_begin(&e, PPME_SYSCALL_OPENAT_2_E, 4))
			return;
		prg_put_dirfd(&e, a[0]);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		prg_put_u32(&e, prg_open_flags(a[2]));
		prg_put_u32(&e, prg_open_mode(a[2], a[3]));
		break;
	case __NR_openat2:
		if (a[2] && copy_from_user_nofault(&how, (const void __user *)a[2],
						   min_t(unsigned long, a[3], sizeof(how))))
			memset(&how, 0, sizeof(how));
		f = (u32)how.flags;
		if (prg_evt_begin(&e, PPME_SYSCALL_OPENAT2_E, 5))
			return;
		prg_put_dirfd(&e, a[0]);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		prg_put_u32(&e, prg_open_flags(f));
		prg_put_u32(&e, prg_open_mode(f, how.mode));
		prg_put_u32(&e, prg_resolve_flags(how.resolve));
		break;
	case __NR_creat:
		if (prg_evt_begin(&e, PPME_SYSCALL_CREAT_E, 2))
			return;
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_u32(&e, prg_open_mode(O_CREAT, a[1]));
		break;
	case __NR_connect:
		if (prg_evt_begin(&e, PPME_SOCKET_CONNECT_E, 2))
			return;
		prg_put_fd(&e, a[0]);
		prg_put_sockaddr(&e, a[1], a[2]);
		break;
	default:
		return;
	}
	prg_evt_commit(&e);
}

void prg_sys_enter(struct pt_regs *regs, long id)
{
	unsigned long a[6];

	if (!prg_traced() || !prg_interested(id))
		return;
	switch (id) {
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
	case __NR_creat:
	case __NR_connect:
		syscall_get_arguments(current, regs, a);
		prg_emit_open_enter(a, id);
		break;
	default:
		break;
	}
}

static void prg_emit_generic(long nr)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_GENERIC_X, 2))
		return;
	prg_put_u16(&e, prg_nr_to_sc[nr]);
	prg_put_u16(&e, nr);
	prg_evt_commit(&e);
}

static void prg_emit_open_exit(unsigned long *a, long nr, long ret)
{
	struct open_how how = {};
	struct prg_evt e;
	u32 f, created = 0;

	switch (nr) {
	case __NR_open:
		if (prg_evt_begin(&e, PPME_SYSCALL_OPEN_X, 6))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		f = a[1];
		break;
	case __NR_openat:
		if (prg_evt_begin(&e, PPME_SYSCALL_OPENAT_2_X, 7))
			return;
		prg_put_u64(&e, ret);
		prg_put_dirfd(&e, a[0]);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		f = a[2];
		a[2] = a[3];	/* mode where open has it */
		a[1] = f;
		break;
	case __NR_openat2:
		if (a[2] && copy_from_user_nofault(&how, (const void __user *)a[2],
						   min_t(unsigned long, a[3], sizeof(how))))
			memset(&how, 0, sizeof(how));
		if (prg_evt_begin(&e, PPME_SYSCALL_OPENAT2_X, 8))
			return;
		prg_put_u64(&e, ret);
		prg_put_dirfd(&e, a[0]);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		f = (u32)how.flags;
		a[2] = how.mode;
		break;
	case __NR_creat: {
		u32 dev = 0;

		if (prg_evt_begin(&e, PPME_SYSCALL_CREAT_X, 6))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_u32(&e, prg_open_mode(O_CREAT, a[1]));
		prg_put_file_dev_ino(&e, ret, &dev);
		prg_put_u16(&e, 0);
		prg_evt_commit(&e);
		return;
	}
	default:
		return;
	}
	/* flags carry FMODE_CREATED, known only once the file exists: reserve. */
	{
		u8 *flags_at = prg_evt_dst(&e);

		prg_put_u32(&e, prg_open_flags(f));
		prg_put_u32(&e, prg_open_mode(f, a[2]));
		if (nr == __NR_openat2)
			prg_put_u32(&e, prg_resolve_flags(how.resolve));
		prg_put_file_dev_ino(&e, ret, &created);
		if (!e.overflow)
			put_unaligned_le32(prg_open_flags(f) | created, flags_at);
	}
	prg_evt_commit(&e);
}

/* res + one string path argument. */
void prg_emit_path1(u16 code, long ret, unsigned long p)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, 2))
		return;
	prg_put_u64(&e, ret);
	prg_put_ustr(&e, p, PRG_MAX_PATH);
	prg_evt_commit(&e);
}

static void prg_emit_rename(unsigned long *a, long nr, long ret)
{
	struct prg_evt e;

	if (nr == __NR_rename) {
		if (prg_evt_begin(&e, PPME_SYSCALL_RENAME_X, 3))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		prg_evt_commit(&e);
		return;
	}
	if (prg_evt_begin(&e, nr == __NR_renameat ? PPME_SYSCALL_RENAMEAT_X : PPME_SYSCALL_RENAMEAT2_X,
			  nr == __NR_renameat ? 5 : 6))
		return;
	prg_put_u64(&e, ret);
	prg_put_dirfd(&e, a[0]);
	prg_put_ustr(&e, a[1], PRG_MAX_PATH);
	prg_put_dirfd(&e, a[2]);
	prg_put_ustr(&e, a[3], PRG_MAX_PATH);
	if (nr == __NR_renameat2)
		prg_put_u32(&e, a[4]);
	prg_evt_commit(&e);
}

/* res, dirfd, path, u32 (mkdirat mode / unlinkat flags / fchmodat mode). */
static void prg_emit_at3(u16 code, unsigned long *a, long ret, u32 last)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_dirfd(&e, a[0]);
	prg_put_ustr(&e, a[1], PRG_MAX_PATH);
	prg_put_u32(&e, last);
	prg_evt_commit(&e);
}

static void prg_emit_rw(u16 code, unsigned long *a, long ret, bool is_write)
{
	u32 n = 0, snap = READ_ONCE(prg.snaplen);
	struct prg_evt e;

	if (ret > 0)
		n = min_t(u64, ret, snap);
	else if (is_write)
		n = min_t(u64, a[2], snap);
	if (prg_evt_begin(&e, code, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_ubuf(&e, a[1], n);
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, a[2]);
	prg_evt_commit(&e);
}

static void prg_emit_accept(unsigned long *a, long nr, long ret)
{
	u32 qlen = 0, qmax = 0;
	struct socket *sock;
	struct prg_evt e;
	struct file *f;
	u8 pct = 0;

	f = ret >= 0 ? fget((int)a[0]) : NULL;
	if (f) {
		sock = sock_from_file(f);
		if (sock && sock->sk) {
			qlen = READ_ONCE(sock->sk->sk_ack_backlog);
			qmax = READ_ONCE(sock->sk->sk_max_ack_backlog);
		}
		fput(f);
	}
	if (qlen && qmax)
		pct = (u8)((u64)qlen * 100 / qmax);
	if (prg_evt_begin(&e, nr == __NR_accept ? PPME_SOCKET_ACCEPT_5_X : PPME_SOCKET_ACCEPT4_6_X,
			  nr == __NR_accept ? 5 : 6))
		return;
	prg_put_u64(&e, ret);
	if (ret >= 0)
		prg_put_socktuple(&e, ret, true);
	else
		prg_put_empty(&e);
	prg_put_u8(&e, pct);
	prg_put_u32(&e, qlen);
	prg_put_u32(&e, qmax);
	if (nr == __NR_accept4)
		prg_put_u32(&e, prg_sock_flags(a[3]));
	prg_evt_commit(&e);
}

static void prg_emit_net(unsigned long *a, long nr, long ret)
{
	struct prg_evt e;

	switch (nr) {
	case __NR_socket:
		if (prg_evt_begin(&e, PPME_SOCKET_SOCKET_X, 5))
			return;
		prg_put_u64(&e, ret);
		prg_put_u32(&e, prg_socket_family(a[0]));
		prg_put_u32(&e, a[1]);
		prg_put_u32(&e, a[2]);
		prg_put_u32(&e, prg_sock_flags(a[1]));
		break;
	case __NR_connect:
		if (prg_evt_begin(&e, PPME_SOCKET_CONNECT_X, 4))
			return;
		prg_put_u64(&e, ret);
		if (ret == 0 || ret == -EINPROGRESS)
			prg_put_socktuple(&e, (int)a[0], false);
		else
			prg_put_empty(&e);
		prg_put_fd(&e, a[0]);
		prg_put_sockaddr(&e, a[1], a[2]);
		break;
	case __NR_bind:
		if (prg_evt_begin(&e, PPME_SOCKET_BIND_X, 3))
			return;
		prg_put_u64(&e, ret);
		prg_put_sockaddr(&e, a[1], a[2]);
		prg_put_fd(&e, a[0]);
		break;
	case __NR_listen:
		if (prg_evt_begin(&e, PPME_SOCKET_LISTEN_X, 3))
			return;
		prg_put_u64(&e, ret);
		prg_put_fd(&e, a[0]);
		prg_put_u32(&e, (u32)(s32)a[1]);
		break;
	default:
		return;
	}
	prg_evt_commit(&e);
}

static void prg_emit_id(u16 code, long ret, unsigned long id)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, 2))
		return;
	prg_put_u64(&e, ret);
	prg_put_u32(&e, (u32)id);
	prg_evt_commit(&e);
}

static void prg_emit_fd_mode(u16 code, unsigned long *a, long ret, bool mode)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, mode ? 3 : 2))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	if (mode)
		prg_put_u32(&e, a[1] & 07777);
	prg_evt_commit(&e);
}

void prg_sys_exit(struct pt_regs *regs, long ret)
{
	long nr = syscall_get_nr(current, regs);
	unsigned long a[6];

	if (!prg_traced() || !prg_interested(nr))
		return;
	syscall_get_arguments(current, regs, a);
	switch (nr) {
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
	case __NR_creat:
		prg_emit_open_exit(a, nr, ret);
		break;
	case __NR_close:
		prg_emit_fd_mode(PPME_SYSCALL_CLOSE_X, a, ret, false);
		break;
	case __NR_read:
		prg_emit_rw(PPME_SYSCALL_READ_X, a, ret, false);
		break;
	case __NR_write:
		prg_emit_rw(PPME_SYSCALL_WRITE_X, a, ret, true);
		break;
	case __NR_socket:
	case __NR_connect:
	case __NR_bind:
	case __NR_listen:
		prg_emit_net(a, nr, ret);
		break;
	case __NR_accept:
	case __NR_accept4:
		prg_emit_accept(a, nr, ret);
		break;
	case __NR_rename:
	case __NR_renameat:
	case __NR_renameat2:
		prg_emit_rename(a, nr, ret);
		break;
	case __NR_unlink:
		prg_emit_path1(PPME_SYSCALL_UNLINK_2_X, ret, a[0]);
		break;
	case __NR_unlinkat:
		prg_emit_at3(PPME_SYSCALL_UNLINKAT_2_X, a, ret, a[2] & PPM_AT_REMOVEDIR);
		break;
	case __NR_rmdir:
		prg_emit_path1(PPME_SYSCALL_RMDIR_2_X, ret, a[0]);
		break;
	case __NR_mkdir: {
		struct prg_evt e;

		if (prg_evt_begin(&e, PPME_SYSCALL_MKDIR_2_X, 3))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_u32(&e, a[1]);
		prg_evt_commit(&e);
		break;
	}
	case __NR_mkdirat:
		prg_emit_at3(PPME_SYSCALL_MKDIRAT_X, a, ret, a[2]);
		break;
	case __NR_chmod: {
		struct prg_evt e;

		if (prg_evt_begin(&e, PPME_SYSCALL_CHMOD_X, 3))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_u32(&e, a[1] & 07777);
		prg_evt_commit(&e);
		break;
	}
	case __NR_fchmod:
		prg_emit_fd_mode(PPME_SYSCALL_FCHMOD_X, a, ret, true);
		break;
	case __NR_fchmodat:
		prg_emit_at3(PPME_SYSCALL_FCHMODAT_X, a, ret, a[2] & 07777);
		break;
	case __NR_setuid:
		prg_emit_id(PPME_SYSCALL_SETUID_X, ret, a[0]);
		break;
	case __NR_setgid:
		prg_emit_id(PPME_SYSCALL_SETGID_X, ret, a[0]);
		break;
	case __NR_clone:
		prg_emit_clone(PPME_SYSCALL_CLONE_20_X, ret, prg_clone_flags(a[0]));
		break;
	case __NR_clone3: {
		u64 flags = 0;

		if (!a[0] || copy_from_user_nofault(&flags, (const void __user *)a[0], sizeof(flags)))
			flags = 0;
		prg_emit_clone(PPME_SYSCALL_CLONE3_X, ret, prg_clone_flags(flags));
		break;
	}
	case __NR_fork:
		prg_emit_clone(PPME_SYSCALL_FORK_20_X, ret, 0);
		break;
	case __NR_vfork:
		prg_emit_clone(PPME_SYSCALL_VFORK_20_X, ret, 0);
		break;
	case __NR_execve:
		prg_emit_exec_failure(regs, ret, false);
		break;
	case __NR_execveat:
		prg_emit_exec_failure(regs, ret, true);
		break;
	default:
		if (!prg_emit_io(a, nr, ret) && !prg_emit_misc(a, nr, ret) &&
		    !prg_emit_fs(a, nr, ret) && !prg_emit_sec(a, nr, ret) &&
		    !prg_emit_fdc(a, nr, ret) && !prg_emit_move(a, nr, ret) &&
		    !prg_emit_lim(a, nr, ret))
			prg_emit_generic(nr);
		break;
	}
}
