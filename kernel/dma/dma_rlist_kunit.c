// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of dma_map_rlist() on a KUnit device: the dma-direct paths.
 *
 * Addresses are checked against what dma_map_sgtable() returns for the same
 * memory on the same device, computed by the scatterlist code, not by rlist.
 */
#include <kunit/test.h>
#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <linux/debugfs.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-rlist.h>
#include <linux/iommu.h>
#include <linux/iommu-dma.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/swiotlb.h>
#include <linux/module.h>
#include <linux/sort.h>
#include <linux/kprobes.h>

#include "../../lib/rlist/rlist_internal.h"
#include "../../lib/rlist/rlist_kunit.h"

/*
 * The tests that watch swiotlb and the cache maintenance with kprobes read
 * the probed functions' arguments one register each: 64-bit kernels whose
 * architecture gives regs_get_kernel_argument().
 */
#if defined(CONFIG_KPROBES) && defined(CONFIG_64BIT) && \
	defined(CONFIG_HAVE_FUNCTION_ARG_ACCESS_API)
#define DR_ARG_PROBES 1
#endif

#define NR_PAGES 24

struct dr_fixture {
	struct device *dev;
	struct page *pages[NR_PAGES];
};

static int dr_init(struct kunit *test)
{
	struct dr_fixture *f;
	int i;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->dev = kunit_device_register(test, "dma_rlist");
	if (IS_ERR(f->dev))
		return PTR_ERR(f->dev);
	/* KUnit devices come without a DMA mask. */
	f->dev->dma_mask = &f->dev->coherent_dma_mask;
	if (dma_set_mask_and_coherent(f->dev, DMA_BIT_MASK(64)))
		return -EIO;
	for (i = 0; i < NR_PAGES; i++) {
		f->pages[i] = alloc_page(GFP_KERNEL);
		if (!f->pages[i])
			return -ENOMEM;
	}
	test->priv = f;
	return 0;
}

static void dr_exit(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	int i;

	for (i = 0; i < NR_PAGES; i++)
		if (f->pages[i])
			__free_page(f->pages[i]);
}

/* Scattered pieces: every other page, odd offsets and lengths. */
static const struct {
	int page;
	unsigned int off, len;
} dr_pieces[] = {
	{ 0, 0, PAGE_SIZE }, { 2, 256, 512 }, { 4, 64, PAGE_SIZE - 64 },
	{ 5, 0, PAGE_SIZE }, { 6, 0, 100 }, { 9, 3, 1 }, { 11, 0, PAGE_SIZE },
};

static void dr_build(struct kunit *test, struct rlist_cpu *rc,
		     struct sg_table *sgt)
{
	struct dr_fixture *f = test->priv;
	struct scatterlist *sg;
	unsigned int i;

	rlist_cpu_init(rc);
	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, ARRAY_SIZE(dr_pieces),
					     GFP_KERNEL), 0);
	for_each_sgtable_sg(sgt, sg, i) {
		struct page *page = f->pages[dr_pieces[i].page];
		unsigned int off = dr_pieces[i].off, len = dr_pieces[i].len;

		sg_set_page(sg, page, len, off);
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(rc, page, off, len,
							    GFP_KERNEL), 0);
	}
	rlist_cpu_append_end(rc);
}

/*
 * The DMA side of @rd, byte by byte, equals what dma_map_sgtable() gives for
 * the same memory: compare the address of every list position.
 */
static void dr_expect_like_sg(struct kunit *test, const struct rlist_dma *rd,
			      struct sg_table *sgt)
{
	struct rlist_dma_iter it;
	struct scatterlist *sg;
	u64 pos = 0;
	unsigned int i;

	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&it, rd, NULL));
	for_each_sgtable_dma_sg(sgt, sg, i) {
		u64 off = 0;

		while (off < sg_dma_len(sg)) {
			u64 n;

			KUNIT_ASSERT_TRUE(test, rlist_dma_iter_valid(&it));
			KUNIT_ASSERT_GE(test, pos, it.pos);
			n = min_t(u64, sg_dma_len(sg) - off,
				  it.pos + it.len - pos);
			KUNIT_EXPECT_EQ_MSG(test, it.addr + (pos - it.pos),
					    sg_dma_address(sg) + off,
					    "list position %llu", pos);
			off += n;
			pos += n;
			if (pos == it.pos + it.len)
				rlist_dma_iter_next(&it);
		}
	}
	KUNIT_EXPECT_FALSE(test, rlist_dma_iter_valid(&it));
	KUNIT_EXPECT_EQ(test, pos, rlist_dma_length(rd));
}

/*
 * A DMA offset for the KUnit device: every physical address below
 * DR_RANGE_END is seen by the device at DR_OFFSET above it.
 */
#define DR_OFFSET	SZ_1G
#define DR_RANGE_END	BIT_ULL(46)

static void dr_drop_range_map(void *data)
{
	struct device *dev = data;

	kfree(dev->dma_range_map);
	dev->dma_range_map = NULL;
}

/**
 * dr_set_offset() - make dma-direct translate the KUnit device's addresses
 * @test: the test; its device gets the map, freed when the test ends
 * @offset: what phys_to_dma() adds to a physical address
 *
 * The map covers the physical addresses [0, DR_RANGE_END), where all
 * memory of the QEMU and UML machines lies, so that phys_to_dma(dev, phys)
 * is phys + @offset for every test page; the device's mask reaches all of
 * it.
 */
static void dr_set_offset(struct kunit *test, u64 offset)
{
	struct dr_fixture *f = test->priv;
	int i;

	for (i = 0; i < NR_PAGES; i++)
		KUNIT_ASSERT_LT(test, page_to_phys(f->pages[i]), DR_RANGE_END);
	KUNIT_ASSERT_EQ(test, dma_direct_set_offset(f->dev, 0, offset,
						    DR_RANGE_END), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dr_drop_range_map,
							f->dev), 0);
	KUNIT_ASSERT_EQ(test, phys_to_dma(f->dev, PAGE_SIZE),
			PAGE_SIZE + offset);
}

/**
 * dr_expect_pieces() - check the DMA side of the list dr_build() made
 * @test: the test
 * @rd: the DMA list
 * @offset: the device's DMA offset
 *
 * Every byte of every piece of dr_pieces[] is at its physical address plus
 * @offset: plain arithmetic on page_to_phys(), not an rlist walk.
 */
static void dr_expect_pieces(struct kunit *test, const struct rlist_dma *rd,
			     u64 offset)
{
	struct dr_fixture *f = test->priv;
	struct rlist_dma_iter it;
	unsigned int i;
	u64 pos = 0;

	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&it, rd, NULL));
	for (i = 0; i < ARRAY_SIZE(dr_pieces); i++) {
		phys_addr_t phys = page_to_phys(f->pages[dr_pieces[i].page]) +
				   dr_pieces[i].off;
		u64 off = 0;

		while (off < dr_pieces[i].len) {
			u64 n;

			KUNIT_ASSERT_TRUE(test, rlist_dma_iter_valid(&it));
			KUNIT_ASSERT_GE(test, pos, it.pos);
			n = min_t(u64, dr_pieces[i].len - off,
				  it.pos + it.len - pos);
			KUNIT_EXPECT_EQ_MSG(test, it.addr + (pos - it.pos),
					    phys + off + offset,
					    "piece %u, list position %llu", i,
					    pos);
			off += n;
			pos += n;
			if (pos == it.pos + it.len)
				rlist_dma_iter_next(&it);
		}
	}
	KUNIT_EXPECT_FALSE(test, rlist_dma_iter_valid(&it));
	KUNIT_EXPECT_EQ(test, pos, rlist_dma_length(rd));
}

/**
 * dr_nr_ranges() - count the physically contiguous ranges of dr_pieces[]
 * @test: the test
 *
 * Return: how many ranges the pieces make once touching ones are merged:
 * the number of pieces dma_map_rlist() maps when no range exceeds
 * dma_max_mapping_size().
 */
static unsigned int dr_nr_ranges(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	phys_addr_t end = 0;
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(dr_pieces); i++) {
		phys_addr_t phys = page_to_phys(f->pages[dr_pieces[i].page]) +
				   dr_pieces[i].off;

		if (!n || phys != end)
			n++;
		end = phys + dr_pieces[i].len;
	}
	return n;
}

/* Restore the number of errors dma-debug still prints. */
static void dr_debug_shown(void *data)
{
	u32 *shown = rlist_kunit_dma_debug_u32("num_errors");

	if (shown)
		WRITE_ONCE(*shown, (uintptr_t)data);
}

/* dma-debug's counters: errors found, entries in use (mapped pieces). */
struct dr_debug {
	const u32 *errors, *free, *total;
};

static bool dr_debug_get(struct dr_debug *d)
{
	d->errors = rlist_kunit_dma_debug_u32("error_count");
	d->free = rlist_kunit_dma_debug_u32("num_free_entries");
	d->total = rlist_kunit_dma_debug_u32("nr_total_entries");
	return d->errors && d->free && d->total;
}

static u32 dr_debug_errors(const struct dr_debug *d)
{
	return READ_ONCE(*d->errors);
}

static u32 dr_debug_entries(const struct dr_debug *d)
{
	return READ_ONCE(*d->total) - READ_ONCE(*d->free);
}

static int dr_walks;

static bool dr_count_walk(struct rlist_cpu_iter *it, const struct rlist_cpu *rc,
			  enum rlist_cpu_step step)
{
	dr_walks++;
	it->__rc = NULL;	/* an empty walk */
	return false;
}

/*
 * Devices may be non-coherent (arm64): make @dev coherent, for the tests
 * that are about addresses rather than cache maintenance (a non-coherent
 * device may also have small buffers bounced, see dr_cm_pieces).
 */
static void dr_make_coherent(struct device *dev)
{
#if defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU) || \
	defined(CONFIG_ARCH_HAS_SYNC_DMA_FOR_CPU_ALL)
	dev->dma_coherent = true;
#endif
}

/*
 * A coherent device that reaches all memory: the DMA list is the CPU list,
 * nothing allocated, the list not walked (unless for DMA API debugging); the
 * addresses are those of dma_map_sgtable().
 */
