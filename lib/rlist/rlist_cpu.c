// SPDX-License-Identifier: GPL-2.0-only
/*
 * rlist_cpu: one iterator over CPU physical ranges, whatever stores them.
 *
 * Every storage is read as a sequence of raw elements {phys, len, provider}
 * (rlist entries, pages, bio_vecs, sg entries).  The iterator keeps one
 * element of look-ahead and merges elements that are physically contiguous
 * and of the same kind into maximal ranges, then cuts the current range into
 * the pieces the caller asked for (whole ranges, folios or pages).  Physical
 * addresses, not struct page pointers, are carried along, so that ranges
 * without a struct page (P2P provider ranges) flow through the same code and
 * pages are looked up only where a caller asks for one.
 */
#include <linux/rlist.h>
#include <linux/bvec.h>
#include <linux/scatterlist.h>
#include <linux/highmem.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/export.h>
#include <kunit/static_stub.h>

#include "rlist_internal.h"

static struct page *rc_phys_page(phys_addr_t phys)
{
	return pfn_to_page(PHYS_PFN(phys));
}

/*
 * Can the element at @next (provider @nprov) continue a range that ends right
 * before @end?  Struct-page memory must also share the pgmap, so that the
 * pgmap of a range's first page describes all of it (as for scatterlist).
 * An @end of 0 is a range that ends at the top of the address space: nothing
 * continues it, not even an element at 0.
 */
static bool rc_continues(phys_addr_t end, u32 prov, phys_addr_t next,
			 u32 nprov)
{
	if (!end || end != next || prov != nprov)
		return false;
	return prov || zone_device_pages_have_same_pgmap(rc_phys_page(end - 1),
							  rc_phys_page(next));
}

static bool rc_page_is_p2p(phys_addr_t phys)
{
	return is_pci_p2pdma_page(rc_phys_page(phys));
}

/* ---- appending to the native storage ---- */

static int rc_append(struct rlist_cpu *rc, phys_addr_t phys, u64 len,
		     u32 prov, gfp_t gfp)
{
	struct rlist_entry e = {
		.base = phys,
		.length = len,
		.type = prov ? RLIST_CPU_TYPE_PHYS : RLIST_CPU_TYPE_PAGE,
		.extra = prov,
	};
	unsigned int flags = 0;
	struct rlist_entry last;
	bool boundary = false;
	int ret;

	if (rc->__storage != RLIST_CPU_RLIST)
		return -EINVAL;
	if (rlist_last(&rc->__rl, &last)) {
		u32 lprov = last.type == RLIST_CPU_TYPE_PHYS ? last.extra : 0;
		phys_addr_t lend = last.base + last.length;
		bool cont = rc_continues(lend, lprov, phys, prov);

		/*
		 * Pins are counted per page spanned by a stored entry: merge
		 * struct-page memory only at a page boundary.  The iterator
		 * still merges the touching pieces.
		 */
		if (!prov && !(cont && PAGE_ALIGNED(phys)))
			flags |= RLIST_APPEND_NO_MERGE;
		/* A boundary that the iterator will not merge away. */
		boundary = !cont && (!PAGE_ALIGNED(lend) || !PAGE_ALIGNED(phys));
	}
	ret = rlist_append(&rc->__rl, &e, flags, gfp);
	if (ret)
		return ret;
	if (boundary)
		rc->__flags &= ~RLIST_CPU_PAGELIST;
	if (prov || rc_page_is_p2p(phys))
		rc->__flags |= RLIST_CPU_MAY_P2P;
	rc->__length += len;
	return 0;
}

/**
 * rlist_cpu_append_page() - add part of a page
 * @rc: a list set up with rlist_cpu_init()
 * @page: the page
 * @offset: offset of the range in @page
 * @len: length of the range, @offset + @len <= PAGE_SIZE
 * @gfp: allocation flags
 *
 * The list takes over the caller's pin on @page, if any: see
 * rlist_cpu_destroy().
 *
 * Return: 0; -EINVAL for an empty or out-of-page range, a list that is not
 * native or was ended; -EOVERFLOW; -ENOMEM.  On error nothing changed.
 */
