// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Parameter writers shared by the fillers: user strings and buffers (always
 * through the nofault helpers: an unreadable page leaves the parameter
 * empty and is counted, it never faults), socket encodings, and the native
 * to scap flag conversions of event-schema.md section 5.
 */
#include <linux/uaccess.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/un.h>
#include <linux/fcntl.h>
#include <linux/kdev_t.h>
#include <net/sock.h>
#include <net/inet_sock.h>
#include <net/af_unix.h>
#include "prg.h"

/*
 * strncpy_from_user_nofault() is not exported on 6.1: the same thing with
 * exported pieces.  Returns the length including the NUL (count when cut,
 * the last byte then forced to NUL) or a negative errno.
 */
long prg_strncpy_nofault(char *dst, unsigned long uptr, long count)
{
	const char __user *src = (const char __user *)uptr;
	long n;

	if (count <= 0 || !access_ok(src, 1))
		return -EFAULT;
	pagefault_disable();
	n = strncpy_from_user(dst, src, count);
	pagefault_enable();
	if (n < 0)
		return n;
	if (n >= count) {
		dst[count - 1] = 0;
		return count;
	}
	return n + 1;
}

void prg_put_ustr(struct prg_evt *e, unsigned long uptr, u32 max)
{
	u32 room = prg_evt_room(e);
	long n;

	if (!uptr) {
		prg_put_empty(e);
		return;
	}
	if (room < max) {
		/* A string cut by ring space would be a wrong value: drop instead. */
		if (room == 0) {
			e->overflow = true;
			prg_put_empty(e);
			return;
		}
		max = room;
	}
	n = prg_strncpy_nofault(prg_evt_dst(e), uptr, max);
	if (n <= 0) {
		prg_user_fault(e);
		prg_put_empty(e);
		return;
	}
	if (n == max && max == room)
		e->overflow = true;
	prg_set_len(e, n);
}

void prg_put_kstr(struct prg_evt *e, const char *s, u32 max)
{
	u32 n;

	if (!s) {
		prg_put_empty(e);
		return;
	}
	n = strnlen(s, max - 1);
	if (n + 1 > prg_evt_room(e)) {
		prg_set_len(e, n + 1);
		return;
	}
	memcpy(prg_evt_dst(e), s, n);
	prg_evt_dst(e)[n] = 0;
	prg_set_len(e, n + 1);
}

void prg_put_ubuf(struct prg_evt *e, unsigned long uptr, u32 n)
{
	if (!uptr || !n) {
		prg_put_empty(e);
		return;
	}
	if (n > prg_evt_room(e)) {
		prg_set_len(e, n);
		return;
	}
	if (copy_from_user_nofault(prg_evt_dst(e), (const void __user *)uptr, n)) {
		prg_user_fault(e);
		prg_put_empty(e);
		return;
	}
	prg_set_len(e, n);
}

/* sun_path as a NUL-terminated string, abstract names without their NUL. */
static u32 prg_unix_path(u8 *dst, const char *path, u32 maxlen)
{
	u32 n;

	if (maxlen && path[0] == 0) {
		path++;
		maxlen--;
	}
	n = strnlen(path, min_t(u32, maxlen, UNIX_PATH_MAX));
	memcpy(dst, path, n);
	dst[n] = 0;
	return n + 1;
}

