// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark of range lists against scatterlist, side by side on the same
 * pages in the same boot, in the spirit of kernel/dma/map_benchmark.c.  A
 * debugfs file, /sys/kernel/debug/rlist_bench, takes one ioctl per
 * measurement (rlist_bench_uapi.h); the user driver is
 * tools/testing/rlist/rlist_bench.c.
 *
 * A run on kernel pages builds a page array (scattered 4 KiB pages, 2 MiB
 * folios or both alternating, no two of them physically adjacent unless in
 * the same folio) and times, on each side and in each repetition, the
 * stages: build the list from the array (sg_alloc_append_table_from_pages()
 * against rlist_cpu_append_pages()), map, walk the 4 KiB hardware blocks,
 * sync for the CPU and back, unmap, free.  A run on a user buffer times the
 * whole ib_umem pipeline: 6.12's ib_umem_get()/ib_umem_release() rewritten
 * here (pin in chunks of a page of pointers, append each chunk to an
 * sg_append_table, dma_map_sgtable(), rdma_umem_for_each_dma_block(),
 * dma_unmap_sgtable(), unpin per entry, free) against rlist_cpu_pin_user(),
 * dma_map_rlist(), rlist_dma_for_each_block(), dma_unmap_rlist() and
 * rlist_cpu_unpin().  The side that goes first alternates.
 *
 * Counters come from one more repetition, before the timed ones, with
 * probes registered (CONFIG_KPROBES) and filtered to the bench task:
 * allocations are the calls of the slab and page allocator entry points
 * (kretprobes; a call made inside another one, such as a slab refill or a
 * large kmalloc, is not counted again); list steps are the calls of
 * sg_next() on the sg side and, on the rlist side, of rlist_cpu_iter_next()
 * (a step of the CPU iterator, over any storage) and rlist_iter_next() (a
 * step of a DMA list's own storage; the CPU iterator steps its rlist
 * inline); IOTLB syncs are the
 * calls of intel-iommu's ->iotlb_sync_map, ->iotlb_sync and
 * ->flush_iotlb_all.
 *
 * List memory: the sg side is the sg_append_table plus each chunk of the
 * chain (a page when it holds SG_MAX_SINGLE_ALLOC entries, else the size of
 * its kmalloc object); the rlist side is struct rlist_cpu and struct
 * rlist_dma plus rlist_memory() of both.  Measured after the map.  In the
 * pipeline each side also holds one page of page pointers while pinning.
 */
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/dma-rlist.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/iommu.h>
#include <linux/kprobes.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rlist.h>
#include <linux/scatterlist.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>

#include "rlist_bench_uapi.h"

#define RB_FOLIO_ORDER	9
#define RB_FOLIO_PAGES	BIT(RB_FOLIO_ORDER)
#define RB_BLOCK	PAGE_SIZE
#define RB_DIR		DMA_BIDIRECTIONAL
#define RB_GUP		(FOLL_WRITE | FOLL_LONGTERM)

static DEFINE_MUTEX(rb_lock);
static struct device *rb_dev;
static struct device_dma_parameters rb_dma_parms;

/* What the probes count; written by the bench task only. */
static struct {
	struct task_struct *task;
	unsigned int side;
	unsigned int stage;
	bool on;
	unsigned int depth;	/* allocator calls in progress */
	u64 count[2][RLIST_BENCH_NR_STAGES][RLIST_BENCH_NR_COUNTERS];
} rb_ctr;

#ifdef CONFIG_KPROBES
static bool rb_counting(void)
{
	return READ_ONCE(rb_ctr.on) && current == rb_ctr.task;
}

static void rb_count(unsigned int counter)
{
	rb_ctr.count[rb_ctr.side][rb_ctr.stage][counter]++;
}
#endif

/* ------------------------------------------------------------------ */
/* Probes                                                              */
/* ------------------------------------------------------------------ */

#ifdef CONFIG_KRETPROBES
static int rb_alloc_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	if (!rb_counting())
		return 1;	/* no return handler */
	if (!rb_ctr.depth++)
		rb_count(RLIST_BENCH_ALLOCS);
	return 0;
}

static int rb_alloc_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	rb_ctr.depth--;
	return 0;
}

