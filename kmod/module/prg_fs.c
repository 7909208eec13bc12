// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Exit fillers for the file-system calls outside prg_syscalls.c: links,
 * nodes, mounts, ownership, access and cwd/root, of event-schema.md
 * section 3. Parameters and conversions are those of the eBPF probe
 * (kmod/bpf/fillers_fs.h, fillers_misc.h).
 */
#include <linux/fcntl.h>
#include <linux/stat.h>
#include <uapi/linux/mount.h>
#include <asm/unistd.h>
#include "prg.h"

/* AT_SYMLINK_FOLLOW and AT_EMPTY_PATH are the linkat/fchownat flags scap keeps. */
#define PRG_AT_KEPT (AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)

/* mknod mode (event-schema.md 5.11): permission bits and the file type. */
static u32 prg_mknod_mode(u32 m)
{
	u32 t = m & S_IFMT, r = m & 07777;

	if (t == S_IFSOCK || t == S_IFBLK || t == S_IFCHR || t == S_IFIFO)
		r |= t;
	else if (t == S_IFREG || t == 0)
		r |= S_IFREG;
	return r;
}

static void prg_emit_mknod(unsigned long *a, long nr, long ret)
{
	bool at = nr == __NR_mknodat;
	struct prg_evt e;

	if (prg_evt_begin(&e, at ? PPME_SYSCALL_MKNODAT_X : PPME_SYSCALL_MKNOD_X, at ? 5 : 4))
		return;
	prg_put_u64(&e, ret);
	if (at)
		prg_put_dirfd(&e, a[0]);
	prg_put_ustr(&e, a[at], PRG_MAX_PATH);
	prg_put_u32(&e, prg_mknod_mode(a[at + 1]));
	/* The user's dev re-encoded as a kernel dev_t would be, as upstream. */
	prg_put_u32(&e, prg_encode_dev((dev_t)(u32)a[at + 2]));
	prg_evt_commit(&e);
}

static void prg_emit_link(unsigned long *a, long nr, long ret)
{
	struct prg_evt e;

	switch (nr) {
	case __NR_link:
	case __NR_symlink:
		if (prg_evt_begin(&e, nr == __NR_link ? PPME_SYSCALL_LINK_2_X : PPME_SYSCALL_SYMLINK_X, 3))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		break;
	case __NR_linkat:
		if (prg_evt_begin(&e, PPME_SYSCALL_LINKAT_2_X, 6))
			return;
		prg_put_u64(&e, ret);
		prg_put_dirfd(&e, a[0]);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		prg_put_dirfd(&e, a[2]);
		prg_put_ustr(&e, a[3], PRG_MAX_PATH);
		prg_put_u32(&e, a[4] & PRG_AT_KEPT);
		break;
	default:	/* symlinkat */
		if (prg_evt_begin(&e, PPME_SYSCALL_SYMLINKAT_X, 4))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_dirfd(&e, a[1]);
		prg_put_ustr(&e, a[2], PRG_MAX_PATH);
		break;
	}
	prg_evt_commit(&e);
}

static void prg_emit_mount(unsigned long *a, long nr, long ret)
{
	struct prg_evt e;
	u32 f;

	if (nr == __NR_umount2) {
		if (prg_evt_begin(&e, PPME_SYSCALL_UMOUNT2_X, 3))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		prg_put_u32(&e, a[1]);
		prg_evt_commit(&e);
		return;
	}
	f = a[3];
	if ((f & MS_MGC_MSK) == MS_MGC_VAL)
		f &= 0xffff;	/* the old magic in the high half carries no flag */
	if (prg_evt_begin(&e, PPME_SYSCALL_MOUNT_X, 5))
		return;
	prg_put_u64(&e, ret);
	prg_put_ustr(&e, a[0], PRG_MAX_PATH);
	prg_put_ustr(&e, a[1], PRG_MAX_PATH);
	prg_put_ustr(&e, a[2], PRG_MAX_PATH);
	prg_put_u32(&e, f);
	prg_evt_commit(&e);
}

static void prg_emit_chown(unsigned long *a, long nr, long ret)
{
	struct prg_evt e;

	switch (nr) {
	case __NR_chown:
	case __NR_lchown:
		if (prg_evt_begin(&e, nr == __NR_chown ? PPME_SYSCALL_CHOWN_X : PPME_SYSCALL_LCHOWN_X, 4))
			return;
		prg_put_u64(&e, ret);
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
		break;
	case __NR_fchown:
		if (prg_evt_begin(&e, PPME_SYSCALL_FCHOWN_X, 4))
			return;
		prg_put_u64(&e, ret);
		prg_put_fd(&e, a[0]);
		break;
	default:	/* fchownat */
		if (prg_evt_begin(&e, PPME_SYSCALL_FCHOWNAT_X, 6))
			return;
		prg_put_u64(&e, ret);
		prg_put_dirfd(&e, a[0]);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		prg_put_u32(&e, a[2]);
		prg_put_u32(&e, a[3]);
		prg_put_u32(&e, a[4] & PRG_AT_KEPT);
		prg_evt_commit(&e);
		return;
	}
	prg_put_u32(&e, a[1]);
	prg_put_u32(&e, a[2]);
	prg_evt_commit(&e);
}

static void prg_emit_access(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_ACCESS_X, 3))
		return;
	prg_put_u64(&e, ret);
	prg_put_ustr(&e, a[0], PRG_MAX_PATH);
	prg_put_u32(&e, a[1] & 7);	/* R_OK, W_OK, X_OK keep their bits */
	prg_evt_commit(&e);
}

bool prg_emit_fs(unsigned long *a, long nr, long ret)
{
	switch (nr) {
	case __NR_mknod:
	case __NR_mknodat:
		prg_emit_mknod(a, nr, ret);
		break;
	case __NR_link:
	case __NR_linkat:
	case __NR_symlink:
	case __NR_symlinkat:
		prg_emit_link(a, nr, ret);
		break;
	case __NR_mount:
	case __NR_umount2:
		prg_emit_mount(a, nr, ret);
		break;
	case __NR_chown:
	case __NR_lchown:
	case __NR_fchown:
	case __NR_fchownat:
		prg_emit_chown(a, nr, ret);
		break;
	case __NR_access:
		prg_emit_access(a, ret);
		break;
	case __NR_chdir:
		prg_emit_path1(PPME_SYSCALL_CHDIR_X, ret, a[0]);
		break;
	case __NR_chroot:
		prg_emit_path1(PPME_SYSCALL_CHROOT_X, ret, a[0]);
		break;
	case __NR_fchdir:
		prg_emit_res_fds(PPME_SYSCALL_FCHDIR_X, a, ret, 1);
		break;
	default:
		return false;
	}
	return true;
}
