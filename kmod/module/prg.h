/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * peregrine.ko internals: per-CPU rings, the capture configuration, and the
 * event writer the fillers use.  The userspace protocol is documented in
 * include/peregrine/ring.h.
 */
#ifndef PRG_H
#define PRG_H

#include <linux/types.h>
#include <linux/wait.h>
#include <linux/irq_work.h>
#include <linux/mutex.h>
#include <linux/bitmap.h>
#include <linux/sched.h>
#include <linux/ptrace.h>
#include <linux/binfmts.h>

#include "peregrine/wire.h"
#include "peregrine/ring.h"
#include "peregrine/ppm_flags.h"
#include "compat.h"

/* Bound of one string/path parameter, NUL included (as the eBPF probe). */
#define PRG_MAX_PATH 4096
/* Bound of exe+args and of env. */
#define PRG_MAX_ARGS 4096
/* Bound of a byte buffer that is not syscall data (module image, msg_control). */
#define PRG_MAX_BUF 16384
/* iovec entries gathered for readv/writev/sendmsg/recvmsg. */
#define PRG_MAX_IOVCNT 32

struct prg_ring {
	struct prg_ring_ctrl *ctrl;	/* page_address(ctrl_page) */
	struct page *ctrl_page;
	struct page **pages;		/* the data pages, npages of them */
	unsigned long npages;
	u8 *data;			/* kernel view: pages mapped twice */
	u64 size;
	u64 mask;
	u64 watermark;
	u64 head;			/* producer position; ctrl->head is a copy */
	int cpu;
	int nesting;			/* re-entry guard, this CPU only */
	wait_queue_head_t wq;
	struct irq_work wake_work;
};

struct prg_state {
	struct prg_ring *rings;		/* indexed by CPU, nr_cpu_ids entries */
	struct mutex lock;		/* open/release/config */
	pid_t consumer_tgid;		/* 0: no consumer */
	int nopen;
	unsigned long tp_mask;		/* attached tracepoints */
	u32 snaplen;
	u64 ts_offset;			/* epoch - boottime at capture start */
	DECLARE_BITMAP(interest, PRG_SYSCALL_BITS);
};

extern struct prg_state prg;

/* prg_ring.c */
int prg_rings_alloc(unsigned long bytes);
void prg_rings_free(void);
struct prg_ring *prg_ring_of(int cpu);
int prg_ring_mmap(struct prg_ring *r, struct vm_area_struct *vma);
void prg_rings_reset(void);

/* An event being written in place into the current CPU's ring. */
struct prg_evt {
	struct prg_ring *ring;
	u8 *buf;
	u64 head;
	u32 cap;
	u32 len;
	u16 nparams;
	u16 idx;
	bool overflow;
};

int prg_evt_begin(struct prg_evt *e, u16 type, u16 nparams);
void prg_evt_commit(struct prg_evt *e);
void prg_user_fault(struct prg_evt *e);

static inline u8 *prg_evt_dst(struct prg_evt *e)
{
	return e->buf + e->len;
}

static inline u32 prg_evt_room(struct prg_evt *e)
{
	return e->overflow ? 0 : e->cap - e->len;
}

/* Closes the current parameter after n bytes were written at prg_evt_dst(). */
static inline void prg_set_len(struct prg_evt *e, u32 n)
{
	if (WARN_ON_ONCE(e->idx >= e->nparams)) {
		e->overflow = true;
		return;
	}
	if (e->overflow || n > e->cap - e->len) {
		e->overflow = true;
		e->idx++;
		return;
	}
	put_unaligned_le16(n, e->buf + PRG_EVENT_HEADER_LEN + 2 * e->idx);
	e->len += n;
	e->idx++;
}

static inline void prg_put(struct prg_evt *e, const void *p, u32 n)
{
	if (n <= prg_evt_room(e))
		memcpy(prg_evt_dst(e), p, n);
	prg_set_len(e, n);
}

static inline void prg_put_u8(struct prg_evt *e, u8 v)
{
	prg_put(e, &v, 1);
}

static inline void prg_put_u16(struct prg_evt *e, u16 v)
{
	__le16 x = cpu_to_le16(v);

	prg_put(e, &x, 2);
}

