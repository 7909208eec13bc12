// SPDX-License-Identifier: GPL-2.0-only
/*
 * Peregrine modern eBPF probe (CO-RE).  Emits scap events (wire.h) into one
 * BPF ring buffer per CPU.  See probe.h for the userspace protocol.
 *
 * Programs:
 *  - sys_exit dispatcher (tp_btf, raw_tp fallback): filter by syscall number
 *    and tgid, then tail-call the filler in exit_progs[nr];
 *  - one filler per syscall event (tx_* tp_btf, rx_* raw_tp), plus generic;
 *  - TOCTOU enter events for open/openat/openat2/creat/connect from the
 *    per-syscall tracepoints (only those syscalls pay for them);
 *  - sched_process_exec (successful exec) and sched_process_exit (procexit).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include <peregrine/wire.h>
#include <peregrine/ppm_flags.h>
#include <peregrine/ppm_sc.h>
#include "probe.h"

char LICENSE[] SEC("license") = "GPL";

/* Load-time configuration (.rodata), set by the loader before load. */
const volatile __u32 cfg_self_tgid = 0;
const volatile __u32 cfg_snaplen = 80;
const volatile __u64 cfg_wakeup_bytes = 64 * 1024;
const volatile __u64 cfg_boot_offset_ns = 0;
const volatile __u8 cfg_procexit = 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PRG_NR_SYSCALLS);
	__type(key, __u32);
	__type(value, __u8);
} interesting SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, PRG_NR_SYSCALLS);
	__type(key, __u32);
	__type(value, __u32);
} exit_progs SEC(".maps");

struct ringbuf_proto {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* set to the number of possible CPUs */
	__type(key, __u32);
	__array(values, struct ringbuf_proto);
} ringbufs SEC(".maps");

struct scratch_area {
	__u8 data[PRG_SCRATCH_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of possible CPUs */
	__type(key, __u32);
	__type(value, struct scratch_area);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct prg_counters);
} counters SEC(".maps");

static __always_inline int want(__u32 nr)
{
	__u8 *on = bpf_map_lookup_elem(&interesting, &nr);

	return on && *on;
}

/*
 * One filler body, three programs: tx_<name> (tp_btf) and rx_<name> (raw_tp),
 * tail-called by the sys_exit dispatcher, and fx_<name>, attached as fexit
 * on __x64_sys_<syscall> so that only captured syscalls pay anything.  All
 * get (struct pt_regs *regs, long ret) in ctx[0], ctx[1].
 */
#define EXIT_FILLER(name)							\
	static __always_inline void fill_##name(struct pt_regs *r, long ret);	\
	SEC("tp_btf/sys_exit") int tx_##name(__u64 *ctx)			\
	{									\
		fill_##name((struct pt_regs *)ctx[0], (long)ctx[1]);		\
		return 0;							\
	}									\
	SEC("raw_tp/sys_exit") int rx_##name(__u64 *ctx)			\
	{									\
		fill_##name((struct pt_regs *)ctx[0], (long)ctx[1]);		\
		return 0;							\
	}									\
	SEC("fexit") int fx_##name(__u64 *ctx)					\
	{									\
		if ((bpf_get_current_pid_tgid() >> 32) == cfg_self_tgid)	\
			return 0;						\
		fill_##name((struct pt_regs *)ctx[0], (long)ctx[1]);		\
		return 0;							\
	}									\
	static __always_inline void fill_##name(struct pt_regs *r, long ret)

#include "builder.h"
#include "extract.h"
#include "net.h"
#include "proc.h"
#include "fillers_fs.h"
#include "fillers_net.h"
#include "fillers_proc.h"
#include "fillers_io.h"
#include "fillers_misc.h"
#include "fillers_mem.h"
#include "fillers_sec.h"
#include "fillers_fdc.h"
#include "fillers_move.h"
#include "fillers_lim.h"
#include "fillers_enter.h"

/* PPM_SC code of each native syscall number (0 = unknown to the table). */
#define PRG_SC(code, name, nr) [(nr) < 0 ? PRG_NR_SYSCALLS - 1 : (nr)] = (nr) < 0 ? 0 : (code),
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
static const volatile __u16 ppm_sc_of_nr[PRG_NR_SYSCALLS] = { PRG_PPM_SC_TABLE };
#pragma clang diagnostic pop
#undef PRG_SC

EXIT_FILLER(generic)
{
	__u32 nr = BPF_CORE_READ(r, orig_ax);
	struct evb b;

	if (!evb_begin(&b, PPME_GENERIC_X, 2))
		return;
	put_u16(&b, ppm_sc_of_nr[nr & (PRG_NR_SYSCALLS - 1)]);
	put_u16(&b, nr);
	evb_submit(&b);
}

static __always_inline int dispatch(void *ctx, long nr)
{
	if (nr < 0 || nr >= PRG_NR_SYSCALLS || !want(nr))
		return 0;
	if ((bpf_get_current_pid_tgid() >> 32) == cfg_self_tgid)
		return 0;
	bpf_tail_call(ctx, &exit_progs, nr);
	return 0;
}

SEC("tp_btf/sys_exit")
int sys_exit_btf(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];

	/* BTF-typed pointer: a direct load, no probe_read on the filtered path. */
	return dispatch(ctx, regs->orig_ax);
}

SEC("raw_tp/sys_exit")
int sys_exit_raw(__u64 *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx[0];

	return dispatch(ctx, BPF_CORE_READ(regs, orig_ax));
}
