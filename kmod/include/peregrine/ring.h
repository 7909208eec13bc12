/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Peregrine kernel module <-> userspace protocol (rings and ioctls).
 *
 * Devices: one char device per possible CPU, /dev/peregrine<cpu>, mode 0600.
 * All devices of one capture are opened by one process (the consumer); a
 * second process gets EBUSY.  The consumer's own threads are never traced.
 *
 * mmap of a device fd:
 *   offset 0,               length PAGE_SIZE:  the control page
 *                           (struct prg_ring_ctrl), read-write
 *   offset PRG_MMAP_DATA,   length 2 * ctrl.size: the data pages, mapped
 *                           twice in a row, read-only (PROT_WRITE is EPERM)
 * Any other offset/length is EINVAL.
 *
 * Positions are free-running 64-bit byte counters; offset = pos & (size-1).
 * The producer writes whole events at head and publishes head with release
 * semantics.  The consumer reads events in [tail, head) straight from the
 * double mapping (an event that wraps reads contiguously), then stores the
 * new tail with release semantics.  The kernel validates tail before using
 * it: a tail that is ahead of head or more than size behind it counts a
 * PRG_DROP_BAD_TAIL drop and nothing is written.
 *
 * Wakeups: a consumer sets ctrl.waiting = 1 (and re-checks head) before
 * sleeping in poll(); the producer raises POLLIN through irq_work once
 * head - tail >= ctrl.watermark (set with PRG_IOC_SET_WATERMARK).
 * Readers should still poll with a timeout so latency stays bounded.
 */
#ifndef PEREGRINE_RING_H
#define PEREGRINE_RING_H

#include "wire.h"

#ifdef __KERNEL__
#include <linux/ioctl.h>
#elif !defined(__bpf__)
#include <sys/ioctl.h>
#endif

/* Ring ABI version (API): bump major on any incompatible change. */
#define PRG_API_VERSION_MAJOR 1
#define PRG_API_VERSION_MINOR 0
#define PRG_API_VERSION_PATCH 0
#define PRG_API_VERSION_STRING "1.0.0"
/* Versions are packed like libscap's: major 44..62, minor 24..43, patch 0..23. */
#define PRG_VERSION_PACK(ma, mi, pa) \
	((((__u64)(ma)) << 44) | (((__u64)(mi)) << 24) | ((__u64)(pa)))

#define PRG_DEVICE_NAME "peregrine"
/* Data pages start at this mmap offset (the control page is at 0). */
#define PRG_MMAP_DATA 0x100000ULL
/* Native syscall numbers covered by the interest bitmap. */
#define PRG_SYSCALL_BITS 512
#define PRG_SNAPLEN_DEFAULT 80
#define PRG_SNAPLEN_MAX 65000
/* Largest event the module writes. */
#define PRG_RING_MAX_EVENT (64 * 1024)

/* Tracepoints (bits of PRG_IOC_SET_TRACEPOINTS). */
enum prg_tp {
	PRG_TP_SYS_ENTER = 0,
	PRG_TP_SYS_EXIT = 1,
	PRG_TP_SCHED_PROCESS_EXEC = 2,
	PRG_TP_SCHED_PROCESS_FORK = 3,
	PRG_TP_SCHED_PROCESS_EXIT = 4,
	PRG_TP_MAX = 5
};

/* Why an event was not written (index into prg_ring_ctrl.drops). */
enum prg_drop {
	PRG_DROP_FULL = 0,	/* not enough free space in the ring */
	PRG_DROP_TOO_LARGE = 1,	/* event larger than PRG_RING_MAX_EVENT */
	PRG_DROP_NESTED = 2,	/* re-entered on the same CPU */
	PRG_DROP_BAD_TAIL = 3,	/* consumer tail out of range */
	PRG_DROP_NO_RING = 4,	/* event on a CPU without a ring (never expected) */
	PRG_DROP_MAX = 8
};

