/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * TOCTOU enter events (event-schema.md §2): the user path/address is
 * captured before the kernel acts on it.  Attached to the per-syscall
 * tracepoints syscalls/sys_enter_<name>, so other syscalls pay nothing.
 */
#ifndef PEREGRINE_BPF_FILLERS_ENTER_H
#define PEREGRINE_BPF_FILLERS_ENTER_H

static __always_inline int enter_wanted(__u32 nr)
{
	return want(nr) && (bpf_get_current_pid_tgid() >> 32) != cfg_self_tgid;
}

SEC("tracepoint/syscalls/sys_enter_open")
int enter_open(struct trace_event_raw_sys_enter *ctx)
{
	__u32 flags = ctx->args[1];
	struct evb b;

	if (!enter_wanted(2) || !evb_begin(&b, PPME_SYSCALL_OPEN_E, 3))
		return 0;
	put_ustr(&b, (void *)ctx->args[0]);
	put_u32(&b, open_flags_to_scap(flags));
	put_u32(&b, open_mode_to_scap(flags, ctx->args[2]));
	evb_submit(&b);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u32 flags = ctx->args[2];
	struct evb b;

	if (!enter_wanted(257) || !evb_begin(&b, PPME_SYSCALL_OPENAT_2_E, 4))
		return 0;
	put_dirfd(&b, ctx->args[0]);
	put_ustr(&b, (void *)ctx->args[1]);
	put_u32(&b, open_flags_to_scap(flags));
	put_u32(&b, open_mode_to_scap(flags, ctx->args[3]));
	evb_submit(&b);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat2")
int enter_openat2(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how how;
	struct evb b;

	if (!enter_wanted(437))
		return 0;
	read_open_how((void *)ctx->args[2], &how);
	if (!evb_begin(&b, PPME_SYSCALL_OPENAT2_E, 5))
		return 0;
	put_dirfd(&b, ctx->args[0]);
	put_ustr(&b, (void *)ctx->args[1]);
	put_u32(&b, open_flags_to_scap(how.flags));
	put_u32(&b, open_mode_to_scap(how.flags, how.mode));
	put_u32(&b, resolve_to_scap(how.resolve));
	evb_submit(&b);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_creat")
int enter_creat(struct trace_event_raw_sys_enter *ctx)
{
	struct evb b;

	if (!enter_wanted(85) || !evb_begin(&b, PPME_SYSCALL_CREAT_E, 2))
		return 0;
	put_ustr(&b, (void *)ctx->args[0]);
	put_u32(&b, open_mode_to_scap(0x40, ctx->args[1]));
	evb_submit(&b);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	struct evb b;

	if (!enter_wanted(42) || !evb_begin(&b, PPME_SOCKET_CONNECT_E, 2))
		return 0;
	put_fd(&b, ctx->args[0]);
	put_usockaddr(&b, (void *)ctx->args[1], ctx->args[2]);
	evb_submit(&b);
	return 0;
}

#endif /* PEREGRINE_BPF_FILLERS_ENTER_H */
