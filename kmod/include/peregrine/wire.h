/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Peregrine wire format: the scap event format shared by the kernel module,
 * the modern eBPF probe, .scap capture files and the Rust decoder.
 *
 * An event is a packed 26-byte header, then nparams parameter lengths (u16,
 * or u32 for event types flagged EF_LARGE_PAYLOAD), then the parameter bytes
 * concatenated without padding.  Everything is little-endian and events are
 * not aligned: readers must use unaligned loads.
 *
 *   off  size  field
 *     0     8  ts       ns since the epoch
 *     8     8  tid      host thread id
 *    16     4  len      total length: header + lengths + data
 *    20     2  type     enum ppm_event_code (event_table.h)
 *    22     4  nparams  number of entries in the length array
 *
 * A producer may emit a prefix of an event's parameter list (readers accept
 * fewer params than the table), never more.  A length of 0 means the
 * parameter is empty/absent.
 *
 * The layout constants here are checked at compile time below and again in
 * the Rust crate that reads this header through bindgen.
 */
#ifndef PEREGRINE_WIRE_H
#define PEREGRINE_WIRE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/stddef.h>
#elif defined(__bpf__)
/* eBPF programs: the __u* types come from vmlinux.h, offsetof from bpf_helpers.h. */
#else
#include <stdint.h>
#include <stddef.h>
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;
typedef int64_t __s64;
#endif

#include "event_table.h"

/* Versions of the event schema and of the driver API (ioctls, ring layout). */
#define PRG_SCHEMA_VERSION_MAJOR 4
#define PRG_SCHEMA_VERSION_MINOR 5
#define PRG_SCHEMA_VERSION_PATCH 1
#define PRG_SCHEMA_VERSION_STRING "4.5.1"

#define PRG_EVENT_HEADER_LEN 26
#define PRG_MAX_EVENT_PARAMS 32
/* Largest parameter the kernel module writes. */
#define PRG_MAX_ARG_SIZE 65000
/* Largest event the eBPF probe writes, and the reader's cap for non-large blocks. */
#define PRG_MAX_EVENT_SIZE (64 * 1024)
/* AT_FDCWD as written into dirfd parameters. */
#define PPM_AT_FDCWD (-100)

struct ppm_evt_hdr {
	__u64 ts;
	__u64 tid;
	__u32 len;
	__u16 type;
	__u32 nparams;
} __attribute__((packed));

/* Parameter types (enum ppm_param_type). Values are part of the ABI. */
enum ppm_param_type {
	PT_NONE = 0,
	PT_INT8 = 1,
	PT_INT16 = 2,
	PT_INT32 = 3,
	PT_INT64 = 4,
	PT_UINT8 = 5,
	PT_UINT16 = 6,
	PT_UINT32 = 7,
	PT_UINT64 = 8,
	PT_CHARBUF = 9,
	PT_BYTEBUF = 10,
	PT_ERRNO = 11,
	PT_SOCKADDR = 12,
	PT_SOCKTUPLE = 13,
	PT_FD = 14,
	PT_PID = 15,
	PT_FDLIST = 16,
	PT_FSPATH = 17,
	PT_SYSCALLID = 18,
	PT_SIGTYPE = 19,
	PT_RELTIME = 20,
	PT_ABSTIME = 21,
	PT_PORT = 22,
	PT_L4PROTO = 23,
	PT_SOCKFAMILY = 24,
	PT_BOOL = 25,
	PT_IPV4ADDR = 26,
	PT_DYN = 27,
	PT_FLAGS8 = 28,
	PT_FLAGS16 = 29,
	PT_FLAGS32 = 30,
	PT_UID = 31,
	PT_GID = 32,
	PT_DOUBLE = 33,
	PT_SIGSET = 34,
	PT_CHARBUFARRAY = 35,
	PT_CHARBUF_PAIR_ARRAY = 36,
	PT_IPV4NET = 37,
	PT_IPV6ADDR = 38,
	PT_IPV6NET = 39,
	PT_IPADDR = 40,
	PT_IPNET = 41,
	PT_MODE = 42,
	PT_FSRELPATH = 43,
	PT_ENUMFLAGS8 = 44,
	PT_ENUMFLAGS16 = 45,
	PT_ENUMFLAGS32 = 46,
	PT_FD32 = 47,
	PT_PID32 = 48,
	PT_MAX = 49
};

