// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of struct rlist_cpu: the same memory stored as a native rlist,
 * a page array, a bio_vec array and an sg_table is iterated, sought, copied
 * and checked against a plain array model with an independent reference
 * merger/cutter.
 */
#include <kunit/test.h>
#include <linux/bvec.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rlist.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "rlist_kunit.h"

static ulong rlist_cpu_seed;
module_param(rlist_cpu_seed, ulong, 0444);
MODULE_PARM_DESC(rlist_cpu_seed, "seed of the rlist_cpu random tests (0: random)");

static uint rlist_cpu_lists = 250;
module_param(rlist_cpu_lists, uint, 0444);
MODULE_PARM_DESC(rlist_cpu_lists, "random lists of each rlist_cpu model test");

/* Fake physical addresses of P2P providers: never dereferenced. */
#define PROV_BASE(p)	((u64)(p) << 40)
#define NR_PROVIDERS	3

#define MAX_PIECES	48

/* ------------------------------------------------------------------ */
/* Memory pool                                                        */
/* ------------------------------------------------------------------ */

/**
 * struct pool_chunk - physically contiguous memory the lists are built from
 * @page: first page
 * @nr_pages: pages in the chunk
 * @order: allocation order
 * @compound: allocated as one folio; else each page is an order-0 folio
 * @cursor: generator state: next byte of the chunk not used by the list
 */
struct pool_chunk {
	struct page *page;
	unsigned int nr_pages;
	unsigned int order;
	bool compound;
	u64 cursor;
};

#define POOL_SINGLES	16
#define POOL_MAX	(POOL_SINGLES + 2 * 4 + 1)

struct pool {
	struct pool_chunk c[POOL_MAX];
	unsigned int nr;
	u64 prov_cursor[NR_PROVIDERS + 1];
};

static void pool_free(void *data)
{
	struct pool *pool = data;
	unsigned int i;

	for (i = 0; i < pool->nr; i++) {
		if (pool->c[i].compound)
			folio_put(page_folio(pool->c[i].page));
		else
			__free_pages(pool->c[i].page, pool->c[i].order);
	}
}

static u64 chunk_phys(const struct pool_chunk *c)
{
	return PFN_PHYS(page_to_pfn(c->page));
}

static u64 chunk_bytes(const struct pool_chunk *c)
{
	return (u64)c->nr_pages << PAGE_SHIFT;
}

static struct pool *pool_create(struct kunit *test, struct rnd_state *rs)
{
	struct pool *pool = kunit_kzalloc(test, sizeof(*pool), GFP_KERNEL);
	unsigned int i, order, k;

	KUNIT_ASSERT_NOT_NULL(test, pool);
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, pool_free,
							   pool));
	for (i = 0; i < POOL_SINGLES; i++) {
		struct page *p = alloc_page(GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		pool->c[pool->nr++] = (struct pool_chunk){ .page = p,
							  .nr_pages = 1 };
	}
	for (order = 1; order <= 4; order++) {
		for (k = 0; k < 2; k++) {
			struct folio *f = folio_alloc(GFP_KERNEL, order);

			KUNIT_ASSERT_NOT_NULL(test, f);
			pool->c[pool->nr++] = (struct pool_chunk){
				.page = &f->page, .nr_pages = 1U << order,
				.order = order, .compound = true };
		}
	}
	/* Contiguous pages that are all separate order-0 folios. */
	{
		struct page *p = alloc_pages(GFP_KERNEL, 3);

		KUNIT_ASSERT_NOT_NULL(test, p);
		pool->c[pool->nr++] = (struct pool_chunk){ .page = p,
							  .nr_pages = 8,
							  .order = 3 };
	}
	for (i = 0; i < pool->nr; i++)
		prandom_bytes_state(rs, page_address(pool->c[i].page),
				    chunk_bytes(&pool->c[i]));
	return pool;
}

static void pool_reset(struct pool *pool)
{
	unsigned int i;

	for (i = 0; i < pool->nr; i++)
		pool->c[i].cursor = 0;
	for (i = 0; i <= NR_PROVIDERS; i++)
		pool->prov_cursor[i] = 0;
}

/* The number of random lists of a model test; none is not a test. */
static unsigned int nr_random_lists(struct kunit *test)
{
	if (!rlist_cpu_lists)
		kunit_skip(test, "no random lists (rlist_kunit.rlist_cpu_lists=0)");
	return rlist_cpu_lists;
}

static u64 seed_of(struct kunit *test)
{
	u64 seed = rlist_cpu_seed ? rlist_cpu_seed : get_random_u64();

	kunit_info(test, "seed %llu (rlist_kunit.rlist_cpu_seed=)\n", seed);
	return seed;
}

static u32 rnd(struct rnd_state *rs, u32 n)
{
	return n ? prandom_u32_state(rs) % n : 0;
}

/* ------------------------------------------------------------------ */
/* Reference model                                                    */
/* ------------------------------------------------------------------ */

/**
 * struct piece - one appended range of the model
 * @phys: physical address
 * @len: length in bytes
 * @prov: provider id, 0 for memory with a struct page
 * @chunk: pool chunk (generator state), -1 for a provider range
 */
struct piece {
	u64 phys;
	u64 len;
	u32 prov;
	int chunk;
};

struct model {
	struct piece *p;
	unsigned int n;
	unsigned int cap;
	u64 len;
};

static struct model *model_alloc(struct kunit *test, unsigned int cap)
{
	struct model *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, m);
	m->p = kunit_kcalloc(test, cap, sizeof(*m->p), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->p);
	m->cap = cap;
	return m;
}

static void model_add(struct model *m, u64 phys, u64 len, u32 prov, int chunk)
{
	m->p[m->n++] = (struct piece){ phys, len, prov, chunk };
	m->len += len;
}

/* A merged range of the reference, at list position @pos. */
struct ref_range {
	u64 phys;
	u64 len;
	u64 pos;
	u32 prov;
};

struct ref {
	struct ref_range *r;
	unsigned int n;
	u64 len;
};

/*
 * Independent reference merger: consecutive pieces merge when they touch
 * physically and are of the same kind (same provider, or both memory with a
 * struct page: the pool only has ordinary memory, so one pgmap).  A piece at
 * address 0 continues nothing: only a range ending at the top of the
 * address space ends right before it.
 */
static struct ref *ref_build(struct kunit *test, const struct model *m)
{
	struct ref *ref = kunit_kzalloc(test, sizeof(*ref), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, ref);
	ref->r = kunit_kcalloc(test, m->n + 1, sizeof(*ref->r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ref->r);
	for (i = 0; i < m->n; i++) {
		const struct piece *p = &m->p[i];
		struct ref_range *last = ref->n ? &ref->r[ref->n - 1] : NULL;

		if (last && last->prov == p->prov && p->phys &&
		    last->phys + last->len == p->phys) {
			last->len += p->len;
		} else {
			ref->r[ref->n++] = (struct ref_range){
				.phys = p->phys, .len = p->len,
				.pos = ref->len, .prov = p->prov };
		}
		ref->len += p->len;
	}
	return ref;
}

static void ref_free(struct kunit *test, struct ref *ref)
{
	kunit_kfree(test, ref->r);
	kunit_kfree(test, ref);
}

/* Length of the piece starting at @phys, @rem bytes before the range end. */
static u64 ref_cut(u64 phys, u64 rem, u32 prov, enum rlist_cpu_step step)
{
	u64 n = rem;

	if (step == RLIST_CPU_STEP_FOLIO && !prov) {
		struct folio *f = page_folio(pfn_to_page(PHYS_PFN(phys)));
		u64 fend = PFN_PHYS(folio_pfn(f)) + folio_size(f);

		n = min(n, fend - phys);
	} else if (step == RLIST_CPU_STEP_PAGE) {
		n = min(n, PAGE_SIZE - (phys & ~PAGE_MASK));
	}
	return n;
}

/*
 * Reference PAGELIST: every boundary between two ranges (as iterated, so
 * after merging touching pieces of the same kind) is page aligned on both
 * sides.  Unaligned pieces that touch are one range: no boundary there.
 */
static bool ref_pagelist(const struct model *m)
{
	unsigned int i;

	for (i = 1; i < m->n; i++) {
		const struct piece *a = &m->p[i - 1], *b = &m->p[i];

		if (a->prov == b->prov && b->phys &&
		    a->phys + a->len == b->phys)
			continue;
		if (!PAGE_ALIGNED(a->phys + a->len) || !PAGE_ALIGNED(b->phys))
			return false;
	}
	return true;
}

static bool ref_p2p(const struct model *m)
{
	unsigned int i;

	for (i = 0; i < m->n; i++)
		if (m->p[i].prov)
			return true;
	return false;
}

static bool model_has_prov(const struct model *m, u64 off, u64 len)
{
	u64 pos = 0;
	unsigned int i;

	for (i = 0; i < m->n; pos += m->p[i].len, i++)
		if (m->p[i].prov && pos < off + len && off < pos + m->p[i].len)
			return true;
	return false;
}

/* Read @len bytes at list position @off through the model (memory only). */
static void model_read(const struct model *m, u64 off, u8 *dst, u64 len)
{
	u64 pos = 0;
	unsigned int i;

	for (i = 0; i < m->n && len; pos += m->p[i].len, i++) {
		const struct piece *p = &m->p[i];
		u64 n;

		if (off >= pos + p->len)
			continue;
		n = min(len, pos + p->len - off);
		if (!p->prov)
			memcpy(dst, phys_to_virt(p->phys + off - pos), n);
		dst += n;
		off += n;
		len -= n;
	}
}

/* ------------------------------------------------------------------ */
/* Random lists                                                       */
/* ------------------------------------------------------------------ */

#define GEN_PROV	BIT(0)	/* mix in provider ranges */
#define GEN_ALIGNED	BIT(1)	/* page aligned interior boundaries */
#define GEN_REUSE	BIT(2)	/* memory may be reused (no copy tests) */

static u64 gen_len(struct rnd_state *rs, u64 max, bool aligned)
{
	u64 n;

	if (aligned)
		return (1 + rnd(rs, min_t(u64, max >> PAGE_SHIFT, 4))) <<
			PAGE_SHIFT;
	switch (rnd(rs, 4)) {
	case 0:
		n = 1 + rnd(rs, 64);
		break;
	case 1:
		n = 1 + rnd(rs, PAGE_SIZE);
		break;
	case 2:
		n = PAGE_SIZE;
		break;
	default:
		n = 1 + rnd(rs, 3 * PAGE_SIZE);
		break;
	}
	return min(n, max);
}

static bool gen_mem(struct rnd_state *rs, struct pool *pool,
		    struct model *m, unsigned int flags)
{
	bool aligned = flags & GEN_ALIGNED;
	const struct piece *prev = m->n ? &m->p[m->n - 1] : NULL;
	struct pool_chunk *c;
	unsigned int tries;
	u64 start;