static void dma_rlist_test_identity(struct kunit *test)
{
	bool debug = IS_ENABLED(CONFIG_DMA_API_DEBUG);
	struct dr_fixture *f = test->priv;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;

	if (is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "swiotlb=force: no identity mapping");
	dr_make_coherent(f->dev);
	dr_build(test, &rc, &sgt);
	dr_walks = 0;
	/*
	 * DMA API debugging must see every piece: the empty walk of the stub
	 * would hide them from it, and it would then report each unmap.
	 */
	if (!debug)
		kunit_activate_static_stub(test, rlist_cpu_iter_start,
					   dr_count_walk);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	dma_sync_rlist_for_cpu(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
	dma_sync_rlist_for_device(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
	if (!debug) {
		kunit_deactivate_static_stub(test, rlist_cpu_iter_start);
		KUNIT_EXPECT_EQ(test, dr_walks, 0);
	}
	KUNIT_EXPECT_TRUE(test, rlist_dma_is_identity(&rd));
	KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), rlist_cpu_length(&rc));

	/*
	 * The addresses do not depend on the direction; DMA_TO_DEVICE keeps
	 * DMA API debugging from seeing overlapping writable mappings.
	 */
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0),
			0);
	dr_expect_like_sg(test, &rd, &sgt);
	dma_unmap_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

static void dr_free_page(void *data)
{
	__free_page(data);
}

/*
 * A list longer than 4 GiB, the same page over and over: its length, a seek
 * past 4 GiB, and, on a coherent device that reaches all memory, its
 * identity mapping, whose length and ranges are those of the CPU list.  A
 * DMA list of as many contiguous pages is one range longer than 4 GiB, cut
 * into segments and blocks of 1 GiB.  Lengths and positions are 64-bit
 * everywhere; with a 32-bit size_t or unsigned long (i386, arm) a value
 * that passes through either on the way comes out cut to 32 bits.
 */
static void dma_rlist_test_over_4g(struct kunit *test)
{
	static const struct rlist_dma_segmentation seg = {
		.max_segment_size = SZ_1G,
		.segment_boundary_mask = U64_MAX,
	};
	const unsigned long n = (SZ_4G >> PAGE_SHIFT) + 3;
	const u64 len = (u64)n * PAGE_SIZE, pos = SZ_4G + PAGE_SIZE + 5;
	const dma_addr_t base = SZ_1G;
	struct dr_fixture *f = test->priv;
	struct rlist_dma_iter dit;
	struct rlist_cpu_iter it;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	struct page *page;
	unsigned long i;
	u64 sum = 0;
	int ret;

	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dr_free_page,
							page), 0);
	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_preload(&rc, n, GFP_KERNEL), 0);
	for (i = 0; i < n; i++) {
		ret = rlist_cpu_append_page(&rc, page, 0, PAGE_SIZE,
					    GFP_KERNEL);
		if (ret) {
			rlist_cpu_destroy(&rc, 0);
			KUNIT_FAIL_AND_ABORT(test, "append %lu: %d", i, ret);
		}
	}
	rlist_cpu_append_end(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), len);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_iter_seek(&it, &rc, pos,
						    RLIST_CPU_STEP_RANGE));
	KUNIT_EXPECT_EQ(test, it.pos, pos);
	KUNIT_EXPECT_EQ(test, it.phys, page_to_phys(page) + 5);
	KUNIT_EXPECT_EQ(test, it.len, PAGE_SIZE - 5);

	if (IS_ENABLED(CONFIG_DMA_API_DEBUG) ||
	    is_swiotlb_force_bounce(f->dev)) {
		/*
		 * DMA API debugging would track a million mappings, swiotlb
		 * bounce as many pages.
		 */
		kunit_info(test, "identity mapping not tried: %s",
			   is_swiotlb_force_bounce(f->dev) ? "swiotlb=force" :
			   "CONFIG_DMA_API_DEBUG");
	} else {
		dr_make_coherent(f->dev);
		KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
						    DMA_BIDIRECTIONAL, 0,
						    GFP_KERNEL), 0);
		KUNIT_EXPECT_TRUE(test, rlist_dma_is_identity(&rd));
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), len);
		i = 0;
		rlist_dma_for_each_range(&rd, &dit) {
			if (dit.addr != page_to_phys(page) ||
			    dit.len != PAGE_SIZE || dit.pos != sum)
				break;
			sum += dit.len;
			i++;
		}
		KUNIT_EXPECT_EQ(test, i, n);
		KUNIT_EXPECT_EQ(test, sum, len);
		dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
	}
	rlist_cpu_destroy(&rc, 0);

	rlist_dma_init(&rd);
	for (i = 0; i < n; i++) {
		ret = rlist_dma_append_absolute(&rd, base + (u64)i * PAGE_SIZE,
						PAGE_SIZE, GFP_KERNEL);
		if (ret) {
			rlist_dma_destroy(&rd);
			KUNIT_FAIL_AND_ABORT(test, "DMA append %lu: %d", i,
					     ret);
		}
	}
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), len);
	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&dit, &rd, NULL));
	KUNIT_EXPECT_EQ(test, dit.addr, base);
	KUNIT_EXPECT_EQ(test, dit.len, len);
	KUNIT_EXPECT_FALSE(test, rlist_dma_iter_next(&dit));
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg), 5);
	KUNIT_EXPECT_EQ(test, rlist_dma_num_blocks(&rd, SZ_1G, base), 5);
	i = 0;
	rlist_dma_for_each_block(&rd, SZ_1G, &dit) {
		KUNIT_EXPECT_EQ(test, dit.addr, base + (u64)i * SZ_1G);
		KUNIT_EXPECT_EQ(test, dit.len,
				i < 4 ? SZ_1G : 3 * PAGE_SIZE);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, 5);
	rlist_dma_destroy(&rd);
}

/* Highest physical address of the pieces, and the lowest page's last byte. */
static void dr_phys_bounds(struct kunit *test, phys_addr_t *low_end,
			   phys_addr_t *high)
{
	struct dr_fixture *f = test->priv;
	unsigned int i;

	*low_end = ~(phys_addr_t)0;
	*high = 0;
	for (i = 0; i < ARRAY_SIZE(dr_pieces); i++) {
		phys_addr_t p = page_to_phys(f->pages[dr_pieces[i].page]);

		*low_end = min(*low_end, p + PAGE_SIZE - 1);
		*high = max(*high, p + PAGE_SIZE - 1);
	}
}

/*
 * A device whose mask reaches the pieces but not all memory: each range is
 * mapped on its own, into a stored list equal to dma_map_sgtable()'s.
 */
static void dma_rlist_test_mapped(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	phys_addr_t low_end, high;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;

	if (is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "swiotlb=force: see dma_rlist_test_swiotlb");
	dr_phys_bounds(test, &low_end, &high);
	if (high >= dma_get_required_mask(f->dev))
		kunit_skip(test, "pages at the top of memory");
	*f->dev->dma_mask = high;
	dr_build(test, &rc, &sgt);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, rlist_dma_is_identity(&rd));
	dma_sync_rlist_for_cpu(f->dev, &rc, &rd, DMA_TO_DEVICE);
	dma_sync_rlist_for_device(f->dev, &rc, &rd, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0),
			0);
	dr_expect_like_sg(test, &rd, &sgt);
	dma_unmap_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

#ifdef CONFIG_SWIOTLB
/* An empty swiotlb: the device has nothing to bounce through. */
static struct io_tlb_mem dr_no_swiotlb;
static struct io_tlb_mem *dr_saved_swiotlb;

static void dr_restore_swiotlb(void *data)
{
	struct dr_fixture *f = data;

	f->dev->dma_io_tlb_mem = dr_saved_swiotlb;
}
#endif

/*
 * A mask that misses some pieces, no swiotlb to bounce through: -EIO, and
 * what was mapped before the failure is unmapped again (DMA API debugging,
 * when enabled, checks that nothing stays mapped).
 */
static void dma_rlist_test_mask_violation(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	phys_addr_t low_end, high;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;

	dr_phys_bounds(test, &low_end, &high);
	KUNIT_ASSERT_LT(test, low_end, high);
	*f->dev->dma_mask = low_end;
#ifdef CONFIG_SWIOTLB
	/* A kernel with more than 4 GiB sets swiotlb up: take it away. */
	dr_saved_swiotlb = f->dev->dma_io_tlb_mem;
	f->dev->dma_io_tlb_mem = &dr_no_swiotlb;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dr_restore_swiotlb,
							f), 0);
#endif
	dr_build(test, &rc, &sgt);
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_FROM_DEVICE, DMA_ATTR_NO_WARN,
					    GFP_KERNEL), -EIO);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

/* Bad arguments and unknown P2P providers are refused with a clear errno. */
static void dma_rlist_test_refused(struct kunit *test)
{
	static const struct rlist_dma_segmentation bad = {
		.max_segment_size = 0,
	};
	struct dr_fixture *f = test->priv;
	struct rlist_cpu rc;
	struct rlist_dma rd;

	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, f->pages[0], 0,
						    PAGE_SIZE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, &bad,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-EINVAL);
	/*
	 * A range of a provider that is not registered (ids are allocated
	 * from 1 up; P2PDMA may not even be built): -ENODEV, after the page
	 * before it was mapped, and unmapped again.
	 */
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, 1ULL << 40, PAGE_SIZE,
						    U32_MAX, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	rlist_cpu_destroy(&rc, 0);

	/* An empty list maps to an empty list. */
	rlist_cpu_init(&rc);
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
}

/*
 * Arguments no caller may pass (each also warns, once): a direction that
 * is none, a device without a DMA mask.  -EINVAL with an empty DMA list,
 * the CPU list unchanged.
 */
static void dma_rlist_test_bad_args(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	u64 *mask = f->dev->dma_mask;
	struct rlist_cpu rc;
	struct rlist_dma rd;

	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, f->pages[0], 0,
						    PAGE_SIZE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL, DMA_NONE,
					    0, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	f->dev->dma_mask = NULL;
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-EINVAL);
	f->dev->dma_mask = mask;
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), PAGE_SIZE);
	rlist_cpu_destroy(&rc, 0);
}

/*
 * swiotlb=force: every piece is bounced.  The bounce buffers hold the data
 * at map time, a write to them (as by the device) reaches the CPU pages on
 * dma_sync_rlist_for_cpu(), and unmap releases them.
 */
