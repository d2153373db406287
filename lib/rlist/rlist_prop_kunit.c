// SPDX-License-Identifier: GPL-2.0-only
/*
 * Property test of range lists: many random lists through build, iterate,
 * seek, dma_map_rlist(), DMA range/segment/block walks, sync and unmap,
 * each compared with a reference model.
 *
 * Every list is described by random choices (storage kind, pieces of a pool
 * of pages and folios, offsets, lengths, device, direction, segmentation).
 * The same choices build the list under test and a plain array of
 * {phys, len} pieces.  The model merges and cuts that array with the rules of
 * Documentation/core-api/rlist.rst, never with rlist code, and predicts what
 * each step must give.  Bytes are checked where the device sees them
 * (phys_to_virt(dma_to_phys())), so dma-direct identity, swiotlb bouncing
 * and non-coherent devices are all covered.
 *
 * The same pieces also become DMA lists built by hand (relative and absolute
 * ranges that touch, ranges at the very top of the 64-bit space followed by
 * address 0) and identity views (providers whose ranges touch), walked by
 * ranges, segments and blocks, with the best block size and the block count
 * for random hardware addresses (up to the top of the space, and empty
 * lists at unaligned ones), against the same kind of model.
 *
 * The random choices of list i come from prandom seeded with the run's seed
 * and i.  To rerun a failing list, pass the printed seed and the list index:
 *
 *   kunit.py run ... --kernel_args rlist_prop.seed=0x... \
 *	--kernel_args rlist_prop.first=<i> --kernel_args rlist_prop.lists=1
 *
 * or, as a module, modprobe rlist_prop seed=0x... first=<i> lists=1.  The
 * pool pages come from the page allocator, so which of them happen to be
 * physically adjacent may differ from one boot to the next; the choices are
 * the same.
 */
#include <kunit/test.h>
#include <kunit/device.h>
#include <linux/bvec.h>
#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-rlist.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rlist.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/swiotlb.h>

#include "rlist_kunit.h"

static unsigned long long seed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "seed of the random lists, 0: pick one");

static unsigned long lists = 100000;
module_param(lists, ulong, 0444);
MODULE_PARM_DESC(lists, "number of random lists");

static unsigned long first;
module_param(first, ulong, 0444);
MODULE_PARM_DESC(first, "index of the first list, to rerun one list");

static unsigned int content = 4;
module_param(content, uint, 0444);
MODULE_PARM_DESC(content, "check the bytes of one list in this many");

/* The pool: order-0 folios and larger ones, so that neighbours occur. */
#define RP_NR_SMALL	64
#define RP_NR_LARGE	16
#define RP_NR_POOL	(RP_NR_SMALL + RP_NR_LARGE)
#define RP_MAX_ORDER	4

#define RP_MAX_PIECES	32
/* Below swiotlb's largest mapping, so that no range is cut into pieces. */
#define RP_MAX_LEN	(128 * 1024)
/*
 * Two pieces of a list never share such a line unless the second continues
 * the first: DMA API debugging refuses overlapping mappings, and bytes
 * written by the device must have one place in the list.
 */
#define RP_LINE		128

/* Provider ranges: two fake BARs, one right after the other. */
#define RP_PROV_A	0xfffffff0U
#define RP_PROV_B	0xfffffff1U
#define RP_BAR_A	BIT_ULL(40)
#define RP_BAR_SIZE	SZ_1M

enum rp_kind {
	RP_NATIVE,
	RP_PAGES,
	RP_BVEC,
	RP_SGTABLE,
	RP_NR_KINDS,
};

static const char * const rp_kind_name[] = {
	"native", "pages", "bvec", "sgtable",
};

struct rp_folio {
	struct folio *folio;
	phys_addr_t phys;
	size_t size;
};

/* A piece as chosen, and a range of the model. */
struct rp_range {
	phys_addr_t phys;
	u64 len;
	u64 pos;
	u32 prov;
};

/* A DMA piece: range, segment or block. */
struct rp_dma {
	dma_addr_t addr;
	u64 len;
	u64 pos;
};

/*
 * A piece of a DMA list: its DMA address (once based), length and kind:
 * RLIST_DMA_RELATIVE or RLIST_DMA_ABSOLUTE in a list built by hand, the
 * provider (0: memory) in an identity view.
 */
struct rp_dpiece {
	u64 addr;
	u64 len;
	u32 kind;
};

#define RP_MAX_DPIECES	(3 * RP_MAX_PIECES)

struct rp_ctx {
	struct kunit *test;
	struct rnd_state rnd;
	unsigned long idx;
	bool failed;

	struct device *dev[2];
	u64 dev_off[2];

	struct rp_folio pool[RP_NR_POOL];

	/* the list under test */
	enum rp_kind kind;
	struct rlist_cpu rc;
	struct page *pages[RP_MAX_PIECES];
	struct bio_vec bv[RP_MAX_PIECES];
	struct scatterlist sgl[RP_MAX_PIECES];
	struct sg_table sgt;

	/* the model: pieces as chosen, then merged ranges */
	struct rp_range pc[RP_MAX_PIECES];
	unsigned int nr_pc;
	struct rp_range mr[RP_MAX_PIECES];
	unsigned int nr_mr;
	u64 mlen;

	/* the mapping */
	unsigned int d;
	enum dma_data_direction dir;
	struct rlist_dma_segmentation seg;
	bool has_seg;
	struct rp_dma dr[2 * RP_MAX_PIECES];
	unsigned int nr_dr;
	u8 salt;

	/* DMA lists built by hand: pieces, base, the model's ranges */
	const char *shape;
	struct rp_dpiece dp[RP_MAX_DPIECES];
	unsigned int nr_dp;
	u64 dbase;
	struct rp_dma dm[RP_MAX_DPIECES];
	unsigned int nr_dm;
	u64 dmlen;
	u64 hwva;

	/* statistics */
	unsigned long nr_ranges, nr_merged, nr_mapped, nr_bytes_checked;
	unsigned long nr_overflow, nr_bad, nr_enodev, nr_bounced;
	unsigned long per_kind[RP_NR_KINDS];
	unsigned long nr_shapes, nr_type_merges, nr_prov_merges, nr_top_wrap;
	unsigned long nr_top_blocks, nr_empty_hwva, nr_best;
};

/* ---- randomness ---- */

static u32 rp_rand(struct rp_ctx *c, u32 n)
{
	return n ? prandom_u32_state(&c->rnd) % n : 0;
}

static bool rp_chance(struct rp_ctx *c, u32 in)
{
	return !rp_rand(c, in);
}

/* Byte @pos of the pattern @salt: changes with every position. */
static u8 rp_pattern(u8 salt, u64 pos)
{
	u32 x = (u32)pos * 2654435761U + salt * 40503U;

	return (x >> 24) ^ (pos >> 16);
}

/* ---- failure reports ---- */

static void rp_dump(struct rp_ctx *c)
{
	struct kunit *test = c->test;
	unsigned int i;

	kunit_err(test, "rlist_prop: seed 0x%llx list %lu: kind %s, %u pieces, %u model ranges, length %llu\n",
		  seed, c->idx, rp_kind_name[c->kind], c->nr_pc, c->nr_mr,
		  c->mlen);
	for (i = 0; i < c->nr_pc; i++)
		kunit_err(test, "  piece %u: phys %pa len %llu prov %#x\n", i,
			  &c->pc[i].phys, c->pc[i].len, c->pc[i].prov);
	for (i = 0; i < c->nr_mr; i++)
		kunit_err(test, "  range %u: phys %pa len %llu pos %llu prov %#x\n",
			  i, &c->mr[i].phys, c->mr[i].len, c->mr[i].pos,
			  c->mr[i].prov);
	kunit_err(test, "  device %u (offset %#llx), dir %d, seg %s max %#llx boundary %#llx align %#llx\n",
		  c->d, c->dev_off[c->d], c->dir, c->has_seg ? "yes" : "no",
		  c->seg.max_segment_size, c->seg.segment_boundary_mask,
		  c->seg.min_align_mask);
	for (i = 0; i < c->nr_dr; i++)
		kunit_err(test, "  dma range %u: addr %pad len %llu pos %llu\n",
			  i, &c->dr[i].addr, c->dr[i].len, c->dr[i].pos);
	if (!c->shape)
		return;
	kunit_err(test, "  DMA list built by hand (%s), base %#llx, hwva %#llx:\n",
		  c->shape, c->dbase, c->hwva);
	for (i = 0; i < c->nr_dp; i++)
		kunit_err(test, "  dma piece %u: addr %#llx len %llu kind %u\n",
			  i, c->dp[i].addr, c->dp[i].len, c->dp[i].kind);
	for (i = 0; i < c->nr_dm; i++)
		kunit_err(test, "  model dma range %u: addr %#llx len %llu pos %llu\n",
			  i, (u64)c->dm[i].addr, c->dm[i].len, c->dm[i].pos);
}

static __printf(2, 3) bool rp_fail(struct rp_ctx *c, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (c->failed)
		return false;
	c->failed = true;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	KUNIT_FAIL(c->test, "rlist_prop: seed 0x%llx list %lu: %pV", seed,
		   c->idx, &vaf);
	va_end(args);
	rp_dump(c);
	return false;
}

