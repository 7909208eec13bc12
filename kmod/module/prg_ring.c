// SPDX-License-Identifier: (GPL-2.0-only OR MIT)
/*
 * Per-CPU rings: allocation, the double mapping (in the kernel with vmap and
 * in userspace with vm_insert_page), and the in-place event writer.
 *
 * Every possible CPU gets its ring at module load, so a CPU that comes
 * online during a capture writes into a ring that already exists: there is
 * no hotplug callback and no window where an event finds no ring.
 */
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/cpumask.h>
#include "prg.h"

static void prg_ring_wake(struct irq_work *w)
{
	struct prg_ring *r = container_of(w, struct prg_ring, wake_work);

	wake_up_interruptible(&r->wq);
}

static void prg_ring_free(struct prg_ring *r)
{
	unsigned long i;

	if (r->data)
		vunmap(r->data);
	if (r->pages) {
		for (i = 0; i < r->npages; i++)
			if (r->pages[i])
				__free_page(r->pages[i]);
		kvfree(r->pages);
	}
	if (r->ctrl_page)
		__free_page(r->ctrl_page);
	memset(r, 0, sizeof(*r));
}

static int prg_ring_init(struct prg_ring *r, int cpu, unsigned long bytes)
{
	int node = cpu_to_node(cpu);
	struct page **twice;
	unsigned long i;

	r->cpu = cpu;
	r->npages = bytes >> PAGE_SHIFT;
	r->size = bytes;
	r->mask = bytes - 1;
	r->watermark = bytes / 4;
	init_waitqueue_head(&r->wq);
	init_irq_work(&r->wake_work, prg_ring_wake);

	r->ctrl_page = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
	if (!r->ctrl_page)
		goto err_free;
	r->ctrl = page_address(r->ctrl_page);
	r->pages = kvcalloc(r->npages, sizeof(*r->pages), GFP_KERNEL);
	if (!r->pages)
		goto err_free;
	for (i = 0; i < r->npages; i++) {
		r->pages[i] = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		if (!r->pages[i])
			goto err_free;
	}
	twice = kvcalloc(2 * r->npages, sizeof(*twice), GFP_KERNEL);
	if (!twice)
		goto err_free;
	for (i = 0; i < 2 * r->npages; i++)
		twice[i] = r->pages[i % r->npages];
	r->data = vmap(twice, 2 * r->npages, VM_MAP, PAGE_KERNEL);
	kvfree(twice);
	if (!r->data)
		goto err_free;

	r->ctrl->size = r->size;
	r->ctrl->watermark = r->watermark;
	r->ctrl->cpu = cpu;
	r->ctrl->api_major = PRG_API_VERSION_MAJOR;
	return 0;

err_free:
	prg_ring_free(r);
	return -ENOMEM;
}

int prg_rings_alloc(unsigned long bytes)
{
	int cpu, err;

	prg.rings = kcalloc(nr_cpu_ids, sizeof(*prg.rings), GFP_KERNEL);
	if (!prg.rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		err = prg_ring_init(&prg.rings[cpu], cpu, bytes);
		if (err) {
			prg_rings_free();
			return err;
		}
	}
	return 0;
}

void prg_rings_free(void)
{
	int cpu;

	if (!prg.rings)
		return;
	for_each_possible_cpu(cpu) {
		irq_work_sync(&prg.rings[cpu].wake_work);
		prg_ring_free(&prg.rings[cpu]);
	}
	kfree(prg.rings);
	prg.rings = NULL;
}

struct prg_ring *prg_ring_of(int cpu)
{
	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_possible(cpu) || !prg.rings)
		return NULL;
	return prg.rings[cpu].ctrl ? &prg.rings[cpu] : NULL;
}

/* A new consumer starts with empty rings and zeroed counters. */
void prg_rings_reset(void)
{
	struct prg_ring *r;
	int cpu;

	for_each_possible_cpu(cpu) {
		r = prg_ring_of(cpu);
		if (!r)
			continue;
		memset(r->ctrl, 0, sizeof(*r->ctrl));
		r->head = 0;
		r->watermark = r->size / 4;
		r->ctrl->size = r->size;
		r->ctrl->watermark = r->watermark;
		r->ctrl->cpu = cpu;
		r->ctrl->api_major = PRG_API_VERSION_MAJOR;
	}
}

