// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of ib_umem on range lists.
 *
 * User memory comes from kunit_vm_mmap() (the test thread gets an mm), is
 * filled through copy_to_user() with a pattern of the byte position, and is
 * registered with ib_umem_get() for a fake struct ib_device whose DMA
 * device is:
 *
 * - "direct": a KUnit device without IOMMU (dma-direct; bouncing when the
 *   kernel runs with swiotlb=force);
 * - "virt": none, i.e. a device that uses virtual DMA like rxe and siw;
 * - "edu" (suite ib_umem_edu, QEMU only): QEMU's edu PCI device, behind
 *   intel-iommu or not, whose DMA engine reads the umem at the addresses
 *   the block iterator returns.
 *
 * Suite ib_umem_p2p (QEMU only) registers a umem on a dma-buf of page-less
 * P2P memory: a range of an ivshmem-plain BAR exported by rlist_p2p_bar,
 * with the edu below the PCIe switch as the DMA device, which reads the
 * BAR through the umem's blocks.
 *
 * ib_umem_dmabuf is registered on a dma-buf exported by the test itself
 * (pages of its own), which either maps them with dma_map_sgtable() for the
 * importer, whose per-page DMA addresses are then the reference, or gives
 * them as CPU ranges (dma_buf_get_rlist()) that the umem maps itself, each
 * of its DMA addresses then translated back to the page it must lead to.
 *
 * The reference is independent of the code under test: the pages come from
 * pin_user_pages_fast() on the same range, every DMA address is translated
 * back to memory by other means (iommu_iova_to_phys(), dma_to_phys(), the
 * kernel mapping) and the bytes found there are compared with the pattern;
 * the best page size and the HW blocks are computed by the algorithm of the
 * 6.12 scatterlist code over the per-page DMA addresses.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-resv.h>
#include <linux/err.h>
#include <linux/fdtable.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>
#include <linux/uaccess.h>
#include <rdma/ib_umem.h>
#include <rdma/iter.h>

#include "../../../lib/rlist/rlist_kunit.h"
#include "../../../lib/rlist/rlist_p2p_bar.h"
#include "../../../kernel/dma/rlist_edu_kunit.h"

/* More than one pinning batch (512 pages). */
#define UMEM_PAGES	600
/* The umem starts and ends inside its first and last page. */
#define UMEM_HEAD	123
#define UMEM_TAIL	77

enum umem_kind {
	UMEM_DIRECT,
	UMEM_VIRT,
	UMEM_EDU,
};

struct umem_fix {
	enum umem_kind kind;
	struct ib_device *ibdev;
	struct device *dev;		/* NULL for virtual DMA */
	struct iommu_domain *domain;	/* set when behind an IOMMU */
	bool bounce;			/* swiotlb forced for the device */
	u32 seed;
};

/* The edu fixture owns test->priv: the tests find theirs here. */
static struct umem_fix *umem_cur;

static u8 umem_byte(u64 pos, u32 seed)
{
	u32 x = ((u32)pos + seed * 0x9e3779b9u) * 2654435761u;

	return (x >> 24) ^ (x >> 11);
}

static void umem_pattern(u8 *buf, size_t len, u64 pos, u32 seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = umem_byte(pos + i, seed);
}

/* Compare @len bytes at @p with the pattern at @pos; report the first miss. */
static void umem_expect_pattern(struct kunit *test, const char *what,
				const u8 *p, size_t len, u64 pos)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != umem_byte(pos + i, umem_cur->seed)) {
			KUNIT_FAIL(test, "%s: byte %llu is %#x, want %#x", what,
				   pos + i, p[i], umem_byte(pos + i, umem_cur->seed));
			return;
		}
	}
}

static void umem_setup(struct kunit *test, enum umem_kind kind,
		       struct device *dev)
{
	struct umem_fix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	f->ibdev = kunit_kzalloc(test, sizeof(*f->ibdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->ibdev);
	f->kind = kind;
	f->dev = dev;
	f->ibdev->dma_device = dev;
	if (dev && device_iommu_mapped(dev))
		f->domain = iommu_get_domain_for_dev(dev);
	f->bounce = dev && is_swiotlb_force_bounce(dev);
	f->seed = get_random_u32();
	umem_cur = f;
}

/* Fill @npages pages of user memory at @addr with the pattern. */
static void umem_fill_user(struct kunit *test, unsigned long addr,
			   unsigned long npages)
{
	u8 *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < npages; i++) {
		umem_pattern(buf, PAGE_SIZE, (u64)i * PAGE_SIZE, umem_cur->seed);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr +
						   i * PAGE_SIZE, buf, PAGE_SIZE),
				0);
	}
	kunit_kfree(test, buf);
}

/*
 * The memory at DMA address @dma, for @len bytes, found without the code
 * under test: through the IOMMU's page table, the DMA offset of dma-direct
 * (a swiotlb slot when bouncing) or the kernel mapping for virtual DMA.
 * Also check that a page that is not bounced is @page itself.
 */
static const u8 *umem_dma_to_cpu(struct kunit *test, dma_addr_t dma,
				 struct page *page)
{
	struct umem_fix *f = umem_cur;
	phys_addr_t phys;

	if (!f->dev) {
		KUNIT_EXPECT_EQ(test, (u64)dma,
				(u64)(uintptr_t)page_address(page));
		return (const u8 *)(uintptr_t)dma;
	}
	if (f->domain)
		phys = iommu_iova_to_phys(f->domain, dma);
	else
		phys = dma_to_phys(f->dev, dma);
	if (!f->bounce)
		KUNIT_EXPECT_EQ(test, (u64)phys, (u64)page_to_phys(page));
	return phys_to_virt(phys);
}

/*
 * The best page size, as the 6.12 scatterlist code computes it, for a list
 * of @npages pages at DMA addresses @dma, the umem starting at @pgoff in the
 * first page, @length bytes long, mapped at HW address @virt.
 */
static unsigned long ref_best_pgsz(const dma_addr_t *dma, unsigned long npages,
				   unsigned long pgoff, size_t length,
				   unsigned long pgsz_bitmap, u64 virt)
{
	unsigned long curr_len = 0, mask = 0, i;
	dma_addr_t curr_base = ~0, end;
	unsigned int bits;
	u64 last_va, va = virt;

	if (check_add_overflow(length - 1, virt, &last_va))
		return 0;
	bits = bits_per(virt ^ last_va);
	if (bits < BITS_PER_LONG)
		mask = pgsz_bitmap & GENMASK(BITS_PER_LONG - 1, bits);
	for (i = 0; i < npages; i++) {
		if (check_add_overflow(curr_base, curr_len, &end) ||
		    end != dma[i]) {
			curr_base = dma[i];
			curr_len = 0;
			mask |= (curr_base + pgoff) ^ va;
			if (i)
				mask |= va;
		}
		curr_len += PAGE_SIZE;
		va += PAGE_SIZE - pgoff;
		pgoff = 0;
	}
	if (mask)
		pgsz_bitmap &= GENMASK(__ffs(mask), 0);
	return pgsz_bitmap ? rounddown_pow_of_two(pgsz_bitmap) : 0;
}

/*
 * rdma_umem_for_each_dma_block() with @pgsz yields, for every @pgsz block
 * of [@virt, @virt + length) in HW address space, the aligned DMA address of
 * the block that holds its first byte.
 */
static void umem_expect_blocks(struct kunit *test, struct ib_umem *umem,
			       const dma_addr_t *dma, unsigned long pgsz,
			       u64 virt)
{
	u64 first = ALIGN_DOWN(virt, pgsz);
	u64 nblocks = (ALIGN(virt + umem->length, pgsz) - first) / pgsz;
	struct ib_block_iter biter;
	u64 n = 0;

	rdma_umem_for_each_dma_block(umem, &biter, pgsz) {
		u64 va = max(first + n * pgsz, virt);
		u64 pos = va - virt + ib_umem_offset(umem);
		dma_addr_t want = dma[pos >> PAGE_SHIFT] + (pos & ~PAGE_MASK);

		if (n < nblocks)
			KUNIT_EXPECT_EQ_MSG(test, rdma_block_iter_dma_address(&biter),
					    ALIGN_DOWN(want, pgsz),
					    "pgsz %#lx block %llu", pgsz, n);
		n++;
	}
	KUNIT_EXPECT_EQ_MSG(test, n, nblocks, "pgsz %#lx", pgsz);
	KUNIT_EXPECT_EQ(test, (u64)ib_umem_num_dma_blocks(umem, pgsz), nblocks);
}

static void umem_expect_pins(struct kunit *test, struct page **pages,
			     unsigned long npages, int pins)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		KUNIT_EXPECT_EQ_MSG(test, rlist_kunit_pins_of(pages[i]), pins,
				    "page %lu", i);
}

static s64 umem_pinned_vm(void)
{
	return atomic64_read(&current->mm->pinned_vm);
}

/* Let edu read a few spans of the umem and compare them with the pattern. */
static void umem_edu_check(struct kunit *test, const dma_addr_t *dma,
			   unsigned long npages)
{
	const unsigned long sample[] = { 0, 1, npages / 2, npages - 1 };
	u8 *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < ARRAY_SIZE(sample); i++) {
		unsigned long pg = sample[i];
		size_t off = pg ? 0 : UMEM_HEAD;
		size_t len = PAGE_SIZE - off - (pg == npages - 1 ? UMEM_TAIL : 0);

		rlist_edu_fetch(test, dma[pg] + off, buf, len);
		umem_expect_pattern(test, "edu read", buf, len,
				    (u64)pg * PAGE_SIZE + off);
	}
	kunit_kfree(test, buf);
}