static void dma_rlist_test_swiotlb(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct rlist_dma_iter dit;
	struct rlist_cpu_iter it;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	unsigned int i;
	u8 *buf;

	if (!is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "needs swiotlb=force");
	for (i = 0; i < NR_PAGES; i++)
		memset(page_address(f->pages[i]), 0x10 + i, PAGE_SIZE);
	dr_build(test, &rc, &sgt);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&dit, &rd, NULL));
	rlist_cpu_for_each_range(&rc, &it) {
		phys_addr_t bounce;

		while (it.pos >= dit.pos + dit.len)
			KUNIT_ASSERT_TRUE(test, rlist_dma_iter_next(&dit));
		bounce = dma_to_phys(f->dev, dit.addr + (it.pos - dit.pos));
		KUNIT_EXPECT_NE(test, bounce, it.phys);
		buf = phys_to_virt(bounce);
		KUNIT_EXPECT_EQ(test, memcmp(buf, phys_to_virt(it.phys),
					     min_t(u64, it.len, PAGE_SIZE)), 0);
		/* The device writes into the bounce buffer. */
		memset(buf, 0xa5, min_t(u64, it.len, PAGE_SIZE));
	}
	dma_sync_rlist_for_cpu(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
	rlist_cpu_for_each_range(&rc, &it) {
		buf = phys_to_virt(it.phys);
		KUNIT_EXPECT_EQ(test, buf[0], 0xa5);
		KUNIT_EXPECT_EQ(test, buf[min_t(u64, it.len, PAGE_SIZE) - 1],
				0xa5);
	}
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

/*
 * dma-direct with a DMA offset (dev->dma_range_map, as firmware's
 * "dma-ranges" would set): the DMA list is no identity view, every byte is
 * mapped where dma_map_sgtable() maps it and at its physical address plus
 * the offset, sync and unmap go through (and DMA API debugging, if on, finds
 * nothing wrong and nothing left mapped).
 */
static void dma_rlist_test_offset(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct dr_debug dbg;
	bool debug = dr_debug_get(&dbg);
	u32 errors = 0, entries = 0;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;

	if (is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "swiotlb=force: addresses of bounce buffers");
	dr_make_coherent(f->dev);
	dr_set_offset(test, DR_OFFSET);
	dr_build(test, &rc, &sgt);
	if (debug) {
		errors = dr_debug_errors(&dbg);
		entries = dr_debug_entries(&dbg);
	}
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	KUNIT_EXPECT_FALSE(test, rlist_dma_is_identity(&rd));
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), rlist_cpu_length(&rc));
	dma_sync_rlist_for_cpu(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
	dma_sync_rlist_for_device(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
	dr_expect_pieces(test, &rd, DR_OFFSET);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0),
			0);
	dr_expect_like_sg(test, &rd, &sgt);
	dma_unmap_sgtable(f->dev, &sgt, DMA_TO_DEVICE, 0);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
	if (debug) {
		KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
	}
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

static void dr_free_pages4(void *data)
{
	__free_pages(data, 2);
}

/* Four physically contiguous pages, freed when the test ends. */
static struct page *dr_alloc_pages4(struct kunit *test)
{
	struct page *page = alloc_pages(GFP_KERNEL, 2);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dr_free_pages4,
							page), 0);
	return page;
}

/* A CPU list of the first @n pages at @page, page by page. */
static void dr_build_contig(struct kunit *test, struct rlist_cpu *rc,
			    struct page *page, unsigned int n)
{
	unsigned int i;

	rlist_cpu_init(rc);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(rc, page + i, 0,
							    PAGE_SIZE,
							    GFP_KERNEL), 0);
	rlist_cpu_append_end(rc);
}

/*
 * -EOVERFLOW on dma-direct: two contiguous pages on a two-page boundary are
 * one segment for a device that cannot cross two-page boundaries, but a
 * DMA offset of one page moves them across one, two segments: mapping with
 * that segmentation fails and leaves nothing mapped (per DMA API debugging,
 * if on), while without a segmentation, or with the offset a multiple of
 * the boundary, the same list maps at phys + offset.
 */
static void dma_rlist_test_overflow(struct kunit *test)
{
	static const struct rlist_dma_segmentation seg = {
		.max_segment_size = 4 * PAGE_SIZE,
		.segment_boundary_mask = 2 * PAGE_SIZE - 1,
	};
	struct dr_fixture *f = test->priv;
	struct rlist_dma_iter dit;
	struct dr_debug dbg;
	bool debug = dr_debug_get(&dbg);
	u32 errors = 0, entries = 0;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	phys_addr_t phys;
	struct page *page;
	unsigned int n;

	if (is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "swiotlb=force: bounce buffer placement");
	page = dr_alloc_pages4(test);
	phys = page_to_phys(page);
	/* An order-2 block is aligned to 4 pages, so to the boundary. */
	KUNIT_ASSERT_EQ(test, phys & seg.segment_boundary_mask, 0);
	dr_build_contig(test, &rc, page, 2);
	KUNIT_ASSERT_EQ(test, rlist_cpu_nr_segments(&rc, &seg), 1);

	dr_set_offset(test, DR_OFFSET + PAGE_SIZE);
	if (debug) {
		errors = dr_debug_errors(&dbg);
		entries = dr_debug_entries(&dbg);
	}
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, &seg,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
	if (debug) {
		KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
	}

	/* Without a segmentation: mapped, one range at phys + offset. */
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	n = 0;
	rlist_dma_for_each_range(&rd, &dit) {
		KUNIT_EXPECT_EQ(test, dit.addr, phys + DR_OFFSET + PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, dit.len, 2 * PAGE_SIZE);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg), 2);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);

	/* An offset that keeps the boundaries: the segmentation is met. */
	dr_drop_range_map(f->dev);
	KUNIT_ASSERT_EQ(test, dma_direct_set_offset(f->dev, 0, DR_OFFSET,
						    DR_RANGE_END), 0);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, &seg,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&dit, &rd, NULL));
	KUNIT_EXPECT_EQ(test, dit.addr, phys + DR_OFFSET);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
	if (debug) {
		KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
	}
	rlist_cpu_destroy(&rc, 0);
}

/*
 * DMA API debugging sees each mapped piece: a correct map, sync and unmap
 * (identity view, bounced or at an offset) adds one dma-debug entry per
 * physically contiguous range while mapped and no error; syncing or
 * unmapping with another direction than the mapping's is reported once per
 * piece, and the wrong-direction unmap still releases every entry.
 */
static void dma_rlist_test_debug(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	u32 errors, entries, *shown;
	struct dr_debug dbg;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	unsigned int nr;
	int offset;

	if (!IS_ENABLED(CONFIG_DMA_API_DEBUG))
		kunit_skip(test, "needs CONFIG_DMA_API_DEBUG");
	KUNIT_ASSERT_TRUE_MSG(test, dr_debug_get(&dbg),
			      "no dma-api counters in debugfs");
	/*
	 * dma-debug prints only its first errors: keep the misuse below from
	 * silencing the reports of later tests.
	 */
	shown = rlist_kunit_dma_debug_u32("num_errors");
	KUNIT_ASSERT_NOT_NULL(test, shown);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dr_debug_shown,
							(void *)(uintptr_t)
							READ_ONCE(*shown)), 0);
	dr_build(test, &rc, &sgt);
	nr = dr_nr_ranges(test);
	for (offset = 0; offset <= 1; offset++) {
		if (offset)
			dr_set_offset(test, DR_OFFSET);

		/* Correct use: no error, nothing left. */
		errors = dr_debug_errors(&dbg);
		entries = dr_debug_entries(&dbg);
		KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
						    DMA_BIDIRECTIONAL, 0,
						    GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries + nr);
		dma_sync_rlist_for_cpu(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
		dma_sync_rlist_for_device(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
		dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
		KUNIT_EXPECT_EQ_MSG(test, dr_debug_errors(&dbg), errors,
				    "offset %d", offset);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);

		/* Wrong directions: one error per piece and check. */
		errors = dr_debug_errors(&dbg);
		KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
						    DMA_TO_DEVICE, 0,
						    GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
		dma_sync_rlist_for_device(f->dev, &rc, &rd, DMA_FROM_DEVICE);
		KUNIT_EXPECT_EQ_MSG(test, dr_debug_errors(&dbg), errors + nr,
				    "sync, offset %d", offset);
		errors = dr_debug_errors(&dbg);
		dma_unmap_rlist(f->dev, &rc, &rd, DMA_FROM_DEVICE, 0);
		KUNIT_EXPECT_EQ_MSG(test, dr_debug_errors(&dbg), errors + nr,
				    "unmap, offset %d", offset);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	}
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

/* Keep dma-debug printing the errors of later tests after this one's. */
static void dr_debug_keep_shown(struct kunit *test)
{
	u32 *shown = rlist_kunit_dma_debug_u32("num_errors");

	KUNIT_ASSERT_NOT_NULL(test, shown);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dr_debug_shown,
							(void *)(uintptr_t)
							READ_ONCE(*shown)), 0);
}

/*
 * Misuse that no errno can report, caught by DMA API debugging: one error
 * per piece for a sync after unmap (both directions), a second unmap, and
 * the unmap of a DMA list that was never mapped (built by hand at the
 * addresses a mapping would have), for an identity mapping and a stored
 * one (DMA offset).  A second unmap through the same handle finds it
 * emptied by the first and does nothing.  The DMA list of one range needs no memory, so a copy
 * taken before unmap is a stale handle that is safe to use.  None of it
 * touches dma-debug's entries.
 */
