// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * peregrine.ko: Peregrine's kernel capture driver.
 *
 * Char devices /dev/peregrine<cpu> (one per possible CPU, mode 0600) expose
 * the per-CPU rings; the protocol is in include/peregrine/ring.h.  One
 * process at a time is the consumer; its threads are never traced.  The
 * tracepoints stay attached only while that process holds a device open,
 * and an open device (or a mapping of one) holds a module reference, so
 * rmmod with a reader attached fails with EBUSY instead of pulling the rings
 * away from under it.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/fs.h>
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/tracepoint.h>
#include <linux/timekeeping.h>
#include <linux/log2.h>
#include <trace/events/sched.h>
#include "prg.h"

struct prg_state prg;

static unsigned long ring_bytes = 8UL << 20;
module_param(ring_bytes, ulong, 0444);
MODULE_PARM_DESC(ring_bytes, "bytes of each per-CPU ring: a power of two, 128 KiB .. 1 GiB (default 8 MiB)");

static dev_t prg_devt;
static struct cdev prg_cdev;
static struct class *prg_class;

/* Tracepoint probes ------------------------------------------------------ */

static void prg_tp_sys_enter(void *data, struct pt_regs *regs, long id)
{
	prg_sys_enter(regs, id);
}

static void prg_tp_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	prg_sys_exit(regs, ret);
}

static void prg_tp_exec(void *data, struct task_struct *p, pid_t old_pid,
			struct linux_binprm *bprm)
{
	if (prg_traced())
		prg_emit_exec_success(p, bprm);
}

static void prg_tp_fork(void *data, struct task_struct *parent, struct task_struct *child)
{
	/*
	 * On x86_64 the child's clone event comes from its own sys_exit, so
	 * this hook has nothing to add; it exists for architectures where the
	 * child does not pass through sys_exit.
	 */
}

static void prg_tp_exit(void *data, struct task_struct *p)
{
	if (prg_traced())
		prg_emit_procexit(p);
}

static struct {
	const char *name;
	void *probe;
	struct tracepoint *tp;
} prg_tps[PRG_TP_MAX] = {
	[PRG_TP_SYS_ENTER] = { "sys_enter", prg_tp_sys_enter },
	[PRG_TP_SYS_EXIT] = { "sys_exit", prg_tp_sys_exit },
	[PRG_TP_SCHED_PROCESS_EXEC] = { "sched_process_exec", prg_tp_exec },
	[PRG_TP_SCHED_PROCESS_FORK] = { "sched_process_fork", prg_tp_fork },
	[PRG_TP_SCHED_PROCESS_EXIT] = { "sched_process_exit", prg_tp_exit },
};

static void prg_tp_lookup(struct tracepoint *tp, void *priv)
{
	int i;

	for (i = 0; i < PRG_TP_MAX; i++)
		if (!strcmp(tp->name, prg_tps[i].name))
			prg_tps[i].tp = tp;
}

/* Attach the tracepoints in mask, detach the others. Under prg.lock. */
static int prg_set_tracepoints(unsigned long mask)
{
	bool detached = false;
	int i, err = 0;

	for (i = 0; i < PRG_TP_MAX; i++) {
		bool want = mask & BIT(i), have = prg.tp_mask & BIT(i);

		if (want == have)
			continue;
		if (want) {
			err = tracepoint_probe_register(prg_tps[i].tp, prg_tps[i].probe, NULL);
			if (err)
				break;
			prg.tp_mask |= BIT(i);
		} else {
			WARN_ON_ONCE(tracepoint_probe_unregister(prg_tps[i].tp, prg_tps[i].probe, NULL));
			prg.tp_mask &= ~BIT(i);
			detached = true;
		}
	}
	/* No probe may still run on the rings once we return. */
	if (detached)
		tracepoint_synchronize_unregister();
	return err;
}

/* File operations --------------------------------------------------------- */