int rlist_cpu_append_page(struct rlist_cpu *rc, struct page *page,
			  unsigned int offset, unsigned int len, gfp_t gfp)
{
	if (!len || offset >= PAGE_SIZE || len > PAGE_SIZE - offset)
		return -EINVAL;
	return rc_append(rc, page_to_phys(page) + offset, len, 0, gfp);
}
EXPORT_SYMBOL_GPL(rlist_cpu_append_page);

/**
 * rlist_cpu_append_folio() - add part of a folio
 * @rc: a list set up with rlist_cpu_init()
 * @folio: the folio
 * @offset: offset of the range in @folio
 * @len: length of the range, @offset + @len <= folio_size(@folio)
 * @gfp: allocation flags
 *
 * The list takes over the caller's pins: one per page the range spans.
 *
 * Return: as rlist_cpu_append_page().
 */
int rlist_cpu_append_folio(struct rlist_cpu *rc, struct folio *folio,
			   size_t offset, size_t len, gfp_t gfp)
{
	size_t size = folio_size(folio);

	if (!len || offset >= size || len > size - offset)
		return -EINVAL;
	return rc_append(rc, PFN_PHYS(folio_pfn(folio)) + offset, len, 0, gfp);
}
EXPORT_SYMBOL_GPL(rlist_cpu_append_folio);

/* Whether @page is the struct page of the pfn after @prev's. */
static __always_inline bool rc_page_follows(const struct page *prev,
					    const struct page *page)
{
	/* A virtually contiguous memmap: pfn order is struct page order. */
	if (IS_ENABLED(CONFIG_SPARSEMEM_VMEMMAP) || IS_ENABLED(CONFIG_FLATMEM))
		return page == prev + 1;
	return page_to_pfn(page) == page_to_pfn(prev) + 1;
}

/*
 * Pages of @pages[@i..@npages) that continue @pages[@i - 1]'s run: physically
 * contiguous and of the same pgmap (the test sg_alloc_append_table_from_pages()
 * makes), so that they can share one entry.  Returns the end of the run.
 * Whether the run is ZONE_DEVICE memory is read once, not for every pair.
 */
static unsigned long rc_pages_run(struct page **pages, unsigned long i,
				  unsigned long npages)
{
	const struct page *prev = pages[i - 1];
	bool zdev = is_zone_device_page(prev);

	for (; i < npages; prev = pages[i++]) {
		const struct page *page = pages[i];

		if (!rc_page_follows(prev, page) ||
		    is_zone_device_page(page) != zdev ||
		    (zdev && page->pgmap != prev->pgmap))
			break;
	}
	return i;
}

/*
 * Words of the entries that appending @pages[0..@npages) as maximal runs
 * adds at most, in *@nr_words; returns the largest entry's words.
 */
static unsigned int rc_pages_words(struct page **pages, unsigned long npages,
				   unsigned long *nr_words)
{
	struct rlist_entry e = { .type = RLIST_CPU_TYPE_PAGE };
	unsigned int nw, max = 1;
	unsigned long i, j, n = 0;

	for (i = 0; i < npages; i = j) {
		j = rc_pages_run(pages, i + 1, npages);
		e.base = page_to_phys(pages[i]);
		e.length = (u64)(j - i) << PAGE_SHIFT;
		nw = rl_entry_words(&e);
		max = max(max, nw);
		n += nw;
	}
	*nr_words = n;
	return max;
}

/**
 * rlist_cpu_append_pages() - add whole pages
 * @rc: a list set up with rlist_cpu_init()
 * @pages: the pages, as pin_user_pages() returns them
 * @npages: number of pages
 * @gfp: allocation flags
 *
 * All or nothing: room for every range is reserved first.  Physically
 * contiguous pages (of the same pgmap) become one entry, which continues the
 * list's last entry if they continue it, exactly as if they had been appended
 * one by one with rlist_cpu_append_page(); the array is read in two passes,
 * one to size the reservation and one to append each run at once.  The list
 * takes over one pin per page.
 *
 * Context: whatever @gfp allows; once the room is reserved, the appends
 * allocate nothing (should the reservation fall short, a chunk is allocated
 * without sleeping, and if none can be had the call fails as a whole).
 * Return: 0; -EINVAL for a list that is not native or was ended; -EOVERFLOW
 * if the list would pass U64_MAX bytes; -ENOMEM.  On error nothing is
 * appended: the list, its length and its flags are as before, and the pins
 * of @pages stay the caller's.
 */
