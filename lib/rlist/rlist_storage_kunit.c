// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the rlist storage, checked against a plain array model.
 *
 * This file also carries the module boilerplate of rlist_kunit.ko and the
 * allocation tracking shared by the three rlist suites.
 */
#include <kunit/test.h>
#include <kunit/static_stub.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/rlist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "rlist_internal.h"
#include "rlist_kunit.h"

static unsigned int seed = 0x726c6973;
module_param(seed, uint, 0444);
MODULE_PARM_DESC(seed, "seed of the randomised rlist tests");

/* ---- allocation tracking ---- */

static struct rlist_kunit_alloc *rlist_kunit_cur;

static void *rlist_kunit_mem_alloc(size_t size, gfp_t gfp)
{
	struct rlist_kunit_alloc *a = rlist_kunit_cur;
	void *p;

	if (a->attempts++ == a->fail_at)
		return NULL;
	p = kmalloc(size, gfp);
	if (p)
		a->allocs++;
	return p;
}

static void rlist_kunit_mem_free(void **ptrs, size_t n)
{
	rlist_kunit_cur->frees += n;
	rlist_kunit_cur->free_calls++;
	kfree_bulk(n, ptrs);
}

void rlist_kunit_alloc_track(struct kunit *test, struct rlist_kunit_alloc *a)
{
	rlist_kunit_cur = a;
	kunit_activate_static_stub(test, rlist_mem_alloc,
				   rlist_kunit_mem_alloc);
	kunit_activate_static_stub(test, rlist_mem_free, rlist_kunit_mem_free);
}

static int rlist_kunit_preload_nothing(struct rlist *rl, unsigned long nr_words,
				       unsigned int max_words, gfp_t gfp)
{
	return 0;
}

void rlist_kunit_no_reserve(struct kunit *test)
{
	kunit_activate_static_stub(test, __rlist_preload_words,
				   rlist_kunit_preload_nothing);
}

static u64 rnd_u64(struct rnd_state *rnd)
{
	u64 hi = prandom_u32_state(rnd);

	return hi << 32 | prandom_u32_state(rnd);
}

/* ---- the model: an array of entries and their start positions ---- */

struct model {
	struct rlist_entry *e;
	u64 *pos;
	unsigned long n, max;
	u64 length;
};

static void model_init(struct kunit *test, struct model *m, unsigned long max)
{
	m->e = kunit_kcalloc(test, max, sizeof(*m->e), GFP_KERNEL);
	m->pos = kunit_kcalloc(test, max, sizeof(*m->pos), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m->e);
	KUNIT_ASSERT_NOT_NULL(test, m->pos);
	m->max = max;
	m->n = 0;
	m->length = 0;
}

/* The specification of merging, written independently of rlist.c. */
static void model_append(struct model *m, const struct rlist_entry *e,
			 bool merge)
{
	struct rlist_entry *l = m->n ? &m->e[m->n - 1] : NULL;

	if (merge && l && l->type == e->type && l->extra == e->extra &&
	    l->base + l->length == e->base && e->base) {
		l->length += e->length;
	} else {
		m->pos[m->n] = m->length;
		m->e[m->n++] = *e;
	}
	m->length += e->length;
}