static int prg_open(struct inode *inode, struct file *f)
{
	struct prg_ring *r = prg_ring_of(iminor(inode));
	int err = 0;

	if (!r)
		return -ENODEV;
	mutex_lock(&prg.lock);
	if (prg.nopen && prg.consumer_tgid != current->tgid) {
		err = -EBUSY;
		goto out_unlock;
	}
	if (!prg.nopen) {
		prg_rings_reset();
		bitmap_zero(prg.interest, PRG_SYSCALL_BITS);
		prg.snaplen = PRG_SNAPLEN_DEFAULT;
		prg.ts_offset = ktime_get_real_ns() - ktime_get_boottime_ns();
		WRITE_ONCE(prg.consumer_tgid, current->tgid);
	}
	prg.nopen++;
	f->private_data = r;
out_unlock:
	mutex_unlock(&prg.lock);
	return err;
}

static int prg_release(struct inode *inode, struct file *f)
{
	mutex_lock(&prg.lock);
	if (!WARN_ON_ONCE(prg.nopen == 0) && --prg.nopen == 0) {
		prg_set_tracepoints(0);
		WRITE_ONCE(prg.consumer_tgid, 0);
	}
	mutex_unlock(&prg.lock);
	return 0;
}

static int prg_mmap(struct file *f, struct vm_area_struct *vma)
{
	return prg_ring_mmap(f->private_data, vma);
}