static const char * const rb_alloc_syms[] = {
	"__kmalloc_noprof", "__kmalloc_node_noprof", "__kmalloc_cache_noprof",
	"__kmalloc_cache_node_noprof", "kmem_cache_alloc_noprof",
	"kmem_cache_alloc_node_noprof", "__kmalloc_large_noprof",
	"__kmalloc_large_node_noprof", "__kvmalloc_node_noprof",
	"__alloc_pages_noprof",
};

static struct kretprobe rb_alloc_kp[ARRAY_SIZE(rb_alloc_syms)];
#endif

#ifdef CONFIG_KPROBES
static int rb_step_sg(struct kprobe *p, struct pt_regs *regs)
{
	if (rb_counting() && rb_ctr.side == RLIST_BENCH_SG)
		rb_count(RLIST_BENCH_STEPS);
	return 0;
}

static int rb_step_rl(struct kprobe *p, struct pt_regs *regs)
{
	if (rb_counting() && rb_ctr.side == RLIST_BENCH_RLIST)
		rb_count(RLIST_BENCH_STEPS);
	return 0;
}

static int rb_iotlb(struct kprobe *p, struct pt_regs *regs)
{
	if (rb_counting())
		rb_count(RLIST_BENCH_IOTLB);
	return 0;
}

static struct kprobe rb_kp[] = {
	{ .symbol_name = "sg_next", .pre_handler = rb_step_sg },
	{ .symbol_name = "rlist_iter_next", .pre_handler = rb_step_rl },
	{ .symbol_name = "rlist_cpu_iter_next", .pre_handler = rb_step_rl },
	{ .symbol_name = "intel_iommu_iotlb_sync_map", .pre_handler = rb_iotlb },
	{ .symbol_name = "intel_iommu_tlb_sync", .pre_handler = rb_iotlb },
	{ .symbol_name = "intel_flush_iotlb_all", .pre_handler = rb_iotlb },
};
#endif

/* Which counters have all their probes; the others read NO_COUNT. */
static bool rb_have[RLIST_BENCH_NR_COUNTERS];

static void rb_probes_on(void)
{
	unsigned int __maybe_unused i;

	memset(rb_have, 0, sizeof(rb_have));
#ifdef CONFIG_KRETPROBES
	rb_have[RLIST_BENCH_ALLOCS] = true;
	for (i = 0; i < ARRAY_SIZE(rb_alloc_kp); i++) {
		struct kretprobe *rp = &rb_alloc_kp[i];

		*rp = (struct kretprobe){
			.kp.symbol_name = rb_alloc_syms[i],
			.entry_handler = rb_alloc_entry,
			.handler = rb_alloc_ret,
			.maxactive = 4,
		};
		if (register_kretprobe(rp)) {
			pr_warn("rlist_bench: no kretprobe on %s\n",
				rb_alloc_syms[i]);
			rp->kp.addr = NULL;
			rb_have[RLIST_BENCH_ALLOCS] = false;
		}
	}
#endif
#ifdef CONFIG_KPROBES
	rb_have[RLIST_BENCH_STEPS] = true;
	rb_have[RLIST_BENCH_IOTLB] = true;
	for (i = 0; i < ARRAY_SIZE(rb_kp); i++) {
		struct kprobe *kp = &rb_kp[i];
		const char *sym = kp->symbol_name;
		kprobe_pre_handler_t pre = kp->pre_handler;

		*kp = (struct kprobe){ .symbol_name = sym, .pre_handler = pre };
		if (register_kprobe(kp)) {
			kp->addr = NULL;
			rb_have[pre == rb_iotlb ? RLIST_BENCH_IOTLB :
				RLIST_BENCH_STEPS] = false;
		}
	}
	/* Without an intel-iommu, a zero count still means "none". */
	if (!rb_have[RLIST_BENCH_IOTLB] && rb_kp[0].addr)
		rb_have[RLIST_BENCH_IOTLB] = !iommu_get_domain_for_dev(rb_dev);
#endif
	rb_ctr.task = current;
	rb_ctr.depth = 0;
	WRITE_ONCE(rb_ctr.on, true);
}

