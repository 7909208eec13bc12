// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Exit fillers for process control, credentials and signals, namespaces,
 * modules and memory mappings of event-schema.md section 3 (the file-system
 * ones are in prg_fs.c). Parameters and conversions are those of the eBPF
 * probe (kmod/bpf/fillers_misc.h, fillers_mem.h, fillers_net.h).
 */
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/uaccess.h>
#include <uapi/linux/io_uring.h>
#include <asm/unistd.h>
#include "prg.h"

static void prg_emit_prctl(unsigned long *a, long ret)
{
	u32 opt = a[0];
	struct prg_evt e;
	s32 v = 0;

	if (opt == PR_GET_CHILD_SUBREAPER && a[1] &&
	    copy_from_user_nofault(&v, (const void __user *)a[1], sizeof(v)))
		v = 0;
	if (prg_evt_begin(&e, PPME_SYSCALL_PRCTL_X, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_u32(&e, opt);
	if (opt == PR_SET_NAME || opt == PR_GET_NAME) {
		/* The name after the call: what was set, or what was read. */
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		prg_put_u64(&e, 0);
	} else if (opt == PR_GET_CHILD_SUBREAPER) {
		prg_put_empty(&e);
		prg_put_u64(&e, (s64)v);
	} else {
		prg_put_empty(&e);
		prg_put_u64(&e, a[1]);
	}
	prg_evt_commit(&e);
}

/* ptrace requests (event-schema.md 5.7); 0 is PTRACE_UNKNOWN. */
static u16 prg_ptrace_req(u32 req)
{
	static const struct { u32 native; u16 scap; } map[] = {
		{ 0x0, 0x1 },		/* TRACEME */
		{ 0x1, 0x2 },		/* PEEKTEXT */
		{ 0x2, 0x3 },		/* PEEKDATA */
		{ 0x3, 0x4 },		/* PEEKUSR */
		{ 0x4, 0x5 },		/* POKETEXT */
		{ 0x5, 0x6 },		/* POKEDATA */
		{ 0x6, 0x7 },		/* POKEUSR */
		{ 0x7, 0x8 },		/* CONT */
		{ 0x8, 0x9 },		/* KILL */
		{ 0x9, 0xa },		/* SINGLESTEP */
		{ 0x10, 0xb },		/* ATTACH */
		{ 0x11, 0xc },		/* DETACH */
		{ 0x18, 0xd },		/* SYSCALL */
		{ 0x4200, 0xe },	/* SETOPTIONS */
		{ 0x4201, 0xf },	/* GETEVENTMSG */
		{ 0x4202, 0x10 },	/* GETSIGINFO */
		{ 0x4203, 0x11 },	/* SETSIGINFO */
		{ 0x4204, 0x12 },	/* GETREGSET */
		{ 0x4205, 0x13 },	/* SETREGSET */
		{ 0x4206, 0x14 },	/* SEIZE */
		{ 0x4207, 0x15 },	/* INTERRUPT */
		{ 0x4208, 0x16 },	/* LISTEN */
		{ 0x4209, 0x17 },	/* PEEKSIGINFO */
		{ 0x420a, 0x18 },	/* GETSIGMASK */
		{ 0x420b, 0x19 },	/* SETSIGMASK */
		{ 0xc, 0x1a },		/* GETREGS */
		{ 0xd, 0x1b },		/* SETREGS */
		{ 0xe, 0x1c },		/* GETFPREGS */
		{ 0xf, 0x1d },		/* SETFPREGS */
		{ 0x12, 0x1e },		/* GETFPXREGS */
		{ 0x13, 0x1f },		/* SETFPXREGS */
		{ 0x15, 0x20 },		/* OLDSETOPTIONS */
		{ 0x19, 0x21 },		/* GET_THREAD_AREA */
		{ 0x1a, 0x22 },		/* SET_THREAD_AREA */
		{ 0x1e, 0x23 },		/* ARCH_PRCTL */
		{ 0x1f, 0x24 },		/* SYSEMU */
		{ 0x20, 0x25 },		/* SYSEMU_SINGLESTEP */
		{ 0x21, 0x26 },		/* SINGLEBLOCK */
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (map[i].native == req)
			return map[i].scap;
	return 0;
}

static void prg_emit_ptrace(unsigned long *a, long ret)
{
	u32 req = a[0];
	struct prg_evt e;
	u64 peek = 0;

	/* PEEK* store the word at the data pointer; the event carries the word. */
	if (ret >= 0 && req >= 1 && req <= 3 && a[3] &&
	    copy_from_user_nofault(&peek, (const void __user *)a[3], sizeof(peek)))
		peek = 0;
	if (prg_evt_begin(&e, PPME_SYSCALL_PTRACE_X, 5))
		return;
	prg_put_u64(&e, ret);
	prg_put_dyn(&e, 0, ret < 0 ? 0 : a[2], 8);
	if (ret < 0)
		prg_put_dyn(&e, 0, 0, 8);
	else if (req >= 1 && req <= 3)
		prg_put_dyn(&e, 0, peek, 8);
	else if (req == 0x7 || req == 0x9 || req == 0x11 || req == 0x18)
		prg_put_dyn(&e, 1, a[3], 1);	/* CONT, SINGLESTEP, DETACH, SYSCALL: a signal */
	else
		prg_put_dyn(&e, 0, a[3], 8);
	prg_put_u16(&e, prg_ptrace_req(req));
	prg_put_fd(&e, a[1]);
	prg_evt_commit(&e);
}

static void prg_emit_capset(long ret)
{
	const struct cred *c = current_cred();
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_CAPSET_X, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_u64(&e, prg_cap_u64(c->cap_inheritable));
	prg_put_u64(&e, prg_cap_u64(c->cap_permitted));
	prg_put_u64(&e, prg_cap_u64(c->cap_effective));
	prg_evt_commit(&e);
}

/* res and a list of u32 / pid arguments, as the per-call layouts say. */
static void prg_emit_res_u32s(u16 code, long ret, const unsigned long *v, int n)
{
	struct prg_evt e;
	int i;

	if (prg_evt_begin(&e, code, 1 + n))
		return;
	prg_put_u64(&e, ret);
	for (i = 0; i < n; i++)
		prg_put_u32(&e, v[i]);
	prg_evt_commit(&e);
}

/* kill/tkill (pid, sig) and tgkill (tgid, tid, sig). */
static void prg_emit_kill(u16 code, unsigned long *a, long ret, int npids)
{
	struct prg_evt e;
	int i;

	if (prg_evt_begin(&e, code, 2 + npids))
		return;
	prg_put_u64(&e, ret);
	for (i = 0; i < npids; i++)
		prg_put_fd(&e, a[i]);
	prg_put_u8(&e, a[npids]);
	prg_evt_commit(&e);
}

/* res then the first n arguments as fds (setsid, setpgid, fchdir). */
void prg_emit_res_fds(u16 code, unsigned long *a, long ret, int n)
{
	struct prg_evt e;
	int i;

	if (prg_evt_begin(&e, code, 1 + n))
		return;
	prg_put_u64(&e, ret);
	for (i = 0; i < n; i++)
		prg_put_fd(&e, a[i]);
	prg_evt_commit(&e);
}

static void prg_emit_ns(unsigned long *a, long nr, long ret)
{
	struct prg_evt e;

	if (nr == __NR_unshare) {
		if (prg_evt_begin(&e, PPME_SYSCALL_UNSHARE_X, 2))
			return;
		prg_put_u64(&e, ret);
		prg_put_u32(&e, prg_clone_flags(a[0]));
	} else {
		if (prg_evt_begin(&e, PPME_SYSCALL_SETNS_X, 3))
			return;
		prg_put_u64(&e, ret);
		prg_put_fd(&e, a[0]);
		prg_put_u32(&e, prg_clone_flags(a[1]));
	}
	prg_evt_commit(&e);
}

static void prg_emit_module(unsigned long *a, long nr, long ret)
{
	struct prg_evt e;

	if (nr == __NR_init_module) {
		if (prg_evt_begin(&e, PPME_SYSCALL_INIT_MODULE_X, 4))
			return;
		prg_put_u64(&e, ret);
		prg_put_ubuf(&e, a[0], min_t(u64, a[1], PRG_MAX_BUF));
		prg_put_u64(&e, a[1]);
		prg_put_ustr(&e, a[2], PRG_MAX_PATH);
	} else {
		if (prg_evt_begin(&e, PPME_SYSCALL_FINIT_MODULE_X, 4))
			return;
		prg_put_u64(&e, ret);
		prg_put_fd(&e, a[0]);
		prg_put_ustr(&e, a[1], PRG_MAX_PATH);
		/* IGNORE_MODVERSIONS, IGNORE_VERMAGIC, COMPRESSED_FILE keep their bits. */
		prg_put_u32(&e, a[2] & 7);
	}
	prg_evt_commit(&e);
}

/* prot flags (event-schema.md 5.6a). */
static u32 prg_prot_flags(u32 p)
{
	u32 r = p & 0xf;	/* READ, WRITE, EXEC, SEM keep their bits */

	if (p & 0x10)
		r |= 0x40;	/* the modern probe's PROT_SAO */
	if (p & PROT_GROWSDOWN)
		r |= 0x10;
	if (p & PROT_GROWSUP)
		r |= 0x20;
	return r;
}

/* mmap flags (event-schema.md 5.6b), native x86_64 values. */
static u32 prg_mmap_flags(u32 f)
{
	static const struct { u32 native, scap; } map[] = {
		{ 0x1, 0x1 },		/* SHARED */
		{ 0x2, 0x2 },		/* PRIVATE */
		{ 0x10, 0x4 },		/* FIXED */
		{ 0x20, 0x8 },		/* ANONYMOUS */
		{ 0x40, 0x10 },		/* 32BIT */
		{ 0x4000, 0x40 },	/* NORESERVE */
		{ 0x8000, 0x80 },	/* POPULATE */
		{ 0x10000, 0x100 },	/* NONBLOCK */
		{ 0x100, 0x200 },	/* GROWSDOWN */
		{ 0x800, 0x400 },	/* DENYWRITE */
		{ 0x1000, 0x800 },	/* EXECUTABLE */
		{ 0x80, 0x1000 },	/* the modern probe's MAP_INHERIT */
		{ 0x2000, 0x4000 },	/* LOCKED */
	};
	u32 r = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (f & map[i].native)
			r |= map[i].scap;
	return r;
}

static void prg_emit_mmap(unsigned long *a, long ret)
{
	struct mm_struct *mm = current->mm;
	u64 vm = 0, rss = 0, swap = 0;
	struct prg_evt e;

	if (mm) {
		vm = mm->total_vm;
		rss = get_mm_counter(mm, MM_FILEPAGES) + get_mm_counter(mm, MM_ANONPAGES) +
		      get_mm_counter(mm, MM_SHMEMPAGES);
		swap = get_mm_counter(mm, MM_SWAPENTS);
	}
	if (prg_evt_begin(&e, PPME_SYSCALL_MMAP_X, 10))
		return;
	prg_put_u64(&e, ret);
	prg_put_u32(&e, vm << (PAGE_SHIFT - 10));
	prg_put_u32(&e, rss << (PAGE_SHIFT - 10));
	prg_put_u32(&e, swap << (PAGE_SHIFT - 10));
	prg_put_u64(&e, a[0]);
	prg_put_u64(&e, a[1]);
	prg_put_u32(&e, prg_prot_flags(a[2]));
	prg_put_u32(&e, prg_mmap_flags(a[3]));
	prg_put_fd(&e, a[4]);
	prg_put_u64(&e, a[5]);
	prg_evt_commit(&e);
}

static void prg_emit_mprotect(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_MPROTECT_X, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_u64(&e, a[0]);
	prg_put_u64(&e, a[1]);
	prg_put_u32(&e, prg_prot_flags(a[2]));
	prg_evt_commit(&e);
}

/* io_uring setup flags (event-schema.md 5.15a). */
static u32 prg_io_uring_flags(u32 f)
{
	u32 r = 0;

	if (f & IORING_SETUP_IOPOLL)
		r |= 0x1 | 0x4;	/* IOPOLL, and the SQ_NEED_WAKEUP quirk */
	if (f & IORING_SETUP_SQPOLL)
		r |= 0x2;
	if (f & IORING_SETUP_SQ_AFF)
		r |= 0x8;
	if (f & IORING_SETUP_CQSIZE)
		r |= 0x10;
	if (f & IORING_SETUP_CLAMP)
		r |= 0x20;
	if (f & IORING_SETUP_ATTACH_WQ)
		r |= 0x40;
	if (f & IORING_SETUP_R_DISABLED)
		r |= 0x80;
	return r;
}

static void prg_emit_io_uring_setup(unsigned long *a, long ret)
{
	struct io_uring_params p;
	struct prg_evt e;

	if (!a[1] || copy_from_user_nofault(&p, (const void __user *)a[1], sizeof(p)))
		memset(&p, 0, sizeof(p));
	if (prg_evt_begin(&e, PPME_SYSCALL_IO_URING_SETUP_X, 8))
		return;
	prg_put_u64(&e, ret);
	prg_put_u32(&e, a[0]);
	prg_put_u32(&e, p.sq_entries);
	prg_put_u32(&e, p.cq_entries);
	prg_put_u32(&e, prg_io_uring_flags(p.flags));
	prg_put_u32(&e, p.sq_thread_cpu);
	prg_put_u32(&e, p.sq_thread_idle);
	prg_put_u32(&e, p.features & 0x6ff);	/* EXT_ARG (0x100) never mapped upstream */
	prg_evt_commit(&e);
}

bool prg_emit_misc(unsigned long *a, long nr, long ret)
{
	switch (nr) {
	case __NR_prctl:
		prg_emit_prctl(a, ret);
		break;
	case __NR_ptrace:
		prg_emit_ptrace(a, ret);
		break;
	case __NR_capset:
		prg_emit_capset(ret);
		break;
	case __NR_setsid:
		prg_emit_res_fds(PPME_SYSCALL_SETSID_X, a, ret, 0);
		break;
	case __NR_setpgid:
		prg_emit_res_fds(PPME_SYSCALL_SETPGID_X, a, ret, 2);
		break;
	case __NR_setreuid:
		prg_emit_res_u32s(PPME_SYSCALL_SETREUID_X, ret, a, 2);
		break;
	case __NR_setregid:
		prg_emit_res_u32s(PPME_SYSCALL_SETREGID_X, ret, a, 2);
		break;
	case __NR_setresuid:
		prg_emit_res_u32s(PPME_SYSCALL_SETRESUID_X, ret, a, 3);
		break;
	case __NR_setresgid:
		prg_emit_res_u32s(PPME_SYSCALL_SETRESGID_X, ret, a, 3);
		break;
	case __NR_kill:
		prg_emit_kill(PPME_SYSCALL_KILL_X, a, ret, 1);
		break;
	case __NR_tkill:
		prg_emit_kill(PPME_SYSCALL_TKILL_X, a, ret, 1);
		break;
	case __NR_tgkill:
		prg_emit_kill(PPME_SYSCALL_TGKILL_X, a, ret, 2);
		break;
	case __NR_unshare:
	case __NR_setns:
		prg_emit_ns(a, nr, ret);
		break;
	case __NR_init_module:
	case __NR_finit_module:
		prg_emit_module(a, nr, ret);
		break;
	case __NR_mmap:
		prg_emit_mmap(a, ret);
		break;
	case __NR_mprotect:
		prg_emit_mprotect(a, ret);
		break;
	case __NR_io_uring_setup:
		prg_emit_io_uring_setup(a, ret);
		break;
	default:
		return false;
	}
	return true;
}