static void dma_rlist_test_misuse(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct rlist_dma rd, stale;
	u32 errors, entries;
	struct dr_debug dbg;
	struct rlist_cpu rc;
	struct page *page;
	phys_addr_t phys;
	int offset;

	if (!IS_ENABLED(CONFIG_DMA_API_DEBUG))
		kunit_skip(test, "needs CONFIG_DMA_API_DEBUG");
	/* A stale bounce buffer address must not be synced or unmapped. */
	if (is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "swiotlb=force");
	KUNIT_ASSERT_TRUE_MSG(test, dr_debug_get(&dbg),
			      "no dma-api counters in debugfs");
	dr_debug_keep_shown(test);
	dr_make_coherent(f->dev);
	page = dr_alloc_pages4(test);
	phys = page_to_phys(page);
	dr_build_contig(test, &rc, page, 4);

	for (offset = 0; offset <= 1; offset++) {
		if (offset)
			dr_set_offset(test, DR_OFFSET);
		errors = dr_debug_errors(&dbg);
		entries = dr_debug_entries(&dbg);
		KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
						    DMA_BIDIRECTIONAL, 0,
						    GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, rlist_dma_is_identity(&rd), !offset);
		KUNIT_ASSERT_EQ(test, rlist_memory(&rd.__rl), 0);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries + 1);
		stale = rd;
		dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
		KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);

		/*
		 * The same handle again: unmap emptied it, there is no DMA
		 * address to unmap (a warning, once), nothing happens.
		 */
		dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
		KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);

		/* Sync after unmap. */
		dma_sync_rlist_for_cpu(f->dev, &rc, &stale, DMA_BIDIRECTIONAL);
		KUNIT_EXPECT_EQ_MSG(test, dr_debug_errors(&dbg), errors + 1,
				    "sync for cpu after unmap, offset %d",
				    offset);
		dma_sync_rlist_for_device(f->dev, &rc, &stale,
					  DMA_BIDIRECTIONAL);
		KUNIT_EXPECT_EQ_MSG(test, dr_debug_errors(&dbg), errors + 2,
				    "sync for device after unmap, offset %d",
				    offset);

		/* Double unmap. */
		dma_unmap_rlist(f->dev, &rc, &stale, DMA_BIDIRECTIONAL, 0);
		KUNIT_EXPECT_EQ_MSG(test, dr_debug_errors(&dbg), errors + 3,
				    "double unmap, offset %d", offset);

		/* Unmap of a list that was never mapped. */
		rlist_dma_init(&stale);
		KUNIT_ASSERT_EQ(test,
				rlist_dma_append_absolute(&stale,
							  phys + offset * DR_OFFSET,
							  4 * PAGE_SIZE,
							  GFP_KERNEL), 0);
		dma_unmap_rlist(f->dev, &rc, &stale, DMA_BIDIRECTIONAL, 0);
		KUNIT_EXPECT_EQ_MSG(test, dr_debug_errors(&dbg), errors + 4,
				    "unmap never mapped, offset %d", offset);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
	}
	rlist_cpu_destroy(&rc, 0);
}

static void dr_folio_put(void *data)
{
	folio_put(data);
}

/*
 * The DMA mask narrows between map and unmap (a driver setting it again):
 * sync and unmap act on the pieces the mapping made, not on pieces cut
 * anew.  With swiotlb present but not forced, a 64-bit mask maps 512 KiB of
 * contiguous memory as one piece; under a 24-bit mask the device is
 * addressing-limited and dma_max_mapping_size() is swiotlb's (less than
 * 512 KiB), so cutting the list again would sync and unmap pieces that DMA
 * API debugging never saw mapped.
 */
static void dma_rlist_test_mask_change(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	u64 mask = *f->dev->dma_mask;
	u32 errors, entries;
	struct dr_debug dbg;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	struct folio *folio;

	if (!IS_ENABLED(CONFIG_DMA_API_DEBUG))
		kunit_skip(test, "needs CONFIG_DMA_API_DEBUG");
	if (!is_swiotlb_active(f->dev) || is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "needs swiotlb, not forced");
	KUNIT_ASSERT_TRUE_MSG(test, dr_debug_get(&dbg),
			      "no dma-api counters in debugfs");
	folio = folio_alloc(GFP_KERNEL, get_order(SZ_512K));
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dr_folio_put,
							folio), 0);
	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_folio(&rc, folio, 0, SZ_512K,
						     GFP_KERNEL), 0);
	rlist_cpu_append_end(&rc);

	KUNIT_ASSERT_GE(test, dma_max_mapping_size(f->dev), SZ_512K);
	errors = dr_debug_errors(&dbg);
	entries = dr_debug_entries(&dbg);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries + 1);

	*f->dev->dma_mask = DMA_BIT_MASK(24);
	KUNIT_ASSERT_LT(test, dma_max_mapping_size(f->dev), SZ_512K);
	dma_sync_rlist_for_cpu(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
	dma_sync_rlist_for_device(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
	*f->dev->dma_mask = mask;

	KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
	KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
	rlist_cpu_destroy(&rc, 0);
}

/*
 * The CPU list dr_build() made is still what dr_pieces[] says: its ranges
 * are the pieces with touching ones merged, computed from page_to_phys().
 */
static void dr_expect_built(struct kunit *test, const struct rlist_cpu *rc)
{
	struct dr_fixture *f = test->priv;
	struct rlist_cpu_iter it;
	phys_addr_t start = 0, end = 0;
	unsigned int i, n = 0;
	u64 len = 0;
	bool ok;

	ok = rlist_cpu_iter_start(&it, rc, RLIST_CPU_STEP_RANGE);
	for (i = 0; i <= ARRAY_SIZE(dr_pieces); i++) {
		phys_addr_t phys = 0;

		if (i < ARRAY_SIZE(dr_pieces)) {
			phys = page_to_phys(f->pages[dr_pieces[i].page]) +
			       dr_pieces[i].off;
			len += dr_pieces[i].len;
			if (n && phys == end) {
				end += dr_pieces[i].len;
				continue;
			}
		}
		if (n) {
			KUNIT_ASSERT_TRUE_MSG(test, ok, "range %u missing", n);
			KUNIT_EXPECT_EQ(test, it.phys, start);
			KUNIT_EXPECT_EQ(test, it.len, end - start);
			ok = rlist_cpu_iter_next(&it);
		}
		start = phys;
		end = phys + (i < ARRAY_SIZE(dr_pieces) ? dr_pieces[i].len : 0);
		n++;
	}
	KUNIT_EXPECT_FALSE(test, ok);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(rc), len);
}

/* Allocations of the rlist storage dr_alloc_fail() lets through. */
static long dr_alloc_budget;

static void *dr_alloc_fail(size_t size, gfp_t gfp)
{
	if (dr_alloc_budget-- <= 0)
		return NULL;
	return kmalloc(size, gfp);
}

/*
 * Map @rc with allocation @budget of the DMA list failing (the allocations
 * before it succeed).  Return: what dma_map_rlist() returned.
 */
static int dr_map_budget(struct kunit *test, struct device *dev,
			 const struct rlist_cpu *rc, struct rlist_dma *rd,
			 long budget)
{
	int ret;

	dr_alloc_budget = budget;
	kunit_activate_static_stub(test, rlist_mem_alloc, dr_alloc_fail);
	ret = dma_map_rlist(dev, rc, rd, NULL, DMA_TO_DEVICE, 0, GFP_KERNEL);
	kunit_deactivate_static_stub(test, rlist_mem_alloc);
	return ret;
}

/*
 * dma-direct when the DMA list cannot be stored (a DMA offset, or bouncing,
 * makes it a stored list): each allocation of the rlist storage fails in
 * turn.  Every failure returns -ENOMEM with an empty DMA list that owns no
 * memory, the CPU list unchanged, and (per DMA API debugging, if on)
 * nothing left mapped and no error; then the list maps and unmaps.
 */
static void dma_rlist_test_alloc_failure(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct dr_debug dbg;
	bool debug = dr_debug_get(&dbg);
	u32 errors = 0, entries = 0;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	long budget;
	int ret;

	dr_make_coherent(f->dev);
	dr_set_offset(test, DR_OFFSET);
	dr_build(test, &rc, &sgt);
	if (debug) {
		errors = dr_debug_errors(&dbg);
		entries = dr_debug_entries(&dbg);
	}
	for (budget = 0; budget < 16; budget++) {
		ret = dr_map_budget(test, f->dev, &rc, &rd, budget);
		if (!ret)
			break;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "allocation %ld",
				    budget);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
		KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
		dr_expect_built(test, &rc);
		if (debug) {
			KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
			KUNIT_EXPECT_EQ_MSG(test, dr_debug_entries(&dbg),
					    entries, "allocation %ld", budget);
		}
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* The list needs a directory and a chunk: two failures at least. */
	KUNIT_EXPECT_GE(test, budget, 2);
	if (!is_swiotlb_force_bounce(f->dev))
		dr_expect_pieces(test, &rd, DR_OFFSET);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
	if (debug) {
		KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
		KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
	}
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

static int dr_cmp_page(const void *a, const void *b)
{
	phys_addr_t pa = page_to_phys(*(struct page * const *)a);
	phys_addr_t pb = page_to_phys(*(struct page * const *)b);

	return pa < pb ? -1 : pa > pb;
}

/*
 * dma-direct, a mask violation at piece k for every k: one 512-byte piece
 * of each test page, in ascending physical order (so no two merge), and a
 * mask that ends right below piece k, no swiotlb to bounce through.
 * Mapping fails with -EIO after mapping pieces 0 to k - 1, which are
 * unmapped again: an empty DMA list, the CPU list unchanged, nothing left
 * mapped and no error per DMA API debugging (if on).
 */
static void dma_rlist_test_mask_piece(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct page *sorted[NR_PAGES];
	struct rlist_cpu_iter it;
	u32 errors = 0, entries = 0;
	struct dr_debug dbg;
	bool debug = dr_debug_get(&dbg);
	struct rlist_cpu rc;
	struct rlist_dma rd;
	unsigned int i, k;
	u64 mask = *f->dev->dma_mask;

	dr_make_coherent(f->dev);
	memcpy(sorted, f->pages, sizeof(sorted));
	sort(sorted, NR_PAGES, sizeof(sorted[0]), dr_cmp_page, NULL);
#ifdef CONFIG_SWIOTLB
	dr_saved_swiotlb = f->dev->dma_io_tlb_mem;
	f->dev->dma_io_tlb_mem = &dr_no_swiotlb;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dr_restore_swiotlb,
							f), 0);