/* Index of the model entry holding @pos (binary search). */
static unsigned long model_find(const struct model *m, u64 pos)
{
	unsigned long lo = 0, hi = m->n;

	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (m->pos[mid] <= pos)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void expect_entry(struct kunit *test, const struct rlist_entry *got,
			 const struct rlist_entry *want, unsigned long i)
{
	KUNIT_EXPECT_EQ_MSG(test, got->base, want->base, "entry %lu", i);
	KUNIT_EXPECT_EQ_MSG(test, got->length, want->length, "entry %lu", i);
	KUNIT_EXPECT_EQ_MSG(test, got->type, want->type, "entry %lu", i);
	KUNIT_EXPECT_EQ_MSG(test, got->extra, want->extra, "entry %lu", i);
}

/* The list holds exactly the model: walk, count, length, last entry. */
static void expect_model(struct kunit *test, const struct rlist *rl,
			 const struct model *m)
{
	struct rlist_entry last;
	struct rlist_iter it;
	unsigned long i = 0;

	KUNIT_ASSERT_EQ(test, rlist_nr_entries(rl), m->n);
	KUNIT_ASSERT_EQ(test, rlist_length(rl), m->length);
	KUNIT_EXPECT_EQ(test, rlist_empty(rl), m->n == 0);
	rlist_for_each_entry(rl, &it) {
		KUNIT_ASSERT_LT(test, i, m->n);
		expect_entry(test, &it.entry, &m->e[i], i);
		KUNIT_EXPECT_EQ_MSG(test, it.pos, m->pos[i], "entry %lu", i);
		if (it.entry.base != m->e[i].base)
			return;	/* one mismatch is enough to report */
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, m->n);
	KUNIT_EXPECT_EQ(test, rlist_last(rl, &last), m->n != 0);
	if (m->n)
		expect_entry(test, &last, &m->e[m->n - 1], m->n - 1);
}

static void expect_seek(struct kunit *test, const struct rlist *rl,
			const struct model *m, u64 pos)
{
	struct rlist_iter it;
	unsigned long i;

	if (pos >= m->length) {
		KUNIT_EXPECT_FALSE(test, rlist_iter_seek(&it, rl, pos));
		KUNIT_EXPECT_FALSE(test, rlist_iter_valid(&it));
		return;
	}
	i = model_find(m, pos);
	KUNIT_ASSERT_TRUE(test, rlist_iter_seek(&it, rl, pos));
	expect_entry(test, &it.entry, &m->e[i], i);
	KUNIT_EXPECT_EQ_MSG(test, it.pos, m->pos[i], "seek to %llu", pos);
	/* The walk goes on from there. */
	if (rlist_iter_next(&it)) {
		KUNIT_ASSERT_LT(test, i + 1, m->n);
		expect_entry(test, &it.entry, &m->e[i + 1], i + 1);
	} else {
		KUNIT_EXPECT_EQ(test, i + 1, m->n);
	}
}

static void expect_seeks(struct kunit *test, const struct rlist *rl,
			 const struct model *m, struct rnd_state *rnd)
{
	unsigned long i;

	for (i = 0; i < m->n; i++) {
		expect_seek(test, rl, m, m->pos[i]);
		expect_seek(test, rl, m, m->pos[i] + m->e[i].length - 1);
	}
	for (i = 0; i < 64 && m->length; i++) {
		u64 pos;

		div64_u64_rem(rnd_u64(rnd), m->length, &pos);
		expect_seek(test, rl, m, pos);
	}
	expect_seek(test, rl, m, m->length);
	expect_seek(test, rl, m, U64_MAX);
}

/* ---- random entries of every encoding ---- */

static u32 rnd_below(struct rnd_state *rnd, u32 n)
{
	return prandom_u32_state(rnd) % n;
}

static void gen_entry(struct rnd_state *rnd, const struct model *m,
		      struct rlist_entry *e)
{
	const struct rlist_entry *l = m->n ? &m->e[m->n - 1] : NULL;
	u64 pfn = prandom_u32_state(rnd);

	*e = (struct rlist_entry){};
	switch (rnd_below(rnd, 12)) {
	case 0 ... 3:	/* one page below 8 TiB: PAGE */
		e->base = (pfn & (BIT(31) - 1)) << PAGE_SHIFT;
		e->length = PAGE_SIZE;
		break;
	case 4:		/* one page above: RUN */
		e->base = (pfn | BIT(31)) << PAGE_SHIFT;
		e->length = PAGE_SIZE;
		break;
	case 5:		/* a run of pages, maybe typed */
		e->base = pfn << PAGE_SHIFT;
		e->length = (u64)(1 + rnd_below(rnd, 1 << 20)) << PAGE_SHIFT;
		e->type = rnd_below(rnd, RLIST_NR_TYPES);
		break;
	case 6:		/* a run longer than a RUN entry holds (> 1 TiB) */
		e->base = pfn << PAGE_SHIFT;
		e->length = ((u64)BIT(28) + 1 + rnd_below(rnd, BIT(29)))
			    << PAGE_SHIFT;
		break;
	case 7:		/* unaligned, any type, maybe an extra */
		e->base = rnd_u64(rnd) >> 2;
		e->length = 1 + rnd_below(rnd, 1 << 20);
		e->type = rnd_below(rnd, RLIST_NR_TYPES);
		e->extra = rnd_below(rnd, 2) ? prandom_u32_state(rnd) : 0;
		break;
	case 8:		/* above 4 GiB with an extra */
		e->base = rnd_u64(rnd) >> 2;
		e->length = BIT_ULL(32) + prandom_u32_state(rnd);
		e->extra = 1 + rnd_below(rnd, 1000);
		e->type = rnd_below(rnd, RLIST_NR_TYPES);
		break;
	default:	/* continues the last entry, to be merged */
		if (!l) {
			e->base = PAGE_SIZE;
			e->length = PAGE_SIZE;
			break;
		}
		e->base = l->base + l->length;
		e->type = l->type;
		e->extra = l->extra;
		e->length = rnd_below(rnd, 2) ? PAGE_SIZE :
			    1 + rnd_below(rnd, 3 * PAGE_SIZE);
		break;
	}
}

/* ---- the tests ---- */

static void rlist_test_empty(struct kunit *test)
{
	struct rlist_entry e;
	struct rlist_iter it;
	struct rlist rl;
	int n = 0;

	rlist_init(&rl);
	KUNIT_EXPECT_TRUE(test, rlist_empty(&rl));
	KUNIT_EXPECT_EQ(test, rlist_length(&rl), 0);
	KUNIT_EXPECT_FALSE(test, rlist_last(&rl, &e));
	KUNIT_EXPECT_FALSE(test, rlist_iter_first(&it, &rl));
	rlist_for_each_entry(&rl, &it)
		n++;
	KUNIT_EXPECT_EQ(test, n, 0);
	KUNIT_EXPECT_FALSE(test, rlist_iter_seek(&it, &rl, 0));
	KUNIT_EXPECT_EQ(test, rlist_memory(&rl), 0);
	rlist_destroy(&rl);
	KUNIT_EXPECT_TRUE(test, rlist_empty(&rl));
}

static void rlist_test_bad_input(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rlist_entry e = { .base = 0x1000, .length = 0x1000 };
	struct model m;
	struct rlist rl;

	model_init(test, &m, 4);
	rlist_kunit_alloc_track(test, &a);
	rlist_init(&rl);
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	model_append(&m, &e, true);

	e = (struct rlist_entry){ .base = 0x5000, .length = 0 };
	KUNIT_EXPECT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), -EINVAL);
	e = (struct rlist_entry){ .base = 0x5000, .length = 1, .type = 4 };
	KUNIT_EXPECT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), -EINVAL);
	/* The last byte would wrap past the top of the address space. */
	e = (struct rlist_entry){ .base = U64_MAX - 10, .length = 12 };
	KUNIT_EXPECT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL),
			-EOVERFLOW);
	/* Ending exactly at the top is fine... */
	e = (struct rlist_entry){ .base = U64_MAX - 10, .length = 11 };
	KUNIT_EXPECT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	model_append(&m, &e, true);
	/* ...and nothing continues it, even at base 0. */
	e = (struct rlist_entry){ .base = 0, .length = U64_MAX - 0x3000 };
	KUNIT_EXPECT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	model_append(&m, &e, true);
	/* The list's total length would wrap. */
	e = (struct rlist_entry){ .base = 0x100000, .length = 0x10000 };
	KUNIT_EXPECT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL),
			-EOVERFLOW);
	expect_model(test, &rl, &m);

	rlist_append_end(&rl);
	e = (struct rlist_entry){ .base = 0x9000, .length = 1 };
	KUNIT_EXPECT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_preload(&rl, 1, GFP_KERNEL), -EINVAL);
	expect_model(test, &rl, &m);
	rlist_destroy(&rl);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/* Only a continuation of the same type and extra is merged. */