int prg_ring_mmap(struct prg_ring *r, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long i, addr = vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	int err;

	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY);
	if (off == 0) {
		if (len != PAGE_SIZE)
			return -EINVAL;
		return vm_insert_page(vma, addr, r->ctrl_page);
	}
	if (off != PRG_MMAP_DATA || len != 2 * r->size)
		return -EINVAL;
	/* The data is the producer's alone: no write now, none by mprotect. */
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	vm_flags_clear(vma, VM_MAYWRITE);
	for (i = 0; i < 2 * r->npages; i++, addr += PAGE_SIZE) {
		err = vm_insert_page(vma, addr, r->pages[i % r->npages]);
		if (err)
			return err;
	}
	return 0;
}

static void prg_drop(struct prg_ring *r, enum prg_drop why)
{
	r->ctrl->drops[why]++;
}

/*
 * Reserve space for an event in the current CPU's ring and write its header.
 * On success preemption stays disabled until prg_evt_commit().
 */
int prg_evt_begin(struct prg_evt *e, u16 type, u16 nparams)
{
	struct ppm_evt_hdr *h;
	struct prg_ring *r;
	u64 head, tail, used;
	u32 hdr = PRG_EVENT_HEADER_LEN + 2 * nparams;

	preempt_disable();
	r = prg_ring_of(smp_processor_id());
	if (unlikely(!r))
		goto out_enable;
	if (unlikely(r->nesting)) {
		r->ctrl->attempts++;
		prg_drop(r, PRG_DROP_NESTED);
		goto out_enable;
	}
	r->nesting++;
	r->ctrl->attempts++;
	/* Our own copy: the control page is writable by the consumer. */
	head = r->head;
	tail = smp_load_acquire(&r->ctrl->tail);
	used = head - tail;
	if (unlikely(tail > head || used > r->size)) {
		prg_drop(r, PRG_DROP_BAD_TAIL);
		goto out_nesting;
	}
	e->cap = min_t(u64, r->size - used, PRG_RING_MAX_EVENT);
	if (unlikely(e->cap < hdr)) {
		prg_drop(r, PRG_DROP_FULL);
		goto out_nesting;
	}
	e->ring = r;
	e->head = head;
	e->buf = r->data + (head & r->mask);
	e->len = hdr;
	e->nparams = nparams;
	e->idx = 0;
	e->overflow = false;
	h = (struct ppm_evt_hdr *)e->buf;
	put_unaligned_le64(ktime_get_boottime_ns() + READ_ONCE(prg.ts_offset), &h->ts);
	put_unaligned_le64(current->pid, &h->tid);
	put_unaligned_le16(type, &h->type);
	put_unaligned_le32(nparams, &h->nparams);
	return 0;

out_nesting:
	r->nesting--;
out_enable:
	preempt_enable();
	return -ENOSPC;
}

void prg_evt_commit(struct prg_evt *e)
{
	struct prg_ring *r = e->ring;
	u64 head;

	/* A filler that wrote fewer params than it declared is a bug: drop. */
	if (WARN_ON_ONCE(!e->overflow && e->idx != e->nparams))
		e->overflow = true;
	if (unlikely(e->overflow)) {
		prg_drop(r, e->cap < PRG_RING_MAX_EVENT ? PRG_DROP_FULL : PRG_DROP_TOO_LARGE);
		goto out;
	}
	put_unaligned_le32(e->len, &((struct ppm_evt_hdr *)e->buf)->len);
	head = e->head + e->len;
	r->head = head;
	smp_store_release(&r->ctrl->head, head);
	r->ctrl->events++;
	if (READ_ONCE(r->ctrl->waiting) &&
	    head - READ_ONCE(r->ctrl->tail) >= r->watermark) {
		WRITE_ONCE(r->ctrl->waiting, 0);
		r->ctrl->wakeups++;
		irq_work_queue(&r->wake_work);
	}
out:
	r->nesting--;
	preempt_enable();
}

void prg_user_fault(struct prg_evt *e)
{
	e->ring->ctrl->user_faults++;
}
