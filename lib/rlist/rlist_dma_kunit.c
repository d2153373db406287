// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of struct rlist_dma: relative and absolute ranges, identity
 * mode over every CPU storage, segment and block iteration and the best
 * block size, against reference models written independently here (the
 * block size one re-implements 6.12's ib_umem_find_best_pgsz()).
 */
#include <kunit/test.h>
#include <linux/bitops.h>
#include <linux/bvec.h>
#include <linux/gfp.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rlist.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "rlist_kunit.h"

static ulong rlist_dma_seed;
module_param(rlist_dma_seed, ulong, 0444);
MODULE_PARM_DESC(rlist_dma_seed, "seed of the rlist_dma random tests (0: random)");

#define DMA_MAX_PIECES	40
#define DMA_NR_LISTS	500
#define PROV_BASE(p)	((u64)(p) << 40)
/* no test walks more pieces than this */
#define MAX_WALK	40000

static u64 dma_seed_of(struct kunit *test)
{
	u64 seed = rlist_dma_seed ? rlist_dma_seed : get_random_u64();

	kunit_info(test, "seed %llu (rlist_kunit.rlist_dma_seed=)\n", seed);
	return seed;
}

static u32 rnd(struct rnd_state *rs, u32 n)
{
	return n ? prandom_u32_state(rs) % n : 0;
}

static u64 rnd64(struct rnd_state *rs)
{
	return ((u64)prandom_u32_state(rs) << 32) | prandom_u32_state(rs);
}

/* ------------------------------------------------------------------ */
/* Reference model                                                    */
/* ------------------------------------------------------------------ */

/**
 * struct dpiece - a range of the model
 * @addr: DMA address (relative entries: offset) or CPU physical address
 * @len: length
 * @kind: %RLIST_DMA_RELATIVE or %RLIST_DMA_ABSOLUTE, or a provider id for
 *	CPU lists
 */
struct dpiece {
	u64 addr;
	u64 len;
	u32 kind;
};

struct dmodel {
	struct dpiece p[DMA_MAX_PIECES * 2];
	unsigned int n;
	u64 len;
};

/* A merged range: DMA address, length, list position. */
struct drange {
	u64 addr;
	u64 len;
	u64 pos;
};

struct dref {
	struct drange r[DMA_MAX_PIECES * 2];
	unsigned int n;
	u64 len;
};

static void dmodel_add(struct dmodel *m, u64 addr, u64 len, u32 kind)
{
	m->p[m->n++] = (struct dpiece){ addr, len, kind };
	m->len += len;
}

/* How dref_build() merges the pieces of a model. */
enum dref_how {
	/*
	 * CPU ranges (rlist_cpu_for_each_range()): contiguous pieces of the
	 * same kind (provider id, 0 for memory).
	 */
	DREF_CPU,
	/*
	 * DMA ranges (RLIST_DMA_STEP_RANGE): pieces that touch in DMA space,
	 * whatever their kind; relative pieces are moved by the base.
	 */
	DREF_DMA,
	/* The DMA ranges of an identity view: the CPU pieces, as DREF_DMA. */
	DREF_IDENTITY,
};

/*
 * Reference merge, from the kernel-doc of rlist_dma_step and rlist_cpu_step.
 * A piece at address 0 never continues anything: the only range that ends
 * right before it would end at the top of the address space.
 */
static void dref_build(struct dref *ref, const struct dmodel *m, u64 base,
		       enum dref_how how)
{
	unsigned int i;
	u32 kind = 0;

	ref->n = 0;
	ref->len = 0;
	for (i = 0; i < m->n; i++) {
		const struct dpiece *p = &m->p[i];
		u64 addr = p->addr;
		struct drange *last = ref->n ? &ref->r[ref->n - 1] : NULL;

		if (how == DREF_DMA && p->kind == RLIST_DMA_RELATIVE)
			addr += base;
		if (last && (how != DREF_CPU || kind == p->kind) && addr &&
		    last->addr + last->len == addr) {
			last->len += p->len;
		} else {
			ref->r[ref->n++] = (struct drange){ addr, p->len,
							    ref->len };
			kind = p->kind;
		}
		ref->len += p->len;
	}
}

/* Reference segmenter: length of the next segment at @addr. */
static u64 ref_seg_len(u64 addr, u64 rem,
		       const struct rlist_dma_segmentation *seg)
{
	u64 n = min(rem, seg->max_segment_size);
	bool by_max = n == seg->max_segment_size && n < rem;

	if (seg->segment_boundary_mask != ~0ULL) {
		u64 dist = seg->segment_boundary_mask + 1 -
			   (addr & seg->segment_boundary_mask);

		if (dist < n) {
			n = dist;
			by_max = false;
		}
	}
	if (by_max && seg->min_align_mask)
		n = ((addr + n) & ~seg->min_align_mask) - addr;
	return n;
}

/* Number of segments, counting no further than @limit (0: no limit). */
static long ref_nr_segments(const struct dref *ref,
			    const struct rlist_dma_segmentation *seg,
			    long limit)
{
	unsigned int i;
	long nr = 0;

	for (i = 0; i < ref->n; i++) {
		u64 off = 0;

		while (off < ref->r[i].len) {
			off += ref_seg_len(ref->r[i].addr + off,
					   ref->r[i].len - off, seg);
			if (++nr == limit)
				return nr;
		}
	}
	return nr;
}

static u64 ref_nr_blocks(const struct dref *ref, u64 bs)
{
	unsigned int i;
	u64 nr = 0;

	for (i = 0; i < ref->n; i++)
		nr += (ref->r[i].addr + ref->r[i].len - 1) / bs -
		      ref->r[i].addr / bs + 1;
	return nr;
}

/*
 * Walk @rd with @seg (NULL: ranges) or in blocks of @bs (if non-zero) and
 * compare with the reference.
 */
static bool check_dma_walk(struct kunit *test, const char *what,
			   const struct rlist_dma *rd, const struct dref *ref,
			   const struct rlist_dma_segmentation *seg, u64 bs)
{
	struct rlist_dma_iter it;
	unsigned int i, nr = 0;
	bool ret;

	if (bs)
		ret = rlist_dma_block_start(&it, rd, bs);
	else
		ret = rlist_dma_iter_start(&it, rd, seg);
	if (ret != !!ref->len || ret != rlist_dma_iter_valid(&it)) {
		KUNIT_FAIL(test, "%s: start returned %d valid %d, length %llu",
			   what, ret, rlist_dma_iter_valid(&it), ref->len);
		return false;
	}
	for (i = 0; i < ref->n; i++) {
		const struct drange *r = &ref->r[i];
		u64 off = 0;

		while (off < r->len) {
			u64 addr = r->addr + off, len, want_addr = addr;

			if (bs) {
				want_addr = addr & ~(bs - 1);
				len = min(r->len - off,
					  want_addr + bs - addr);
			} else if (seg) {
				len = ref_seg_len(addr, r->len - off, seg);
			} else {
				len = r->len;
			}
			if (!rlist_dma_iter_valid(&it)) {
				KUNIT_FAIL(test,
					   "%s: ended at piece %u, want {%#llx,%llu,pos %llu}",
					   what, nr, want_addr, len,
					   r->pos + off);
				return false;
			}
			if (it.addr != want_addr || it.len != len ||
			    it.pos != r->pos + off) {
				KUNIT_FAIL(test,
					   "%s: piece %u is {%#llx,%llu,pos %llu}, want {%#llx,%llu,pos %llu}",
					   what, nr, (u64)it.addr, it.len,
					   it.pos, want_addr, len,
					   r->pos + off);
				return false;
			}
			off += len;
			nr++;
			rlist_dma_iter_next(&it);
		}
	}
	if (rlist_dma_iter_valid(&it)) {
		KUNIT_FAIL(test, "%s: extra piece {%#llx,%llu,pos %llu} after %u",
			   what, (u64)it.addr, it.len, it.pos, nr);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Random lists                                                       */
/* ------------------------------------------------------------------ */

#define DGEN_ABS_ONLY	BIT(0)
#define DGEN_PAGELIST	BIT(1)	/* page aligned interior boundaries */

static u64 dgen_len(struct rnd_state *rs, bool pagelist)
{
	u64 n;

	switch (rnd(rs, 6)) {
	case 0:
		n = 1 + rnd(rs, 100);
		break;
	case 1:
		n = 1 + rnd(rs, PAGE_SIZE);
		break;
	case 2:
		n = (u64)(1 + rnd(rs, 16)) << PAGE_SHIFT;
		break;
	case 3:
		n = (u64)(1 + rnd(rs, 4)) << 21;
		break;
	case 4:
		n = 1 + rnd(rs, 1U << 22);
		break;
	default:
		n = (u64)(1 + rnd(rs, 64)) << (9 + rnd(rs, 4));
		break;
	}
	if (pagelist)
		n = ALIGN(n, PAGE_SIZE);
	return n;
}

static u64 dgen_addr(struct rnd_state *rs, bool pagelist)
{
	u64 addr = ((u64)rnd(rs, 4) << 32) + rnd64(rs) % (1ULL << 31);
	unsigned int align = rnd(rs, 4) ? 9 + rnd(rs, 22) : 0;

	addr &= ~((1ULL << align) - 1);
	if (pagelist)
		addr = ALIGN(addr, PAGE_SIZE);
	return addr;
}

static void dgen_list(struct rnd_state *rs, struct dmodel *m,
		      unsigned int flags)
{
	bool pl = flags & DGEN_PAGELIST;
	unsigned int n = 1 + rnd(rs, DMA_MAX_PIECES), i;
	u64 rel = rnd(rs, 2) ? 0 : dgen_addr(rs, pl) % (1ULL << 30);

	m->n = 0;
	m->len = 0;
	for (i = 0; i < n; i++) {
		const struct dpiece *prev = m->n ? &m->p[m->n - 1] : NULL;
		u32 kind = flags & DGEN_ABS_ONLY || rnd(rs, 2) ?
			   RLIST_DMA_ABSOLUTE : RLIST_DMA_RELATIVE;
		u64 addr, len = dgen_len(rs, pl);

		if (kind == RLIST_DMA_RELATIVE) {
			if (rnd(rs, 2))
				rel += pl ? (u64)rnd(rs, 3) << PAGE_SHIFT :
				      rnd(rs, 3 * PAGE_SIZE);
			addr = rel;
			rel += len;
		} else if (prev && prev->kind == kind && rnd(rs, 3) == 0) {
			addr = prev->addr + prev->len;
		} else {
			addr = dgen_addr(rs, pl);
		}
		dmodel_add(m, addr, len, kind);
	}
	if (pl) {
		struct dpiece *first = &m->p[0], *last = &m->p[m->n - 1];
		u64 cut;

		if (rnd(rs, 2)) {
			cut = rnd(rs, min_t(u64, first->len, PAGE_SIZE));
			first->addr += cut;
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

static bool dbuild(struct kunit *test, struct rlist_dma *rd,
		   const struct dmodel *m)
{
	unsigned int i;

	rlist_dma_init(rd);
	for (i = 0; i < m->n; i++) {
		const struct dpiece *p = &m->p[i];
		int ret;

		if (p->kind == RLIST_DMA_RELATIVE)
			ret = rlist_dma_append_relative(rd, p->addr, p->len,
							GFP_KERNEL);
		else
			ret = rlist_dma_append_absolute(rd, p->addr, p->len,
							GFP_KERNEL);
		if (ret) {
			KUNIT_FAIL(test, "append %u {%#llx,%llu,%u}: %d", i,
				   p->addr, p->len, p->kind, ret);
			rlist_dma_destroy(rd);
			return false;
		}
	}
	return true;
}

/* A random segmentation that rlist_dma_segmentation_check() accepts. */
static void gen_seg(struct rnd_state *rs, struct rlist_dma_segmentation *seg)
{
	unsigned int k;

	switch (rnd(rs, 4)) {
	case 0:
		seg->max_segment_size = 1 + rnd(rs, 4 * PAGE_SIZE);
		break;
	case 1:
		seg->max_segment_size = 1ULL << rnd(rs, 33);
		break;
	case 2:
		seg->max_segment_size = U64_MAX - rnd(rs, 2);
		break;
	default:
		seg->max_segment_size = 1 + rnd64(rs) % (1ULL << 34);
		break;
	}
	seg->segment_boundary_mask = rnd(rs, 3) ? ~0ULL :
				     (1ULL << (1 + rnd(rs, 40))) - 1;
	seg->min_align_mask = 0;
	if (rnd(rs, 2)) {
		k = rnd(rs, 16);
		if ((1ULL << k) <= seg->max_segment_size)
			seg->min_align_mask = (1ULL << k) - 1;
	}
}

/* A random segmentation under which @ref has fewer than @limit segments. */
static long gen_seg_for(struct rnd_state *rs, const struct dref *ref,
			struct rlist_dma_segmentation *seg, long limit)
{
	long nr;

	do {
		gen_seg(rs, seg);
		nr = ref_nr_segments(ref, seg, limit);
	} while (nr >= limit);
	return nr;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void rlist_dma_test_append_invalid(struct kunit *test)
{
	struct rlist_dma_iter it;
	struct rlist_cpu rc;
	struct rlist_dma rd;

	rlist_dma_init(&rd);
	KUNIT_EXPECT_EQ(test, rlist_dma_append_relative(&rd, 0, 0, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_append_absolute(&rd, 4096, 0,
							GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_append_relative(&rd, U64_MAX - 9, 11,
							GFP_KERNEL),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rlist_dma_append_absolute(&rd, U64_MAX, 2,
							GFP_KERNEL),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rlist_dma_append_absolute(&rd, 2, U64_MAX,
							GFP_KERNEL),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	KUNIT_EXPECT_FALSE(test, rlist_dma_iter_start(&it, &rd, NULL));
	/* ending on the last address is fine */
	KUNIT_EXPECT_EQ(test, rlist_dma_append_absolute(&rd, U64_MAX - 9, 10,
							GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 10);
	KUNIT_EXPECT_TRUE(test, rlist_dma_iter_start(&it, &rd, NULL));
	KUNIT_EXPECT_EQ(test, it.addr, U64_MAX - 9);
	KUNIT_EXPECT_EQ(test, it.len, 10);
	KUNIT_EXPECT_FALSE(test, rlist_dma_iter_next(&it));
	rlist_dma_destroy(&rd);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);

	rlist_cpu_init(&rc);
	rlist_dma_init_identity(&rd, &rc);
	KUNIT_EXPECT_TRUE(test, rlist_dma_is_identity(&rd));
	KUNIT_EXPECT_EQ(test, rlist_dma_append_relative(&rd, 0, 4096,
							GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_append_absolute(&rd, 0, 4096,
							GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	KUNIT_EXPECT_FALSE(test, rlist_dma_iter_start(&it, &rd, NULL));
	rlist_dma_destroy(&rd);
}

/*
 * Relative entries follow the base; ranges that touch in DMA space are one
 * range, whatever their types.
 */
static void rlist_dma_test_relative_absolute_base(struct kunit *test)
{
	static const struct drange before[] = {
		{ 0, 12288, 0 }, { 0x10000, 4096, 12288 },
		{ 0x13000, 100, 16384 }, { 20000, 100, 16484 },
		{ 0xd000 + 20100, 50, 16584 },
	};
	static const struct drange after[] = {
		{ 0xd000, 16384, 0 }, { 0x13000, 100, 16384 },
		{ 0xd000 + 20000, 150, 16484 },
	};
	struct rlist_dma_iter it;
	struct rlist_dma rd;
	unsigned int i;

	rlist_dma_init(&rd);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_relative(&rd, 0, 8192,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_relative(&rd, 8192, 4096,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x10000, 4096,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x13000, 100,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_relative(&rd, 20000, 100,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0xd000 + 20100,
							50, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 16634);

	/* no base yet: relative entries are at their offsets */
	i = 0;
	rlist_dma_for_each_range(&rd, &it) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(before));
		KUNIT_EXPECT_EQ(test, it.addr, before[i].addr);
		KUNIT_EXPECT_EQ(test, it.len, before[i].len);
		KUNIT_EXPECT_EQ(test, it.pos, before[i].pos);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(before));

	/*
	 * Base 0xd000: the first relative range ends exactly where the first
	 * absolute range starts, and the last absolute range starts exactly
	 * where the last relative one ends: DMA-contiguous, so merged although
	 * their types differ.
	 */
	rlist_dma_set_base(&rd, 0xd000);
	i = 0;
	rlist_dma_for_each_range(&rd, &it) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(after));
		KUNIT_EXPECT_EQ(test, it.addr, after[i].addr);
		KUNIT_EXPECT_EQ(test, it.len, after[i].len);
		KUNIT_EXPECT_EQ(test, it.pos, after[i].pos);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(after));
	KUNIT_EXPECT_EQ(test, rlist_dma_block_offset(&rd, 4096), 0);

	rlist_dma_set_base(&rd, 0x123);
	KUNIT_EXPECT_EQ(test, rlist_dma_block_offset(&rd, 4096), 0x123);
	KUNIT_EXPECT_TRUE(test, rlist_dma_iter_start(&it, &rd, NULL));
	KUNIT_EXPECT_EQ(test, it.addr, 0x123);
	rlist_dma_destroy(&rd);
}

/*
 * A base never makes a relative range end past the top of the DMA address
 * space: rlist_dma_set_base() refuses it, and so does appending a relative
 * range to a list that has a base, both leaving the list as it was.
 */
static void rlist_dma_test_set_base_wrap(struct kunit *test)
{
	const dma_addr_t top = (dma_addr_t)~0;
	struct rlist_dma_iter it;
	struct rlist_dma rd;

	rlist_dma_init(&rd);
	/* Without relative ranges any base goes. */
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x1000, 0x1000,
							GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_set_base(&rd, top), 0);
	rlist_dma_destroy(&rd);

	rlist_dma_init(&rd);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_relative(&rd, 0x1000, 0x1000,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_relative(&rd, 0, 0x800,
							GFP_KERNEL), 0);
	/* The last byte, at offset 0x1fff, would be at top + 1. */
	KUNIT_EXPECT_EQ(test, rlist_dma_set_base(&rd, top - 0x1ffe),
			-EOVERFLOW);
	KUNIT_EXPECT_FALSE(test, rlist_dma_has_base(&rd));
	KUNIT_EXPECT_EQ(test, rlist_dma_set_base(&rd, top - 0x1fff), 0);
	KUNIT_EXPECT_TRUE(test, rlist_dma_has_base(&rd));
	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&it, &rd, NULL));
	KUNIT_EXPECT_EQ(test, it.addr, top - 0x0fff);
	KUNIT_EXPECT_EQ(test, it.len, 0x1000);

	/* Based already: a relative range past the top is refused. */
	KUNIT_EXPECT_EQ(test, rlist_dma_append_relative(&rd, 0x2000, 1,
							GFP_KERNEL),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0x1800);
	/* So is a new base that would wrap; the list keeps the old one. */
	KUNIT_EXPECT_EQ(test, rlist_dma_set_base(&rd, top), -EOVERFLOW);
	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&it, &rd, NULL));
	KUNIT_EXPECT_EQ(test, it.addr, top - 0x0fff);
	/* An absolute range at the top still fits. */
	KUNIT_EXPECT_EQ(test, rlist_dma_append_absolute(&rd, top, 1,
							GFP_KERNEL), 0);
	rlist_dma_destroy(&rd);
}

/*
 * The P2P entry types dma_map_rlist() records: absolute addresses that a
 * base does not move, stored apart from other types (so that each entry
 * says how its bytes were mapped) but walked as one DMA-contiguous range.
 */
static void rlist_dma_test_p2p_types(struct kunit *test)
{
	static const struct {
		u64 addr, len;
		u8 type;
	} want[] = {
		{ 0x1000, 0x1000, RLIST_DMA_ABSOLUTE },
		{ 0x2000, 0x2000, RLIST_DMA_P2P_BUS },
		{ 0x4000, 0x1000, RLIST_DMA_P2P_HOST },
	};
	struct rlist_dma_iter it;
	struct rlist_iter ri;
	struct rlist_dma rd;
	unsigned int i = 0;

	rlist_dma_init(&rd);
	KUNIT_EXPECT_EQ(test, __rlist_dma_append_typed(&rd, 0, 0x1000,
						       RLIST_DMA_RELATIVE,
						       GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, __rlist_dma_append_typed(&rd, 0, 0x1000,
						       RLIST_NR_TYPES,
						       GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x1000, 0x1000,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, __rlist_dma_append_typed(&rd, 0x2000, 0x1000,
						       RLIST_DMA_P2P_BUS,
						       GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, __rlist_dma_append_typed(&rd, 0x3000, 0x1000,
						       RLIST_DMA_P2P_BUS,
						       GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, __rlist_dma_append_typed(&rd, 0x4000, 0x1000,
						       RLIST_DMA_P2P_HOST,
						       GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_set_base(&rd, 0x100000), 0);

	for (rlist_iter_first(&ri, __rlist_dma_entries(&rd));
	     rlist_iter_valid(&ri); rlist_iter_next(&ri), i++) {
		KUNIT_ASSERT_LT(test, i, ARRAY_SIZE(want));
		KUNIT_EXPECT_EQ(test, ri.entry.type, want[i].type);
		KUNIT_EXPECT_EQ(test, __rlist_dma_entry_addr(&rd, &ri.entry),
				want[i].addr);
		KUNIT_EXPECT_EQ(test, ri.entry.length, want[i].len);
	}
	KUNIT_EXPECT_EQ(test, i, ARRAY_SIZE(want));

	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&it, &rd, NULL));
	KUNIT_EXPECT_EQ(test, it.addr, 0x1000);
	KUNIT_EXPECT_EQ(test, it.len, 0x4000);
	KUNIT_EXPECT_FALSE(test, rlist_dma_iter_next(&it));
	rlist_dma_destroy(&rd);
}

/* Random lists: ranges, segments and blocks against the references. */
static void rlist_dma_test_random_lists(struct kunit *test)
{
	struct dmodel *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct dref *ref = kunit_kzalloc(test, sizeof(*ref), GFP_KERNEL);
	struct rnd_state rs;
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, ref);
	prandom_seed_state(&rs, dma_seed_of(test));
	for (i = 0; i < DMA_NR_LISTS; i++) {
		struct rlist_dma_segmentation seg;
		struct rlist_dma rd;
		u64 base = 0, bs;
		bool ok = true;

		cond_resched();
		dgen_list(&rs, m, rnd(&rs, 2) ? DGEN_PAGELIST : 0);
		if (!dbuild(test, &rd, m))
			break;
		if (rnd(&rs, 3)) {
			base = dgen_addr(&rs, false);
			rlist_dma_set_base(&rd, base);
		}
		dref_build(ref, m, base, DREF_DMA);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), m->len);
		ok = check_dma_walk(test, "ranges", &rd, ref, NULL, 0);
		for (j = 0; ok && j < 4; j++) {
			long want;

			want = gen_seg_for(&rs, ref, &seg, MAX_WALK);
			KUNIT_EXPECT_EQ(test, rlist_dma_segmentation_check(&seg),
					0);
			KUNIT_EXPECT_EQ_MSG(test, rlist_dma_nr_segments(&rd, &seg),
					    want, "max %llu boundary %#llx align %#llx",
					    seg.max_segment_size,
					    seg.segment_boundary_mask,
					    seg.min_align_mask);
			ok = check_dma_walk(test, "segments", &rd, ref, &seg, 0);
			if (!ok)
				kunit_info(test, "segmentation {%llu, %#llx, %#llx}\n",
					   seg.max_segment_size,
					   seg.segment_boundary_mask,
					   seg.min_align_mask);
		}
		for (j = 0; ok && j < 3; j++) {
			do {
				bs = 1ULL << (rnd(&rs, 31) + 1);
			} while (ref_nr_blocks(ref, bs) > MAX_WALK);
			ok = check_dma_walk(test, "blocks", &rd, ref, NULL, bs);
			KUNIT_EXPECT_EQ(test, rlist_dma_block_offset(&rd, bs),
					ref->r[0].addr & (bs - 1));
			if (!ok)
				kunit_info(test, "block size %llu\n", bs);
		}
		rlist_dma_destroy(&rd);
		if (!ok)
			break;
	}
}

/* num_blocks: blocks of @bs met by [hwva, hwva + length), counted. */
static void rlist_dma_test_num_blocks(struct kunit *test)
{
	struct rlist_dma rd;
	struct rnd_state rs;
	unsigned int i;

	prandom_seed_state(&rs, dma_seed_of(test));
	for (i = 0; i < 2000; i++) {
		u64 len = 1 + rnd64(&rs) % (1ULL << (1 + rnd(&rs, 36)));
		u64 hwva = rnd64(&rs) >> rnd(&rs, 64);
		u64 bs = 1ULL << rnd(&rs, 40), want;
		int ret;

		/* sometimes the last byte at the top, or just below */
		if (!rnd(&rs, 4))
			hwva = -len - rnd(&rs, 3);
		if (hwva + (len - 1) < hwva)
			continue;
		rlist_dma_init(&rd);
		ret = rlist_dma_append_absolute(&rd, rnd64(&rs) >> 20, len,
						GFP_KERNEL);
		KUNIT_ASSERT_EQ(test, ret, 0);
		want = (hwva + len - 1) / bs - hwva / bs + 1;
		KUNIT_EXPECT_EQ_MSG(test, rlist_dma_num_blocks(&rd, bs, hwva),
				    want, "len %llu hwva %#llx bs %llu", len,
				    hwva, bs);
		rlist_dma_destroy(&rd);
	}
	/* the ib_umem_num_dma_blocks() examples */
	rlist_dma_init(&rd);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x1000, 0x3000,
							GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 0x1000, 0x5000), 3);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 0x1000, 0x5001), 4);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 0x200000, 0x1ff000), 2);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 0x200000, 0x1fd000), 1);
	rlist_dma_destroy(&rd);
}