static void rlist_test_merge_rules(struct kunit *test)
{
	static const struct {
		struct rlist_entry e;
		unsigned int flags;
		bool merges;
	} steps[] = {
		{ { .base = 0x10000, .length = 0x1000 }, 0, false },
		{ { .base = 0x11000, .length = 0x1000 }, 0, true },
		{ { .base = 0x12000, .length = 0x800 }, 0, true },
		{ { .base = 0x12800, .length = 0x800, .type = 1 }, 0, false },
		{ { .base = 0x13000, .length = 0x800, .type = 1, .extra = 5 },
		  0, false },
		{ { .base = 0x13800, .length = 0x800, .type = 1, .extra = 5 },
		  0, true },
		{ { .base = 0x14000, .length = 0x800, .type = 1, .extra = 6 },
		  0, false },
		{ { .base = 0x14800, .length = 0x800, .type = 1, .extra = 6 },
		  RLIST_APPEND_NO_MERGE, false },
		{ { .base = 0x15800, .length = 0x800, .type = 1, .extra = 6 },
		  0, false },
		{ { .base = 0x16000, .length = BIT_ULL(40), .type = 1,
		    .extra = 6 }, 0, true },
	};
	struct model m;
	struct rlist rl;
	unsigned int i;

	model_init(test, &m, ARRAY_SIZE(steps));
	rlist_init(&rl);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		unsigned long n = rlist_nr_entries(&rl);

		KUNIT_ASSERT_EQ(test, rlist_append(&rl, &steps[i].e,
						   steps[i].flags, GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ_MSG(test, rlist_nr_entries(&rl),
				    n + !steps[i].merges, "step %u", i);
		model_append(&m, &steps[i].e, !steps[i].flags);
	}
	expect_model(test, &rl, &m);
	rlist_destroy(&rl);
}

/* Boundary values of each encoding survive a round trip, alone and packed. */
static void rlist_test_encodings(struct kunit *test)
{
	static const struct rlist_entry cases[] = {
		{ .base = 0, .length = PAGE_SIZE },
		{ .base = (BIT_ULL(31) - 1) << PAGE_SHIFT, .length = PAGE_SIZE },
		{ .base = BIT_ULL(31) << PAGE_SHIFT, .length = PAGE_SIZE },
		{ .base = (BIT_ULL(32) - 1) << PAGE_SHIFT, .length = PAGE_SIZE },
		{ .base = BIT_ULL(32) << PAGE_SHIFT, .length = PAGE_SIZE },
		{ .base = PAGE_SIZE, .length = BIT_ULL(28) << PAGE_SHIFT },
		{ .base = PAGE_SIZE, .length = (BIT_ULL(28) + 1) << PAGE_SHIFT },
		{ .base = PAGE_SIZE, .length = PAGE_SIZE, .type = 3 },
		{ .base = PAGE_SIZE, .length = PAGE_SIZE, .extra = 1 },
		{ .base = 1, .length = U32_MAX },
		{ .base = 1, .length = BIT_ULL(32) },
		{ .base = 0, .length = U64_MAX },
		{ .base = U64_MAX, .length = 1, .type = 2, .extra = U32_MAX },
		{ .base = 0x123, .length = 0x456, .type = 1, .extra = 7 },
	};
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rlist_iter it;
	struct rlist rl;
	unsigned int i;
	int ret;

	rlist_kunit_alloc_track(test, &a);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct model m;
		unsigned int j;

		/* Alone: kept inline, no allocation. */
		rlist_init(&rl);
		KUNIT_ASSERT_EQ(test, rlist_append(&rl, &cases[i], 0,
						   GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, rlist_memory(&rl), 0);
		KUNIT_ASSERT_TRUE(test, rlist_iter_first(&it, &rl));
		expect_entry(test, &it.entry, &cases[i], i);
		KUNIT_EXPECT_FALSE(test, rlist_iter_next(&it));
		rlist_destroy(&rl);

		/* Packed between others, across chunks. */
		model_init(test, &m, 300);
		rlist_init(&rl);
		for (j = 0; j < 300; j++) {
			struct rlist_entry e = cases[(i + j) % ARRAY_SIZE(cases)];

			if (e.length > U64_MAX / 512)
				e.length >>= 12;
			ret = rlist_append(&rl, &e, RLIST_APPEND_NO_MERGE,
					   GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, ret, 0);
			model_append(&m, &e, false);
		}
		expect_model(test, &rl, &m);
		rlist_destroy(&rl);
	}
	KUNIT_EXPECT_EQ(test, a.allocs, a.frees);
	KUNIT_EXPECT_GT(test, a.allocs, 0);
}

static void rlist_test_random(struct kunit *test)
{
	struct rnd_state rnd;
	unsigned int round;

	prandom_seed_state(&rnd, seed);
	kunit_info(test, "seed %u (module parameter seed=)\n", seed);
	for (round = 0; round < 120; round++) {
		unsigned long n = 1 + rnd_below(&rnd, round < 60 ? 40 : 3000);
		struct rlist_entry e;
		unsigned int flags;
		struct model m;
		struct rlist rl;
		unsigned long i;

		cond_resched();
		model_init(test, &m, n);
		rlist_init(&rl);
		for (i = 0; i < n; i++) {
			bool merge = rnd_below(&rnd, 8);

			gen_entry(&rnd, &m, &e);
			flags = merge ? 0 : RLIST_APPEND_NO_MERGE;
			KUNIT_ASSERT_EQ(test,
					rlist_append(&rl, &e, flags, GFP_KERNEL),
					0);
			model_append(&m, &e, merge);
		}
		expect_model(test, &rl, &m);
		expect_seeks(test, &rl, &m, &rnd);
		rlist_destroy(&rl);
		kunit_kfree(test, m.e);
		kunit_kfree(test, m.pos);
	}
}

/* Chunks filled to the last word, and a merge that no longer fits. */
static void rlist_test_full_chunks(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rnd_state rnd;
	struct rlist_entry e;
	struct model m;
	struct rlist rl;
	unsigned long i;
	size_t mem;

	prandom_seed_state(&rnd, seed);
	rlist_kunit_alloc_track(test, &a);
	model_init(test, &m, 2000);
	rlist_init(&rl);
	/* 2-word entries fill the 60 words of chunk 0 exactly: 30 entries. */
	for (i = 0; i < 30; i++) {
		e = (struct rlist_entry){ .base = (4 * i + 4) << PAGE_SHIFT,
					  .length = 2 * PAGE_SIZE };
		KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
		model_append(&m, &e, true);
	}
	mem = rlist_memory(&rl);
	expect_model(test, &rl, &m);
	/* The next one opens chunk 1. */
	e = (struct rlist_entry){ .base = 1000 << PAGE_SHIFT,
				  .length = PAGE_SIZE };
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	model_append(&m, &e, true);
	KUNIT_EXPECT_GT(test, rlist_memory(&rl), mem);

	/* Fill chunk 1 (252 words) with PAGE entries to its last word. */
	for (i = 1; i < 252; i++) {
		e = (struct rlist_entry){ .base = (2000 + 2 * i) << PAGE_SHIFT,
					  .length = PAGE_SIZE };
		KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
		model_append(&m, &e, true);
	}
	mem = rlist_memory(&rl);
	/* Growing the last PAGE into a RUN needs a word more: it moves. */
	e.base += PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	model_append(&m, &e, true);
	KUNIT_EXPECT_GT(test, rlist_memory(&rl), mem);
	expect_model(test, &rl, &m);
	expect_seeks(test, &rl, &m, &rnd);

	/* Merging two half pages shrinks a generic entry into a PAGE. */
	e = (struct rlist_entry){ .base = 0x100000000, .length = 0x800 };
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	model_append(&m, &e, true);
	e = (struct rlist_entry){ .base = 0x100000800, .length = 0x800 };
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	model_append(&m, &e, true);
	expect_model(test, &rl, &m);
	expect_seeks(test, &rl, &m, &rnd);
	rlist_destroy(&rl);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/* Make every allocation fail in turn: -ENOMEM, list intact, no leak. */
static void rlist_test_alloc_failure(struct kunit *test)
{
	struct rlist_kunit_alloc a;
	struct rnd_state rnd;
	long k;

	for (k = 0; ; k++) {
		bool failed = false;
		struct rlist_entry e;
		struct model m;
		struct rlist rl;
		unsigned long i;
		int ret;

		a = (struct rlist_kunit_alloc){ .fail_at = k };
		rlist_kunit_alloc_track(test, &a);
		prandom_seed_state(&rnd, seed + 1);
		model_init(test, &m, 3000);
		rlist_init(&rl);
		for (i = 0; i < 3000; i++) {
			gen_entry(&rnd, &m, &e);
			ret = rlist_append(&rl, &e, 0, GFP_KERNEL);
			if (ret) {
				KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
				KUNIT_EXPECT_EQ(test, a.attempts, k + 1);
				failed = true;
				break;
			}
			model_append(&m, &e, true);
		}
		expect_model(test, &rl, &m);
		/* The list still takes appends once memory is back. */
		if (failed) {
			KUNIT_EXPECT_EQ(test, rlist_append(&rl, &e, 0,
							   GFP_KERNEL), 0);
			model_append(&m, &e, true);
			expect_model(test, &rl, &m);
		}
		rlist_destroy(&rl);
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
		kunit_kfree(test, m.e);
		kunit_kfree(test, m.pos);
		if (!failed) {
			/* Every allocation point of this build was tried. */
			KUNIT_EXPECT_EQ(test, a.attempts, k);
			break;
		}
	}
	kunit_info(test, "%ld allocation points failed in turn\n", k);
	KUNIT_EXPECT_GT(test, k, 3);
}

/* After a preload, appends need no allocation at all. */
static void rlist_test_preload(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rnd_state rnd;
	struct rlist_entry e;
	struct model m;
	struct rlist rl;
	unsigned long i, n;
	int round;

	prandom_seed_state(&rnd, seed + 2);
	rlist_kunit_alloc_track(test, &a);
	model_init(test, &m, 4000);
	rlist_init(&rl);
	for (round = 0; round < 8; round++) {
		n = 1 + rnd_below(&rnd, 500);
		KUNIT_ASSERT_EQ(test, rlist_preload(&rl, n, GFP_KERNEL), 0);
		a.fail_at = a.attempts;	/* the next attempt fails */
		for (i = 0; i < n; i++) {
			gen_entry(&rnd, &m, &e);
			KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0,
							   GFP_ATOMIC), 0);
			model_append(&m, &e, true);
		}
		KUNIT_EXPECT_EQ(test, a.attempts, a.fail_at);
		a.fail_at = -1;
	}
	expect_model(test, &rl, &m);
	rlist_append_end(&rl);
	expect_model(test, &rl, &m);

	/* A preload that fails leaves a valid, freeable list. */
	rlist_destroy(&rl);
	rlist_init(&rl);
	e = (struct rlist_entry){ .base = 0, .length = 1 };
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	a.fail_at = a.attempts + 1;
	KUNIT_EXPECT_EQ(test, rlist_preload(&rl, 2000, GFP_KERNEL), -ENOMEM);
	a.fail_at = -1;
	KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rl), 1);
	rlist_destroy(&rl);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/*
 * rlist_append_end() leaves an empty or one-entry list owning no memory
 * (rlist_memory(): 0), whatever was preloaded; a list with chunks keeps them.
 */