static void rb_probes_off(void)
{
	unsigned int __maybe_unused i;

	WRITE_ONCE(rb_ctr.on, false);
#ifdef CONFIG_KRETPROBES
	for (i = 0; i < ARRAY_SIZE(rb_alloc_kp); i++)
		if (rb_alloc_kp[i].kp.addr)
			unregister_kretprobe(&rb_alloc_kp[i]);
#endif
#ifdef CONFIG_KPROBES
	for (i = 0; i < ARRAY_SIZE(rb_kp); i++)
		if (rb_kp[i].addr)
			unregister_kprobe(&rb_kp[i]);
#endif
}

/* ------------------------------------------------------------------ */
/* Inputs                                                              */
/* ------------------------------------------------------------------ */

struct rb_input {
	struct page **pages;
	unsigned long npages;
	struct list_head held;		/* pages to free with the input */
	struct list_head rejects;	/* freed once the input is built */
	unsigned long expected;
};

/*
 * A page with an odd pfn that is not the last of a 2 MiB block: two such
 * pages are never adjacent, and none is adjacent to the start or the end of
 * an order-9 folio.
 */
static bool rb_page_ok(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	return (pfn & 1) && (pfn & (RB_FOLIO_PAGES - 1)) != RB_FOLIO_PAGES - 1;
}

static struct page *rb_alloc_page(struct rb_input *in)
{
	struct page *page;

	for (;;) {
		page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!page)
			return NULL;
		if (rb_page_ok(page))
			break;
		list_add(&page->lru, &in->rejects);
		cond_resched();
	}
	list_add(&page->lru, &in->held);
	return page;
}

/* An order-9 folio with an odd index among 2 MiB blocks: never adjacent. */
static struct folio *rb_alloc_folio(struct rb_input *in)
{
	struct folio *folio;

	for (;;) {
		folio = folio_alloc(GFP_KERNEL | __GFP_NOWARN, RB_FOLIO_ORDER);
		if (!folio)
			return NULL;
		if ((folio_pfn(folio) >> RB_FOLIO_ORDER) & 1)
			break;
		list_add(&folio->lru, &in->rejects);
		cond_resched();
	}
	list_add(&folio->lru, &in->held);
	return folio;
}

static void rb_free_list(struct list_head *head)
{
	struct folio *folio, *tmp;

	list_for_each_entry_safe(folio, tmp, head, lru) {
		list_del(&folio->lru);
		folio_put(folio);
		cond_resched();
	}
}

static void rb_input_free(struct rb_input *in)
{
	rb_free_list(&in->rejects);
	rb_free_list(&in->held);
	kvfree(in->pages);
	in->pages = NULL;
}

/* Physically contiguous ranges of a page array. */
static unsigned long rb_ranges(struct page **pages, unsigned long npages)
{
	unsigned long i, n = 0;

	for (i = 0; i < npages; i++)
		if (!i || page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1)
			n++;
	return n;
}

static int rb_input_alloc(struct rb_input *in, u32 kind, u64 bytes)
{
	unsigned long unit, pos = 0, i, n;
	unsigned int u = 0;

	INIT_LIST_HEAD(&in->held);
	INIT_LIST_HEAD(&in->rejects);
	in->npages = bytes >> PAGE_SHIFT;
	in->expected = 0;
	in->pages = kvmalloc_array(in->npages, sizeof(*in->pages), GFP_KERNEL);
	if (!in->pages)
		return -ENOMEM;
	/* Mixed: a folio's worth (at most) of each kind in turn. */
	unit = kind == RLIST_BENCH_INPUT_MIXED ?
		min(RB_FOLIO_PAGES, max(in->npages / 2, 1UL)) : RB_FOLIO_PAGES;
	while (pos < in->npages) {
		bool folio = kind == RLIST_BENCH_INPUT_FOLIO ||
			     (kind == RLIST_BENCH_INPUT_MIXED && !(u & 1));

		n = min(unit, in->npages - pos);
		if (folio) {
			struct folio *f = rb_alloc_folio(in);

			if (!f)
				goto nomem;
			for (i = 0; i < n; i++)
				in->pages[pos + i] = folio_page(f, i);
			in->expected++;
		} else {
			for (i = 0; i < n; i++) {
				struct page *page = rb_alloc_page(in);

				if (!page)
					goto nomem;
				in->pages[pos + i] = page;
			}
			in->expected += n;
		}
		pos += n;
		u++;
	}
	rb_free_list(&in->rejects);
	return 0;
nomem:
	in->npages = pos;
	rb_input_free(in);
	return -ENOMEM;
}