void prg_put_sockaddr(struct prg_evt *e, unsigned long uptr, unsigned long ulen)
{
	struct sockaddr_storage ss;
	u8 out[1 + UNIX_PATH_MAX + 1];
	u32 n = 0, len = min_t(unsigned long, ulen, sizeof(ss));

	if (!uptr || len < sizeof(sa_family_t)) {
		prg_put_empty(e);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if (copy_from_user_nofault(&ss, (const void __user *)uptr, len)) {
		prg_user_fault(e);
		prg_put_empty(e);
		return;
	}
	switch (ss.ss_family) {
	case AF_INET: {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		out[0] = PPM_AF_INET;
		memcpy(out + 1, &a->sin_addr.s_addr, 4);
		put_unaligned_le16(ntohs(a->sin_port), out + 5);
		n = PRG_SOCKADDR_INET_LEN;
		break;
	}
	case AF_INET6: {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		out[0] = PPM_AF_INET6;
		memcpy(out + 1, &a->sin6_addr, 16);
		put_unaligned_le16(ntohs(a->sin6_port), out + 17);
		n = PRG_SOCKADDR_INET6_LEN;
		break;
	}
	case AF_UNIX: {
		struct sockaddr_un *a = (struct sockaddr_un *)&ss;

		out[0] = PPM_AF_UNIX;
		n = 1 + prg_unix_path(out + 1, a->sun_path,
				      len > offsetof(struct sockaddr_un, sun_path) ?
				      len - offsetof(struct sockaddr_un, sun_path) : 0);
		break;
	}
	default:
		break;
	}
	prg_put(e, out, n);
}

static u32 prg_unix_tuple(u8 *out, struct sock *sk, bool inbound)
{
	struct sock *peer = unix_sk(sk)->peer;
	struct unix_address *addr;
	u32 n = 17;

	out[0] = PPM_AF_UNIX;
	put_unaligned_le64((u64)(inbound ? sk : peer), out + 1);
	put_unaligned_le64((u64)(inbound ? peer : sk), out + 9);
	/* Outbound without a peer (unconnected datagram): our own name. */
	addr = READ_ONCE(unix_sk(!inbound && peer ? peer : sk)->addr);
	if (addr && addr->len > offsetof(struct sockaddr_un, sun_path))
		n += prg_unix_path(out + 17, addr->name->sun_path,
				   addr->len - offsetof(struct sockaddr_un, sun_path));
	else
		out[n++] = 0;
	return n;
}

/*
 * The tuple of the socket behind fd.  uaddr (user sockaddr, may be 0) names
 * the remote end of an unconnected IPv4 socket (sendto/recvfrom/...msg).
 */
void prg_put_socktuple_to(struct prg_evt *e, int fd, bool inbound, unsigned long uaddr)
{
	u8 out[17 + UNIX_PATH_MAX + 1];
	struct socket *sock;
	struct file *f;
	struct sock *sk;
	u32 n = 0;

	f = fd >= 0 ? fget(fd) : NULL;
	if (!f) {
		prg_put_empty(e);
		return;
	}
	sock = sock_from_file(f);
	sk = sock ? sock->sk : NULL;
	if (!sk)
		goto out;
	switch (sk->sk_family) {
	case AF_INET: {
		struct inet_sock *in = inet_sk(sk);
		__be32 l = in->inet_rcv_saddr ? in->inet_rcv_saddr : in->inet_saddr;
		__be32 rem = in->inet_daddr;
		u16 lp = ntohs(in->inet_sport), rp = ntohs(in->inet_dport);
		struct sockaddr_in sin;

		if (rp == 0 && uaddr &&
		    !copy_from_user_nofault(&sin, (const void __user *)uaddr, sizeof(sin)) &&
		    sin.sin_family == AF_INET) {
			rem = sin.sin_addr.s_addr;
			rp = ntohs(sin.sin_port);
		}
		out[0] = PPM_AF_INET;
		memcpy(out + 1, inbound ? &rem : &l, 4);
		put_unaligned_le16(inbound ? rp : lp, out + 5);
		memcpy(out + 7, inbound ? &l : &rem, 4);
		put_unaligned_le16(inbound ? lp : rp, out + 11);
		n = PRG_SOCKTUPLE_INET_LEN;
		break;
	}
#if IS_ENABLED(CONFIG_IPV6)
	case AF_INET6: {
		struct inet_sock *in = inet_sk(sk);
		u16 lp = ntohs(in->inet_sport), rp = ntohs(in->inet_dport);

		out[0] = PPM_AF_INET6;
		memcpy(out + 1, inbound ? &sk->sk_v6_daddr : &sk->sk_v6_rcv_saddr, 16);
		put_unaligned_le16(inbound ? rp : lp, out + 17);
		memcpy(out + 19, inbound ? &sk->sk_v6_rcv_saddr : &sk->sk_v6_daddr, 16);
		put_unaligned_le16(inbound ? lp : rp, out + 35);
		n = PRG_SOCKTUPLE_INET6_LEN;
		break;
	}
#endif
	case AF_UNIX:
		n = prg_unix_tuple(out, sk, inbound);
		break;
	default:
		break;
	}
out:
	fput(f);
	prg_put(e, out, n);
}

/* dev and ino of the file behind a new fd; ORs FMODE_CREATED into *flags. */
void prg_put_file_dev_ino(struct prg_evt *e, long fd, u32 *flags)
{
	struct file *f = fd >= 0 ? fget(fd) : NULL;
	struct inode *inode;
	u32 dev = 0;
	u64 ino = 0;

	if (f) {
		inode = file_inode(f);
		dev = prg_encode_dev(inode->i_sb->s_dev);
		ino = inode->i_ino;
		if (flags && (f->f_mode & FMODE_CREATED))
			*flags |= PPM_O_F_CREATED;
		fput(f);
	}
	prg_put_u32(e, dev);
	prg_put_u64(e, ino);
}

u32 prg_encode_dev(dev_t dev)
{
	u32 major = MAJOR(dev), minor = MINOR(dev);

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

u32 prg_open_flags(u32 f)
{
	u32 r;

	switch (f & O_ACCMODE) {
	case O_WRONLY:
		r = PPM_O_WRONLY;
		break;
	case O_RDWR:
		r = PPM_O_RDWR;
		break;
	default:
		r = PPM_O_RDONLY;
		break;
	}
	if (f & O_CREAT)
		r |= PPM_O_CREAT;
	if (f & O_APPEND)
		r |= PPM_O_APPEND;
	if (f & O_DSYNC)
		r |= PPM_O_DSYNC;
	if (f & O_EXCL)
		r |= PPM_O_EXCL;
	if (f & O_NONBLOCK)
		r |= PPM_O_NONBLOCK;
	if (f & O_SYNC)
		r |= PPM_O_SYNC;
	if (f & O_TRUNC)
		r |= PPM_O_TRUNC;
	if (f & O_DIRECT)
		r |= PPM_O_DIRECT;
	if (f & O_DIRECTORY)
		r |= PPM_O_DIRECTORY;
	if (f & O_LARGEFILE)
		r |= PPM_O_LARGEFILE;
	if (f & O_CLOEXEC)
		r |= PPM_O_CLOEXEC;
	if (f & O_TMPFILE)
		r |= PPM_O_TMPFILE;
	return r;
}

u32 prg_open_mode(u32 flags, u32 mode)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode & 07777) : 0;
}