/*
 * Register an odd range over more than one pinning batch and check all that
 * a driver sees: the pages, pins, accounting, DMA blocks (their addresses
 * lead to the umem's bytes), best page sizes and HW blocks compared with the
 * 6.12 algorithm, ib_umem_copy_from(), and release.
 */
static void ib_umem_test_map(struct kunit *test)
{
	static const unsigned long bitmaps[] = {
		SZ_4K | SZ_2M | SZ_1G,
		SZ_4K | SZ_8K | SZ_64K | SZ_2M,
		GENMASK(30, 12),
		SZ_1K | SZ_4K,
	};
	const unsigned long npages = UMEM_PAGES;
	const size_t len = npages * PAGE_SIZE - UMEM_HEAD - UMEM_TAIL;
	struct umem_fix *f = umem_cur;
	struct rlist_cpu_iter it;
	struct ib_block_iter biter;
	unsigned long addr, start, i, n;
	struct page **ref;
	struct ib_umem *umem;
	dma_addr_t *dma;
	s64 pinned;
	u8 *buf;

	dma = kunit_kcalloc(test, npages, sizeof(*dma), GFP_KERNEL);
	buf = kunit_kmalloc(test, len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	addr = rlist_kunit_map_anon(test, npages);
	start = addr + UMEM_HEAD;
	umem_fill_user(test, addr, npages);
	ref = rlist_kunit_ref_pin(test, addr, npages, FOLL_WRITE | FOLL_LONGTERM);

	pinned = umem_pinned_vm();
	umem = ib_umem_get(f->ibdev, start, len, IB_ACCESS_LOCAL_WRITE);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(umem), "ib_umem_get: %ld",
			       PTR_ERR(umem));
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned + (s64)npages);
	KUNIT_EXPECT_EQ(test, ib_umem_length(umem), len);
	KUNIT_EXPECT_EQ(test, ib_umem_offset(umem), UMEM_HEAD);
	KUNIT_EXPECT_EQ(test, ib_umem_num_pages(umem), npages);
	umem_expect_pins(test, ref, npages, 2);

	/* The pages: exactly those of the reference, in order. */
	n = 0;
	ib_umem_for_each_page(umem, &it) {
		if (n < npages)
			KUNIT_EXPECT_PTR_EQ_MSG(test, rlist_cpu_iter_page(&it),
						ref[n], "page %lu", n);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, npages);
	KUNIT_EXPECT_PTR_EQ(test, ib_umem_first_page(umem), ref[0]);

	/* Page blocks: each leads to its page and holds its bytes. */
	n = 0;
	rdma_umem_for_each_dma_block(umem, &biter, PAGE_SIZE) {
		if (n < npages) {
			dma[n] = rdma_block_iter_dma_address(&biter);
			umem_expect_pattern(test, "page block",
					    umem_dma_to_cpu(test, dma[n], ref[n]),
					    PAGE_SIZE, (u64)n * PAGE_SIZE);
		}
		n++;
	}
	KUNIT_ASSERT_EQ(test, n, npages);
	KUNIT_EXPECT_EQ(test, ib_umem_first_dma_addr(umem), dma[0]);
	KUNIT_EXPECT_EQ(test, ib_umem_dma_offset(umem, SZ_2M),
			(unsigned long)((dma[0] + UMEM_HEAD) & (SZ_2M - 1)));
	if (IS_ENABLED(CONFIG_DMA_RLIST_EDU_KUNIT_TEST) && f->kind == UMEM_EDU)
		umem_edu_check(test, dma, npages);

	/* Best page sizes and HW blocks, for several HW addresses. */
	for (i = 0; i < ARRAY_SIZE(bitmaps); i++) {
		const u64 virts[] = { start, SZ_1G + UMEM_HEAD, dma[0] + UMEM_HEAD,
				      SZ_2M + 8 };
		unsigned int v;

		for (v = 0; v < ARRAY_SIZE(virts); v++) {
			unsigned long want = ref_best_pgsz(dma, npages, UMEM_HEAD,
							   len, bitmaps[i],
							   virts[v]);
			unsigned long got = ib_umem_find_best_pgsz(umem, bitmaps[i],
								   virts[v]);

			KUNIT_EXPECT_EQ_MSG(test, got, want,
					    "bitmap %#lx virt %#llx", bitmaps[i],
					    virts[v]);
			KUNIT_EXPECT_EQ(test, umem->iova, virts[v]);
			if (got && got == want)
				umem_expect_blocks(test, umem, dma, got, virts[v]);
		}
	}

	/* ib_umem_copy_from(): whole, a middle span, and out of range. */
	KUNIT_ASSERT_EQ(test, ib_umem_copy_from(buf, umem, 0, len), 0);
	umem_expect_pattern(test, "copy_from", buf, len, UMEM_HEAD);
	KUNIT_ASSERT_EQ(test, ib_umem_copy_from(buf, umem, 5000, 9000), 0);
	umem_expect_pattern(test, "copy_from span", buf, 9000, UMEM_HEAD + 5000);
	KUNIT_EXPECT_EQ(test, ib_umem_copy_from(buf, umem, len - 1, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, ib_umem_copy_from(buf, umem, len + 1, 0), -EINVAL);

	ib_umem_release(umem);
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned);
	umem_expect_pins(test, ref, npages, 1);
	unpin_user_pages(ref, npages);
}

/* Release dirties the pages of a writable umem only. */
static void ib_umem_test_dirty(struct kunit *test)
{
	const unsigned long npages = 8;
	struct umem_fix *f = umem_cur;
	unsigned long addr, i;
	struct ib_umem *umem;
	struct page **ref;
	int writable;

	addr = rlist_kunit_map_anon(test, npages);
	umem_fill_user(test, addr, npages);
	ref = rlist_kunit_ref_pin(test, addr, npages, FOLL_WRITE | FOLL_LONGTERM);
	for (writable = 0; writable < 2; writable++) {
		umem = ib_umem_get(f->ibdev, addr, npages * PAGE_SIZE,
				   writable ? IB_ACCESS_LOCAL_WRITE : 0);
		KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
		for (i = 0; i < npages; i++)
			folio_clear_dirty(page_folio(ref[i]));
		ib_umem_release(umem);
		for (i = 0; i < npages; i++)
			KUNIT_EXPECT_EQ_MSG(test,
					    folio_test_dirty(page_folio(ref[i])),
					    !!writable, "writable %d page %lu",
					    writable, i);
		umem_expect_pins(test, ref, npages, 1);
	}
	unpin_user_pages(ref, npages);
}

/*
 * The seeds' rule holds through ib_umem_get(): a writable long-term pin of
 * a file mapping that needs dirty tracking (ramfs) is refused, a read-only
 * one is allowed.  Nothing stays pinned or accounted after the refusal.
 */
static void ib_umem_test_file_longterm(struct kunit *test)
{
	const unsigned long npages = 4;
	struct file *file = rlist_kunit_ramfs_file(test, npages);
	struct umem_fix *f = umem_cur;
	struct ib_umem *umem;
	struct page **ref;
	unsigned long addr;
	s64 pinned;

	addr = kunit_vm_mmap(test, file, 0, npages * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE(test, !addr || IS_ERR_VALUE(addr));
	ref = rlist_kunit_ref_pin(test, addr, npages, 0);

	pinned = umem_pinned_vm();
	umem = ib_umem_get(f->ibdev, addr + 1, npages * PAGE_SIZE - 1,
			   IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(umem), -EFAULT);
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned);
	umem_expect_pins(test, ref, npages, 1);

	umem = ib_umem_get(f->ibdev, addr + 1, npages * PAGE_SIZE - 1, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
	umem_expect_pins(test, ref, npages, 2);
	ib_umem_release(umem);
	umem_expect_pins(test, ref, npages, 1);
	unpin_user_pages(ref, npages);
}

struct umem_memlock {
	const struct cred *old;
	struct rlimit saved;
};

static void umem_memlock_restore(void *data)
{
	struct umem_memlock *m = data;

	task_lock(current->group_leader);
	current->signal->rlim[RLIMIT_MEMLOCK] = m->saved;
	task_unlock(current->group_leader);
	revert_creds(m->old);
}

static void umem_set_memlock(u64 bytes)
{
	task_lock(current->group_leader);
	current->signal->rlim[RLIMIT_MEMLOCK].rlim_cur = bytes;
	task_unlock(current->group_leader);
}

/*
 * RLIMIT_MEMLOCK accounting as in 6.12: without CAP_IPC_LOCK, a umem that
 * takes mm->pinned_vm over the limit is refused with -ENOMEM, one that fits
 * exactly is allowed, and a zero limit refuses with -EPERM.
 */
static void ib_umem_test_memlock(struct kunit *test)
{
	const unsigned long npages = 16;
	struct umem_fix *f = umem_cur;
	struct umem_memlock *m;
	struct ib_umem *umem;
	struct page **ref;
	struct cred *new;
	unsigned long addr;
	s64 pinned;

	addr = rlist_kunit_map_anon(test, npages);
	umem_fill_user(test, addr, npages);
	ref = rlist_kunit_ref_pin(test, addr, npages, FOLL_WRITE | FOLL_LONGTERM);

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	new = prepare_creds();
	KUNIT_ASSERT_NOT_NULL(test, new);
	cap_lower(new->cap_effective, CAP_IPC_LOCK);
	m->saved = current->signal->rlim[RLIMIT_MEMLOCK];
	m->old = override_creds(new);
	put_cred(new);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							umem_memlock_restore,
							m), 0);
	KUNIT_ASSERT_FALSE(test, capable(CAP_IPC_LOCK));

	pinned = umem_pinned_vm();
	umem_set_memlock((pinned + npages - 1) * PAGE_SIZE);
	umem = ib_umem_get(f->ibdev, addr, npages * PAGE_SIZE,
			   IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(umem), -ENOMEM);
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned);
	umem_expect_pins(test, ref, npages, 1);

	umem_set_memlock((pinned + npages) * PAGE_SIZE);
	umem = ib_umem_get(f->ibdev, addr, npages * PAGE_SIZE,
			   IB_ACCESS_LOCAL_WRITE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned + (s64)npages);
	ib_umem_release(umem);
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned);

	umem_set_memlock(0);
	umem = ib_umem_get(f->ibdev, addr, PAGE_SIZE, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(umem), -EPERM);
	umem_expect_pins(test, ref, npages, 1);
	unpin_user_pages(ref, npages);
}