static void rlist_dma_test_segmentation_check(struct kunit *test)
{
	static const struct {
		struct rlist_dma_segmentation seg;
		int ret;
	} table[] = {
		{ { 0, ~0ULL, 0 }, -EINVAL },
		{ { 1, ~0ULL, 0 }, 0 },
		{ { 65536, 0xffff, 0 }, 0 },
		{ { 65536, 0xfffe, 0 }, -EINVAL },
		{ { 65536, 0x10000, 0 }, -EINVAL },
		{ { 65536, 0x7fffffffffffffffULL, 0 }, 0 },
		{ { 65536, 0xfffffffffffffffeULL, 0 }, -EINVAL },
		{ { 65536, ~0ULL, 0xfff }, 0 },
		{ { 65536, ~0ULL, 0xffff }, 0 },
		{ { 65536, ~0ULL, 0x1ffff }, -EINVAL },
		{ { 65535, ~0ULL, 0xffff }, -EINVAL },
		{ { 65536, ~0ULL, 0xff0 }, -EINVAL },
		{ { 65536, ~0ULL, 1 }, 0 },
		{ { 1, ~0ULL, 1 }, -EINVAL },
		{ { 2, ~0ULL, 1 }, 0 },
		{ { U64_MAX, ~0ULL, ~0ULL >> 1 }, 0 },
		{ { U64_MAX, ~0ULL, ~0ULL }, -EINVAL },
		{ { U64_MAX, 0, 0 }, 0 },
		{ { 12345, 0xfff, 0 }, 0 },
	};
	struct rlist_dma rd;
	unsigned int i;

	rlist_dma_init(&rd);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0, 1 << 20,
							GFP_KERNEL), 0);
	for (i = 0; i < ARRAY_SIZE(table); i++) {
		const struct rlist_dma_segmentation *seg = &table[i].seg;

		KUNIT_EXPECT_EQ_MSG(test, rlist_dma_segmentation_check(seg),
				    table[i].ret, "entry %u", i);
		if (table[i].ret)
			KUNIT_EXPECT_EQ_MSG(test,
					    rlist_dma_nr_segments(&rd, seg),
					    -EINVAL, "entry %u", i);
	}
	rlist_dma_destroy(&rd);
}