#endif
	rlist_cpu_init(&rc);
	for (i = 0; i < NR_PAGES; i++)
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, sorted[i], 0,
							    512, GFP_KERNEL),
				0);
	rlist_cpu_append_end(&rc);
	if (debug) {
		errors = dr_debug_errors(&dbg);
		entries = dr_debug_entries(&dbg);
	}
	for (k = 0; k < NR_PAGES; k++) {
		KUNIT_ASSERT_GT(test, page_to_phys(sorted[k]), 0);
		*f->dev->dma_mask = page_to_phys(sorted[k]) - 1;
		KUNIT_EXPECT_EQ_MSG(test,
				    dma_map_rlist(f->dev, &rc, &rd, NULL,
						  DMA_TO_DEVICE,
						  DMA_ATTR_NO_WARN, GFP_KERNEL),
				    -EIO, "piece %u", k);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
		KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
		if (debug) {
			KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
			KUNIT_EXPECT_EQ_MSG(test, dr_debug_entries(&dbg),
					    entries, "piece %u", k);
		}
	}
	*f->dev->dma_mask = mask;
	/* The CPU list is unchanged: the pieces, in order. */
	i = 0;
	rlist_cpu_for_each_range(&rc, &it) {
		KUNIT_ASSERT_LT(test, i, NR_PAGES);
		KUNIT_EXPECT_EQ(test, it.phys, page_to_phys(sorted[i]));
		KUNIT_EXPECT_EQ(test, it.len, 512);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, NR_PAGES);
	rlist_cpu_destroy(&rc, 0);
}

#if defined(CONFIG_SWIOTLB) && defined(CONFIG_KRETPROBES) && \
	defined(DR_ARG_PROBES)
/*
 * swiotlb finds no slot for the bounce buffer of call number @fail_at:
 * a kretprobe on swiotlb_tbl_map_single() for the test's device releases
 * the slot that call took and makes it return the error.
 */
static struct dr_noslot {
	struct kretprobe krp;
	struct device *dev;
	int calls, fail_at;
} dr_noslot;

struct dr_noslot_call {
	bool fail;
	size_t size;
	enum dma_data_direction dir;
};

static int dr_noslot_entry(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	struct dr_noslot_call *c = (struct dr_noslot_call *)ri->data;

	/* hwdev, phys, mapping_size, alloc_aligned_mask, dir, attrs */
	if (regs_get_kernel_argument(regs, 0) != (unsigned long)dr_noslot.dev)
		return 1;
	c->fail = dr_noslot.calls++ == dr_noslot.fail_at;
	c->size = regs_get_kernel_argument(regs, 2);
	c->dir = regs_get_kernel_argument(regs, 4);
	return 0;
}

static int dr_noslot_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct dr_noslot_call *c = (struct dr_noslot_call *)ri->data;
	phys_addr_t tlb = regs_return_value(regs);

	if (!c->fail)
		return 0;
	if (tlb != (phys_addr_t)DMA_MAPPING_ERROR)
		swiotlb_tbl_unmap_single(dr_noslot.dev, tlb, c->size, c->dir,
					 DMA_ATTR_SKIP_CPU_SYNC);
	regs_set_return_value(regs, (unsigned long)DMA_MAPPING_ERROR);
	return 0;
}

static void dr_noslot_stop(void *data)
{
	unregister_kretprobe(&dr_noslot.krp);
}

/* Slots of swiotlb in use (0 without debugfs, which keeps the count). */
static long dr_swiotlb_used(struct io_tlb_mem *mem)
{
#ifdef CONFIG_DEBUG_FS
	return atomic_long_read(&mem->total_used);
#else
	return 0;
#endif
}

/*
 * swiotlb=force, no bounce slot for piece k, for every k: -EIO, the
 * bounce buffers of the pieces before it released (swiotlb's count of
 * used slots back where it was), an empty DMA list, the CPU list
 * unchanged, nothing left mapped and no error per DMA API debugging.
 */
static void dma_rlist_test_swiotlb_noslot(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct dr_debug dbg;
	bool debug = dr_debug_get(&dbg);
	u32 errors = 0, entries = 0;
	struct io_tlb_mem *mem;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	long used;
	int k, nr;

	if (!is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "needs swiotlb=force");
	mem = f->dev->dma_io_tlb_mem;
	dr_build(test, &rc, &sgt);
	nr = dr_nr_ranges(test);
	dr_noslot = (struct dr_noslot){
		.dev = f->dev,
		.fail_at = -1,
		.krp = {
			.kp.symbol_name = "swiotlb_tbl_map_single",
			.entry_handler = dr_noslot_entry,
			.handler = dr_noslot_ret,
			.data_size = sizeof(struct dr_noslot_call),
		},
	};
	KUNIT_ASSERT_EQ(test, register_kretprobe(&dr_noslot.krp), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dr_noslot_stop,
							NULL), 0);
	if (debug) {
		errors = dr_debug_errors(&dbg);
		entries = dr_debug_entries(&dbg);
	}
	for (k = 0; k <= nr; k++) {
		used = dr_swiotlb_used(mem);
		dr_noslot.calls = 0;
		dr_noslot.fail_at = k;
		if (k == nr)
			break;
		KUNIT_EXPECT_EQ_MSG(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
							DMA_TO_DEVICE,
							DMA_ATTR_NO_WARN,
							GFP_KERNEL),
				    -EIO, "piece %d", k);
		KUNIT_EXPECT_EQ(test, dr_noslot.calls, k + 1);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
		KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
		dr_expect_built(test, &rc);
		KUNIT_EXPECT_EQ_MSG(test, dr_swiotlb_used(mem), used,
				    "piece %d", k);
		if (debug) {
			KUNIT_EXPECT_EQ(test, dr_debug_errors(&dbg), errors);
			KUNIT_EXPECT_EQ(test, dr_debug_entries(&dbg), entries);
		}
	}
	/* One slot per piece: with none failing, the list maps. */
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dr_noslot.calls, nr);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, dr_swiotlb_used(mem), used);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}
#else
static void dma_rlist_test_swiotlb_noslot(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_SWIOTLB and 64-bit CONFIG_KRETPROBES");
}
#endif

#ifdef CONFIG_IOMMU_DMA
struct dr_iommu_dev {
	struct pci_dev *pdev;
	u64 mask, coherent_mask;
};

static void dr_iommu_pdev_release(void *data)
{
	struct dr_iommu_dev *d = data;

	dma_set_mask(&d->pdev->dev, d->mask);
	dma_set_coherent_mask(&d->pdev->dev, d->coherent_mask);
	pci_dev_put(d->pdev);
}

/*
 * QEMU's edu behind dma-iommu (intel-iommu), with a 64-bit DMA mask until
 * the test ends; skips unless the harness handed edu over.
 */
static struct pci_dev *dr_iommu_pdev(struct kunit *test)
{
	struct dr_iommu_dev *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	struct pci_dev *pdev = NULL;

	KUNIT_ASSERT_NOT_NULL(test, d);
	while ((pdev = rlist_kunit_pci_get(test, 0x1234, 0x11e8, pdev)))
		if (use_dma_iommu(&pdev->dev))
			break;
	if (!pdev)
		kunit_skip(test, "no edu (1234:11e8) behind dma-iommu");
	d->pdev = pdev;
	d->mask = dma_get_mask(&pdev->dev);
	d->coherent_mask = pdev->dev.coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							dr_iommu_pdev_release,
							d), 0);
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(&pdev->dev,
							DMA_BIT_MASK(64)), 0);
	return pdev;
}

/*
 * Every page of @rc is where the IOMMU page tables say its DMA address
 * points (or, with @unmapped, nothing is mapped there any more).
 */
static void dr_expect_translation(struct kunit *test, struct device *dev,
				  const struct rlist_cpu *rc,
				  const struct rlist_dma *rd, bool unmapped,
				  const dma_addr_t *addrs)
{
	struct iommu_domain *domain = iommu_get_dma_domain(dev);
	struct rlist_dma_iter dit;
	struct rlist_cpu_iter it;
	unsigned int i = 0;

	if (!unmapped)
		KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&dit, rd, NULL));
	rlist_cpu_for_each_page(rc, &it) {
		dma_addr_t dma;

		if (unmapped) {
			dma = addrs[i++];
			KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, dma),
					0);
			continue;
		}
		while (it.pos >= dit.pos + dit.len)
			KUNIT_ASSERT_TRUE(test, rlist_dma_iter_next(&dit));
		dma = dit.addr + (it.pos - dit.pos);
		KUNIT_EXPECT_EQ_MSG(test, iommu_iova_to_phys(domain, dma),
				    it.phys, "list position %llu", it.pos);
	}
}

/*
 * dma-iommu: a page list is mapped at one IOVA as one DMA range, a list
 * with unaligned interior boundaries at one IOVA too but as several DMA
 * ranges; the IOMMU's page tables translate every page back to its
 * physical address, and nothing is left mapped after unmap.
 */
static void dma_rlist_test_iommu(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	dma_addr_t addrs[NR_PAGES + 2];
	struct rlist_dma_iter dit;
	struct rlist_cpu_iter it;
	struct pci_dev *pdev;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	unsigned int i, n;
	int pagelist, ret;

	pdev = dr_iommu_pdev(test);
	for (pagelist = 1; pagelist >= 0; pagelist--) {
		rlist_cpu_init(&rc);
		/* Every other page, a first offset and a partial last page. */
		for (i = 0; i < NR_PAGES; i += 2) {
			unsigned int off = i ? 0 : 100;
			unsigned int len;

			if (!pagelist && i == 4)
				off = 8;	/* an unaligned boundary */
			len = PAGE_SIZE - off;
			if (i == NR_PAGES - 2)
				len = 300;
			ret = rlist_cpu_append_page(&rc, f->pages[i], off, len,
						    GFP_KERNEL);
			KUNIT_ASSERT_EQ(test, ret, 0);
		}
		rlist_cpu_append_end(&rc);
		KUNIT_EXPECT_EQ(test, !!(rlist_cpu_flags(&rc) &
					 RLIST_CPU_PAGELIST), pagelist);
		KUNIT_ASSERT_EQ(test, dma_map_rlist(&pdev->dev, &rc, &rd, NULL,
						    DMA_BIDIRECTIONAL, 0,
						    GFP_KERNEL), 0);
		n = 0;
		rlist_dma_for_each_range(&rd, &dit)
			n++;
		if (pagelist) {
			KUNIT_EXPECT_EQ(test, n, 1);
			KUNIT_EXPECT_TRUE(test, rlist_dma_has_base(&rd));
			KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
			KUNIT_EXPECT_EQ(test,
					rlist_dma_block_offset(&rd, PAGE_SIZE),
					100);
		} else {
			KUNIT_EXPECT_GT(test, n, 1);
			KUNIT_EXPECT_TRUE(test, rlist_dma_has_base(&rd));
		}
		dr_expect_translation(test, &pdev->dev, &rc, &rd, false, NULL);
		dma_sync_rlist_for_cpu(&pdev->dev, &rc, &rd, DMA_BIDIRECTIONAL);
		dma_sync_rlist_for_device(&pdev->dev, &rc, &rd,
					  DMA_BIDIRECTIONAL);
		/* Remember each page's DMA address to check the unmap. */
		i = 0;
		KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&dit, &rd, NULL));
		rlist_cpu_for_each_page(&rc, &it) {
			while (it.pos >= dit.pos + dit.len)
				rlist_dma_iter_next(&dit);
			if (i < ARRAY_SIZE(addrs))
				addrs[i++] = dit.addr + (it.pos - dit.pos);
		}
		dma_unmap_rlist(&pdev->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
		dr_expect_translation(test, &pdev->dev, &rc, &rd, true, addrs);
		rlist_cpu_destroy(&rc, 0);
	}
}
#else
static void dma_rlist_test_iommu(struct kunit *test)
{
	kunit_skip(test, "no dma-iommu in this kernel");
}
#endif /* CONFIG_IOMMU_DMA */