/* How readers print a parameter (enum ppm_print_format). */
enum ppm_print_format {
	PF_NA = 0,
	PF_DEC = 1,
	PF_HEX = 2,
	PF_10_PADDED_DEC = 3,
	PF_ID = 4,
	PF_DIR = 5,
	PF_OCT = 6
};

/* Event flags (enum ppm_event_flags). */
enum ppm_event_flags {
	EF_NONE = 0,
	EF_CREATES_FD = 0x1,
	EF_DESTROYS_FD = 0x2,
	EF_USES_FD = 0x4,
	EF_READS_FROM_FD = 0x8,
	EF_WRITES_TO_FD = 0x10,
	EF_MODIFIES_STATE = 0x20,
	EF_UNUSED = 0x40,
	EF_WAITS = 0x80,
	EF_SKIPPARSERESET = 0x100,
	EF_OLD_VERSION = 0x200,
	EF_LARGE_PAYLOAD = 0x800,
	EF_CONVERTER_MANAGED = 0x1000
};

/* Event categories: a low value plus event-source bits. */
enum ppm_event_category {
	EC_UNKNOWN = 0,
	EC_OTHER = 1,
	EC_FILE = 2,
	EC_NET = 3,
	EC_IPC = 4,
	EC_MEMORY = 5,
	EC_PROCESS = 6,
	EC_SLEEP = 7,
	EC_SYSTEM = 8,
	EC_SIGNAL = 9,
	EC_USER = 10,
	EC_TIME = 11,
	EC_PROCESSING = 12,
	EC_IO_READ = 32,
	EC_IO_WRITE = 33,
	EC_IO_OTHER = 34,
	EC_WAIT = 64,
	EC_SCHEDULER = 128,
	EC_INTERNAL = 256,
	EC_SYSCALL = 0x200,
	EC_TRACEPOINT = 0x400,
	EC_PLUGIN = 0x800,
	EC_METAEVENT = 0x1000,
	EC_ITER = 0x2000
};

/* Socket families as written in the first byte of PT_SOCKADDR/PT_SOCKTUPLE. */
#define PPM_AF_UNSPEC 0
#define PPM_AF_UNIX 1
#define PPM_AF_INET 2
#define PPM_AF_INET6 10

/* Wire sizes of the socket encodings. */
#define PRG_SOCKADDR_INET_LEN 7
#define PRG_SOCKADDR_INET6_LEN 19
#define PRG_SOCKTUPLE_INET_LEN 13
#define PRG_SOCKTUPLE_INET6_LEN 37
#define PRG_SOCKTUPLE_UNIX_MIN_LEN 17

#define PRG_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)

PRG_STATIC_ASSERT(sizeof(struct ppm_evt_hdr) == PRG_EVENT_HEADER_LEN, "event header is 26 bytes");
PRG_STATIC_ASSERT(offsetof(struct ppm_evt_hdr, ts) == 0, "ts at 0");
PRG_STATIC_ASSERT(offsetof(struct ppm_evt_hdr, tid) == 8, "tid at 8");
PRG_STATIC_ASSERT(offsetof(struct ppm_evt_hdr, len) == 16, "len at 16");
PRG_STATIC_ASSERT(offsetof(struct ppm_evt_hdr, type) == 20, "type at 20");
PRG_STATIC_ASSERT(offsetof(struct ppm_evt_hdr, nparams) == 22, "nparams at 22");
PRG_STATIC_ASSERT(PPM_EVENT_MAX == 454, "event codes 0..453");
PRG_STATIC_ASSERT(PPME_SYSCALL_EXECVE_19_X == 293, "execve exit code");
PRG_STATIC_ASSERT(PPME_SYSCALL_KEYCTL_X == 453, "last event code");

#endif /* PEREGRINE_WIRE_H */