/*
 * A random native CPU list of provider ranges (any address is allowed, none
 * is dereferenced), some contiguous with a range of another provider.
 */
static void gen_cpu_list(struct kunit *test, struct rnd_state *rs,
			 struct dmodel *m, struct rlist_cpu *rc)
{
	unsigned int n = 1 + rnd(rs, DMA_MAX_PIECES), j;
	u64 cursor = 0;

	m->n = 0;
	m->len = 0;
	for (j = 0; j < n; j++) {
		u32 prov = 1 + rnd(rs, 3);
		u64 len = dgen_len(rs, false);

		if (rnd(rs, 2))
			cursor = dgen_addr(rs, false);
		dmodel_add(m, PROV_BASE(1) + cursor, len, prov);
		cursor += len;
	}
	rlist_cpu_init(rc);
	for (j = 0; j < m->n; j++) {
		const struct dpiece *p = &m->p[j];
		int ret = rlist_cpu_append_phys(rc, p->addr, p->len, p->kind,
						GFP_KERNEL);

		KUNIT_ASSERT_EQ(test, ret, 0);
	}
}

/*
 * Segments of random CPU lists, and of their identity DMA views, which merge
 * the CPU ranges of different providers that touch: the CPU list's segments
 * are those of its identity view.
 */
static void rlist_dma_test_cpu_segments_and_identity(struct kunit *test)
{
	struct dmodel *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct dref *ref = kunit_kzalloc(test, sizeof(*ref), GFP_KERNEL);
	struct rlist_dma_segmentation bad = { 0, ~0ULL, 0 };
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rnd_state rs;
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, ref);
	prandom_seed_state(&rs, dma_seed_of(test));
	rlist_kunit_alloc_track(test, &a);
	for (i = 0; i < DMA_NR_LISTS; i++) {
		struct rlist_cpu rc;
		struct rlist_dma rd;
		bool ok;

		gen_cpu_list(test, &rs, m, &rc);
		dref_build(ref, m, 0, DREF_IDENTITY);
		a.attempts = 0;
		rlist_dma_init_identity(&rd, &rc);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), m->len);
		ok = check_dma_walk(test, "identity ranges", &rd, ref, NULL, 0);
		for (j = 0; ok && j < 4; j++) {
			struct rlist_dma_segmentation seg;
			long want = gen_seg_for(&rs, ref, &seg, MAX_WALK);

			KUNIT_EXPECT_EQ_MSG(test, rlist_cpu_nr_segments(&rc, &seg),
					    want,
					    "max %llu boundary %#llx align %#llx",
					    seg.max_segment_size,
					    seg.segment_boundary_mask,
					    seg.min_align_mask);
			KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg),
					want);
			KUNIT_EXPECT_TRUE(test,
					  rlist_dma_segmentation_ok(&rc, &rd,
								    &seg));
			ok = check_dma_walk(test, "identity segments", &rd, ref,
					    &seg, 0);
		}
		if (ok && ref_nr_blocks(ref, SZ_64K) <= MAX_WALK)
			ok = check_dma_walk(test, "identity blocks", &rd, ref,
					    NULL, SZ_64K);
		KUNIT_EXPECT_EQ(test, a.attempts, 0);
		KUNIT_EXPECT_EQ(test, rlist_cpu_nr_segments(&rc, &bad),
				-EINVAL);
		rlist_dma_destroy(&rd);
		rlist_cpu_destroy(&rc, 0);
		if (!ok || test->status == KUNIT_FAILURE)
			break;
	}
}

