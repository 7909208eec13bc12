/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Process parameters shared by the execve and clone-family events
 * (event-schema.md §3.1, §4.6, §4.7, §4.14).
 */
#ifndef PEREGRINE_BPF_PROC_H
#define PEREGRINE_BPF_PROC_H

#define OVERLAYFS_MAGIC 0x794c7630
#define RLIMIT_NOFILE_ 7

struct inode___pre66 {
	struct timespec64 i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

struct inode___pre611 {
	struct timespec64 __i_ctime;
	struct timespec64 i_mtime;
} __attribute__((preserve_access_index));

/*
 * kernfs_node's parent pointer is `parent` before 6.15 and `__parent` after;
 * in both layouts it is the pointer right before `name`, so address it from
 * name's relocated offset instead of carrying two type flavours.
 */
static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	struct kernfs_node *parent = NULL;

	bpf_probe_read_kernel(&parent, sizeof(parent),
			      (void *)kn + bpf_core_field_offset(struct kernfs_node, name) - sizeof(void *));
	return parent;
}

/* 0: not overlayfs, 1: upper layer, 2: lower layer (§4.10). */
static __always_inline int overlay_layer(struct inode *ino)
{
	struct ovl_inode *oi;
	struct dentry *upper;

	/* overlayfs may be a module: without its BTF we cannot tell the layer. */
	if (!bpf_core_type_exists(struct ovl_inode))
		return 0;
	if (!ino || BPF_CORE_READ(ino, i_sb, s_magic) != OVERLAYFS_MAGIC)
		return 0;
	oi = (void *)ino - bpf_core_field_offset(struct ovl_inode, vfs_inode);
	upper = BPF_CORE_READ(oi, __upperdentry);
	if (upper && BPF_CORE_READ(upper, d_inode, i_ino))
		return 1;
	return 2;
}

/* exe + args from the argument area of the current task's mm (§4.6). */
static __always_inline void put_exe_args(struct evb *b, struct mm_struct *mm)
{
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	__u64 total = end > start ? end - start : 0;
	long n0 = 0;
	__u64 rest;

	if (total > PRG_MAX_ARGS)
		total = PRG_MAX_ARGS;
	if (total)
		n0 = bpf_probe_read_user_str(b->buf + OFF(b), PRG_MAX_ARGS, (void *)start);
	if (n0 <= 0 || n0 > total) {
		put_empty(b);
		put_empty(b);
		return;
	}
	set_len(b, n0);
	rest = total - n0;
	if (rest == 0 || rest > PRG_MAX_ARGS) {
		put_empty(b);
		return;
	}
	if (bpf_probe_read_user(b->buf + OFF(b), rest & (PRG_MAX_ARGS - 1), (void *)(start + n0))) {
		put_empty(b);
		return;
	}
	/* A cut area still ends with a NUL. */
	*(b->buf + ((b->off + rest - 1) & PRG_EVENT_MAX)) = 0;
	set_len(b, rest & (PRG_MAX_ARGS - 1));
}

/* env from [env_start, env_end) of the current task's mm. */
static __always_inline void put_env(struct evb *b, struct mm_struct *mm)
{
	unsigned long start = BPF_CORE_READ(mm, env_start);
	unsigned long end = BPF_CORE_READ(mm, env_end);
	__u64 total = end > start ? end - start : 0;

	if (total > PRG_MAX_ARGS - 1)
		total = PRG_MAX_ARGS - 1;
	if (!total || bpf_probe_read_user(b->buf + OFF(b), total, (void *)start)) {
		put_empty(b);
		return;
	}
	*(b->buf + ((b->off + total - 1) & PRG_EVENT_MAX)) = 0;
	set_len(b, total);
}

/*
 * Path building with bpf_loop (5.17+): the callbacks are verified once, so
 * walks of up to 32 components do not multiply verifier states.  Component
 * name pointers are parked in the tail of the scratch area.
 */
#define SLOTS_DPATH (PRG_SCRATCH_SIZE - 512)
#define SLOTS_CGROUP (PRG_SCRATCH_SIZE - 768)

struct names_ctx {
	__u32 off;    /* start of the parameter being written */
	__u32 len;    /* bytes written so far */
	__u32 depth;  /* collected components */
	__u32 cgroup; /* 1: SLOTS_CGROUP, 0: SLOTS_DPATH */
	struct kernfs_node *kn;
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *m;
};

static __always_inline const void **slots(__u8 *buf, int cgroup)
{
	return (const void **)(buf + (cgroup ? SLOTS_CGROUP : SLOTS_DPATH));
}

/* Writes "/" + component, deepest-last; the caller adds the final NUL. */
static long write_name_cb(__u32 i, void *arg)
{
	struct names_ctx *c = arg;
	__u8 *buf = scratch();
	const void *name;
	long n;

	if (!buf || i >= c->depth || c->len > PRG_MAX_PATH - 256)
		return 1;
	name = slots(buf, c->cgroup)[(c->depth - 1 - i) & 31];
	buf[(c->off + c->len) & PRG_EVENT_MAX] = '/';
	c->len++;
	n = bpf_probe_read_kernel_str(buf + ((c->off + c->len) & PRG_EVENT_MAX), 256, name);
	if (n > 1)
		c->len += n - 1;
	return 0;
}