/* Check @cond; on failure report and make the caller stop. */
#define RP_CHECK(c, cond, fmt, ...)					\
	((cond) ? true : rp_fail(c, "%s: " fmt, #cond, ##__VA_ARGS__))

/* ---- the pool ---- */

static int rp_pool_cmp(const void *a, const void *b)
{
	const struct rp_folio *x = a, *y = b;

	return x->phys < y->phys ? -1 : x->phys > y->phys;
}

/* The pool folio holding @phys, or NULL. */
static const struct rp_folio *rp_pool_find(struct rp_ctx *c, phys_addr_t phys)
{
	unsigned int lo = 0, hi = RP_NR_POOL;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct rp_folio *f = &c->pool[mid];

		if (phys < f->phys)
			hi = mid;
		else if (phys - f->phys >= f->size)
			lo = mid + 1;
		else
			return f;
	}
	return NULL;
}

/* Is @phys in a bounce buffer of @dev? */
static bool rp_bounce_buffer(struct device *dev, phys_addr_t phys)
{
#if IS_MODULE(CONFIG_RLIST_PROP_KUNIT_TEST) && IS_ENABLED(CONFIG_SWIOTLB_DYNAMIC)
	/* Modules cannot search the dynamic pools: the default one only. */
	struct io_tlb_mem *mem = dev->dma_io_tlb_mem;

	return mem && phys >= mem->defpool.start && phys < mem->defpool.end;
#else
	return swiotlb_find_pool(dev, phys);
#endif
}

/* Is [phys, phys + len) pool memory or a bounce buffer of the device? */
static bool rp_known_memory(struct rp_ctx *c, phys_addr_t phys, u64 len)
{
	struct device *dev = c->dev[c->d];
	const struct rp_folio *f = rp_pool_find(c, phys);

	if (f) {
		/* a range may span pool folios that happen to be adjacent */
		while (f && len > f->size - (phys - f->phys)) {
			len -= f->size - (phys - f->phys);
			phys = f->phys + f->size;
			f = rp_pool_find(c, phys);
		}
		return f;
	}
	return rp_bounce_buffer(dev, phys) &&
	       rp_bounce_buffer(dev, phys + len - 1);
}

/* ---- building the model ---- */

static bool rp_lines_overlap(const struct rp_range *a, phys_addr_t phys,
			     u64 len)
{
	phys_addr_t as = ALIGN_DOWN(a->phys, RP_LINE);
	phys_addr_t ae = ALIGN(a->phys + a->len, RP_LINE);

	return ALIGN_DOWN(phys, RP_LINE) < ae && ALIGN(phys + len, RP_LINE) > as;
}

/*
 * May [phys, phys + len) of memory be the next piece?  It must not share a
 * line with another piece, unless it continues the last one exactly, and
 * the list must stay below RP_MAX_LEN.
 */
static bool rp_piece_ok(struct rp_ctx *c, phys_addr_t phys, u64 len)
{
	unsigned int i, n = c->nr_pc;
	u64 total = 0;

	for (i = 0; i < n; i++)
		total += c->pc[i].len;
	if (n == RP_MAX_PIECES || total + len > RP_MAX_LEN)
		return false;
	if (n && !c->pc[n - 1].prov &&
	    c->pc[n - 1].phys + c->pc[n - 1].len == phys)
		n--;
	for (i = 0; i < n; i++)
		if (!c->pc[i].prov && rp_lines_overlap(&c->pc[i], phys, len))
			return false;
	return true;
}

static void rp_add_piece(struct rp_ctx *c, phys_addr_t phys, u64 len, u32 prov)
{
	c->pc[c->nr_pc++] = (struct rp_range){ .phys = phys, .len = len,
					       .prov = prov };
}

/*
 * The model: pieces that are physically contiguous and of the same kind
 * (memory, or the same provider) are one range (rlist.rst, "The CPU
 * iterator"), but none continues past the top of the address space to a
 * piece at 0 (rlist.h, enum rlist_cpu_step); empty pieces are dropped.
 */
static void rp_model(struct rp_ctx *c)
{
	unsigned int i;

	c->nr_mr = 0;
	c->mlen = 0;
	for (i = 0; i < c->nr_pc; i++) {
		const struct rp_range *p = &c->pc[i];
		struct rp_range *last = c->nr_mr ? &c->mr[c->nr_mr - 1] : NULL;

		if (!p->len)
			continue;
		if (last && last->prov == p->prov && p->phys &&
		    last->phys + last->len == p->phys) {
			last->len += p->len;
			c->nr_merged++;
		} else {
			c->mr[c->nr_mr++] = (struct rp_range){
				.phys = p->phys, .len = p->len,
				.pos = c->mlen, .prov = p->prov };
		}
		c->mlen += p->len;
	}
}

/* Model flags: interior boundaries page aligned, provider ranges. */
static unsigned int rp_model_flags(struct rp_ctx *c)
{
	unsigned int i, flags = RLIST_CPU_PAGELIST;

	for (i = 0; i < c->nr_mr; i++) {
		if (c->mr[i].prov)
			flags |= RLIST_CPU_MAY_P2P;
		if (i && (!PAGE_ALIGNED(c->mr[i].phys) ||
			  !PAGE_ALIGNED(c->mr[i - 1].phys + c->mr[i - 1].len)))
			flags &= ~RLIST_CPU_PAGELIST;
	}
	return flags;
}

/* A random pool folio, half the time a large one. */
static const struct rp_folio *rp_pick_folio(struct rp_ctx *c)
{
	const struct rp_folio *f;

	do {
		f = &c->pool[rp_rand(c, RP_NR_POOL)];
	} while (rp_chance(c, 2) && f->size == PAGE_SIZE);
	return f;
}

/* A random length of at most @room bytes: tiny, odd or whole. */
static u64 rp_pick_len(struct rp_ctx *c, u64 room)
{
	switch (rp_rand(c, 4)) {
	case 0:
		return 1 + rp_rand(c, min_t(u64, room, 64));
	case 1:
		return room;
	default:
		return 1 + rp_rand(c, room);
	}
}

/*
 * A random piece of memory inside one folio (@in_page: inside one page):
 * sometimes right after the last piece, so that ranges merge.
 */
static bool rp_pick_mem(struct rp_ctx *c, bool in_page, phys_addr_t *phys,
			u64 *len, const struct rp_folio **fp)
{
	const struct rp_folio *f;
	unsigned int tries;
	u64 off, room;

	for (tries = 0; tries < 8; tries++) {
		const struct rp_range *last = c->nr_pc ?
					      &c->pc[c->nr_pc - 1] : NULL;

		f = NULL;
		if (last && !last->prov && rp_chance(c, 3))
			f = rp_pool_find(c, last->phys + last->len);
		if (f) {
			/* continue the last piece */
			off = last->phys + last->len - f->phys;
		} else {
			f = rp_pick_folio(c);
			off = rp_chance(c, 3) ? rp_rand(c, f->size) :
			      (u64)rp_rand(c, f->size >> PAGE_SHIFT) << PAGE_SHIFT;
		}
		room = f->size - off;
		if (in_page)
			room = min_t(u64, room, PAGE_SIZE - offset_in_page(off));
		*phys = f->phys + off;
		*len = rp_pick_len(c, room);
		*fp = f;
		if (rp_piece_ok(c, *phys, *len))
			return true;
	}
	return false;
}

/* ---- building the list under test ---- */

/* Deliberately bad appends to a native list: errno, list unchanged. */
static bool rp_bad_append(struct rp_ctx *c, bool ended)
{
	const struct rp_folio *f = rp_pick_folio(c);
	struct page *page = folio_page(f->folio, 0);
	u64 len = rlist_cpu_length(&c->rc);
	unsigned int flags = rlist_cpu_flags(&c->rc);
	unsigned int k = ended ? 0 : 1 + rp_rand(c, 6);
	int ret, want;

	c->nr_bad++;
	switch (k) {
	case 0:
		want = -EINVAL;
		ret = rlist_cpu_append_page(&c->rc, page, 0, 1, GFP_KERNEL);
		break;
	case 1:
		want = -EINVAL;
		ret = rlist_cpu_append_page(&c->rc, page, rp_rand(c, PAGE_SIZE),
					    0, GFP_KERNEL);
		break;
	case 2:
		want = -EINVAL;
		ret = rlist_cpu_append_page(&c->rc, page, PAGE_SIZE - 8,
					    9 + rp_rand(c, 100), GFP_KERNEL);
		break;
	case 3: {
		size_t off = rp_rand(c, f->size);

		/* past the end of the folio */
		want = -EINVAL;
		ret = rlist_cpu_append_folio(&c->rc, f->folio, off,
					     f->size - off + 1 + rp_rand(c, 10),
					     GFP_KERNEL);
		break;
	}
	case 4:
		/* a zero length, a zero provider, or both */
		want = rp_rand(c, 3);
		ret = rlist_cpu_append_phys(&c->rc, RP_BAR_A,
					    want & 1 ? PAGE_SIZE : 0,
					    want & 2 ? RP_PROV_A : 0,
					    GFP_KERNEL);
		want = -EINVAL;
		break;
	case 5:
		want = -EOVERFLOW;
		ret = rlist_cpu_append_phys(&c->rc,
					    (phys_addr_t)~0ULL - rp_rand(c, 4096),
					    4097 + rp_rand(c, 1 << 20),
					    RP_PROV_A, GFP_KERNEL);
		break;
	default:
		want = -EINVAL;
		ret = rlist_cpu_append_folio(&c->rc, f->folio, f->size, 1,
					     GFP_KERNEL);
		break;
	}
	return RP_CHECK(c, ret == want, "bad append %u: %d, model %d", k, ret,
			want) &&
	       RP_CHECK(c, rlist_cpu_length(&c->rc) == len,
			"length %llu after a failed append, was %llu",
			rlist_cpu_length(&c->rc), len) &&
	       RP_CHECK(c, rlist_cpu_flags(&c->rc) == flags,
			"flags %#x after a failed append, were %#x",
			rlist_cpu_flags(&c->rc), flags);
}

static bool rp_build_native(struct rp_ctx *c)
{
	unsigned int n = 1 + rp_rand(c, rp_chance(c, 4) ? RP_MAX_PIECES : 8);
	bool p2p = rp_chance(c, 16);
	bool bad = rp_chance(c, 32);
	unsigned int i, j;
	int ret;

	rlist_cpu_init(&c->rc);
	for (i = 0; i < n && c->nr_pc < RP_MAX_PIECES; i++) {
		const struct rp_folio *f;
		phys_addr_t phys;
		u64 len;

		if (bad && i == n / 2 && !rp_bad_append(c, false))
			return false;
		if (p2p && c->nr_pc + 1 < RP_MAX_PIECES && rp_chance(c, 8)) {
			/*
			 * A provider range that ends at the top of the
			 * physical address space, then one at address 0.
			 */
			u64 top = 1 + rp_rand(c, 2 * PAGE_SIZE);
			u32 prov = rp_chance(c, 2) ? RP_PROV_A : RP_PROV_B;

			len = 1 + rp_rand(c, 2 * PAGE_SIZE);
			ret = rlist_cpu_append_phys(&c->rc, -top, top, prov,
						    GFP_KERNEL) ?:
			      rlist_cpu_append_phys(&c->rc, 0, len, prov,
						    GFP_KERNEL);
			if (!RP_CHECK(c, !ret, "append_phys at the top: %d",
				      ret))
				return false;
			rp_add_piece(c, -top, top, prov);
			rp_add_piece(c, 0, len, prov);
			continue;
		}
		if (p2p && rp_chance(c, 2)) {
			const struct rp_range *last = c->nr_pc ?
					&c->pc[c->nr_pc - 1] : NULL;
			u32 prov = rp_chance(c, 2) ? RP_PROV_A : RP_PROV_B;

			if (last && last->prov && rp_chance(c, 2)) {
				/* contiguous: same provider or the next BAR */
				phys = last->phys + last->len;
				prov = phys - RP_BAR_A < RP_BAR_SIZE ?
				       RP_PROV_A : RP_PROV_B;
				if (phys == RP_BAR_A + RP_BAR_SIZE &&
				    rp_chance(c, 2))
					prov = RP_PROV_A;	/* past its BAR */
			} else {
				phys = RP_BAR_A + rp_rand(c, 2 * RP_BAR_SIZE);
			}
			len = 1 + rp_rand(c, 3 * PAGE_SIZE);
			ret = rlist_cpu_append_phys(&c->rc, phys, len, prov,
						    GFP_KERNEL);
			if (!RP_CHECK(c, !ret, "append_phys: %d", ret))
				return false;
			rp_add_piece(c, phys, len, prov);
			continue;
		}
		switch (rp_rand(c, 3)) {
		case 0:
			if (!rp_pick_mem(c, true, &phys, &len, &f))
				continue;
			ret = rlist_cpu_append_page(&c->rc,
						    pfn_to_page(PHYS_PFN(phys)),
						    offset_in_page(phys), len,
						    GFP_KERNEL);
			if (!RP_CHECK(c, !ret, "append_page: %d", ret))
				return false;
			rp_add_piece(c, phys, len, 0);
			break;
		case 1:
			if (!rp_pick_mem(c, false, &phys, &len, &f))
				continue;
			ret = rlist_cpu_append_folio(&c->rc, f->folio,
						     phys - f->phys, len,
						     GFP_KERNEL);
			if (!RP_CHECK(c, !ret, "append_folio: %d", ret))
				return false;
			rp_add_piece(c, phys, len, 0);
			break;
		default: {
			/* whole pages: a run of a folio or scattered pages */
			unsigned int k = 1 + rp_rand(c, 4), nr = 0;
			struct page *pages[4];

			f = rp_pick_folio(c);
			phys = f->phys + ((u64)rp_rand(c, f->size >> PAGE_SHIFT)
					  << PAGE_SHIFT);
			for (j = 0; j < k; j++) {
				if (!rp_piece_ok(c, phys, PAGE_SIZE))
					break;
				pages[nr++] = pfn_to_page(PHYS_PFN(phys));
				rp_add_piece(c, phys, PAGE_SIZE, 0);
				if (rp_chance(c, 2) &&
				    phys + PAGE_SIZE - f->phys < f->size) {
					phys += PAGE_SIZE;
				} else {
					f = rp_pick_folio(c);
					phys = f->phys + PAGE_SIZE *
					       rp_rand(c, f->size >> PAGE_SHIFT);
				}
			}
			ret = rlist_cpu_append_pages(&c->rc, pages, nr,
						     GFP_KERNEL);
			if (!RP_CHECK(c, !ret, "append_pages: %d", ret))
				return false;
			break;
		}
		}
	}
	if (rp_chance(c, 4)) {
		rlist_cpu_append_end(&c->rc);
		if (rp_chance(c, 4) && !rp_bad_append(c, true))
			return false;
	}
	return true;
}

static bool rp_build_pages(struct rp_ctx *c)
{
	unsigned int k = 1 + rp_rand(c, rp_chance(c, 4) ? RP_MAX_PIECES : 8);
	const struct rp_folio *f = rp_pick_folio(c);
	phys_addr_t phys = f->phys + PAGE_SIZE *
			   rp_rand(c, f->size >> PAGE_SHIFT);
	unsigned int i, n = 0, offset;
	u64 len, left;
	int ret;

	for (i = 0; i < k; i++) {
		if (!rp_piece_ok(c, phys, PAGE_SIZE))
			break;
		c->pages[n++] = pfn_to_page(PHYS_PFN(phys));
		rp_add_piece(c, phys, PAGE_SIZE, 0);
		if (rp_chance(c, 3) || phys + PAGE_SIZE - f->phys >= f->size) {
			f = rp_pick_folio(c);
			phys = f->phys + PAGE_SIZE *
			       rp_rand(c, f->size >> PAGE_SHIFT);
		} else {
			phys += PAGE_SIZE;
		}
	}
	offset = rp_chance(c, 2) ? 0 : rp_rand(c, PAGE_SIZE);
	/* all of the pages, or any length up to that (unused last pages) */
	len = (u64)n * PAGE_SIZE - offset;
	if (rp_chance(c, 2))
		len = 1 + rp_rand(c, len);
	if (rp_chance(c, 64)) {
		/* bad: offset or length that does not fit */
		c->nr_bad++;
		ret = rp_chance(c, 2) ?
		      rlist_cpu_init_pages(&c->rc, c->pages, n,
					   PAGE_SIZE + rp_rand(c, 10), 1) :
		      rlist_cpu_init_pages(&c->rc, c->pages, n, offset,
					   (u64)n * PAGE_SIZE - offset + 1);
		if (!RP_CHECK(c, ret == -EINVAL, "bad init_pages: %d", ret))
			return false;
	}
	ret = rlist_cpu_init_pages(&c->rc, c->pages, n, offset, len);
	if (!RP_CHECK(c, !ret, "init_pages: %d", ret))
		return false;
	/* the model: the pages cut to [offset, offset + len) */
	c->pc[0].phys += offset;
	c->pc[0].len -= offset;
	left = len;
	for (i = 0; i < n; i++) {
		c->pc[i].len = min(c->pc[i].len, left);
		left -= c->pc[i].len;
	}
	return true;
}

/* bio_vecs and sg entries: pieces of a folio, some bio_vecs empty. */
static bool rp_build_vec(struct rp_ctx *c, bool sgt)
{
	unsigned int n = 1 + rp_rand(c, rp_chance(c, 4) ? RP_MAX_PIECES : 8);
	unsigned int i, nr = 0;
	int ret;

	for (i = 0; i < n; i++) {
		const struct rp_folio *f;
		struct page *page;
		phys_addr_t phys;
		u64 len;

		if (!sgt && rp_chance(c, 16)) {
			/* an empty bio_vec, which the list skips */
			page = folio_page(rp_pick_folio(c)->folio, 0);
			c->bv[nr++] = (struct bio_vec){ .bv_page = page };
			rp_add_piece(c, page_to_phys(page), 0, 0);
			continue;
		}
		if (!rp_pick_mem(c, false, &phys, &len, &f))
			continue;
		page = pfn_to_page(PHYS_PFN(phys));
		if (sgt)
			c->pages[nr] = page;
		else
			c->bv[nr] = (struct bio_vec){
				.bv_page = page, .bv_len = len,
				.bv_offset = offset_in_page(phys) };
		nr++;
		rp_add_piece(c, phys, len, 0);
	}
	if (!nr) {
		/* the pool is never that full: one page */
		struct page *page = folio_page(c->pool[0].folio, 0);

		rp_add_piece(c, page_to_phys(page), 1, 0);
		c->bv[nr] = (struct bio_vec){ .bv_page = page, .bv_len = 1 };
		c->pages[nr++] = page;
	}
	if (!sgt) {
		ret = rlist_cpu_init_bvec(&c->rc, c->bv, nr);
		return RP_CHECK(c, !ret, "init_bvec: %d", ret);
	}
	sg_init_table(c->sgl, nr);
	for (i = 0; i < nr; i++)
		sg_set_page(&c->sgl[i], c->pages[i], c->pc[i].len,
			    offset_in_page(c->pc[i].phys));
	c->sgt = (struct sg_table){ .sgl = c->sgl, .nents = nr,
				    .orig_nents = nr };
	ret = rlist_cpu_init_sgtable(&c->rc, &c->sgt);
	return RP_CHECK(c, !ret, "init_sgtable: %d", ret);
}

/* Appends to a list that is not native fail and change nothing. */
static bool rp_bad_wrapper(struct rp_ctx *c)
{
	u64 len = rlist_cpu_length(&c->rc);
	int ret;

	c->nr_bad++;
	ret = rlist_cpu_append_page(&c->rc, folio_page(c->pool[0].folio, 0),
				    0, 8, GFP_KERNEL);
	return RP_CHECK(c, ret == -EINVAL, "append to a %s list: %d",
			rp_kind_name[c->kind], ret) &&
	       RP_CHECK(c, rlist_cpu_length(&c->rc) == len,
			"length %llu after a failed append",
			rlist_cpu_length(&c->rc));
}

/* ---- checking the CPU side ---- */

/* Length of the model's piece at @off in range @r for @step. */
static u64 rp_cut(struct rp_ctx *c, const struct rp_range *r, u64 off,
		  enum rlist_cpu_step step)
{
	phys_addr_t phys = r->phys + off;
	u64 left = r->len - off;
	const struct rp_folio *f;

	switch (step) {
	case RLIST_CPU_STEP_PAGE:
		return min_t(u64, left, PAGE_SIZE - offset_in_page(phys));
	case RLIST_CPU_STEP_FOLIO:
		if (r->prov)
			return left;
		f = rp_pool_find(c, phys);
		return f ? min_t(u64, left, f->size - (phys - f->phys)) : 0;
	default:
		return left;
	}
}

/* The iterator at @it must match the model from range @i, offset @off. */
static bool rp_match_piece(struct rp_ctx *c, const struct rlist_cpu_iter *it,
			   unsigned int i, u64 off, enum rlist_cpu_step step)
{
	const struct rp_range *r = &c->mr[i];
	phys_addr_t phys = r->phys + off;
	u64 len = rp_cut(c, r, off, step);
	struct page *page;

	if (!RP_CHECK(c, rlist_cpu_iter_valid(it),
		      "iterator ended before position %llu (step %d)",
		      r->pos + off, step) ||
	    !RP_CHECK(c, it->phys == phys && it->len == len &&
		      it->pos == r->pos + off && it->provider == r->prov,
		      "step %d: piece phys %pa len %llu pos %llu prov %#x, model phys %pa len %llu pos %llu prov %#x",
		      step, &it->phys, it->len, it->pos, it->provider, &phys,
		      len, r->pos + off, r->prov))
		return false;
	page = rlist_cpu_iter_page(it);
	if (r->prov)
		return RP_CHECK(c, !page, "a provider range has a page");
	/* The page the model expects, from the pool folio. */
	return RP_CHECK(c, page && page_to_phys(page) == phys - offset_in_page(phys),
			"page of position %llu", r->pos + off);
}

/* Walk from range @i, offset @off for @max pieces (0: to the end). */
static bool rp_walk(struct rp_ctx *c, struct rlist_cpu_iter *it,
		    unsigned int i, u64 off, enum rlist_cpu_step step,
		    unsigned int max)
{
	unsigned int n = 0;

	for (;;) {
		if (!rp_match_piece(c, it, i, off, step))
			return false;
		c->nr_ranges++;
		off += it->len;
		if (off == c->mr[i].len) {
			i++;
			off = 0;
		}
		rlist_cpu_iter_next(it);
		if (++n == max)
			return true;
		if (i == c->nr_mr)
			return RP_CHECK(c, !rlist_cpu_iter_valid(it),
					"iterator goes past the model, pos %llu",
					it->pos);
	}
}

static bool rp_check_cpu(struct rp_ctx *c)
{
	static const enum rlist_cpu_step steps[] = {
		RLIST_CPU_STEP_RANGE, RLIST_CPU_STEP_FOLIO, RLIST_CPU_STEP_PAGE,
	};
	static const u8 storage[] = {
		[RP_NATIVE] = RLIST_CPU_RLIST, [RP_PAGES] = RLIST_CPU_PAGES,
		[RP_BVEC] = RLIST_CPU_BVEC, [RP_SGTABLE] = RLIST_CPU_SGTABLE,
	};
	struct rlist_cpu_iter it;
	unsigned int flags = rp_model_flags(c), k;

	if (!RP_CHECK(c, rlist_cpu_length(&c->rc) == c->mlen,
		      "length %llu, model %llu", rlist_cpu_length(&c->rc),
		      c->mlen) ||
	    !RP_CHECK(c, rlist_cpu_storage(&c->rc) == storage[c->kind],
		      "storage %d", rlist_cpu_storage(&c->rc)) ||
	    !RP_CHECK(c, rlist_cpu_flags(&c->rc) == flags,
		      "flags %#x, model %#x", rlist_cpu_flags(&c->rc), flags))
		return false;

	/* every range, then every folio or page piece */
	rlist_cpu_iter_start(&it, &c->rc, RLIST_CPU_STEP_RANGE);
	if (!rp_walk(c, &it, 0, 0, RLIST_CPU_STEP_RANGE, 0))
		return false;
	k = 1 + rp_rand(c, 2);
	rlist_cpu_iter_start(&it, &c->rc, steps[k]);
	if (!rp_walk(c, &it, 0, 0, steps[k], 0))
		return false;

	/* seeks to random positions, a few pieces from there */
	for (k = 0; k < 3; k++) {
		enum rlist_cpu_step step = steps[rp_rand(c, 3)];
		u64 pos = rp_rand(c, c->mlen);
		unsigned int i = 0;

		if (k == 2)
			pos = c->mlen - 1;
		while (pos >= c->mr[i].pos + c->mr[i].len)
			i++;
		if (!RP_CHECK(c, rlist_cpu_iter_seek(&it, &c->rc, pos, step),
			      "seek to %llu failed", pos) ||
		    !rp_walk(c, &it, i, pos - c->mr[i].pos, step, 4))
			return false;
	}
	return RP_CHECK(c, !rlist_cpu_iter_seek(&it, &c->rc, c->mlen,
						 RLIST_CPU_STEP_RANGE),
			"seek to the end succeeded");
}

/* ---- the DMA side ---- */

/*
 * Model of a segment (rlist.h, struct rlist_dma_segmentation): at most
 * max_segment_size, never across a multiple of boundary + 1; a cut made
 * because of the size falls on a multiple of min_align_mask + 1 when that
 * leaves a non-empty segment.
 */
static u64 rp_seg_len(const struct rlist_dma_segmentation *s, u64 addr,
		      u64 left)
{
	u64 n = min(left, s->max_segment_size);
	bool by_size = n < left;
	u64 room;

	if (s->segment_boundary_mask != U64_MAX) {
		room = s->segment_boundary_mask + 1 -
		       (addr & s->segment_boundary_mask);
		if (room < n) {
			n = room;
			by_size = false;
		}
	}
	if (by_size && s->min_align_mask) {
		u64 cut = ALIGN_DOWN(addr + n, s->min_align_mask + 1);

		if (cut > addr)
			n = cut - addr;
	}
	return n;
}

/* Segments of the model's ranges seen at @shift above their address. */
static unsigned long rp_nr_segs(struct rp_ctx *c,
				const struct rlist_dma_segmentation *s,
				u64 shift)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < c->nr_mr; i++) {
		u64 addr = c->mr[i].phys + shift, off = 0;

		while (off < c->mr[i].len) {
			off += rp_seg_len(s, addr + off, c->mr[i].len - off);
			n++;
		}
	}
	return n;
}

