/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * PT_SOCKADDR (event-schema.md §4.11) from a user sockaddr and PT_SOCKTUPLE
 * (§4.12) from the kernel socket behind an fd.
 */
#ifndef PEREGRINE_BPF_NET_H
#define PEREGRINE_BPF_NET_H

#define NATIVE_AF_UNIX 1
#define NATIVE_AF_INET 2
#define NATIVE_AF_INET6 10
#define S_IFMT_ 00170000
#define S_IFSOCK_ 0140000

/* Writes the sockaddr at user pointer p (length alen) as one parameter. */
static __always_inline void put_usockaddr(struct evb *b, const void *p, __u64 alen)
{
	__u16 fam = 0;
	__u32 len = 0;

	if (!p || alen == 0 || bpf_probe_read_user(&fam, sizeof(fam), p)) {
		put_empty(b);
		return;
	}
	if (fam == NATIVE_AF_INET) {
		struct sockaddr_in sin = {};

		bpf_probe_read_user(&sin, sizeof(sin), p);
		raw_u8(b, &len, PPM_AF_INET);
		raw_u32(b, &len, sin.sin_addr.s_addr);
		raw_u16(b, &len, bpf_ntohs(sin.sin_port));
	} else if (fam == NATIVE_AF_INET6) {
		struct sockaddr_in6 sin6 = {};

		bpf_probe_read_user(&sin6, sizeof(sin6), p);
		raw_u8(b, &len, PPM_AF_INET6);
		__builtin_memcpy(b->buf + ((b->off + len) & PRG_EVENT_MAX), &sin6.sin6_addr, 16);
		len += 16;
		raw_u16(b, &len, bpf_ntohs(sin6.sin6_port));
	} else if (fam == NATIVE_AF_UNIX) {
		const char *path = (const char *)p + 2;
		char first = 0;
		long n;

		bpf_probe_read_user(&first, 1, path);
		if (first == 0)
			path++;
		raw_u8(b, &len, PPM_AF_UNIX);
		n = bpf_probe_read_user_str(b->buf + ((b->off + len) & PRG_EVENT_MAX), 109, path);
		if (n > 0)
			len += n;
		else
			len = 0;
	}
	set_len(b, len);
}

/* struct sock behind fd, or NULL when fd is not a socket. */
static __always_inline struct sock *fd_sock(__s64 fd)
{
	struct file *f = fd_file(fd);
	struct socket *s;
	__u16 mode;

	if (!f)
		return NULL;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT_) != S_IFSOCK_)
		return NULL;
	s = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(s, sk);
}

/* Appends the bound path of a unix socket (abstract leading NUL skipped). */
static __always_inline void raw_unix_path(struct evb *b, __u32 *len, struct sock *sk)
{
	struct unix_sock *us = (struct unix_sock *)sk;
	struct unix_address *ua = BPF_CORE_READ(us, addr);
	const char *path;
	char first = 0;

	if (!ua) {
		raw_u8(b, len, 0);
		return;
	}
	/* name is a flexible array of struct sockaddr_un; sun_path is at 2 (UAPI). */
	path = (const char *)ua + bpf_core_field_offset(struct unix_address, name) + 2;
	bpf_probe_read_kernel(&first, 1, path);
	if (first == 0)
		path++;
	raw_kstr(b, len, path, 109);
}

/*
 * Socket tuple of fd.  inbound: src = peer, dst = local (accept, recv*);
 * outbound: src = local, dst = peer (connect, send*).
 */
static __always_inline void put_socktuple_user(struct evb *b, __s64 fd, int inbound, const void *uaddr)
{
	struct sock *sk = fd_sock(fd);
	__u32 len = 0;
	__u16 fam;

	if (!sk) {
		put_empty(b);
		return;
	}
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam == NATIVE_AF_INET) {
		__u32 lip = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 rip = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__u16 lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

		/* Unconnected (UDP): the remote side is the user-supplied address. */
		if (rport == 0 && uaddr) {
			struct sockaddr_in sin = {};

			if (!bpf_probe_read_user(&sin, sizeof(sin), uaddr) && sin.sin_family == NATIVE_AF_INET) {
				rip = sin.sin_addr.s_addr;
				rport = bpf_ntohs(sin.sin_port);
			}
		}
		raw_u8(b, &len, PPM_AF_INET);
		if (inbound) {
			raw_u32(b, &len, rip);
			raw_u16(b, &len, rport);
			raw_u32(b, &len, lip);
			raw_u16(b, &len, lport);
		} else {
			raw_u32(b, &len, lip);
			raw_u16(b, &len, lport);
			raw_u32(b, &len, rip);
			raw_u16(b, &len, rport);
		}
	} else if (fam == NATIVE_AF_INET6) {
		struct in6_addr lip = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr rip = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		__u16 lport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));

		raw_u8(b, &len, PPM_AF_INET6);
		__builtin_memcpy(b->buf + ((b->off + len) & PRG_EVENT_MAX), inbound ? &rip : &lip, 16);
		len += 16;
		raw_u16(b, &len, inbound ? rport : lport);
		__builtin_memcpy(b->buf + ((b->off + len) & PRG_EVENT_MAX), inbound ? &lip : &rip, 16);
		len += 16;
		raw_u16(b, &len, inbound ? lport : rport);
	} else if (fam == NATIVE_AF_UNIX) {
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);

		raw_u8(b, &len, PPM_AF_UNIX);
		if (inbound) {
			raw_u64(b, &len, (__u64)sk);
			raw_u64(b, &len, (__u64)peer);
			raw_unix_path(b, &len, sk);
		} else {
			raw_u64(b, &len, (__u64)peer);
			raw_u64(b, &len, (__u64)sk);
			raw_unix_path(b, &len, peer ? peer : sk);
		}
	}
	set_len(b, len);
}

static __always_inline void put_socktuple(struct evb *b, __s64 fd, int inbound)
{
	put_socktuple_user(b, fd, inbound, NULL);
}

#endif /* PEREGRINE_BPF_NET_H */