/*
 * Bad arguments, an unmapped page and every allocation of the list storage
 * failing in turn: a clear errno, nothing left pinned, accounted or
 * allocated.
 */
static void ib_umem_test_errors(struct kunit *test)
{
	const unsigned long npages = UMEM_PAGES;
	struct umem_fix *f = umem_cur;
	struct rlist_kunit_alloc a;
	struct ib_umem *umem;
	unsigned long addr;
	struct page **ref;
	long attempts, k;
	s64 pinned;

	addr = rlist_kunit_map_anon(test, npages);
	umem_fill_user(test, addr, npages);
	pinned = umem_pinned_vm();

	KUNIT_EXPECT_EQ(test, PTR_ERR(ib_umem_get(f->ibdev, addr, 0, 0)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ib_umem_get(f->ibdev, ULONG_MAX - 10,
						  100, 0)), -EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(ib_umem_get(f->ibdev, addr, PAGE_SIZE,
						  IB_ACCESS_ON_DEMAND)),
			-EOPNOTSUPP);

	/* A hole in the middle: -EFAULT, the pages before it are released. */
	ref = rlist_kunit_ref_pin(test, addr, 3, FOLL_WRITE);
	KUNIT_ASSERT_EQ(test, vm_munmap(addr + 3 * PAGE_SIZE, PAGE_SIZE), 0);
	umem = ib_umem_get(f->ibdev, addr + 5, 8 * PAGE_SIZE,
			   IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(umem), -EFAULT);
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned);
	umem_expect_pins(test, ref, 3, 1);
	unpin_user_pages(ref, 3);

	/* Count the list allocations of a good registration... */
	addr += 4 * PAGE_SIZE;
	ref = rlist_kunit_ref_pin(test, addr, npages - 4, FOLL_WRITE);
	a = (struct rlist_kunit_alloc){ .fail_at = -1 };
	rlist_kunit_alloc_track(test, &a);
	umem = ib_umem_get(f->ibdev, addr, (npages - 4) * PAGE_SIZE,
			   IB_ACCESS_LOCAL_WRITE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(umem));
	ib_umem_release(umem);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	attempts = a.attempts;
	KUNIT_EXPECT_GT(test, attempts, 0);

	/*
	 * ...then fail each of them in turn.  How many there are may vary from
	 * one registration to the next (GUP may return fewer pages per call):
	 * one that did not get to allocation k must succeed.
	 */
	for (k = 0; k < attempts; k++) {
		a = (struct rlist_kunit_alloc){ .fail_at = k };
		umem = ib_umem_get(f->ibdev, addr, (npages - 4) * PAGE_SIZE,
				   IB_ACCESS_LOCAL_WRITE);
		if (IS_ERR(umem)) {
			KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(umem), -ENOMEM,
					    "allocation %ld failing", k);
		} else {
			KUNIT_EXPECT_LE_MSG(test, a.attempts, k,
					    "allocation %ld failed, no error", k);
			ib_umem_release(umem);
		}
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
		KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned);
		umem_expect_pins(test, ref, npages - 4, 1);
	}
	unpin_user_pages(ref, npages - 4);
}

/*
 * Virtual DMA: ib_dma_map_rlist() returns the kernel addresses of memory
 * with struct pages and refuses a P2P range without one with -EREMOTEIO,
 * leaving nothing allocated.
 */
static void ib_umem_test_virt_p2p(struct kunit *test)
{
	struct page *page = alloc_pages(GFP_KERNEL, 1);
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct ib_device *ibdev = kunit_kzalloc(test, sizeof(*ibdev), GFP_KERNEL);
	struct rlist_dma_iter it;
	struct rlist_dma rd;
	struct rlist_cpu rc;
	unsigned int n = 0;

	KUNIT_ASSERT_NOT_NULL(test, ibdev);
	KUNIT_ASSERT_TRUE(test, ib_uses_virt_dma(ibdev));
	KUNIT_ASSERT_NOT_NULL(test, page);
	rlist_kunit_alloc_track(test, &a);
	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, page, 0, PAGE_SIZE,
						    GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&rc, page + 1, 0, PAGE_SIZE,
						    GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, ib_dma_map_rlist(ibdev, &rc, &rd,
					       DMA_BIDIRECTIONAL, 0), 0);
	rlist_dma_for_each_range(&rd, &it) {
		KUNIT_EXPECT_EQ(test, (u64)it.addr,
				(u64)(uintptr_t)page_address(page));
		KUNIT_EXPECT_EQ(test, it.len, 2 * PAGE_SIZE);
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 1);
	ib_dma_unmap_rlist(ibdev, &rc, &rd, DMA_BIDIRECTIONAL, 0);

	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(&rc, 0xfe000000, PAGE_SIZE,
						    7, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, ib_dma_map_rlist(ibdev, &rc, &rd,
					       DMA_BIDIRECTIONAL, 0), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	rlist_cpu_destroy(&rc, 0);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	__free_pages(page, 1);
}

/*
 * A dma-buf exporter of the test's own pages, some physically contiguous
 * (order-2 blocks) and some not, which maps them with dma_map_sgtable()
 * for the importer and records the DMA address of every page it mapped;
 * or, offering range lists too, gives them as CPU ranges.  @maps and
 * @unmaps count the sg_tables or lists given and taken back.
 */
#define EXP_PAGES	64
#define EXP_BLOCKS	4	/* order-2 blocks at the start */

struct umem_exp {
	struct page *pages[EXP_PAGES];
	dma_addr_t dma[EXP_PAGES];
	unsigned long map_pages;	/* pages a mapping covers */
	int map_err;			/* returned by the next mapping */
	int maps, unmaps;
	int sg_maps;			/* calls of map_dma_buf() */
	bool revoked;			/* memory gone: lists fail */
};

static struct sg_table *umem_exp_map(struct dma_buf_attachment *attach,
				     enum dma_data_direction dir)
{
	struct umem_exp *e = attach->dmabuf->priv;
	struct sg_dma_page_iter it;
	struct sg_table *sgt;
	unsigned long i = 0;
	int ret;

	e->sg_maps++;
	if (e->map_err)
		return ERR_PTR(e->map_err);
	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, e->pages, e->map_pages, 0,
					e->map_pages << PAGE_SHIFT, GFP_KERNEL);
	if (ret)
		goto free;
	ret = dma_map_sgtable(attach->dev, sgt, dir, 0);
	if (ret)
		goto table;
	for_each_sgtable_dma_page(sgt, &it, 0)
		e->dma[i++] = sg_page_iter_dma_address(&it);
	e->maps++;
	return sgt;

table:
	sg_free_table(sgt);
free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void umem_exp_unmap(struct dma_buf_attachment *attach,
			   struct sg_table *sgt, enum dma_data_direction dir)
{
	struct umem_exp *e = attach->dmabuf->priv;

	dma_unmap_sgtable(attach->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
	e->unmaps++;
}

/* The pages of [@offset, @offset + @len), up to @map_pages, one by one. */
static int umem_exp_get_rlist(struct dma_buf_attachment *attach, u64 offset,
			      u64 len, struct rlist_cpu *rc)
{
	struct umem_exp *e = attach->dmabuf->priv;
	u64 end = min_t(u64, offset + len, (u64)e->map_pages << PAGE_SHIFT);
	int ret;

	if (e->revoked)
		return -ENODEV;
	if (e->map_err)
		return e->map_err;
	while (offset < end) {
		u32 off = offset_in_page(offset);
		u32 n = min_t(u64, end - offset, PAGE_SIZE - off);

		ret = rlist_cpu_append_page(rc, e->pages[offset >> PAGE_SHIFT],
					    off, n, GFP_KERNEL);
		if (ret)
			return ret;
		offset += n;
	}
	e->maps++;
	return 0;
}

static void umem_exp_put_rlist(struct dma_buf_attachment *attach,
			       struct rlist_cpu *rc)
{
	struct umem_exp *e = attach->dmabuf->priv;