static void rp_random_seg(struct rp_ctx *c, struct rlist_dma_segmentation *s)
{
	static const u64 sizes[] = { 512, SZ_1K, SZ_4K, SZ_8K, SZ_64K };

	s->max_segment_size = rp_chance(c, 3) ? 1 + rp_rand(c, SZ_64K) :
			      sizes[rp_rand(c, ARRAY_SIZE(sizes))];
	s->segment_boundary_mask = rp_chance(c, 3) ? U64_MAX :
				   (SZ_1K << rp_rand(c, 8)) - 1;
	s->min_align_mask = 0;
	if (rp_chance(c, 3) && s->max_segment_size > 1)
		s->min_align_mask = (1ULL << rp_rand(c,
				     ilog2(s->max_segment_size - 1) + 1)) - 1;
}

/* Where the device sees list byte @pos of DMA range @r. */
static u8 *rp_dev_ptr(struct rp_ctx *c, const struct rp_dma *r, u64 len)
{
	phys_addr_t phys = dma_to_phys(c->dev[c->d], r->addr);

	/* never touch memory the test does not own */
	if (!RP_CHECK(c, rp_known_memory(c, phys, len),
		      "DMA range %pad+%llu is neither pool memory nor a bounce buffer",
		      &r->addr, len))
		return NULL;
	return phys_to_virt(phys);
}