	/* Continue physically right after the previous piece. */
	if (prev && prev->chunk >= 0 && rnd(rs, 5) < 2) {
		c = &pool->c[prev->chunk];
		if (c->cursor < chunk_bytes(c)) {
			start = c->cursor;
			goto found;
		}
	}
	for (tries = 0; tries < 16; tries++) {
		c = &pool->c[rnd(rs, pool->nr)];
		if (flags & GEN_REUSE && rnd(rs, 4) == 0)
			c->cursor = 0;
		start = c->cursor;
		if (aligned)
			start = ALIGN(start, PAGE_SIZE);
		else if (rnd(rs, 2))
			start += rnd(rs, 2 * PAGE_SIZE);
		else
			start = ALIGN(start, PAGE_SIZE);
		if (start < chunk_bytes(c))
			goto found;
	}
	return false;
found:
	{
		u64 len = gen_len(rs, chunk_bytes(c) - start, aligned);

		model_add(m, chunk_phys(c) + start, len, 0, c - pool->c);
		c->cursor = start + len;
	}
	return true;
}

static void gen_prov(struct rnd_state *rs, struct pool *pool,
		     struct model *m, unsigned int flags)
{
	bool aligned = flags & GEN_ALIGNED;
	const struct piece *prev = m->n ? &m->p[m->n - 1] : NULL;
	u32 prov = 1 + rnd(rs, NR_PROVIDERS);
	u64 start, len;

