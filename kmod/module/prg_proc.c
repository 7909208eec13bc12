// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Process lifecycle fillers (event-schema.md 3.1): the clone family from
 * sys_exit (parent and child copies), failed execve/execveat from sys_exit,
 * successful exec from sched_process_exec, procexit from sched_process_exit.
 */
#include <linux/sched/signal.h>
#include <linux/sched/mm.h>
#include <linux/pid_namespace.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/audit.h>
#include <linux/tty.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/kernfs.h>
#include "prg.h"

/* An area of the current task's memory as NUL-separated strings. */
static u32 prg_copy_area(struct prg_evt *e, unsigned long start, unsigned long end)
{
	u32 n;

	if (!start || end <= start)
		return 0;
	n = min_t(unsigned long, end - start, PRG_MAX_ARGS);
	if (n > prg_evt_room(e)) {
		e->overflow = true;
		return 0;
	}
	if (copy_from_user_nofault(prg_evt_dst(e), (const void __user *)start, n)) {
		prg_user_fault(e);
		return 0;
	}
	prg_evt_dst(e)[n - 1] = 0;
	return n;
}

/* exe and args from the argument area [arg_start, arg_end). */
static void prg_put_exe_args(struct prg_evt *e, struct mm_struct *mm)
{
	u32 n = mm ? prg_copy_area(e, mm->arg_start, mm->arg_end) : 0;
	u32 exe;

	if (!n) {
		prg_put_empty(e);
		prg_put_empty(e);
		return;
	}
	exe = strnlen(prg_evt_dst(e), n) + 1;
	prg_set_len(e, exe);
	prg_set_len(e, n - exe);
}

/* Components of a cgroup path kept, from the leaf up (as the eBPF probe). */
#define PRG_MAX_CGROUP_DEPTH 6

/*
 * The path of a cgroup's kernfs node without kernfs_path(): that takes
 * kernfs_rename_lock, a sleeping lock on PREEMPT_RT, and we run with
 * preemption disabled.  cgroup nodes never change parent, so the parent
 * chain is stable while the leaf is pinned (RCU); names are read with
 * nofault loads because a concurrent rename may free one.  At most the
 * last PRG_MAX_CGROUP_DEPTH components, each "/name"; the root is "/".
 * Returns the length written (no NUL), 0 when it does not fit.
 */
static u32 prg_cgroup_path(struct kernfs_node *kn, char *dst, u32 room)
{
	const char *names[PRG_MAX_CGROUP_DEPTH];
	struct kernfs_node *parent;
	int depth = 0, i, j;
	u32 n = 0;
	char c;

	while (kn && depth < PRG_MAX_CGROUP_DEPTH) {
		parent = READ_ONCE(kn->parent);
		if (!parent)
			break;
		names[depth++] = READ_ONCE(kn->name);
		kn = parent;
	}
	for (i = depth - 1; i >= 0; i--) {
		if (n + 1 >= room)
			return 0;
		dst[n++] = '/';
		for (j = 0; j < NAME_MAX; j++) {
			if (get_kernel_nofault(c, names[i] + j) || !c)
				break;
			if (n + 1 >= room)
				return 0;
			dst[n++] = c;
		}
	}
	if (n == 0) {
		if (room < 2)
			return 0;
		dst[n++] = '/';
	}
	return n;
}

static void prg_put_cgroups(struct prg_evt *e, struct task_struct *t)
{
	static const struct { int id; const char *name; } subsys[] = {
#if IS_ENABLED(CONFIG_CPUSETS)
		{ cpuset_cgrp_id, "cpuset=" },
#endif
#if IS_ENABLED(CONFIG_CGROUP_SCHED)
		{ cpu_cgrp_id, "cpu=" },
#endif
#if IS_ENABLED(CONFIG_CGROUP_CPUACCT)
		{ cpuacct_cgrp_id, "cpuacct=" },
#endif
#if IS_ENABLED(CONFIG_BLK_CGROUP)
		{ io_cgrp_id, "io=" },
#endif
#if IS_ENABLED(CONFIG_MEMCG)
		{ memory_cgrp_id, "memory=" },
#endif
	};
	u32 i, n = 0, room = prg_evt_room(e), l;
	u8 *dst = prg_evt_dst(e);
	u32 p;

	rcu_read_lock();
	for (i = 0; i < ARRAY_SIZE(subsys); i++) {
		struct cgroup_subsys_state *css = task_css(t, subsys[i].id);

		l = strlen(subsys[i].name);
		if (!css)
			continue;
		if (n + l + 2 > room) {
			e->overflow = true;
			break;
		}
		memcpy(dst + n, subsys[i].name, l);
		p = prg_cgroup_path(css->cgroup->kn, dst + n + l, room - n - l - 1);
		if (!p) {
			e->overflow = true;
			break;
		}
		dst[n + l + p] = 0;
		n += l + p + 1;
	}
	rcu_read_unlock();
	prg_set_len(e, n);
}