/* segmentation_ok() compares the DMA and CPU segment counts. */
static void rlist_dma_test_segmentation_ok_random(struct kunit *test)
{
	struct dmodel *cm = kunit_kzalloc(test, sizeof(*cm), GFP_KERNEL);
	struct dmodel *dm = kunit_kzalloc(test, sizeof(*dm), GFP_KERNEL);
	struct dref *cref = kunit_kzalloc(test, sizeof(*cref), GFP_KERNEL);
	struct dref *dref = kunit_kzalloc(test, sizeof(*dref), GFP_KERNEL);
	unsigned int i, seen[2] = {};
	struct rnd_state rs;

	KUNIT_ASSERT_NOT_NULL(test, cm);
	KUNIT_ASSERT_NOT_NULL(test, dm);
	KUNIT_ASSERT_NOT_NULL(test, cref);
	KUNIT_ASSERT_NOT_NULL(test, dref);
	prandom_seed_state(&rs, dma_seed_of(test));
	for (i = 0; i < DMA_NR_LISTS; i++) {
		struct rlist_dma_segmentation seg;
		struct rlist_cpu rc;
		struct rlist_dma rd;
		long nc, nd;
		bool want;

		gen_cpu_list(test, &rs, cm, &rc);
		dref_build(cref, cm, 0, DREF_IDENTITY);
		dgen_list(&rs, dm, 0);
		if (!dbuild(test, &rd, dm)) {
			rlist_cpu_destroy(&rc, 0);
			break;
		}
		dref_build(dref, dm, 0, DREF_DMA);
		nc = gen_seg_for(&rs, cref, &seg, MAX_WALK);
		nd = ref_nr_segments(dref, &seg, 0);
		want = nd <= nc;
		seen[want]++;
		KUNIT_EXPECT_EQ_MSG(test,
				    rlist_dma_segmentation_ok(&rc, &rd, &seg),
				    want, "%ld DMA segments, %ld CPU segments",
				    nd, nc);
		rlist_dma_destroy(&rd);
		rlist_cpu_destroy(&rc, 0);
	}
	/* both outcomes were exercised */
	KUNIT_EXPECT_GT(test, seen[0], 0);
	KUNIT_EXPECT_GT(test, seen[1], 0);
}

