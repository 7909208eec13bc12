/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * scap flag values (PPM_*) as C constants, for producers that convert native
 * flags (the eBPF probe, the kernel module).  The values are the ones of
 * flag_tables.h (event-schema.md §5); the Rust crate peregrine-bpf checks
 * every constant here against the generated flag tables in a unit test
 * (ppm_flags_match_flag_tables), so a drift fails the build's tests.
 */
#ifndef PEREGRINE_PPM_FLAGS_H
#define PEREGRINE_PPM_FLAGS_H

/* file_flags */
#define PPM_O_NONE 0x0
#define PPM_O_RDONLY 0x1
#define PPM_O_WRONLY 0x2
#define PPM_O_RDWR 0x3
#define PPM_O_CREAT 0x4
#define PPM_O_APPEND 0x8
#define PPM_O_DSYNC 0x10
#define PPM_O_EXCL 0x20
#define PPM_O_NONBLOCK 0x40
#define PPM_O_SYNC 0x80
#define PPM_O_TRUNC 0x100
#define PPM_O_DIRECT 0x200
#define PPM_O_DIRECTORY 0x400
#define PPM_O_LARGEFILE 0x800
#define PPM_O_CLOEXEC 0x1000
#define PPM_O_TMPFILE 0x2000
#define PPM_O_F_CREATED 0x4000
#define PPM_FD_UPPER_LAYER 0x8000
#define PPM_FD_LOWER_LAYER 0x10000

/* creat_flags */
#define PPM_FD_UPPER_LAYER_CREAT 0x1
#define PPM_FD_LOWER_LAYER_CREAT 0x2

/* clone_flags */
#define PPM_CL_CLONE_FILES 0x1
#define PPM_CL_CLONE_FS 0x2
#define PPM_CL_CLONE_IO 0x4
#define PPM_CL_CLONE_NEWIPC 0x8
#define PPM_CL_CLONE_NEWNET 0x10
#define PPM_CL_CLONE_NEWNS 0x20
#define PPM_CL_CLONE_NEWPID 0x40
#define PPM_CL_CLONE_NEWUTS 0x80
#define PPM_CL_CLONE_PARENT 0x100
#define PPM_CL_CLONE_PARENT_SETTID 0x200
#define PPM_CL_CLONE_PTRACE 0x400
#define PPM_CL_CLONE_SIGHAND 0x800
#define PPM_CL_CLONE_SYSVSEM 0x1000
#define PPM_CL_CLONE_THREAD 0x2000
#define PPM_CL_CLONE_UNTRACED 0x4000
#define PPM_CL_CLONE_VM 0x8000
#define PPM_CL_CLONE_NEWUSER 0x100000
#define PPM_CL_CLONE_CHILD_CLEARTID 0x800000
#define PPM_CL_CLONE_CHILD_SETTID 0x1000000
#define PPM_CL_CLONE_SETTLS 0x2000000
#define PPM_CL_CLONE_VFORK 0x8000000
#define PPM_CL_CLONE_NEWCGROUP 0x10000000
#define PPM_CL_CHILD_IN_PIDNS 0x20000000

/* execve_flags */
#define PPM_EXE_WRITABLE 0x1
#define PPM_EXE_UPPER_LAYER 0x2
#define PPM_EXE_FROM_MEMFD 0x4
#define PPM_EXE_LOWER_LAYER 0x8

/* unlinkat_flags */
#define PPM_AT_REMOVEDIR 0x200

/*
 * pidfd_open_flags and delete_module_flags: the event table names these
 * tables but the reference leaves their contents out (event-schema.md 5.19).
 * The values are the scap ones of Falco's drivers (PIDFD_NONBLOCK bit 0;
 * O_TRUNC bit 0, O_NONBLOCK bit 1).  Not PPM_-prefixed: the flag-table
 * cross-check only knows the reference's tables.
 */
#define PRG_PIDFD_NONBLOCK 0x1
#define PRG_DELETE_MODULE_O_TRUNC 0x1
#define PRG_DELETE_MODULE_O_NONBLOCK 0x2

/*
 * epoll_create1_flags and close_range_flags: named by the event table,
 * contents left out of the reference (event-schema.md 5.19).  EPOLL_CLOEXEC
 * is bit 0, as in Falco's drivers; close_range's are the native bits
 * (CLOSE_RANGE_UNSHARE bit 1, CLOSE_RANGE_CLOEXEC bit 2), not checked
 * against a Falco value.
 */
#define PRG_EPOLL_CLOEXEC 0x1
#define PRG_CLOSE_RANGE_UNSHARE 0x2
#define PRG_CLOSE_RANGE_CLOEXEC 0x4

/*
 * splice_flags: named by the event table, contents left out of the
 * reference (event-schema.md 5.19).  The scap values of Falco's drivers
 * are the native SPLICE_F_* bits.
 */
#define PRG_SPLICE_F_MOVE 0x1
#define PRG_SPLICE_F_NONBLOCK 0x2
#define PRG_SPLICE_F_MORE 0x4
#define PRG_SPLICE_F_GIFT 0x8

/*
 * rlimit_resources and flock_flags: named by the event table, contents left
 * out of the reference (event-schema.md 5.19).  The scap values of Falco's
 * drivers are the native ones: RLIMIT_CPU (0) .. RLIMIT_RTTIME (15), 255
 * for any other resource; LOCK_SH/EX/NB/UN bits 0-3.
 */
#define PRG_RLIMIT_UNKNOWN 255
#define PRG_LOCK_SH 0x1
#define PRG_LOCK_EX 0x2
#define PRG_LOCK_NB 0x4
#define PRG_LOCK_UN 0x8

/*
 * io_uring_enter_flags: named by the event table, contents left out of the
 * reference (event-schema.md 5.19).  Falco's scap values: GETEVENTS,
 * SQ_WAKEUP, SQ_WAIT and EXT_ARG, bits 0-3 as native.
 */
#define PRG_IORING_ENTER_GETEVENTS 0x1
#define PRG_IORING_ENTER_SQ_WAKEUP 0x2
#define PRG_IORING_ENTER_SQ_WAIT 0x4
#define PRG_IORING_ENTER_EXT_ARG 0x8

#endif /* PEREGRINE_PPM_FLAGS_H */
