// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Exit fillers for security-relevant calls: cross-process memory access
 * (process_vm_readv/writev), pidfd_open/pidfd_getfd, open_by_handle_at,
 * seccomp and delete_module (event-table.md codes 299, 337, 407, 409, 421,
 * 423, 425).  Parameters and conversions are those of the eBPF probe
 * (kmod/bpf/fillers_sec.h), so both drivers give the same events.
 */
#include <linux/file.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <asm/unistd.h>
#include "prg.h"

/*
 * (res, pid, data): data is what the local iovecs (arg 1, count arg 2) hold
 * after the call, at most min(snaplen, res) bytes; empty unless res > 0.
 */
static void prg_emit_process_vm(u16 code, unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, code, 3))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	if (ret > 0)
		prg_put_iov(&e, a[1], a[2], ret);
	else
		prg_put_empty(&e);
	prg_evt_commit(&e);
}

static void prg_emit_pidfd_open(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_PIDFD_OPEN_X, 3))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	/* PIDFD_NONBLOCK is O_NONBLOCK; other bits (PIDFD_THREAD) have no scap value. */
	prg_put_u32(&e, (a[1] & O_NONBLOCK) ? PRG_PIDFD_NONBLOCK : 0);
	prg_evt_commit(&e);
}

static void prg_emit_pidfd_getfd(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_PIDFD_GETFD_X, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_fd(&e, a[1]);
	prg_put_u32(&e, a[2]);
	prg_evt_commit(&e);
}

/*
 * (fd, mountfd, flags, path, dev, ino): the handle names no path, so path is
 * the opened file's, read from the new fd (empty on failure); flags and
 * dev/ino as openat gives them.
 */
static void prg_emit_open_by_handle_at(unsigned long *a, long ret)
{
	struct file *f = ret >= 0 ? fget(ret) : NULL;
	u32 flags = prg_open_flags(a[2]), dev = 0;
	struct inode *inode;
	struct prg_evt e;
	u64 ino = 0;

	if (f) {
		inode = file_inode(f);
		dev = prg_encode_dev(inode->i_sb->s_dev);
		ino = inode->i_ino;
		if (f->f_mode & FMODE_CREATED)
			flags |= PPM_O_F_CREATED;
	}
	if (prg_evt_begin(&e, PPME_SYSCALL_OPEN_BY_HANDLE_AT_X, 6))
		goto out;
	prg_put_u64(&e, ret);
	prg_put_dirfd(&e, a[0]);
	prg_put_u32(&e, flags);
	if (f)
		prg_put_dpath(&e, &f->f_path);
	else
		prg_put_empty(&e);
	prg_put_u32(&e, dev);
	prg_put_u64(&e, ino);
	prg_evt_commit(&e);
out:
	if (f)
		fput(f);
}

static void prg_emit_seccomp(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_SECCOMP_X, 3))
		return;
	prg_put_u64(&e, ret);
	prg_put_u64(&e, a[0]);
	prg_put_u64(&e, a[1]);
	prg_evt_commit(&e);
}

static void prg_emit_delete_module(unsigned long *a, long ret)
{
	struct prg_evt e;
	u32 f = 0;

	if (a[1] & O_TRUNC)
		f |= PRG_DELETE_MODULE_O_TRUNC;
	if (a[1] & O_NONBLOCK)
		f |= PRG_DELETE_MODULE_O_NONBLOCK;
	if (prg_evt_begin(&e, PPME_SYSCALL_DELETE_MODULE_X, 3))
		return;
	prg_put_u64(&e, ret);
	prg_put_ustr(&e, a[0], PRG_MAX_PATH);
	prg_put_u32(&e, f);
	prg_evt_commit(&e);
}

bool prg_emit_sec(unsigned long *a, long nr, long ret)
{
	switch (nr) {
	case __NR_process_vm_readv:
		prg_emit_process_vm(PPME_SYSCALL_PROCESS_VM_READV_X, a, ret);
		break;
	case __NR_process_vm_writev:
		prg_emit_process_vm(PPME_SYSCALL_PROCESS_VM_WRITEV_X, a, ret);
		break;
	case __NR_pidfd_open:
		prg_emit_pidfd_open(a, ret);
		break;
	case __NR_pidfd_getfd:
		prg_emit_pidfd_getfd(a, ret);
		break;
	case __NR_open_by_handle_at:
		prg_emit_open_by_handle_at(a, ret);
		break;
	case __NR_seccomp:
		prg_emit_seccomp(a, ret);
		break;
	case __NR_delete_module:
		prg_emit_delete_module(a, ret);
		break;
	default:
		return false;
	}
	return true;
}