int rlist_cpu_append_pages(struct rlist_cpu *rc, struct page **pages,
			   unsigned long npages, gfp_t gfp)
{
	struct rlist_entry e = { .type = RLIST_CPU_TYPE_PAGE };
	unsigned long i, j, first, nr_words;
	u64 length = rc->__length;
	u8 flags = rc->__flags;
	unsigned int max_words;
	struct rl_mark mark;
	int ret;

	if (rc->__storage != RLIST_CPU_RLIST)
		return -EINVAL;
	if (!npages)
		return 0;
	if (npages > (U64_MAX - rc->__length) >> PAGE_SHIFT)
		return -EOVERFLOW;
	/* Exactly: a scattered page takes one word (a PAGE entry), not two. */
	max_words = rc_pages_words(pages, npages, &nr_words);
	ret = __rlist_preload_words(&rc->__rl, nr_words, max_words, gfp);
	if (ret)
		return ret;
	rl_mark(&rc->__rl, &mark);
	j = rc_pages_run(pages, 1, npages);
	/* The first run may continue the last entry. */
	ret = rc_append(rc, page_to_phys(pages[0]), (u64)j << PAGE_SHIFT, 0,
			gfp);
	if (ret)
		return ret;
	/* The others are maximal runs: new entries, page aligned. */
	first = j;
	for (i = j; i < npages; i = j) {
		j = rc_pages_run(pages, i + 1, npages);
		e.base = page_to_phys(pages[i]);
		e.length = (u64)(j - i) << PAGE_SHIFT;
		/* Fails only if the reservation fell short: undo it all. */
		ret = rl_append_reserved(&rc->__rl, &e, rl_entry_words(&e));
		if (ret)
			goto undo;
		if (is_pci_p2pdma_page(pages[i]))
			rc->__flags |= RLIST_CPU_MAY_P2P;
	}
	rc->__length += (u64)(npages - first) << PAGE_SHIFT;
	return 0;

undo:
	rl_rewind(&rc->__rl, &mark);
	rc->__length = length;
	rc->__flags = flags;
	return ret;
}
EXPORT_SYMBOL_GPL(rlist_cpu_append_pages);

/**
 * rlist_cpu_append_phys() - add a physical range of a P2P provider
 * @rc: a list set up with rlist_cpu_init()
 * @phys: physical start of the range
 * @len: length of the range
 * @provider: id of the provider of the range, not 0
 * @gfp: allocation flags
 *
 * For memory that has no struct page (e.g. a PCI BAR): the provider id tells
 * the DMA layer who owns the range.  Nothing is pinned.
 *
 * Return: 0; -EINVAL for a zero length or provider, a list that is not native
 * or was ended; -EOVERFLOW if the range wraps; -ENOMEM.
 */
int rlist_cpu_append_phys(struct rlist_cpu *rc, phys_addr_t phys, u64 len,
			  u32 provider, gfp_t gfp)
{
	if (!len || !provider)
		return -EINVAL;
	if (len - 1 > (phys_addr_t)~0 - phys)
		return -EOVERFLOW;
	return rc_append(rc, phys, len, provider, gfp);
}
EXPORT_SYMBOL_GPL(rlist_cpu_append_phys);

/**
 * rlist_cpu_preload() - reserve room so that appends cannot fail
 * @rc: a list set up with rlist_cpu_init()
 * @nr_ranges: number of append calls to reserve for
 * @gfp: allocation flags for the reservation
 *
 * See rlist_preload().
 *
 * Return: 0, -EINVAL for a list that is not native or was ended, -ENOMEM.
 */
int rlist_cpu_preload(struct rlist_cpu *rc, unsigned long nr_ranges, gfp_t gfp)
{
	if (rc->__storage != RLIST_CPU_RLIST)
		return -EINVAL;
	return rlist_preload(&rc->__rl, nr_ranges, gfp);
}
EXPORT_SYMBOL_GPL(rlist_cpu_preload);

