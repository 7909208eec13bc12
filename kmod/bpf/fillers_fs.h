/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for file and I/O syscalls (event-schema.md §3.2, §3.4-§3.6).
 * Each EXIT_FILLER becomes a tp_btf and a raw_tp program, tail-called from
 * the sys_exit dispatcher of the same kind.
 */
#ifndef PEREGRINE_BPF_FILLERS_FS_H
#define PEREGRINE_BPF_FILLERS_FS_H

#define FMODE_CREATED_ 0x100000

/* dev, ino and the CREATED/overlay bits of the file a successful open made. */
struct opened {
	__u32 dev;
	__u64 ino;
	__u32 flags;    /* O_F_CREATED | FD_*_LAYER */
	__u16 creat;    /* FD_*_LAYER_CREAT */
};

static __always_inline void opened_file(long fd, struct opened *o)
{
	struct file *f;
	struct inode *ino;
	int layer;

	/* The modern probe fills these only for fd > 0 (§7.2). */
	if (fd <= 0 || !(f = fd_file(fd)))
		return;
	ino = BPF_CORE_READ(f, f_inode);
	o->dev = encode_dev(BPF_CORE_READ(ino, i_sb, s_dev));
	o->ino = BPF_CORE_READ(ino, i_ino);
	if (BPF_CORE_READ(f, f_mode) & FMODE_CREATED_)
		o->flags |= PPM_O_F_CREATED;
	layer = overlay_layer(ino);
	if (layer == 1) {
		o->flags |= PPM_FD_UPPER_LAYER;
		o->creat = PPM_FD_UPPER_LAYER_CREAT;
	} else if (layer == 2) {
		o->flags |= PPM_FD_LOWER_LAYER;
		o->creat = PPM_FD_LOWER_LAYER_CREAT;
	}
}

EXIT_FILLER(read)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_READ_X, 4))
		return;
	put_u64(&b, ret);
	put_data(&b, (void *)sarg(r, 1), ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sarg(r, 2));
	evb_submit(&b);
}

EXIT_FILLER(write)
{
	struct evb b;
	__u64 count = sarg(r, 2);

	if (!evb_begin(&b, PPME_SYSCALL_WRITE_X, 4))
		return;
	put_u64(&b, ret);
	put_data(&b, (void *)sarg(r, 1), ret > 0 ? ret : (__s64)count);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, count);
	evb_submit(&b);
}

EXIT_FILLER(pread)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_PREAD_X, 5))
		return;
	put_u64(&b, ret);
	put_data(&b, (void *)sarg(r, 1), ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sarg(r, 2));
	put_u64(&b, sarg(r, 3));
	evb_submit(&b);
}

EXIT_FILLER(pwrite)
{
	struct evb b;
	__u64 count = sarg(r, 2);

	if (!evb_begin(&b, PPME_SYSCALL_PWRITE_X, 5))
		return;
	put_u64(&b, ret);
	put_data(&b, (void *)sarg(r, 1), ret > 0 ? ret : (__s64)count);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, count);
	put_u64(&b, sarg(r, 3));
	evb_submit(&b);
}

EXIT_FILLER(open)
{
	struct opened o = {};
	__u32 flags = sarg(r, 1);
	struct evb b;

	opened_file(ret, &o);
	if (!evb_begin(&b, PPME_SYSCALL_OPEN_X, 6))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, open_flags_to_scap(flags) | o.flags);
	put_u32(&b, open_mode_to_scap(flags, sarg(r, 2)));
	put_u32(&b, o.dev);
	put_u64(&b, o.ino);
	evb_submit(&b);
}

EXIT_FILLER(openat)
{
	struct opened o = {};
	__u32 flags = sarg(r, 2);
	struct evb b;

	opened_file(ret, &o);
	if (!evb_begin(&b, PPME_SYSCALL_OPENAT_2_X, 7))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_u32(&b, open_flags_to_scap(flags) | o.flags);
	put_u32(&b, open_mode_to_scap(flags, sarg(r, 3)));
	put_u32(&b, o.dev);
	put_u64(&b, o.ino);
	evb_submit(&b);
}

static __always_inline void read_open_how(const void *p, struct open_how *how)
{
	if (!p || bpf_probe_read_user(how, sizeof(*how), p))
		__builtin_memset(how, 0, sizeof(*how));
}

/* §5.13 openat2 resolve flags. */
static __always_inline __u32 resolve_to_scap(__u64 v)
{
	__u32 r = 0;

	if (v & 0x08) r |= 0x1;  /* RESOLVE_BENEATH */
	if (v & 0x10) r |= 0x2;  /* RESOLVE_IN_ROOT */
	if (v & 0x02) r |= 0x4;  /* RESOLVE_NO_MAGICLINKS */
	if (v & 0x04) r |= 0x8;  /* RESOLVE_NO_SYMLINKS */
	if (v & 0x01) r |= 0x10; /* RESOLVE_NO_XDEV */
	if (v & 0x20) r |= 0x20; /* RESOLVE_CACHED */
	return r;
}