#ifdef CONFIG_ARCH_HAS_DMA_OPS
/*
 * A dma_map_ops that maps at a fixed offset and records every mapping, to
 * check the generic path that all dma_map_ops other than dma-direct and
 * dma-iommu go through.
 */
#define DR_FAKE_OFFSET	BIT_ULL(40)
#define DR_FAKE_MAX	64

static struct dr_fake {
	struct {
		dma_addr_t dma;
		size_t len;
	} live[DR_FAKE_MAX];
	int nr_live, maps, unmaps, syncs, fail_at;
	bool spread;	/* leave a page of hole after each mapping */
	size_t max;	/* ->max_mapping_size() of dr_fake_page_ops (0: a page) */
} dr_fake;

static dma_addr_t dr_fake_map_page(struct device *dev, struct page *page,
				   unsigned long off, size_t size,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	dma_addr_t dma = page_to_phys(page) + off + DR_FAKE_OFFSET;

	if (dr_fake.spread)
		dma += dr_fake.maps * PAGE_SIZE;
	if (dr_fake.maps++ == dr_fake.fail_at ||
	    dr_fake.nr_live == DR_FAKE_MAX)
		return DMA_MAPPING_ERROR;
	dr_fake.live[dr_fake.nr_live].dma = dma;
	dr_fake.live[dr_fake.nr_live++].len = size;
	return dma;
}

/* Unmap exactly a live mapping, or leave a trace that fails the test. */
static void dr_fake_unmap_page(struct device *dev, dma_addr_t dma,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	int i;

	dr_fake.unmaps++;
	for (i = 0; i < dr_fake.nr_live; i++) {
		if (dr_fake.live[i].dma == dma && dr_fake.live[i].len == size) {
			dr_fake.live[i] = dr_fake.live[--dr_fake.nr_live];
			return;
		}
	}
	dr_fake.nr_live += 1000;
}

static void dr_fake_sync(struct device *dev, dma_addr_t dma, size_t size,
			 enum dma_data_direction dir)
{
	dr_fake.syncs++;
}

static const struct dma_map_ops dr_fake_ops = {
	.map_page = dr_fake_map_page,
	.unmap_page = dr_fake_unmap_page,
	.sync_single_for_cpu = dr_fake_sync,
	.sync_single_for_device = dr_fake_sync,
};

static size_t dr_fake_max_mapping_size(struct device *dev)
{
	return dr_fake.max ?: PAGE_SIZE;
}

/* The same, mapping at most dr_fake.max (a page) per ->map_page() call. */
static const struct dma_map_ops dr_fake_page_ops = {
	.map_page = dr_fake_map_page,
	.unmap_page = dr_fake_unmap_page,
	.sync_single_for_cpu = dr_fake_sync,
	.sync_single_for_device = dr_fake_sync,
	.max_mapping_size = dr_fake_max_mapping_size,
};

/*
 * Device with its own dma_map_ops: every range goes through ->map_page()
 * and comes back at the address it returned, unmap releases each mapping
 * exactly once, a failing ->map_page() unwinds, the dummy ops refuse.
 */
static void dma_rlist_test_ops(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct rlist_dma_iter dit;
	struct rlist_cpu_iter it;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	int nr_ranges = 0, k;

	set_dma_ops(f->dev, &dr_fake_ops);
	dr_build(test, &rc, &sgt);
	rlist_cpu_for_each_range(&rc, &it)
		nr_ranges++;

	dr_fake = (struct dr_fake){ .fail_at = -1 };
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dr_fake.maps, nr_ranges);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, nr_ranges);
	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&dit, &rd, NULL));
	rlist_cpu_for_each_page(&rc, &it) {
		while (it.pos >= dit.pos + dit.len)
			KUNIT_ASSERT_TRUE(test, rlist_dma_iter_next(&dit));
		KUNIT_EXPECT_EQ(test, dit.addr + (it.pos - dit.pos),
				it.phys + DR_FAKE_OFFSET);
	}
	dma_sync_rlist_for_cpu(f->dev, &rc, &rd, DMA_TO_DEVICE);
	dma_sync_rlist_for_device(f->dev, &rc, &rd, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, dr_fake.syncs, 2 * nr_ranges);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);

	/* Each ->map_page() fails in turn: -EIO, nothing left mapped. */
	for (k = 0; k < nr_ranges; k++) {
		dr_fake = (struct dr_fake){ .fail_at = k };
		KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
						    DMA_TO_DEVICE, 0,
						    GFP_KERNEL), -EIO);
		KUNIT_EXPECT_EQ(test, dr_fake.maps, k + 1);
		KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	}

	/* P2P memory is refused before anything is mapped. */
	rlist_cpu_destroy(&rc, 0);
	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, BIT_ULL(41), PAGE_SIZE,
						    1, GFP_KERNEL), 0);
	dr_fake = (struct dr_fake){ .fail_at = -1 };
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-EREMOTEIO);
	KUNIT_EXPECT_EQ(test, dr_fake.maps, 0);

	set_dma_ops(f->dev, &dma_dummy_ops);
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-EINVAL);
	set_dma_ops(f->dev, NULL);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

/*
 * -EOVERFLOW through dma_map_ops: four contiguous pages, one segment, mapped
 * a page at a time by a ->map_page() that leaves holes between them (four
 * segments).  With a segmentation mapping fails, after unmapping each page
 * exactly as it was mapped, and leaves an empty DMA list; without one it
 * succeeds at the addresses ->map_page() returned; with contiguous results
 * the segmentation is met.
 */
static void dma_rlist_test_overflow_ops(struct kunit *test)
{
	static const struct rlist_dma_segmentation seg = {
		.max_segment_size = SZ_1M,
		.segment_boundary_mask = U64_MAX,
	};
	struct dr_fixture *f = test->priv;
	struct rlist_dma_iter dit;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	struct page *page;
	phys_addr_t phys;
	unsigned int n;

	page = dr_alloc_pages4(test);
	phys = page_to_phys(page);
	dr_build_contig(test, &rc, page, 4);
	KUNIT_ASSERT_EQ(test, rlist_cpu_nr_segments(&rc, &seg), 1);
	set_dma_ops(f->dev, &dr_fake_page_ops);

	dr_fake = (struct dr_fake){ .fail_at = -1, .spread = true };
	KUNIT_EXPECT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, &seg,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, dr_fake.maps, 4);
	KUNIT_EXPECT_EQ(test, dr_fake.unmaps, 4);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);

	/* No segmentation to meet: page k at phys + k pages + offset + k. */
	dr_fake = (struct dr_fake){ .fail_at = -1, .spread = true };
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dr_fake.maps, 4);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 4);
	n = 0;
	rlist_dma_for_each_range(&rd, &dit) {
		KUNIT_EXPECT_EQ(test, dit.addr,
				phys + DR_FAKE_OFFSET + 2 * n * PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, dit.len, PAGE_SIZE);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 4);
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg), 4);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, dr_fake.unmaps, 4);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);

	/* Contiguous results are merged: one segment, mapped. */
	dr_fake = (struct dr_fake){ .fail_at = -1 };
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, &seg,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dr_fake.maps, 4);
	KUNIT_EXPECT_EQ(test, rlist_dma_nr_segments(&rd, &seg), 1);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, dr_fake.unmaps, 4);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);

	set_dma_ops(f->dev, NULL);
	rlist_cpu_destroy(&rc, 0);
}

/*
 * A range longer than dma_max_mapping_size() is cut at page boundaries,
 * whatever the limit: four contiguous pages under a limit of two pages and
 * a half are two pieces of two pages, each mapped, synced and unmapped as
 * such.  (On a 32-bit kernel the limit of dma-direct without swiotlb is
 * SIZE_MAX, which is not a whole number of pages either.)
 */
static void dma_rlist_test_ops_piece_pages(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct rlist_dma_iter dit;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	struct page *page;
	phys_addr_t phys;
	int i;

	page = dr_alloc_pages4(test);
	phys = page_to_phys(page);
	dr_build_contig(test, &rc, page, 4);
	set_dma_ops(f->dev, &dr_fake_page_ops);

	/* A limit that is not a whole number of pages. */
	dr_fake = (struct dr_fake){
		.fail_at = -1,
		.max = 2 * PAGE_SIZE + PAGE_SIZE / 2,
	};
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, dr_fake.maps, 2);
	KUNIT_ASSERT_EQ(test, dr_fake.nr_live, 2);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, dr_fake.live[i].dma,
				phys + DR_FAKE_OFFSET + i * 2 * PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, dr_fake.live[i].len, 2 * PAGE_SIZE);
	}
	/* The pieces are contiguous: one DMA range. */
	KUNIT_ASSERT_TRUE(test, rlist_dma_iter_start(&dit, &rd, NULL));
	KUNIT_EXPECT_EQ(test, dit.addr, phys + DR_FAKE_OFFSET);
	KUNIT_EXPECT_EQ(test, dit.len, 4 * PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, rlist_dma_iter_next(&dit));
	dma_sync_rlist_for_cpu(f->dev, &rc, &rd, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, dr_fake.syncs, 2);
	/* Each piece unmapped exactly as it was mapped. */
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, dr_fake.unmaps, 2);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);

	set_dma_ops(f->dev, NULL);
	rlist_cpu_destroy(&rc, 0);
}

