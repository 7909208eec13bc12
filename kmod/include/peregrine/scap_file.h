/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * .scap capture file framing (pcapng-like).  Every block is
 *   u32 block_type, u32 block_total_length, body, zero padding to 4 bytes,
 *   u32 block_total_length (must equal the header's).
 * The stream may be gzip-compressed.  All integers are little-endian.
 */
#ifndef PEREGRINE_SCAP_FILE_H
#define PEREGRINE_SCAP_FILE_H

#include "wire.h"

#define SCAP_BYTE_ORDER_MAGIC 0x1A2B3C4D
#define SCAP_FILE_MAJOR 1
#define SCAP_FILE_MINOR 2

enum scap_block_type {
	SHB_BLOCK_TYPE = 0x0A0D0D0A,
	MI_BLOCK_TYPE = 0x201,
	MI_BLOCK_TYPE_INT = 0x8002ABCD,
	PL_BLOCK_TYPE_V1 = 0x202,
	PL_BLOCK_TYPE_V1_INT = 0x8002ABCE,
	FDL_BLOCK_TYPE = 0x203,
	FDL_BLOCK_TYPE_INT = 0x8002ABCF,
	EV_BLOCK_TYPE = 0x204,
	EV_BLOCK_TYPE_INT = 0x8002ABD0,
	IL_BLOCK_TYPE = 0x205,
	IL_BLOCK_TYPE_INT = 0x8002ABD1,
	UL_BLOCK_TYPE = 0x206,
	UL_BLOCK_TYPE_INT = 0x8002ABD2,
	PL_BLOCK_TYPE_V2 = 0x207,
	PL_BLOCK_TYPE_V2_INT = 0x8002ABD3,
	EVF_BLOCK_TYPE = 0x208,
	EVF_BLOCK_TYPE_INT = 0x8002ABD4,
	PL_BLOCK_TYPE_V3 = 0x209,
	PL_BLOCK_TYPE_V3_INT = 0x8002ABD5,
	PL_BLOCK_TYPE_V4 = 0x210,
	PL_BLOCK_TYPE_V5 = 0x211,
	PL_BLOCK_TYPE_V6 = 0x212,
	PL_BLOCK_TYPE_V7 = 0x213,
	PL_BLOCK_TYPE_V8 = 0x214,
	PL_BLOCK_TYPE_V9 = 0x215,
	EV_BLOCK_TYPE_V2 = 0x216,
	EVF_BLOCK_TYPE_V2 = 0x217,
	FDL_BLOCK_TYPE_V2 = 0x218,
	IL_BLOCK_TYPE_V2 = 0x219,
	UL_BLOCK_TYPE_V2 = 0x220,
	EV_BLOCK_TYPE_V2_LARGE = 0x221,
	EVF_BLOCK_TYPE_V2_LARGE = 0x222
};

/* scap_dump_flags carried by EVF blocks. */
#define SCAP_DF_STATE_ONLY 1

/* Machine info block body (packed). */
struct scap_machine_info {
	__u32 num_cpus;
	__u64 memory_size_bytes;
	__u64 max_pid;
	char hostname[128];
	__u64 boot_ts_epoch;
	__u64 flags;
	__u64 reserved3;
	__u64 reserved4;
} __attribute__((packed));

/* fd types in FDL entries (scap_fd_type). */
enum scap_fd_type {
	SCAP_FD_UNINITIALIZED = -1,
	SCAP_FD_UNKNOWN = 0,
	SCAP_FD_FILE = 1,
	SCAP_FD_DIRECTORY = 2,
	SCAP_FD_IPV4_SOCK = 3,
	SCAP_FD_IPV6_SOCK = 4,
	SCAP_FD_IPV4_SERVSOCK = 5,
	SCAP_FD_IPV6_SERVSOCK = 6,
	SCAP_FD_FIFO = 7,
	SCAP_FD_UNIX_SOCK = 8,
	SCAP_FD_EVENT = 9,
	SCAP_FD_UNSUPPORTED = 10,
	SCAP_FD_SIGNALFD = 11,
	SCAP_FD_EVENTPOLL = 12,
	SCAP_FD_INOTIFY = 13,
	SCAP_FD_TIMERFD = 14,
	SCAP_FD_NETLINK = 15,
	SCAP_FD_FILE_V2 = 16,
	SCAP_FD_BPF = 17,
	SCAP_FD_USERFAULTFD = 18,
	SCAP_FD_IOURING = 19,
	SCAP_FD_MEMFD = 20,
	SCAP_FD_PIDFD = 21
};

/* L4 protocols in FDL socket entries. */
enum scap_l4_proto {
	SCAP_L4_UNKNOWN = 0,
	SCAP_L4_NA = 1,
	SCAP_L4_TCP = 2,
	SCAP_L4_UDP = 3,
	SCAP_L4_ICMP = 4,
	SCAP_L4_RAW = 5
};

PRG_STATIC_ASSERT(sizeof(struct scap_machine_info) == 4 + 8 + 8 + 128 + 8 * 4, "MI body");

#endif /* PEREGRINE_SCAP_FILE_H */