EXIT_FILLER(openat2)
{
	struct opened o = {};
	struct open_how how;
	struct evb b;

	read_open_how((void *)sarg(r, 2), &how);
	opened_file(ret, &o);
	if (!evb_begin(&b, PPME_SYSCALL_OPENAT2_X, 8))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_u32(&b, open_flags_to_scap(how.flags) | o.flags);
	put_u32(&b, open_mode_to_scap(how.flags, how.mode));
	put_u32(&b, resolve_to_scap(how.resolve));
	put_u32(&b, o.dev);
	put_u64(&b, o.ino);
	evb_submit(&b);
}

EXIT_FILLER(creat)
{
	struct opened o = {};
	struct evb b;

	opened_file(ret, &o);
	if (!evb_begin(&b, PPME_SYSCALL_CREAT_X, 6))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, open_mode_to_scap(0x40, sarg(r, 1)));
	put_u32(&b, o.dev);
	put_u64(&b, o.ino);
	put_u16(&b, o.creat);
	evb_submit(&b);
}

/* Events of the form (res, fd-arg 0). */
#define FD_FILLER(name, code)				\
	EXIT_FILLER(name)				\
	{						\
		struct evb b;				\
		if (!evb_begin(&b, code, 2))		\
			return;				\
		put_u64(&b, ret);			\
		put_fd(&b, sarg(r, 0));			\
		evb_submit(&b);				\
	}

FD_FILLER(close, PPME_SYSCALL_CLOSE_X)
FD_FILLER(fchdir, PPME_SYSCALL_FCHDIR_X)

/* Events of the form (res, user path arg 0). */
#define PATH_FILLER(name, code)				\
	EXIT_FILLER(name)				\
	{						\
		struct evb b;				\
		if (!evb_begin(&b, code, 2))		\
			return;				\
		put_u64(&b, ret);			\
		put_ustr(&b, (void *)sarg(r, 0));	\
		evb_submit(&b);				\
	}

PATH_FILLER(unlink, PPME_SYSCALL_UNLINK_2_X)
PATH_FILLER(rmdir, PPME_SYSCALL_RMDIR_2_X)
PATH_FILLER(chdir, PPME_SYSCALL_CHDIR_X)
PATH_FILLER(chroot, PPME_SYSCALL_CHROOT_X)

/* Events of the form (res, user path arg 0, user path arg 1). */
#define PATH2_FILLER(name, code)			\
	EXIT_FILLER(name)				\
	{						\
		struct evb b;				\
		if (!evb_begin(&b, code, 3))		\
			return;				\
		put_u64(&b, ret);			\
		put_ustr(&b, (void *)sarg(r, 0));	\
		put_ustr(&b, (void *)sarg(r, 1));	\
		evb_submit(&b);				\
	}

PATH2_FILLER(rename, PPME_SYSCALL_RENAME_X)
PATH2_FILLER(link, PPME_SYSCALL_LINK_2_X)
PATH2_FILLER(symlink, PPME_SYSCALL_SYMLINK_X)

EXIT_FILLER(renameat)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_RENAMEAT_X, 5))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_dirfd(&b, sarg(r, 2));
	put_ustr(&b, (void *)sarg(r, 3));
	evb_submit(&b);
}

EXIT_FILLER(renameat2)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_RENAMEAT2_X, 6))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_dirfd(&b, sarg(r, 2));
	put_ustr(&b, (void *)sarg(r, 3));
	put_u32(&b, sarg(r, 4));
	evb_submit(&b);
}

EXIT_FILLER(unlinkat)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_UNLINKAT_2_X, 4))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_u32(&b, sarg(r, 2) & PPM_AT_REMOVEDIR);
	evb_submit(&b);
}

EXIT_FILLER(mkdir)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_MKDIR_2_X, 3))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, sarg(r, 1));
	evb_submit(&b);
}

EXIT_FILLER(mkdirat)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_MKDIRAT_X, 4))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_u32(&b, sarg(r, 2));
	evb_submit(&b);
}

EXIT_FILLER(chmod)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_CHMOD_X, 3))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, sarg(r, 1) & 07777);
	evb_submit(&b);
}

EXIT_FILLER(fchmod)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_FCHMOD_X, 3))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sarg(r, 1) & 07777);
	evb_submit(&b);
}

EXIT_FILLER(fchmodat)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_FCHMODAT_X, 4))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_u32(&b, sarg(r, 2) & 07777);
	evb_submit(&b);
}

#endif /* PEREGRINE_BPF_FILLERS_FS_H */
