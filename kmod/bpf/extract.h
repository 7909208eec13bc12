/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Reads from kernel structures (CO-RE) and the native -> scap conversions of
 * event-schema.md §5.  Everything goes through BPF_CORE_READ, so the same
 * code works in tp_btf and raw_tp programs.
 */
#ifndef PEREGRINE_BPF_EXTRACT_H
#define PEREGRINE_BPF_EXTRACT_H

/* Syscall argument i (x86_64 syscall ABI) from the saved registers. */
static __always_inline __u64 sarg(struct pt_regs *r, int i)
{
	switch (i) {
	case 0: return BPF_CORE_READ(r, di);
	case 1: return BPF_CORE_READ(r, si);
	case 2: return BPF_CORE_READ(r, dx);
	case 3: return BPF_CORE_READ(r, r10);
	case 4: return BPF_CORE_READ(r, r8);
	default: return BPF_CORE_READ(r, r9);
	}
}

static __always_inline struct task_struct *cur(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

/* struct file of fd in the current task, or NULL. */
static __always_inline struct file *fd_file(__s64 fd)
{
	struct files_struct *files = BPF_CORE_READ(cur(), files);
	struct fdtable *fdt = BPF_CORE_READ(files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	__u32 max = BPF_CORE_READ(fdt, max_fds);
	struct file *f = NULL;

	if (fd < 0 || (__u64)fd >= max)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* Kernel dev_t (major << 20 | minor) to the userspace encoding of §4.9. */
static __always_inline __u32 encode_dev(__u32 dev)
{
	__u32 major = dev >> 20, minor = dev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

/* §5.1 open flags; created adds O_F_CREATED. */
static __always_inline __u32 open_flags_to_scap(__u32 f)
{
	__u32 r = 0;

	switch (f & 3) {
	case 1: r = PPM_O_WRONLY; break;
	case 2: r = PPM_O_RDWR; break;
	default: r = PPM_O_RDONLY; break;
	}
	if (f & 0x40) r |= PPM_O_CREAT;
	if (f & 0x400) r |= PPM_O_APPEND;
	if (f & 0x1000) r |= PPM_O_DSYNC;
	if (f & 0x80) r |= PPM_O_EXCL;
	if (f & 0x800) r |= PPM_O_NONBLOCK;
	if (f & 0x101000) r |= PPM_O_SYNC;
	if (f & 0x200) r |= PPM_O_TRUNC;
	if (f & 0x4000) r |= PPM_O_DIRECT;
	if (f & 0x10000) r |= PPM_O_DIRECTORY;
	if (f & 0x8000) r |= PPM_O_LARGEFILE;
	if (f & 0x80000) r |= PPM_O_CLOEXEC;
	if (f & 0x410000) r |= PPM_O_TMPFILE;
	return r;
}

/* §5.2: mode kept (permission bits) only with O_CREAT or any O_TMPFILE bit. */
static __always_inline __u32 open_mode_to_scap(__u32 flags, __u32 mode)
{
	if (!(flags & (0x40 | 0x410000)))
		return 0;
	return mode & 07777;
}

/* SOCK_NONBLOCK/SOCK_CLOEXEC to file_flags bits (socket, accept4). */
static __always_inline __u32 sock_flags_to_scap(__u32 f)
{
	__u32 r = 0;

	if (f & 0x800) r |= PPM_O_NONBLOCK;
	if (f & 0x80000) r |= PPM_O_CLOEXEC;
	return r;
}

/* §5.4: identity for listed families, 0 for 27, 28 and >= 40. */
static __always_inline __u32 socket_family_to_scap(__u32 f)
{
	f &= 0xff;
	if (f == 27 || f == 28 || f >= 40)
		return 0;
	return f;
}

/* §5.3 clone flags (low 32 bits). */
static __always_inline __u32 clone_flags_to_scap(__u32 f)
{
	__u32 r = 0;

	if (f & 0x400) r |= PPM_CL_CLONE_FILES;
	if (f & 0x200) r |= PPM_CL_CLONE_FS;
	if (f & 0x80000000) r |= PPM_CL_CLONE_IO;
	if (f & 0x8000000) r |= PPM_CL_CLONE_NEWIPC;
	if (f & 0x40000000) r |= PPM_CL_CLONE_NEWNET;
	if (f & 0x20000) r |= PPM_CL_CLONE_NEWNS;
	if (f & 0x20000000) r |= PPM_CL_CLONE_NEWPID;
	if (f & 0x4000000) r |= PPM_CL_CLONE_NEWUTS;
	if (f & 0x8000) r |= PPM_CL_CLONE_PARENT;
	if (f & 0x100000) r |= PPM_CL_CLONE_PARENT_SETTID;
	if (f & 0x2000) r |= PPM_CL_CLONE_PTRACE;
	if (f & 0x800) r |= PPM_CL_CLONE_SIGHAND;
	if (f & 0x40000) r |= PPM_CL_CLONE_SYSVSEM;
	if (f & 0x10000) r |= PPM_CL_CLONE_THREAD;
	if (f & 0x800000) r |= PPM_CL_CLONE_UNTRACED;
	if (f & 0x100) r |= PPM_CL_CLONE_VM;
	if (f & 0x10000000) r |= PPM_CL_CLONE_NEWUSER;
	if (f & 0x200000) r |= PPM_CL_CLONE_CHILD_CLEARTID;
	if (f & 0x1000000) r |= PPM_CL_CLONE_CHILD_SETTID;
	if (f & 0x80000) r |= PPM_CL_CLONE_SETTLS;
	if (f & 0x4000) r |= PPM_CL_CLONE_VFORK;
	if (f & 0x2000000) r |= PPM_CL_CLONE_NEWCGROUP;
	return r;
}

/*
 * pid->numbers[i]: a flexible array, so addressed by hand (CO-RE cannot
 * relocate an index into an array of unknown length).  struct upid is
 * { int nr; struct pid_namespace *ns; } on every kernel we support.
 */
static __always_inline void pid_upid(struct pid *pid, __u32 i, struct upid *up)
{
	const void *p = (const void *)pid + bpf_core_field_offset(struct pid, numbers) +
			(i & 31) * sizeof(struct upid);

	if (bpf_probe_read_kernel(up, sizeof(*up), p))
		__builtin_memset(up, 0, sizeof(*up));
}

/* The number of a struct pid in its own (deepest) pid namespace. */
static __always_inline __u64 pid_nr_in_ns(struct pid *pid)
{
	struct upid up;

	if (!pid)
		return 0;
	pid_upid(pid, BPF_CORE_READ(pid, level), &up);
	return up.nr;
}

static __always_inline __u64 task_vtid(struct task_struct *t)
{
	return pid_nr_in_ns(BPF_CORE_READ(t, thread_pid));
}

static __always_inline __u64 task_vtgid(struct task_struct *t)
{
	return pid_nr_in_ns(BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]));
}

static __always_inline __u64 task_vpgid(struct task_struct *t)
{
	return pid_nr_in_ns(BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]));
}