	e->unmaps++;
}

static int umem_exp_pin(struct dma_buf_attachment *attach)
{
	return 0;
}

static void umem_exp_unpin(struct dma_buf_attachment *attach)
{
}

static void umem_exp_release(struct dma_buf *dmabuf)
{
}

static const struct dma_buf_ops umem_exp_ops = {
	.pin = umem_exp_pin,
	.unpin = umem_exp_unpin,
	.map_dma_buf = umem_exp_map,
	.unmap_dma_buf = umem_exp_unmap,
	.release = umem_exp_release,
};

static const struct dma_buf_ops umem_exp_rlist_ops = {
	.pin = umem_exp_pin,
	.unpin = umem_exp_unpin,
	.map_dma_buf = umem_exp_map,
	.unmap_dma_buf = umem_exp_unmap,
	.get_rlist = umem_exp_get_rlist,
	.put_rlist = umem_exp_put_rlist,
	.release = umem_exp_release,
};

static void umem_exp_free(void *data)
{
	struct umem_exp *e = data;
	unsigned long i;

	for (i = 0; i < EXP_PAGES; i++) {
		if (i < EXP_BLOCKS * 4 && i % 4)
			continue;
		if (e->pages[i])
			__free_pages(e->pages[i], i < EXP_BLOCKS * 4 ? 2 : 0);
	}
}

static void umem_close_fd(void *data)
{
	close_fd((unsigned long)data);
}

/*
 * The exporter, its pages filled with the pattern, and an fd of its buffer;
 * @rlist: it offers range lists as well as sg_tables.
 */
static struct umem_exp *umem_exp_create(struct kunit *test, int *fd,
					bool rlist)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct umem_exp *e;
	unsigned long i;

	e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, umem_exp_free,
							e), 0);
	for (i = 0; i < EXP_PAGES; i++) {
		if (i < EXP_BLOCKS * 4 && i % 4) {
			e->pages[i] = e->pages[i - 1] + 1;
			continue;
		}
		e->pages[i] = alloc_pages(GFP_KERNEL,
					  i < EXP_BLOCKS * 4 ? 2 : 0);
		KUNIT_ASSERT_NOT_NULL(test, e->pages[i]);
	}
	for (i = 0; i < EXP_PAGES; i++)
		umem_pattern(page_address(e->pages[i]), PAGE_SIZE,
			     (u64)i * PAGE_SIZE, umem_cur->seed);
	e->map_pages = EXP_PAGES;

	info.ops = rlist ? &umem_exp_rlist_ops : &umem_exp_ops;
	info.size = EXP_PAGES * PAGE_SIZE;
	info.flags = O_RDWR;
	info.priv = e;
	dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dmabuf));
	*fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (*fd < 0)
		dma_buf_put(dmabuf);
	KUNIT_ASSERT_GE(test, *fd, 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, umem_close_fd,
						  (void *)(unsigned long)*fd),
			0);
	return e;
}

/*
 * The bytes at the DMA address of each of the umem's pages, @npages from
 * page @first of the exporter, are that page's.
 */
static void umem_exp_expect_bytes(struct kunit *test, struct umem_exp *e,
				  struct ib_umem *umem, unsigned long first,
				  unsigned long npages)
{
	struct ib_block_iter biter;
	unsigned long i = 0;

	rdma_umem_for_each_dma_block(umem, &biter, PAGE_SIZE) {
		if (i >= npages)
			break;
		umem_expect_pattern(test, "dma-buf block",
				    umem_dma_to_cpu(test,
						    rdma_block_iter_dma_address(&biter),
						    e->pages[first + i]),
				    PAGE_SIZE, (first + i) * PAGE_SIZE);
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, npages);
}

/* The errno of a registration that must fail (released if it did not). */
static long umem_dmabuf_err(unsigned long offset, size_t size, int fd)
{
	struct ib_umem_dmabuf *ud;

	ud = ib_umem_dmabuf_get_pinned(umem_cur->ibdev, offset, size, fd, 0);
	if (IS_ERR(ud))
		return PTR_ERR(ud);
	ib_umem_release(&ud->umem);
	return 0;
}

/*
 * ib_umem_dmabuf: the umem's DMA list is the part of the exporter's mapping
 * that covers the umem's pages (@rlist: the umem's own mapping of the
 * exporter's CPU ranges of them), so that blocks, best page size and DMA
 * offsets are what they are for the same pages pinned by ib_umem_get();
 * release unmaps what was mapped.  Bad ranges, a mapping that does not
 * cover the umem, a failing exporter and failing list allocations are
 * refused with their errno, leaving nothing mapped or allocated.
 */
static void umem_test_dmabuf(struct kunit *test, bool rlist)
{
	const unsigned long first = 3, npages = 56;
	const unsigned long offset = first * PAGE_SIZE + UMEM_HEAD;
	const size_t size = npages * PAGE_SIZE - UMEM_HEAD - UMEM_TAIL;
	const unsigned long bitmap = SZ_4K | SZ_8K | SZ_16K | SZ_64K | SZ_2M;
	const u64 virts[] = { offset, 5 * SZ_2M + UMEM_HEAD };
	struct umem_fix *f = umem_cur;
	struct ib_umem_dmabuf *ud;
	struct rlist_kunit_alloc a;
	struct ib_block_iter biter;
	struct umem_exp *e;
	struct ib_umem *umem;
	dma_addr_t *dma;
	long attempts, k;
	unsigned long i;
	int fd;

	e = umem_exp_create(test, &fd, rlist);
	dma = kunit_kcalloc(test, npages, sizeof(*dma), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dma);

	ud = ib_umem_dmabuf_get_pinned(f->ibdev, offset, size, fd,
				       IB_ACCESS_LOCAL_WRITE);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(ud), "error %ld", PTR_ERR(ud));
	umem = &ud->umem;
	KUNIT_EXPECT_EQ(test, e->maps, 1);
	KUNIT_EXPECT_EQ(test, ud->attach->rlist, rlist);
	KUNIT_EXPECT_EQ(test, e->sg_maps, rlist ? 0 : 1);
	KUNIT_EXPECT_TRUE(test, ib_umem_dmabuf_is_mapped(ud));
	if (rlist) {
		/*
		 * The umem mapped the pages itself: the reference is the
		 * address of each page's block, checked below to lead back
		 * to that page.
		 */
		KUNIT_EXPECT_EQ(test, rlist_cpu_length(&umem->cpu_list),
				npages * PAGE_SIZE);
		i = 0;
		rdma_umem_for_each_dma_block(umem, &biter, PAGE_SIZE) {
			if (i < npages)
				dma[i] = rdma_block_iter_dma_address(&biter);
			i++;
		}
		KUNIT_ASSERT_EQ(test, i, npages);
	} else {
		for (i = 0; i < npages; i++)
			dma[i] = e->dma[first + i];
	}

	KUNIT_EXPECT_EQ(test, ib_umem_length(umem), size);
	KUNIT_EXPECT_EQ(test, ib_umem_offset(umem), UMEM_HEAD);
	KUNIT_EXPECT_EQ(test, ib_umem_num_pages(umem), npages);
	KUNIT_EXPECT_EQ(test, (u64)ib_umem_first_dma_addr(umem), (u64)dma[0]);
	for (i = 0; i < ARRAY_SIZE(virts); i++) {
		unsigned long want = ref_best_pgsz(dma, npages, UMEM_HEAD, size,
						   bitmap, virts[i]);
		unsigned long got = ib_umem_find_best_pgsz(umem, bitmap,
							   virts[i]);

		KUNIT_EXPECT_EQ_MSG(test, got, want, "virt %#llx", virts[i]);
		if (got)
			umem_expect_blocks(test, umem, dma, got, virts[i]);
	}
	umem_expect_blocks(test, umem, dma, PAGE_SIZE, offset);

	umem_exp_expect_bytes(test, e, umem, first, npages);
	ib_umem_release(umem);
	KUNIT_EXPECT_EQ(test, e->unmaps, e->maps);

	/* Past the end of the buffer, or an empty range. */
	KUNIT_EXPECT_EQ(test, umem_dmabuf_err((EXP_PAGES - 2) * PAGE_SIZE,
					      3 * PAGE_SIZE, fd), -EINVAL);
	KUNIT_EXPECT_EQ(test, umem_dmabuf_err(ULONG_MAX - 10, 100, fd),
			-EINVAL);

	/*
	 * A mapping, or a list, that stops short of the umem; a failing
	 * exporter.
	 */
	e->map_pages = first + npages - 1;
	KUNIT_EXPECT_EQ(test, umem_dmabuf_err(offset, size, fd),
			rlist ? -EIO : -EINVAL);
	KUNIT_EXPECT_EQ(test, e->unmaps, e->maps);
	e->map_pages = EXP_PAGES;
	e->map_err = -ENOMEM;
	KUNIT_EXPECT_EQ(test, umem_dmabuf_err(offset, size, fd), -ENOMEM);
	e->map_err = 0;

	/*
	 * Every allocation of the DMA list failing in turn.  With swiotlb
	 * forced, each mapping bounces to other slots, whose contiguity, hence
	 * the number of list ranges and allocations, varies: a registration
	 * that did not get to allocation k must succeed.
	 */
	a = (struct rlist_kunit_alloc){ .fail_at = -1 };
	rlist_kunit_alloc_track(test, &a);
	ud = ib_umem_dmabuf_get_pinned(f->ibdev, offset, size, fd, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(ud));
	ib_umem_release(&ud->umem);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	attempts = a.attempts;
	for (k = 0; k < attempts; k++) {
		a = (struct rlist_kunit_alloc){ .fail_at = k };
		ud = ib_umem_dmabuf_get_pinned(f->ibdev, offset, size, fd, 0);
		if (IS_ERR(ud)) {
			KUNIT_EXPECT_EQ_MSG(test, PTR_ERR(ud), -ENOMEM,
					    "allocation %ld failing", k);
		} else {
			KUNIT_EXPECT_LE_MSG(test, a.attempts, k,
					    "allocation %ld failed, no error", k);
			ib_umem_release(&ud->umem);
		}
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	}
	kunit_info(test, "%ld list allocations failed in turn\n", attempts);
	KUNIT_EXPECT_EQ(test, e->unmaps, e->maps);
	if (rlist)
		KUNIT_EXPECT_EQ(test, e->sg_maps, 0);
}

