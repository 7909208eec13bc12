/* SPDX-License-Identifier: (GPL-2.0-only OR MIT) */
/*
 * Kernel API drift between the kernels we build for (Debian 6.1 .. 6.12),
 * kept in one place so the rest of the module reads like current kernel code.
 */
#ifndef PRG_COMPAT_H
#define PRG_COMPAT_H

#include <linux/version.h>
#include <linux/mm.h>
#include <linux/fs.h>
#include <linux/capability.h>
#include <linux/device.h>

/* asm/unaligned.h moved to linux/unaligned.h in 6.12. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#include <asm/unaligned.h>
#else
#include <linux/unaligned.h>
#endif

/* vm_flags became read-only with accessors in 6.3. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, unsigned long f)
{
	vma->vm_flags |= f;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, unsigned long f)
{
	vma->vm_flags &= ~f;
}
#endif

/* kernel_cap_t was two u32 words until 6.3, one u64 since. */
static inline u64 prg_cap_u64(kernel_cap_t c)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	return ((u64)c.cap[1] << 32) | c.cap[0];
#else
	return c.val;
#endif
}

/* Inode times moved behind accessors (ctime 6.6, mtime 6.7). */
static inline struct timespec64 prg_inode_ctime(const struct inode *i)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 6, 0)
	return i->i_ctime;
#else
	return inode_get_ctime(i);
#endif
}

static inline struct timespec64 prg_inode_mtime(const struct inode *i)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	return i->i_mtime;
#else
	return inode_get_mtime(i);
#endif
}

/* class_create() lost its owner argument in 6.4; devnode got const in 6.2. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define prg_class_create(name) class_create(THIS_MODULE, name)
#else
#define prg_class_create(name) class_create(name)
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define PRG_DEVNODE_CONST
#else
#define PRG_DEVNODE_CONST const
#endif

#endif /* PRG_COMPAT_H */