/* ------------------------------------------------------------------ */
/* The two sides                                                       */
/* ------------------------------------------------------------------ */

struct rb_sg {
	struct sg_append_table app;
	bool mapped;
};

struct rb_rl {
	struct rlist_cpu rc;
	struct rlist_dma rd;
	bool mapped;
};

/*
 * The two block walkers are tight loops: under QEMU TCG, a loop that
 * straddles a page of kernel text cannot chain its translated blocks
 * directly and runs about ten times slower, so which side is slower came
 * down to where the linker put each function.  Both are kept whole inside
 * an aligned 512-byte slot, hence inside a page.
 */
#define RB_WALKER_ALIGN	512

/*
 * HW blocks of a mapped sg_table, the way 6.12's __rdma_block_iter_start()
 * and __rdma_block_iter_next() walk it for rdma_umem_for_each_dma_block().
 */
static noinline __aligned(RB_WALKER_ALIGN) u64
rb_sg_blocks(struct sg_table *sgt, u64 *hash)
{
	struct scatterlist *sg = sgt->sgl;
	unsigned int nents = sgt->nents;
	u64 advance = 0, n = 0, h = 0;

	while (nents && sg) {
		dma_addr_t addr = sg_dma_address(sg) + advance;
		u64 delta = RB_BLOCK - (addr & (RB_BLOCK - 1));

		h = h * 31 + (addr & ~(u64)(RB_BLOCK - 1));
		n++;
		while (nents && sg && sg_dma_len(sg) - advance <= delta) {
			delta -= sg_dma_len(sg) - advance;
			advance = 0;
			sg = sg_next(sg);
			nents--;
		}
		advance += delta;
	}
	*hash = h;
	return n;
}

static noinline __aligned(RB_WALKER_ALIGN) u64
rb_rl_blocks(const struct rlist_dma *rd, u64 *hash)
{
	struct rlist_dma_iter it;
	u64 n = 0, h = 0;

	rlist_dma_for_each_block(rd, RB_BLOCK, &it) {
		h = h * 31 + it.addr;
		n++;
	}
	*hash = h;
	return n;
}

/* Bytes of an sg_table's chain: whole pages or kmalloc objects. */
static size_t rb_sg_memory(const struct sg_table *sgt)
{
	struct scatterlist *chunk = sgt->sgl;
	size_t bytes = 0;

	while (chunk) {
		struct scatterlist *sg = chunk, *next = NULL;

		if (folio_test_slab(virt_to_folio(chunk)))
			bytes += ksize(chunk);
		else
			bytes += PAGE_SIZE;
		for (;;) {
			if (sg_is_chain(sg)) {
				next = sg_chain_ptr(sg);
				break;
			}
			if (sg_is_last(sg))
				break;
			sg++;
		}
		chunk = next;
	}
	return bytes;
}

static size_t rb_rl_memory(const struct rb_rl *r)
{
	return sizeof(r->rc) + sizeof(r->rd) + rlist_memory(&r->rc.__rl) +
	       rlist_memory(&r->rd.__rl);
}

static unsigned long rb_rl_entries(const struct rlist *rl)
{
	return rlist_nr_entries(rl);
}

/* Run one stage of one side on the page array; 0 or an error. */
static int rb_sg_stage(struct rb_sg *s, struct rb_input *in,
		       unsigned int stage, u64 *blocks, u64 *hash)
{
	int ret = 0;

	switch (stage) {
	case RLIST_BENCH_BUILD:
		memset(&s->app, 0, sizeof(s->app));
		ret = sg_alloc_append_table_from_pages(&s->app, in->pages,
						       in->npages, 0,
						       in->npages << PAGE_SHIFT,
						       dma_get_max_seg_size(rb_dev),
						       0, GFP_KERNEL);
		break;
	case RLIST_BENCH_MAP:
		ret = dma_map_sgtable(rb_dev, &s->app.sgt, RB_DIR, 0);
		s->mapped = !ret;
		break;
	case RLIST_BENCH_BLOCKS:
		*blocks = rb_sg_blocks(&s->app.sgt, hash);
		break;
	case RLIST_BENCH_SYNC:
		dma_sync_sgtable_for_cpu(rb_dev, &s->app.sgt, RB_DIR);
		dma_sync_sgtable_for_device(rb_dev, &s->app.sgt, RB_DIR);
		break;
	case RLIST_BENCH_UNMAP:
		dma_unmap_sgtable(rb_dev, &s->app.sgt, RB_DIR, 0);
		s->mapped = false;
		break;
	case RLIST_BENCH_FREE:
		sg_free_append_table(&s->app);
		break;
	}
	return ret;
}