static long cgroup_step_cb(__u32 i, void *arg)
{
	struct names_ctx *c = arg;
	struct kernfs_node *kn = c->kn, *parent;
	__u8 *buf = scratch();

	/* Locals, not c->x, inside BPF_CORE_READ: names_ctx has no kernel BTF. */
	if (!buf || !kn)
		return 1;
	parent = kn_parent(kn);
	if (!parent)
		return 1;
	slots(buf, 1)[c->depth & 7] = BPF_CORE_READ(kn, name);
	c->depth++;
	c->kn = parent;
	return 0;
}

/* One "subsys=path" entry of the cgroups blob. */
static __always_inline void raw_cgroup(struct evb *b, __u32 *len, struct task_struct *t,
				       int id, const char *name, __u32 nlen)
{
	struct names_ctx c = {};

	__builtin_memcpy(b->buf + ((b->off + *len) & PRG_EVENT_MAX), name, 8);
	*len += nlen;
	c.kn = BPF_CORE_READ(t, cgroups, subsys[id & 15], cgroup, kn);
	c.cgroup = 1;
	bpf_loop(PRG_MAX_CGROUP_DEPTH, cgroup_step_cb, &c, 0);
	c.off = b->off + *len;
	bpf_loop(PRG_MAX_CGROUP_DEPTH, write_name_cb, &c, 0);
	if (c.len == 0)
		c.len = 1, b->buf[(b->off + *len) & PRG_EVENT_MAX] = '/';
	*len += c.len & (PRG_MAX_PATH - 1);
	raw_u8(b, len, 0);
}

static __always_inline void put_cgroups(struct evb *b, struct task_struct *t)
{
	__u32 len = 0;

	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuset_cgrp_id))
		raw_cgroup(b, &len, t, bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id), "cpuset=\0", 7);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		raw_cgroup(b, &len, t, bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id), "cpu=\0\0\0\0", 4);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuacct_cgrp_id))
		raw_cgroup(b, &len, t, bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id), "cpuacct=", 8);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, io_cgrp_id))
		raw_cgroup(b, &len, t, bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id), "io=\0\0\0\0\0", 3);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		raw_cgroup(b, &len, t, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id), "memory=\0", 7);
	set_len(b, len);
}

/*
 * Params 1..14 of the execve/clone events: exe, args, tid, pid, ptid, cwd,
 * fdlimit, pgft_maj, pgft_min, vm_size, vm_rss, vm_swap, comm, cgroups.
 * with_args = 0 writes exe and args empty (failed clone).
 */
static __always_inline void put_proc_common(struct evb *b, struct task_struct *t, int with_args)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	__u64 total_vm = 0, rss = 0, swap = 0;
	char comm[16] = {};
	long n;

	if (with_args && mm) {
		put_exe_args(b, mm);
	} else {
		put_empty(b);
		put_empty(b);
	}
	put_u64(b, BPF_CORE_READ(t, pid));
	put_u64(b, BPF_CORE_READ(t, tgid));
	put_u64(b, BPF_CORE_READ(t, real_parent, pid));
	put_empty(b); /* cwd: always empty upstream */
	put_u64(b, BPF_CORE_READ(t, signal, rlim[RLIMIT_NOFILE_].rlim_cur));
	put_u64(b, BPF_CORE_READ(t, maj_flt));
	put_u64(b, BPF_CORE_READ(t, min_flt));
	if (mm) {
		total_vm = BPF_CORE_READ(mm, total_vm);
		rss = MM_COUNTER(mm, 0) + MM_COUNTER(mm, 1) + MM_COUNTER(mm, 3);
		swap = MM_COUNTER(mm, 2);
	}
	put_u32(b, total_vm << 2);
	put_u32(b, rss << 2);
	put_u32(b, swap << 2);
	BPF_CORE_READ_INTO(&comm, t, comm);
	n = bpf_probe_read_kernel_str(b->buf + OFF(b), sizeof(comm), comm);
	set_len(b, n > 0 ? n : 0);
	put_cgroups(b, t);
}

/* Controlling tty as an encoded device number, 0 if none. */
static __always_inline __u32 task_tty(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	__u32 major, minor;

	if (!tty)
		return 0;
	major = BPF_CORE_READ(tty, driver, major);
	minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return encode_dev((major << 20) | (minor & 0xfffff));
}

static __always_inline __u64 inode_time_ns(__s64 sec, __s64 nsec)
{
	return sec < 0 ? 0 : (__u64)sec * 1000000000ull + nsec;
}