u32 prg_clone_flags(u64 native)
{
	static const struct { u32 native, scap; } map[] = {
		{ CLONE_FILES, PPM_CL_CLONE_FILES },
		{ CLONE_FS, PPM_CL_CLONE_FS },
		{ CLONE_IO, PPM_CL_CLONE_IO },
		{ CLONE_NEWIPC, PPM_CL_CLONE_NEWIPC },
		{ CLONE_NEWNET, PPM_CL_CLONE_NEWNET },
		{ CLONE_NEWNS, PPM_CL_CLONE_NEWNS },
		{ CLONE_NEWPID, PPM_CL_CLONE_NEWPID },
		{ CLONE_NEWUTS, PPM_CL_CLONE_NEWUTS },
		{ CLONE_PARENT, PPM_CL_CLONE_PARENT },
		{ CLONE_PARENT_SETTID, PPM_CL_CLONE_PARENT_SETTID },
		{ CLONE_PTRACE, PPM_CL_CLONE_PTRACE },
		{ CLONE_SIGHAND, PPM_CL_CLONE_SIGHAND },
		{ CLONE_SYSVSEM, PPM_CL_CLONE_SYSVSEM },
		{ CLONE_THREAD, PPM_CL_CLONE_THREAD },
		{ CLONE_UNTRACED, PPM_CL_CLONE_UNTRACED },
		{ CLONE_VM, PPM_CL_CLONE_VM },
		{ CLONE_NEWUSER, PPM_CL_CLONE_NEWUSER },
		{ CLONE_CHILD_CLEARTID, PPM_CL_CLONE_CHILD_CLEARTID },
		{ CLONE_CHILD_SETTID, PPM_CL_CLONE_CHILD_SETTID },
		{ CLONE_SETTLS, PPM_CL_CLONE_SETTLS },
		{ CLONE_VFORK, PPM_CL_CLONE_VFORK },
		{ CLONE_NEWCGROUP, PPM_CL_CLONE_NEWCGROUP },
	};
	u32 f = (u32)native, r = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		if (f & map[i].native)
			r |= map[i].scap;
	return r;
}

u32 prg_socket_family(u32 native)
{
	u32 f = native & 0xff;

	return (f == 27 || f == 28 || f >= 40) ? 0 : f;
}

u32 prg_sock_flags(u32 native)
{
	u32 r = 0;

	if (native & SOCK_NONBLOCK)
		r |= PPM_O_NONBLOCK;
	if (native & SOCK_CLOEXEC)
		r |= PPM_O_CLOEXEC;
	return r;
}

/*
 * Gathers up to max bytes (and the room left) of the user iovec array
 * [iov, iov + cnt) as one parameter; at most PRG_MAX_IOVCNT entries are
 * read, as the eBPF probe does.  Returns the sum of their iov_len.
 */
u64 prg_put_iov(struct prg_evt *e, unsigned long iov, unsigned long cnt, u64 max)
{
	struct iovec v;
	u64 total = 0, seg;
	u32 n = 0;
	unsigned long i;

	max = min_t(u64, max, READ_ONCE(prg.snaplen));
	if (max > prg_evt_room(e)) {
		prg_set_len(e, max);	/* cannot fit: the event is dropped */
		return 0;
	}
	cnt = min_t(unsigned long, cnt, PRG_MAX_IOVCNT);
	for (i = 0; iov && i < cnt; i++) {
		if (copy_from_user_nofault(&v, (const void __user *)(iov + i * sizeof(v)), sizeof(v))) {
			prg_user_fault(e);
			break;
		}
		total += v.iov_len;
		if (n >= max || !v.iov_base)
			continue;
		seg = min_t(u64, v.iov_len, max - n);
		if (copy_from_user_nofault(prg_evt_dst(e) + n, v.iov_base, seg))
			prg_user_fault(e);
		else
			n += seg;
	}
	prg_set_len(e, n);
	return total;
}

/* A PT_DYN parameter (event-schema.md 4.13): the table index, then the value. */
void prg_put_dyn(struct prg_evt *e, u8 idx, u64 v, u32 size)
{
	u8 out[1 + sizeof(u64)];

	out[0] = idx;
	if (size == 1)
		out[1] = (u8)v;
	else
		put_unaligned_le64(v, out + 1);
	prg_put(e, out, 1 + size);
}
