/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Process lifecycle (event-schema.md §3.1): clone family from sys_exit
 * (parent and child copies), failed execve/execveat from sys_exit,
 * successful exec from sched_process_exec, procexit from sched_process_exit.
 */
#ifndef PEREGRINE_BPF_FILLERS_PROC_H
#define PEREGRINE_BPF_FILLERS_PROC_H

static __always_inline struct pid_namespace *task_pidns(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, thread_pid);
	struct upid up;

	pid_upid(p, BPF_CORE_READ(p, level), &up);
	return up.ns;
}

/* Clone-family exit event; flags are already converted. */
static __always_inline void emit_clone(__u16 code, long ret, __u32 flags)
{
	struct task_struct *t = cur();
	const struct cred *c = BPF_CORE_READ(t, cred);
	struct evb b;
	__u64 init_ts = 0;

	if (child_in_pidns(t))
		flags |= PPM_CL_CHILD_IN_PIDNS;
	if (!evb_begin(&b, code, 21))
		return;
	put_u64(&b, ret);
	put_proc_common(&b, t, ret >= 0);
	put_u32(&b, flags);
	put_u32(&b, BPF_CORE_READ(c, euid.val));
	put_u32(&b, BPF_CORE_READ(c, egid.val));
	put_u64(&b, task_vtid(t));
	put_u64(&b, task_vtgid(t));
	if (ret == 0)
		init_ts = BPF_CORE_READ(task_pidns(t), child_reaper, start_time);
	put_u64(&b, init_ts);
	evb_submit(&b);
}

EXIT_FILLER(clone)
{
	emit_clone(PPME_SYSCALL_CLONE_20_X, ret, clone_flags_to_scap(sarg(r, 0)));
}

EXIT_FILLER(clone3)
{
	__u64 flags = 0;
	void *args = (void *)sarg(r, 0);

	if (!args || bpf_probe_read_user(&flags, sizeof(flags), args))
		flags = 0;
	emit_clone(PPME_SYSCALL_CLONE3_X, ret, clone_flags_to_scap(flags));
}

EXIT_FILLER(fork)
{
	emit_clone(PPME_SYSCALL_FORK_20_X, ret, 0);
}

EXIT_FILLER(vfork)
{
	emit_clone(PPME_SYSCALL_VFORK_20_X, ret, 0);
}

struct uarr_ctx {
	const char *const *arr;
	__u32 off;
	__u32 len;
};

static long uarr_cb(__u32 i, void *arg)
{
	struct uarr_ctx *c = arg;
	__u8 *buf = scratch();
	const char *p = NULL;
	long n;

	if (!buf || c->len >= PRG_MAX_ARGS || bpf_probe_read_user(&p, sizeof(p), &c->arr[i]) || !p)
		return 1;
	n = bpf_probe_read_user_str(buf + ((c->off + c->len) & PRG_EVENT_MAX), PRG_MAX_ARGS, p);
	if (n <= 0)
		return 1;
	c->len += n;
	return 0;
}

/* Up to 16 user strings of a NULL-terminated pointer array, from index first. */
static __always_inline void put_uarray(struct evb *b, const char *const *arr, int first)
{
	struct uarr_ctx c = { .arr = arr ? arr + first : NULL, .off = b->off, .len = 0 };

	if (arr)
		bpf_loop(16 - first, uarr_cb, &c, 0);
	set_len(b, c.len & (2 * PRG_MAX_ARGS - 1));
}

/*
 * Params 15..29 (+30 filename) of EXECVE_19_X / EXECVEAT_X for task t.
 * env_user: envp for the failure path, NULL for the success path (mm area).
 */
static __always_inline void put_exec_tail(struct evb *b, struct task_struct *t,
					  const char *const *envp, int failure)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	struct file *exe = BPF_CORE_READ(mm, exe_file);
	struct inode *ino = BPF_CORE_READ(exe, f_inode);
	const struct cred *c = BPF_CORE_READ(t, cred);
	__u32 loginuid = 0xffffffff;
	__u64 cap = 0;

	if (failure)
		put_uarray(b, envp, 0);
	else if (mm)
		put_env(b, mm);
	else
		put_empty(b);
	put_u32(b, task_tty(t));
	put_u64(b, task_vpgid(t));
	if (bpf_core_field_exists(t->loginuid))
		loginuid = BPF_CORE_READ(t, loginuid.val);
	put_u32(b, loginuid);
	put_u32(b, exe ? exe_flags(t, exe) : 0);
	bpf_core_read(&cap, sizeof(cap), &c->cap_inheritable);
	put_u64(b, cap);
	bpf_core_read(&cap, sizeof(cap), &c->cap_permitted);
	put_u64(b, cap);
	bpf_core_read(&cap, sizeof(cap), &c->cap_effective);
	put_u64(b, cap);
	put_u64(b, ino ? BPF_CORE_READ(ino, i_ino) : 0);
	put_u64(b, ino ? inode_ctime(ino) : 0);
	put_u64(b, ino ? inode_mtime(ino) : 0);
	put_u32(b, BPF_CORE_READ(c, euid.val));
	if (exe)
		put_dpath(b, &exe->f_path);
	else
		put_empty(b);
	put_u64(b, task_pgid(t));
	put_u32(b, BPF_CORE_READ(c, egid.val));
}