/* CPU address of list byte @pos, from the model. */
static u8 *rp_cpu_ptr(struct rp_ctx *c, u64 pos, u64 *room)
{
	unsigned int i = 0;

	while (pos >= c->mr[i].pos + c->mr[i].len)
		i++;
	*room = c->mr[i].pos + c->mr[i].len - pos;
	return phys_to_virt(c->mr[i].phys + pos - c->mr[i].pos);
}

static void rp_fill_cpu(struct rp_ctx *c, u8 salt)
{
	u64 pos;

	for (pos = 0; pos < c->mlen;) {
		u64 room, k;
		u8 *p = rp_cpu_ptr(c, pos, &room);

		for (k = 0; k < room; k++)
			p[k] = rp_pattern(salt, pos + k);
		pos += room;
	}
}

static bool rp_check_cpu_bytes(struct rp_ctx *c, u8 salt, const char *when)
{
	u64 pos;

	for (pos = 0; pos < c->mlen;) {
		u64 room, k;
		u8 *p = rp_cpu_ptr(c, pos, &room);

		for (k = 0; k < room; k++)
			if (p[k] != rp_pattern(salt, pos + k))
				return rp_fail(c, "%s: CPU byte at %llu is %#x, device wrote %#x",
					       when, pos + k, p[k],
					       rp_pattern(salt, pos + k));
		c->nr_bytes_checked += room;
		pos += room;
	}
	return true;
}

