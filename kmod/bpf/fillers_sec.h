/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for security-relevant calls without an event before:
 * cross-process memory access (process_vm_readv/writev), pidfds,
 * open_by_handle_at, seccomp and delete_module (event-table.md codes 299,
 * 337, 407, 409, 421, 423, 425).  Needs put_iov (fillers_io.h),
 * opened_file (fillers_fs.h) and put_dpath (proc.h).
 */
#ifndef PEREGRINE_BPF_FILLERS_SEC_H
#define PEREGRINE_BPF_FILLERS_SEC_H

/*
 * (res, pid, data): data is what the local iovecs (arg 1, count arg 2) hold
 * after the call, at most min(snaplen, res) bytes; empty unless res > 0.
 * For readv that is what was read from the other process, for writev what
 * was written into it.
 */
static __always_inline void emit_process_vm(struct pt_regs *r, long ret, __u16 code)
{
	struct evb b;

	if (!evb_begin(&b, code, 3))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	if (ret > 0)
		put_iov(&b, (const struct iovec *)sarg(r, 1), sarg(r, 2), ret);
	else
		put_empty(&b);
	evb_submit(&b);
}

EXIT_FILLER(process_vm_readv)
{
	emit_process_vm(r, ret, PPME_SYSCALL_PROCESS_VM_READV_X);
}

EXIT_FILLER(process_vm_writev)
{
	emit_process_vm(r, ret, PPME_SYSCALL_PROCESS_VM_WRITEV_X);
}

EXIT_FILLER(pidfd_open)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_PIDFD_OPEN_X, 3))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	/* PIDFD_NONBLOCK is O_NONBLOCK; other bits (PIDFD_THREAD) have no scap value. */
	put_u32(&b, (sarg(r, 1) & 0x800) ? PRG_PIDFD_NONBLOCK : 0);
	evb_submit(&b);
}

EXIT_FILLER(pidfd_getfd)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_PIDFD_GETFD_X, 4))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_fd(&b, sarg(r, 1));
	put_u32(&b, sarg(r, 2));
	evb_submit(&b);
}

/*
 * (fd, mountfd, flags, path, dev, ino): the handle names no path, so path is
 * the opened file's, read from the new fd (empty on failure); flags and
 * dev/ino as openat gives them.
 */
EXIT_FILLER(open_by_handle_at)
{
	struct opened o = {};
	struct file *f = ret >= 0 ? fd_file(ret) : NULL;
	struct evb b;

	opened_file(ret, &o);
	if (!evb_begin(&b, PPME_SYSCALL_OPEN_BY_HANDLE_AT_X, 6))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_u32(&b, open_flags_to_scap(sarg(r, 2)) | o.flags);
	if (f)
		put_dpath(&b, &f->f_path);
	else
		put_empty(&b);
	put_u32(&b, o.dev);
	put_u64(&b, o.ino);
	evb_submit(&b);
}

EXIT_FILLER(seccomp)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_SECCOMP_X, 3))
		return;
	put_u64(&b, ret);
	put_u64(&b, sarg(r, 0));
	put_u64(&b, sarg(r, 1));
	evb_submit(&b);
}

EXIT_FILLER(delete_module)
{
	__u32 f = sarg(r, 1), s = 0;
	struct evb b;

	if (f & 0x200) /* O_TRUNC */
		s |= PRG_DELETE_MODULE_O_TRUNC;
	if (f & 0x800) /* O_NONBLOCK */
		s |= PRG_DELETE_MODULE_O_NONBLOCK;
	if (!evb_begin(&b, PPME_SYSCALL_DELETE_MODULE_X, 3))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, s);
	evb_submit(&b);
}

#endif /* PEREGRINE_BPF_FILLERS_SEC_H */