	if (prev && prev->prov && rnd(rs, 5) < 2) {
		prov = prev->prov;
	} else {
		u64 gap = aligned || rnd(rs, 2) ?
			(u64)rnd(rs, 3) << PAGE_SHIFT : rnd(rs, PAGE_SIZE);

		pool->prov_cursor[prov] += gap;
	}
	start = pool->prov_cursor[prov];
	if (aligned)
		start = ALIGN(start, PAGE_SIZE);
	len = gen_len(rs, 64 * PAGE_SIZE, aligned);
	model_add(m, PROV_BASE(prov) + start, len, prov, -1);
	pool->prov_cursor[prov] = start + len;
}

/* A random list of up to @max pieces. */
static void gen_list(struct rnd_state *rs, struct pool *pool, struct model *m,
		     unsigned int max, unsigned int flags)
{
	unsigned int n = 1 + rnd(rs, max), i;

	pool_reset(pool);
	m->n = 0;
	m->len = 0;
	for (i = 0; i < n; i++) {
		if (flags & GEN_PROV && rnd(rs, 4) == 0)
			gen_prov(rs, pool, m, flags);
		else if (!gen_mem(rs, pool, m, flags))
			break;
	}
	if (flags & GEN_ALIGNED && m->n) {
		struct piece *first = &m->p[0], *last = &m->p[m->n - 1];
		u64 cut;

		/* Only the first start and the last end may be unaligned. */
		if (rnd(rs, 2)) {
			cut = rnd(rs, min_t(u64, first->len, PAGE_SIZE));
			first->phys += cut;
			first->len -= cut;
			m->len -= cut;
		}
		if (rnd(rs, 2)) {
			cut = rnd(rs, min_t(u64, last->len, PAGE_SIZE));
			last->len -= cut;
			m->len -= cut;
		}
	}
}

/*
 * A random page array: @pages[0..*npages), byte offset and length, as
 * accepted by rlist_cpu_init_pages(); also fills @m with the same memory.
 */
static void gen_page_array(struct rnd_state *rs, struct pool *pool,
			   struct model *m, struct page **pages,
			   unsigned long *npages, unsigned int *offset,
			   u64 *length)
{
	unsigned int n = 1 + rnd(rs, MAX_PIECES), i;
	u64 left, off;

	pool_reset(pool);
	m->n = 0;
	m->len = 0;
	*npages = 0;
	for (i = 0; i < n; i++) {
		struct pool_chunk *c = NULL;
		unsigned int tries, pg;

		if (i && rnd(rs, 2)) {
			/* next page of the previous chunk if it has one */
			struct page *prev = pages[*npages - 1];
			unsigned int k;

			for (k = 0; k < pool->nr; k++) {
				struct pool_chunk *t = &pool->c[k];

				if (prev >= t->page &&
				    prev < t->page + t->nr_pages)
					c = t;
			}
			if (c && c->cursor >= chunk_bytes(c))
				c = NULL;
		}
		for (tries = 0; !c && tries < 16; tries++) {
			c = &pool->c[rnd(rs, pool->nr)];
			c->cursor += (u64)rnd(rs, 2) << PAGE_SHIFT;
			if (c->cursor >= chunk_bytes(c))
				c = NULL;
		}
		if (!c)
			break;
		pg = c->cursor >> PAGE_SHIFT;
		pages[(*npages)++] = c->page + pg;
		c->cursor = (u64)(pg + 1) << PAGE_SHIFT;
	}
	*offset = rnd(rs, 2) ? rnd(rs, PAGE_SIZE) : 0;
	*length = ((u64)*npages << PAGE_SHIFT) - *offset;
	if (rnd(rs, 2))
		*length -= rnd(rs, min_t(u64, *length, 2 * PAGE_SIZE));
	left = *length;
	off = *offset;
	for (i = 0; i < *npages && left; i++) {
		u64 len = min(left, PAGE_SIZE - off);

		model_add(m, PFN_PHYS(page_to_pfn(pages[i])) + off, len, 0, -1);
		left -= len;
		off = 0;
	}
}

/* ------------------------------------------------------------------ */
/* Building the storages from a model                                 */
/* ------------------------------------------------------------------ */

static struct page *phys_page(u64 phys)
{
	return pfn_to_page(PHYS_PFN(phys));
}

/* Append one model piece, choosing among the append functions. */
static int append_piece(struct rnd_state *rs, struct rlist_cpu *rc,
			const struct pool *pool, const struct piece *p,
			gfp_t gfp)
{
	struct page *page;
	struct folio *folio;
	u64 off, left;
	int ret;

	if (p->prov)
		return rlist_cpu_append_phys(rc, p->phys, p->len, p->prov, gfp);
	page = phys_page(p->phys);
	off = p->phys & ~PAGE_MASK;
	if (off + p->len <= PAGE_SIZE && rnd(rs, 2))
		return rlist_cpu_append_page(rc, page, off, p->len, gfp);
	if (!off && PAGE_ALIGNED(p->len) && rnd(rs, 2)) {
		unsigned long i, n = p->len >> PAGE_SHIFT;
		struct page *arr[16];

		if (n <= ARRAY_SIZE(arr)) {
			for (i = 0; i < n; i++)
				arr[i] = page + i;
			return rlist_cpu_append_pages(rc, arr, n, gfp);
		}
	}
	folio = page_folio(page);
	off = p->phys - PFN_PHYS(folio_pfn(folio));
	if (off + p->len <= folio_size(folio))
		return rlist_cpu_append_folio(rc, folio, off, p->len, gfp);
	/* Spans order-0 folios: one append per page. */
	for (off = p->phys, left = p->len; left; ) {
		u64 n = min(left, PAGE_SIZE - (off & ~PAGE_MASK));

		ret = rlist_cpu_append_page(rc, phys_page(off),
					    off & ~PAGE_MASK, n, gfp);
		if (ret)
			return ret;
		off += n;
		left -= n;
	}
	return 0;
}

static bool build_native(struct kunit *test, struct rnd_state *rs,
			 struct rlist_cpu *rc, const struct pool *pool,
			 const struct model *m)
{
	unsigned int i;
	int ret;

	rlist_cpu_init(rc);
	for (i = 0; i < m->n; i++) {
		ret = append_piece(rs, rc, pool, &m->p[i], GFP_KERNEL);
		if (ret) {
			KUNIT_FAIL(test, "append of piece %u {%#llx,%llu,%u}: %d",
				   i, m->p[i].phys, m->p[i].len, m->p[i].prov,
				   ret);
			rlist_cpu_destroy(rc, 0);
			return false;
		}
	}
	if (rnd(rs, 2))
		rlist_cpu_append_end(rc);
	return true;
}

/* A bio_vec array for @m, with zero-length elements mixed in. */
static struct bio_vec *build_bvec(struct kunit *test, struct rnd_state *rs,
				  const struct model *m, unsigned int *nr)
{
	struct bio_vec *bv = kunit_kcalloc(test, 2 * m->n + 1, sizeof(*bv),
					   GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, bv);
	*nr = 0;
	for (i = 0; i < m->n; i++) {
		const struct piece *p = &m->p[i];

		if (rnd(rs, 8) == 0)
			bvec_set_page(&bv[(*nr)++], phys_page(p->phys), 0,
				      p->phys & ~PAGE_MASK);
		bvec_set_page(&bv[(*nr)++], phys_page(p->phys), p->len,
			      p->phys & ~PAGE_MASK);
	}
	return bv;
}

static bool build_sgt(struct kunit *test, struct rnd_state *rs,
		      const struct model *m, struct sg_table *sgt)
{
	unsigned int i, nr = 0, zero = 0;
	struct scatterlist *sg;

	for (i = 0; i < m->n; i++)
		zero += rnd(rs, 8) == 0;
	if (sg_alloc_table(sgt, m->n + zero, GFP_KERNEL)) {
		KUNIT_FAIL(test, "sg_alloc_table(%u) failed", m->n + zero);
		return false;
	}
	sg = sgt->sgl;
	for (i = 0; i < m->n; i++) {
		const struct piece *p = &m->p[i];

		if (zero && (rnd(rs, 2) || m->n - i == zero)) {
			sg_set_page(sg, phys_page(p->phys), 0,
				    p->phys & ~PAGE_MASK);
			sg = sg_next(sg);
			zero--;
			nr++;
		}
		sg_set_page(sg, phys_page(p->phys), p->len,
			    p->phys & ~PAGE_MASK);
		sg = sg_next(sg);
		nr++;
	}
	KUNIT_EXPECT_EQ(test, nr, sgt->orig_nents);
	return true;
}

/* ------------------------------------------------------------------ */
/* Checks against the reference                                       */
/* ------------------------------------------------------------------ */

static const char * const step_name[] = { "RANGE", "FOLIO", "PAGE" };

/*
 * Walk @rc from @start (with a seek if @seek, else from the start) and
 * compare with the reference; stop after @max pieces (0: no limit).
 */
static bool check_walk(struct kunit *test, const char *what,
		       const struct rlist_cpu *rc, const struct ref *ref,
		       enum rlist_cpu_step step, bool seek, u64 start,
		       unsigned int max)
{
	struct rlist_cpu_iter it;
	unsigned int i, nr = 0;
	bool want = start < ref->len;
	u64 roff = 0;
	bool ret;

	if (seek)
		ret = rlist_cpu_iter_seek(&it, rc, start, step);
	else
		ret = rlist_cpu_iter_start(&it, rc, step);
	if (ret != want || ret != rlist_cpu_iter_valid(&it)) {
		KUNIT_FAIL(test, "%s %s: %s(%llu) returned %d valid %d, length %llu",
			   what, step_name[step], seek ? "seek" : "start",
			   start, ret, rlist_cpu_iter_valid(&it), ref->len);
		return false;
	}
	if (!ret)
		return true;
	for (i = 0; i < ref->n; i++) {
		if (start < ref->r[i].pos + ref->r[i].len) {
			roff = start - ref->r[i].pos;
			break;
		}
	}
	for (; i < ref->n; i++, roff = 0) {
		const struct ref_range *r = &ref->r[i];

		while (roff < r->len) {
			u64 phys = r->phys + roff;
			u64 len = ref_cut(phys, r->len - roff, r->prov, step);

			if (!rlist_cpu_iter_valid(&it)) {
				KUNIT_FAIL(test,
					   "%s %s from %llu: ended early at piece %u, want {%#llx,%llu,pos %llu}",
					   what, step_name[step], start, nr,
					   phys, len, r->pos + roff);
				return false;
			}
			if (it.phys != phys || it.len != len ||
			    it.pos != r->pos + roff || it.provider != r->prov) {
				KUNIT_FAIL(test,
					   "%s %s from %llu: piece %u is {%#llx,%llu,pos %llu,prov %u}, want {%#llx,%llu,pos %llu,prov %u}",
					   what, step_name[step], start, nr,
					   (u64)it.phys, it.len, it.pos,
					   it.provider, phys, len,
					   r->pos + roff, r->prov);
				return false;
			}
			if (rlist_cpu_iter_page(&it) !=
			    (r->prov ? NULL : phys_page(phys))) {
				KUNIT_FAIL(test, "%s: wrong rlist_cpu_iter_page()",
					   what);
				return false;
			}
			roff += len;
			nr++;
			if (max && nr >= max)
				return true;
			rlist_cpu_iter_next(&it);
		}
	}
	if (rlist_cpu_iter_valid(&it)) {
		KUNIT_FAIL(test,
			   "%s %s from %llu: extra piece {%#llx,%llu,pos %llu} after %u pieces",
			   what, step_name[step], start, (u64)it.phys, it.len,
			   it.pos, nr);
		return false;
	}
	return true;
}

static bool check_iterate(struct kunit *test, struct rnd_state *rs,
			  const char *what, const struct rlist_cpu *rc,
			  const struct ref *ref)
{
	enum rlist_cpu_step step;
	unsigned int i;

	for (step = RLIST_CPU_STEP_RANGE; step <= RLIST_CPU_STEP_PAGE; step++) {
		if (!check_walk(test, what, rc, ref, step, false, 0, 0))
			return false;
		for (i = 0; i < ref->n; i++) {
			const struct ref_range *r = &ref->r[i];

			if (!check_walk(test, what, rc, ref, step, true,
					r->pos, 8) ||
			    !check_walk(test, what, rc, ref, step, true,
					r->pos + r->len - 1, 8))
				return false;
		}
		for (i = 0; i < 6 && ref->len; i++) {
			u64 pos = rnd(rs, ref->len > U32_MAX ? U32_MAX :
				      ref->len);

			if (!check_walk(test, what, rc, ref, step, true, pos,
					8))
				return false;
		}
		if (!check_walk(test, what, rc, ref, step, true, ref->len, 0) ||
		    !check_walk(test, what, rc, ref, step, true,
				ref->len + 1 + rnd(rs, 1000), 0))
			return false;
	}
	return true;
}

static bool check_summary(struct kunit *test, const char *what,
			  const struct rlist_cpu *rc, const struct model *m)
{
	unsigned int flags = rlist_cpu_flags(rc);
	bool pl = ref_pagelist(m);

	if (rlist_cpu_length(rc) != m->len) {
		KUNIT_FAIL(test, "%s: length %llu, want %llu", what,
			   rlist_cpu_length(rc), m->len);
		return false;
	}
	if (!!(flags & RLIST_CPU_PAGELIST) != pl) {
		KUNIT_FAIL(test, "%s: PAGELIST is %d, want %d (%u pieces)", what,
			   !!(flags & RLIST_CPU_PAGELIST), pl, m->n);
		return false;
	}
	if (!!(flags & RLIST_CPU_MAY_P2P) != ref_p2p(m)) {
		KUNIT_FAIL(test, "%s: MAY_P2P is %d, want %d", what,
			   !!(flags & RLIST_CPU_MAY_P2P), ref_p2p(m));
		return false;
	}
	return true;
}

/* copy_from/copy_to over random spans, byte-exact against the model. */
static bool check_copy(struct kunit *test, struct rnd_state *rs,
		       const char *what, const struct rlist_cpu *rc,
		       const struct model *m)
{
	u64 len = m->len, off, n;
	u8 *snap, *buf, *src;
	bool ok = false;
	unsigned int i;
	int ret, want;

	/* provider bytes are never read: they stay 0 in both buffers */
	snap = kvzalloc(len + 1, GFP_KERNEL);
	buf = kvzalloc(len + 128, GFP_KERNEL);
	src = kvzalloc(len + 128, GFP_KERNEL);
	if (!snap || !buf || !src) {
		KUNIT_FAIL(test, "%s: no memory for %llu bytes", what, len);
		goto out;
	}
	model_read(m, 0, snap, len);
	for (i = 0; i < 24; i++) {
		bool to = i & 1;

		switch (i % 6) {
		case 0:
		case 1:
			off = 0;
			n = len;
			break;
		case 2:
			/* past the end */
			off = rnd(rs, len + 1);
			n = len - off + 1 + rnd(rs, 100);
			break;
		default:
			off = rnd(rs, len + 1);
			n = rnd(rs, min_t(u64, len - off, 5 * PAGE_SIZE) + 1);
			break;
		}
		if (off + n > len)
			want = -EINVAL;
		else if (n && model_has_prov(m, off, n))
			want = -EREMOTEIO;
		else
			want = 0;
		if (to) {
			prandom_bytes_state(rs, src, min(n, len));
			ret = rlist_cpu_copy_to(rc, off, src, n);
		} else {
			memset(buf, 0xa5, len + 1);
			ret = rlist_cpu_copy_from(buf, rc, off, n);
		}
		if (ret != want) {
			KUNIT_FAIL(test,
				   "%s: copy_%s(off %llu, len %llu) = %d, want %d (length %llu)",
				   what, to ? "to" : "from", off, n, ret, want,
				   len);
			goto out;
		}
		if (want == -EREMOTEIO && to) {
			/* bytes before the provider range may have changed */
			model_read(m, 0, snap, len);
			continue;
		}
		if (want)
			continue;
		if (to) {
			memcpy(snap + off, src, n);
		} else if (memcmp(buf, snap + off, n) ||
			   (n <= len && buf[n] != 0xa5)) {
			KUNIT_FAIL(test, "%s: copy_from(off %llu, len %llu) returned wrong bytes",
				   what, off, n);
			goto out;
		}
		/* every write is checked against the whole list */
		if (to) {
			memset(buf, 0, len);
			model_read(m, 0, buf, len);
			if (memcmp(buf, snap, len)) {
				KUNIT_FAIL(test,
					   "%s: copy_to(off %llu, len %llu) wrote wrong bytes",
					   what, off, n);
				goto out;
			}
		}
	}
	ok = true;
out:
	kvfree(snap);
	kvfree(buf);
	kvfree(src);
	return ok;
}

static bool check_all(struct kunit *test, struct rnd_state *rs,
		      const char *what, const struct rlist_cpu *rc,
		      const struct model *m, bool copy)
{
	struct ref *ref = ref_build(test, m);
	bool ok;

	ok = check_summary(test, what, rc, m) &&
	     check_iterate(test, rs, what, rc, ref) &&
	     (!copy || check_copy(test, rs, what, rc, m));
	ref_free(test, ref);
	return ok;
}

/* Check @m stored natively, as bio_vecs and as an sg_table. */
static bool check_storages(struct kunit *test, struct rnd_state *rs,
			   const struct pool *pool, const struct model *m,
			   bool copy)
{
	struct rlist_cpu rc;
	struct sg_table sgt;
	struct bio_vec *bv;
	unsigned int nr;
	bool ok;
	int ret;

	if (!build_native(test, rs, &rc, pool, m))
		return false;
	ok = check_all(test, rs, "native", &rc, m, copy);
	rlist_cpu_destroy(&rc, 0);
	if (!ok || ref_p2p(m))
		return ok;

	bv = build_bvec(test, rs, m, &nr);
	ret = rlist_cpu_init_bvec(&rc, bv, nr);
	KUNIT_EXPECT_EQ(test, ret, 0);
	ok = !ret && check_all(test, rs, "bvec", &rc, m, copy);
	KUNIT_EXPECT_EQ(test, rlist_cpu_storage(&rc), RLIST_CPU_BVEC);
	rlist_cpu_destroy(&rc, 0);
	kunit_kfree(test, bv);
	if (!ok)
		return false;

	if (!build_sgt(test, rs, m, &sgt))
		return false;
	ret = rlist_cpu_init_sgtable(&rc, &sgt);
	KUNIT_EXPECT_EQ(test, ret, 0);
	ok = !ret && check_all(test, rs, "sgtable", &rc, m, copy);
	KUNIT_EXPECT_EQ(test, rlist_cpu_storage(&rc), RLIST_CPU_SGTABLE);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
	return ok;
}

/* ------------------------------------------------------------------ */
/* Model tests                                                        */
/* ------------------------------------------------------------------ */

/* Page arrays held by all four storages. */
static void rlist_cpu_test_page_array_model(struct kunit *test)
{
	struct page **pages = kunit_kcalloc(test, MAX_PIECES, sizeof(*pages),
					    GFP_KERNEL);
	struct model *m = model_alloc(test, MAX_PIECES);
	struct rnd_state rs;
	struct pool *pool;
	unsigned int i, n, offset;
	unsigned long npages;
	u64 length;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	n = nr_random_lists(test);
	prandom_seed_state(&rs, seed_of(test));
	pool = pool_create(test, &rs);
	for (i = 0; i < n; i++) {
		struct rlist_cpu rc;
		int ret;

		gen_page_array(&rs, pool, m, pages, &npages, &offset, &length);
		ret = rlist_cpu_init_pages(&rc, pages, npages, offset, length);
		KUNIT_ASSERT_EQ(test, ret, 0);
		KUNIT_EXPECT_EQ(test, rlist_cpu_storage(&rc), RLIST_CPU_PAGES);
		/* interior boundaries of a page array are always aligned */
		KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&rc) &
				  RLIST_CPU_PAGELIST);
		if (!check_all(test, &rs, "pages", &rc, m, true))
			break;
		rlist_cpu_destroy(&rc, 0);
		if (!check_storages(test, &rs, pool, m, true))
			break;
		/* Tens of seconds under TCG: let RCU and others run. */
		cond_resched();
	}
}