static int rb_rl_stage(struct rb_rl *r, struct rb_input *in,
		       unsigned int stage, u64 *blocks, u64 *hash)
{
	int ret = 0;

	switch (stage) {
	case RLIST_BENCH_BUILD:
		rlist_cpu_init(&r->rc);
		ret = rlist_cpu_append_pages(&r->rc, in->pages, in->npages,
					     GFP_KERNEL);
		rlist_cpu_append_end(&r->rc);
		break;
	case RLIST_BENCH_MAP:
		ret = dma_map_rlist(rb_dev, &r->rc, &r->rd, NULL, RB_DIR, 0,
				    GFP_KERNEL);
		r->mapped = !ret;
		break;
	case RLIST_BENCH_BLOCKS:
		*blocks = rb_rl_blocks(&r->rd, hash);
		break;
	case RLIST_BENCH_SYNC:
		dma_sync_rlist_for_cpu(rb_dev, &r->rc, &r->rd, RB_DIR);
		dma_sync_rlist_for_device(rb_dev, &r->rc, &r->rd, RB_DIR);
		break;
	case RLIST_BENCH_UNMAP:
		dma_unmap_rlist(rb_dev, &r->rc, &r->rd, RB_DIR, 0);
		r->mapped = false;
		break;
	case RLIST_BENCH_FREE:
		rlist_cpu_destroy(&r->rc, 0);
		break;
	}
	return ret;
}

/* Undo what a failed side left behind. */
static void rb_sg_cleanup(struct rb_sg *s)
{
	if (s->mapped)
		dma_unmap_sgtable(rb_dev, &s->app.sgt, RB_DIR, 0);
	s->mapped = false;
	sg_free_append_table(&s->app);
}

static void rb_rl_cleanup(struct rb_rl *r)
{
	if (r->mapped)
		dma_unmap_rlist(rb_dev, &r->rc, &r->rd, RB_DIR, 0);
	r->mapped = false;
	rlist_cpu_destroy(&r->rc, 0);
}

/*
 * One repetition of one side on the page array: every stage, timed into
 * @ns (NULL: the counting repetition), with the figures of the list.
 */