static void rlist_dma_test_segmentation_ok(struct kunit *test)
{
	struct rlist_dma_segmentation seg = { 1 << 16, ~0ULL, 0 };
	struct rlist_dma_segmentation bad = { 1 << 16, 0xfff0, 0 };
	struct rlist_dma rd, one;
	struct rlist_cpu rc;
	unsigned int i;

	/* 8 scattered 64 KiB CPU ranges: 8 segments */
	rlist_cpu_init(&rc);
	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, PROV_BASE(1) +
					(u64)i * 0x100000, 0x10000, 1,
					GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_nr_segments(&rc, &seg), 8);

	/* identity: same segments */
	rlist_dma_init_identity(&rd, &rc);
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg), 8);
	KUNIT_EXPECT_TRUE(test, rlist_dma_segmentation_ok(&rc, &rd, &seg));
	KUNIT_EXPECT_FALSE(test, rlist_dma_segmentation_ok(&rc, &rd, &bad));

	/* one contiguous IOVA range: 8 segments again */
	rlist_dma_init(&one);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_relative(&one, 0, 0x80000,
							GFP_KERNEL), 0);
	rlist_dma_set_base(&one, 0x40000000);
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&one, &seg), 8);
	KUNIT_EXPECT_TRUE(test, rlist_dma_segmentation_ok(&rc, &one, &seg));
	/* a base that is not 64 KiB aligned with a 64 KiB boundary: 9 */
	seg.segment_boundary_mask = 0xffff;
	rlist_dma_set_base(&one, 0x40000800);
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&one, &seg), 9);
	KUNIT_EXPECT_FALSE(test, rlist_dma_segmentation_ok(&rc, &one, &seg));
	/* larger segments: 1 DMA segment, fewer than 8 */
	seg.max_segment_size = 1 << 20;
	seg.segment_boundary_mask = ~0ULL;
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&one, &seg), 1);
	KUNIT_EXPECT_TRUE(test, rlist_dma_segmentation_ok(&rc, &one, &seg));
	rlist_dma_destroy(&one);
	rlist_dma_destroy(&rd);
	rlist_cpu_destroy(&rc, 0);
}

/* Identity mode over each CPU storage: no allocation, CPU ranges. */
static void rlist_dma_test_identity_storages(struct kunit *test)
{
	struct rlist_dma_segmentation seg = { 3000, 0xfff, 0 };
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct folio *folio = folio_alloc(GFP_KERNEL, 3);
	struct dmodel *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct dref *ref = kunit_kzalloc(test, sizeof(*ref), GFP_KERNEL);
	struct page *pages[5], *base;
	struct bio_vec bv[4];
	struct sg_table sgt;
	struct scatterlist *sg;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	unsigned int kind, i;
	u64 phys;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, ref);
	base = &folio->page;
	phys = PFN_PHYS(folio_pfn(folio));
	/* pages 2,3,4 contiguous, then 0, then 6 */
	pages[0] = base + 2;
	pages[1] = base + 3;
	pages[2] = base + 4;
	pages[3] = base;
	pages[4] = base + 6;
	KUNIT_ASSERT_EQ(test, sg_alloc_table(&sgt, 4, GFP_KERNEL), 0);
	rlist_kunit_alloc_track(test, &a);

	for (kind = RLIST_CPU_RLIST; kind <= RLIST_CPU_SGTABLE; kind++) {
		m->n = 0;
		m->len = 0;
		switch (kind) {
		case RLIST_CPU_RLIST:
			rlist_cpu_init(&rc);
			ret = rlist_cpu_append_page(&rc, base + 1, 100,
						    PAGE_SIZE - 100, GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, ret, 0);
			ret = rlist_cpu_append_folio(&rc, folio, 2 * PAGE_SIZE,
						     2 * PAGE_SIZE, GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, ret, 0);
			ret = rlist_cpu_append_phys(&rc, PROV_BASE(2) + 7, 5000,
						    2, GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, ret, 0);
			ret = rlist_cpu_append_page(&rc, base, 0, 10,
						    GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, ret, 0);
			dmodel_add(m, phys + PAGE_SIZE + 100,
				   3 * PAGE_SIZE - 100, 0);
			dmodel_add(m, PROV_BASE(2) + 7, 5000, 2);
			dmodel_add(m, phys, 10, 0);
			break;
		case RLIST_CPU_PAGES:
			ret = rlist_cpu_init_pages(&rc, pages, 5, 50,
						   4 * PAGE_SIZE);
			KUNIT_ASSERT_EQ(test, ret, 0);
			dmodel_add(m, phys + 2 * PAGE_SIZE + 50,
				   3 * PAGE_SIZE - 50, 0);
			dmodel_add(m, phys, PAGE_SIZE, 0);
			dmodel_add(m, phys + 6 * PAGE_SIZE, 50, 0);
			break;
		case RLIST_CPU_BVEC:
			bvec_set_page(&bv[0], base + 5, 300, 20);
			bvec_set_page(&bv[1], base + 5, 0, 320);
			bvec_set_page(&bv[2], base + 5, PAGE_SIZE - 320, 320);
			bvec_set_page(&bv[3], base + 1, PAGE_SIZE, 0);
			KUNIT_ASSERT_EQ(test, rlist_cpu_init_bvec(&rc, bv, 4), 0);
			dmodel_add(m, phys + 5 * PAGE_SIZE + 20,
				   PAGE_SIZE - 20, 0);
			dmodel_add(m, phys + PAGE_SIZE, PAGE_SIZE, 0);
			break;
		default:
			sg = sgt.sgl;
			sg_set_page(sg, base + 7, 8, PAGE_SIZE - 8);
			sg = sg_next(sg);
			sg_set_page(sg, base, 2 * PAGE_SIZE, 0);
			sg = sg_next(sg);
			sg_set_page(sg, base + 2, 0, 0);
			sg = sg_next(sg);
			sg_set_page(sg, base + 4, 5, 0);
			KUNIT_ASSERT_EQ(test, rlist_cpu_init_sgtable(&rc, &sgt),
					0);
			dmodel_add(m, phys + 8 * PAGE_SIZE - 8, 8, 0);
			dmodel_add(m, phys, 2 * PAGE_SIZE, 0);
			dmodel_add(m, phys + 4 * PAGE_SIZE, 5, 0);
			break;
		}
		KUNIT_ASSERT_EQ(test, rlist_cpu_storage(&rc), kind);
		/* no two ranges touch: the CPU and DMA ranges are the same */
		dref_build(ref, m, 0, DREF_CPU);

		a.allocs = 0;
		a.frees = 0;
		a.attempts = 0;
		rlist_dma_init_identity(&rd, &rc);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), m->len);
		check_dma_walk(test, "identity ranges", &rd, ref, NULL, 0);
		check_dma_walk(test, "identity segments", &rd, ref, &seg, 0);
		for (i = 9; i <= 16; i++)
			check_dma_walk(test, "identity blocks", &rd, ref, NULL,
				       1ULL << i);
		KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg),
				ref_nr_segments(ref, &seg, 0));
		KUNIT_EXPECT_EQ(test, rlist_cpu_nr_segments(&rc, &seg),
				ref_nr_segments(ref, &seg, 0));
		KUNIT_EXPECT_TRUE(test, rlist_dma_segmentation_ok(&rc, &rd,
								  &seg));
		KUNIT_EXPECT_EQ(test, rlist_dma_block_offset(&rd, 4096),
				ref->r[0].addr & 4095);
		rlist_dma_destroy(&rd);
		KUNIT_EXPECT_EQ_MSG(test, a.attempts, 0, "storage %u", kind);
		rlist_cpu_destroy(&rc, 0);
	}
	sg_free_table(&sgt);
	folio_put(folio);
}