/*
 * dma_map_ops, every step that can fail, in turn: ->map_page() at each
 * piece of one range cut into pages (the pieces before it unmapped once
 * each, -EIO), and each allocation of the DMA list (the piece whose
 * address cannot be stored unmapped at once, those before it too,
 * -ENOMEM); the DMA list left empty and owning no memory, the CPU list
 * unchanged, no mapping left live.
 */
static void dma_rlist_test_ops_faults(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	struct page *page;
	long budget;
	int k, ret;

	page = dr_alloc_pages4(test);
	rlist_cpu_init(&rc);
	for (k = 0; k < 4; k++)
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, page + k,
							    k ? 0 : 100,
							    PAGE_SIZE -
							    (k ? 0 : 100),
							    GFP_KERNEL), 0);
	rlist_cpu_append_end(&rc);
	set_dma_ops(f->dev, &dr_fake_page_ops);
	for (k = 0; k < 4; k++) {
		dr_fake = (struct dr_fake){ .fail_at = k };
		KUNIT_EXPECT_EQ_MSG(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
							DMA_TO_DEVICE, 0,
							GFP_KERNEL),
				    -EIO, "piece %d", k);
		KUNIT_EXPECT_EQ(test, dr_fake.maps, k + 1);
		KUNIT_EXPECT_EQ(test, dr_fake.unmaps, k);
		KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
		KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
	}
	/* Four pieces, and nothing more to fail. */
	dr_fake = (struct dr_fake){ .fail_at = 4 };
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dr_fake.maps, 4);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 4 * PAGE_SIZE - 100);
	rlist_cpu_destroy(&rc, 0);

	/* The scattered pieces, with a hole after each mapping. */
	set_dma_ops(f->dev, &dr_fake_ops);
	dr_build(test, &rc, &sgt);
	for (budget = 0; budget < 16; budget++) {
		dr_fake = (struct dr_fake){ .fail_at = -1, .spread = true };
		ret = dr_map_budget(test, f->dev, &rc, &rd, budget);
		if (!ret)
			break;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "allocation %ld",
				    budget);
		KUNIT_EXPECT_GT(test, dr_fake.maps, 0);
		KUNIT_EXPECT_EQ(test, dr_fake.unmaps, dr_fake.maps);
		KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
		KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
		dr_expect_built(test, &rc);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_GE(test, budget, 2);
	dma_unmap_rlist(f->dev, &rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, dr_fake.nr_live, 0);
	set_dma_ops(f->dev, NULL);
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}
#else
static void dma_rlist_test_ops_faults(struct kunit *test)
{
	kunit_skip(test, "no dma_map_ops in this kernel");
}

static void dma_rlist_test_ops(struct kunit *test)
{
	kunit_skip(test, "no dma_map_ops in this kernel");
}

static void dma_rlist_test_overflow_ops(struct kunit *test)
{
	kunit_skip(test, "no dma_map_ops in this kernel");
}

static void dma_rlist_test_ops_piece_pages(struct kunit *test)
{
	kunit_skip(test, "no dma_map_ops in this kernel");
}
#endif /* CONFIG_ARCH_HAS_DMA_OPS */

/*
 * Cache maintenance for non-coherent devices (arm64 and the like: there,
 * devices are not DMA coherent unless the firmware says so, and KUnit
 * devices are not).  kprobes on arch_sync_dma_for_device() and
 * arch_sync_dma_for_cpu() record every call that touches the test pages;
 * each step of a mapping's life (map, sync for the CPU, sync for the
 * device, unmap) must maintain exactly the bytes of the CPU list, each byte
 * once, in the direction of the mapping, and what dma_map_sgtable() and
 * friends maintain for the same memory on the same device.
 */
#ifdef DR_ARG_PROBES
#include <linux/kprobes.h>

#define DR_CM_MAX	32

enum { DR_CM_DEV, DR_CM_CPU, DR_CM_KINDS };

static const char * const dr_cm_syms[DR_CM_KINDS] = {
	"arch_sync_dma_for_device", "arch_sync_dma_for_cpu",
};

/*
 * Odd offsets and lengths, two pieces in one page, a piece ending at a page
 * end then one starting at a page start (one CPU range if the pages happen
 * to be contiguous).  All are 256 bytes or more, so that arm64 does not
 * bounce them through swiotlb as possibly unaligned kmalloc() buffers
 * (dma_kmalloc_needs_bounce()): the maintenance is then on the pages.
 */
static const struct {
	int page;
	unsigned int off, len;
} dr_cm_pieces[] = {
	{ 1, 3, 1021 }, { 3, 0, PAGE_SIZE }, { 7, 5, 301 },
	{ 7, PAGE_SIZE / 2 + 1, 777 }, { 8, 511, PAGE_SIZE - 511 },
	{ 9, 0, 257 }, { 14, PAGE_SIZE / 2 - 3, PAGE_SIZE / 2 + 3 },
};

static struct {
	struct kprobe kp[DR_CM_KINDS];
	phys_addr_t pages[NR_PAGES];
	atomic_t nr[DR_CM_KINDS];
	struct {
		phys_addr_t paddr;
		size_t size;
		enum dma_data_direction dir;
	} calls[DR_CM_KINDS][DR_CM_MAX];
} dr_cm;

/* Bytes [start, end) maintained by one kind of arch call, or expected. */
struct dr_cm_set {
	unsigned int calls[DR_CM_KINDS];
	unsigned int n[DR_CM_KINDS];
	struct {
		phys_addr_t start, end;
	} r[DR_CM_KINDS][DR_CM_MAX];
};

static int dr_cm_pre(struct kprobe *kp, struct pt_regs *regs)
{
	int k = kp == &dr_cm.kp[DR_CM_CPU] ? DR_CM_CPU : DR_CM_DEV;
	phys_addr_t paddr = regs_get_kernel_argument(regs, 0);
	size_t size = regs_get_kernel_argument(regs, 1);
	unsigned int i, n;

	/* Only calls on the test pages: other DMA must not count. */
	for (i = 0; i < NR_PAGES; i++)
		if (paddr < dr_cm.pages[i] + PAGE_SIZE &&
		    paddr + size > dr_cm.pages[i])
			break;
	if (i == NR_PAGES)
		return 0;
	n = atomic_inc_return(&dr_cm.nr[k]) - 1;
	if (n < DR_CM_MAX) {
		dr_cm.calls[k][n].paddr = paddr;
		dr_cm.calls[k][n].size = size;
		dr_cm.calls[k][n].dir = regs_get_kernel_argument(regs, 2);
	}
	return 0;
}

static struct kprobe *dr_cm_kps[DR_CM_KINDS] = {
	&dr_cm.kp[DR_CM_DEV], &dr_cm.kp[DR_CM_CPU],
};

static void dr_cm_unregister(void *unused)
{
	unregister_kprobes(dr_cm_kps, DR_CM_KINDS);
}