/*
 * rlist_cpu_lists random lists generated with @flags, checked on every
 * storage; with GEN_PROV, every other list has aligned interior boundaries.
 */
static void check_random_lists(struct kunit *test, unsigned int flags)
{
	struct model *m = model_alloc(test, MAX_PIECES);
	struct rnd_state rs;
	struct pool *pool;
	unsigned int i, n = nr_random_lists(test);

	prandom_seed_state(&rs, seed_of(test));
	pool = pool_create(test, &rs);
	for (i = 0; i < n; i++) {
		unsigned int f = flags;

		if (flags & GEN_PROV && i & 1)
			f |= GEN_ALIGNED;
		gen_list(&rs, pool, m, MAX_PIECES, f);
		/* Lists whose interior boundaries are aligned: PAGELIST. */
		if (flags & GEN_ALIGNED)
			KUNIT_ASSERT_TRUE(test, ref_pagelist(m));
		if (!check_storages(test, &rs, pool, m, true))
			break;
		cond_resched();
	}
}

/* Unaligned sub-page and multi-page pieces, contiguous or not. */
static void rlist_cpu_test_unaligned_model(struct kunit *test)
{
	check_random_lists(test, 0);
}

/* Lists whose interior boundaries are page aligned. */
static void rlist_cpu_test_aligned_model(struct kunit *test)
{
	check_random_lists(test, GEN_ALIGNED);
}

/* Native lists mixing memory and provider ranges. */
static void rlist_cpu_test_provider_model(struct kunit *test)
{
	check_random_lists(test, GEN_PROV);
}

/* ------------------------------------------------------------------ */
/* Native append edge cases                                           */
/* ------------------------------------------------------------------ */

/* Expect @rc to hold exactly the one range {phys, len, prov}. */
static void expect_one_range(struct kunit *test, const struct rlist_cpu *rc,
			     u64 phys, u64 len, u32 prov)
{
	struct rlist_cpu_iter it;

	KUNIT_ASSERT_TRUE(test, rlist_cpu_iter_start(&it, rc,
						     RLIST_CPU_STEP_RANGE));
	KUNIT_EXPECT_EQ(test, (u64)it.phys, phys);
	KUNIT_EXPECT_EQ(test, it.len, len);
	KUNIT_EXPECT_EQ(test, it.pos, 0);
	KUNIT_EXPECT_EQ(test, it.provider, prov);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_next(&it));
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_valid(&it));
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(rc), len);
}

static void rlist_cpu_test_empty(struct kunit *test)
{
	struct rlist_cpu_iter it;
	struct rlist_cpu rc;
	struct page *page;
	u8 byte = 0;

	rlist_cpu_init(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_flags(&rc), RLIST_CPU_PAGELIST);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_start(&it, &rc,
						      RLIST_CPU_STEP_RANGE));
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_valid(&it));
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_seek(&it, &rc, 0,
						     RLIST_CPU_STEP_PAGE));
	KUNIT_EXPECT_EQ(test, rlist_cpu_copy_from(&byte, &rc, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_copy_from(&byte, &rc, 0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_copy_to(&rc, 0, &byte, 1), -EINVAL);
	rlist_cpu_append_end(&rc);
	rlist_cpu_destroy(&rc, RLIST_CPU_UNPIN);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, rlist_cpu_init_pages(&rc, &page, 1, 5, 0), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_start(&it, &rc,
						      RLIST_CPU_STEP_PAGE));
	rlist_cpu_destroy(&rc, 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_init_bvec(&rc, NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&rc) & RLIST_CPU_PAGELIST);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_start(&it, &rc,
						      RLIST_CPU_STEP_FOLIO));
	rlist_cpu_destroy(&rc, 0);
	__free_page(page);
}