static void rlist_test_append_end_frees_directory(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rlist_entry e = { .base = 0x5000, .length = 0x1000 };
	struct rlist_entry e2 = { .base = 0x9000, .length = 0x1000 };
	struct rlist_iter it;
	struct rlist rl;

	rlist_kunit_alloc_track(test, &a);

	/* empty */
	rlist_init(&rl);
	KUNIT_ASSERT_EQ(test, rlist_preload(&rl, 10, GFP_KERNEL), 0);
	KUNIT_EXPECT_GT(test, rlist_memory(&rl), 0);
	rlist_append_end(&rl);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rl), 0);
	KUNIT_EXPECT_EQ(test, a.allocs, a.frees);
	KUNIT_EXPECT_TRUE(test, rlist_empty(&rl));
	rlist_destroy(&rl);

	/* one entry, appended after the preload: it stays inline */
	rlist_init(&rl);
	KUNIT_ASSERT_EQ(test, rlist_preload(&rl, 10, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_ATOMIC), 0);
	KUNIT_EXPECT_GT(test, rlist_memory(&rl), 0);
	rlist_append_end(&rl);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rl), 0);
	KUNIT_EXPECT_EQ(test, a.allocs, a.frees);
	KUNIT_ASSERT_TRUE(test, rlist_iter_first(&it, &rl));
	expect_entry(test, &it.entry, &e, 0);
	KUNIT_EXPECT_FALSE(test, rlist_iter_next(&it));
	rlist_destroy(&rl);

	/* one entry, and a preload that failed part-way */
	rlist_init(&rl);
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	a.fail_at = a.attempts + 2;
	KUNIT_EXPECT_EQ(test, rlist_preload(&rl, 1000, GFP_KERNEL), -ENOMEM);
	a.fail_at = -1;
	KUNIT_EXPECT_GT(test, rlist_memory(&rl), 0);
	rlist_append_end(&rl);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rl), 0);
	KUNIT_EXPECT_EQ(test, a.allocs, a.frees);
	KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rl), 1);
	rlist_destroy(&rl);

	/* two entries live in a chunk: the chunk and directory stay */
	rlist_init(&rl);
	KUNIT_ASSERT_EQ(test, rlist_preload(&rl, 10, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_ATOMIC), 0);
	KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e2, 0, GFP_ATOMIC), 0);
	rlist_append_end(&rl);
	KUNIT_EXPECT_GT(test, rlist_memory(&rl), 0);
	KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rl), 2);
	KUNIT_EXPECT_EQ(test, rlist_length(&rl), 0x2000);
	rlist_destroy(&rl);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/*
 * rl_append_reserved() beyond the reserved room needs a chunk; when none can
 * be had it fails with -ENOMEM and the list is unchanged, never losing the
 * entry silently.
 */