/* Failed execve (31 params) or execveat (30 params) from sys_exit. */
static __always_inline void emit_exec_failure(struct pt_regs *r, long ret, int at)
{
	struct task_struct *t = cur();
	const char *const *argv = (void *)sarg(r, at ? 2 : 1);
	const char *const *envp = (void *)sarg(r, at ? 3 : 2);
	const char *p = NULL;
	struct evb b;

	if (ret == 0)
		return; /* success comes from sched_process_exec */
	if (!evb_begin(&b, at ? PPME_SYSCALL_EXECVEAT_X : PPME_SYSCALL_EXECVE_19_X, at ? 30 : 31))
		return;
	put_u64(&b, ret);
	if (argv)
		bpf_probe_read_user(&p, sizeof(p), &argv[0]);
	put_ustr(&b, p);
	put_uarray(&b, argv, 1);
	/* tid..cgroups as for clone, but exe/args already written. */
	{
		struct mm_struct *mm = BPF_CORE_READ(t, mm);
		char comm[16] = {};
		__u64 rss = 0, swap = 0, vm = 0;
		long n;

		put_u64(&b, BPF_CORE_READ(t, pid));
		put_u64(&b, BPF_CORE_READ(t, tgid));
		put_u64(&b, BPF_CORE_READ(t, real_parent, pid));
		put_empty(&b);
		put_u64(&b, BPF_CORE_READ(t, signal, rlim[RLIMIT_NOFILE_].rlim_cur));
		put_u64(&b, BPF_CORE_READ(t, maj_flt));
		put_u64(&b, BPF_CORE_READ(t, min_flt));
		if (mm) {
			vm = BPF_CORE_READ(mm, total_vm);
			rss = MM_COUNTER(mm, 0) + MM_COUNTER(mm, 1) + MM_COUNTER(mm, 3);
			swap = MM_COUNTER(mm, 2);
		}
		put_u32(&b, vm << 2);
		put_u32(&b, rss << 2);
		put_u32(&b, swap << 2);
		BPF_CORE_READ_INTO(&comm, t, comm);
		n = bpf_probe_read_kernel_str(b.buf + OFF(&b), sizeof(comm), comm);
		set_len(&b, n > 0 ? n : 0);
		put_cgroups(&b, t);
	}
	put_exec_tail(&b, t, envp, 1);
	if (!at)
		put_ustr(&b, (void *)sarg(r, 0));
	evb_submit(&b);
}

EXIT_FILLER(execve)
{
	emit_exec_failure(r, ret, 0);
}

EXIT_FILLER(execveat)
{
	emit_exec_failure(r, ret, 1);
}

/* Successful exec: the new image is in place, current == t. */
static __always_inline void emit_exec_success(struct task_struct *t, struct linux_binprm *bprm)
{
	struct evb b;

	if ((bpf_get_current_pid_tgid() >> 32) == cfg_self_tgid || !want(59))
		return;
	if (!evb_begin(&b, PPME_SYSCALL_EXECVE_19_X, 31))
		return;
	put_u64(&b, 0);
	put_proc_common(&b, t, 1);
	put_exec_tail(&b, t, NULL, 0);
	put_kstr(&b, BPF_CORE_READ(bprm, filename));
	evb_submit(&b);
}

SEC("tp_btf/sched_process_exec")
int tp_exec_btf(__u64 *ctx)
{
	emit_exec_success((struct task_struct *)ctx[0], (struct linux_binprm *)ctx[2]);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int tp_exec_raw(__u64 *ctx)
{
	emit_exec_success((struct task_struct *)ctx[0], (struct linux_binprm *)ctx[2]);
	return 0;
}

static __always_inline void emit_procexit(struct task_struct *t)
{
	__s32 code = BPF_CORE_READ(t, exit_code);
	__u8 sig = 0;
	__u64 reaper = 0;
	struct evb b;
	struct list_head *kids = &t->children;

	if ((bpf_get_current_pid_tgid() >> 32) == cfg_self_tgid || !cfg_procexit)
		return;
	if ((code & 0x7f) != 0 && (code & 0x7f) != 0x7f)
		sig = code & 0x7f;
	/* Children are adopted by the pid namespace's reaper (subreapers not walked). */
	if (BPF_CORE_READ(t, children.next) != kids)
		reaper = BPF_CORE_READ(task_pidns(t), child_reaper, pid);
	if (!evb_begin(&b, PPME_PROCEXIT_1_E, 5))
		return;
	put_u64(&b, (__s64)code);
	put_u64(&b, (code >> 8) & 0xff);
	put_u8(&b, sig);
	put_u8(&b, (code & 0x80) ? 1 : 0);
	put_u64(&b, reaper);
	evb_submit(&b);
}

SEC("tp_btf/sched_process_exit")
int tp_exit_btf(__u64 *ctx)
{
	emit_procexit((struct task_struct *)ctx[0]);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int tp_exit_raw(__u64 *ctx)
{
	emit_procexit((struct task_struct *)ctx[0]);
	return 0;
}

#endif /* PEREGRINE_BPF_FILLERS_PROC_H */
