/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Peregrine modern eBPF probe: what the probe and its userspace loader
 * (sensor/crates/bpf) agree on besides the event wire format.
 *
 * Userspace protocol:
 *  - Before load, the loader sets the `const volatile` cfg_* globals
 *    (.rodata), so the verifier prunes disabled paths.
 *  - `interesting` (ARRAY of __u8, PRG_NR_SYSCALLS entries) says which native
 *    syscall numbers are captured; it may change while attached.
 *  - `exit_progs` (PROG_ARRAY indexed by syscall number) holds the exit filler
 *    for each captured syscall (a dedicated filler or generic_x).
 *  - `ringbufs` (ARRAY_OF_MAPS indexed by CPU) holds one BPF ring buffer per
 *    CPU, created by the loader.  Records are whole scap events.
 *  - `counters` (PERCPU_ARRAY[1] of struct prg_counters) counts events and
 *    drops by reason.
 */
#ifndef PEREGRINE_BPF_PROBE_H
#define PEREGRINE_BPF_PROBE_H

/* Native syscall numbers the filter and the tail-call table cover. */
#define PRG_NR_SYSCALLS 512

/* Size of one CPU's scratch area; events are built there, then copied out. */
#define PRG_SCRATCH_SIZE (128 * 1024)
/* Largest event the probe emits (and mask for offsets into the scratch). */
#define PRG_EVENT_MAX 65535
/* Bound of one string/path parameter, NUL included. */
#define PRG_MAX_PATH 4096
/* Bound of exe+args and of env. */
#define PRG_MAX_ARGS 4096
/* Bound of a captured data buffer (snaplen is clamped to this). */
#define PRG_MAX_SNAPLEN 16384
/* Path components walked for d_path-like paths and cgroup paths. */
#define PRG_MAX_PATH_DEPTH 32
#define PRG_MAX_CGROUP_DEPTH 6

/*
 * Per-CPU counters (one PERCPU_ARRAY slot).  Layout is ABI with
 * sensor/crates/bpf/src/stats.rs: append only.
 */
struct prg_counters {
	__u64 events;          /* events submitted to the ring */
	__u64 drop_full;       /* ring buffer full (output failed) */
	__u64 drop_no_ring;    /* no ring buffer for this CPU */
	__u64 drop_too_large;  /* event larger than PRG_EVENT_MAX */
	__u64 drop_no_scratch; /* scratch area lookup failed */
	__u64 wakeups;         /* forced wakeups (threshold crossed) */
};

#endif /* PEREGRINE_BPF_PROBE_H */