/* Params 1..14 of the execve/clone events. */
static void prg_put_proc_common(struct prg_evt *e, struct task_struct *t, bool args)
{
	struct mm_struct *mm = t->mm;
	u64 vm = 0, rss = 0, swap = 0;

	if (args)
		prg_put_exe_args(e, mm);
	if (!args) {
		/* kmod quirk kept by both of our drivers' readers: 1-byte "" exe. */
		prg_put_kstr(e, "", 1);
		prg_put_empty(e);
	}
	prg_put_u64(e, t->pid);
	prg_put_u64(e, t->tgid);
	prg_put_u64(e, task_pid_nr(rcu_access_pointer(t->real_parent)));
	prg_put_empty(e);
	prg_put_u64(e, READ_ONCE(t->signal->rlim[RLIMIT_NOFILE].rlim_cur));
	prg_put_u64(e, t->maj_flt);
	prg_put_u64(e, t->min_flt);
	if (mm) {
		vm = mm->total_vm;
		rss = get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_ANONPAGES) +
		      get_mm_counter(mm, MM_SHMEMPAGES);
		swap = get_mm_counter(mm, MM_SWAPENTS);
	}
	prg_put_u32(e, vm << (PAGE_SHIFT - 10));
	prg_put_u32(e, rss << (PAGE_SHIFT - 10));
	prg_put_u32(e, swap << (PAGE_SHIFT - 10));
	prg_put_kstr(e, t->comm, sizeof(t->comm));
	prg_put_cgroups(e, t);
}

static bool prg_child_in_pidns(struct task_struct *t)
{
	struct pid_namespace *ns = task_active_pid_ns(t);

	return ns != &init_pid_ns ||
	       (t->nsproxy && t->nsproxy->pid_ns_for_children != ns);
}

void prg_emit_clone(u16 code, long ret, u32 flags)
{
	struct task_struct *t = current;
	const struct cred *c = current_cred();
	struct pid_namespace *ns;
	struct prg_evt e;
	u64 init_ts = 0;

	if (prg_child_in_pidns(t))
		flags |= PPM_CL_CHILD_IN_PIDNS;
	if (prg_evt_begin(&e, code, 21))
		return;
	prg_put_u64(&e, ret);
	prg_put_proc_common(&e, t, ret >= 0);
	prg_put_u32(&e, flags);
	prg_put_u32(&e, from_kuid_munged(&init_user_ns, c->euid));
	prg_put_u32(&e, from_kgid_munged(&init_user_ns, c->egid));
	prg_put_u64(&e, task_pid_vnr(t));
	prg_put_u64(&e, task_tgid_vnr(t));
	ns = task_active_pid_ns(t);
	if (ret == 0 && ns && ns->child_reaper)
		init_ts = ns->child_reaper->start_time;
	prg_put_u64(&e, init_ts);
	prg_evt_commit(&e);
}

static u32 prg_task_tty(struct task_struct *t)
{
	struct tty_struct *tty = READ_ONCE(t->signal->tty);

	if (!tty || !tty->driver)
		return 0;
	return prg_encode_dev(MKDEV(tty->driver->major, tty->driver->minor_start + tty->index));
}