/* Every invalid append fails with the documented error, changing nothing. */
static void rlist_cpu_test_append_invalid(struct kunit *test)
{
	struct folio *folio = folio_alloc(GFP_KERNEL, 1);
	struct page *page;
	struct rlist_cpu rc;
	u64 phys;

	KUNIT_ASSERT_NOT_NULL(test, folio);
	page = &folio->page;
	phys = PFN_PHYS(folio_pfn(folio));
	rlist_cpu_init(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 100,
						    GFP_KERNEL), 0);

	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 0,
						    GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, PAGE_SIZE - 1,
						    2, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 0,
						    PAGE_SIZE + 1, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_folio(&rc, folio, 0, 0,
						     GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_folio(&rc, folio, 1,
						     folio_size(folio),
						     GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_folio(&rc, folio,
						     folio_size(folio), 1,
						     GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1), 4096,
						    0, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1), 0, 1,
						    GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, (phys_addr_t)~0ULL -
						    10, 12, 1, GFP_KERNEL),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, (phys_addr_t)~0ULL,
						    2, 1, GFP_KERNEL),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(2),
						    U64_MAX, 1, GFP_KERNEL),
			-EOVERFLOW);
	/* nothing changed */
	expect_one_range(test, &rc, phys, 100, 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_flags(&rc), RLIST_CPU_PAGELIST);

	/* ending exactly at the top of the address space is fine */
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, (phys_addr_t)~0ULL -
						    10, 11, 1, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 111);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&rc) & RLIST_CPU_MAY_P2P);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_flags(&rc) & RLIST_CPU_PAGELIST);
	rlist_cpu_destroy(&rc, 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_storage(&rc), RLIST_CPU_RLIST);
	folio_put(folio);
}

static void expect_appends_fail(struct kunit *test, struct rlist_cpu *rc,
				struct page *page, u64 len)
{
	struct page *arr[1] = { page };

	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(rc, page, 0, PAGE_SIZE,
						    GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_folio(rc, page_folio(page), 0,
						     PAGE_SIZE, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_pages(rc, arr, 1, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(rc, PROV_BASE(1),
						    PAGE_SIZE, 1, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(rc), len);
}

/* Appends after rlist_cpu_append_end() and on wrappers fail. */
static void rlist_cpu_test_append_after_end_and_on_wrappers(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	struct bio_vec bv;
	struct sg_table sgt;
	struct rlist_cpu rc;
	u64 phys;

	KUNIT_ASSERT_NOT_NULL(test, page);
	phys = PFN_PHYS(page_to_pfn(page));

	rlist_cpu_init(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 8, 16,
						    GFP_KERNEL), 0);
	rlist_cpu_append_end(&rc);
	expect_appends_fail(test, &rc, page, 16);
	expect_one_range(test, &rc, phys + 8, 16, 0);
	rlist_cpu_destroy(&rc, 0);
	/* after destroy: an empty native list that takes appends again */
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 1,
						    GFP_KERNEL), 0);
	expect_one_range(test, &rc, phys, 1, 0);
	rlist_cpu_destroy(&rc, 0);

	/* an empty ended list */
	rlist_cpu_init(&rc);
	rlist_cpu_append_end(&rc);
	expect_appends_fail(test, &rc, page, 0);
	rlist_cpu_destroy(&rc, 0);

	KUNIT_ASSERT_EQ(test, rlist_cpu_init_pages(&rc, &page, 1, 0,
						   PAGE_SIZE), 0);
	expect_appends_fail(test, &rc, page, PAGE_SIZE);
	rlist_cpu_destroy(&rc, 0);

	bvec_set_page(&bv, page, 100, 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_init_bvec(&rc, &bv, 1), 0);
	expect_appends_fail(test, &rc, page, 100);
	rlist_cpu_destroy(&rc, 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_storage(&rc), RLIST_CPU_RLIST);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 1,
						    GFP_KERNEL), 0);
	rlist_cpu_destroy(&rc, 0);

	KUNIT_ASSERT_EQ(test, sg_alloc_table(&sgt, 1, GFP_KERNEL), 0);
	sg_set_page(sgt.sgl, page, 200, 10);
	KUNIT_ASSERT_EQ(test, rlist_cpu_init_sgtable(&rc, &sgt), 0);
	expect_appends_fail(test, &rc, page, 200);
	expect_one_range(test, &rc, phys + 10, 200, 0);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
	__free_page(page);
}

static void rlist_cpu_test_init_pages_invalid(struct kunit *test)
{
	struct page *pages[2];
	struct rlist_cpu rc;

	pages[0] = alloc_page(GFP_KERNEL);
	pages[1] = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages[0]);
	KUNIT_ASSERT_NOT_NULL(test, pages[1]);
	KUNIT_EXPECT_EQ(test, rlist_cpu_init_pages(&rc, pages, 2, PAGE_SIZE,
						   1), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_init_pages(&rc, pages, 2, 0,
						   2 * PAGE_SIZE + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_init_pages(&rc, pages, 2, 1,
						   2 * PAGE_SIZE), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_init_pages(&rc, pages, 1, 0,
						   PAGE_SIZE + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_init_pages(&rc, pages, 2, 1,
						   2 * PAGE_SIZE - 1), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 2 * PAGE_SIZE - 1);
	rlist_cpu_destroy(&rc, 0);
	__free_page(pages[0]);
	__free_page(pages[1]);
}

/* A single entry lives inside struct rlist: no allocation. */
static void rlist_cpu_test_single_entry(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct folio *folio = folio_alloc(GFP_KERNEL, 2);
	struct rlist_cpu rc;
	u64 phys;

	KUNIT_ASSERT_NOT_NULL(test, folio);
	phys = PFN_PHYS(folio_pfn(folio));
	rlist_kunit_alloc_track(test, &a);

	rlist_cpu_init(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_folio(&rc, folio, 3,
						     3 * PAGE_SIZE, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rc.__rl), 0);
	KUNIT_EXPECT_EQ(test, a.allocs, 0);
	expect_one_range(test, &rc, phys + 3, 3 * PAGE_SIZE, 0);
	rlist_cpu_destroy(&rc, 0);

	/* contiguous aligned pages merge into the one entry */
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, &folio->page, 0,
						    PAGE_SIZE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, &folio->page + 1, 0,
						    PAGE_SIZE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_folio(&rc, folio,
						     2 * PAGE_SIZE, 5,
						     GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rc.__rl), 0);
	KUNIT_EXPECT_EQ(test, a.allocs, 0);
	expect_one_range(test, &rc, phys, 2 * PAGE_SIZE + 5, 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_flags(&rc), RLIST_CPU_PAGELIST);
	rlist_cpu_destroy(&rc, 0);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	folio_put(folio);
}

/* Storage merge rules, seen through memory use and iteration. */
static void rlist_cpu_test_merge_rules(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct page *page = alloc_pages(GFP_KERNEL, 1);
	struct rlist_cpu_iter it;
	struct rlist_cpu rc;
	u64 phys;

	KUNIT_ASSERT_NOT_NULL(test, page);
	phys = PFN_PHYS(page_to_pfn(page));
	rlist_kunit_alloc_track(test, &a);

	/* unaligned pieces that touch: two entries, one range */
	rlist_cpu_init(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 100,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 100, 200,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_GT(test, rlist_memory(&rc.__rl), 0);
	expect_one_range(test, &rc, phys, 300, 0);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_start(&it, &rc,
						     RLIST_CPU_STEP_PAGE));
	KUNIT_EXPECT_EQ(test, it.len, 300);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_flags(&rc) & RLIST_CPU_MAY_P2P);
	/* no range boundary inside the list */
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&rc) & RLIST_CPU_PAGELIST);
	rlist_cpu_destroy(&rc, 0);

	/* unaligned end, then the next page: not a page list */
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 100,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page + 1, 0,
						    PAGE_SIZE, GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_flags(&rc) & RLIST_CPU_PAGELIST);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), PAGE_SIZE + 100);
	rlist_cpu_destroy(&rc, 0);

	/* aligned end, next starts unaligned: not a page list */
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page + 1, 0,
						    PAGE_SIZE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 8, 8,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_flags(&rc) & RLIST_CPU_PAGELIST);
	rlist_cpu_destroy(&rc, 0);

	/* unaligned first start and last end: still a page list */
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page + 1, 7,
						    PAGE_SIZE - 7, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 9,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&rc) & RLIST_CPU_PAGELIST);
	rlist_cpu_destroy(&rc, 0);

	/* contiguous provider ranges: merged if same provider */
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1) + 3, 5,
						    1, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1) + 8,
						    PAGE_SIZE, 1, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rc.__rl), 0);
	expect_one_range(test, &rc, PROV_BASE(1) + 3, PAGE_SIZE + 5, 1);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&rc) & RLIST_CPU_MAY_P2P);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&rc) & RLIST_CPU_PAGELIST);
	/* a different provider right after: a new range */
	KUNIT_EXPECT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1) + 8 +
						    PAGE_SIZE, 16, 2,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_start(&it, &rc,
						     RLIST_CPU_STEP_RANGE));
	KUNIT_EXPECT_EQ(test, it.len, PAGE_SIZE + 5);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_next(&it));
	KUNIT_EXPECT_EQ(test, (u64)it.phys, PROV_BASE(1) + 8 + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, it.len, 16);
	KUNIT_EXPECT_EQ(test, it.provider, 2);
	KUNIT_EXPECT_EQ(test, it.pos, PAGE_SIZE + 5);
	KUNIT_EXPECT_NULL(test, rlist_cpu_iter_page(&it));
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_next(&it));
	/* the junction is not page aligned */
	KUNIT_EXPECT_FALSE(test, rlist_cpu_flags(&rc) & RLIST_CPU_PAGELIST);
	rlist_cpu_destroy(&rc, 0);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	__free_pages(page, 1);
}