/**
 * rlist_cpu_append_end() - end appending to a list
 * @rc: the list
 *
 * Releases unused reserved room; later appends fail with -EINVAL.
 */
void rlist_cpu_append_end(struct rlist_cpu *rc)
{
	if (rc->__storage == RLIST_CPU_RLIST)
		rlist_append_end(&rc->__rl);
}
EXPORT_SYMBOL_GPL(rlist_cpu_append_end);

/**
 * rlist_cpu_destroy() - release a list and, if asked, its pins
 * @rc: the list
 * @flags: %RLIST_CPU_UNPIN to release the pins the list took over (for its
 *	own storage and for a page array), with %RLIST_CPU_DIRTY to dirty the
 *	pages first
 *
 * The pins of each stored run are released in one call.  External arrays are
 * not freed: they belong to the caller.  @rc is left an empty native list.
 */
void rlist_cpu_destroy(struct rlist_cpu *rc, unsigned int flags)
{
	bool dirty = flags & RLIST_CPU_DIRTY;
	struct rlist_iter it;

	switch (rc->__storage) {
	case RLIST_CPU_RLIST:
		if (flags & RLIST_CPU_UNPIN) {
			rlist_for_each_entry(&rc->__rl, &it) {
				const struct rlist_entry *e = &it.entry;
				unsigned long npages;

				if (e->type != RLIST_CPU_TYPE_PAGE)
					continue;
				npages = DIV_ROUND_UP(offset_in_page(e->base) +
						      e->length, PAGE_SIZE);
				unpin_user_page_range_dirty_lock(rc_phys_page(e->base),
								 npages, dirty);
			}
		}
		rlist_destroy(&rc->__rl);
		break;
	case RLIST_CPU_PAGES:
		if (flags & RLIST_CPU_UNPIN)
			unpin_user_pages_dirty_lock(rc->__pages.pages,
						    rc->__pages.npages, dirty);
		break;
	}
	rlist_cpu_init(rc);
}
EXPORT_SYMBOL_GPL(rlist_cpu_destroy);

/* ---- reading the storages ---- */

/*
 * Load the next raw element into the look-ahead (__nlen = 0 at the end).
 * __skip bytes of it, left by a seek, are dropped.
 */
static __always_inline void rc_fetch(struct rlist_cpu_iter *it)
{
	const struct rlist_cpu *rc = it->__rc;
	u64 len = 0;

	it->__nprov = 0;
	switch (rc->__storage) {
	case RLIST_CPU_RLIST:
		if (!rlist_iter_valid(&it->__s.rl))
			break;
		it->__nphys = it->__s.rl.entry.base;
		len = it->__s.rl.entry.length;
		if (it->__s.rl.entry.type == RLIST_CPU_TYPE_PHYS)
			it->__nprov = it->__s.rl.entry.extra;
		rl_iter_next(&it->__s.rl);
		break;
	case RLIST_CPU_PAGES: {
		unsigned long idx = it->__s.idx;
		u64 start, inpage;

		if (idx >= rc->__pages.npages)
			break;
		inpage = idx ? 0 : rc->__pages.offset;
		start = ((u64)idx << PAGE_SHIFT) + inpage - rc->__pages.offset;
		if (start >= rc->__length)
			break;
		it->__nphys = page_to_phys(rc->__pages.pages[idx]) + inpage;
		len = min_t(u64, PAGE_SIZE - inpage, rc->__length - start);
		it->__s.idx++;
		break;
	}
	case RLIST_CPU_BVEC:
		while (it->__s.idx < rc->__bvec.nr) {
			const struct bio_vec *bv = &rc->__bvec.bv[it->__s.idx++];

			if (!bv->bv_len)
				continue;
			it->__nphys = page_to_phys(bv->bv_page) + bv->bv_offset;
			len = bv->bv_len;
			break;
		}
		break;
	case RLIST_CPU_SGTABLE:
		while (it->__s.left) {
			struct scatterlist *sg = it->__s.sg;

			it->__s.sg = sg_next(sg);
			it->__s.left--;
			if (!sg->length)
				continue;
			it->__nphys = sg_phys(sg);
			len = sg->length;
			break;
		}
		break;
	}
	if (len && it->__skip) {
		it->__nphys += it->__skip;
		len -= it->__skip;
		it->__skip = 0;
	}
	it->__nlen = len;
}