static void ib_umem_test_dmabuf(struct kunit *test)
{
	umem_test_dmabuf(test, false);
}

static void ib_umem_test_dmabuf_rlist(struct kunit *test)
{
	umem_test_dmabuf(test, true);
}

static void umem_revoke_cb(void *priv)
{
	(*(int *)priv)++;
}

/*
 * A revocable pinned dma-buf umem on CPU ranges: when the exporter revokes
 * its memory (dma_buf_move_notify()), the driver's callback runs once, the
 * umem unmaps the ranges and gives them back; release does not call the
 * driver again, and a new registration fails with the exporter's -ENODEV.
 */
static void ib_umem_test_dmabuf_revoke(struct kunit *test)
{
	const unsigned long offset = 2 * PAGE_SIZE + UMEM_HEAD;
	const size_t size = 20 * PAGE_SIZE - UMEM_HEAD - UMEM_TAIL;
	struct umem_fix *f = umem_cur;
	struct ib_umem_dmabuf *ud;
	struct dma_resv *resv;
	struct umem_exp *e;
	int fd, calls = 0;

	e = umem_exp_create(test, &fd, true);
	ud = ib_umem_dmabuf_get_pinned_revocable_and_lock(f->ibdev, offset,
							  size, fd,
							  IB_ACCESS_LOCAL_WRITE);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(ud), "error %ld", PTR_ERR(ud));
	resv = ud->attach->dmabuf->resv;
	ib_umem_dmabuf_set_revoke_locked(ud, umem_revoke_cb, &calls);
	dma_resv_unlock(resv);
	KUNIT_EXPECT_TRUE(test, ud->attach->rlist);
	KUNIT_EXPECT_TRUE(test, ib_umem_dmabuf_is_mapped(ud));
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&ud->umem.dma_list),
			20 * PAGE_SIZE);

	dma_resv_lock(resv, NULL);
	e->revoked = true;
	dma_buf_move_notify(ud->attach->dmabuf);
	KUNIT_EXPECT_FALSE(test, ib_umem_dmabuf_is_mapped(ud));
	dma_resv_unlock(resv);

	KUNIT_EXPECT_EQ(test, calls, 1);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&ud->umem.dma_list), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&ud->umem.cpu_list), 0);
	KUNIT_EXPECT_EQ(test, e->unmaps, e->maps);
	ib_umem_release(&ud->umem);
	KUNIT_EXPECT_EQ(test, calls, 1);

	KUNIT_EXPECT_EQ(test, umem_dmabuf_err(offset, size, fd), -ENODEV);
	KUNIT_EXPECT_EQ(test, e->unmaps, e->maps);
	KUNIT_EXPECT_EQ(test, e->sg_maps, 0);
}

/*
 * An importer with its own attachment, as mlx5's ODP-style dma-buf MRs:
 * the umem is mapped on demand (page fault) under the reservation lock,
 * and move_notify zaps the device's use of it and unmaps it if mapped.
 */
struct umem_dyn {
	struct ib_umem_dmabuf *ud;
	int calls;			/* of move_notify */
	int unmapped;			/* of them that found the umem mapped */
};

static void umem_dyn_move_notify(struct dma_buf_attachment *attach)
{
	struct ib_umem_dmabuf *ud = attach->importer_priv;
	struct umem_dyn *d = ud->private;

	dma_resv_assert_held(attach->dmabuf->resv);
	d->calls++;
	if (!ib_umem_dmabuf_is_mapped(ud))
		return;
	d->unmapped++;
	ib_umem_dmabuf_unmap_pages(ud);
}

static const struct dma_buf_attach_ops umem_dyn_ops = {
	.allow_peer2peer = true,
	.allow_rlist = true,
	.move_notify = umem_dyn_move_notify,
};

static void umem_dyn_get(struct kunit *test, struct umem_dyn *d,
			 unsigned long offset, size_t size, int fd)
{
	d->ud = ib_umem_dmabuf_get(umem_cur->ibdev, offset, size, fd,
				   IB_ACCESS_LOCAL_WRITE, &umem_dyn_ops);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(d->ud), "error %ld",
			       PTR_ERR(d->ud));
	d->ud->private = d;
	/* Nothing is mapped before the first fault. */
	KUNIT_EXPECT_TRUE(test, d->ud->attach->rlist);
	KUNIT_EXPECT_FALSE(test, ib_umem_dmabuf_is_mapped(d->ud));
}

/* A page fault: map the umem (again) under the reservation lock. */
static int umem_dyn_fault(struct umem_dyn *d)
{
	struct dma_resv *resv = d->ud->attach->dmabuf->resv;
	int ret;

	dma_resv_lock(resv, NULL);
	ret = ib_umem_dmabuf_map_pages(d->ud);
	dma_resv_unlock(resv);
	return ret;
}

/*
 * The dynamic importer on CPU ranges: mapped at the first fault only,
 * once however many faults; a move unmaps it and gives the ranges back,
 * the next fault maps it again; after revocation the fault fails with the
 * exporter's -ENODEV and leaves nothing mapped; release does not notify.
 */
static void ib_umem_test_dmabuf_dynamic(struct kunit *test)
{
	const unsigned long first = 2, npages = 20;
	const unsigned long offset = first * PAGE_SIZE + UMEM_HEAD;
	const size_t size = npages * PAGE_SIZE - UMEM_HEAD - UMEM_TAIL;
	struct umem_dyn d = {};
	struct dma_resv *resv;
	struct umem_exp *e;
	int fd, round;

	e = umem_exp_create(test, &fd, true);
	umem_dyn_get(test, &d, offset, size, fd);
	resv = d.ud->attach->dmabuf->resv;
	KUNIT_EXPECT_EQ(test, e->maps, 0);

	for (round = 1; round <= 2; round++) {
		KUNIT_ASSERT_EQ(test, umem_dyn_fault(&d), 0);
		KUNIT_ASSERT_EQ(test, umem_dyn_fault(&d), 0);
		KUNIT_EXPECT_EQ(test, e->maps, round);
		KUNIT_EXPECT_TRUE(test, ib_umem_dmabuf_is_mapped(d.ud));
		umem_exp_expect_bytes(test, e, &d.ud->umem, first, npages);

		/* The exporter moves the buffer. */
		dma_resv_lock(resv, NULL);
		dma_buf_move_notify(d.ud->attach->dmabuf);
		dma_resv_unlock(resv);
		KUNIT_EXPECT_EQ(test, d.calls, round);
		KUNIT_EXPECT_EQ(test, d.unmapped, round);
		KUNIT_EXPECT_FALSE(test, ib_umem_dmabuf_is_mapped(d.ud));
		KUNIT_EXPECT_EQ(test, rlist_cpu_length(&d.ud->umem.cpu_list),
				0);
		KUNIT_EXPECT_EQ(test, e->unmaps, e->maps);
	}

	KUNIT_ASSERT_EQ(test, umem_dyn_fault(&d), 0);
	dma_resv_lock(resv, NULL);
	e->revoked = true;
	dma_buf_move_notify(d.ud->attach->dmabuf);
	dma_resv_unlock(resv);
	KUNIT_EXPECT_EQ(test, d.unmapped, 3);
	KUNIT_EXPECT_EQ(test, umem_dyn_fault(&d), -ENODEV);
	KUNIT_EXPECT_FALSE(test, ib_umem_dmabuf_is_mapped(d.ud));
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&d.ud->umem.cpu_list), 0);
	ib_umem_release(&d.ud->umem);
	KUNIT_EXPECT_EQ(test, d.calls, 3);
	KUNIT_EXPECT_EQ(test, e->unmaps, e->maps);
	KUNIT_EXPECT_EQ(test, e->sg_maps, 0);
}

/*
 * A virtual-DMA device has no device to attach a dma-buf for: refused
 * with -EOPNOTSUPP (not a NULL device handed to dma-buf, which warns),
 * before the exporter is asked for anything.
 */
static void ib_umem_test_virt_dmabuf(struct kunit *test)
{
	struct ib_device *ibdev = kunit_kzalloc(test, sizeof(*ibdev), GFP_KERNEL);
	struct ib_umem_dmabuf *ud;
	struct umem_exp *e;
	int fd;

	KUNIT_ASSERT_NOT_NULL(test, ibdev);
	KUNIT_ASSERT_TRUE(test, ib_uses_virt_dma(ibdev));
	e = umem_exp_create(test, &fd, true);
	ud = ib_umem_dmabuf_get_pinned(ibdev, 0, PAGE_SIZE, fd, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(ud), -EOPNOTSUPP);
	if (!IS_ERR(ud))
		ib_umem_release(&ud->umem);
	KUNIT_EXPECT_EQ(test, e->maps, 0);
}

/* Physical addresses below this get the DMA offset of ib_umem_test_max_seg. */
#define UMEM_RANGE_END	BIT_ULL(46)