static u64 prg_ts_ns(struct timespec64 ts)
{
	return ts.tv_sec < 0 ? 0 : (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static u32 prg_exe_flags(const struct cred *c, struct file *exe)
{
	struct inode *ino = file_inode(exe);
	struct dentry *d = exe->f_path.dentry;
	u64 caps = prg_cap_u64(c->cap_effective);
	u32 r = 0;

	if (sb_rdonly(ino->i_sb) || IS_IMMUTABLE(ino))
		r = 0;
	else if (uid_eq(c->fsuid, ino->i_uid))
		r = PPM_EXE_WRITABLE;
	else if (gid_eq(c->fsgid, ino->i_gid) ? (ino->i_mode & 020) : (ino->i_mode & 02))
		r = PPM_EXE_WRITABLE;
	else if (caps & ((1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_FOWNER)))
		r = PPM_EXE_WRITABLE;
	if (d && d->d_parent == d && !strncmp(d->d_name.name, "memfd:", 6))
		r |= PPM_EXE_FROM_MEMFD;
	return r;
}

/* Absolute path of p (d_path), written in place; empty when it has none. */
void prg_put_dpath(struct prg_evt *e, const struct path *p)
{
	u32 room = min_t(u32, prg_evt_room(e), PRG_MAX_PATH);
	char *s;
	u32 n;

	if (room < 2) {
		e->overflow = true;
		prg_put_empty(e);
		return;
	}
	s = d_path(p, prg_evt_dst(e), room);
	if (IS_ERR(s)) {
		prg_put_empty(e);
		return;
	}
	n = strlen(s) + 1;
	memmove(prg_evt_dst(e), s, n);
	prg_set_len(e, n);
}

/* Params 15..29 of EXECVE_19_X / EXECVEAT_X. envp: failure path only. */
static void prg_put_exec_tail(struct prg_evt *e, struct task_struct *t,
			      unsigned long envp, bool failure);

static void prg_put_uarray(struct prg_evt *e, unsigned long arr, int first)
{
	u32 n = 0, room = min_t(u32, prg_evt_room(e), PRG_MAX_ARGS);
	unsigned long p;
	long l;
	int i;

	for (i = first; arr && i < first + 16 && n < room; i++) {
		if (copy_from_user_nofault(&p, (const void __user *)(arr + i * sizeof(p)), sizeof(p)) || !p)
			break;
		l = prg_strncpy_nofault(prg_evt_dst(e) + n, p, room - n);
		if (l <= 0)
			break;
		n += l;
	}
	prg_set_len(e, n);
}

static void prg_put_exec_tail(struct prg_evt *e, struct task_struct *t,
			      unsigned long envp, bool failure)
{
	const struct cred *c = current_cred();
	struct mm_struct *mm = t->mm;
	struct inode *ino = NULL;
	u32 loginuid = (u32)-1;
	struct file *exe = NULL;

	/*
	 * get_mm_exe_file() is not exported on 6.1.  Files and dentries are
	 * freed after an RCU grace period, so reading them under RCU is safe.
	 */
	rcu_read_lock();
	if (mm)
		exe = rcu_dereference(mm->exe_file);
	if (exe)
		ino = file_inode(exe);

	if (failure)
		prg_put_uarray(e, envp, 0);
	else if (mm)
		prg_set_len(e, prg_copy_area(e, mm->env_start, mm->env_end));
	else
		prg_put_empty(e);
	prg_put_u32(e, prg_task_tty(t));
	prg_put_u64(e, __task_pid_nr_ns(t, PIDTYPE_PGID, task_active_pid_ns(t)));
#ifdef CONFIG_AUDIT
	loginuid = from_kuid(&init_user_ns, audit_get_loginuid(t));
#endif
	prg_put_u32(e, loginuid);
	prg_put_u32(e, exe ? prg_exe_flags(c, exe) : 0);
	prg_put_u64(e, prg_cap_u64(c->cap_inheritable));
	prg_put_u64(e, prg_cap_u64(c->cap_permitted));
	prg_put_u64(e, prg_cap_u64(c->cap_effective));
	prg_put_u64(e, ino ? ino->i_ino : 0);
	prg_put_u64(e, ino ? prg_ts_ns(prg_inode_ctime(ino)) : 0);
	prg_put_u64(e, ino ? prg_ts_ns(prg_inode_mtime(ino)) : 0);
	prg_put_u32(e, from_kuid_munged(&init_user_ns, c->euid));
	if (exe)
		prg_put_dpath(e, &exe->f_path);
	else
		prg_put_empty(e);
	rcu_read_unlock();
	prg_put_u64(e, __task_pid_nr_ns(t, PIDTYPE_PGID, &init_pid_ns));
	prg_put_u32(e, from_kgid_munged(&init_user_ns, c->egid));
}

void prg_emit_exec_failure(struct pt_regs *regs, long ret, bool at)
{
	unsigned long args[6], argv0 = 0;
	struct task_struct *t = current;
	struct prg_evt e;

	if (ret == 0)
		return;	/* success comes from sched_process_exec */
	syscall_get_arguments(t, regs, args);
	if (prg_evt_begin(&e, at ? PPME_SYSCALL_EXECVEAT_X : PPME_SYSCALL_EXECVE_19_X, at ? 30 : 31))
		return;
	prg_put_u64(&e, ret);
	if (args[at ? 2 : 1] &&
	    copy_from_user_nofault(&argv0, (const void __user *)args[at ? 2 : 1], sizeof(argv0)))
		argv0 = 0;
	prg_put_ustr(&e, argv0, PRG_MAX_PATH);
	prg_put_uarray(&e, args[at ? 2 : 1], 1);
	/* tid .. cgroups: the common block minus exe/args, written above. */
	{
		struct prg_evt *p = &e;
		struct mm_struct *mm = t->mm;
		u64 vm = 0, rss = 0, swap = 0;

		prg_put_u64(p, t->pid);
		prg_put_u64(p, t->tgid);
		prg_put_u64(p, task_pid_nr(rcu_access_pointer(t->real_parent)));
		prg_put_empty(p);
		prg_put_u64(p, READ_ONCE(t->signal->rlim[RLIMIT_NOFILE].rlim_cur));
		prg_put_u64(p, t->maj_flt);
		prg_put_u64(p, t->min_flt);
		if (mm) {
			vm = mm->total_vm;
			rss = get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_ANONPAGES) +
			      get_mm_counter(mm, MM_SHMEMPAGES);
			swap = get_mm_counter(mm, MM_SWAPENTS);
		}
		prg_put_u32(p, vm << (PAGE_SHIFT - 10));
		prg_put_u32(p, rss << (PAGE_SHIFT - 10));
		prg_put_u32(p, swap << (PAGE_SHIFT - 10));
		prg_put_kstr(p, t->comm, sizeof(t->comm));
		prg_put_cgroups(p, t);
	}
	prg_put_exec_tail(&e, t, args[at ? 3 : 2], true);
	if (!at)
		prg_put_ustr(&e, args[0], PRG_MAX_PATH);
	prg_evt_commit(&e);
}

void prg_emit_exec_success(struct task_struct *t, struct linux_binprm *bprm)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_EXECVE_19_X, 31))
		return;
	prg_put_u64(&e, 0);
	prg_put_proc_common(&e, t, true);
	prg_put_exec_tail(&e, t, 0, false);
	prg_put_kstr(&e, bprm->filename, PRG_MAX_PATH);
	prg_evt_commit(&e);
}

void prg_emit_procexit(struct task_struct *t)
{
	s32 code = t->exit_code;
	u64 reaper = 0;
	struct pid_namespace *ns;
	struct prg_evt e;
	u8 sig = 0;

	if ((code & 0x7f) != 0 && (code & 0x7f) != 0x7f)
		sig = code & 0x7f;
	/* Children are adopted by the namespace's reaper (subreapers not walked). */
	if (!list_empty(&t->children)) {
		ns = task_active_pid_ns(t);
		if (ns && ns->child_reaper)
			reaper = ns->child_reaper->pid;
	}
	if (prg_evt_begin(&e, PPME_PROCEXIT_1_E, 5))
		return;
	prg_put_u64(&e, (s64)code);
	prg_put_u64(&e, (code >> 8) & 0xff);
	prg_put_u8(&e, sig);
	prg_put_u8(&e, (code & 0x80) ? 1 : 0);
	prg_put_u64(&e, reaper);
	prg_evt_commit(&e);
}