/* Cut the current piece out of the current range at __roff. */
static __always_inline void rc_set_piece(struct rlist_cpu_iter *it)
{
	u64 left = it->__rlen - it->__roff;

	it->phys = it->__rphys + it->__roff;
	it->provider = it->__rprov;
	it->len = left;
	if (it->__step == RLIST_CPU_STEP_PAGE) {
		it->len = min_t(u64, left, PAGE_SIZE - offset_in_page(it->phys));
	} else if (it->__step == RLIST_CPU_STEP_FOLIO && !it->provider) {
		struct folio *folio = page_folio(rc_phys_page(it->phys));
		phys_addr_t end = PFN_PHYS(folio_pfn(folio)) + folio_size(folio);

		it->len = min_t(u64, left, end - it->phys);
	}
}

/* Make the look-ahead, and what continues it, the current range. */
static __always_inline bool rc_load_range(struct rlist_cpu_iter *it)
{
	if (!it->__nlen) {
		it->__rc = NULL;
		return false;
	}
	it->__rphys = it->__nphys;
	it->__rlen = it->__nlen;
	it->__rprov = it->__nprov;
	it->__roff = 0;
	for (;;) {
		rc_fetch(it);
		if (!it->__nlen ||
		    !rc_continues(it->__rphys + it->__rlen, it->__rprov,
				  it->__nphys, it->__nprov))
			break;
		it->__rlen += it->__nlen;
	}
	rc_set_piece(it);
	return true;
}

static void rc_iter_init(struct rlist_cpu_iter *it, const struct rlist_cpu *rc,
			 enum rlist_cpu_step step)
{
	it->__rc = rc;
	it->__step = step;
	it->__skip = 0;
	it->pos = 0;
	switch (rc->__storage) {
	case RLIST_CPU_RLIST:
		rlist_iter_first(&it->__s.rl, &rc->__rl);
		break;
	case RLIST_CPU_PAGES:
	case RLIST_CPU_BVEC:
		it->__s.idx = 0;
		break;
	case RLIST_CPU_SGTABLE:
		it->__s.sg = rc->__sgt->sgl;
		it->__s.left = rc->__sgt->orig_nents;
		break;
	}
}

/**
 * rlist_cpu_iter_start() - point an iterator at the start of a list
 * @it: the iterator
 * @rc: the list
 * @step: how to cut the ranges
 *
 * Return: false if the list is empty.
 */
bool rlist_cpu_iter_start(struct rlist_cpu_iter *it,
			  const struct rlist_cpu *rc, enum rlist_cpu_step step)
{
	/* Lets tests check that a path does not walk the list. */
	KUNIT_STATIC_STUB_REDIRECT(rlist_cpu_iter_start, it, rc, step);
	rc_iter_init(it, rc, step);
	rc_fetch(it);
	return rc_load_range(it);
}
EXPORT_SYMBOL_GPL(rlist_cpu_iter_start);

/**
 * rlist_cpu_iter_seek() - point an iterator at a byte of a list
 * @it: the iterator
 * @rc: the list
 * @pos: byte position in the list
 * @step: how to cut the ranges
 *
 * The first piece starts exactly at @pos.  O(log n) for the native storage
 * (see rlist_iter_seek()), O(1) for a page array, a walk of the elements for
 * bio_vec and sg_table storage, which have no index.
 *
 * Return: false if @pos is not below rlist_cpu_length().
 */