/* Ranges of 4 GiB and more. */
static void rlist_cpu_test_large_provider_ranges(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rlist_cpu_iter it;
	struct rlist_cpu rc;
	u64 base = PROV_BASE(3) + 0x800, len = 5ULL << 30;

	rlist_kunit_alloc_track(test, &a);
	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, base, len, 3,
						    GFP_KERNEL), 0);
	expect_one_range(test, &rc, base, len, 3);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_start(&it, &rc,
						     RLIST_CPU_STEP_FOLIO));
	KUNIT_EXPECT_EQ(test, it.len, len);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_start(&it, &rc,
						     RLIST_CPU_STEP_PAGE));
	KUNIT_EXPECT_EQ(test, it.len, PAGE_SIZE - 0x800);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_next(&it));
	KUNIT_EXPECT_EQ(test, (u64)it.phys, base - 0x800 + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, it.len, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, it.pos, PAGE_SIZE - 0x800);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_seek(&it, &rc, len - 1,
						    RLIST_CPU_STEP_PAGE));
	KUNIT_EXPECT_EQ(test, (u64)it.phys, base + len - 1);
	KUNIT_EXPECT_EQ(test, it.len, 1);
	KUNIT_EXPECT_EQ(test, it.pos, len - 1);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_next(&it));
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_seek(&it, &rc, 1ULL << 32,
						    RLIST_CPU_STEP_RANGE));
	KUNIT_EXPECT_EQ(test, (u64)it.phys, base + (1ULL << 32));
	KUNIT_EXPECT_EQ(test, it.len, len - (1ULL << 32));
	rlist_cpu_destroy(&rc, 0);

	/* 1 TiB */
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(2),
						    1ULL << 40, 2, GFP_KERNEL),
			0);
	expect_one_range(test, &rc, PROV_BASE(2), 1ULL << 40, 2);
	rlist_cpu_destroy(&rc, 0);

	/* two contiguous 3 GiB ranges merge into one 6 GiB entry */
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1),
						    3ULL << 30, 1, GFP_KERNEL),
			0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1) +
						    (3ULL << 30), 3ULL << 30,
						    1, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rc.__rl), 0);
	expect_one_range(test, &rc, PROV_BASE(1), 6ULL << 30, 1);
	/* and a third one after a gap */
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1) +
						    (7ULL << 30), 5ULL << 30,
						    1, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 11ULL << 30);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_seek(&it, &rc, 6ULL << 30,
						    RLIST_CPU_STEP_FOLIO));
	KUNIT_EXPECT_EQ(test, (u64)it.phys, PROV_BASE(1) + (7ULL << 30));
	KUNIT_EXPECT_EQ(test, it.len, 5ULL << 30);
	KUNIT_EXPECT_EQ(test, it.pos, 6ULL << 30);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_seek(&it, &rc,
						    (6ULL << 30) - 1,
						    RLIST_CPU_STEP_RANGE));
	KUNIT_EXPECT_EQ(test, it.len, 1);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_next(&it));
	KUNIT_EXPECT_EQ(test, it.len, 5ULL << 30);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_iter_next(&it));
	rlist_cpu_destroy(&rc, 0);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/* ------------------------------------------------------------------ */
/* Allocation failures                                                */
/* ------------------------------------------------------------------ */

static bool check_unchanged(struct kunit *test, const struct rlist_cpu *rc,
			    const struct model *m, unsigned int flags)
{
	struct ref *ref = ref_build(test, m);
	bool ok;

	ok = check_walk(test, "after -ENOMEM", rc, ref, RLIST_CPU_STEP_RANGE,
			false, 0, 0);
	ref_free(test, ref);
	if (rlist_cpu_length(rc) != m->len ||
	    rlist_cpu_flags(rc) != flags) {
		KUNIT_FAIL(test, "after -ENOMEM: length %llu flags %#x, want %llu %#x",
			   rlist_cpu_length(rc), rlist_cpu_flags(rc), m->len,
			   flags);
		ok = false;
	}
	return ok;
}

/* Fail each allocation in turn while building a list of a few hundred. */
static void rlist_cpu_test_alloc_failure_every_point(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct model *full = model_alloc(test, 1600);
	struct model *m = model_alloc(test, 1600);
	struct rnd_state rs, gen;
	struct pool *pool;
	long k;
	u64 seed = seed_of(test);

	prandom_seed_state(&rs, seed);
	pool = pool_create(test, &rs);
	/* the list: scattered pieces of every kind, a few hundred entries */
	pool_reset(pool);
	while (full->n < 1500) {
		struct piece *p;

		if (rnd(&rs, 4) == 0)
			gen_prov(&rs, pool, full, 0);
		else if (!gen_mem(&rs, pool, full, GEN_REUSE))
			continue;
		/* one append call per piece: no split over order-0 folios */
		p = &full->p[full->n - 1];
		if (!p->prov && !pool->c[p->chunk].compound) {
			full->len -= p->len;
			p->len = min(p->len, PAGE_SIZE - (p->phys & ~PAGE_MASK));
			full->len += p->len;
		}
	}
	rlist_kunit_alloc_track(test, &a);
	for (k = 0; k < 2000; k++) {
		struct rlist_cpu rc;
		unsigned int i, flags;
		bool failed = false;

		a.allocs = 0;
		a.frees = 0;
		a.attempts = 0;
		a.fail_at = k;
		m->n = 0;
		m->len = 0;
		/* same append functions every round */
		prandom_seed_state(&gen, seed + 1);
		rlist_cpu_init(&rc);
		for (i = 0; i < full->n; i++) {
			int ret;

			flags = rlist_cpu_flags(&rc);
			ret = append_piece(&gen, &rc, pool, &full->p[i],
					   GFP_KERNEL);
			if (ret == -ENOMEM && a.attempts > k) {
				failed = true;
				check_unchanged(test, &rc, m, flags);
				break;
			}
			if (ret) {
				KUNIT_FAIL(test,
					   "fail_at %ld: append %u returned %d after %ld attempts",
					   k, i, ret, a.attempts);
				failed = true;
				break;
			}
			m->p[m->n++] = full->p[i];
			m->len += full->p[i].len;
		}
		if (!failed && a.attempts > k) {
			/* a failed allocation was absorbed: list must be whole */
			flags = rlist_cpu_flags(&rc);
			check_unchanged(test, &rc, m, flags);
		}
		rlist_cpu_destroy(&rc, 0);
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
		if (!failed && a.attempts <= k)
			break;
		if (test->status == KUNIT_FAILURE)
			break;
	}
	kunit_info(test, "%ld allocation points failed in turn\n", k);
	KUNIT_EXPECT_GT(test, k, 1);
	KUNIT_EXPECT_LT(test, k, 2000);
}

/* append_pages() is all or nothing. */
static void rlist_cpu_test_append_pages_all_or_nothing(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct page **pages = kunit_kcalloc(test, 256, sizeof(*pages),
					    GFP_KERNEL);
	struct page *page = alloc_pages(GFP_KERNEL, 4);
	struct rlist_cpu rc;
	unsigned int i;
	long k;
	u64 phys;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_NOT_NULL(test, page);
	phys = PFN_PHYS(page_to_pfn(page));
	/* no two neighbours contiguous: 256 entries */
	for (i = 0; i < 256; i++)
		pages[i] = page + (i * 7) % 16;
	rlist_kunit_alloc_track(test, &a);
	for (k = 0; k < 100; k++) {
		a.allocs = 0;
		a.frees = 0;
		a.attempts = 0;
		a.fail_at = k;
		rlist_cpu_init(&rc);
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 10,
							    GFP_KERNEL), 0);
		ret = rlist_cpu_append_pages(&rc, pages, 256, GFP_KERNEL);
		if (ret) {
			KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
			expect_one_range(test, &rc, phys, 10, 0);
		} else {
			KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc),
					10 + 256 * PAGE_SIZE);
		}
		rlist_cpu_destroy(&rc, 0);
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
		if (!ret && a.attempts <= k)
			break;
	}
	KUNIT_EXPECT_GT(test, k, 0);
	KUNIT_EXPECT_LT(test, k, 100);

	/*
	 * A length past U64_MAX is refused before the array is read (with a
	 * 32-bit unsigned long, no page count reaches it).
	 */
	if (BITS_PER_LONG == 64) {
		unsigned long too_many = (unsigned long)(U64_MAX >> PAGE_SHIFT);

		a.allocs = 0;
		a.frees = 0;
		a.attempts = 0;
		a.fail_at = -1;
		rlist_cpu_init(&rc);
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, page, 0, 10,
							    GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, rlist_cpu_append_pages(&rc, pages,
							     too_many + 1,
							     GFP_KERNEL),
				-EOVERFLOW);
		KUNIT_EXPECT_EQ(test, a.attempts, 0);
		expect_one_range(test, &rc, phys, 10, 0);
		rlist_cpu_destroy(&rc, 0);
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	}
	__free_pages(page, 4);
}