static void rlist_test_append_reserved_failure(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rlist_entry e;
	struct model m;
	struct rlist rl;
	unsigned long i;
	int ret;

	model_init(test, &m, 200);
	rlist_kunit_alloc_track(test, &a);
	rlist_init(&rl);
	/* the first entry goes inline; the second needs a directory */
	e = (struct rlist_entry){ .base = 2 * PAGE_SIZE, .length = PAGE_SIZE };
	KUNIT_ASSERT_EQ(test, rl_append_reserved(&rl, &e, rl_entry_words(&e)),
			0);
	model_append(&m, &e, false);
	e.base += 2 * PAGE_SIZE;
	a.fail_at = a.attempts;
	ret = rl_append_reserved(&rl, &e, rl_entry_words(&e));
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	expect_model(test, &rl, &m);
	/* then a chunk */
	a.fail_at = a.attempts + 1;
	ret = rl_append_reserved(&rl, &e, rl_entry_words(&e));
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	expect_model(test, &rl, &m);
	a.fail_at = -1;

	/* scattered pages (one word each) until chunk 0 is full */
	for (i = 0; i < 150; i++) {
		e.base += 2 * PAGE_SIZE;
		if (rl.__nr_chunks == 1 &&
		    rl.__dir[0]->nr_words == rl_chunk_cap(0)) {
			a.fail_at = a.attempts;
			ret = rl_append_reserved(&rl, &e, rl_entry_words(&e));
			a.fail_at = -1;
			KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
			expect_model(test, &rl, &m);
		}
		ret = rl_append_reserved(&rl, &e, rl_entry_words(&e));
		KUNIT_ASSERT_EQ(test, ret, 0);
		model_append(&m, &e, false);
	}
	KUNIT_EXPECT_GT(test, rl.__nr_chunks, 1);
	expect_model(test, &rl, &m);
	rlist_destroy(&rl);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/*
 * rl_rewind() undoes whatever was appended since rl_mark(): new entries,
 * new chunks, a merge into the last entry, one that moved it to a new chunk.
 */
static void rlist_test_mark_rewind(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rnd_state rnd;
	unsigned int round;

	prandom_seed_state(&rnd, seed + 3);
	rlist_kunit_alloc_track(test, &a);
	for (round = 0; round < 200; round++) {
		unsigned long before = rnd_below(&rnd, round < 100 ? 4 : 400);
		unsigned long after = 1 + rnd_below(&rnd, 300);
		struct rlist_entry e;
		struct rl_mark mark;
		struct model m, m2;
		struct rlist rl;
		unsigned long i;

		/* then up to 50 more after the rewind */
		model_init(test, &m, before + 50);
		model_init(test, &m2, before + after);
		rlist_init(&rl);
		for (i = 0; i < before; i++) {
			gen_entry(&rnd, &m, &e);
			KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0,
							   GFP_KERNEL), 0);
			model_append(&m, &e, true);
			model_append(&m2, &e, true);
		}
		rl_mark(&rl, &mark);
		for (i = 0; i < after; i++) {
			gen_entry(&rnd, &m2, &e);
			if (rlist_append(&rl, &e, 0, GFP_KERNEL))
				break;	/* the list's length would wrap */
			model_append(&m2, &e, true);
		}
		expect_model(test, &rl, &m2);
		rl_rewind(&rl, &mark);
		expect_model(test, &rl, &m);
		/* and the list goes on from there */
		for (i = 0; i < 50; i++) {
			gen_entry(&rnd, &m, &e);
			if (rlist_append(&rl, &e, 0, GFP_KERNEL))
				break;
			model_append(&m, &e, true);
		}
		expect_model(test, &rl, &m);
		rlist_destroy(&rl);
		kunit_kfree(test, m.e);
		kunit_kfree(test, m.pos);
		kunit_kfree(test, m2.e);
		kunit_kfree(test, m2.pos);
		if (test->status == KUNIT_FAILURE)
			break;
	}
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/* Destroy frees every chunk in one bulk call, plus the directory. */
static void rlist_test_destroy_bulk(struct kunit *test)
{
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct rlist_entry e;
	struct rlist rl;
	unsigned long i;
	long calls;

	rlist_kunit_alloc_track(test, &a);
	rlist_init(&rl);
	for (i = 0; i < 100000; i++) {
		e = (struct rlist_entry){ .base = (2 * i) << PAGE_SHIFT,
					  .length = PAGE_SIZE };
		KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	}
	calls = a.free_calls;
	rlist_destroy(&rl);
	KUNIT_EXPECT_EQ(test, a.free_calls - calls, 2);
	KUNIT_EXPECT_GT(test, a.frees, 90);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/*
 * The memory bars: at most 8 bytes (aim: 4) per scattered 4 KiB page, one
 * entry per contiguous run whatever its length, nothing for one entry.
 * Scatterlist costs 32.25 bytes per entry (127 entries + a chain link per
 * 4 KiB chunk).
 */
static void rlist_test_memory(struct kunit *test)
{
	const unsigned long npages = 262144;	/* 1 GiB of 4 KiB pages */
	struct rlist_entry e;
	struct rlist rl;
	unsigned long i;
	size_t mem;

	rlist_init(&rl);
	for (i = 0; i < npages; i++) {
		/* No two pages adjacent: the worst case for merging. */
		e = (struct rlist_entry){ .base = (3 * (u64)i + 1) << PAGE_SHIFT,
					  .length = PAGE_SIZE };
		KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	}
	KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rl), npages);
	mem = rlist_memory(&rl);
	kunit_info(test, "scattered pages: %zu bytes for %lu pages: %lu.%02lu B/page (scatterlist 32.25)\n",
		   mem, npages, mem / npages, (mem % npages) * 100 / npages);
	KUNIT_EXPECT_LE(test, mem, npages * 8);
	KUNIT_EXPECT_LE(test, mem * 100, npages * 410);	/* <= 4.1 B/page */
	rlist_destroy(&rl);

	/* 1 GiB in 2 MiB runs, none adjacent: 512 entries. */
	rlist_init(&rl);
	for (i = 0; i < 512; i++) {
		e = (struct rlist_entry){ .base = (4 * (u64)i + 2) << 21,
					  .length = 2 << 20 };
		KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	}
	mem = rlist_memory(&rl);
	kunit_info(test, "2 MiB runs: %zu bytes for 512 runs: %zu B/run (scatterlist 32.25)\n",
		   mem, mem / 512);
	KUNIT_EXPECT_LE(test, mem, 512 * 8 + 2048);
	rlist_destroy(&rl);

	/* A run of contiguous pages, longer than 4 GiB, is one entry. */
	rlist_init(&rl);
	for (i = 0; i < (8ULL << 30) >> 21; i++) {
		e = (struct rlist_entry){ .base = (1ULL << 32) + ((u64)i << 21),
					  .length = 2 << 20 };
		KUNIT_ASSERT_EQ(test, rlist_append(&rl, &e, 0, GFP_KERNEL), 0);
	}
	KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rl), 1);
	KUNIT_EXPECT_EQ(test, rlist_length(&rl), 8ULL << 30);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rl), 0);
	kunit_info(test, "single entry (8 GiB run): %zu bytes besides the %zu-byte struct rlist\n",
		   rlist_memory(&rl), sizeof(rl));
	rlist_destroy(&rl);
}

static struct kunit_case rlist_storage_test_cases[] = {
	KUNIT_CASE(rlist_test_empty),
	KUNIT_CASE(rlist_test_bad_input),
	KUNIT_CASE(rlist_test_merge_rules),
	KUNIT_CASE(rlist_test_encodings),
	KUNIT_CASE(rlist_test_random),
	KUNIT_CASE(rlist_test_full_chunks),
	KUNIT_CASE(rlist_test_alloc_failure),
	KUNIT_CASE(rlist_test_preload),
	KUNIT_CASE(rlist_test_append_end_frees_directory),
	KUNIT_CASE(rlist_test_append_reserved_failure),
	KUNIT_CASE(rlist_test_mark_rewind),
	KUNIT_CASE(rlist_test_destroy_bulk),
	KUNIT_CASE(rlist_test_memory),
	{}
};

struct kunit_suite rlist_storage_test_suite = {
	.name = "rlist_storage",
	.test_cases = rlist_storage_test_cases,
};

kunit_test_suites(&rlist_storage_test_suite, &rlist_cpu_test_suite,
		  &rlist_dma_test_suite);

MODULE_DESCRIPTION("KUnit tests for range lists");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
