// SPDX-License-Identifier: GPL-2.0-only
/*
 * rlist_gup: pin user memory into a struct rlist_cpu, and release it.
 *
 * The user range is pinned with pin_user_pages_fast() in batches of one page
 * worth of struct page pointers, and every batch is appended to the list,
 * which merges physically contiguous pages into one entry.  Nothing but the
 * list itself grows with the length of the range.
 */
#include <linux/rlist.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/export.h>

#include "rlist_internal.h"

/* The GUP flags a caller may pass; FOLL_PIN is implied. */
#define RLIST_GUP_FLAGS	(FOLL_WRITE | FOLL_LONGTERM | FOLL_PCI_P2PDMA)

/*
 * Pin [start, start + npages pages) and append the pages to @rc, which must be
 * native and open for appends.  On error the pages of the batch that failed
 * are unpinned, those appended before stay in @rc: the caller undoes them.
 */
static int rlist_gup_pin_append(struct rlist_cpu *rc, struct page **batch,
				unsigned long start, unsigned long npages,
				unsigned int gup_flags, gfp_t gfp)
{
	const unsigned long batch_max = PAGE_SIZE / sizeof(*batch);
	long pinned;
	int ret;

	while (npages) {
		cond_resched();
		pinned = pin_user_pages_fast(start, min(npages, batch_max),
					     gup_flags, batch);
		if (pinned <= 0)
			return pinned ? pinned : -EFAULT;
		ret = rlist_cpu_append_pages(rc, batch, pinned, gfp);
		if (ret) {
			unpin_user_pages(batch, pinned);
			return ret;
		}
		start += pinned << PAGE_SHIFT;
		npages -= pinned;
	}
	return 0;
}

/*
 * Add the ranges of @from at the end of @to, which has room reserved for
 * one append per folio-sized piece of @from, so that @to stores the pages
 * exactly as a direct append would have.  Should the reservation fall short
 * and memory run out, the appends are undone and the error returned: @to is
 * then as before.
 */
static int rlist_gup_splice(struct rlist_cpu *to, const struct rlist_cpu *from,
			    gfp_t gfp)
{
	u64 length = to->__length;
	u8 flags = to->__flags;
	struct rlist_cpu_iter it;
	struct rl_mark mark;
	int ret;

	rl_mark(&to->__rl, &mark);
	rlist_cpu_for_each_folio(from, &it) {
		ret = rlist_cpu_append_folio(to, rlist_cpu_iter_folio(&it),
					     rlist_cpu_iter_folio_offset(&it),
					     it.len, gfp);
		if (ret) {
			rl_rewind(&to->__rl, &mark);
			to->__length = length;
			to->__flags = flags;
			return ret;
		}
	}
	return 0;
}

/**
 * rlist_cpu_pin_user() - pin user memory and append it to a list
 * @rc: a list set up with rlist_cpu_init(), possibly not empty, not ended
 * @start: user address of the first byte
 * @len: number of bytes, not zero
 * @gup_flags: %FOLL_WRITE, %FOLL_LONGTERM and %FOLL_PCI_P2PDMA as for
 *	pin_user_pages_fast(); %FOLL_PIN is implied
 * @gfp: allocation flags for the list, which may sleep
 *
 * Pins the pages of current's address space that hold [@start, @start +
 * @len) and appends them to @rc as whole pages: the list grows by the pages
 * covering the range, the first byte of the range sits at
 * offset_in_page(@start) in the first of them, as with ib_umem.  The list
 * takes over one pin per page, released by rlist_cpu_unpin().  Accounting the
 * pins (e.g. against %RLIMIT_MEMLOCK) is the caller's business.
 *
 * The pages are pinned in batches of PAGE_SIZE / sizeof(struct page *)
 * pages; physically contiguous pages are merged into one range of the list,
 * and P2PDMA pages (only with %FOLL_PCI_P2PDMA) set %RLIST_CPU_MAY_P2P.
 *
 * All or nothing: on error every page pinned by this call is unpinned and
 * @rc holds exactly what it held before.  When @rc is empty and owns no
 * memory, the pages are appended to it directly; otherwise they are gathered
 * in a temporary list that is copied to the end of @rc once everything is
 * pinned (the list memory is then needed twice for a while), so that an
 * error leaves the earlier ranges and any reserved room alone.
 *
 * Context: process context, may sleep; takes current->mm's mmap_lock.
 * Return: 0; -EINVAL for a zero or wrapping length, unknown @gup_flags or a
 * list that is not native or was ended; -EFAULT for an unmapped page or a
 * mapping that may not be pinned so (e.g. a writable long-term pin of a
 * dirty-tracked file mapping); -EREMOTEIO for a P2PDMA page without
 * %FOLL_PCI_P2PDMA; -ENOMEM; any other error of pin_user_pages_fast().
 */