static int rb_list_side(struct rlist_bench_run *run, struct rb_input *in,
			unsigned int side, u64 *ns, u64 ref_hash)
{
	struct rb_sg s = {};
	struct rb_rl r = {};
	u64 blocks = 0, hash = 0, t;
	unsigned int stage;
	int ret = 0;

	rb_ctr.side = side;
	for (stage = RLIST_BENCH_BUILD; stage <= RLIST_BENCH_FREE; stage++) {
		rb_ctr.stage = stage;
		t = ktime_get_ns();
		if (side == RLIST_BENCH_SG)
			ret = rb_sg_stage(&s, in, stage, &blocks, &hash);
		else
			ret = rb_rl_stage(&r, in, stage, &blocks, &hash);
		t = ktime_get_ns() - t;
		if (ret)
			break;
		if (ns)
			ns[stage] = t;
		if (stage != RLIST_BENCH_MAP)
			continue;
		/* The figures of the mapped list, untimed. */
		if (side == RLIST_BENCH_SG) {
			run->sg_nents = s.app.sgt.orig_nents;
			run->sg_dma_nents = s.app.sgt.nents;
			run->mem[side] = sizeof(s.app) + rb_sg_memory(&s.app.sgt);
		} else {
			run->rl_entries = rb_rl_entries(&r.rc.__rl);
			run->identity = rlist_dma_is_identity(&r.rd);
			run->rl_dma_entries = run->identity ? 0 :
				rb_rl_entries(&r.rd.__rl);
			run->mem[side] = rb_rl_memory(&r);
		}
	}
	if (ret) {
		if (side == RLIST_BENCH_SG)
			rb_sg_cleanup(&s);
		else
			rb_rl_cleanup(&r);
		return ret;
	}
	run->blocks[side] = blocks;
	if (blocks != in->npages)
		run->failed |= RLIST_BENCH_CHECK_BLOCKS;
	if (ref_hash && hash != ref_hash)
		run->failed |= RLIST_BENCH_CHECK_ADDRS;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The ib_umem pipeline                                                */
/* ------------------------------------------------------------------ */

/* 6.12's ib_umem_get() and ib_umem_release(), without the accounting. */
static int rb_sg_pipeline(u64 addr, u64 len, struct rlist_bench_run *run,
			  u64 *blocks, bool figures)
{
	unsigned long npages = (PAGE_ALIGN(addr + len) - (addr & PAGE_MASK)) >>
			       PAGE_SHIFT;
	unsigned long cur = addr & PAGE_MASK;
	struct sg_append_table app = {};
	struct page **page_list;
	struct scatterlist *sg;
	unsigned int i;
	long pinned;
	int ret = 0;
	u64 hash;

	page_list = (struct page **)__get_free_page(GFP_KERNEL);
	if (!page_list)
		return -ENOMEM;
	while (npages) {
		cond_resched();
		pinned = pin_user_pages_fast(cur, min_t(unsigned long, npages,
							PAGE_SIZE / sizeof(struct page *)),
					     RB_GUP, page_list);
		if (pinned <= 0) {
			ret = pinned ? pinned : -EFAULT;
			goto release;
		}
		cur += pinned << PAGE_SHIFT;
		npages -= pinned;
		ret = sg_alloc_append_table_from_pages(&app, page_list, pinned,
						       0, pinned << PAGE_SHIFT,
						       dma_get_max_seg_size(rb_dev),
						       npages, GFP_KERNEL);
		if (ret) {
			unpin_user_pages_dirty_lock(page_list, pinned, 0);
			goto release;
		}
	}
	ret = dma_map_sgtable(rb_dev, &app.sgt, RB_DIR, 0);
	if (ret)
		goto release;
	free_page((unsigned long)page_list);
	page_list = NULL;
	*blocks = rb_sg_blocks(&app.sgt, &hash);
	if (figures) {
		run->sg_nents = app.sgt.orig_nents;
		run->sg_dma_nents = app.sgt.nents;
		run->mem[RLIST_BENCH_SG] = sizeof(app) + PAGE_SIZE +
					   rb_sg_memory(&app.sgt);
	}
	dma_unmap_sgtable(rb_dev, &app.sgt, RB_DIR, 0);
release:
	for_each_sgtable_sg(&app.sgt, sg, i)
		unpin_user_page_range_dirty_lock(sg_page(sg),
						 DIV_ROUND_UP(sg->length, PAGE_SIZE),
						 true);
	sg_free_append_table(&app);
	if (page_list)
		free_page((unsigned long)page_list);
	return ret;
}

static int rb_rl_pipeline(u64 addr, u64 len, struct rlist_bench_run *run,
			  u64 *blocks, bool figures)
{
	struct rb_rl r;
	int ret;
	u64 hash;

	rlist_cpu_init(&r.rc);
	ret = rlist_cpu_pin_user(&r.rc, addr, len, RB_GUP, GFP_KERNEL);
	if (ret)
		return ret;
	ret = dma_map_rlist(rb_dev, &r.rc, &r.rd, NULL, RB_DIR, 0, GFP_KERNEL);
	if (ret)
		goto unpin;
	*blocks = rb_rl_blocks(&r.rd, &hash);
	if (figures) {
		run->rl_entries = rb_rl_entries(&r.rc.__rl);
		run->identity = rlist_dma_is_identity(&r.rd);
		run->rl_dma_entries = run->identity ? 0 :
			rb_rl_entries(&r.rd.__rl);
		run->mem[RLIST_BENCH_RLIST] = rb_rl_memory(&r) + PAGE_SIZE;
	}
	dma_unmap_rlist(rb_dev, &r.rc, &r.rd, RB_DIR, 0);
unpin:
	rlist_cpu_unpin(&r.rc, true);
	return ret;
}

/* Ranges of a user buffer, from pages pinned for a moment (untimed). */
static long rb_user_ranges(u64 addr, u64 len)
{
	struct rlist_cpu rc;
	struct rlist_cpu_iter it;
	long n = 0;
	int ret;

	rlist_cpu_init(&rc);
	ret = rlist_cpu_pin_user(&rc, addr, len, 0, GFP_KERNEL);
	if (ret)
		return ret;
	rlist_cpu_for_each_range(&rc, &it)
		n++;
	rlist_cpu_unpin(&rc, false);
	return n;
}

static int rb_pipeline_side(struct rlist_bench_run *run, unsigned int side,
			    u64 *ns)
{
	u64 blocks = 0, t;
	int ret;

	rb_ctr.side = side;
	rb_ctr.stage = RLIST_BENCH_PIPELINE;
	t = ktime_get_ns();
	if (side == RLIST_BENCH_SG)
		ret = rb_sg_pipeline(run->uaddr, run->bytes, run, &blocks, !ns);
	else
		ret = rb_rl_pipeline(run->uaddr, run->bytes, run, &blocks, !ns);
	t = ktime_get_ns() - t;
	if (ret)
		return ret;
	if (ns)
		ns[RLIST_BENCH_PIPELINE] = t;
	run->blocks[side] = blocks;
	if (blocks != run->npages)
		run->failed |= RLIST_BENCH_CHECK_BLOCKS;
	return 0;
}

/* ------------------------------------------------------------------ */
/* A run                                                               */
/* ------------------------------------------------------------------ */

/* Block addresses of the page array, when they are the pages' own. */
static u64 rb_ref_hash(struct rb_input *in)
{
	unsigned long i;
	u64 h = 0;

	if (!in)
		return 0;
	for (i = 0; i < in->npages; i++)
		h = h * 31 + page_to_phys(in->pages[i]);
	return h;
}

static void rb_side(struct rlist_bench_run *run, struct rb_input *in,
		    unsigned int side, int rep, u64 ref_hash)
{
	u64 ns[RLIST_BENCH_NR_STAGES] = {};
	unsigned int stage;
	int ret;

	if (run->err[side])
		return;
	if (in)
		ret = rb_list_side(run, in, side, rep < 0 ? NULL : ns,
				   ref_hash);
	else
		ret = rb_pipeline_side(run, side, rep < 0 ? NULL : ns);
	if (ret) {
		run->err[side] = ret;
		return;
	}
	if (rep >= 0)
		for (stage = 0; stage < RLIST_BENCH_NR_STAGES; stage++)
			run->ns[side][stage][rep] = ns[stage];
	cond_resched();
}

static int rb_run(struct rlist_bench_run *run)
{
	struct rb_input in, *inp = NULL;
	u64 ref_hash = 0, bytes, uaddr, accounted = 0;
	s64 pinned_vm;
	u32 in_kind, reps;
	unsigned int side, c, st;
	int rep, ret;

	if (!run->reps || run->reps > RLIST_BENCH_MAX_REPS ||
	    !run->bytes || !PAGE_ALIGNED(run->bytes) ||
	    run->bytes > RLIST_BENCH_MAX_BYTES ||
	    run->input >= RLIST_BENCH_NR_INPUTS)
		return -EINVAL;
	in_kind = run->input;
	reps = run->reps;
	bytes = run->bytes;
	uaddr = run->uaddr;
	memset(run, 0, sizeof(*run));
	run->input = in_kind;
	run->reps = reps;
	run->bytes = bytes;
	run->uaddr = uaddr;
	run->npages = bytes >> PAGE_SHIFT;
	run->check = RLIST_BENCH_CHECK_BLOCKS;

	if (!run->uaddr) {
		ret = rb_input_alloc(&in, run->input, run->bytes);
		if (ret)
			return ret;
		inp = &in;
		run->nranges = rb_ranges(in.pages, in.npages);
		run->expected_ranges = in.expected;
		/* The DMA address of a page is its physical address. */
		if (!iommu_get_domain_for_dev(rb_dev) ||
		    iommu_get_domain_for_dev(rb_dev)->type ==
		    IOMMU_DOMAIN_IDENTITY) {
			if (!is_swiotlb_force_bounce(rb_dev)) {
				ref_hash = rb_ref_hash(inp);
				run->check |= RLIST_BENCH_CHECK_ADDRS;
			}
		}
	} else {
		long n;

		if (!PAGE_ALIGNED(run->uaddr))
			return -EINVAL;
		/* Pinned while the run lasts: accounted as an MR would be. */
		pinned_vm = atomic64_add_return(run->npages,
						&current->mm->pinned_vm);
		if (pinned_vm > rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT &&
		    !capable(CAP_IPC_LOCK)) {
			atomic64_sub(run->npages, &current->mm->pinned_vm);
			return -ENOMEM;
		}
		accounted = run->npages;
		n = rb_user_ranges(run->uaddr, run->bytes);
		if (n < 0) {
			atomic64_sub(accounted, &current->mm->pinned_vm);
			return n;
		}
		run->nranges = n;
	}

	/* Rep -1 counts, untimed; the side that goes first alternates. */
	memset(&rb_ctr.count, 0, sizeof(rb_ctr.count));
	rb_probes_on();
	rb_side(run, inp, RLIST_BENCH_SG, -1, ref_hash);
	rb_side(run, inp, RLIST_BENCH_RLIST, -1, ref_hash);
	rb_probes_off();
	for (side = 0; side < 2; side++)
		for (st = 0; st < RLIST_BENCH_NR_STAGES; st++)
			for (c = 0; c < RLIST_BENCH_NR_COUNTERS; c++)
				run->count[side][st][c] = rb_have[c] ?
					rb_ctr.count[side][st][c] :
					RLIST_BENCH_NO_COUNT;

	for (rep = 0; rep < run->reps; rep++) {
		side = rep & 1;
		rb_side(run, inp, side, rep, ref_hash);
		rb_side(run, inp, !side, rep, ref_hash);
		if (fatal_signal_pending(current))
			break;
	}
	if (inp)
		rb_input_free(inp);
	atomic64_sub(accounted, &current->mm->pinned_vm);
	return 0;
}

static long rb_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct rlist_bench_run *run;
	struct rlist_bench_info info = {};
	struct iommu_domain *dom;
	long ret;

	switch (cmd) {
	case RLIST_BENCH_IOC_INFO:
		strscpy(info.name, dev_name(rb_dev), sizeof(info.name));
		dom = iommu_get_domain_for_dev(rb_dev);
		info.iommu = dom && dom->type != IOMMU_DOMAIN_IDENTITY;
		info.swiotlb = is_swiotlb_force_bounce(rb_dev);
		info.kprobes = IS_ENABLED(CONFIG_KPROBES);
		return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
	case RLIST_BENCH_IOC_RUN:
		run = kzalloc(sizeof(*run), GFP_KERNEL);
		if (!run)
			return -ENOMEM;
		if (copy_from_user(run, uarg, sizeof(*run))) {
			kfree(run);
			return -EFAULT;
		}
		mutex_lock(&rb_lock);
		ret = rb_run(run);
		mutex_unlock(&rb_lock);
		if (!ret && copy_to_user(uarg, run, sizeof(*run)))
			ret = -EFAULT;
		kfree(run);
		return ret;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations rb_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = rb_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/*
 * QEMU's edu device if there is one (dma-iommu or dma-direct), else a root
 * device (dma-direct).
 */
static struct device *rb_find_dev(void)
{
	struct device *dev = NULL;

#ifdef CONFIG_PCI
	struct pci_dev *pdev = pci_get_device(0x1234, 0x11e8, NULL);

	if (pdev)
		dev = &pdev->dev;	/* the reference is kept */
#endif
	if (!dev) {
		dev = root_device_register("rlist_bench");
		if (IS_ERR(dev))
			return NULL;
		dev->dma_mask = &dev->coherent_dma_mask;
	}
	if (!dev->dma_parms)
		dev->dma_parms = &rb_dma_parms;
	/* As RDMA drivers do: segments as long as sg can describe. */
	dma_set_max_seg_size(dev, UINT_MAX & PAGE_MASK);
	if (dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)))
		dev_warn(dev, "rlist_bench: no 64-bit DMA mask\n");
	return dev;
}

static int __init rb_init(void)
{
	rb_dev = rb_find_dev();
	if (!rb_dev)
		return -ENODEV;
	debugfs_create_file(RLIST_BENCH_FILE, 0600, NULL, NULL, &rb_fops);
	return 0;
}
late_initcall(rb_init);