/*
 * append_pages() with a reservation that falls short: an append that finds
 * no room and no memory fails the whole call with -ENOMEM, leaving the list
 * as it was (also the last entry the first run merged into), never dropping
 * a run silently.
 */
static void rlist_cpu_test_append_pages_short_reserve(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct page **pages = kunit_kcalloc(test, 256, sizeof(*pages),
					    GFP_KERNEL);
	struct page *page = alloc_pages(GFP_KERNEL, 4);
	unsigned int i, merge, failures = 0;
	struct rlist_cpu rc;
	long k;
	u64 phys;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_NOT_NULL(test, page);
	phys = PFN_PHYS(page_to_pfn(page));
	rlist_kunit_alloc_track(test, &a);
	rlist_kunit_no_reserve(test);
	for (merge = 0; merge < 2; merge++) {
		/*
		 * 256 pages, no two neighbours contiguous; with @merge the
		 * first one continues the list's only page.
		 */
		pages[0] = page + 1;
		for (i = 1; i < 256; i++)
			pages[i] = page + (i * 7) % 16;
		for (k = 0; k < 100; k++) {
			u64 len = merge ? PAGE_SIZE : 10;
			unsigned int flags;

			a.allocs = 0;
			a.frees = 0;
			a.attempts = 0;
			a.fail_at = -1;
			rlist_cpu_init(&rc);
			KUNIT_ASSERT_EQ(test,
					rlist_cpu_append_page(&rc, page, 0, len,
							      GFP_KERNEL), 0);
			flags = rlist_cpu_flags(&rc);
			a.attempts = 0;
			a.fail_at = k;
			ret = rlist_cpu_append_pages(&rc, pages, 256,
						     GFP_KERNEL);
			if (ret) {
				failures++;
				KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
				expect_one_range(test, &rc, phys, len, 0);
				KUNIT_EXPECT_EQ(test, rlist_cpu_flags(&rc),
						flags);
				KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rc.__rl),
						1);
				/* the list takes appends again */
				a.fail_at = -1;
				ret = rlist_cpu_append_pages(&rc, pages, 256,
							     GFP_KERNEL);
				KUNIT_EXPECT_EQ(test, ret, 0);
			}
			KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc),
					len + 256 * PAGE_SIZE);
			/* 256 runs, the first one merged with @merge */
			KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rc.__rl),
					257 - merge);
			rlist_cpu_destroy(&rc, 0);
			RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
			if (a.fail_at >= 0 && a.attempts <= k)
				break;
			if (test->status == KUNIT_FAILURE)
				break;
		}
		KUNIT_EXPECT_LT(test, k, 100);
	}
	/* chunks opened past the reservation were failed */
	KUNIT_EXPECT_GT(test, failures, 2);
	__free_pages(page, 4);
}

/*
 * A provider range that ends at the top of the physical address space and
 * one of the same provider at address 0 are two ranges for every step, as
 * they are two entries of the storage.
 */
static void rlist_cpu_test_no_merge_across_top(struct kunit *test)
{
	static const struct {
		u64 phys, len, pos;
	} want[] = {
		{ 0xfffffffffffff000ULL, 0x1000, 0 }, { 0, 0x1000, 0x1000 },
	};
	static const enum rlist_cpu_step steps[] = {
		RLIST_CPU_STEP_RANGE, RLIST_CPU_STEP_FOLIO, RLIST_CPU_STEP_PAGE,
	};
	struct rlist_cpu_iter it;
	struct rlist_cpu rc;
	unsigned int s, i;

	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, 0xfffffffffffff000ULL,
						    0x1000, 1, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, 0, 0x1000, 1,
						    GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rc.__rl), 2);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0x2000);
	KUNIT_EXPECT_EQ(test, rlist_cpu_flags(&rc),
			RLIST_CPU_PAGELIST | RLIST_CPU_MAY_P2P);
	for (s = 0; s < ARRAY_SIZE(steps); s++) {
		i = 0;
		for (rlist_cpu_iter_start(&it, &rc, steps[s]);
		     rlist_cpu_iter_valid(&it); rlist_cpu_iter_next(&it)) {
			KUNIT_ASSERT_LT_MSG(test, i, ARRAY_SIZE(want),
					    "step %u: extra piece at %llu", s,
					    it.pos);
			KUNIT_EXPECT_EQ_MSG(test, (u64)it.phys, want[i].phys,
					    "step %u piece %u", s, i);
			KUNIT_EXPECT_EQ_MSG(test, it.len, want[i].len,
					    "step %u piece %u", s, i);
			KUNIT_EXPECT_EQ_MSG(test, it.pos, want[i].pos,
					    "step %u piece %u", s, i);
			KUNIT_EXPECT_EQ_MSG(test, it.provider, 1,
					    "step %u piece %u", s, i);
			i++;
		}
		KUNIT_EXPECT_EQ_MSG(test, i, ARRAY_SIZE(want), "step %u", s);
	}
	/* a seek into the first range stops at the top */
	KUNIT_ASSERT_TRUE(test, rlist_cpu_iter_seek(&it, &rc, 0x800,
						    RLIST_CPU_STEP_RANGE));
	KUNIT_EXPECT_EQ(test, (u64)it.phys, 0xfffffffffffff800ULL);
	KUNIT_EXPECT_EQ(test, it.len, 0x800);
	KUNIT_ASSERT_TRUE(test, rlist_cpu_iter_next(&it));
	KUNIT_EXPECT_EQ(test, (u64)it.phys, 0);
	KUNIT_EXPECT_EQ(test, it.len, 0x1000);
	KUNIT_EXPECT_EQ(test, it.pos, 0x1000);
	rlist_cpu_destroy(&rc, 0);
}

/* Allocations to build @pages into a list, @batch pages per append_pages(). */
static long append_pages_allocs(struct kunit *test, struct rlist_kunit_alloc *a,
				struct page **pages, unsigned int npages,
				unsigned int batch)
{
	struct rlist_cpu rc;
	unsigned int i;
	long allocs;

	a->allocs = 0;
	a->frees = 0;
	rlist_cpu_init(&rc);
	for (i = 0; i < npages; i += batch) {
		if (batch == 1)
			KUNIT_EXPECT_EQ(test,
					rlist_cpu_append_page(&rc, pages[i], 0,
							      PAGE_SIZE,
							      GFP_KERNEL), 0);
		else
			KUNIT_EXPECT_EQ(test,
					rlist_cpu_append_pages(&rc, pages + i,
							       batch,
							       GFP_KERNEL), 0);
	}
	rlist_cpu_append_end(&rc);
	allocs = a->allocs;
	KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rc.__rl), npages);
	rlist_cpu_destroy(&rc, 0);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, a);
	return allocs;
}

/*
 * append_pages() reserves what its entries take (a word per scattered page),
 * so it allocates no more than appending the same pages one by one, which
 * allocates a chunk only when the last one is full: the reference.  In one
 * call, and in batches of 512 pages as pinning appends them.
 */
static void rlist_cpu_test_append_pages_exact(struct kunit *test)
{
	enum { NPAGES = 8192 };
	static const unsigned int batches[] = { 512, NPAGES };
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct page **pages = kunit_kcalloc(test, NPAGES, sizeof(*pages),
					    GFP_KERNEL);
	struct page *page = alloc_pages(GFP_KERNEL, 4);
	unsigned int i;
	long by_page;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_NOT_NULL(test, page);
	/* no two neighbours contiguous: one PAGE entry per page */
	for (i = 0; i < NPAGES; i++)
		pages[i] = page + (i * 7) % 16;
	rlist_kunit_alloc_track(test, &a);

	by_page = append_pages_allocs(test, &a, pages, NPAGES, 1);
	for (i = 0; i < ARRAY_SIZE(batches); i++) {
		long n = append_pages_allocs(test, &a, pages, NPAGES,
					     batches[i]);

		/* The slack for a merge with the last entry may take one. */
		KUNIT_EXPECT_LE_MSG(test, n, by_page + 1,
				    "%u pages in batches of %u: %ld allocations, %ld one by one",
				    NPAGES, batches[i], n, by_page);
	}
	__free_pages(page, 4);
}