/* The device reads every byte of the list at its DMA address. */
static bool rp_check_dev_bytes(struct rp_ctx *c, u8 salt)
{
	unsigned int i;
	u64 k;

	for (i = 0; i < c->nr_dr; i++) {
		const struct rp_dma *r = &c->dr[i];
		u8 *p = rp_dev_ptr(c, r, r->len);

		if (!p)
			return false;
		for (k = 0; k < r->len; k++)
			if (p[k] != rp_pattern(salt, r->pos + k))
				return rp_fail(c, "device reads %#x at %llu (%pad), CPU %#x",
					       p[k], r->pos + k, &r->addr,
					       rp_pattern(salt, r->pos + k));
		c->nr_bytes_checked += r->len;
	}
	return true;
}

static bool rp_write_dev_bytes(struct rp_ctx *c, u8 salt)
{
	unsigned int i;
	u64 k;

	for (i = 0; i < c->nr_dr; i++) {
		const struct rp_dma *r = &c->dr[i];
		u8 *p = rp_dev_ptr(c, r, r->len);

		if (!p)
			return false;
		for (k = 0; k < r->len; k++)
			p[k] = rp_pattern(salt, r->pos + k);
	}
	return true;
}

/*
 * Collect the DMA ranges; with an exact prediction (no bouncing) they are
 * the model's ranges moved by the device's offset.
 */
static bool rp_check_ranges(struct rp_ctx *c, struct rlist_dma *rd, bool exact)
{
	struct rlist_dma_iter it;
	u64 pos = 0;
	unsigned int i;

	c->nr_dr = 0;
	rlist_dma_for_each_range(rd, &it) {
		if (!RP_CHECK(c, c->nr_dr < ARRAY_SIZE(c->dr),
			      "too many DMA ranges") ||
		    !RP_CHECK(c, it.pos == pos && it.len,
			      "DMA range at %llu, expected at %llu", it.pos,
			      pos))
			return false;
		c->dr[c->nr_dr++] = (struct rp_dma){ .addr = it.addr,
						     .len = it.len,
						     .pos = it.pos };
		pos += it.len;
	}
	if (!RP_CHECK(c, pos == c->mlen && rlist_dma_length(rd) == c->mlen,
		      "DMA length %llu (walked %llu), model %llu",
		      rlist_dma_length(rd), pos, c->mlen))
		return false;
	for (i = 1; i < c->nr_dr; i++)
		if (!RP_CHECK(c, c->dr[i - 1].addr + c->dr[i - 1].len !=
			      c->dr[i].addr, "DMA ranges %u and %u touch",
			      i - 1, i))
			return false;
	if (!exact) {
		/*
		 * In place or bounced: a range in the pool must be the
		 * model's memory at its list position.
		 */
		for (i = 0; i < c->nr_dr; i++) {
			phys_addr_t phys = dma_to_phys(c->dev[c->d],
						       c->dr[i].addr);
			u64 off, room;

			if (!RP_CHECK(c, rp_known_memory(c, phys, c->dr[i].len),
				      "DMA range %u is neither pool memory nor a bounce buffer",
				      i))
				return false;
			if (!rp_pool_find(c, phys))
				continue;
			for (off = 0; off < c->dr[i].len; off += room)
				if (!RP_CHECK(c, rp_cpu_ptr(c, c->dr[i].pos + off,
							    &room) ==
					      phys_to_virt(phys + off),
					      "DMA range %u maps the wrong memory at %llu",
					      i, c->dr[i].pos + off))
					return false;
		}
		return true;
	}
	if (!RP_CHECK(c, c->nr_dr == c->nr_mr, "%u DMA ranges, model %u",
		      c->nr_dr, c->nr_mr))
		return false;
	for (i = 0; i < c->nr_dr; i++) {
		dma_addr_t want = c->mr[i].phys + c->dev_off[c->d];

		if (!RP_CHECK(c, c->dr[i].addr == want &&
			      c->dr[i].len == c->mr[i].len,
			      "DMA range %u: %pad+%llu, model %pad+%llu", i,
			      &c->dr[i].addr, c->dr[i].len, &want,
			      c->mr[i].len))
			return false;
	}
	return true;
}

/* Segments and blocks of the DMA list against the model's cuts. */
static bool rp_check_segs_blocks(struct rp_ctx *c, struct rlist_dma *rd)
{
	struct rlist_dma_segmentation s = c->seg;
	struct rlist_dma_iter it;
	unsigned int i = 0;
	u64 off = 0, bs;

	if (!c->has_seg)
		rp_random_seg(c, &s);
	rlist_dma_for_each_segment(rd, &s, &it) {
		const struct rp_dma *r = &c->dr[i];
		u64 len;

		if (!RP_CHECK(c, i < c->nr_dr, "segment past the DMA ranges"))
			return false;
		len = rp_seg_len(&s, r->addr + off, r->len - off);
		if (!RP_CHECK(c, it.addr == r->addr + off && it.len == len &&
			      it.pos == r->pos + off,
			      "segment %pad+%llu at %llu, model %llx+%llu at %llu (max %#llx boundary %#llx align %#llx)",
			      &it.addr, it.len, it.pos, r->addr + off, len,
			      r->pos + off, s.max_segment_size,
			      s.segment_boundary_mask, s.min_align_mask) ||
		    !RP_CHECK(c, it.len <= s.max_segment_size &&
			      (it.addr & ~s.segment_boundary_mask) ==
			      ((it.addr + it.len - 1) & ~s.segment_boundary_mask),
			      "segment %pad+%llu breaks the limits", &it.addr,
			      it.len))
			return false;
		off += len;
		if (off == r->len) {
			i++;
			off = 0;
		}
	}
	if (!RP_CHECK(c, i == c->nr_dr, "segments end in DMA range %u of %u",
		      i, c->nr_dr))
		return false;

	bs = 512ULL << rp_rand(c, 9);
	i = 0;
	off = 0;
	rlist_dma_for_each_block(rd, bs, &it) {
		const struct rp_dma *r = &c->dr[i];
		dma_addr_t a = r->addr + off;
		u64 len;

		if (!RP_CHECK(c, i < c->nr_dr, "block past the DMA ranges"))
			return false;
		len = min(r->len - off, bs - (a & (bs - 1)));
		if (!RP_CHECK(c, it.addr == ALIGN_DOWN(a, bs) && it.len == len &&
			      it.pos == r->pos + off,
			      "block of %llu: %pad+%llu at %llu, model %llx+%llu at %llu",
			      bs, &it.addr, it.len, it.pos,
			      (u64)ALIGN_DOWN(a, bs), len, r->pos + off))
			return false;
		off += len;
		if (off == r->len) {
			i++;
			off = 0;
		}
	}
	return RP_CHECK(c, i == c->nr_dr, "blocks end in DMA range %u of %u",
			i, c->nr_dr);
}

struct rp_debug {
	u32 *errors, *free, *total;
};

static u32 rp_debug_entries(const struct rp_debug *dbg)
{
	return READ_ONCE(*dbg->total) - READ_ONCE(*dbg->free);
}

/*
 * Would dma-direct map every piece of the model where it is (no swiotlb)?
 * Pieces: the model's ranges cut to dma_max_mapping_size().
 */
