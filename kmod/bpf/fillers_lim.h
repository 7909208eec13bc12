/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for resource limits, flock, getcwd and fsconfig
 * (event-table.md codes 93, 141, 143, 145, 243, 373).
 */
#ifndef PEREGRINE_BPF_FILLERS_LIM_H
#define PEREGRINE_BPF_FILLERS_LIM_H

/* struct rlimit / rlimit64: two 64-bit words on x86_64. */
struct prg_rlim {
	__u64 cur, max;
};

/* *p when p is set and readable; else { 0, 0 }. */
static __always_inline struct prg_rlim read_rlim(const void *p)
{
	struct prg_rlim l = {};

	if (p && bpf_probe_read_user(&l, sizeof(l), p))
		l.cur = l.max = 0;
	return l;
}

/* rlimit_resources: RLIMIT_CPU (0) .. RLIMIT_RTTIME (15) keep their numbers. */
static __always_inline __u8 rlimit_to_scap(__u64 r)
{
	return r <= 15 ? r : PRG_RLIMIT_UNKNOWN;
}

/* (res, cur, max, resource) of getrlimit (limits read back on success) and setrlimit. */
static __always_inline void rlimit_event(struct pt_regs *r, long ret, __u16 code)
{
	struct prg_rlim l = {};
	struct evb b;

	if (code == PPME_SYSCALL_SETRLIMIT_X || ret == 0)
		l = read_rlim((const void *)sarg(r, 1));
	if (!evb_begin(&b, code, 4))
		return;
	put_u64(&b, ret);
	put_u64(&b, l.cur);
	put_u64(&b, l.max);
	put_u8(&b, rlimit_to_scap(sarg(r, 0)));
	evb_submit(&b);
}

EXIT_FILLER(getrlimit)
{
	rlimit_event(r, ret, PPME_SYSCALL_GETRLIMIT_X);
}

EXIT_FILLER(setrlimit)
{
	rlimit_event(r, ret, PPME_SYSCALL_SETRLIMIT_X);
}

/*
 * (res, newcur, newmax, oldcur, oldmax, pid, resource): new limits from
 * arg 2 (0 when NULL), old ones from arg 3 when the call succeeded.
 */
EXIT_FILLER(prlimit64)
{
	struct prg_rlim n = read_rlim((const void *)sarg(r, 2)), o = {};
	struct evb b;

	if (ret == 0)
		o = read_rlim((const void *)sarg(r, 3));
	if (!evb_begin(&b, PPME_SYSCALL_PRLIMIT_X, 7))
		return;
	put_u64(&b, ret);
	put_u64(&b, n.cur);
	put_u64(&b, n.max);
	put_u64(&b, o.cur);
	put_u64(&b, o.max);
	put_fd(&b, sarg(r, 0));
	put_u8(&b, rlimit_to_scap(sarg(r, 1)));
	evb_submit(&b);
}

/* (res, fd, operation): LOCK_SH/EX/NB/UN keep their bits. */
EXIT_FILLER(flock)
{
	__u32 op = sarg(r, 1), s = 0;
	struct evb b;

	if (op & 0x1)
		s |= PRG_LOCK_SH;
	if (op & 0x2)
		s |= PRG_LOCK_EX;
	if (op & 0x4)
		s |= PRG_LOCK_NB;
	if (op & 0x8)
		s |= PRG_LOCK_UN;
	if (!evb_begin(&b, PPME_SYSCALL_FLOCK_X, 3))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, s);
	evb_submit(&b);
}

/* (res, path): the string the call wrote into arg 0; empty on failure. */
EXIT_FILLER(getcwd)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_GETCWD_X, 2))
		return;
	put_u64(&b, ret);
	if (ret > 0)
		put_ustr(&b, (const void *)sarg(r, 0));
	else
		put_empty(&b);
	evb_submit(&b);
}

/*
 * (res, fd, cmd, key, value_bytebuf, value_charbuf, aux): cmd is the native
 * FSCONFIG_* number (Falco's values for the ones it names are the same);
 * value is read as bytes (aux of them, snaplen-bound) for SET_BINARY, as a
 * string for SET_STRING, SET_PATH and SET_PATH_EMPTY, else left empty.
 */
EXIT_FILLER(fsconfig)
{
	__u32 cmd = sarg(r, 1);
	__s32 aux = sarg(r, 4);
	const void *val = (const void *)sarg(r, 3);
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_FSCONFIG_X, 7))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, cmd);
	put_ustr(&b, (const void *)sarg(r, 2));
	if (cmd == 2 /* FSCONFIG_SET_BINARY */)
		put_data(&b, val, aux);
	else
		put_empty(&b);
	if (cmd == 1 || cmd == 3 || cmd == 4) /* SET_STRING, SET_PATH, SET_PATH_EMPTY */
		put_ustr(&b, val);
	else
		put_empty(&b);
	put_u32(&b, aux);
	evb_submit(&b);
}

#endif /* PEREGRINE_BPF_FILLERS_LIM_H */