/*
 * 6.12's ib_umem_find_best_pgsz() on a plain array of {dma_address,
 * dma_len}, for a umem whose first byte is at offset @pgoff of the first
 * page and which is @length bytes long.
 */
struct ib_sge_model {
	u64 dma;
	u64 len;
};

static unsigned long ref_ib_find_best_pgsz(const struct ib_sge_model *sg,
					   unsigned int nents, u64 length,
					   unsigned long pgoff,
					   unsigned long pgsz_bitmap,
					   u64 virt)
{
	unsigned long curr_len = 0;
	dma_addr_t curr_base = ~0;
	unsigned long mask = 0;
	unsigned int bits, i;
	dma_addr_t end;
	u64 last_va;
	u64 va = virt;

	if (check_add_overflow(length - 1, virt, &last_va))
		return 0;
	bits = bits_per(virt ^ last_va);
	if (bits < BITS_PER_LONG)
		mask = pgsz_bitmap & GENMASK(BITS_PER_LONG - 1, bits);
	for (i = 0; i < nents; i++) {
		if (check_add_overflow(curr_base, curr_len, &end) ||
		    end != sg[i].dma) {
			curr_base = sg[i].dma;
			curr_len = 0;
			mask |= (curr_base + pgoff) ^ va;
			if (i != 0)
				mask |= va;
		}
		curr_len += sg[i].len;
		va += sg[i].len - pgoff;
		pgoff = 0;
	}
	if (mask)
		pgsz_bitmap &= GENMASK(__ffs(mask), 0);
	return pgsz_bitmap ? rounddown_pow_of_two(pgsz_bitmap) : 0;
}

/* The sg_table ib_umem would build: whole pages, randomly grouped. */
static unsigned int ib_sg_from_ref(struct rnd_state *rs,
				   const struct dref *ref,
				   struct ib_sge_model *sg, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < ref->n; i++) {
		u64 a = ALIGN_DOWN(ref->r[i].addr, PAGE_SIZE);
		u64 e = ALIGN(ref->r[i].addr + ref->r[i].len, PAGE_SIZE);

		while (a < e && n < max) {
			u64 len = min_t(u64, e - a,
					(u64)(1 + rnd(rs, 16)) << PAGE_SHIFT);

			if (e - a > (64ULL << PAGE_SHIFT) && rnd(rs, 2))
				len = e - a;
			sg[n++] = (struct ib_sge_model){ a, len };
			a += len;
		}
	}
	return n;
}

/*
 * Brute force: the largest size of @bitmap that is no larger than the
 * smallest one holding [hwva, hwva + len) in one block, such that at the
 * start of every range DMA and HW VA agree below it and every interior range
 * start is aligned to it in HW VA.
 */
static unsigned long ref_brute_best(const struct dref *ref,
				    unsigned long bitmap, u64 hwva)
{
	unsigned long best = 0;
	u64 last;
	int b;

	if (!ref->len || check_add_overflow(hwva, ref->len - 1, &last))
		return 0;
	for (b = 0; b < BITS_PER_LONG; b++) {
		u64 s = 1ULL << b;
		unsigned int i;
		bool ok = true;

		if (!(bitmap & s))
			continue;
		for (i = 0; i < ref->n && ok; i++) {
			u64 va = hwva + ref->r[i].pos;

			if ((ref->r[i].addr ^ va) & (s - 1))
				ok = false;
			if (i && va & (s - 1))
				ok = false;
		}
		if (ok)
			best = s;
		/* one block holds it all: no need for larger */
		if (b && hwva >> b == last >> b)
			break;
	}
	return best;
}

static unsigned long gen_bitmap(struct rnd_state *rs)
{
	unsigned long bm = 0;
	unsigned int i;

	switch (rnd(rs, 4)) {
	case 0:
		return SZ_4K | SZ_2M | SZ_1G;
	case 1:
		return GENMASK(30, 12);
	case 2:
		return SZ_64K | SZ_2M;
	default:
		for (i = 0; i < 4; i++)
			bm |= 1UL << (9 + rnd(rs, 25));
		return bm;
	}
}

/* Best block size against the ib_umem algorithm and a brute force. */
static void rlist_dma_test_find_best_blocksz(struct kunit *test)
{
	struct dmodel *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct dref *ref = kunit_kzalloc(test, sizeof(*ref), GFP_KERNEL);
	struct ib_sge_model *sg = kunit_kcalloc(test, 4096, sizeof(*sg),
						GFP_KERNEL);
	struct rnd_state rs;
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, ref);
	KUNIT_ASSERT_NOT_NULL(test, sg);
	prandom_seed_state(&rs, dma_seed_of(test));
	for (i = 0; i < DMA_NR_LISTS * 2; i++) {
		bool pagelist = i & 1;
		struct rlist_dma rd;
		unsigned int nents;

		dgen_list(&rs, m, DGEN_ABS_ONLY |
			  (pagelist ? DGEN_PAGELIST : 0));
		if (!dbuild(test, &rd, m))
			break;
		dref_build(ref, m, 0, DREF_DMA);
		nents = ib_sg_from_ref(&rs, ref, sg, 4096);
		for (j = 0; j < 8; j++) {
			unsigned long bm = gen_bitmap(&rs), got, want;
			u64 hwva;

			/* HW VA: often sharing the low bits of the DMA start */
			switch (rnd(&rs, 3)) {
			case 0:
				hwva = rnd64(&rs) >> rnd(&rs, 64);
				break;
			case 1:
				hwva = ((rnd64(&rs) >> 16) << 30) |
				       (ref->r[0].addr & (SZ_1G - 1));
				break;
			default:
				hwva = ((rnd64(&rs) >> 16) << 21) |
				       (ref->r[0].addr & (SZ_2M - 1));
				break;
			}
			got = rlist_dma_find_best_blocksz(&rd, bm, hwva);
			want = ref_brute_best(ref, bm, hwva);
			KUNIT_EXPECT_EQ_MSG(test, got, want,
					    "brute force: list %u bitmap %#lx hwva %#llx, %u ranges",
					    i, bm, hwva, ref->n);
			if (pagelist && nents < 4096) {
				want = ref_ib_find_best_pgsz(sg, nents, m->len,
							     ref->r[0].addr &
							     ~PAGE_MASK, bm,
							     hwva);
				KUNIT_EXPECT_EQ_MSG(test, got, want,
						    "ib_umem: list %u bitmap %#lx hwva %#llx, %u ranges",
						    i, bm, hwva, ref->n);
			}
		}
		rlist_dma_destroy(&rd);
		if (test->status == KUNIT_FAILURE)
			break;
	}
}