static void umem_drop_range_map(void *data)
{
	struct device *dev = data;

	kfree(dev->dma_range_map);
	dev->dma_range_map = NULL;
}

static void umem_drop_dma_parms(void *data)
{
	struct device *dev = data;

	dev->dma_parms = NULL;
}

/*
 * The DMA device's maximum segment size and segment boundary apply, as to
 * the scatterlist that 6.12 cut to ib_dma_max_seg_size():
 *
 * - ib_dma_segmentation() gives them, and the umem's DMA ranges walked
 *   with it come in segments of that size: half a page here, so every page
 *   in two halves;
 * - a DMA offset of half a page with a segment boundary at every page
 *   makes each DMA range cross one boundary more than its pages do: the
 *   mapping would need more segments than the pages, so ib_umem_get()
 *   fails with -EOVERFLOW and leaves nothing pinned or accounted.
 */
static void ib_umem_test_max_seg(struct kunit *test)
{
	const unsigned long npages = 8;
	const size_t half = PAGE_SIZE / 2;
	const size_t len = npages * PAGE_SIZE - UMEM_HEAD - UMEM_TAIL;
	struct umem_fix *f = umem_cur;
	struct device_dma_parameters *parms;
	struct rlist_dma_segmentation seg;
	struct rlist_dma_iter it;
	struct ib_umem *umem;
	unsigned long addr;
	struct page **ref;
	const u8 *p;
	u64 n = 0;
	s64 pinned;

	parms = kunit_kzalloc(test, sizeof(*parms), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, parms);
	parms->max_segment_size = half;
	f->dev->dma_parms = parms;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							umem_drop_dma_parms,
							f->dev), 0);
	ib_dma_segmentation(f->ibdev, &seg);
	KUNIT_EXPECT_EQ(test, seg.max_segment_size, half);
	KUNIT_EXPECT_EQ(test, seg.segment_boundary_mask, ULONG_MAX);
	KUNIT_EXPECT_EQ(test, seg.min_align_mask, 0);

	addr = rlist_kunit_map_anon(test, npages);
	umem_fill_user(test, addr, npages);
	ref = rlist_kunit_ref_pin(test, addr, npages, FOLL_WRITE | FOLL_LONGTERM);
	pinned = umem_pinned_vm();

	umem = ib_umem_get(f->ibdev, addr + UMEM_HEAD, len,
			   IB_ACCESS_LOCAL_WRITE);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(umem), "ib_umem_get: %ld",
			       PTR_ERR(umem));
	rlist_dma_for_each_segment(&umem->dma_list, &seg, &it) {
		if (n < 2 * npages) {
			KUNIT_EXPECT_EQ_MSG(test, it.pos, n * half,
					    "segment %llu", n);
			KUNIT_EXPECT_EQ_MSG(test, it.len, half, "segment %llu",
					    n);
			p = umem_dma_to_cpu(test, it.addr - (n % 2) * half,
					    ref[n / 2]);
			umem_expect_pattern(test, "half page", p + (n % 2) * half,
					    half, n * half);
		}
		n++;
	}
	KUNIT_EXPECT_EQ(test, n, 2 * npages);
	ib_umem_release(umem);
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned);

	/* Bounce buffers have their own placement: the rest is dma-direct's. */
	if (f->bounce)
		goto out;
	parms->max_segment_size = PAGE_SIZE;
	parms->segment_boundary_mask = PAGE_SIZE - 1;
	KUNIT_ASSERT_EQ(test, dma_direct_set_offset(f->dev, 0, half,
						    UMEM_RANGE_END), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							umem_drop_range_map,
							f->dev), 0);
	KUNIT_ASSERT_EQ(test, phys_to_dma(f->dev, PAGE_SIZE), PAGE_SIZE + half);
	umem = ib_umem_get(f->ibdev, addr + UMEM_HEAD, len,
			   IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(umem), -EOVERFLOW);
	if (!IS_ERR(umem))
		ib_umem_release(umem);
	KUNIT_EXPECT_EQ(test, umem_pinned_vm(), pinned);
out:
	umem_expect_pins(test, ref, npages, 1);
	unpin_user_pages(ref, npages);
}

static const enum umem_kind umem_kinds[] = { UMEM_DIRECT, UMEM_VIRT };

static void umem_kind_desc(const enum umem_kind *kind, char *desc)
{
	strscpy(desc, *kind == UMEM_DIRECT ? "direct" : "virt",
		KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(umem_kind, umem_kinds, umem_kind_desc);

static int ib_umem_test_init(struct kunit *test)
{
	const enum umem_kind *kind = test->param_value;
	struct device *dev = NULL;

	/* Non-parameterised cases run with a "direct" device. */
	if (!kind || *kind == UMEM_DIRECT) {
		dev = kunit_device_register(test, "ib_umem_kunit");
		if (IS_ERR(dev))
			return PTR_ERR(dev);
		dev->coherent_dma_mask = DMA_BIT_MASK(64);
		dev->dma_mask = &dev->coherent_dma_mask;
	}
	umem_setup(test, kind ? *kind : UMEM_DIRECT, dev);
	return 0;
}

static struct kunit_case ib_umem_test_cases[] = {
	KUNIT_CASE_PARAM(ib_umem_test_map, umem_kind_gen_params),
	KUNIT_CASE_PARAM(ib_umem_test_dirty, umem_kind_gen_params),
	KUNIT_CASE_PARAM(ib_umem_test_file_longterm, umem_kind_gen_params),
	KUNIT_CASE_PARAM(ib_umem_test_memlock, umem_kind_gen_params),
	KUNIT_CASE_PARAM(ib_umem_test_errors, umem_kind_gen_params),
	KUNIT_CASE(ib_umem_test_max_seg),
	KUNIT_CASE(ib_umem_test_virt_p2p),
	KUNIT_CASE(ib_umem_test_virt_dmabuf),
	KUNIT_CASE(ib_umem_test_dmabuf),
	KUNIT_CASE(ib_umem_test_dmabuf_rlist),
	KUNIT_CASE(ib_umem_test_dmabuf_revoke),
	KUNIT_CASE(ib_umem_test_dmabuf_dynamic),
	{}
};

static struct kunit_suite ib_umem_test_suite = {
	.name = "ib_umem",
	.init = ib_umem_test_init,
	.test_cases = ib_umem_test_cases,
};

#if IS_ENABLED(CONFIG_DMA_RLIST_EDU_KUNIT_TEST)
static int ib_umem_edu_init(struct kunit *test)
{
	int ret = rlist_edu_init(test);

	if (ret)
		return ret;
	umem_setup(test, UMEM_EDU, rlist_edu_device(test));
	kunit_info(test, "edu %s\n", umem_cur->domain ? "behind an IOMMU" :
		   umem_cur->bounce ? "bouncing through swiotlb" : "dma-direct");
	return 0;
}

static struct kunit_case ib_umem_edu_test_cases[] = {
	KUNIT_CASE_SLOW(ib_umem_test_map),
	KUNIT_CASE(ib_umem_test_dirty),
	KUNIT_CASE(ib_umem_test_errors),
	KUNIT_CASE(ib_umem_test_dmabuf),
	KUNIT_CASE(ib_umem_test_dmabuf_rlist),
	KUNIT_CASE(ib_umem_test_dmabuf_revoke),
	KUNIT_CASE(ib_umem_test_dmabuf_dynamic),
	{}
};

static struct kunit_suite ib_umem_edu_test_suite = {
	.name = "ib_umem_edu",
	.init = ib_umem_edu_init,
	.exit = rlist_edu_exit,
	.test_cases = ib_umem_edu_test_cases,
};

#if IS_ENABLED(CONFIG_RLIST_P2P_BAR)
#define IVSHMEM_VENDOR		0x1af4
#define IVSHMEM_DEVICE		0x1110
#define IVSHMEM_BAR		2
/* The exported window of the BAR, and the umem's pages in it. */
#define P2P_WIN_OFF		(3 * PAGE_SIZE)
#define P2P_WIN_PAGES		16UL
#define P2P_UMEM_FIRST		1UL	/* first page of the umem in the window */
#define P2P_UMEM_PAGES		10UL

struct umem_p2p {
	struct pci_dev *pdev;		/* the ivshmem-plain */
	void __iomem *io;		/* its BAR */
	enum pci_p2pdma_map_type map;	/* expected route from edu */
	phys_addr_t phys;		/* CPU address of the window */
	pci_bus_addr_t bus;		/* PCI bus address of the window */
	int fd;				/* of the window's dma-buf */
};

static void umem_p2p_release(void *data)
{
	struct umem_p2p *p = data;

	if (p->io)
		pci_iounmap(p->pdev, p->io);
	rlist_p2p_bar_unbind(p->pdev);
	pci_dev_put(p->pdev);
}

/*
 * Bind rlist_p2p_bar to the ivshmem-plain below the switch or beside it,
 * write the pattern into the window through the BAR and export the window.
 */
static struct umem_p2p *umem_p2p_open(struct kunit *test, bool below_switch)
{
	const size_t win = P2P_WIN_PAGES * PAGE_SIZE;
	struct umem_p2p *p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	struct dma_buf *dmabuf;
	u8 *buf;

	KUNIT_ASSERT_NOT_NULL(test, p);
	p->pdev = rlist_p2p_find(test, IVSHMEM_VENDOR, IVSHMEM_DEVICE,
				 below_switch);
	if (!p->pdev)
		kunit_skip(test, "no ivshmem-plain %s the switch",
			   below_switch ? "below" : "beside");
	KUNIT_ASSERT_EQ(test, rlist_p2p_bar_bind(p->pdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, umem_p2p_release,
							p), 0);
	p->io = pci_iomap(p->pdev, IVSHMEM_BAR, 0);
	KUNIT_ASSERT_NOT_NULL(test, p->io);
	p->phys = pci_resource_start(p->pdev, IVSHMEM_BAR) + P2P_WIN_OFF;
	p->bus = pci_bus_address(p->pdev, IVSHMEM_BAR) + P2P_WIN_OFF;
	p->map = rlist_p2p_expected(test, p->pdev, umem_cur->dev);

	buf = kunit_kmalloc(test, win, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	umem_pattern(buf, win, 0, umem_cur->seed);
	memcpy_toio(p->io + P2P_WIN_OFF, buf, win);
	kunit_kfree(test, buf);

	/* Bad ranges first: the window must be pages of the BAR. */
	dmabuf = rlist_p2p_bar_export(p->pdev, P2P_WIN_OFF + 1, win);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dmabuf), -EINVAL);
	dmabuf = rlist_p2p_bar_export(p->pdev, P2P_WIN_OFF, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dmabuf), -EINVAL);
	dmabuf = rlist_p2p_bar_export(p->pdev,
				      pci_resource_len(p->pdev, IVSHMEM_BAR),
				      PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dmabuf), -ERANGE);

	dmabuf = rlist_p2p_bar_export(p->pdev, P2P_WIN_OFF, win);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(dmabuf), "export: %ld",
			       PTR_ERR(dmabuf));
	p->fd = dma_buf_fd(dmabuf, O_CLOEXEC);
	if (p->fd < 0)
		dma_buf_put(dmabuf);
	KUNIT_ASSERT_GE(test, p->fd, 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, umem_close_fd,
						  (void *)(unsigned long)p->fd),
			0);
	kunit_info(test, "ivshmem %s %s the switch, route from edu: %s\n",
		   pci_name(p->pdev), below_switch ? "below" : "beside",
		   p->map == PCI_P2PDMA_MAP_BUS_ADDR ? "bus address" :
		   p->map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE ? "host bridge" :
		   "not supported");
	return p;
}