static bool rp_exact(struct rp_ctx *c)
{
	struct device *dev = c->dev[c->d];
	size_t max = dma_max_mapping_size(dev);
	unsigned int i;

	if (is_swiotlb_force_bounce(dev))
		return false;
	for (i = 0; i < c->nr_mr; i++) {
		u64 off, len;

		for (off = 0; off < c->mr[i].len; off += len) {
			len = min_t(u64, max, c->mr[i].len - off);
			if (dma_kmalloc_needs_bounce(dev, len, c->dir))
				return false;
		}
	}
	return true;
}

static bool rp_check_dma(struct rp_ctx *c, const struct rp_debug *dbg)
{
	static const enum dma_data_direction dirs[] = {
		DMA_TO_DEVICE, DMA_FROM_DEVICE, DMA_BIDIRECTIONAL,
	};
	unsigned int flags = rp_model_flags(c);
	bool check = content && rp_chance(c, content);
	bool p2p = flags & RLIST_CPU_MAY_P2P;
	u32 errors = 0, entries = 0;
	struct rlist_dma rd;
	struct device *dev;
	bool exact, bad_seg = false;
	int ret, want = 0;

	c->d = rp_rand(c, 2);
	dev = c->dev[c->d];
	c->dir = dirs[rp_rand(c, 3)];
	c->has_seg = rp_chance(c, 2);
	c->salt = prandom_u32_state(&c->rnd);
	if (c->has_seg) {
		rp_random_seg(c, &c->seg);
		if (!p2p && rp_chance(c, 64)) {
			/* bad: zero size, mask or alignment not 2^n - 1 */
			bad_seg = true;
			c->nr_bad++;
			switch (rp_rand(c, 3)) {
			case 0:
				c->seg.max_segment_size = 0;
				break;
			case 1:
				c->seg.segment_boundary_mask = SZ_4K;
				break;
			default:
				c->seg.min_align_mask =
					c->seg.max_segment_size;
			}
		}
	}
	exact = !p2p && rp_exact(c);
	if (bad_seg) {
		want = -EINVAL;
	} else if (p2p) {
		/* the fake providers are not registered */
		want = -ENODEV;
		c->nr_enodev++;
	} else if (exact && c->has_seg &&
		   rp_nr_segs(c, &c->seg, c->dev_off[c->d]) >
		   rp_nr_segs(c, &c->seg, 0)) {
		/* more segments in DMA space than in the CPU list */
		want = -EOVERFLOW;
	}
	if (check && !p2p)
		rp_fill_cpu(c, c->salt);
	if (dbg) {
		errors = READ_ONCE(*dbg->errors);
		entries = rp_debug_entries(dbg);
	}

	ret = dma_map_rlist(dev, &c->rc, &rd, c->has_seg ? &c->seg : NULL,
			    c->dir, 0, GFP_KERNEL);
	if (!exact && !p2p && !bad_seg && c->has_seg && ret == -EOVERFLOW)
		want = ret;	/* bounce buffers: cannot be predicted */
	if (want == -EOVERFLOW)
		c->nr_overflow++;
	if (ret != want) {
		rp_fail(c, "dma_map_rlist: %d, model %d", ret, want);
		if (!ret)
			dma_unmap_rlist(dev, &c->rc, &rd, c->dir, 0);
		return false;
	}
	if (ret)
		goto out_debug;
	c->nr_mapped++;
	if (!exact)
		c->nr_bounced++;

	if (!RP_CHECK(c, rlist_dma_is_identity(&rd) ==
		      (exact && !c->dev_off[c->d] && dev_is_dma_coherent(dev)),
		      "identity mapping %d", rlist_dma_is_identity(&rd)) ||
	    !rp_check_ranges(c, &rd, exact) || !rp_check_segs_blocks(c, &rd))
		goto out_unmap;

	if (check && c->dir != DMA_FROM_DEVICE && !rp_check_dev_bytes(c, c->salt))
		goto out_unmap;
	dma_sync_rlist_for_cpu(dev, &c->rc, &rd, c->dir);
	dma_sync_rlist_for_device(dev, &c->rc, &rd, c->dir);
	if (check && c->dir != DMA_TO_DEVICE) {
		/* the device writes; the CPU sees it after sync or unmap */
		if (!rp_write_dev_bytes(c, c->salt ^ 0x5a))
			goto out_unmap;
		if (rp_chance(c, 2)) {
			dma_sync_rlist_for_cpu(dev, &c->rc, &rd, c->dir);
			if (!rp_check_cpu_bytes(c, c->salt ^ 0x5a, "sync"))
				goto out_unmap;
		} else {
			dma_unmap_rlist(dev, &c->rc, &rd, c->dir, 0);
			if (!rp_check_cpu_bytes(c, c->salt ^ 0x5a, "unmap"))
				return false;
			goto out_debug;
		}
	}
out_unmap:
	dma_unmap_rlist(dev, &c->rc, &rd, c->dir, 0);
	if (c->failed)
		return false;
out_debug:
	if (dbg)
		return RP_CHECK(c, rp_debug_entries(dbg) == entries,
				"dma-debug holds %u entries, %u before",
				rp_debug_entries(dbg), entries) &&
		       RP_CHECK(c, READ_ONCE(*dbg->errors) == errors,
				"dma-debug counted %u errors",
				READ_ONCE(*dbg->errors) - errors);
	return true;
}

/* ---- DMA lists built by hand, and identity views ---- */

static u64 rp_rand64(struct rp_ctx *c)
{
	return (u64)prandom_u32_state(&c->rnd) << 32 | prandom_u32_state(&c->rnd);
}

/*
 * The model's DMA ranges of the pieces (rlist.h, enum rlist_dma_step):
 * pieces that touch in DMA space are one range, whatever their kinds (types
 * or providers); a piece at address 0 continues nothing (only a range
 * ending at the top of the space would end right before it).  @merges
 * counts the pieces merged with one of another kind.
 */
static void rp_dma_model(struct rp_ctx *c, unsigned long *merges)
{
	unsigned int i;

	c->nr_dm = 0;
	c->dmlen = 0;
	for (i = 0; i < c->nr_dp; i++) {
		const struct rp_dpiece *p = &c->dp[i];
		struct rp_dma *last = c->nr_dm ? &c->dm[c->nr_dm - 1] : NULL;

		if (last && p->addr && last->addr + last->len == p->addr) {
			last->len += p->len;
			if (p->kind != c->dp[i - 1].kind)
				(*merges)++;
		} else {
			c->dm[c->nr_dm++] = (struct rp_dma){
				.addr = p->addr, .len = p->len,
				.pos = c->dmlen };
		}
		c->dmlen += p->len;
	}
}

/*
 * The best block size by brute force (rlist_dma_find_best_blocksz()): the
 * largest size S of @bitmap at which HW VA and DMA addresses agree below S
 * at the start of every model range, and every range but the first starts
 * at a multiple of S in HW VA space; no larger than the first size whose
 * one block holds the whole HW VA range.  0 for an empty list or a HW VA
 * range past the top of the space.
 */
static u64 rp_best_blocksz(struct rp_ctx *c, unsigned long bitmap, u64 hwva)
{
	u64 best = 0, last;
	unsigned int b, i;

	if (!c->dmlen || check_add_overflow(hwva, c->dmlen - 1, &last))
		return 0;
	for (b = 0; b < BITS_PER_LONG; b++) {
		u64 sz = 1ULL << b;
		bool ok = true;

		if (!(bitmap & sz))
			continue;
		for (i = 0; i < c->nr_dm && ok; i++) {
			u64 va = hwva + c->dm[i].pos;

			if ((c->dm[i].addr ^ va) & (sz - 1) ||
			    (i && va & (sz - 1)))
				ok = false;
		}
		if (ok)
			best = sz;
		if (b && hwva >> b == last >> b)
			break;
	}
	return best;
}

/* Blocks of @bs holding a byte of [hwva, hwva + length) (kernel-doc). */
static u64 rp_nr_blocks(struct rp_ctx *c, u64 bs, u64 hwva)
{
	u64 last;

	if (!c->dmlen || check_add_overflow(hwva, c->dmlen - 1, &last))
		return 0;
	/* dmlen < RP_MAX_LEN: no overflow below */
	return div64_u64((hwva & (bs - 1)) + c->dmlen - 1, bs) + 1;
}

/* DMA address of list byte @pos, from the model's DMA ranges. */
static u64 rp_dm_addr(struct rp_ctx *c, u64 pos)
{
	unsigned int i = 0;

	while (pos >= c->dm[i].pos + c->dm[i].len)
		i++;
	return c->dm[i].addr + pos - c->dm[i].pos;
}

static unsigned long rp_random_bitmap(struct rp_ctx *c)
{
	unsigned long bm = 0;
	unsigned int i;

	switch (rp_rand(c, 4)) {
	case 0:
		return SZ_4K | SZ_2M | SZ_1G;
	case 1:
		return GENMASK(30, 9);
	case 2:
		return GENMASK(BITS_PER_LONG - 1, 9);
	default:
		for (i = 0; i < 4; i++)
			bm |= 1UL << (9 + rp_rand(c, BITS_PER_LONG - 9));
		return bm;
	}
}