static __always_inline __u64 inode_ctime(struct inode *ino)
{
	if (bpf_core_field_exists(struct inode, i_ctime_sec))
		return inode_time_ns(BPF_CORE_READ(ino, i_ctime_sec), BPF_CORE_READ(ino, i_ctime_nsec));
	if (bpf_core_field_exists(struct inode___pre611, __i_ctime))
		return inode_time_ns(BPF_CORE_READ((struct inode___pre611 *)ino, __i_ctime.tv_sec),
				     BPF_CORE_READ((struct inode___pre611 *)ino, __i_ctime.tv_nsec));
	return inode_time_ns(BPF_CORE_READ((struct inode___pre66 *)ino, i_ctime.tv_sec),
			     BPF_CORE_READ((struct inode___pre66 *)ino, i_ctime.tv_nsec));
}

static __always_inline __u64 inode_mtime(struct inode *ino)
{
	if (bpf_core_field_exists(struct inode, i_mtime_sec))
		return inode_time_ns(BPF_CORE_READ(ino, i_mtime_sec), BPF_CORE_READ(ino, i_mtime_nsec));
	return inode_time_ns(BPF_CORE_READ((struct inode___pre66 *)ino, i_mtime.tv_sec),
			     BPF_CORE_READ((struct inode___pre66 *)ino, i_mtime.tv_nsec));
}

/* execve_flags (§5.14a) for the exe file. Supplementary groups are not checked. */
static __always_inline __u32 exe_flags(struct task_struct *t, struct file *exe)
{
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	struct dentry *d = BPF_CORE_READ(exe, f_path.dentry);
	const struct cred *c = BPF_CORE_READ(t, cred);
	__u32 r = 0, fsuid, mode;
	__u64 caps = 0;
	char name[6] = {};
	int layer;

	fsuid = BPF_CORE_READ(c, fsuid.val);
	mode = BPF_CORE_READ(ino, i_mode);
	bpf_core_read(&caps, sizeof(caps), &c->cap_effective);
	if (BPF_CORE_READ(ino, i_sb, s_flags) & 1 /* SB_RDONLY */ ||
	    BPF_CORE_READ(ino, i_flags) & 8 /* S_IMMUTABLE */)
		r = 0;
	else if (fsuid == BPF_CORE_READ(ino, i_uid.val))
		r = PPM_EXE_WRITABLE;
	else if (BPF_CORE_READ(c, fsgid.val) == BPF_CORE_READ(ino, i_gid.val) ? (mode & 020) : (mode & 02))
		r = PPM_EXE_WRITABLE;
	else if (caps & ((1ull << 1) | (1ull << 3))) /* CAP_DAC_OVERRIDE, CAP_FOWNER */
		r = PPM_EXE_WRITABLE;
	layer = overlay_layer(ino);
	if (layer == 1)
		r |= PPM_EXE_UPPER_LAYER;
	else if (layer == 2)
		r |= PPM_EXE_LOWER_LAYER;
	if (d && BPF_CORE_READ(d, d_parent) == d) {
		bpf_probe_read_kernel(name, sizeof(name), BPF_CORE_READ(d, d_name.name));
		if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' &&
		    name[4] == 'd' && name[5] == ':')
			r |= PPM_EXE_FROM_MEMFD;
	}
	return r;
}

static long dpath_step_cb(__u32 i, void *arg)
{
	struct names_ctx *c = arg;
	struct dentry *d = c->d, *root, *parent;
	struct vfsmount *vm = c->vm;
	struct mount *m = c->m;
	__u8 *buf = scratch();

	if (!buf)
		return 1;
	root = BPF_CORE_READ(vm, mnt_root);
	if (d == root) {
		struct mount *pm = BPF_CORE_READ(m, mnt_parent);

		if (pm == m)
			return 1;
		c->d = BPF_CORE_READ(m, mnt_mountpoint);
		c->m = pm;
		c->vm = (void *)pm + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d || c->depth >= PRG_MAX_PATH_DEPTH)
		return 1;
	slots(buf, 0)[c->depth & 31] = BPF_CORE_READ(d, d_name.name);
	c->depth++;
	c->d = parent;
	return 0;
}

/* Absolute path of a struct path, built like d_path (mounts crossed). */
static __always_inline void put_dpath(struct evb *b, const struct path *p)
{
	struct names_ctx c = {};
	__u32 len;

	c.d = BPF_CORE_READ(p, dentry);
	c.vm = BPF_CORE_READ(p, mnt);
	c.m = (void *)c.vm - bpf_core_field_offset(struct mount, mnt);
	bpf_loop(PRG_MAX_PATH_DEPTH + 16, dpath_step_cb, &c, 0);
	c.off = b->off;
	bpf_loop(PRG_MAX_PATH_DEPTH, write_name_cb, &c, 0);
	len = c.len & (PRG_MAX_PATH - 1);
	if (len == 0)
		raw_u8(b, &len, '/');
	raw_u8(b, &len, 0);
	set_len(b, len);
}

#endif /* PEREGRINE_BPF_PROC_H */