/*
 * Check the umem's blocks of the window against the route: the BAR's bus
 * address through the switch, its CPU address through the host bridge
 * (translated back through the IOMMU page table behind one); and let edu
 * read each block, comparing with what the CPU wrote into the BAR.  QEMU
 * routes no DMA inside the switch behind an IOMMU, so there bus addresses
 * are only compared.  Returns the DMA address of each block in @dma.
 */
static unsigned int umem_p2p_check(struct kunit *test, struct umem_p2p *p,
				   struct ib_umem *umem, dma_addr_t *dma)
{
	struct umem_fix *f = umem_cur;
	bool move = !(p->map == PCI_P2PDMA_MAP_BUS_ADDR && f->domain);
	u8 *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct ib_block_iter biter;
	unsigned int i = 0, moved = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	rdma_umem_for_each_dma_block(umem, &biter, PAGE_SIZE) {
		dma_addr_t addr = rdma_block_iter_dma_address(&biter);
		u64 pg = P2P_UMEM_FIRST + i;

		if (i >= P2P_UMEM_PAGES)
			break;
		dma[i] = addr;
		if (p->map == PCI_P2PDMA_MAP_BUS_ADDR)
			KUNIT_EXPECT_EQ_MSG(test, (u64)addr,
					    (u64)p->bus + pg * PAGE_SIZE,
					    "block %u", i);
		else if (f->domain)
			KUNIT_EXPECT_EQ_MSG(test,
					    (u64)iommu_iova_to_phys(f->domain,
								    addr),
					    (u64)p->phys + pg * PAGE_SIZE,
					    "block %u", i);
		else
			KUNIT_EXPECT_EQ_MSG(test, (u64)dma_to_phys(f->dev, addr),
					    (u64)p->phys + pg * PAGE_SIZE,
					    "block %u", i);
		if (move) {
			rlist_edu_fetch(test, addr, buf, PAGE_SIZE);
			umem_expect_pattern(test, "edu read of the BAR", buf,
					    PAGE_SIZE, pg * PAGE_SIZE);
			moved++;
		}
		i++;
	}
	KUNIT_EXPECT_EQ(test, i, P2P_UMEM_PAGES);
	kunit_info(test, "%u blocks checked, %u read by edu\n", i, moved);
	return i;
}

/* The revocable pinned umem of the BAR window @fd, unlocked. */
static struct ib_umem_dmabuf *umem_p2p_get_revocable(struct umem_fix *f,
						     unsigned long offset,
						     size_t size, int fd)
{
	struct ib_umem_dmabuf *ud;

	ud = ib_umem_dmabuf_get_pinned_revocable_and_lock(f->ibdev, offset,
							  size, fd,
							  IB_ACCESS_LOCAL_WRITE);
	if (!IS_ERR(ud))
		dma_resv_unlock(ud->attach->dmabuf->resv);
	return ud;
}

static void umem_p2p(struct kunit *test, bool below_switch)
{
	const unsigned long offset = P2P_UMEM_FIRST * PAGE_SIZE + UMEM_HEAD;
	const size_t size = P2P_UMEM_PAGES * PAGE_SIZE - UMEM_HEAD - UMEM_TAIL;
	struct umem_fix *f = umem_cur;
	const unsigned long bitmap = SZ_4K | SZ_8K | SZ_16K | SZ_64K | SZ_2M;
	struct umem_p2p *p = umem_p2p_open(test, below_switch);
	unsigned long want, got;
	struct ib_umem_dmabuf *ud;
	dma_addr_t *dma;

	dma = kunit_kcalloc(test, P2P_UMEM_PAGES, sizeof(*dma), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	/*
	 * The BAR can be revoked: the pinned importer that cannot give its
	 * mapping up is refused before anything is mapped.
	 */
	ud = ib_umem_dmabuf_get_pinned(f->ibdev, offset, size, p->fd,
				       IB_ACCESS_LOCAL_WRITE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(ud), -EOPNOTSUPP);
	if (!IS_ERR(ud))
		ib_umem_release(&ud->umem);
	ud = umem_p2p_get_revocable(f, offset, size, p->fd);
	if (p->map == PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(ud), -EREMOTEIO);
		if (!IS_ERR(ud))
			ib_umem_release(&ud->umem);
		return;
	}
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(ud), "error %ld", PTR_ERR(ud));
	KUNIT_EXPECT_TRUE(test, ud->attach->rlist);
	KUNIT_EXPECT_EQ(test, ib_umem_offset(&ud->umem), UMEM_HEAD);
	KUNIT_EXPECT_EQ(test, ib_umem_num_pages(&ud->umem), P2P_UMEM_PAGES);
	/* Page-less: the CPU list has no struct page to give. */
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&ud->umem.cpu_list) &
			  RLIST_CPU_MAY_P2P);
	umem_p2p_check(test, p, &ud->umem, dma);
	/* Best page size and its blocks, against 6.12's algorithm. */
	want = ref_best_pgsz(dma, P2P_UMEM_PAGES, UMEM_HEAD, size, bitmap,
			     offset);
	got = ib_umem_find_best_pgsz(&ud->umem, bitmap, offset);
	KUNIT_EXPECT_EQ(test, got, want);
	if (got)
		umem_expect_blocks(test, &ud->umem, dma, got, offset);
	ib_umem_release(&ud->umem);
}

static void ib_umem_test_p2p_switch(struct kunit *test)
{
	umem_p2p(test, true);
}

static void ib_umem_test_p2p_host_bridge(struct kunit *test)
{
	umem_p2p(test, false);
}

/*
 * Whether the ivshmem-plain beside the switch can be reached from edu: where
 * the host bridge route exists (an IOVA mapping behind an IOMMU).
 */
static bool umem_p2p_flat_mappable(struct kunit *test)
{
	struct pci_dev *flat;
	bool ret;

	flat = rlist_p2p_find(test, IVSHMEM_VENDOR, IVSHMEM_DEVICE, false);
	ret = flat && rlist_p2p_expected(test, flat, umem_cur->dev) !=
		      PCI_P2PDMA_MAP_NOT_SUPPORTED;
	pci_dev_put(flat);
	return ret;
}

/* The BAR beside the switch if edu reaches it, else the one below it. */
static struct umem_p2p *umem_p2p_open_mappable(struct kunit *test)
{
	struct umem_p2p *p;

	p = umem_p2p_open(test, !umem_p2p_flat_mappable(test));
	KUNIT_ASSERT_NE(test, p->map, PCI_P2PDMA_MAP_NOT_SUPPORTED);
	return p;
}

/*
 * After revocation: the umem has no mapping and no range left, and behind
 * an IOMMU none of the @n IOVAs of its blocks in @dma translates any more.
 */
static void umem_p2p_expect_unmapped(struct kunit *test, struct umem_p2p *p,
				     struct ib_umem_dmabuf *ud,
				     const dma_addr_t *dma, unsigned int n)
{
	struct iommu_domain *domain = umem_cur->domain;
	unsigned int i;

	KUNIT_EXPECT_FALSE(test, ib_umem_dmabuf_is_mapped(ud));
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&ud->umem.dma_list), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&ud->umem.cpu_list), 0);
	if (!domain || p->map != PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		return;
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ_MSG(test, (u64)iommu_iova_to_phys(domain, dma[i]),
				    0, "block %u still mapped", i);
}