static inline void prg_put_u32(struct prg_evt *e, u32 v)
{
	__le32 x = cpu_to_le32(v);

	prg_put(e, &x, 4);
}

static inline void prg_put_u64(struct prg_evt *e, u64 v)
{
	__le64 x = cpu_to_le64(v);

	prg_put(e, &x, 8);
}

static inline void prg_put_empty(struct prg_evt *e)
{
	prg_set_len(e, 0);
}

/* An fd/pid argument: cut to int32, sign-extended. */
static inline void prg_put_fd(struct prg_evt *e, unsigned long a)
{
	prg_put_u64(e, (u64)(s64)(s32)a);
}

/* A dirfd argument; AT_FDCWD and PPM_AT_FDCWD are both -100 on Linux. */
static inline void prg_put_dirfd(struct prg_evt *e, unsigned long a)
{
	s32 fd = (s32)a;

	prg_put_u64(e, (u64)(s64)(fd == AT_FDCWD ? PPM_AT_FDCWD : fd));
}

/* prg_fill.c */
long prg_strncpy_nofault(char *dst, unsigned long uptr, long count);
void prg_put_ustr(struct prg_evt *e, unsigned long uptr, u32 max);
void prg_put_kstr(struct prg_evt *e, const char *s, u32 max);
void prg_put_ubuf(struct prg_evt *e, unsigned long uptr, u32 n);
void prg_put_sockaddr(struct prg_evt *e, unsigned long uptr, unsigned long ulen);
void prg_put_socktuple_to(struct prg_evt *e, int fd, bool inbound, unsigned long uaddr);
u64 prg_put_iov(struct prg_evt *e, unsigned long iov, unsigned long cnt, u64 max);
void prg_put_dyn(struct prg_evt *e, u8 idx, u64 v, u32 size);
void prg_put_file_dev_ino(struct prg_evt *e, long fd, u32 *flags);
u32 prg_open_flags(u32 native);
u32 prg_open_mode(u32 flags, u32 mode);
u32 prg_clone_flags(u64 native);
u32 prg_socket_family(u32 native);
u32 prg_sock_flags(u32 native);
u32 prg_encode_dev(dev_t dev);

static inline void prg_put_socktuple(struct prg_evt *e, int fd, bool inbound)
{
	prg_put_socktuple_to(e, fd, inbound, 0);
}

/*
 * prg_io.c, prg_misc.c, prg_fs.c, prg_sec.c, prg_fdc.c, prg_move.c,
 * prg_lim.c: true when nr has a filler there (event emitted).
 */
bool prg_emit_io(unsigned long *a, long nr, long ret);
bool prg_emit_misc(unsigned long *a, long nr, long ret);
bool prg_emit_fs(unsigned long *a, long nr, long ret);
bool prg_emit_sec(unsigned long *a, long nr, long ret);
bool prg_emit_fdc(unsigned long *a, long nr, long ret);
bool prg_emit_move(unsigned long *a, long nr, long ret);
bool prg_emit_lim(unsigned long *a, long nr, long ret);
/* readv/preadv and writev/pwritev (prg_io.c); pos adds the position param. */
void prg_emit_readv(u16 code, unsigned long *a, long ret, bool pos);
void prg_emit_writev(u16 code, unsigned long *a, long ret, bool pos);

/* prg_proc.c */
void prg_emit_clone(u16 code, long ret, u32 flags);
void prg_emit_exec_failure(struct pt_regs *regs, long ret, bool at);
void prg_emit_exec_success(struct task_struct *t, struct linux_binprm *bprm);
void prg_emit_procexit(struct task_struct *t);
struct path;
void prg_put_dpath(struct prg_evt *e, const struct path *p);

/* prg_syscalls.c */
void prg_sys_enter(struct pt_regs *regs, long id);
void prg_sys_exit(struct pt_regs *regs, long ret);
void prg_emit_path1(u16 code, long ret, unsigned long p);
void prg_emit_res_fds(u16 code, unsigned long *a, long ret, int n);

static inline bool prg_traced(void)
{
	return current->tgid != READ_ONCE(prg.consumer_tgid) &&
	       !(current->flags & PF_KTHREAD);
}

#endif /* PRG_H */