/* A HW VA for the model's list: DMA-like, random, or at the top. */
static u64 rp_random_hwva(struct rp_ctx *c)
{
	u64 len = c->dmlen;
	unsigned int bits;

	switch (rp_rand(c, 5)) {
	case 0:
		return rp_rand64(c);
	case 1:
		/* the last byte at the top, or a little below */
		c->nr_top_blocks++;
		return -len - rp_rand(c, 2 * PAGE_SIZE);
	case 2:
		/* past the top: the HW VA range wraps */
		return -len + 1 + rp_rand(c, PAGE_SIZE);
	default:
		/* the DMA address's low bits: large blocks fit */
		if (!c->nr_dm)
			return rp_rand64(c);
		bits = 20 + rp_rand(c, 20);
		return (rp_rand64(c) << bits) |
		       (c->dm[0].addr & GENMASK_ULL(bits - 1, 0));
	}
}

/*
 * Walk @rd by ranges, segments and blocks of a random size, and check the
 * best block size, the block count and the walk with the best size for a
 * random HW VA, against the model's DMA ranges.
 */
static bool rp_check_dma_model(struct rp_ctx *c, const struct rlist_dma *rd)
{
	struct rlist_dma_segmentation seg;
	unsigned long bitmap;
	struct rlist_dma_iter it;
	unsigned int i = 0;
	u64 off = 0, bs, best, nb, k;

	if (!RP_CHECK(c, rlist_dma_length(rd) == c->dmlen,
		      "DMA list length %llu, model %llu", rlist_dma_length(rd),
		      c->dmlen))
		return false;
	rlist_dma_for_each_range(rd, &it) {
		if (!RP_CHECK(c, i < c->nr_dm, "DMA range %pad+%llu past the model",
			      &it.addr, it.len) ||
		    !RP_CHECK(c, it.addr == c->dm[i].addr &&
			      it.len == c->dm[i].len && it.pos == c->dm[i].pos,
			      "DMA range %u: %pad+%llu at %llu, model %#llx+%llu at %llu",
			      i, &it.addr, it.len, it.pos, (u64)c->dm[i].addr,
			      c->dm[i].len, c->dm[i].pos))
			return false;
		i++;
	}
	if (!RP_CHECK(c, i == c->nr_dm, "%u DMA ranges, model %u", i,
		      c->nr_dm))
		return false;

	rp_random_seg(c, &seg);
	i = 0;
	rlist_dma_for_each_segment(rd, &seg, &it) {
		const struct rp_dma *r = &c->dm[i];
		u64 len;

		if (!RP_CHECK(c, i < c->nr_dm, "segment past the model"))
			return false;
		len = rp_seg_len(&seg, r->addr + off, r->len - off);
		if (!RP_CHECK(c, it.addr == r->addr + off && it.len == len &&
			      it.pos == r->pos + off,
			      "segment %pad+%llu at %llu, model %llx+%llu at %llu (max %#llx boundary %#llx align %#llx)",
			      &it.addr, it.len, it.pos, r->addr + off, len,
			      r->pos + off, seg.max_segment_size,
			      seg.segment_boundary_mask, seg.min_align_mask))
			return false;
		off += len;
		if (off == r->len) {
			i++;
			off = 0;
		}
	}
	if (!RP_CHECK(c, i == c->nr_dm, "segments end in range %u of %u", i,
		      c->nr_dm))
		return false;

	bs = 512ULL << rp_rand(c, 12);
	i = 0;
	rlist_dma_for_each_block(rd, bs, &it) {
		const struct rp_dma *r = &c->dm[i];
		u64 a = r->addr + off, len;

		if (!RP_CHECK(c, i < c->nr_dm, "block past the model"))
			return false;
		len = min(r->len - off, bs - (a & (bs - 1)));
		if (!RP_CHECK(c, it.addr == ALIGN_DOWN(a, bs) && it.len == len &&
			      it.pos == r->pos + off,
			      "block of %llu: %pad+%llu at %llu, model %llx+%llu at %llu",
			      bs, &it.addr, it.len, it.pos,
			      (u64)ALIGN_DOWN(a, bs), len, r->pos + off))
			return false;
		off += len;
		if (off == r->len) {
			i++;
			off = 0;
		}
	}
	if (!RP_CHECK(c, i == c->nr_dm, "blocks end in range %u of %u", i,
		      c->nr_dm))
		return false;

	/* best block size, block count, and the blocks at that size */
	bitmap = rp_random_bitmap(c);
	c->hwva = rp_random_hwva(c);
	best = rp_best_blocksz(c, bitmap, c->hwva);
	if (!RP_CHECK(c, rlist_dma_find_best_blocksz(rd, bitmap, c->hwva) == best,
		      "best block size %#lx for bitmap %#lx, model %#llx",
		      rlist_dma_find_best_blocksz(rd, bitmap, c->hwva), bitmap,
		      best) ||
	    !RP_CHECK(c, rlist_dma_num_blocks(rd, bs, c->hwva) ==
		      rp_nr_blocks(c, bs, c->hwva),
		      "%llu blocks of %llu, model %llu",
		      rlist_dma_num_blocks(rd, bs, c->hwva), bs,
		      rp_nr_blocks(c, bs, c->hwva)))
		return false;
	if (!best)
		return true;
	c->nr_best++;
	nb = rp_nr_blocks(c, best, c->hwva);
	if (!RP_CHECK(c, rlist_dma_num_blocks(rd, best, c->hwva) == nb,
		      "%llu blocks of the best size %llu, model %llu",
		      rlist_dma_num_blocks(rd, best, c->hwva), best, nb))
		return false;
	/* block k holds the bytes of HW VA block k, at its DMA address */
	k = 0;
	rlist_dma_for_each_block(rd, best, &it) {
		u64 va = c->hwva + it.pos;

		if (!RP_CHECK(c, k < nb, "block %llu of size %llu past the %llu blocks",
			      k, best, nb) ||
		    !RP_CHECK(c, div64_u64(va, best) ==
			      div64_u64(c->hwva, best) + k &&
			      (k == 0 || !(va & (best - 1))) &&
			      it.addr == ALIGN_DOWN(rp_dm_addr(c, it.pos), best),
			      "block %llu of size %llu: %pad at %llu, HW VA %#llx",
			      k, best, &it.addr, it.pos, va))
			return false;
		k++;
	}
	return RP_CHECK(c, k == nb, "%llu blocks of the best size %llu, model %llu",
			k, best, nb);
}

/*
 * An empty DMA list at a random, usually unaligned HW VA: no block, no
 * block size, nothing to walk.
 */
static bool rp_check_empty_dma(struct rp_ctx *c)
{
	u64 hwva = rp_rand64(c) | 1, bs = 1ULL << rp_rand(c, 64);
	struct rlist_dma_iter it;
	struct rlist_dma rd;

	c->nr_empty_hwva++;
	c->shape = "empty list";
	c->nr_dp = 0;
	c->nr_dm = 0;
	c->dbase = 0;
	c->hwva = hwva;
	rlist_dma_init(&rd);
	return RP_CHECK(c, !rlist_dma_num_blocks(&rd, bs, hwva),
			"an empty list spans %llu blocks of %llu at %#llx",
			rlist_dma_num_blocks(&rd, bs, hwva), bs, hwva) &&
	       RP_CHECK(c, !rlist_dma_find_best_blocksz(&rd, ULONG_MAX, hwva),
			"an empty list has a block size") &&
	       RP_CHECK(c, !rlist_dma_iter_start(&it, &rd, NULL) &&
			!rlist_dma_block_start(&it, &rd, bs),
			"an empty list has a piece");
}

/*
 * The identity view of the list: its CPU ranges, merged where they touch
 * whatever their providers (two fake BARs touch).
 */
static bool rp_check_identity(struct rp_ctx *c)
{
	struct rlist_dma rd;
	unsigned int i;

	for (i = 0; i < c->nr_mr; i++)
		c->dp[i] = (struct rp_dpiece){ .addr = c->mr[i].phys,
					       .len = c->mr[i].len,
					       .kind = c->mr[i].prov };
	c->nr_dp = c->nr_mr;
	c->shape = "identity view";
	c->dbase = 0;
	rp_dma_model(c, &c->nr_prov_merges);
	rlist_dma_init_identity(&rd, &c->rc);
	return rp_check_dma_model(c, &rd);
}

/*
 * A DMA list built by hand from the list's pieces, each cut in up to three,
 * each relative or absolute: touching pieces of different types.  One list
 * in four is moved to the top of the space: some pieces end exactly at its
 * top, the others start at address 0.
 */