/*
 * The control page.  head and the counters are written by the kernel only;
 * tail, waiting are written by the consumer.  head and tail live on separate
 * cache lines.
 */
struct prg_ring_ctrl {
	__u64 head;		/* producer position (kernel, release) */
	__u64 size;		/* data bytes, a power of two */
	__u64 watermark;	/* wake the reader at head - tail >= watermark */
	__u32 cpu;		/* the CPU this ring belongs to */
	__u32 api_major;
	__u64 events;		/* events written */
	__u64 attempts;		/* events that passed the filters (written + dropped) */
	__u64 user_faults;	/* user memory unreadable: parameter left empty */
	__u64 wakeups;		/* irq_work wakeups raised */
	__u64 drops[PRG_DROP_MAX];
	/* consumer-owned cache line */
	__u64 tail;		/* consumer position (user, release) */
	__u32 waiting;		/* consumer is about to sleep in poll() */
	__u32 reserved1;
};

/* PRG_IOC_GET_STATS: a snapshot of one ring's counters. */
struct prg_ring_stats {
	__u64 head;
	__u64 tail;
	__u64 events;
	__u64 attempts;
	__u64 user_faults;
	__u64 wakeups;
	__u64 drops[PRG_DROP_MAX];
};

/* PRG_IOC_SET_INTEREST: bit n set = capture native syscall n. */
struct prg_interest {
	__u64 bits[PRG_SYSCALL_BITS / 64];
};

#define PRG_IOC_MAGIC 'P'
#define PRG_IOC_GET_API_VERSION _IOR(PRG_IOC_MAGIC, 1, __u64)
#define PRG_IOC_GET_SCHEMA_VERSION _IOR(PRG_IOC_MAGIC, 2, __u64)
#define PRG_IOC_SET_INTEREST _IOW(PRG_IOC_MAGIC, 3, struct prg_interest)
/* arg: bitmask of enum prg_tp; tracepoints not in the mask are detached. */
#define PRG_IOC_SET_TRACEPOINTS _IO(PRG_IOC_MAGIC, 4)
/* arg: snaplen in bytes, 1..PRG_SNAPLEN_MAX */
#define PRG_IOC_SET_SNAPLEN _IO(PRG_IOC_MAGIC, 5)
/* arg: watermark in bytes, 1..size/2 (this device's ring only) */
#define PRG_IOC_SET_WATERMARK _IO(PRG_IOC_MAGIC, 6)
#define PRG_IOC_GET_STATS _IOR(PRG_IOC_MAGIC, 7, struct prg_ring_stats)

PRG_STATIC_ASSERT(offsetof(struct prg_ring_ctrl, head) == 0, "head at 0");
PRG_STATIC_ASSERT(offsetof(struct prg_ring_ctrl, size) == 8, "size at 8");
PRG_STATIC_ASSERT(offsetof(struct prg_ring_ctrl, watermark) == 16, "watermark at 16");
PRG_STATIC_ASSERT(offsetof(struct prg_ring_ctrl, cpu) == 24, "cpu at 24");
PRG_STATIC_ASSERT(offsetof(struct prg_ring_ctrl, events) == 32, "events at 32");
PRG_STATIC_ASSERT(offsetof(struct prg_ring_ctrl, drops) == 64, "drops at 64");
PRG_STATIC_ASSERT(offsetof(struct prg_ring_ctrl, tail) == 128, "tail at 128");
PRG_STATIC_ASSERT(offsetof(struct prg_ring_ctrl, waiting) == 136, "waiting at 136");
PRG_STATIC_ASSERT(sizeof(struct prg_ring_ctrl) == 144, "control page struct is 144 bytes");
PRG_STATIC_ASSERT(sizeof(struct prg_ring_stats) == 112, "stats are 112 bytes");
PRG_STATIC_ASSERT(sizeof(struct prg_interest) == 64, "interest bitmap is 64 bytes");

#endif /* PEREGRINE_RING_H */