static void rlist_dma_test_find_best_blocksz_edges(struct kunit *test)
{
	unsigned long all = GENMASK(30, 12);
	struct rlist_dma rd;

	/* empty list */
	rlist_dma_init(&rd);
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, all, 0), 0);

	/* 1 GiB contiguous, aligned: 1 GiB blocks */
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x40000000,
							SZ_1G, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, all,
							  0x7fc0000000ULL),
			SZ_1G);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_1G,
						   0x7fc0000000ULL), 1);
	/* HW VA only 2 MiB aligned */
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, all,
							  0x7fc0200000ULL),
			SZ_2M);
	/* only sizes larger than anything valid */
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, SZ_2M | SZ_1G,
							  0x7fc0001000ULL), 0);
	/* hwva + length - 1 overflows */
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, all,
							  U64_MAX - SZ_1G + 2),
			0);
	/* the last HW VA byte at the top is fine */
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, all,
							  U64_MAX - SZ_1G + 1),
			SZ_1G);
	/* smaller sizes cover it in one block: not larger */
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, all | SZ_4G,
							  0x7fc0000000ULL),
			SZ_1G);
	rlist_dma_destroy(&rd);

	/* two ranges: the interior boundary limits the size */
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x200000, SZ_2M,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x801000,
							0x1000, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, all, 0x200000),
			SZ_4K);
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, SZ_2M,
							  0x200000), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_block_offset(&rd, SZ_2M), 0);
	rlist_dma_destroy(&rd);
}

/* Fail each allocation in turn while appending: -ENOMEM, list unchanged. */
static void rlist_dma_test_alloc_failure(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct dmodel *m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	struct dref *ref = kunit_kzalloc(test, sizeof(*ref), GFP_KERNEL);
	struct rnd_state rs;
	u64 seed = dma_seed_of(test);
	long k;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, ref);
	rlist_kunit_alloc_track(test, &a);
	for (k = 0; k < 1000; k++) {
		struct rlist_dma rd;
		unsigned int i, n = 0;
		bool failed = false;

		prandom_seed_state(&rs, seed);
		dgen_list(&rs, m, 0);
		a.allocs = 0;
		a.frees = 0;
		a.attempts = 0;
		a.fail_at = k;
		rlist_dma_init(&rd);
		for (i = 0; i < m->n; i++) {
			const struct dpiece *p = &m->p[i];
			int ret;

			if (p->kind == RLIST_DMA_RELATIVE)
				ret = rlist_dma_append_relative(&rd, p->addr,
								p->len,
								GFP_KERNEL);
			else
				ret = rlist_dma_append_absolute(&rd, p->addr,
								p->len,
								GFP_KERNEL);
			if (ret) {
				KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
				KUNIT_EXPECT_GT(test, a.attempts, k);
				failed = true;
				break;
			}
			n++;
		}
		/* the pieces appended so far, and only them */
		m->n = n;
		dref_build(ref, m, 0, DREF_DMA);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), ref->len);
		check_dma_walk(test, "after -ENOMEM", &rd, ref, NULL, 0);
		rlist_dma_destroy(&rd);
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
		if ((!failed && a.attempts <= k) ||
		    test->status == KUNIT_FAILURE)
			break;
	}
	KUNIT_EXPECT_LT(test, k, 1000);
}

/* Piece @i of a walk is @want[@i] of @n; false past the end. */
static bool expect_piece(struct kunit *test, const char *what,
			 const struct rlist_dma_iter *it, unsigned int i,
			 const struct drange *want, unsigned int n)
{
	if (i >= n) {
		KUNIT_FAIL(test, "%s: extra piece {%#llx,%llu,pos %llu}", what,
			   (u64)it->addr, it->len, it->pos);
		return false;
	}
	KUNIT_EXPECT_EQ_MSG(test, it->addr, want[i].addr, "%s: piece %u", what,
			    i);
	KUNIT_EXPECT_EQ_MSG(test, it->len, want[i].len, "%s: piece %u", what, i);
	KUNIT_EXPECT_EQ_MSG(test, it->pos, want[i].pos, "%s: piece %u", what, i);
	return true;
}

/*
 * The pieces of a range walk (@seg NULL) or a segment walk, or, if @bs is
 * not 0, of a block walk both with rlist_dma_for_each_block() and with the
 * iterator, against a table written from the kernel-doc.
 */
static void expect_pieces(struct kunit *test, const char *what,
			  const struct rlist_dma *rd,
			  const struct rlist_dma_segmentation *seg, u64 bs,
			  const struct drange *want, unsigned int n)
{
	struct rlist_dma_iter it;
	unsigned int i = 0;
	bool more;

	if (bs) {
		rlist_dma_for_each_block(rd, bs, &it) {
			if (!expect_piece(test, what, &it, i, want, n))
				return;
			i++;
		}
		KUNIT_EXPECT_EQ_MSG(test, i, n, "%s: number of blocks", what);
		more = rlist_dma_block_start(&it, rd, bs);
	} else {
		more = rlist_dma_iter_start(&it, rd, seg);
	}
	for (i = 0; more; more = rlist_dma_iter_next(&it)) {
		if (!expect_piece(test, what, &it, i, want, n))
			return;
		i++;
	}
	KUNIT_EXPECT_EQ_MSG(test, i, n, "%s: number of pieces", what);
}

/*
 * A relative and an absolute range that touch once the base is set: one
 * range, so the block walk with the best block size yields exactly
 * num_blocks blocks, none of them twice.
 */
static void rlist_dma_test_blocks_across_types(struct kunit *test)
{
	static const struct drange range[] = { { 0x100000, 0x3000, 0 } };
	static const struct drange blocks_4k[] = {
		{ 0x100000, 0x1000, 0 }, { 0x101000, 0x1000, 0x1000 },
		{ 0x102000, 0x1000, 0x2000 },
	};
	static const struct drange blocks_8k[] = {
		{ 0x100000, 0x2000, 0 }, { 0x102000, 0x1000, 0x2000 },
	};
	static const struct drange segs[] = {
		{ 0x100000, 0x2000, 0 }, { 0x102000, 0x1000, 0x2000 },
	};
	struct rlist_dma_segmentation seg = { 0x2000, ~0ULL, 0 };
	struct rlist_dma rd;

	rlist_dma_init(&rd);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_relative(&rd, 0, 0x1800,
							GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x101800, 0x1800,
							GFP_KERNEL), 0);
	rlist_dma_set_base(&rd, 0x100000);

	expect_pieces(test, "ranges", &rd, NULL, 0, range, ARRAY_SIZE(range));
	expect_pieces(test, "segments", &rd, &seg, 0, segs, ARRAY_SIZE(segs));
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg), 2);

	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, SZ_4K,
							  0x100000), SZ_4K);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_4K, 0x100000), 3);
	expect_pieces(test, "4 KiB blocks", &rd, NULL, SZ_4K, blocks_4k,
		      ARRAY_SIZE(blocks_4k));

	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, SZ_4K | SZ_8K,
							  0x100000), SZ_8K);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_8K, 0x100000), 2);
	expect_pieces(test, "8 KiB blocks", &rd, NULL, SZ_8K, blocks_8k,
		      ARRAY_SIZE(blocks_8k));
	/* one 16 KiB block holds it all */
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, SZ_4K | SZ_8K |
							  SZ_16K, 0x100000),
			SZ_16K);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_16K, 0x100000), 1);
	expect_pieces(test, "16 KiB blocks", &rd, NULL, SZ_16K, range,
		      ARRAY_SIZE(range));
	rlist_dma_destroy(&rd);
}

/*
 * An identity view of two providers' ranges that touch: one DMA range,
 * while the CPU list walks two ranges; its segments are those of the view.
 */
static void rlist_dma_test_identity_providers_touch(struct kunit *test)
{
	static const struct drange range[] = {
		{ 0x200000000000ULL, 0x2000, 0 },
	};
	struct rlist_dma_segmentation seg = { U64_MAX, ~0ULL, 0 };
	struct rlist_cpu_iter cit;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	unsigned int n = 0;

	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, 0x200000000000ULL,
						    0x1000, 1, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, 0x200000001000ULL,
						    0x1000, 2, GFP_KERNEL), 0);
	rlist_cpu_for_each_range(&rc, &cit)
		n++;
	KUNIT_EXPECT_EQ(test, n, 2);

	rlist_dma_init_identity(&rd, &rc);
	expect_pieces(test, "identity ranges", &rd, NULL, 0, range,
		      ARRAY_SIZE(range));
	KUNIT_EXPECT_EQ(test, rlist_dma_find_best_blocksz(&rd, SZ_4K | SZ_8K,
							  0x200000000000ULL),
			SZ_8K);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_8K,
						   0x200000000000ULL), 1);
	expect_pieces(test, "identity 8 KiB blocks", &rd, NULL, SZ_8K, range,
		      ARRAY_SIZE(range));
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg), 1);
	KUNIT_EXPECT_EQ(test, rlist_cpu_nr_segments(&rc, &seg), 1);
	KUNIT_EXPECT_TRUE(test, rlist_dma_segmentation_ok(&rc, &rd, &seg));
	rlist_dma_destroy(&rd);
	rlist_cpu_destroy(&rc, 0);
}