static bool rp_check_dma_shape(struct rp_ctx *c)
{
	u64 min_rel = U64_MAX, end;
	bool top = rp_chance(c, 4);
	struct rlist_dma rd;
	unsigned int i, k, split;
	int ret;

	c->nr_dp = 0;
	for (i = 0; i < c->nr_mr; i++) {
		u64 a = c->mr[i].phys, left = c->mr[i].len;
		unsigned int parts = 1 + rp_rand(c, 3);

		for (k = 0; k < parts && left; k++) {
			u64 n = k + 1 == parts ? left : 1 + rp_rand(c, left);

			c->dp[c->nr_dp++] = (struct rp_dpiece){
				.addr = a, .len = n,
				.kind = rp_chance(c, 2) ? RLIST_DMA_RELATIVE :
							  RLIST_DMA_ABSOLUTE };
			a += n;
			left -= n;
		}
	}
	c->shape = "scattered";
	if (top) {
		/*
		 * Pieces before @split end at the top of the space, back to
		 * back or with gaps; the others start at 0.
		 */
		c->shape = "at the top of the space";
		c->nr_top_wrap++;
		split = 1 + rp_rand(c, c->nr_dp);
		end = 0;
		for (i = split; i-- > 0;) {
			c->dp[i].addr = end - c->dp[i].len;
			end = c->dp[i].addr - (rp_chance(c, 2) ? 0 :
					       1 + rp_rand(c, PAGE_SIZE));
		}
		end = 0;
		for (i = split; i < c->nr_dp; i++) {
			c->dp[i].addr = end;
			end += c->dp[i].len + (rp_chance(c, 2) ? 0 :
					       1 + rp_rand(c, PAGE_SIZE));
		}
	}
	for (i = 0; i < c->nr_dp; i++)
		if (c->dp[i].kind == RLIST_DMA_RELATIVE)
			min_rel = min(min_rel, c->dp[i].addr);
	/* a base no higher than the lowest relative piece */
	c->dbase = 0;
	if (min_rel != U64_MAX && rp_chance(c, 2)) {
		u64 align = 1ULL << rp_rand(c, 40);

		c->dbase = rp_chance(c, 2) ? min_rel : ALIGN_DOWN(min_rel, align);
	}
	rp_dma_model(c, &c->nr_type_merges);

	rlist_dma_init(&rd);
	for (i = 0; i < c->nr_dp; i++) {
		const struct rp_dpiece *p = &c->dp[i];

		if (p->kind == RLIST_DMA_RELATIVE)
			ret = rlist_dma_append_relative(&rd, p->addr - c->dbase,
							p->len, GFP_KERNEL);
		else
			ret = rlist_dma_append_absolute(&rd, p->addr, p->len,
							GFP_KERNEL);
		if (!RP_CHECK(c, !ret, "append of DMA piece %u: %d", i, ret)) {
			rlist_dma_destroy(&rd);
			return false;
		}
	}
	if (c->dbase || rp_chance(c, 2)) {
		ret = rlist_dma_set_base(&rd, c->dbase);
		if (!RP_CHECK(c, !ret, "base %#llx: %d",
			      (unsigned long long)c->dbase, ret)) {
			rlist_dma_destroy(&rd);
			return false;
		}
	}
	c->nr_shapes++;
	ret = rp_check_dma_model(c, &rd);
	rlist_dma_destroy(&rd);
	return ret;
}

static bool rp_check_dma_lists(struct rp_ctx *c)
{
	bool ok = rp_check_identity(c) && rp_check_dma_shape(c);

	if (ok && rp_chance(c, 16))
		ok = rp_check_empty_dma(c);
	if (ok)
		c->shape = NULL;
	return ok;
}

/* ---- the test ---- */

static bool rp_one(struct rp_ctx *c, const struct rp_debug *dbg)
{
	bool ok;

	c->nr_pc = 0;
	c->nr_mr = 0;
	c->nr_dr = 0;
	c->shape = NULL;
	c->kind = rp_rand(c, RP_NR_KINDS);
	c->per_kind[c->kind]++;
	switch (c->kind) {
	case RP_NATIVE:
		ok = rp_build_native(c);
		break;
	case RP_PAGES:
		ok = rp_build_pages(c);
		break;
	default:
		ok = rp_build_vec(c, c->kind == RP_SGTABLE);
		break;
	}
	rp_model(c);
	if (ok && !c->mlen) {
		/* nothing was appended: an empty native list */
		ok = RP_CHECK(c, !rlist_cpu_length(&c->rc), "empty list") &&
		     rp_check_empty_dma(c);
		goto out;
	}
	if (ok && c->kind != RP_NATIVE && rp_chance(c, 64))
		ok = rp_bad_wrapper(c);
	ok = ok && rp_check_cpu(c) && rp_check_dma(c, dbg) &&
	     rp_check_dma_lists(c);
out:
	rlist_cpu_destroy(&c->rc, 0);
	return ok;
}

static void rp_free_pool(void *data)
{
	struct rp_ctx *c = data;
	unsigned int i;

	for (i = 0; i < RP_NR_POOL; i++)
		if (c->pool[i].folio)
			folio_put(c->pool[i].folio);
}

static struct device *rp_device(struct kunit *test, const char *name,
				u64 offset)
{
	struct bus_dma_region *map;
	struct device *dev;

	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	/* KUnit devices come without a DMA mask. */
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)),
			0);
	if (!offset)
		return dev;
	/* all memory seen by the device @offset above its physical address */
	map = kunit_kcalloc(test, 2, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	map[0] = (struct bus_dma_region){ .cpu_start = 0, .dma_start = offset,
					  .size = BIT_ULL(46) };
	dev->dma_range_map = map;
	KUNIT_ASSERT_EQ(test, phys_to_dma(dev, PAGE_SIZE), PAGE_SIZE + offset);
	return dev;
}

static void rp_drop_range_map(void *data)
{
	struct device *dev = data;

	/* kunit_kcalloc() frees it; the device may outlive this test. */
	dev->dma_range_map = NULL;
}

static void rlist_prop_test(struct kunit *test)
{
	struct rp_debug dbg_store, *dbg = NULL;
	unsigned long i, n = 0;
	struct rp_ctx *c;
	u32 errors = 0;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->test = test;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, rp_free_pool, c),
			0);
	if (!seed)
		seed = get_random_u64();
	kunit_info(test, "rlist_prop: seed 0x%llx lists %lu\n", seed, lists);

	for (i = 0; i < RP_NR_POOL; i++) {
		unsigned int order = i < RP_NR_SMALL ? 0 :
				     1 + i % RP_MAX_ORDER;
		struct folio *folio = folio_alloc(GFP_KERNEL, order);

		KUNIT_ASSERT_NOT_NULL(test, folio);
		c->pool[i] = (struct rp_folio){
			.folio = folio, .phys = PFN_PHYS(folio_pfn(folio)),
			.size = folio_size(folio) };
	}
	sort(c->pool, RP_NR_POOL, sizeof(c->pool[0]), rp_pool_cmp, NULL);

	/*
	 * The offset device's offset, from the seed: page aligned (swiotlb
	 * cannot place page-sized bounce buffers otherwise), but not aligned
	 * to most segment boundaries, so that mappings change segments.
	 */
	prandom_seed_state(&c->rnd, seed);
	c->dev_off[1] = SZ_1G + PAGE_SIZE * (1 + rp_rand(c, 15));
	c->dev[0] = rp_device(test, "rlist_prop", 0);
	c->dev[1] = rp_device(test, "rlist_prop_offset", c->dev_off[1]);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							rp_drop_range_map,
							c->dev[1]), 0);

	dbg_store.errors = rlist_kunit_dma_debug_u32("error_count");
	dbg_store.free = rlist_kunit_dma_debug_u32("num_free_entries");
	dbg_store.total = rlist_kunit_dma_debug_u32("nr_total_entries");
	if (dbg_store.errors && dbg_store.free && dbg_store.total) {
		dbg = &dbg_store;
		errors = READ_ONCE(*dbg->errors);
	}

	for (i = first; i < first + lists; i++) {
		c->idx = i;
		prandom_seed_state(&c->rnd, seed ^ (i * 0x9e3779b97f4a7c15ULL));
		if (!rp_one(c, dbg))
			return;
		n++;
		if (!(i & 1023))
			cond_resched();
	}
	kunit_info(test, "rlist_prop: %lu lists (native %lu, pages %lu, bvec %lu, sgtable %lu), %lu CPU pieces walked, %lu merges\n",
		   n, c->per_kind[RP_NATIVE], c->per_kind[RP_PAGES],
		   c->per_kind[RP_BVEC], c->per_kind[RP_SGTABLE],
		   c->nr_ranges, c->nr_merged);
	kunit_info(test, "rlist_prop: %lu mapped (%lu not in place), %lu -EOVERFLOW, %lu -ENODEV, %lu bad inputs, %lu bytes checked, dma-debug %s\n",
		   c->nr_mapped, c->nr_bounced, c->nr_overflow, c->nr_enodev,
		   c->nr_bad, c->nr_bytes_checked, dbg ? "on" : "off");
	kunit_info(test, "rlist_prop: %lu DMA lists by hand (%lu at the top of the space), %lu merges across types, %lu across providers, %lu best block sizes walked, %lu HW VAs up to the top, %lu empty lists at odd HW VAs\n",
		   c->nr_shapes, c->nr_top_wrap, c->nr_type_merges,
		   c->nr_prov_merges, c->nr_best, c->nr_top_blocks,
		   c->nr_empty_hwva);
	if (dbg)
		KUNIT_EXPECT_EQ(test, READ_ONCE(*dbg->errors), errors);
}

static struct kunit_case rlist_prop_cases[] = {
	KUNIT_CASE_SLOW(rlist_prop_test),
	{}
};

static struct kunit_suite rlist_prop_suite = {
	.name = "rlist_prop",
	.test_cases = rlist_prop_cases,
};

kunit_test_suite(rlist_prop_suite);

MODULE_DESCRIPTION("Property test of range lists against a reference model");
MODULE_LICENSE("GPL");