bool rlist_cpu_iter_seek(struct rlist_cpu_iter *it,
			 const struct rlist_cpu *rc, u64 pos,
			 enum rlist_cpu_step step)
{
	if (pos >= rc->__length) {
		it->__rc = NULL;
		return false;
	}
	rc_iter_init(it, rc, step);
	switch (rc->__storage) {
	case RLIST_CPU_RLIST:
		rlist_iter_seek(&it->__s.rl, &rc->__rl, pos);
		it->__skip = pos - it->__s.rl.pos;
		break;
	case RLIST_CPU_PAGES: {
		u64 b = pos + rc->__pages.offset;

		it->__s.idx = b >> PAGE_SHIFT;
		it->__skip = it->__s.idx ? offset_in_page(b) : pos;
		break;
	}
	case RLIST_CPU_BVEC: {
		const struct bio_vec *bv = rc->__bvec.bv;
		u64 at = 0;

		while (at + bv[it->__s.idx].bv_len <= pos)
			at += bv[it->__s.idx++].bv_len;
		it->__skip = pos - at;
		break;
	}
	case RLIST_CPU_SGTABLE: {
		u64 at = 0;

		while (at + it->__s.sg->length <= pos) {
			at += it->__s.sg->length;
			it->__s.sg = sg_next(it->__s.sg);
			it->__s.left--;
		}
		it->__skip = pos - at;
		break;
	}
	}
	rc_fetch(it);
	it->pos = pos;
	return rc_load_range(it);
}
EXPORT_SYMBOL_GPL(rlist_cpu_iter_seek);

/**
 * rlist_cpu_iter_next() - move an iterator to the next piece
 * @it: the iterator, valid
 *
 * Return: false at the end of the list (the iterator is then invalid).
 */
bool rlist_cpu_iter_next(struct rlist_cpu_iter *it)
{
	it->pos += it->len;
	it->__roff += it->len;
	if (it->__roff < it->__rlen) {
		rc_set_piece(it);
		return true;
	}
	return rc_load_range(it);
}
EXPORT_SYMBOL_GPL(rlist_cpu_iter_next);

/* ---- wrappers around existing storage ---- */

/* Compute length and summary flags of a wrapper in one pass. */
static int rc_summarise(struct rlist_cpu *rc)
{
	struct rlist_cpu_iter it;
	phys_addr_t prev_end = 0;
	u64 len = 0;
	bool first = true;

	rc->__length = U64_MAX;	/* not known yet: no cap while walking */
	rc->__flags = RLIST_CPU_PAGELIST;
	for (rlist_cpu_iter_start(&it, rc, RLIST_CPU_STEP_RANGE);
	     rlist_cpu_iter_valid(&it); rlist_cpu_iter_next(&it)) {
		if (check_add_overflow(len, it.len, &len))
			return -EOVERFLOW;
		if (!first && (!PAGE_ALIGNED(prev_end) || !PAGE_ALIGNED(it.phys)))
			rc->__flags &= ~RLIST_CPU_PAGELIST;
		if (it.provider || rc_page_is_p2p(it.phys))
			rc->__flags |= RLIST_CPU_MAY_P2P;
		prev_end = it.phys + it.len;
		first = false;
	}
	rc->__length = len;
	return 0;
}

/**
 * rlist_cpu_init_pages() - iterate over an array of pages
 * @rc: the list
 * @pages: the pages; the array stays the caller's and must outlive @rc
 * @npages: number of pages
 * @offset: offset of the first byte in the first page
 * @length: length in bytes, at most @npages * PAGE_SIZE - @offset
 *
 * Physically consecutive pages are merged on the fly by the iterator.  A page
 * array is a page list by construction.
 *
 * Return: 0, or -EINVAL for an @offset or @length that does not fit.
 */
int rlist_cpu_init_pages(struct rlist_cpu *rc, struct page **pages,
			 unsigned long npages, unsigned int offset, u64 length)
{
	unsigned long i;
	u64 room;

	if (offset >= PAGE_SIZE ||
	    check_shl_overflow((u64)npages, PAGE_SHIFT, &room) ||
	    length > room - (npages ? offset : 0))
		return -EINVAL;
	*rc = (struct rlist_cpu){
		.__storage = RLIST_CPU_PAGES,
		.__flags = RLIST_CPU_PAGELIST,
		.__length = length,
		.__pages = { .pages = pages, .npages = npages,
			     .offset = offset },
	};
	if (IS_ENABLED(CONFIG_PCI_P2PDMA)) {
		for (i = 0; i < npages; i++) {
			if (is_pci_p2pdma_page(pages[i])) {
				rc->__flags |= RLIST_CPU_MAY_P2P;
				break;
			}
		}
	}
	return 0;
}
EXPORT_SYMBOL_GPL(rlist_cpu_init_pages);