int rlist_cpu_pin_user(struct rlist_cpu *rc, unsigned long start, size_t len,
		       unsigned int gup_flags, gfp_t gfp)
{
	unsigned long first, end, npages;
	struct rlist_cpu tmp, *dst = rc;
	struct page **batch;
	int ret;

	if (!len || (gup_flags & ~RLIST_GUP_FLAGS) ||
	    check_add_overflow(start, len - 1, &end))
		return -EINVAL;
	if (rc->__storage != RLIST_CPU_RLIST ||
	    (rc->__rl.__flags & RLIST_F_FINISHED))
		return -EINVAL;
	first = start >> PAGE_SHIFT;
	npages = (end >> PAGE_SHIFT) - first + 1;

	batch = (struct page **)__get_free_page(GFP_KERNEL);
	if (!batch)
		return -ENOMEM;
	/* An empty list that owns no memory is rebuilt as is on error. */
	if (!rlist_empty(&rc->__rl) || rc->__rl.__dir) {
		rlist_cpu_init(&tmp);
		dst = &tmp;
	}
	ret = rlist_gup_pin_append(dst, batch, first << PAGE_SHIFT, npages,
				   gup_flags, gfp);
	free_page((unsigned long)batch);
	if (!ret && dst == &tmp) {
		struct rlist_cpu_iter it;
		unsigned long pieces = 0;

		rlist_cpu_for_each_folio(&tmp, &it)
			pieces++;
		ret = rlist_cpu_preload(rc, pieces, gfp);
		if (!ret)
			ret = rlist_gup_splice(rc, &tmp, gfp);
		/* The pins moved to @rc, or are released below. */
		rlist_cpu_destroy(&tmp, ret ? RLIST_CPU_UNPIN : 0);
		return ret;
	}
	if (ret)
		rlist_cpu_destroy(dst, RLIST_CPU_UNPIN);
	return ret;
}
EXPORT_SYMBOL_GPL(rlist_cpu_pin_user);

/**
 * rlist_cpu_unpin() - release the pins of a list and destroy it
 * @rc: a list filled by rlist_cpu_pin_user() (or holding one pin per page
 *	it spans, as rlist_cpu_append_pages() takes them over)
 * @dirty: mark the pages dirty first, as after DMA to them
 *
 * Each stored range is released with one unpin_user_page_range_dirty_lock()
 * call, which walks it folio by folio.  Pages are only merged into a range
 * when physically contiguous, of the same pgmap and at page boundaries, and
 * a page appended twice is stored twice, so exactly one pin is released per
 * page appended.  Ranges without a struct page hold no pin and are skipped.
 * @rc is left an empty native list.
 *
 * Context: process context, may sleep (the folio lock is taken to dirty).
 */
void rlist_cpu_unpin(struct rlist_cpu *rc, bool dirty)
{
	rlist_cpu_destroy(rc, RLIST_CPU_UNPIN | (dirty ? RLIST_CPU_DIRTY : 0));
}
EXPORT_SYMBOL_GPL(rlist_cpu_unpin);
