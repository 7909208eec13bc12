/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Event builder: an event is assembled in this CPU's scratch area (header,
 * u16 length array, parameter bytes), then copied into this CPU's ring with
 * one bpf_ringbuf_output().  Offsets into the scratch are masked with
 * PRG_EVENT_MAX so the verifier can bound every write; a write of at most
 * PRG_MAX_PATH/PRG_MAX_SNAPLEN bytes past the mask still fits the scratch.
 */
#ifndef PEREGRINE_BPF_BUILDER_H
#define PEREGRINE_BPF_BUILDER_H

struct evb {
	__u8 *buf;
	__u64 ts;
	__u64 tid;
	__u32 off;      /* next parameter byte */
	__u32 n;        /* parameters written */
	__u32 nparams;  /* parameters declared in the header */
	__u16 code;
};

#define OFF(b) ((b)->off & PRG_EVENT_MAX)

static __always_inline __u8 *scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch_map, &cpu);
}

static __always_inline void count(__u32 which)
{
	__u32 zero = 0;
	struct prg_counters *c = bpf_map_lookup_elem(&counters, &zero);

	if (!c)
		return;
	switch (which) {
	case 0: c->events++; break;
	case 1: c->drop_full++; break;
	case 2: c->drop_no_ring++; break;
	case 3: c->drop_too_large++; break;
	case 4: c->drop_no_scratch++; break;
	case 5: c->wakeups++; break;
	}
}

/* Starts an event; returns 0 when there is no scratch area (counted). */
static __always_inline int evb_begin(struct evb *b, __u16 code, __u32 nparams)
{
	b->buf = scratch();
	if (!b->buf) {
		count(4);
		return 0;
	}
	b->ts = bpf_ktime_get_boot_ns() + cfg_boot_offset_ns;
	b->tid = bpf_get_current_pid_tgid() & 0xffffffff;
	b->code = code;
	b->nparams = nparams;
	b->n = 0;
	b->off = PRG_EVENT_HEADER_LEN + 2 * nparams;
	return 1;
}

static __always_inline void set_len(struct evb *b, __u32 len)
{
	__u32 i = b->n & (PRG_MAX_EVENT_PARAMS - 1);

	*(__u16 *)(b->buf + PRG_EVENT_HEADER_LEN + 2 * i) = len;
	b->n++;
	b->off += len;
}

static __always_inline void put_u8(struct evb *b, __u8 v)
{
	*(__u8 *)(b->buf + OFF(b)) = v;
	set_len(b, 1);
}

static __always_inline void put_u16(struct evb *b, __u16 v)
{
	*(__u16 *)(b->buf + OFF(b)) = v;
	set_len(b, 2);
}

static __always_inline void put_u32(struct evb *b, __u32 v)
{
	*(__u32 *)(b->buf + OFF(b)) = v;
	set_len(b, 4);
}

static __always_inline void put_u64(struct evb *b, __u64 v)
{
	*(__u64 *)(b->buf + OFF(b)) = v;
	set_len(b, 8);
}

/* An fd or pid argument: cut to int32, sign-extended. */
static __always_inline void put_fd(struct evb *b, __u64 arg)
{
	put_u64(b, (__s64)(__s32)arg);
}

/* A dirfd argument: AT_FDCWD is written as PPM_AT_FDCWD. */
static __always_inline void put_dirfd(struct evb *b, __u64 arg)
{
	__s32 fd = (__s32)arg;

	if (fd == -100 /* AT_FDCWD */)
		fd = PPM_AT_FDCWD;
	put_u64(b, (__s64)fd);
}

static __always_inline void put_empty(struct evb *b)
{
	set_len(b, 0);
}

/* NUL-terminated string from user memory; empty when NULL or unreadable. */
static __always_inline void put_ustr(struct evb *b, const void *p)
{
	long n = 0;

	if (p)
		n = bpf_probe_read_user_str(b->buf + OFF(b), PRG_MAX_PATH, p);
	set_len(b, n > 0 ? n : 0);
}

/* NUL-terminated string from kernel memory. */
static __always_inline void put_kstr(struct evb *b, const void *p)
{
	long n = 0;

	if (p)
		n = bpf_probe_read_kernel_str(b->buf + OFF(b), PRG_MAX_PATH, p);
	set_len(b, n > 0 ? n : 0);
}

/* Up to len bytes from user memory (bounded by PRG_MAX_SNAPLEN). */
static __always_inline void put_ubytes(struct evb *b, const void *p, __u64 len)
{
	if (!p || len == 0) {
		set_len(b, 0);
		return;
	}
	if (len > PRG_MAX_SNAPLEN)
		len = PRG_MAX_SNAPLEN;
	if (bpf_probe_read_user(b->buf + OFF(b), len & (2 * PRG_MAX_SNAPLEN - 1), p))
		len = 0;
	set_len(b, len);
}

/* Data payload of read/write-like calls: at most cfg_snaplen bytes. */
static __always_inline void put_data(struct evb *b, const void *p, __s64 len)
{
	__u64 n = len > 0 ? (__u64)len : 0;

	if (n > cfg_snaplen)
		n = cfg_snaplen;
	put_ubytes(b, p, n);
}

/* Appends raw bytes to the current parameter without closing it. */
static __always_inline void raw_u8(struct evb *b, __u32 *len, __u8 v)
{
	*(__u8 *)(b->buf + ((b->off + *len) & PRG_EVENT_MAX)) = v;
	*len += 1;
}

static __always_inline void raw_u16(struct evb *b, __u32 *len, __u16 v)
{
	*(__u16 *)(b->buf + ((b->off + *len) & PRG_EVENT_MAX)) = v;
	*len += 2;
}

static __always_inline void raw_u32(struct evb *b, __u32 *len, __u32 v)
{
	*(__u32 *)(b->buf + ((b->off + *len) & PRG_EVENT_MAX)) = v;
	*len += 4;
}

static __always_inline void raw_u64(struct evb *b, __u32 *len, __u64 v)
{
	*(__u64 *)(b->buf + ((b->off + *len) & PRG_EVENT_MAX)) = v;
	*len += 8;
}

/* Appends a kernel string (with its NUL) to the current parameter. */
static __always_inline long raw_kstr(struct evb *b, __u32 *len, const void *p, __u32 max)
{
	long n = bpf_probe_read_kernel_str(b->buf + ((b->off + *len) & PRG_EVENT_MAX),
					   max & (PRG_MAX_PATH - 1), p);
	if (n > 0)
		*len += n;
	return n;
}

/* Writes the header and hands the event to this CPU's ring. */
static __always_inline void evb_submit(struct evb *b)
{
	struct ppm_evt_hdr *h = (struct ppm_evt_hdr *)b->buf;
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 len = b->off;
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u64 avail;
	void *rb;

	if (len > PRG_EVENT_MAX) {
		count(3);
		return;
	}
	h->ts = b->ts;
	h->tid = b->tid;
	h->len = len;
	h->type = b->code;
	h->nparams = b->n;
	rb = bpf_map_lookup_elem(&ringbufs, &cpu);
	if (!rb) {
		count(2);
		return;
	}
	/* Wake the reader only when pending data crosses the threshold. */
	avail = bpf_ringbuf_query(rb, BPF_RB_AVAIL_DATA);
	if (avail < cfg_wakeup_bytes && avail + len + 8 >= cfg_wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		count(5);
	}
	if (bpf_ringbuf_output(rb, b->buf, len, flags)) {
		count(1);
		return;
	}
	count(0);
}

#endif /* PEREGRINE_BPF_BUILDER_H */