/**
 * rlist_cpu_init_bvec() - iterate over an array of bio_vecs
 * @rc: the list
 * @bv: the bio_vecs; the array stays the caller's and must outlive @rc
 * @nr: number of bio_vecs
 *
 * Adjacent bio_vecs that are physically contiguous are merged on the fly;
 * empty ones are skipped.  Length and summary flags take one pass here.
 *
 * Return: 0, or -EOVERFLOW if the lengths add up past U64_MAX.
 */
int rlist_cpu_init_bvec(struct rlist_cpu *rc, const struct bio_vec *bv,
			unsigned int nr)
{
	*rc = (struct rlist_cpu){
		.__storage = RLIST_CPU_BVEC,
		.__bvec = { .bv = bv, .nr = nr },
	};
	return rc_summarise(rc);
}
EXPORT_SYMBOL_GPL(rlist_cpu_init_bvec);

/**
 * rlist_cpu_init_sgtable() - iterate over the CPU side of an sg_table
 * @rc: the list
 * @sgt: the table; its orig_nents entries are read (page, offset, length)
 *
 * For code that still builds scatterlists: lets it hand them to rlist users
 * without a conversion.  Adjacent contiguous entries are merged on the fly.
 *
 * Return: 0, or -EOVERFLOW.
 */
int rlist_cpu_init_sgtable(struct rlist_cpu *rc, struct sg_table *sgt)
{
	*rc = (struct rlist_cpu){
		.__storage = RLIST_CPU_SGTABLE,
		.__sgt = sgt,
	};
	return rc_summarise(rc);
}
EXPORT_SYMBOL_GPL(rlist_cpu_init_sgtable);

/* ---- copying ---- */

static int rc_copy(const struct rlist_cpu *rc, u64 offset, void *buf,
		   size_t len, bool to_list)
{
	struct rlist_cpu_iter it;
	u64 end;

	if (check_add_overflow(offset, (u64)len, &end) || end > rc->__length)
		return -EINVAL;
	if (!len)
		return 0;
	for (rlist_cpu_iter_seek(&it, rc, offset, RLIST_CPU_STEP_PAGE); len;
	     rlist_cpu_iter_next(&it)) {
		size_t n = min_t(u64, it.len, len);
		struct page *page = rlist_cpu_iter_page(&it);

		if (!page)
			return -EREMOTEIO;
		if (to_list)
			memcpy_to_page(page, offset_in_page(it.phys), buf, n);
		else
			memcpy_from_page(buf, page, offset_in_page(it.phys), n);
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * rlist_cpu_copy_from() - copy bytes out of the memory of a list
 * @dst: kernel buffer
 * @rc: the list
 * @offset: position in the list of the first byte to copy
 * @len: number of bytes
 *
 * Pages are mapped one at a time with kmap_local_page().
 *
 * Return: 0; -EINVAL if the span is not inside the list; -EREMOTEIO if it
 * reaches a range without struct page (what precedes it was copied).
 */
int rlist_cpu_copy_from(void *dst, const struct rlist_cpu *rc, u64 offset,
			size_t len)
{
	return rc_copy(rc, offset, dst, len, false);
}
EXPORT_SYMBOL_GPL(rlist_cpu_copy_from);

/**
 * rlist_cpu_copy_to() - copy bytes into the memory of a list
 * @rc: the list
 * @offset: position in the list of the first byte to write
 * @src: kernel buffer
 * @len: number of bytes
 *
 * Return: as rlist_cpu_copy_from().
 */
int rlist_cpu_copy_to(const struct rlist_cpu *rc, u64 offset,
		      const void *src, size_t len)
{
	return rc_copy(rc, offset, (void *)src, len, true);
}
EXPORT_SYMBOL_GPL(rlist_cpu_copy_to);