static __poll_t prg_poll(struct file *f, poll_table *wait)
{
	struct prg_ring *r = f->private_data;

	poll_wait(f, &r->wq, wait);
	WRITE_ONCE(r->ctrl->waiting, 1);
	/* Pairs with the producer's head store: see waiting, or see new data. */
	smp_mb();
	if (smp_load_acquire(&r->ctrl->head) - READ_ONCE(r->ctrl->tail) >= r->watermark)
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static long prg_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct prg_ring *r = f->private_data;
	void __user *up = (void __user *)arg;
	struct prg_interest in;
	struct prg_ring_stats st;
	u64 v;
	long err = 0;

	switch (cmd) {
	case PRG_IOC_GET_API_VERSION:
		v = PRG_VERSION_PACK(PRG_API_VERSION_MAJOR, PRG_API_VERSION_MINOR, PRG_API_VERSION_PATCH);
		return copy_to_user(up, &v, sizeof(v)) ? -EFAULT : 0;
	case PRG_IOC_GET_SCHEMA_VERSION:
		v = PRG_VERSION_PACK(PRG_SCHEMA_VERSION_MAJOR, PRG_SCHEMA_VERSION_MINOR,
				     PRG_SCHEMA_VERSION_PATCH);
		return copy_to_user(up, &v, sizeof(v)) ? -EFAULT : 0;
	case PRG_IOC_GET_STATS:
		memset(&st, 0, sizeof(st));
		st.head = READ_ONCE(r->ctrl->head);
		st.tail = READ_ONCE(r->ctrl->tail);
		st.events = READ_ONCE(r->ctrl->events);
		st.attempts = READ_ONCE(r->ctrl->attempts);
		st.user_faults = READ_ONCE(r->ctrl->user_faults);
		st.wakeups = READ_ONCE(r->ctrl->wakeups);
		memcpy(st.drops, r->ctrl->drops, sizeof(st.drops));
		return copy_to_user(up, &st, sizeof(st)) ? -EFAULT : 0;
	case PRG_IOC_SET_INTEREST:
		if (copy_from_user(&in, up, sizeof(in)))
			return -EFAULT;
		mutex_lock(&prg.lock);
		bitmap_from_arr64(prg.interest, in.bits, PRG_SYSCALL_BITS);
		mutex_unlock(&prg.lock);
		return 0;
	case PRG_IOC_SET_TRACEPOINTS:
		if (arg & ~(BIT(PRG_TP_MAX) - 1))
			return -EINVAL;
		mutex_lock(&prg.lock);
		err = prg_set_tracepoints(arg);
		mutex_unlock(&prg.lock);
		return err;
	case PRG_IOC_SET_SNAPLEN:
		if (arg == 0 || arg > PRG_SNAPLEN_MAX)
			return -EINVAL;
		WRITE_ONCE(prg.snaplen, arg);
		return 0;
	case PRG_IOC_SET_WATERMARK:
		if (arg == 0 || arg > r->size / 2)
			return -EINVAL;
		r->watermark = arg;
		r->ctrl->watermark = arg;
		return 0;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations prg_fops = {
	.owner = THIS_MODULE,
	.open = prg_open,
	.release = prg_release,
	.mmap = prg_mmap,
	.poll = prg_poll,
	.unlocked_ioctl = prg_ioctl,
	.llseek = noop_llseek,
};

static char *prg_devnode(PRG_DEVNODE_CONST struct device *dev, umode_t *mode)
{
	if (mode)
		*mode = 0600;
	return NULL;
}

/* Module ------------------------------------------------------------------ */

static int __init prg_init(void)
{
	int cpu, i, err;

	BUILD_BUG_ON(sizeof(struct ppm_evt_hdr) != PRG_EVENT_HEADER_LEN);
	BUILD_BUG_ON(sizeof(struct prg_ring_ctrl) > PAGE_SIZE);
	BUILD_BUG_ON(offsetof(struct prg_ring_ctrl, tail) % 64 != 0);
	BUILD_BUG_ON(PRG_TP_MAX > BITS_PER_LONG);

	if (!is_power_of_2(ring_bytes) || ring_bytes < (128UL << 10) || ring_bytes > (1UL << 30) ||
	    ring_bytes < 2 * PRG_RING_MAX_EVENT) {
		pr_err("peregrine: ring_bytes=%lu must be a power of two in 128 KiB .. 1 GiB\n", ring_bytes);
		return -EINVAL;
	}
	mutex_init(&prg.lock);
	for_each_kernel_tracepoint(prg_tp_lookup, NULL);
	for (i = 0; i < PRG_TP_MAX; i++) {
		if (!prg_tps[i].tp) {
			pr_err("peregrine: tracepoint %s not found\n", prg_tps[i].name);
			return -ENOENT;
		}
	}
	err = prg_rings_alloc(ring_bytes);
	if (err)
		return err;
	err = alloc_chrdev_region(&prg_devt, 0, nr_cpu_ids, PRG_DEVICE_NAME);
	if (err)
		goto err_rings;
	cdev_init(&prg_cdev, &prg_fops);
	prg_cdev.owner = THIS_MODULE;
	err = cdev_add(&prg_cdev, prg_devt, nr_cpu_ids);
	if (err)
		goto err_region;
	prg_class = prg_class_create(PRG_DEVICE_NAME);
	if (IS_ERR(prg_class)) {
		err = PTR_ERR(prg_class);
		goto err_cdev;
	}
	prg_class->devnode = prg_devnode;
	for_each_possible_cpu(cpu) {
		struct device *d = device_create(prg_class, NULL, MKDEV(MAJOR(prg_devt), cpu),
						 NULL, PRG_DEVICE_NAME "%d", cpu);

		if (IS_ERR(d)) {
			err = PTR_ERR(d);
			goto err_devices;
		}
	}
	pr_info("peregrine: loaded, api %s schema %s, %u rings of %lu bytes\n",
		PRG_API_VERSION_STRING, PRG_SCHEMA_VERSION_STRING, num_possible_cpus(), ring_bytes);
	return 0;

err_devices:
	for_each_possible_cpu(cpu)
		device_destroy(prg_class, MKDEV(MAJOR(prg_devt), cpu));
	class_destroy(prg_class);
err_cdev:
	cdev_del(&prg_cdev);
err_region:
	unregister_chrdev_region(prg_devt, nr_cpu_ids);
err_rings:
	prg_rings_free();
	return err;
}

static void __exit prg_exit(void)
{
	int cpu;

	/* No file is open (each holds a module reference), so nothing is attached. */
	mutex_lock(&prg.lock);
	if (WARN_ON_ONCE(prg.tp_mask))
		prg_set_tracepoints(0);
	mutex_unlock(&prg.lock);
	for_each_possible_cpu(cpu)
		device_destroy(prg_class, MKDEV(MAJOR(prg_devt), cpu));
	class_destroy(prg_class);
	cdev_del(&prg_cdev);
	unregister_chrdev_region(prg_devt, nr_cpu_ids);
	prg_rings_free();
	pr_info("peregrine: unloaded\n");
}

module_init(prg_init);
module_exit(prg_exit);
MODULE_LICENSE("Dual MIT/GPL");
MODULE_AUTHOR("The Peregrine authors");
MODULE_DESCRIPTION("Peregrine runtime security sensor: syscall and process capture rings");
MODULE_VERSION(PRG_API_VERSION_STRING);
MODULE_INFO(api_version, PRG_API_VERSION_STRING);
MODULE_INFO(schema_version, PRG_SCHEMA_VERSION_STRING);