/*
 * Revocation while mapped: unbinding the exporter (what device removal
 * does) notifies the umem, whose driver callback runs once; the umem unmaps
 * the BAR (the unbind returns only when the provider has no mapping left,
 * and behind an IOMMU no block's IOVA translates any more), and the buffer
 * then refuses a new registration with -ENODEV.  The BAR beside the switch
 * where the host bridge route exists (an IOVA mapping behind an IOMMU),
 * else the one below it.
 */
static void ib_umem_test_p2p_revoke(struct kunit *test)
{
	const unsigned long offset = P2P_UMEM_FIRST * PAGE_SIZE + UMEM_HEAD;
	const size_t size = P2P_UMEM_PAGES * PAGE_SIZE - UMEM_HEAD - UMEM_TAIL;
	u32 *errors = rlist_kunit_dma_debug_u32("error_count");
	struct umem_fix *f = umem_cur;
	struct ib_umem_dmabuf *ud;
	u32 errors_before = errors ? *errors : 0;
	struct ib_umem_dmabuf *ud2;
	struct umem_p2p *p;
	int calls = 0;
	dma_addr_t *dma;
	unsigned int n;

	p = umem_p2p_open_mappable(test);
	dma = kunit_kcalloc(test, P2P_UMEM_PAGES, sizeof(*dma), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	ud = ib_umem_dmabuf_get_pinned_revocable_and_lock(f->ibdev, offset,
							  size, p->fd,
							  IB_ACCESS_LOCAL_WRITE);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(ud), "error %ld", PTR_ERR(ud));
	ib_umem_dmabuf_set_revoke_locked(ud, umem_revoke_cb, &calls);
	dma_resv_unlock(ud->attach->dmabuf->resv);
	n = umem_p2p_check(test, p, &ud->umem, dma);

	rlist_p2p_bar_unbind(p->pdev);
	KUNIT_EXPECT_EQ(test, calls, 1);
	umem_p2p_expect_unmapped(test, p, ud, dma, n);
	ud2 = umem_p2p_get_revocable(f, offset, size, p->fd);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(ud2), -ENODEV);
	if (!IS_ERR(ud2))
		ib_umem_release(&ud2->umem);
	KUNIT_EXPECT_EQ(test,
			PTR_ERR_OR_ZERO(rlist_p2p_bar_export(p->pdev,
							     P2P_WIN_OFF,
							     PAGE_SIZE)),
			-ENODEV);
	ib_umem_release(&ud->umem);
	KUNIT_EXPECT_EQ(test, calls, 1);
	if (errors)
		KUNIT_EXPECT_EQ(test, *errors, errors_before);
}

/*
 * The dynamic importer (mlx5's ODP-style MRs) on the BAR: nothing mapped
 * before the first fault, which maps the window (blocks checked and read
 * by edu as above); unbinding the exporter notifies it while mapped, it
 * unmaps (no IOVA left behind an IOMMU), and the next fault fails with
 * -ENODEV.  Where edu cannot reach the BAR beside the switch, the fault on
 * it fails with -EREMOTEIO and maps nothing.
 */
static void ib_umem_test_p2p_dynamic(struct kunit *test)
{
	const unsigned long offset = P2P_UMEM_FIRST * PAGE_SIZE + UMEM_HEAD;
	const size_t size = P2P_UMEM_PAGES * PAGE_SIZE - UMEM_HEAD - UMEM_TAIL;
	u32 *errors = rlist_kunit_dma_debug_u32("error_count");
	u32 errors_before = errors ? *errors : 0;
	struct umem_dyn d = {};
	struct umem_p2p *p;
	unsigned int n;
	int ret;
	dma_addr_t *dma;

	if (!umem_p2p_flat_mappable(test)) {
		p = umem_p2p_open(test, false);
		umem_dyn_get(test, &d, offset, size, p->fd);
		KUNIT_EXPECT_EQ(test, umem_dyn_fault(&d), -EREMOTEIO);
		KUNIT_EXPECT_FALSE(test, ib_umem_dmabuf_is_mapped(d.ud));
		KUNIT_EXPECT_EQ(test, rlist_cpu_length(&d.ud->umem.cpu_list),
				0);
		ib_umem_release(&d.ud->umem);
		KUNIT_EXPECT_EQ(test, d.calls, 0);
		rlist_p2p_bar_unbind(p->pdev);
		d = (struct umem_dyn){};
	}

	p = umem_p2p_open_mappable(test);
	dma = kunit_kcalloc(test, P2P_UMEM_PAGES, sizeof(*dma), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, dma);
	umem_dyn_get(test, &d, offset, size, p->fd);
	ret = umem_dyn_fault(&d);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret) {
		/* @d is on the stack: no attachment may outlive the test. */
		ib_umem_release(&d.ud->umem);
		return;
	}
	KUNIT_EXPECT_TRUE(test, ib_umem_dmabuf_is_mapped(d.ud));
	n = umem_p2p_check(test, p, &d.ud->umem, dma);

	rlist_p2p_bar_unbind(p->pdev);
	KUNIT_EXPECT_EQ(test, d.calls, 1);
	KUNIT_EXPECT_EQ(test, d.unmapped, 1);
	umem_p2p_expect_unmapped(test, p, d.ud, dma, n);
	KUNIT_EXPECT_EQ(test, umem_dyn_fault(&d), -ENODEV);
	KUNIT_EXPECT_FALSE(test, ib_umem_dmabuf_is_mapped(d.ud));
	ib_umem_release(&d.ud->umem);
	KUNIT_EXPECT_EQ(test, d.calls, 1);
	if (errors)
		KUNIT_EXPECT_EQ(test, *errors, errors_before);
}

static int ib_umem_p2p_init(struct kunit *test)
{
	int ret = rlist_edu_init_switch(test);

	if (ret)
		return ret;
	umem_setup(test, UMEM_EDU, rlist_edu_device(test));
	kunit_info(test, "switch edu %s\n", umem_cur->domain ?
		   "behind an IOMMU" : umem_cur->bounce ?
		   "bouncing through swiotlb" : "dma-direct");
	return 0;
}

static struct kunit_case ib_umem_p2p_test_cases[] = {
	KUNIT_CASE_SLOW(ib_umem_test_p2p_switch),
	KUNIT_CASE_SLOW(ib_umem_test_p2p_host_bridge),
	KUNIT_CASE_SLOW(ib_umem_test_p2p_revoke),
	KUNIT_CASE_SLOW(ib_umem_test_p2p_dynamic),
	{}
};

static struct kunit_suite ib_umem_p2p_test_suite = {
	.name = "ib_umem_p2p",
	.init = ib_umem_p2p_init,
	.exit = rlist_edu_exit,
	.test_cases = ib_umem_p2p_test_cases,
};
#endif /* CONFIG_RLIST_P2P_BAR */
#endif

/*
 * drivers/ is linked after lib/, so these suites run after rlist_kmemleak:
 * the same kmemleak check once more, after them (last in the array below,
 * which fixes the order).
 */
static void ib_umem_test_kmemleak(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_RLIST_KMEMLEAK_KUNIT_TEST) ||
	    !IS_BUILTIN(CONFIG_INFINIBAND_UMEM_KUNIT_TEST))
		kunit_skip(test, "needs CONFIG_RLIST_KMEMLEAK_KUNIT_TEST and these tests built in");
	rlist_kunit_kmemleak_check(test);
}

static struct kunit_case ib_umem_kmemleak_test_cases[] = {
	KUNIT_CASE_SLOW(ib_umem_test_kmemleak),
	{}
};

static struct kunit_suite ib_umem_kmemleak_test_suite = {
	.name = "ib_umem_kmemleak",
	.test_cases = ib_umem_kmemleak_test_cases,
};

#if IS_ENABLED(CONFIG_DMA_RLIST_EDU_KUNIT_TEST)
/*
 * The QEMU devices the suites above used are back as they were at boot
 * (rlist_qemu_pci leaves this check to this suite, which runs later).
 */
static void ib_umem_test_qemu_pci(struct kunit *test)
{
	rlist_kunit_pci_check(test);
}

static struct kunit_case ib_umem_qemu_pci_test_cases[] = {
	KUNIT_CASE(ib_umem_test_qemu_pci),
	{}
};

static struct kunit_suite ib_umem_qemu_pci_test_suite = {
	.name = "ib_umem_qemu_pci",
	.test_cases = ib_umem_qemu_pci_test_cases,
};
#endif

#if IS_ENABLED(CONFIG_DMA_RLIST_EDU_KUNIT_TEST) && IS_ENABLED(CONFIG_RLIST_P2P_BAR)
kunit_test_suites(&ib_umem_test_suite, &ib_umem_edu_test_suite,
		  &ib_umem_p2p_test_suite, &ib_umem_qemu_pci_test_suite,
		  &ib_umem_kmemleak_test_suite);
#elif IS_ENABLED(CONFIG_DMA_RLIST_EDU_KUNIT_TEST)
kunit_test_suites(&ib_umem_test_suite, &ib_umem_edu_test_suite,
		  &ib_umem_qemu_pci_test_suite, &ib_umem_kmemleak_test_suite);
#else
kunit_test_suites(&ib_umem_test_suite, &ib_umem_kmemleak_test_suite);
#endif

MODULE_DESCRIPTION("KUnit tests of ib_umem on range lists");
MODULE_LICENSE("GPL");
