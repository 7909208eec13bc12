/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for the rest of event-schema.md §3: links and nodes, mounts,
 * ownership and access, credentials and process control, modules, bpf and
 * memory mappings.
 */
#ifndef PEREGRINE_BPF_FILLERS_MISC_H
#define PEREGRINE_BPF_FILLERS_MISC_H

EXIT_FILLER(linkat)
{
	__u32 f = sarg(r, 4);
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_LINKAT_2_X, 6))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_dirfd(&b, sarg(r, 2));
	put_ustr(&b, (void *)sarg(r, 3));
	put_u32(&b, f & (0x400 | 0x1000));
	evb_submit(&b);
}

EXIT_FILLER(symlinkat)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_SYMLINKAT_X, 4))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_dirfd(&b, sarg(r, 1));
	put_ustr(&b, (void *)sarg(r, 2));
	evb_submit(&b);
}

/* §5.11: permission bits plus the file type; S_IFREG or no type give S_IFREG. */
static __always_inline __u32 mknod_mode_to_scap(__u32 m)
{
	__u32 t = m & 0xf000, r = m & 07777;

	if (t == 0xc000 || t == 0x6000 || t == 0x2000 || t == 0x1000)
		r |= t;
	else if (t == 0x8000 || t == 0)
		r |= 0x8000;
	return r;
}

EXIT_FILLER(mknod)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_MKNOD_X, 4))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, mknod_mode_to_scap(sarg(r, 1)));
	put_u32(&b, encode_dev(sarg(r, 2))); /* §4.9: the user dev re-encoded, as upstream */
	evb_submit(&b);
}

EXIT_FILLER(mknodat)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_MKNODAT_X, 5))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_u32(&b, mknod_mode_to_scap(sarg(r, 2)));
	put_u32(&b, encode_dev(sarg(r, 3)));
	evb_submit(&b);
}

EXIT_FILLER(mount)
{
	__u32 f = sarg(r, 3);
	struct evb b;

	if ((f & 0xffff0000) == 0xc0ed0000) /* MS_MGC_VAL */
		f &= 0xffff;
	if (!evb_begin(&b, PPME_SYSCALL_MOUNT_X, 5))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_ustr(&b, (void *)sarg(r, 2));
	put_u32(&b, f);
	evb_submit(&b);
}

EXIT_FILLER(umount2)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_UMOUNT2_X, 3))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, sarg(r, 1));
	evb_submit(&b);
}

/* chown/lchown: (res, path, uid, gid). */
#define CHOWN_FILLER(name, code)			\
	EXIT_FILLER(name)				\
	{						\
		struct evb b;				\
		if (!evb_begin(&b, code, 4))		\
			return;				\
		put_u64(&b, ret);			\
		put_ustr(&b, (void *)sarg(r, 0));	\
		put_u32(&b, sarg(r, 1));		\
		put_u32(&b, sarg(r, 2));		\
		evb_submit(&b);				\
	}

CHOWN_FILLER(chown, PPME_SYSCALL_CHOWN_X)
CHOWN_FILLER(lchown, PPME_SYSCALL_LCHOWN_X)

EXIT_FILLER(fchown)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_FCHOWN_X, 4))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, sarg(r, 1));
	put_u32(&b, sarg(r, 2));
	evb_submit(&b);
}

EXIT_FILLER(fchownat)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_FCHOWNAT_X, 6))
		return;
	put_u64(&b, ret);
	put_dirfd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_u32(&b, sarg(r, 2));
	put_u32(&b, sarg(r, 3));
	/* §5.9c: only AT_SYMLINK_FOLLOW and AT_EMPTY_PATH survive. */
	put_u32(&b, sarg(r, 4) & (0x400 | 0x1000));
	evb_submit(&b);
}

EXIT_FILLER(access)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_ACCESS_X, 3))
		return;
	put_u64(&b, ret);
	put_ustr(&b, (void *)sarg(r, 0));
	put_u32(&b, sarg(r, 1) & 7);
	evb_submit(&b);
}

/* setreuid/setregid: (res, r, e). */
#define RE_ID_FILLER(name, code)			\
	EXIT_FILLER(name)				\
	{						\
		struct evb b;				\
		if (!evb_begin(&b, code, 3))		\
			return;				\
		put_u64(&b, ret);			\
		put_u32(&b, sarg(r, 0));		\
		put_u32(&b, sarg(r, 1));		\
		evb_submit(&b);				\
	}

RE_ID_FILLER(setreuid, PPME_SYSCALL_SETREUID_X)
RE_ID_FILLER(setregid, PPME_SYSCALL_SETREGID_X)

EXIT_FILLER(setsid)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_SETSID_X, 1))
		return;
	put_u64(&b, ret);
	evb_submit(&b);
}

EXIT_FILLER(setpgid)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_SETPGID_X, 3))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_fd(&b, sarg(r, 1));
	evb_submit(&b);
}

EXIT_FILLER(capset)
{
	const struct cred *c = BPF_CORE_READ(cur(), cred);
	__u64 cap = 0;
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_CAPSET_X, 4))
		return;
	put_u64(&b, ret);
	bpf_core_read(&cap, sizeof(cap), &c->cap_inheritable);
	put_u64(&b, cap);
	bpf_core_read(&cap, sizeof(cap), &c->cap_permitted);
	put_u64(&b, cap);
	bpf_core_read(&cap, sizeof(cap), &c->cap_effective);
	put_u64(&b, cap);
	evb_submit(&b);
}