/*
 * A range that ends at the top of the DMA address space is not continued by
 * one at address 0: two ranges in every walk, absolute or in identity mode.
 */
static void rlist_dma_test_no_merge_across_top(struct kunit *test)
{
	static const struct drange ranges[] = {
		{ 0xfffffffffffff000ULL, 0x1000, 0 }, { 0, 0x1000, 0x1000 },
	};
	static const struct drange blocks_8k[] = {
		{ 0xffffffffffffe000ULL, 0x1000, 0 }, { 0, 0x1000, 0x1000 },
	};
	struct rlist_dma_segmentation seg = { U64_MAX, ~0ULL, 0 };
	struct rlist_cpu rc;
	struct rlist_dma rd;
	unsigned int pass;

	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, 0xfffffffffffff000ULL,
						    0x1000, 1, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, 0, 0x1000, 1,
						    GFP_KERNEL), 0);
	for (pass = 0; pass < 3; pass++) {
		switch (pass) {
		case 0:
			rlist_dma_init(&rd);
			KUNIT_ASSERT_EQ(test,
					rlist_dma_append_absolute(&rd,
								  0xfffffffffffff000ULL,
								  0x1000, GFP_KERNEL),
					0);
			KUNIT_ASSERT_EQ(test,
					rlist_dma_append_absolute(&rd, 0, 0x1000,
								  GFP_KERNEL), 0);
			break;
		case 1:
			/* the same as relative ranges, and of both types */
			rlist_dma_init(&rd);
			KUNIT_ASSERT_EQ(test,
					rlist_dma_append_relative(&rd,
								  0xfffffffffffff000ULL,
								  0x1000, GFP_KERNEL),
					0);
			KUNIT_ASSERT_EQ(test,
					rlist_dma_append_absolute(&rd, 0, 0x1000,
								  GFP_KERNEL), 0);
			rlist_dma_set_base(&rd, 0);
			break;
		default:
			rlist_dma_init_identity(&rd, &rc);
			break;
		}
		expect_pieces(test, "ranges", &rd, NULL, 0, ranges,
			      ARRAY_SIZE(ranges));
		expect_pieces(test, "segments", &rd, &seg, 0, ranges,
			      ARRAY_SIZE(ranges));
		KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg), 2);
		expect_pieces(test, "4 KiB blocks", &rd, NULL, SZ_4K, ranges,
			      ARRAY_SIZE(ranges));
		/* HW VA 0x1000: the range at 0 starts the second 8 KiB block */
		KUNIT_EXPECT_EQ(test,
				rlist_dma_find_best_blocksz(&rd, SZ_4K | SZ_8K,
							    0x1000), SZ_8K);
		KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_8K, 0x1000),
				2);
		expect_pieces(test, "8 KiB blocks", &rd, NULL, SZ_8K, blocks_8k,
			      ARRAY_SIZE(blocks_8k));
		rlist_dma_destroy(&rd);
	}
	KUNIT_EXPECT_EQ(test, rlist_cpu_nr_segments(&rc, &seg), 2);
	rlist_cpu_destroy(&rc, 0);
}

/*
 * num_blocks() counts the blocks holding a byte of [hwva, hwva + length):
 * none for an empty list at any hwva, and up to the last block of the
 * 64-bit space.
 */
static void rlist_dma_test_num_blocks_edges(struct kunit *test)
{
	struct rlist_dma rd;

	rlist_dma_init(&rd);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_4K, 0), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_4K, 0x1234), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1, 0x1234), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1ULL << 63, U64_MAX),
			0);

	/* two bytes */
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x1000, 2,
							GFP_KERNEL), 0);
	/* one in each half of the space */
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1ULL << 63,
						   (1ULL << 63) - 1), 2);
	/* both in the upper half, the last one at the top */
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1ULL << 63,
						   U64_MAX - 1), 1);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_4K, U64_MAX - 1), 1);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1, U64_MAX - 1), 2);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_4K, U64_MAX - 4096),
			2);
	/* the last byte would be past the top: the HW VA range wraps */
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_4K, U64_MAX), 0);
	/* not a power of two */
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 3, 0), 0);
	rlist_dma_destroy(&rd);

	/* the longest list: U64_MAX bytes */
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0, U64_MAX,
							GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1, 0), U64_MAX);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1, 1), U64_MAX);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1, 2), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, 1ULL << 63, 0), 2);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_4K, 1),
			1ULL << 52);
	rlist_dma_destroy(&rd);
}

/*
 * The alignment min_align_mask + 1, not the mask, must fit in the maximum
 * segment size: cuts made by the size then fall on its multiples, so the
 * segments that start at a cut are aligned.
 */
static void rlist_dma_test_min_align_fits_segment(struct kunit *test)
{
	static const struct drange segs[] = {
		{ 0x1800, 0x800, 0 }, { 0x2000, 0x1000, 0x800 },
		{ 0x3000, 0x1000, 0x1800 }, { 0x4000, 0x800, 0x2800 },
	};
	struct rlist_dma_segmentation fits = { 0x1000, ~0ULL, 0xfff };
	struct rlist_dma_segmentation mask_eq = { 0xfff, ~0ULL, 0xfff };
	struct rlist_dma_segmentation past = { 0x1000, ~0ULL, 0x1fff };
	struct rlist_dma rd;

	rlist_dma_init(&rd);
	KUNIT_ASSERT_EQ(test, rlist_dma_append_absolute(&rd, 0x1800, 0x3000,
							GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_segmentation_check(&fits), 0);
	expect_pieces(test, "segments", &rd, &fits, 0, segs, ARRAY_SIZE(segs));
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &fits), 4);
	/* the mask equals the maximum size: its alignment does not fit */
	KUNIT_EXPECT_EQ(test, rlist_dma_segmentation_check(&mask_eq), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &mask_eq), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_segmentation_check(&past), -EINVAL);
	rlist_dma_destroy(&rd);
}

static struct kunit_case rlist_dma_test_cases[] = {
	KUNIT_CASE(rlist_dma_test_append_invalid),
	KUNIT_CASE(rlist_dma_test_relative_absolute_base),
	KUNIT_CASE(rlist_dma_test_set_base_wrap),
	KUNIT_CASE(rlist_dma_test_p2p_types),
	KUNIT_CASE(rlist_dma_test_random_lists),
	KUNIT_CASE(rlist_dma_test_alloc_failure),
	KUNIT_CASE(rlist_dma_test_num_blocks),
	KUNIT_CASE(rlist_dma_test_segmentation_check),
	KUNIT_CASE(rlist_dma_test_cpu_segments_and_identity),
	KUNIT_CASE(rlist_dma_test_segmentation_ok),
	KUNIT_CASE(rlist_dma_test_segmentation_ok_random),
	KUNIT_CASE(rlist_dma_test_identity_storages),
	KUNIT_CASE(rlist_dma_test_find_best_blocksz),
	KUNIT_CASE(rlist_dma_test_find_best_blocksz_edges),
	KUNIT_CASE(rlist_dma_test_blocks_across_types),
	KUNIT_CASE(rlist_dma_test_identity_providers_touch),
	KUNIT_CASE(rlist_dma_test_no_merge_across_top),
	KUNIT_CASE(rlist_dma_test_num_blocks_edges),
	KUNIT_CASE(rlist_dma_test_min_align_fits_segment),
	{}
};

struct kunit_suite rlist_dma_test_suite = {
	.name = "rlist_dma",
	.test_cases = rlist_dma_test_cases,
};
