/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Exit fillers for memory mappings and io_uring setup (event-schema.md §3.9,
 * §3.2), with the prot/mmap/io_uring flag conversions of §5.6 and §5.15.
 */
#ifndef PEREGRINE_BPF_FILLERS_MEM_H
#define PEREGRINE_BPF_FILLERS_MEM_H

/* §5.6a prot flags. */
static __always_inline __u32 prot_to_scap(__u32 p)
{
	__u32 r = p & 0xf; /* READ, WRITE, EXEC, SEM keep their bits */

	if (p & 0x10) r |= 0x40;           /* the modern probe's PROT_SAO */
	if (p & 0x1000000) r |= 0x10;      /* PROT_GROWSDOWN */
	if (p & 0x2000000) r |= 0x20;      /* PROT_GROWSUP */
	return r;
}

/* §5.6b mmap flags. */
static __always_inline __u32 mmap_flags_to_scap(__u32 f)
{
	__u32 r = 0;

	if (f & 0x1) r |= 0x1;
	if (f & 0x2) r |= 0x2;
	if (f & 0x10) r |= 0x4;
	if (f & 0x20) r |= 0x8;
	if (f & 0x40) r |= 0x10;
	if (f & 0x4000) r |= 0x40;
	if (f & 0x8000) r |= 0x80;
	if (f & 0x10000) r |= 0x100;
	if (f & 0x100) r |= 0x200;
	if (f & 0x800) r |= 0x400;
	if (f & 0x1000) r |= 0x800;
	if (f & 0x80) r |= 0x1000; /* the modern probe's MAP_INHERIT */
	if (f & 0x2000) r |= 0x4000;
	return r;
}

EXIT_FILLER(mmap)
{
	struct mm_struct *mm = BPF_CORE_READ(cur(), mm);
	__u64 vm = 0, rss = 0, swap = 0;
	struct evb b;

	if (mm) {
		vm = BPF_CORE_READ(mm, total_vm);
		rss = MM_COUNTER(mm, 0) + MM_COUNTER(mm, 1) + MM_COUNTER(mm, 3);
		swap = MM_COUNTER(mm, 2);
	}
	if (!evb_begin(&b, PPME_SYSCALL_MMAP_X, 10))
		return;
	put_u64(&b, ret);
	put_u32(&b, vm << 2);
	put_u32(&b, rss << 2);
	put_u32(&b, swap << 2);
	put_u64(&b, sarg(r, 0));
	put_u64(&b, sarg(r, 1));
	put_u32(&b, prot_to_scap(sarg(r, 2)));
	put_u32(&b, mmap_flags_to_scap(sarg(r, 3)));
	put_fd(&b, sarg(r, 4));
	put_u64(&b, sarg(r, 5));
	evb_submit(&b);
}

EXIT_FILLER(mprotect)
{
	struct evb b;

	if (!evb_begin(&b, PPME_SYSCALL_MPROTECT_X, 4))
		return;
	put_u64(&b, ret);
	put_u64(&b, sarg(r, 0));
	put_u64(&b, sarg(r, 1));
	put_u32(&b, prot_to_scap(sarg(r, 2)));
	evb_submit(&b);
}

/* §5.15a/b io_uring setup flags and features. */
static __always_inline __u32 io_uring_flags_to_scap(__u32 f)
{
	__u32 r = 0;

	if (f & 0x1) r |= 0x1 | 0x4; /* IOPOLL, and the SQ_NEED_WAKEUP quirk */
	if (f & 0x2) r |= 0x2;
	if (f & 0x4) r |= 0x8;
	if (f & 0x8) r |= 0x10;
	if (f & 0x10) r |= 0x20;
	if (f & 0x20) r |= 0x40;
	if (f & 0x40) r |= 0x80;
	return r;
}

EXIT_FILLER(io_uring_setup)
{
	struct io_uring_params p = {};
	struct evb b;

	bpf_probe_read_user(&p, sizeof(p), (void *)sarg(r, 1));
	if (!evb_begin(&b, PPME_SYSCALL_IO_URING_SETUP_X, 8))
		return;
	put_u64(&b, ret);
	put_u32(&b, sarg(r, 0));
	put_u32(&b, p.sq_entries);
	put_u32(&b, p.cq_entries);
	put_u32(&b, io_uring_flags_to_scap(p.flags));
	put_u32(&b, p.sq_thread_cpu);
	put_u32(&b, p.sq_thread_idle);
	put_u32(&b, p.features & 0x6ff); /* 0x100 (EXT_ARG) never mapped upstream */
	evb_submit(&b);
}

#endif /* PEREGRINE_BPF_FILLERS_MEM_H */