EXIT_FILLER(prctl)
{
	__u32 opt = sarg(r, 0);
	__u64 a1 = sarg(r, 1);
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_PRCTL_X, 4))
		return;
	put_u64(&b, ret);
	put_u32(&b, opt);
	if (opt == 15 || opt == 16) { /* PR_SET_NAME, PR_GET_NAME */
		put_ustr(&b, (void *)a1);
		put_u64(&b, 0);
	} else if (opt == 37) { /* PR_GET_CHILD_SUBREAPER */
		__s32 v = 0;

		bpf_probe_read_user(&v, sizeof(v), (void *)a1);
		put_empty(&b);
		put_u64(&b, (__s64)v);
	} else {
		put_empty(&b);
		put_u64(&b, a1);
	}
	evb_submit(&b);
}

/* §5.7 ptrace requests. */
static __always_inline __u16 ptrace_req_to_scap(__u32 q)
{
	switch (q) {
	case 0: return 1;
	case 1: return 2;
	case 2: return 3;
	case 3: return 4;
	case 4: return 5;
	case 5: return 6;
	case 6: return 7;
	case 7: return 8;
	case 8: return 9;
	case 9: return 10;
	case 0x10: return 11;
	case 0x11: return 12;
	case 0x18: return 13;
	case 0x4200: return 14;
	case 0x4201: return 15;
	case 0x4202: return 16;
	case 0x4203: return 17;
	case 0x4204: return 18;
	case 0x4205: return 19;
	case 0x4206: return 20;
	case 0x4207: return 21;
	case 0x4208: return 22;
	case 0x4209: return 23;
	case 0x420a: return 24;
	case 0x420b: return 25;
	case 0xc: return 26;
	case 0xd: return 27;
	case 0xe: return 28;
	case 0xf: return 29;
	case 0x12: return 30;
	case 0x13: return 31;
	case 0x15: return 32;
	case 0x19: return 33;
	case 0x1a: return 34;
	case 0x1e: return 35;
	case 0x1f: return 36;
	case 0x20: return 37;
	case 0x21: return 38;
	default: return 0;
	}
}

/* A PT_DYN parameter: index byte then the value (§4.13). */
static __always_inline void put_dyn_u64(struct evb *b, __u64 v)
{
	__u32 len = 0;

	raw_u8(b, &len, 0);
	raw_u64(b, &len, v);
	set_len(b, len);
}

EXIT_FILLER(ptrace)
{
	__u32 req = sarg(r, 0);
	__u64 data = sarg(r, 3);
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_PTRACE_X, 5))
		return;
	put_u64(&b, ret);
	put_dyn_u64(&b, ret < 0 ? 0 : sarg(r, 2));
	if (ret < 0) {
		put_dyn_u64(&b, 0);
	} else if (req >= 1 && req <= 3) { /* PEEKTEXT/PEEKDATA/PEEKUSR */
		__u64 v = 0;

		bpf_probe_read_user(&v, sizeof(v), (void *)data);
		put_dyn_u64(&b, v);
	} else if (req == 7 || req == 9 || req == 0x11 || req == 0x18) {
		__u32 len = 0;

		raw_u8(&b, &len, 1);
		raw_u8(&b, &len, data);
		set_len(&b, len);
	} else {
		put_dyn_u64(&b, data);
	}
	put_u16(&b, ptrace_req_to_scap(req));
	put_fd(&b, sarg(r, 1));
	evb_submit(&b);
}

EXIT_FILLER(unshare)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_UNSHARE_X, 2))
		return;
	put_u64(&b, ret);
	put_u32(&b, clone_flags_to_scap(sarg(r, 0)));
	evb_submit(&b);
}

EXIT_FILLER(setns)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_SETNS_X, 3))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_u32(&b, clone_flags_to_scap(sarg(r, 1)));
	evb_submit(&b);
}

EXIT_FILLER(tgkill)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_TGKILL_X, 4))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_fd(&b, sarg(r, 1));
	put_u8(&b, sarg(r, 2));
	evb_submit(&b);
}

EXIT_FILLER(init_module)
{
	__u64 len = sarg(r, 1);
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_INIT_MODULE_X, 4))
		return;
	put_u64(&b, ret);
	put_ubytes(&b, (void *)sarg(r, 0), len);
	put_u64(&b, len);
	put_ustr(&b, (void *)sarg(r, 2));
	evb_submit(&b);
}

EXIT_FILLER(finit_module)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_FINIT_MODULE_X, 4))
		return;
	put_u64(&b, ret);
	put_fd(&b, sarg(r, 0));
	put_ustr(&b, (void *)sarg(r, 1));
	put_u32(&b, sarg(r, 2) & 7);
	evb_submit(&b);
}

EXIT_FILLER(bpf)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_BPF_2_X, 2))
		return;
	put_u64(&b, ret);
	put_u32(&b, sarg(r, 0));
	evb_submit(&b);
}

#endif /* PEREGRINE_BPF_FILLERS_MISC_H */