/* Order of the ranges' starts (their first member). */
static int dr_cm_cmp(const void *a, const void *b)
{
	const phys_addr_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/*
 * Sort the ranges of @k in @s and merge the touching ones: a byte in two
 * ranges (maintained twice) fails the test.
 */
static void dr_cm_merge(struct kunit *test, struct dr_cm_set *s, int k,
			const char *what)
{
	unsigned int i, n = 0;

	sort(s->r[k], s->n[k], sizeof(s->r[k][0]), dr_cm_cmp, NULL);
	for (i = 0; i < s->n[k]; i++) {
		if (n && s->r[k][i].start < s->r[k][n - 1].end)
			KUNIT_FAIL(test, "%s: %s twice on %pa", what,
				   dr_cm_syms[k], &s->r[k][i].start);
		if (n && s->r[k][i].start <= s->r[k][n - 1].end)
			s->r[k][n - 1].end = max(s->r[k][n - 1].end,
						 s->r[k][i].end);
		else
			s->r[k][n++] = s->r[k][i];
	}
	s->n[k] = n;
}

/* Move the calls recorded so far into @s; each must be in direction @dir. */
static void dr_cm_take(struct kunit *test, struct dr_cm_set *s,
		       enum dma_data_direction dir, const char *what)
{
	unsigned int i, n;
	int k;

	for (k = 0; k < DR_CM_KINDS; k++) {
		n = atomic_xchg(&dr_cm.nr[k], 0);
		KUNIT_ASSERT_LE_MSG(test, n, DR_CM_MAX, "%s: %s", what,
				    dr_cm_syms[k]);
		for (i = 0; i < n; i++) {
			KUNIT_EXPECT_EQ_MSG(test, dr_cm.calls[k][i].dir, dir,
					    "%s: %s on %pa", what,
					    dr_cm_syms[k],
					    &dr_cm.calls[k][i].paddr);
			s->r[k][i].start = dr_cm.calls[k][i].paddr;
			s->r[k][i].end = dr_cm.calls[k][i].paddr +
					 dr_cm.calls[k][i].size;
		}
		s->calls[k] = n;
		s->n[k] = n;
		dr_cm_merge(test, s, k, what);
	}
}

/* Same bytes in @got and @want for each kind of call (@what: the check). */
static void dr_cm_expect_eq(struct kunit *test, const struct dr_cm_set *got,
			    const struct dr_cm_set *want, const char *step,
			    const char *what)
{
	unsigned int i;
	int k;

	for (k = 0; k < DR_CM_KINDS; k++) {
		KUNIT_EXPECT_EQ_MSG(test, got->n[k], want->n[k],
				    "%s, %s: %s ranges", step, what,
				    dr_cm_syms[k]);
		for (i = 0; i < min(got->n[k], want->n[k]); i++) {
			KUNIT_EXPECT_EQ_MSG(test, got->r[k][i].start,
					    want->r[k][i].start,
					    "%s, %s: %s, range %u start", step,
					    what, dr_cm_syms[k], i);
			KUNIT_EXPECT_EQ_MSG(test, got->r[k][i].end,
					    want->r[k][i].end,
					    "%s, %s: %s, range %u end", step,
					    what, dr_cm_syms[k], i);
		}
	}
}

enum { DR_CM_MAP, DR_CM_SYNC_CPU, DR_CM_SYNC_DEV, DR_CM_UNMAP, DR_CM_STEPS };

static const char * const dr_cm_steps[DR_CM_STEPS] = {
	"map", "sync for cpu", "sync for device", "unmap",
};

/*
 * One mapping of the pieces in direction @dir with @attrs, by rlist and by
 * the scatterlist code, step by step; the calls of each step are compared
 * with the pieces' bytes (for the arch call that step must make; none for
 * the other) and with the scatterlist's.
 */
static void dr_cm_lifecycle(struct kunit *test, enum dma_data_direction dir,
			    unsigned long attrs)
{
	bool skip = attrs & DMA_ATTR_SKIP_CPU_SYNC;
	struct dr_fixture *f = test->priv;
	struct dr_cm_set *want, *rl, *sg, *all;
	struct scatterlist *s;
	struct sg_table sgt;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	unsigned int i;

	want = kunit_kcalloc(test, DR_CM_STEPS, sizeof(*want), GFP_KERNEL);
	rl = kunit_kcalloc(test, DR_CM_STEPS, sizeof(*rl), GFP_KERNEL);
	sg = kunit_kcalloc(test, DR_CM_STEPS, sizeof(*sg), GFP_KERNEL);
	all = kunit_kzalloc(test, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, want && rl && sg && all);

	/* The reference: the pieces' bytes, from the pages and offsets. */
	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, sg_alloc_table(&sgt, ARRAY_SIZE(dr_cm_pieces),
					     GFP_KERNEL), 0);
	for_each_sgtable_sg(&sgt, s, i) {
		struct page *page = f->pages[dr_cm_pieces[i].page];
		unsigned int off = dr_cm_pieces[i].off;
		unsigned int len = dr_cm_pieces[i].len;

		sg_set_page(s, page, len, off);
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, page, off, len,
							    GFP_KERNEL), 0);
		all->r[DR_CM_DEV][i].start = page_to_phys(page) + off;
		all->r[DR_CM_DEV][i].end = page_to_phys(page) + off + len;
	}
	rlist_cpu_append_end(&rc);
	all->n[DR_CM_DEV] = i;
	dr_cm_merge(test, all, DR_CM_DEV, "pieces");
	all->n[DR_CM_CPU] = all->n[DR_CM_DEV];
	memcpy(all->r[DR_CM_CPU], all->r[DR_CM_DEV], sizeof(all->r[0]));
	/* Map and unmap skip the maintenance with DMA_ATTR_SKIP_CPU_SYNC. */
	if (!skip)
		want[DR_CM_MAP].n[DR_CM_DEV] = all->n[DR_CM_DEV];
	want[DR_CM_SYNC_CPU].n[DR_CM_CPU] = all->n[DR_CM_CPU];
	want[DR_CM_SYNC_DEV].n[DR_CM_DEV] = all->n[DR_CM_DEV];
	if (!skip)
		want[DR_CM_UNMAP].n[DR_CM_CPU] = all->n[DR_CM_CPU];
	for (i = 0; i < DR_CM_STEPS; i++)
		memcpy(want[i].r, all->r, sizeof(all->r));

	atomic_set(&dr_cm.nr[DR_CM_DEV], 0);
	atomic_set(&dr_cm.nr[DR_CM_CPU], 0);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(f->dev, &rc, &rd, NULL, dir,
					    attrs, GFP_KERNEL), 0);
	dr_cm_take(test, &rl[DR_CM_MAP], dir, "rlist map");
	KUNIT_EXPECT_FALSE(test, rlist_dma_is_identity(&rd));
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(f->dev, &sgt, dir, attrs), 0);
	dr_cm_take(test, &sg[DR_CM_MAP], dir, "sg map");
	dr_expect_like_sg(test, &rd, &sgt);

	dma_sync_rlist_for_cpu(f->dev, &rc, &rd, dir);
	dr_cm_take(test, &rl[DR_CM_SYNC_CPU], dir, "rlist sync for cpu");
	dma_sync_sgtable_for_cpu(f->dev, &sgt, dir);
	dr_cm_take(test, &sg[DR_CM_SYNC_CPU], dir, "sg sync for cpu");

	dma_sync_rlist_for_device(f->dev, &rc, &rd, dir);
	dr_cm_take(test, &rl[DR_CM_SYNC_DEV], dir, "rlist sync for device");
	dma_sync_sgtable_for_device(f->dev, &sgt, dir);
	dr_cm_take(test, &sg[DR_CM_SYNC_DEV], dir, "sg sync for device");

	dma_unmap_rlist(f->dev, &rc, &rd, dir, attrs);
	dr_cm_take(test, &rl[DR_CM_UNMAP], dir, "rlist unmap");
	dma_unmap_sgtable(f->dev, &sgt, dir, attrs);
	dr_cm_take(test, &sg[DR_CM_UNMAP], dir, "sg unmap");

	for (i = 0; i < DR_CM_STEPS; i++) {
		kunit_info(test, "dir %d attrs %#lx %s: for_device/for_cpu calls: rlist %u/%u, sg %u/%u\n",
			   dir, attrs, dr_cm_steps[i], rl[i].calls[DR_CM_DEV],
			   rl[i].calls[DR_CM_CPU], sg[i].calls[DR_CM_DEV],
			   sg[i].calls[DR_CM_CPU]);
		dr_cm_expect_eq(test, &rl[i], &want[i], dr_cm_steps[i],
				"rlist vs pieces");
		dr_cm_expect_eq(test, &sg[i], &rl[i], dr_cm_steps[i],
				"sg vs rlist");
	}
	rlist_cpu_destroy(&rc, 0);
	sg_free_table(&sgt);
}

/* Skip unless the device needs cache maintenance; else start recording. */
static void dr_cm_start(struct kunit *test)
{
	struct dr_fixture *f = test->priv;
	int k;

	if (!IS_ENABLED(CONFIG_ARCH_HAS_SYNC_DMA_FOR_DEVICE) ||
	    dev_is_dma_coherent(f->dev))
		kunit_skip(test, "coherent device: no cache maintenance");
	if (is_swiotlb_force_bounce(f->dev))
		kunit_skip(test, "swiotlb=force: maintenance of bounce buffers");
	for (k = 0; k < NR_PAGES; k++)
		dr_cm.pages[k] = page_to_phys(f->pages[k]);
	/* A registration leaves its marks: start from clean kprobes. */
	for (k = 0; k < DR_CM_KINDS; k++)
		dr_cm.kp[k] = (struct kprobe){ .symbol_name = dr_cm_syms[k],
					       .pre_handler = dr_cm_pre };
	KUNIT_ASSERT_EQ(test, register_kprobes(dr_cm_kps, DR_CM_KINDS), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dr_cm_unregister,
							NULL), 0);
}

/*
 * A non-coherent device: dma_map_rlist() is no identity view; map and
 * sync for the device clean exactly the CPU list's bytes, sync for the CPU
 * and unmap invalidate exactly them (arch_sync_dma_for_cpu() is called
 * for DMA_TO_DEVICE too, as dma-direct does, and returns at once), each
 * byte once, in the mapping's direction, as for a scatterlist.
 */
static void dma_rlist_test_noncoherent(struct kunit *test)
{
	dr_cm_start(test);
	dr_cm_lifecycle(test, DMA_TO_DEVICE, 0);
	dr_cm_lifecycle(test, DMA_FROM_DEVICE, 0);
	dr_cm_lifecycle(test, DMA_BIDIRECTIONAL, 0);
}

/*
 * DMA_ATTR_SKIP_CPU_SYNC: map and unmap do no cache maintenance at all;
 * explicit syncs still do.
 */
static void dma_rlist_test_noncoherent_skip_sync(struct kunit *test)
{
	dr_cm_start(test);
	dr_cm_lifecycle(test, DMA_TO_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	dr_cm_lifecycle(test, DMA_FROM_DEVICE, DMA_ATTR_SKIP_CPU_SYNC);
	dr_cm_lifecycle(test, DMA_BIDIRECTIONAL, DMA_ATTR_SKIP_CPU_SYNC);
}
#else
static void dma_rlist_test_noncoherent(struct kunit *test)
{
	kunit_skip(test, "needs 64-bit CONFIG_KPROBES");
}

static void dma_rlist_test_noncoherent_skip_sync(struct kunit *test)
{
	kunit_skip(test, "needs 64-bit CONFIG_KPROBES");
}
#endif /* DR_ARG_PROBES */

static struct kunit_case dma_rlist_test_cases[] = {
	KUNIT_CASE(dma_rlist_test_identity),
	KUNIT_CASE(dma_rlist_test_over_4g),
	KUNIT_CASE(dma_rlist_test_mapped),
	KUNIT_CASE(dma_rlist_test_mask_violation),
	KUNIT_CASE(dma_rlist_test_refused),
	KUNIT_CASE(dma_rlist_test_bad_args),
	KUNIT_CASE(dma_rlist_test_swiotlb),
	KUNIT_CASE(dma_rlist_test_swiotlb_noslot),
	KUNIT_CASE(dma_rlist_test_offset),
	KUNIT_CASE(dma_rlist_test_overflow),
	KUNIT_CASE(dma_rlist_test_debug),
	KUNIT_CASE(dma_rlist_test_misuse),
	KUNIT_CASE(dma_rlist_test_mask_change),
	KUNIT_CASE(dma_rlist_test_alloc_failure),
	KUNIT_CASE(dma_rlist_test_mask_piece),
	KUNIT_CASE(dma_rlist_test_iommu),
	KUNIT_CASE(dma_rlist_test_ops),
	KUNIT_CASE(dma_rlist_test_overflow_ops),
	KUNIT_CASE(dma_rlist_test_ops_piece_pages),
	KUNIT_CASE(dma_rlist_test_ops_faults),
	KUNIT_CASE(dma_rlist_test_noncoherent),
	KUNIT_CASE(dma_rlist_test_noncoherent_skip_sync),
	{}
};

static struct kunit_suite dma_rlist_test_suite = {
	.name = "dma_rlist",
	.init = dr_init,
	.exit = dr_exit,
	.test_cases = dma_rlist_test_cases,
};

kunit_test_suite(dma_rlist_test_suite);

MODULE_DESCRIPTION("KUnit tests for DMA mapping of range lists");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