/* After rlist_cpu_preload(rc, n), n appends need no allocation. */
static void rlist_cpu_test_preload_then_atomic_append(struct kunit *test)
{
	static const unsigned int counts[] = { 1, 2, 7, 100, 1000 };
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct model *m = model_alloc(test, 1100);
	struct rnd_state rs;
	struct pool *pool;
	unsigned int c, i;

	prandom_seed_state(&rs, seed_of(test));
	pool = pool_create(test, &rs);
	rlist_kunit_alloc_track(test, &a);
	for (c = 0; c < ARRAY_SIZE(counts); c++) {
		unsigned int pre = rnd(&rs, 3) * 40;
		struct rlist_cpu rc;
		struct ref *ref;

		pool_reset(pool);
		m->n = 0;
		m->len = 0;
		rlist_cpu_init(&rc);
		/* some entries already there */
		for (i = 0; i < pre; i++) {
			while (!gen_mem(&rs, pool, m, GEN_REUSE))
				;
			KUNIT_ASSERT_EQ(test, append_piece(&rs, &rc, pool,
							   &m->p[m->n - 1],
							   GFP_KERNEL), 0);
		}
		KUNIT_ASSERT_EQ(test, rlist_cpu_preload(&rc, counts[c],
							GFP_KERNEL), 0);
		for (i = 0; i < counts[c]; i++) {
			struct piece *p;
			u64 room;
			int ret;

			if (rnd(&rs, 3) == 0)
				gen_prov(&rs, pool, m, 0);
			else
				while (!gen_mem(&rs, pool, m, GEN_REUSE))
					;
			p = &m->p[m->n - 1];
			room = PAGE_SIZE - (p->phys & ~PAGE_MASK);
			/* make the next allocation attempt fail */
			a.fail_at = a.attempts;
			if (p->prov)
				ret = rlist_cpu_append_phys(&rc, p->phys,
							    p->len, p->prov,
							    GFP_ATOMIC);
			else
				ret = rlist_cpu_append_page(&rc,
							    phys_page(p->phys),
							    p->phys & ~PAGE_MASK,
							    min_t(u64, p->len, room),
							    GFP_NOWAIT);
			if (!p->prov && p->len > room) {
				m->len -= p->len - room;
				p->len = room;
			}
			if (ret) {
				KUNIT_FAIL(test, "append %u of %u after preload: %d",
					   i, counts[c], ret);
				break;
			}
		}
		a.fail_at = -1;
		ref = ref_build(test, m);
		check_walk(test, "preloaded", &rc, ref, RLIST_CPU_STEP_RANGE,
			   false, 0, 0);
		ref_free(test, ref);
		rlist_cpu_destroy(&rc, 0);
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	}
}

/* ------------------------------------------------------------------ */
/* Pins                                                               */
/* ------------------------------------------------------------------ */

#define PIN_PAGES	6

/* Map, fault in and pin PIN_PAGES user pages. */
static void pin_user(struct kunit *test, struct page **pages, int *refs)
{
	unsigned long addr;
	int i, ret;

	addr = kunit_vm_mmap(test, NULL, 0, PIN_PAGES * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap failed");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr),
			       "kunit_vm_mmap: %ld", (long)addr);
	ret = pin_user_pages_fast(addr, PIN_PAGES, FOLL_WRITE | FOLL_LONGTERM,
				  pages);
	KUNIT_ASSERT_EQ_MSG(test, ret, PIN_PAGES,
			    "pin_user_pages_fast() = %d", ret);
	for (i = 0; i < PIN_PAGES; i++) {
		KUNIT_ASSERT_TRUE(test, folio_maybe_dma_pinned(page_folio(pages[i])));
		refs[i] = page_ref_count(pages[i]);
	}
}

static void expect_pinned(struct kunit *test, struct page **pages,
			  const int *refs, bool pinned)
{
	int i;

	for (i = 0; i < PIN_PAGES; i++) {
		KUNIT_EXPECT_EQ_MSG(test,
				    folio_maybe_dma_pinned(page_folio(pages[i])),
				    pinned, "page %d", i);
		/*
		 * Exactly one pin (GUP_PIN_COUNTING_BIAS references) or none;
		 * LRU batching may hold a plain reference or two.
		 */
		KUNIT_EXPECT_GT_MSG(test, page_ref_count(pages[i]),
				    pinned ? GUP_PIN_COUNTING_BIAS - 1 : 0,
				    "page %d (%d before)", i, refs[i]);
		KUNIT_EXPECT_LT_MSG(test, page_ref_count(pages[i]),
				    (pinned ? 2 : 1) * GUP_PIN_COUNTING_BIAS,
				    "page %d (%d before)", i, refs[i]);
	}
}

/* Destroy with UNPIN | DIRTY releases exactly the pins taken over. */
static void rlist_cpu_test_pins_native(struct kunit *test)
{
	struct page *pages[PIN_PAGES];
	int refs[PIN_PAGES], i;
	bool was_dirty[PIN_PAGES];
	struct rlist_cpu rc;

	pin_user(test, pages, refs);
	for (i = 0; i < PIN_PAGES; i++)
		was_dirty[i] = folio_test_dirty(page_folio(pages[i]));
	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_pages(&rc, pages, 3,
						     GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, pages[3], 0,
						    PAGE_SIZE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, pages[4], 100, 200,
						    GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_folio(&rc, page_folio(pages[5]),
						     0, 1, GFP_KERNEL), 0);
	rlist_cpu_append_end(&rc);
	/* appending took the pins over: nothing released yet */
	expect_pinned(test, pages, refs, true);
	rlist_cpu_destroy(&rc, RLIST_CPU_UNPIN | RLIST_CPU_DIRTY);
	expect_pinned(test, pages, refs, false);
	for (i = 0; i < PIN_PAGES; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, folio_test_dirty(page_folio(pages[i])),
				      "page %d (dirty before: %d)", i,
				      was_dirty[i]);
	}
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);
}

/* Destroy without UNPIN leaves the pins alone. */
static void rlist_cpu_test_pins_kept_without_unpin(struct kunit *test)
{
	struct page *pages[PIN_PAGES];
	int refs[PIN_PAGES];
	struct rlist_cpu rc;

	pin_user(test, pages, refs);
	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_pages(&rc, pages, PIN_PAGES,
						     GFP_KERNEL), 0);
	rlist_cpu_destroy(&rc, RLIST_CPU_DIRTY);
	expect_pinned(test, pages, refs, true);

	/* same for a page array */
	KUNIT_ASSERT_EQ(test, rlist_cpu_init_pages(&rc, pages, PIN_PAGES, 0,
						   PIN_PAGES * PAGE_SIZE), 0);
	rlist_cpu_destroy(&rc, 0);
	expect_pinned(test, pages, refs, true);

	unpin_user_pages(pages, PIN_PAGES);
	expect_pinned(test, pages, refs, false);
}

/* A page array storage unpins its pages, not the array. */
static void rlist_cpu_test_pins_page_array(struct kunit *test)
{
	struct page *pages[PIN_PAGES];
	int refs[PIN_PAGES];
	struct rlist_cpu rc;

	pin_user(test, pages, refs);
	KUNIT_ASSERT_EQ(test, rlist_cpu_init_pages(&rc, pages, PIN_PAGES, 10,
						   PIN_PAGES * PAGE_SIZE - 10),
			0);
	expect_pinned(test, pages, refs, true);
	rlist_cpu_destroy(&rc, RLIST_CPU_UNPIN);
	expect_pinned(test, pages, refs, false);
	KUNIT_EXPECT_EQ(test, rlist_cpu_storage(&rc), RLIST_CPU_RLIST);
}

static struct kunit_case rlist_cpu_test_cases[] = {
	KUNIT_CASE(rlist_cpu_test_empty),
	KUNIT_CASE(rlist_cpu_test_append_invalid),
	KUNIT_CASE(rlist_cpu_test_append_after_end_and_on_wrappers),
	KUNIT_CASE(rlist_cpu_test_init_pages_invalid),
	KUNIT_CASE(rlist_cpu_test_single_entry),
	KUNIT_CASE(rlist_cpu_test_merge_rules),
	KUNIT_CASE(rlist_cpu_test_large_provider_ranges),
	KUNIT_CASE(rlist_cpu_test_no_merge_across_top),
	KUNIT_CASE(rlist_cpu_test_page_array_model),
	KUNIT_CASE(rlist_cpu_test_unaligned_model),
	KUNIT_CASE(rlist_cpu_test_aligned_model),
	KUNIT_CASE(rlist_cpu_test_provider_model),
	KUNIT_CASE(rlist_cpu_test_alloc_failure_every_point),
	KUNIT_CASE(rlist_cpu_test_append_pages_all_or_nothing),
	KUNIT_CASE(rlist_cpu_test_append_pages_short_reserve),
	KUNIT_CASE(rlist_cpu_test_append_pages_exact),
	KUNIT_CASE(rlist_cpu_test_preload_then_atomic_append),
	KUNIT_CASE(rlist_cpu_test_pins_native),
	KUNIT_CASE(rlist_cpu_test_pins_kept_without_unpin),
	KUNIT_CASE(rlist_cpu_test_pins_page_array),
	{}
};

struct kunit_suite rlist_cpu_test_suite = {
	.name = "rlist_cpu",
	.test_cases = rlist_cpu_test_cases,
};
