// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Exit fillers for resource limits, flock, getcwd and fsconfig
 * (event-table.md codes 93, 141, 143, 145, 243, 373).  Parameters and conversions are those of the
 * eBPF probe (kmod/bpf/fillers_lim.h), so both drivers give the same events.
 */
#include <linux/fcntl.h>
#include <linux/resource.h>
#include <linux/uaccess.h>
#include <uapi/linux/mount.h>
#include <asm/unistd.h>
#include "prg.h"

/* struct rlimit / rlimit64: two 64-bit words on x86_64. */
struct prg_rlim {
	u64 cur, max;
};

/* *uptr when it is set and readable; else { 0, 0 }. */
static struct prg_rlim prg_read_rlim(unsigned long uptr)
{
	struct prg_rlim l = {};

	if (uptr && copy_from_user_nofault(&l, (const void __user *)uptr, sizeof(l)))
		l.cur = l.max = 0;
	return l;
}

/* rlimit_resources: RLIMIT_CPU (0) .. RLIMIT_RTTIME (15) keep their numbers. */
static u8 prg_rlimit(unsigned long r)
{
	return r <= RLIMIT_RTTIME ? r : PRG_RLIMIT_UNKNOWN;
}

/* (res, cur, max, resource) of getrlimit (limits read back on success) and setrlimit. */
static void prg_emit_rlimit(u16 code, unsigned long *a, long ret)
{
	struct prg_rlim l = {};
	struct prg_evt e;

	if (code == PPME_SYSCALL_SETRLIMIT_X || ret == 0)
		l = prg_read_rlim(a[1]);
	if (prg_evt_begin(&e, code, 4))
		return;
	prg_put_u64(&e, ret);
	prg_put_u64(&e, l.cur);
	prg_put_u64(&e, l.max);
	prg_put_u8(&e, prg_rlimit(a[0]));
	prg_evt_commit(&e);
}

/*
 * (res, newcur, newmax, oldcur, oldmax, pid, resource): new limits from
 * arg 2 (0 when NULL), old ones from arg 3 when the call succeeded.
 */
static void prg_emit_prlimit64(unsigned long *a, long ret)
{
	struct prg_rlim n = prg_read_rlim(a[2]), o = {};
	struct prg_evt e;

	if (ret == 0)
		o = prg_read_rlim(a[3]);
	if (prg_evt_begin(&e, PPME_SYSCALL_PRLIMIT_X, 7))
		return;
	prg_put_u64(&e, ret);
	prg_put_u64(&e, n.cur);
	prg_put_u64(&e, n.max);
	prg_put_u64(&e, o.cur);
	prg_put_u64(&e, o.max);
	prg_put_fd(&e, a[0]);
	prg_put_u8(&e, prg_rlimit(a[1]));
	prg_evt_commit(&e);
}

/* (res, fd, operation): LOCK_SH/EX/NB/UN keep their bits. */
static void prg_emit_flock(unsigned long *a, long ret)
{
	struct prg_evt e;
	u32 s = 0;

	if (a[1] & LOCK_SH)
		s |= PRG_LOCK_SH;
	if (a[1] & LOCK_EX)
		s |= PRG_LOCK_EX;
	if (a[1] & LOCK_NB)
		s |= PRG_LOCK_NB;
	if (a[1] & LOCK_UN)
		s |= PRG_LOCK_UN;
	if (prg_evt_begin(&e, PPME_SYSCALL_FLOCK_X, 3))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, s);
	prg_evt_commit(&e);
}

/* (res, path): the string the call wrote into arg 0; empty on failure. */
static void prg_emit_getcwd(unsigned long *a, long ret)
{
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_GETCWD_X, 2))
		return;
	prg_put_u64(&e, ret);
	if (ret > 0)
		prg_put_ustr(&e, a[0], PRG_MAX_PATH);
	else
		prg_put_empty(&e);
	prg_evt_commit(&e);
}

/*
 * (res, fd, cmd, key, value_bytebuf, value_charbuf, aux): cmd is the native
 * FSCONFIG_* number (Falco's values for the ones it names are the same);
 * value is read as bytes (aux of them, snaplen-bound) for SET_BINARY, as a
 * string for SET_STRING, SET_PATH and SET_PATH_EMPTY, else left empty.
 */
static void prg_emit_fsconfig(unsigned long *a, long ret)
{
	u32 cmd = a[1];
	s32 aux = a[4];
	struct prg_evt e;

	if (prg_evt_begin(&e, PPME_SYSCALL_FSCONFIG_X, 7))
		return;
	prg_put_u64(&e, ret);
	prg_put_fd(&e, a[0]);
	prg_put_u32(&e, cmd);
	prg_put_ustr(&e, a[2], PRG_MAX_PATH);
	if (cmd == FSCONFIG_SET_BINARY && aux > 0)
		prg_put_ubuf(&e, a[3], min_t(u32, aux, READ_ONCE(prg.snaplen)));
	else
		prg_put_empty(&e);
	if (cmd == FSCONFIG_SET_STRING || cmd == FSCONFIG_SET_PATH ||
	    cmd == FSCONFIG_SET_PATH_EMPTY)
		prg_put_ustr(&e, a[3], PRG_MAX_PATH);
	else
		prg_put_empty(&e);
	prg_put_u32(&e, aux);
	prg_evt_commit(&e);
}

bool prg_emit_lim(unsigned long *a, long nr, long ret)
{
	switch (nr) {
	case __NR_getrlimit:
		prg_emit_rlimit(PPME_SYSCALL_GETRLIMIT_X, a, ret);
		break;
	case __NR_setrlimit:
		prg_emit_rlimit(PPME_SYSCALL_SETRLIMIT_X, a, ret);
		break;
	case __NR_prlimit64:
		prg_emit_prlimit64(a, ret);
		break;
	case __NR_flock:
		prg_emit_flock(a, ret);
		break;
	case __NR_getcwd:
		prg_emit_getcwd(a, ret);
		break;
	case __NR_fsconfig:
		prg_emit_fsconfig(a, ret);
		break;
	default:
		return false;
	}
	return true;
}