static __always_inline __u64 task_pgid(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	struct upid up;

	if (!p)
		return 0;
	pid_upid(p, 0, &up);
	return up.nr;
}

/* CLONE_CHILD_IN_PIDNS rule of CLONE_20_X #15. */
static __always_inline int child_in_pidns(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	__u32 level = BPF_CORE_READ(p, level);
	struct pid_namespace *own;
	struct upid up;

	pid_upid(p, level, &up);
	own = up.ns;
	struct pid_namespace *kids = BPF_CORE_READ(t, nsproxy, pid_ns_for_children);

	return level != 0 || (kids && kids != own);
}

/* Resident pages in a counter: the 6.2+ percpu_counter or the older atomic. */
struct mm_struct___pre62 {
	struct {
		atomic_long_t count[4];
	} rss_stat;
} __attribute__((preserve_access_index));

/*
 * Pages in mm counter I (constant): the 6.2+ percpu_counter array or the
 * older atomic array.  A macro because CO-RE needs constant indices.
 */
#define MM_COUNTER(mm, I)							\
	({									\
		__s64 __v;							\
		if (bpf_core_field_exists(struct mm_struct___pre62, rss_stat.count)) { \
			struct mm_struct___pre62 *__o = (void *)(mm);		\
			__v = BPF_CORE_READ(__o, rss_stat.count[I].counter);	\
		} else {							\
			__v = BPF_CORE_READ((mm), rss_stat[I].count);		\
		}								\
		__v > 0 ? (__u64)__v : 0;					\
	})

#endif /* PEREGRINE_BPF_EXTRACT_H */
