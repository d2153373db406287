// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests that prove DMA addresses right by moving bytes with the DMA
 * engine of QEMU's edu PCI device (hw/misc/edu.c, docs/specs/edu.rst).
 *
 * A DMA address is right when the device, given that address, reads or
 * writes the bytes the CPU sees at the same place: every test moves data
 * between memory and edu's internal buffer through the mapped addresses and
 * compares bytes, never only addresses.
 *
 * edu needs no driver: the suite takes the device with pci_get_device(),
 * enables it and programs its registers (BAR0):
 *
 *   0x00 identification (0xRRrr00ed), 0x04 liveness check (returns ~value),
 *   0x80 DMA source address, 0x88 DMA destination address, 0x90 DMA count
 *   (64-bit registers), 0x98 DMA command: bit 0 start (cleared by edu when
 *   done), bit 1 direction (0: RAM to edu, 1: edu to RAM), bit 2 raise an
 *   interrupt when done.
 *
 * The edu side of a transfer is its 4096-byte buffer at edu address
 * 0x40000; a transfer outside it aborts QEMU.  QEMU up to at least 7.2
 * (Debian 12) checks the end of the range off by one, so a transfer of the
 * whole 4096 bytes aborts too: transfers are at most 4095 bytes.  Each
 * transfer completes about 100 ms (QEMU virtual clock) after it is started,
 * so the tests keep the number of transfers small.
 *
 * DMA mask: edu masks every RAM address with its "dma_mask" property, 28
 * bits by default, and silently clamps addresses above it.  With the 1 GiB
 * guest of kunit.py, dma-direct addresses are above 28 bits and the IOMMU
 * hands out IOVAs just below 4 GiB, so the harness (harness/kunit-qemu.sh)
 * starts edu with dma_mask=0xffffffff and the suite sets the same 32-bit
 * mask for the device: every setup (IOMMU, direct, swiotlb=force) then
 * gives addresses edu reaches.  With a narrower edu mask the byte
 * comparisons fail, they cannot pass by accident.
 *
 * The suites touch a device only when the harness hands it over: its
 * vendor:device id must be in the kernel parameter rlist_kunit.qemu_pci
 * (see lib/rlist/rlist_kunit_pci.c); the DMA masks they set are restored.
 * Without an edu device, or without that parameter, every test is skipped.
 *
 * A second suite, dma_rlist_p2p (at the end of this file), maps P2P memory
 * for a second edu below a PCIe switch and moves bytes through it.
 */
#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/dma-rlist.h>
#include <linux/io.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/iommu.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/swiotlb.h>
#include <trace/events/dma.h>

#include "direct.h"
#include "rlist_edu_kunit.h"

#include "../../lib/rlist/rlist_internal.h"
#include "../../lib/rlist/rlist_kunit.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

#define EDU_REG_ID		0x00
#define EDU_REG_LIVENESS	0x04
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98

#define EDU_DMA_START		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)

#define EDU_BUF_ADDR		0x40000
#define EDU_BUF_SIZE		4096
/* Longest transfer: QEMU 7.2 refuses the whole buffer (see above). */
#define EDU_DMA_MAX		(EDU_BUF_SIZE - 1)

/* See the DMA mask paragraph at the top of the file. */
#define EDU_DMA_MASK		DMA_BIT_MASK(32)

/* A transfer takes ~100 ms of QEMU time; TCG on a busy host is slower. */
#define EDU_DMA_TIMEOUT_MS	5000

/* Most pieces of a mapping the tests walk. */
#define EDU_MAX_PIECES		64

struct edu_fixture {
	struct pci_dev *pdev;
	struct device *dev;
	void __iomem *bar;
	bool enabled;
	/* The masks the device had before edu_open(), restored at exit. */
	u64 old_mask, old_coherent_mask;
	bool mask_set;
	/* A bounce page of the test itself: moves bytes edu <-> CPU. */
	struct page *check;
	dma_addr_t check_dma;
	bool check_mapped;
	u32 seed;
};

/* A piece of DMA address space and where its bytes are in the CPU list. */
struct edu_piece {
	dma_addr_t addr;
	u64 len;
	u64 pos;
};

/* CPU read of the byte stream of a mapping (rlist or sg_table). */
struct edu_cpu_ops {
	void (*read)(struct kunit *test, void *ctx, u64 pos, void *buf,
		     size_t len);
};

/*
 * edu_dma() - move @len bytes between memory at DMA address @addr and the
 * start of edu's buffer, and wait until edu is done.
 * @edu: the fixture
 * @addr: DMA address in memory, as edu sees it
 * @len: 1 to %EDU_DMA_MAX bytes
 * @to_ram: true for edu to memory, false for memory to edu
 *
 * Return: 0, -EINVAL for a bad length, -ETIMEDOUT if edu did not finish.
 */
static int edu_dma(struct edu_fixture *edu, dma_addr_t addr, size_t len,
		   bool to_ram)
{
	ktime_t end = ktime_add_ms(ktime_get(), EDU_DMA_TIMEOUT_MS);
	u32 cmd = EDU_DMA_START;

	if (!len || len > EDU_DMA_MAX)
		return -EINVAL;
	if (readl(edu->bar + EDU_REG_DMA_CMD) & EDU_DMA_START)
		return -EBUSY;	/* writes are ignored while edu runs */
	if (to_ram) {
		writeq(EDU_BUF_ADDR, edu->bar + EDU_REG_DMA_SRC);
		writeq(addr, edu->bar + EDU_REG_DMA_DST);
		cmd |= EDU_DMA_TO_RAM;
	} else {
		writeq(addr, edu->bar + EDU_REG_DMA_SRC);
		writeq(EDU_BUF_ADDR, edu->bar + EDU_REG_DMA_DST);
	}
	writeq(len, edu->bar + EDU_REG_DMA_COUNT);
	writel(cmd, edu->bar + EDU_REG_DMA_CMD);
	while (readl(edu->bar + EDU_REG_DMA_CMD) & EDU_DMA_START) {
		if (ktime_after(ktime_get(), end))
			return -ETIMEDOUT;
		usleep_range(1000, 2000);
	}
	return 0;
}

/* A byte pattern of the stream position, different for every @seed. */
static void edu_pattern(void *buf, size_t len, u64 pos, u32 seed)
{
	u8 *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		u32 x = ((u32)(pos + i) + seed * 0x9e3779b9u) * 2654435761u;

		p[i] = (x >> 24) ^ (x >> 13);
	}
}

static u32 edu_next_seed(struct edu_fixture *edu)
{
	return ++edu->seed;
}

/*
 * Set up @edu for @pdev (whose reference it takes over) with DMA mask
 * @mask; test->priv must point to @edu.
 */
static void edu_open(struct kunit *test, struct edu_fixture *edu,
		     struct pci_dev *pdev, u64 mask)
{
	u32 id;

	edu->pdev = pdev;
	edu->dev = &edu->pdev->dev;
	KUNIT_ASSERT_EQ(test, pci_enable_device(edu->pdev), 0);
	edu->enabled = true;
	pci_set_master(edu->pdev);
	edu->bar = pci_iomap(edu->pdev, 0, 0);
	KUNIT_ASSERT_TRUE_MSG(test, edu->bar, "pci_iomap() of BAR0 failed");
	id = readl(edu->bar + EDU_REG_ID);
	KUNIT_ASSERT_EQ_MSG(test, id & 0xffff, 0xed, "edu id %#x", id);
	writel(0x12345678, edu->bar + EDU_REG_LIVENESS);
	KUNIT_ASSERT_EQ(test, readl(edu->bar + EDU_REG_LIVENESS), ~0x12345678u);
	edu->old_mask = dma_get_mask(edu->dev);
	edu->old_coherent_mask = edu->dev->coherent_dma_mask;
	edu->mask_set = true;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(edu->dev, mask), 0);

	edu->check = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, edu->check);
	edu->check_dma = dma_map_page(edu->dev, edu->check, 0, PAGE_SIZE,
				      DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(edu->dev, edu->check_dma));
	edu->check_mapped = true;
	edu->seed = get_random_u32();
	kunit_info(test, "edu %s id %#x, %s\n", pci_name(edu->pdev), id,
		   device_iommu_mapped(edu->dev) ? "behind an IOMMU" :
		   is_swiotlb_force_bounce(edu->dev) ? "dma-direct, swiotlb forced" :
		   "dma-direct");
}

static int edu_init(struct kunit *test)
{
	struct edu_fixture *edu;
	struct pci_dev *pdev;

	edu = kunit_kzalloc(test, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	test->priv = edu;
	/*
	 * The first edu (on the root bus).  Let the nvme driver finish its
	 * asynchronous probe first: it would add IOTLB syncs to the counts.
	 */
	wait_for_device_probe();
	pdev = rlist_kunit_pci_get(test, EDU_VENDOR, EDU_DEVICE, NULL);
	if (!pdev)
		kunit_skip(test, "no edu device (QEMU -device edu)");
	edu_open(test, edu, pdev, EDU_DMA_MASK);
	return 0;
}

static void edu_exit(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;

	if (!edu || !edu->pdev)
		return;
	if (edu->check_mapped)
		dma_unmap_page(edu->dev, edu->check_dma, PAGE_SIZE,
			       DMA_BIDIRECTIONAL);
	if (edu->check)
		__free_page(edu->check);
	if (edu->bar)
		pci_iounmap(edu->pdev, edu->bar);
	if (edu->mask_set) {
		dma_set_mask(edu->dev, edu->old_mask);
		dma_set_coherent_mask(edu->dev, edu->old_coherent_mask);
	}
	if (edu->enabled) {
		pci_clear_master(edu->pdev);
		pci_disable_device(edu->pdev);
	}
	pci_dev_put(edu->pdev);
}

/*
 * Copy @len bytes from edu's buffer into @buf through the check page; the
 * page is poisoned first so that a transfer that does not happen is seen.
 */
static void edu_read_buffer(struct kunit *test, void *buf, size_t len)
{
	struct edu_fixture *edu = test->priv;
	void *check = page_address(edu->check);

	memset(check, 0x5a, PAGE_SIZE);
	dma_sync_single_for_device(edu->dev, edu->check_dma, PAGE_SIZE,
				   DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_EQ(test, edu_dma(edu, edu->check_dma, len, true), 0);
	dma_sync_single_for_cpu(edu->dev, edu->check_dma, PAGE_SIZE,
				DMA_BIDIRECTIONAL);
	memcpy(buf, check, len);
}

/* Fill edu's buffer with @len bytes of @buf through the check page. */
static void edu_write_buffer(struct kunit *test, const void *buf, size_t len)
{
	struct edu_fixture *edu = test->priv;

	memcpy(page_address(edu->check), buf, len);
	dma_sync_single_for_device(edu->dev, edu->check_dma, PAGE_SIZE,
				   DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_EQ(test, edu_dma(edu, edu->check_dma, len, false), 0);
}

/* Move @len bytes from DMA address @src to @dst through edu's buffer. */
static void edu_copy(struct kunit *test, dma_addr_t src, dma_addr_t dst,
		     size_t len)
{
	struct edu_fixture *edu = test->priv;
	size_t off, c;

	for (off = 0; off < len; off += c) {
		c = min_t(size_t, len - off, EDU_DMA_MAX);
		KUNIT_ASSERT_EQ(test, edu_dma(edu, src + off, c, false), 0);
		KUNIT_ASSERT_EQ(test, edu_dma(edu, dst + off, c, true), 0);
	}
}

/* Let edu read @len bytes at @addr and return them in @buf. */
static void edu_fetch(struct kunit *test, dma_addr_t addr, void *buf,
		      size_t len)
{
	struct edu_fixture *edu = test->priv;
	void *check = page_address(edu->check);

	memset(check, 0x5a, PAGE_SIZE);
	dma_sync_single_for_device(edu->dev, edu->check_dma, PAGE_SIZE,
				   DMA_BIDIRECTIONAL);
	edu_copy(test, addr, edu->check_dma, len);
	dma_sync_single_for_cpu(edu->dev, edu->check_dma, PAGE_SIZE,
				DMA_BIDIRECTIONAL);
	memcpy(buf, check, len);
}

/*
 * Memory to device: for every piece, in transfers of at most EDU_DMA_MAX
 * bytes, let edu read the piece's DMA address, fetch edu's buffer back through the
 * check page and compare with what the CPU has at the same stream position.
 */
static void edu_check_to_device(struct kunit *test,
				const struct edu_piece *pieces, unsigned int n,
				const struct edu_cpu_ops *ops, void *ctx)
{
	struct edu_fixture *edu = test->priv;
	u8 *got, *want;
	unsigned int i;

	got = kunit_kmalloc(test, EDU_BUF_SIZE, GFP_KERNEL);
	want = kunit_kmalloc(test, EDU_BUF_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_ASSERT_NOT_NULL(test, want);
	for (i = 0; i < n; i++) {
		u64 off, c;

		for (off = 0; off < pieces[i].len; off += c) {
			c = min_t(u64, pieces[i].len - off, EDU_DMA_MAX);
			KUNIT_ASSERT_EQ(test, edu_dma(edu, pieces[i].addr + off,
						      c, false), 0);
			edu_read_buffer(test, got, c);
			ops->read(test, ctx, pieces[i].pos + off, want, c);
			KUNIT_EXPECT_MEMEQ_MSG(test, got, want, c,
					       "to device: piece %u (%pad+%llu, %llu bytes, list position %llu)",
					       i, &pieces[i].addr, off, c,
					       pieces[i].pos + off);
		}
	}
}

/*
 * Device to memory: for every piece, load edu's buffer with fresh bytes and
 * let edu write them to the piece's DMA address.  @want receives the bytes
 * written, by stream position, for the caller to compare once the CPU owns
 * the memory again.
 */
static void edu_fill_from_device(struct kunit *test,
				 const struct edu_piece *pieces, unsigned int n,
				 u8 *want)
{
	struct edu_fixture *edu = test->priv;
	u32 seed = edu_next_seed(edu);
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 off, c;

		for (off = 0; off < pieces[i].len; off += c) {
			u8 *w = want + pieces[i].pos + off;

			c = min_t(u64, pieces[i].len - off, EDU_DMA_MAX);
			edu_pattern(w, c, pieces[i].pos + off, seed);
			edu_write_buffer(test, w, c);
			KUNIT_ASSERT_EQ(test, edu_dma(edu, pieces[i].addr + off,
						      c, true), 0);
		}
	}
}

/* The pieces cover the stream [0, @total) in order, without gaps. */
static void edu_expect_cover(struct kunit *test, const struct edu_piece *pieces,
			     unsigned int n, u64 total)
{
	u64 pos = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ(test, pieces[i].pos, pos);
		pos = pieces[i].pos + pieces[i].len;
	}
	KUNIT_EXPECT_EQ(test, pos, total);
}

static void edu_log_pieces(struct kunit *test, const char *what,
			   const struct edu_piece *pieces, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		kunit_info(test, "%s[%u]: %pad + %llu (list position %llu)\n",
			   what, i, &pieces[i].addr, pieces[i].len,
			   pieces[i].pos);
}

/* Single pages: dma_map_page() with whole and partial pages. */
static void edu_dma_map_page(struct kunit *test)
{
	static const struct {
		unsigned int src_off, dst_off, len;
	} cases[] = {
		{ 0, 0, PAGE_SIZE }, { 100, 100, 300 }, { 100, 7, 300 },
		{ 1, 2, PAGE_SIZE - 2 }, { PAGE_SIZE - 96, 0, 96 },
		{ 4000, 3, 1 },
	};
	struct edu_fixture *edu = test->priv;
	struct page *src, *dst;
	u8 *s, *d, *want;
	unsigned int i;

	src = alloc_page(GFP_KERNEL);
	dst = alloc_page(GFP_KERNEL);
	want = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	if (!src || !dst || !want) {
		if (src)
			__free_page(src);
		if (dst)
			__free_page(dst);
		KUNIT_FAIL(test, "out of memory");
		return;
	}
	s = page_address(src);
	d = page_address(dst);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int so = cases[i].src_off, dof = cases[i].dst_off;
		unsigned int len = cases[i].len;
		dma_addr_t sa, da;

		edu_pattern(s, PAGE_SIZE, 0, edu_next_seed(edu));
		memset(d, 0, PAGE_SIZE);
		sa = dma_map_page(edu->dev, src, so, len, DMA_TO_DEVICE);
		if (dma_mapping_error(edu->dev, sa)) {
			KUNIT_FAIL(test, "case %u: dma_map_page(src) failed", i);
			break;
		}
		da = dma_map_page(edu->dev, dst, dof, len, DMA_FROM_DEVICE);
		if (dma_mapping_error(edu->dev, da)) {
			dma_unmap_page(edu->dev, sa, len, DMA_TO_DEVICE);
			KUNIT_FAIL(test, "case %u: dma_map_page(dst) failed", i);
			break;
		}
		edu_copy(test, sa, da, len);
		dma_unmap_page(edu->dev, sa, len, DMA_TO_DEVICE);
		dma_unmap_page(edu->dev, da, len, DMA_FROM_DEVICE);

		KUNIT_EXPECT_MEMEQ_MSG(test, d + dof, s + so, len,
				       "case %u: src +%u, dst +%u, %u bytes at %pad -> %pad",
				       i, so, dof, len, &sa, &da);
		/* Nothing written around the destination range. */
		memset(want, 0, PAGE_SIZE);
		KUNIT_EXPECT_MEMEQ_MSG(test, d, want, dof, "case %u", i);
		KUNIT_EXPECT_MEMEQ_MSG(test, d + dof + len, want,
				       PAGE_SIZE - dof - len, "case %u", i);
	}
	__free_page(src);
	__free_page(dst);
}

/*
 * Negative control: the comparison catches a wrong address.  Two pages of
 * different content, mapped as one range: edu reading the mapped address
 * gets the first page, reading the address one page further gets bytes
 * that differ from it (and are the second page).
 */
static void edu_dma_wrong_address(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	struct page *pages;
	dma_addr_t addr;
	u8 *p, *got;

	got = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, got);
	pages = alloc_pages(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	p = page_address(pages);
	edu_pattern(p, PAGE_SIZE, 0, edu_next_seed(edu));
	edu_pattern(p + PAGE_SIZE, PAGE_SIZE, 0, edu_next_seed(edu));
	addr = dma_map_page(edu->dev, pages, 0, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	if (dma_mapping_error(edu->dev, addr)) {
		__free_pages(pages, 1);
		KUNIT_FAIL(test, "dma_map_page() failed");
		return;
	}

	edu_fetch(test, addr, got, PAGE_SIZE);
	KUNIT_EXPECT_MEMEQ(test, got, p, PAGE_SIZE);

	edu_fetch(test, addr + PAGE_SIZE, got, PAGE_SIZE);
	KUNIT_EXPECT_MEMNEQ(test, got, p, PAGE_SIZE);
	KUNIT_EXPECT_MEMEQ(test, got, p + PAGE_SIZE, PAGE_SIZE);

	dma_unmap_page(edu->dev, addr, 2 * PAGE_SIZE, DMA_TO_DEVICE);
	__free_pages(pages, 1);
}

/*
 * Scattered memory shared by the sg_table and rlist tests: pages from
 * allocations of different orders, odd offsets and lengths, pieces that
 * span several pages of one allocation.
 */
struct edu_mem {
	struct page *a, *b, *c;	/* orders 0, 1, 2 */
	struct folio *huge;	/* rlist test only; may be NULL */
	unsigned int huge_order;
};

static const struct {
	int alloc;		/* 0: a, 1: b, 2: c */
	unsigned int page, off, len;
} edu_pieces[] = {
	{ 0, 0, 0, PAGE_SIZE },
	{ 1, 0, 256, 512 },
	{ 2, 0, 64, PAGE_SIZE - 64 },
	{ 2, 1, 100, 2 * PAGE_SIZE + 50 },	/* spans 3 pages of c */
	{ 1, 1, 7, 1 },
	{ 1, 1, 300, 300 },
};

/* The huge folio's window in the rlist: odd offset, spans 4+ pages. */
#define EDU_HUGE_OFF	(3 * PAGE_SIZE + 100)
#define EDU_HUGE_LEN	(4 * PAGE_SIZE + 333)

static void edu_mem_free(void *data)
{
	struct edu_mem *m = data;

	if (m->a)
		__free_pages(m->a, 0);
	if (m->b)
		__free_pages(m->b, 1);
	if (m->c)
		__free_pages(m->c, 2);
	if (m->huge)
		folio_put(m->huge);
}

static struct edu_mem *edu_mem_alloc(struct kunit *test, bool huge)
{
	struct edu_mem *m;
	int order;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_mem_free, m),
			0);
	m->a = alloc_pages(GFP_KERNEL, 0);
	m->b = alloc_pages(GFP_KERNEL, 1);
	m->c = alloc_pages(GFP_KERNEL, 2);
	KUNIT_ASSERT_TRUE(test, m->a && m->b && m->c);
	for (order = 9; huge && order >= 4; order--) {
		m->huge = folio_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		if (m->huge) {
			m->huge_order = order;
			break;
		}
	}
	return m;
}

static struct page *edu_piece_page(const struct edu_mem *m, unsigned int i)
{
	struct page *base = edu_pieces[i].alloc == 0 ? m->a :
			    edu_pieces[i].alloc == 1 ? m->b : m->c;

	return nth_page(base, edu_pieces[i].page);
}

/* Stream length of the pieces (without the huge folio). */
static u64 edu_pieces_len(void)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(edu_pieces); i++)
		n += edu_pieces[i].len;
	return n;
}

static void edu_build_sgtable(struct kunit *test, const struct edu_mem *m,
			      struct sg_table *sgt)
{
	struct scatterlist *sg;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, ARRAY_SIZE(edu_pieces),
					     GFP_KERNEL), 0);
	for_each_sgtable_sg(sgt, sg, i)
		sg_set_page(sg, edu_piece_page(m, i), edu_pieces[i].len,
			    edu_pieces[i].off);
}

static unsigned int edu_sgtable_pieces(struct kunit *test,
				       struct sg_table *sgt,
				       struct edu_piece *pieces)
{
	struct scatterlist *sg;
	unsigned int i, n = 0;
	u64 pos = 0;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		KUNIT_ASSERT_LT(test, n, EDU_MAX_PIECES);
		pieces[n].addr = sg_dma_address(sg);
		pieces[n].len = sg_dma_len(sg);
		pieces[n].pos = pos;
		pos += sg_dma_len(sg);
		n++;
	}
	return n;
}

static void edu_sg_read(struct kunit *test, void *ctx, u64 pos, void *buf,
			size_t len)
{
	struct sg_table *sgt = ctx;

	KUNIT_ASSERT_EQ(test, sg_pcopy_to_buffer(sgt->sgl, sgt->orig_nents,
						 buf, len, pos), len);
}

static void edu_sg_write(struct kunit *test, void *ctx, u64 pos,
			 const void *buf, size_t len)
{
	struct sg_table *sgt = ctx;

	KUNIT_ASSERT_EQ(test, sg_pcopy_from_buffer(sgt->sgl, sgt->orig_nents,
						   buf, len, pos), len);
}

static const struct edu_cpu_ops edu_sg_ops = {
	.read = edu_sg_read,
};

static void edu_sg_free(void *data)
{
	sg_free_table(data);
}

/*
 * dma_map_sgtable() of scattered memory, both directions: edu reads every
 * DMA segment and gets the CPU bytes of that stretch of the table; edu
 * writes every segment and the CPU then finds the bytes written.
 */
static void edu_dma_map_sgtable(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	u64 total = edu_pieces_len();
	struct edu_piece *pieces;
	struct sg_table *sgt;
	struct edu_mem *m;
	u8 *want, *got;
	unsigned int n;

	m = edu_mem_alloc(test, false);
	sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	want = kunit_kmalloc(test, total, GFP_KERNEL);
	got = kunit_kmalloc(test, total, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, sgt && pieces && want && got);
	edu_build_sgtable(test, m, sgt);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_sg_free, sgt),
			0);

	/* Memory to device. */
	edu_pattern(want, total, 0, edu_next_seed(edu));
	edu_sg_write(test, sgt, 0, want, total);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(edu->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	n = edu_sgtable_pieces(test, sgt, pieces);
	edu_log_pieces(test, "sg to device", pieces, n);
	edu_expect_cover(test, pieces, n, total);
	edu_check_to_device(test, pieces, n, &edu_sg_ops, sgt);
	dma_unmap_sgtable(edu->dev, sgt, DMA_TO_DEVICE, 0);

	/* Device to memory, over memory holding something else. */
	memset(got, 0xc3, total);
	edu_sg_write(test, sgt, 0, got, total);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(edu->dev, sgt, DMA_FROM_DEVICE,
					      0), 0);
	n = edu_sgtable_pieces(test, sgt, pieces);
	edu_expect_cover(test, pieces, n, total);
	edu_fill_from_device(test, pieces, n, want);
	dma_unmap_sgtable(edu->dev, sgt, DMA_FROM_DEVICE, 0);
	edu_sg_read(test, sgt, 0, got, total);
	KUNIT_EXPECT_MEMEQ_MSG(test, got, want, total, "from device");
}

/* The rlist test's memory as an sg_table: the pieces and the huge window. */
static void edu_build_sgtable_huge(struct kunit *test, const struct edu_mem *m,
				   struct sg_table *sgt)
{
	unsigned int i, nents = ARRAY_SIZE(edu_pieces) + !!m->huge;
	struct scatterlist *sg;

	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, nents, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_sg_free, sgt),
			0);
	sg = sgt->sgl;
	for (i = 0; i < ARRAY_SIZE(edu_pieces); i++) {
		sg_set_page(sg, edu_piece_page(m, i), edu_pieces[i].len,
			    edu_pieces[i].off);
		sg = sg_next(sg);
		if (i == 2 && m->huge) {
			sg_set_page(sg, folio_page(m->huge,
						   EDU_HUGE_OFF / PAGE_SIZE),
				    EDU_HUGE_LEN, EDU_HUGE_OFF % PAGE_SIZE);
			sg = sg_next(sg);
		}
	}
}

static unsigned int edu_rlist_pieces(struct kunit *test,
				     const struct rlist_dma *rd,
				     struct edu_piece *pieces)
{
	struct rlist_dma_iter it;
	unsigned int n = 0;

	rlist_dma_for_each_range(rd, &it) {
		KUNIT_ASSERT_LT(test, n, EDU_MAX_PIECES);
		pieces[n].addr = it.addr;
		pieces[n].len = it.len;
		pieces[n].pos = it.pos;
		n++;
	}
	return n;
}

static void edu_rlist_read(struct kunit *test, void *ctx, u64 pos, void *buf,
			   size_t len)
{
	KUNIT_ASSERT_EQ(test, rlist_cpu_copy_from(buf, ctx, pos, len), 0);
}

static void edu_rlist_write(struct kunit *test, void *ctx, u64 pos,
			    const void *buf, size_t len)
{
	KUNIT_ASSERT_EQ(test, rlist_cpu_copy_to(ctx, pos, buf, len), 0);
}

static const struct edu_cpu_ops edu_rlist_ops = {
	.read = edu_rlist_read,
};

/*
 * Append a piece that may span several pages of one allocation: the pages
 * one by one, which the list merges into one range.
 */
static void edu_rlist_append(struct kunit *test, struct rlist_cpu *rc,
			     struct page *page, unsigned int off,
			     unsigned int len)
{
	while (len) {
		unsigned int c = min_t(unsigned int, len, PAGE_SIZE - off);

		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(rc, page, off, c,
							    GFP_KERNEL), 0);
		page = nth_page(page, 1);
		off = 0;
		len -= c;
	}
}

static void edu_rlist_free(void *data)
{
	rlist_cpu_destroy(data, 0);
}

/* The device's DMA API IOMMU domain, or NULL with dma-direct. */
static struct iommu_domain *edu_dma_domain(struct edu_fixture *edu)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(edu->dev);

	return domain && domain->type & __IOMMU_DOMAIN_DMA_API ? domain : NULL;
}

static unsigned long edu_granule(struct iommu_domain *domain)
{
	return 1UL << __ffs(domain->pgsize_bitmap);
}

/* DMA address of list position @pos in the pieces of a mapping. */
static dma_addr_t edu_piece_addr(struct kunit *test,
				 const struct edu_piece *pieces,
				 unsigned int n, u64 pos)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (pos - pieces[i].pos < pieces[i].len)
			return pieces[i].addr + (pos - pieces[i].pos);
	KUNIT_FAIL(test, "list position %llu is not mapped", pos);
	return DMA_MAPPING_ERROR;
}

/*
 * dma-iommu mapped @rc at one IOVA: @rd is based at it, it has no more
 * ranges than @rc (one for a page list), and its ranges cover exactly as
 * many IOVA granules as the CPU ranges cover granules of memory, as
 * iommu_dma_map_sg() lays a scatterlist out (no segment boundary is near:
 * edu's is 4 GiB, its IOVAs are below 4 GiB).
 */
static void edu_expect_one_iova(struct kunit *test, const struct rlist_cpu *rc,
				const struct rlist_dma *rd,
				const struct edu_piece *pieces, unsigned int n)
{
	struct iommu_domain *domain = edu_dma_domain(test->priv);
	unsigned long granule = edu_granule(domain);
	dma_addr_t lo = DMA_MAPPING_ERROR, hi = 0;
	struct rlist_cpu_iter it;
	unsigned int nr = 0, i;
	u64 span = 0;

	rlist_cpu_for_each_range(rc, &it) {
		span += round_up((it.phys & (granule - 1)) + it.len, granule);
		nr++;
	}
	for (i = 0; i < n; i++) {
		lo = min(lo, round_down(pieces[i].addr, granule));
		hi = max(hi, round_up(pieces[i].addr + pieces[i].len, granule));
	}
	KUNIT_EXPECT_TRUE(test, rlist_dma_has_base(rd));
	KUNIT_EXPECT_LE(test, n, nr);
	if (rlist_cpu_flags(rc) & RLIST_CPU_PAGELIST)
		KUNIT_EXPECT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ_MSG(test, hi - lo, span,
			    "IOVA footprint of %u DMA ranges for %u CPU ranges",
			    n, nr);
}

/*
 * Map @rc with dma_map_rlist() in both directions and move the bytes of
 * every DMA range through edu: memory to device compared with the CPU list
 * at the same position, then device to memory over memory holding something
 * else, compared after dma_sync_rlist_for_cpu() and again after unmap.
 * @seg is passed to dma_map_rlist().
 */
static void edu_rlist_roundtrip(struct kunit *test, struct rlist_cpu *rc,
				const struct rlist_dma_segmentation *seg,
				struct edu_piece *pieces)
{
	struct edu_fixture *edu = test->priv;
	u64 total = rlist_cpu_length(rc);
	struct rlist_dma rd;
	u8 *want, *got;
	unsigned int n;

	want = kunit_kmalloc(test, total, GFP_KERNEL);
	got = kunit_kmalloc(test, total, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, want && got);

	/* Memory to device. */
	edu_pattern(want, total, 0, edu_next_seed(edu));
	edu_rlist_write(test, rc, 0, want, total);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(edu->dev, rc, &rd, seg,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	n = edu_rlist_pieces(test, &rd, pieces);
	kunit_info(test, "dma_map_rlist: %llu bytes in %u range(s)%s\n", total,
		   n, rlist_dma_is_identity(&rd) ? ", identity view" : "");
	edu_log_pieces(test, "rlist", pieces, n);
	edu_expect_cover(test, pieces, n, total);
	if (edu_dma_domain(edu) && !edu->pdev->untrusted && !seg)
		edu_expect_one_iova(test, rc, &rd, pieces, n);
	edu_check_to_device(test, pieces, n, &edu_rlist_ops, rc);
	dma_unmap_rlist(edu->dev, rc, &rd, DMA_TO_DEVICE, 0);

	/* Device to memory. */
	memset(got, 0x3c, total);
	edu_rlist_write(test, rc, 0, got, total);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(edu->dev, rc, &rd, seg,
					    DMA_FROM_DEVICE, 0, GFP_KERNEL), 0);
	n = edu_rlist_pieces(test, &rd, pieces);
	edu_expect_cover(test, pieces, n, total);
	edu_fill_from_device(test, pieces, n, want);
	dma_sync_rlist_for_cpu(edu->dev, rc, &rd, DMA_FROM_DEVICE);
	edu_rlist_read(test, rc, 0, got, total);
	KUNIT_EXPECT_MEMEQ_MSG(test, got, want, total,
			       "from device, after dma_sync_rlist_for_cpu()");
	dma_unmap_rlist(edu->dev, rc, &rd, DMA_FROM_DEVICE, 0);
	edu_rlist_read(test, rc, 0, got, total);
	KUNIT_EXPECT_MEMEQ_MSG(test, got, want, total,
			       "from device, after dma_unmap_rlist()");
}

static struct rlist_cpu *edu_rlist_new(struct kunit *test)
{
	struct rlist_cpu *rc;

	rc = kunit_kzalloc(test, sizeof(*rc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rc);
	rlist_cpu_init(rc);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_rlist_free,
							rc), 0);
	return rc;
}

/*
 * A new list of the edu_pieces of @m (odd offsets and lengths, not a page
 * list), with a window of the huge folio after the third piece if @huge
 * and @m has one.
 */
static struct rlist_cpu *edu_rlist_odd(struct kunit *test,
				       const struct edu_mem *m, bool huge)
{
	struct rlist_cpu *rc = edu_rlist_new(test);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(edu_pieces); i++) {
		edu_rlist_append(test, rc, edu_piece_page(m, i),
				 edu_pieces[i].off, edu_pieces[i].len);
		if (i == 2 && huge && m->huge)
			KUNIT_ASSERT_EQ(test,
					rlist_cpu_append_folio(rc, m->huge,
							       EDU_HUGE_OFF,
							       EDU_HUGE_LEN,
							       GFP_KERNEL), 0);
	}
	rlist_cpu_append_end(rc);
	return rc;
}

static void edu_log_huge(struct kunit *test, const struct edu_mem *m)
{
	if (m->huge)
		kunit_info(test, "huge folio of order %u\n", m->huge_order);
	else
		kunit_info(test, "no huge folio (order 4 to 9) available\n");
}

/*
 * dma_map_rlist() of the sg_table test's memory plus a window of a huge
 * folio at odd offsets, through edu in both directions.  The same memory
 * mapped by dma_map_sgtable() is logged next to it.
 */
static void edu_dma_map_rlist(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	struct edu_piece *pieces;
	struct rlist_cpu *rc;
	struct sg_table *sgt;
	struct edu_mem *m;
	unsigned int n;
	u64 total;

	m = edu_mem_alloc(test, true);
	sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, sgt && pieces);
	rc = edu_rlist_odd(test, m, true);
	total = rlist_cpu_length(rc);
	edu_log_huge(test, m);
	KUNIT_ASSERT_EQ(test, total,
			edu_pieces_len() + (m->huge ? EDU_HUGE_LEN : 0));

	edu_rlist_roundtrip(test, rc, NULL, pieces);

	/* The same memory through dma_map_sgtable(), for the log. */
	edu_build_sgtable_huge(test, m, sgt);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(edu->dev, sgt, DMA_TO_DEVICE, 0),
			0);
	n = edu_sgtable_pieces(test, sgt, pieces);
	edu_log_pieces(test, "sg", pieces, n);
	edu_expect_cover(test, pieces, n, total);
	dma_unmap_sgtable(edu->dev, sgt, DMA_TO_DEVICE, 0);
}

/*
 * A page list (whole pages only, scattered: allocations of different
 * orders, out of order, and pages of the huge folio), which dma-iommu can
 * map at one IOVA: through edu in both directions.
 */
static void edu_dma_map_rlist_pages(struct kunit *test)
{
	struct edu_piece *pieces;
	struct rlist_cpu *rc;
	struct edu_mem *m;

	m = edu_mem_alloc(test, true);
	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pieces);
	rc = edu_rlist_new(test);
	edu_rlist_append(test, rc, nth_page(m->c, 1), 0, 2 * PAGE_SIZE);
	edu_rlist_append(test, rc, m->a, 0, PAGE_SIZE);
	if (m->huge)
		KUNIT_ASSERT_EQ(test,
				rlist_cpu_append_folio(rc, m->huge,
						       5 * PAGE_SIZE,
						       3 * PAGE_SIZE,
						       GFP_KERNEL), 0);
	edu_rlist_append(test, rc, nth_page(m->b, 1), 0, PAGE_SIZE);
	edu_rlist_append(test, rc, m->c, 0, PAGE_SIZE);
	edu_rlist_append(test, rc, m->b, 0, PAGE_SIZE);
	rlist_cpu_append_end(rc);
	edu_log_huge(test, m);
	edu_rlist_roundtrip(test, rc, NULL, pieces);
}

/*
 * Counts the calls of an IOMMU driver operation for one domain, through a
 * kprobe on the operation's function (its first argument is the domain).
 */
struct edu_op_counter {
	struct kprobe kp;
	struct iommu_domain *domain;
	atomic_t calls;
	/* map_pages/unmap_pages: argument index of pgsize, then pgcount */
	int size_arg;
	atomic_long_t bytes;
};

static int edu_op_counter_hit(struct kprobe *kp, struct pt_regs *regs)
{
	struct edu_op_counter *c = container_of(kp, struct edu_op_counter, kp);

	if (regs_get_kernel_argument(regs, 0) != (unsigned long)c->domain)
		return 0;
	atomic_inc(&c->calls);
	if (c->size_arg)
		atomic_long_add(regs_get_kernel_argument(regs, c->size_arg) *
				regs_get_kernel_argument(regs, c->size_arg + 1),
				&c->bytes);
	return 0;
}

static void edu_op_counter_stop(void *data)
{
	unregister_kprobe(data);
}

static struct edu_op_counter *edu_op_counter(struct kunit *test,
					     struct iommu_domain *domain,
					     void *op)
{
	struct edu_op_counter *c;

	KUNIT_ASSERT_NOT_NULL(test, op);
	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->domain = domain;
	c->kp.addr = op;
	c->kp.pre_handler = edu_op_counter_hit;
	KUNIT_ASSERT_EQ(test, register_kprobe(&c->kp), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							edu_op_counter_stop,
							&c->kp), 0);
	return c;
}

static int edu_op_calls(struct edu_op_counter *c)
{
	return atomic_xchg(&c->calls, 0);
}

static long edu_op_bytes(struct edu_op_counter *c)
{
	atomic_xchg(&c->calls, 0);
	return atomic_long_xchg(&c->bytes, 0);
}

/* @rc as an sg_table, one entry per CPU range. */
static void edu_rlist_to_sgtable(struct kunit *test, const struct rlist_cpu *rc,
				 struct sg_table *sgt)
{
	struct rlist_cpu_iter it;
	struct scatterlist *sg;
	unsigned int n = 0;

	rlist_cpu_for_each_range(rc, &it)
		n++;
	KUNIT_ASSERT_EQ(test, sg_alloc_table(sgt, n, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_sg_free, sgt),
			0);
	sg = sgt->sgl;
	rlist_cpu_for_each_range(rc, &it) {
		sg_set_page(sg, pfn_to_page(PHYS_PFN(it.phys)), it.len,
			    offset_in_page(it.phys));
		sg = sg_next(sg);
	}
}

/*
 * Every page piece of @rc is translated by the IOMMU from the DMA address
 * at its list position (first and last byte).
 */
static void edu_expect_translated(struct kunit *test, const char *what,
				  const struct rlist_cpu *rc,
				  const struct edu_piece *pieces, unsigned int n)
{
	struct iommu_domain *domain = edu_dma_domain(test->priv);
	struct rlist_cpu_iter it;

	rlist_cpu_for_each_page(rc, &it) {
		dma_addr_t dma = edu_piece_addr(test, pieces, n, it.pos);

		KUNIT_EXPECT_EQ_MSG(test, iommu_iova_to_phys(domain, dma),
				    it.phys, "%s: first byte at %llu", what,
				    it.pos);
		KUNIT_EXPECT_EQ_MSG(test,
				    iommu_iova_to_phys(domain, dma + it.len - 1),
				    it.phys + it.len - 1,
				    "%s: last byte at %llu", what, it.pos);
	}
}

/* After unmap, no DMA range of the pieces is translated any more. */
static void edu_expect_unmapped(struct kunit *test, const char *what,
				const struct edu_piece *pieces, unsigned int n)
{
	struct iommu_domain *domain = edu_dma_domain(test->priv);
	unsigned int i;

	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test,
				    iommu_iova_to_phys(domain, pieces[i].addr),
				    0, "%s: range %u still mapped", what, i);
		KUNIT_EXPECT_EQ_MSG(test,
				    iommu_iova_to_phys(domain, pieces[i].addr +
						       pieces[i].len - 1),
				    0, "%s: end of range %u still mapped", what,
				    i);
	}
}

/*
 * Map @rc with dma_map_rlist() and check it in the IOMMU's page tables:
 * every CPU page piece is translated from the DMA address at its list
 * position (first and last byte), one IOTLB sync made the mapping visible
 * (as for dma_map_sgtable() of the same memory), and unmap removed every
 * translation with as many IOTLB invalidations as dma_unmap_sgtable(): one
 * in strict mode, none (deferred) in lazy mode.  When the IOVA spans
 * @large pages the driver may invalidate once more: the IOMMU core unmaps
 * the aligned part in large chunks and VT-d syncs when the size changes.
 */
static void edu_iommu_check_list(struct kunit *test, const char *what,
				 const struct rlist_cpu *rc, bool large,
				 struct edu_op_counter *sync_map,
				 struct edu_op_counter *sync,
				 struct edu_op_counter *flush_all)
{
	struct edu_fixture *edu = test->priv;
	struct iommu_domain *domain = edu_dma_domain(edu);
	int map_syncs, unmap_syncs, sg_map_syncs, sg_unmap_syncs;
	struct edu_piece *pieces;
	struct sg_table *sgt;
	struct rlist_dma rd;
	unsigned int n;

	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	sgt = kunit_kzalloc(test, sizeof(*sgt), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, pieces && sgt);

	edu_op_calls(sync_map);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(edu->dev, rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	map_syncs = edu_op_calls(sync_map);
	n = edu_rlist_pieces(test, &rd, pieces);
	edu_log_pieces(test, what, pieces, n);
	edu_expect_one_iova(test, rc, &rd, pieces, n);
	edu_expect_translated(test, what, rc, pieces, n);
	edu_op_calls(sync);
	edu_op_calls(flush_all);
	dma_unmap_rlist(edu->dev, rc, &rd, DMA_BIDIRECTIONAL, 0);
	unmap_syncs = edu_op_calls(sync) + edu_op_calls(flush_all);
	edu_expect_unmapped(test, what, pieces, n);

	edu_rlist_to_sgtable(test, rc, sgt);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(edu->dev, sgt, DMA_BIDIRECTIONAL,
					      0), 0);
	sg_map_syncs = edu_op_calls(sync_map);
	dma_unmap_sgtable(edu->dev, sgt, DMA_BIDIRECTIONAL, 0);
	sg_unmap_syncs = edu_op_calls(sync) + edu_op_calls(flush_all);

	kunit_info(test, "%s: %u DMA range(s); IOTLB syncs: map %d (sg %d), unmap %d (sg %d), %s mode\n",
		   what, n, map_syncs, sg_map_syncs, unmap_syncs,
		   sg_unmap_syncs, domain->type == IOMMU_DOMAIN_DMA_FQ ?
		   "lazy" : "strict");
	KUNIT_EXPECT_EQ(test, map_syncs, 1);
	KUNIT_EXPECT_EQ(test, sg_map_syncs, 1);
	KUNIT_EXPECT_EQ(test, unmap_syncs, sg_unmap_syncs);
	if (domain->type == IOMMU_DOMAIN_DMA_FQ)
		KUNIT_EXPECT_EQ(test, unmap_syncs, 0);
	else if (!large)
		KUNIT_EXPECT_EQ(test, unmap_syncs, 1);
}

/*
 * dma-iommu, checked in the IOMMU itself: a page list and a list of odd
 * offsets are each mapped at one IOVA with one IOTLB sync, translate to the
 * right memory, and are unmapped with one IOTLB invalidation, like
 * dma_map_sgtable() of the same memory (counted with kprobes on the IOMMU
 * driver's operations).
 */
static void edu_iommu_one_iova(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	struct edu_op_counter *sync_map, *sync, *flush_all;
	struct iommu_domain *domain = edu_dma_domain(edu);
	struct rlist_cpu *pages, *odd;
	struct edu_mem *m;

	if (!domain)
		kunit_skip(test, "not behind an IOMMU");
	if (!IS_ENABLED(CONFIG_KPROBES))
		kunit_skip(test, "needs CONFIG_KPROBES to count IOTLB syncs");
	sync_map = edu_op_counter(test, domain, domain->ops->iotlb_sync_map);
	sync = edu_op_counter(test, domain, domain->ops->iotlb_sync);
	flush_all = edu_op_counter(test, domain, domain->ops->flush_iotlb_all);

	m = edu_mem_alloc(test, true);
	pages = edu_rlist_new(test);
	edu_rlist_append(test, pages, nth_page(m->c, 1), 0, 3 * PAGE_SIZE);
	edu_rlist_append(test, pages, m->a, 0, PAGE_SIZE);
	if (m->huge)
		KUNIT_ASSERT_EQ(test,
				rlist_cpu_append_folio(pages, m->huge, 0,
						       folio_size(m->huge),
						       GFP_KERNEL), 0);
	edu_rlist_append(test, pages, m->b, 0, 2 * PAGE_SIZE);
	rlist_cpu_append_end(pages);
	KUNIT_ASSERT_TRUE(test, rlist_cpu_flags(pages) & RLIST_CPU_PAGELIST);
	edu_iommu_check_list(test, "page list", pages, !!m->huge, sync_map, sync,
			     flush_all);

	odd = edu_rlist_odd(test, m, true);
	KUNIT_ASSERT_FALSE(test, rlist_cpu_flags(odd) & RLIST_CPU_PAGELIST);
	edu_iommu_check_list(test, "odd list", odd, false, sync_map, sync,
			     flush_all);
}

/* Segment boundary of edu_iommu_boundary(): 16 KiB. */
#define EDU_BOUNDARY_MASK	(SZ_16K - 1)

static bool edu_crosses(u64 addr, u64 len)
{
	return (addr ^ (addr + len - 1)) & ~(u64)EDU_BOUNDARY_MASK;
}

/*
 * A list that is not a page list, mapped for a device whose segments must
 * not cross 16 KiB boundaries: dma-iommu still maps it at one IOVA with one
 * IOTLB sync, but moves a range that would cross a boundary in IOVA space
 * (and did not in memory) to the next boundary, as iommu_dma_map_sg() does,
 * so the segment count does not grow.  The holes this leaves are never
 * mapped; unmap releases the ranges around them.
 */
static void edu_iommu_boundary(struct kunit *test)
{
	const struct rlist_dma_segmentation seg = {
		.max_segment_size = U64_MAX,
		.segment_boundary_mask = EDU_BOUNDARY_MASK,
	};
	struct edu_fixture *edu = test->priv;
	struct iommu_domain *domain = edu_dma_domain(edu);
	struct edu_op_counter *sync_map, *sync;
	dma_addr_t lo = DMA_MAPPING_ERROR, hi = 0;
	struct edu_piece *pieces;
	struct rlist_cpu_iter it;
	unsigned long granule;
	struct rlist_cpu *rc;
	struct rlist_dma rd;
	unsigned int i, n;
	struct edu_mem *m;
	u64 span = 0;

	if (!domain)
		kunit_skip(test, "not behind an IOMMU");
	if (!IS_ENABLED(CONFIG_KPROBES))
		kunit_skip(test, "needs CONFIG_KPROBES to count IOTLB syncs");
	granule = edu_granule(domain);
	sync_map = edu_op_counter(test, domain, domain->ops->iotlb_sync_map);
	sync = edu_op_counter(test, domain, domain->ops->iotlb_sync);

	m = edu_mem_alloc(test, false);
	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pieces);
	/* The fourth range (3 granules) would cross 16 KiB after 3 granules. */
	rc = edu_rlist_odd(test, m, false);

	edu_op_calls(sync_map);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(edu->dev, rc, &rd, &seg,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	KUNIT_EXPECT_EQ(test, edu_op_calls(sync_map), 1);
	KUNIT_EXPECT_TRUE(test, rlist_dma_has_base(&rd));
	n = edu_rlist_pieces(test, &rd, pieces);
	edu_log_pieces(test, "boundary", pieces, n);
	rlist_cpu_for_each_range(rc, &it) {
		dma_addr_t dma = edu_piece_addr(test, pieces, n, it.pos);

		if (!edu_crosses(it.phys, it.len))
			KUNIT_EXPECT_FALSE_MSG(test, edu_crosses(dma, it.len),
					       "range at %llu: %pad + %llu crosses 16 KiB",
					       it.pos, &dma, it.len);
		span += round_up((it.phys & (granule - 1)) + it.len, granule);
	}
	for (i = 0; i < n; i++) {
		lo = min(lo, round_down(pieces[i].addr, granule));
		hi = max(hi, round_up(pieces[i].addr + pieces[i].len, granule));
	}
	/* The data above needs one hole, the IOVA is still one. */
	KUNIT_EXPECT_GT(test, hi - lo, span);
	KUNIT_EXPECT_LT(test, hi - lo, span + SZ_16K);
	edu_expect_translated(test, "boundary", rc, pieces, n);
	edu_op_calls(sync);
	dma_unmap_rlist(edu->dev, rc, &rd, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_GE(test, edu_op_calls(sync), 1);
	edu_expect_unmapped(test, "boundary", pieces, n);

	/* And the device moves the right bytes through the padded layout. */
	edu_rlist_roundtrip(test, rc, &seg, pieces);
}

/* Allocations of the rlist storage edu_alloc_fail() lets through. */
static long edu_alloc_budget;

static void *edu_alloc_fail(size_t size, gfp_t gfp)
{
	if (edu_alloc_budget-- <= 0)
		return NULL;
	return kmalloc(size, gfp);
}

/*
 * dma-iommu when the DMA list cannot be stored: the allocations of the
 * rlist storage are failed one after the other while a list that is not a
 * page list is mapped.  Every failure returns -ENOMEM, leaves the DMA list
 * empty and unmaps exactly what it had mapped: the bytes handed to the
 * IOMMU driver's map_pages and unmap_pages (counted with kprobes) are
 * equal.  Then the list maps, and unmaps, in full.  Under a DMA mask too
 * small for its IOVA, it is refused with -ENOMEM before anything is mapped.
 */
static void edu_iommu_enomem(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	struct iommu_domain *domain = edu_dma_domain(edu);
	struct edu_op_counter *map, *unmap;
	long budget, mapped, unmapped;
	struct rlist_cpu *rc, *big;
	struct rlist_dma rd;
	struct edu_mem *m;
	unsigned int i;
	int ret;

	if (!domain)
		kunit_skip(test, "not behind an IOMMU");
	if (!IS_ENABLED(CONFIG_KPROBES))
		kunit_skip(test, "needs CONFIG_KPROBES to count IOMMU mappings");
	map = edu_op_counter(test, domain, domain->ops->map_pages);
	map->size_arg = 3;	/* domain, iova, paddr, pgsize, pgcount */
	unmap = edu_op_counter(test, domain, domain->ops->unmap_pages);
	unmap->size_arg = 2;	/* domain, iova, pgsize, pgcount */

	m = edu_mem_alloc(test, false);
	rc = edu_rlist_odd(test, m, false);

	for (budget = 0; budget < 16; budget++) {
		edu_op_bytes(map);
		edu_op_bytes(unmap);
		edu_alloc_budget = budget;
		kunit_activate_static_stub(test, rlist_mem_alloc,
					   edu_alloc_fail);
		ret = dma_map_rlist(edu->dev, rc, &rd, NULL, DMA_TO_DEVICE, 0,
				    GFP_KERNEL);
		kunit_deactivate_static_stub(test, rlist_mem_alloc);
		mapped = edu_op_bytes(map);
		unmapped = edu_op_bytes(unmap);
		if (!ret)
			break;
		kunit_info(test, "allocation %ld failed: %d, %ld bytes mapped, %ld unmapped\n",
			   budget, ret, mapped, unmapped);
		KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
		KUNIT_EXPECT_GT(test, mapped, 0);
		KUNIT_EXPECT_EQ(test, mapped, unmapped);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* The failure path must have been taken at least once. */
	KUNIT_EXPECT_GT(test, budget, 0);
	dma_unmap_rlist(edu->dev, rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, edu_op_bytes(unmap), mapped);

	/*
	 * No IOVA space under the mask: -ENOMEM, nothing mapped.  The list is
	 * one page 4096 times (16 MiB of IOVA), the mask 32 KiB.  (A failed
	 * allocation makes the IOVA allocator refuse every later 32-bit one
	 * of the same size or more until an IOVA is freed, hence a size no
	 * other test asks for.  A mask smaller than the IOVA caches' rounded
	 * size would not do either: they then ignore it.)
	 */
	big = edu_rlist_new(test);
	for (i = 0; i < 4096; i++)
		KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(big, m->a, 0,
							    PAGE_SIZE,
							    GFP_KERNEL), 0);
	rlist_cpu_append_end(big);
	KUNIT_ASSERT_EQ(test, dma_set_mask(edu->dev, DMA_BIT_MASK(15)), 0);
	ret = dma_map_rlist(edu->dev, big, &rd, NULL, DMA_TO_DEVICE, 0,
			    GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, dma_set_mask(edu->dev, EDU_DMA_MASK), 0);
	if (!ret)
		dma_unmap_rlist(edu->dev, big, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
	KUNIT_EXPECT_EQ(test, edu_op_bytes(map), 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
}

#ifdef CONFIG_KRETPROBES
#define EDU_FAULT_IOVAS	64

/*
 * Fails one call of an IOMMU driver operation for one domain: a kretprobe
 * lets the call run and replaces its return value with -ENOMEM on call
 * number @fail_at of the test's task (a map_pages call has then mapped, and
 * reported in *mapped, what iommu_map() is to unroll).  The IOVA of each
 * call (the second argument) is recorded, to look the mappings up in the
 * page tables afterwards.
 */
struct edu_op_fault {
	struct kretprobe krp;
	struct iommu_domain *domain;
	struct task_struct *task;
	int calls, fail_at;
	unsigned long iovas[EDU_FAULT_IOVAS];
};

static int edu_op_fault_entry(struct kretprobe_instance *ri,
			      struct pt_regs *regs)
{
	struct edu_op_fault *f = container_of(get_kretprobe(ri),
					      struct edu_op_fault, krp);
	bool *fail = (bool *)ri->data;

	if (current != f->task ||
	    regs_get_kernel_argument(regs, 0) != (unsigned long)f->domain)
		return 1;	/* not ours: no return handler */
	if (f->calls < EDU_FAULT_IOVAS)
		f->iovas[f->calls] = regs_get_kernel_argument(regs, 1);
	*fail = f->calls++ == f->fail_at;
	return 0;
}

static int edu_op_fault_ret(struct kretprobe_instance *ri,
			    struct pt_regs *regs)
{
	if (*(bool *)ri->data)
		regs_set_return_value(regs, (unsigned long)-ENOMEM);
	return 0;
}

static void edu_op_fault_stop(void *data)
{
	unregister_kretprobe(data);
}

static struct edu_op_fault *edu_op_fault(struct kunit *test,
					 struct iommu_domain *domain, void *op)
{
	struct edu_op_fault *f;

	KUNIT_ASSERT_NOT_NULL(test, op);
	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->domain = domain;
	f->task = current;
	f->fail_at = -1;
	f->krp.kp.addr = op;
	f->krp.entry_handler = edu_op_fault_entry;
	f->krp.handler = edu_op_fault_ret;
	f->krp.data_size = sizeof(bool);
	KUNIT_ASSERT_EQ(test, register_kretprobe(&f->krp), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							edu_op_fault_stop,
							&f->krp), 0);
	return f;
}

/* Counts the calls of a kernel function made by the test's task. */
struct edu_call_counter {
	struct kprobe kp;
	struct task_struct *task;
	atomic_t calls;
};

static int edu_call_counter_hit(struct kprobe *kp, struct pt_regs *regs)
{
	struct edu_call_counter *c = container_of(kp, struct edu_call_counter,
						  kp);

	if (current == c->task)
		atomic_inc(&c->calls);
	return 0;
}

static struct edu_call_counter *edu_call_counter(struct kunit *test,
						 const char *symbol)
{
	struct edu_call_counter *c;

	c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->task = current;
	c->kp.symbol_name = symbol;
	c->kp.pre_handler = edu_call_counter_hit;
	KUNIT_ASSERT_EQ(test, register_kprobe(&c->kp), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							edu_op_counter_stop,
							&c->kp), 0);
	return c;
}

/*
 * Map @rc with call @k of @fault's operation failing.  Return: what
 * dma_map_rlist() returned; *@mapped and *@unmapped: bytes handed to
 * map_pages and unmap_pages; *@allocs and *@frees: IOVAs allocated and
 * freed (alloc_iova_fast(), free_iova_fast(), in strict mode).
 */
struct edu_fault_run {
	long mapped, unmapped;
	int allocs, frees;
};

static int edu_map_fault(struct kunit *test, const struct rlist_cpu *rc,
			 struct rlist_dma *rd, struct edu_op_fault *fault,
			 int k, struct edu_op_counter *map,
			 struct edu_op_counter *unmap,
			 struct edu_call_counter *alloc,
			 struct edu_call_counter *free,
			 struct edu_fault_run *run)
{
	struct edu_fixture *edu = test->priv;
	int ret;

	edu_op_bytes(map);
	edu_op_bytes(unmap);
	atomic_set(&alloc->calls, 0);
	atomic_set(&free->calls, 0);
	fault->calls = 0;
	fault->fail_at = k;
	ret = dma_map_rlist(edu->dev, rc, rd, NULL, DMA_TO_DEVICE, 0,
			    GFP_KERNEL);
	fault->fail_at = -1;
	run->mapped = edu_op_bytes(map);
	run->unmapped = edu_op_bytes(unmap);
	run->allocs = atomic_read(&alloc->calls);
	run->frees = atomic_read(&free->calls);
	return ret;
}

/*
 * dma-iommu when the IOMMU driver fails: its map_pages is made to fail at
 * call k for every k (as when a page table cannot be allocated), for a
 * page list (mapped in one pass) and a list that is not one, then its
 * iotlb_sync_map.  Every failure returns -ENOMEM with an empty DMA list,
 * unmaps exactly the bytes that were mapped (including those of the failed
 * call), leaves no translation at any IOVA that was mapped, and frees the
 * IOVA it allocated.
 */
static void edu_iommu_map_fail(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	struct iommu_domain *domain = edu_dma_domain(edu);
	struct edu_call_counter *alloc, *free;
	struct edu_op_counter *map, *unmap;
	struct edu_op_fault *fault, *sync;
	struct rlist_cpu *lists[2];
	struct edu_fault_run run;
	struct rlist_dma rd;
	struct edu_mem *m;
	int i, j, k, ret;

	if (!domain)
		kunit_skip(test, "not behind an IOMMU");
	if (domain->type == IOMMU_DOMAIN_DMA_FQ)
		kunit_skip(test, "needs a strict DMA domain (iommu.strict=1)");
	map = edu_op_counter(test, domain, domain->ops->map_pages);
	map->size_arg = 3;	/* domain, iova, paddr, pgsize, pgcount */
	unmap = edu_op_counter(test, domain, domain->ops->unmap_pages);
	unmap->size_arg = 2;	/* domain, iova, pgsize, pgcount */
	alloc = edu_call_counter(test, "alloc_iova_fast");
	free = edu_call_counter(test, "free_iova_fast");
	fault = edu_op_fault(test, domain, domain->ops->map_pages);
	sync = edu_op_fault(test, domain, domain->ops->iotlb_sync_map);

	m = edu_mem_alloc(test, false);
	/* A page list of three ranges, and the odd pieces. */
	lists[0] = edu_rlist_new(test);
	edu_rlist_append(test, lists[0], m->c, 0, 4 * PAGE_SIZE);
	edu_rlist_append(test, lists[0], m->a, 0, PAGE_SIZE);
	edu_rlist_append(test, lists[0], m->b, 0, 2 * PAGE_SIZE);
	rlist_cpu_append_end(lists[0]);
	KUNIT_ASSERT_TRUE(test, rlist_cpu_flags(lists[0]) & RLIST_CPU_PAGELIST);
	lists[1] = edu_rlist_odd(test, m, false);

	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		for (k = 0; k < EDU_FAULT_IOVAS; k++) {
			ret = edu_map_fault(test, lists[i], &rd, fault, k, map,
					    unmap, alloc, free, &run);
			if (!ret)
				break;
			kunit_info(test, "list %d, map_pages call %d failed: %d, %ld bytes mapped, %ld unmapped\n",
				   i, k, ret, run.mapped, run.unmapped);
			KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
			KUNIT_EXPECT_EQ(test, fault->calls, k + 1);
			KUNIT_EXPECT_GT(test, run.mapped, 0);
			KUNIT_EXPECT_EQ(test, run.mapped, run.unmapped);
			KUNIT_EXPECT_EQ(test, run.allocs, 1);
			KUNIT_EXPECT_EQ(test, run.frees, run.allocs);
			KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
			KUNIT_EXPECT_EQ(test, rlist_memory(&rd.__rl), 0);
			for (j = 0; j <= k; j++)
				KUNIT_EXPECT_EQ_MSG(test,
						    iommu_iova_to_phys(domain,
								       fault->iovas[j]),
						    0, "IOVA of call %d", j);
		}
		KUNIT_ASSERT_EQ(test, ret, 0);
		/* A page list maps in one call per range at least. */
		KUNIT_EXPECT_GE(test, k, 3);
		dma_unmap_rlist(edu->dev, lists[i], &rd, DMA_TO_DEVICE, 0);
		KUNIT_EXPECT_EQ(test, edu_op_bytes(unmap), run.mapped);

		/* Everything mapped, then the IOTLB sync fails. */
		ret = edu_map_fault(test, lists[i], &rd, sync, 0, map, unmap,
				    alloc, free, &run);
		if (!ret)
			dma_unmap_rlist(edu->dev, lists[i], &rd, DMA_TO_DEVICE,
					0);
		KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
		KUNIT_EXPECT_EQ(test, sync->calls, 1);
		KUNIT_EXPECT_GT(test, run.mapped, 0);
		KUNIT_EXPECT_EQ(test, run.mapped, run.unmapped);
		KUNIT_EXPECT_EQ(test, run.frees, run.allocs);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	}
}
#else
static void edu_iommu_map_fail(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_KRETPROBES to fail the IOMMU driver");
}
#endif /* CONFIG_KRETPROBES */

static void edu_untrusted_restore(void *data)
{
	to_pci_dev(data)->untrusted = 0;
}

/*
 * An untrusted device behind the IOMMU must not see the rest of a page it
 * was not given: dma_map_rlist() bounces every range that does not fill
 * its IOVA granules through swiotlb, as iommu_dma_map_sg() does, and maps
 * the others in place.  Proven in the IOMMU's page tables and by moving
 * the bytes through edu both ways (bounced data copied back on sync and
 * unmap).
 */
static void edu_iommu_untrusted(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	struct iommu_domain *domain = edu_dma_domain(edu);
	unsigned int n, bounced = 0, direct = 0;
	struct edu_piece *pieces;
	struct rlist_cpu_iter it;
	struct rlist_cpu *rc;
	struct rlist_dma rd;
	struct edu_mem *m;

	if (!domain)
		kunit_skip(test, "not behind an IOMMU");
	KUNIT_ASSERT_TRUE_MSG(test, is_swiotlb_active(edu->dev),
			      "no swiotlb to bounce through (the guest needs more than 4 GiB)");
	edu->pdev->untrusted = 1;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test,
							edu_untrusted_restore,
							edu->pdev), 0);

	m = edu_mem_alloc(test, true);
	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pieces);
	rc = edu_rlist_odd(test, m, false);

	KUNIT_ASSERT_EQ(test, dma_map_rlist(edu->dev, rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	n = edu_rlist_pieces(test, &rd, pieces);
	edu_log_pieces(test, "untrusted", pieces, n);
	rlist_cpu_for_each_range(rc, &it) {
		dma_addr_t dma = edu_piece_addr(test, pieces, n, it.pos);
		phys_addr_t phys = iommu_iova_to_phys(domain, dma);
		bool partial = (it.phys | it.len) & (edu_granule(domain) - 1);

		KUNIT_EXPECT_EQ_MSG(test, !!swiotlb_find_pool(edu->dev, phys),
				    partial,
				    "range at %llu (%pa, %llu bytes) -> %pa",
				    it.pos, &it.phys, it.len, &phys);
		if (partial) {
			bounced++;
		} else {
			KUNIT_EXPECT_EQ(test, phys, it.phys);
			direct++;
		}
	}
	dma_unmap_rlist(edu->dev, rc, &rd, DMA_TO_DEVICE, 0);
	kunit_info(test, "untrusted: %u range(s) bounced, %u mapped in place\n",
		   bounced, direct);
	KUNIT_EXPECT_GT(test, bounced, 0);
	KUNIT_EXPECT_GT(test, direct, 0);

	edu_rlist_roundtrip(test, rc, NULL, pieces);
}

/* What the DMA trace events reported for the fixture's device. */
struct edu_trace_event {
	phys_addr_t phys;
	dma_addr_t dma;
	size_t len;
	enum dma_data_direction dir;
};

struct edu_trace {
	struct device *dev;
	unsigned int n;
	unsigned int lost;
	struct edu_trace_event ev[EDU_MAX_PIECES];
};

static void edu_trace_add(struct edu_trace *t, struct device *dev,
			  phys_addr_t phys, dma_addr_t dma, size_t len,
			  enum dma_data_direction dir)
{
	if (dev != t->dev)
		return;
	if (t->n == ARRAY_SIZE(t->ev)) {
		t->lost++;
		return;
	}
	t->ev[t->n++] = (struct edu_trace_event){ phys, dma, len, dir };
}

static void edu_trace_map(void *data, struct device *dev, phys_addr_t phys,
			  dma_addr_t dma, size_t size,
			  enum dma_data_direction dir, unsigned long attrs)
{
	edu_trace_add(data, dev, phys, dma, size, dir);
}

static void edu_trace_unmap(void *data, struct device *dev, dma_addr_t dma,
			    size_t size, enum dma_data_direction dir,
			    unsigned long attrs)
{
	edu_trace_add(data, dev, 0, dma, size, dir);
}

static void edu_trace_sync(void *data, struct device *dev, dma_addr_t dma,
			   size_t size, enum dma_data_direction dir)
{
	edu_trace_add(data, dev, 0, dma, size, dir);
}

struct edu_tracing {
	struct edu_trace map, unmap, sync;
};

static void edu_trace_stop(void *data)
{
	struct edu_tracing *t = data;

	unregister_trace_dma_map_page(edu_trace_map, &t->map);
	unregister_trace_dma_unmap_page(edu_trace_unmap, &t->unmap);
	unregister_trace_dma_sync_single_for_cpu(edu_trace_sync, &t->sync);
	tracepoint_synchronize_unregister();
}

/*
 * The events of @t are one per CPU range of @rc, in order, with the range's
 * length, @dir, the DMA address of its list position in @pieces, and (for
 * map events) its physical address.
 */
static void edu_expect_trace(struct kunit *test, const char *what,
			     const struct edu_trace *t,
			     const struct rlist_cpu *rc,
			     const struct edu_piece *pieces, unsigned int n,
			     enum dma_data_direction dir, bool phys)
{
	struct rlist_cpu_iter it;
	unsigned int i = 0;

	KUNIT_EXPECT_EQ(test, t->lost, 0);
	rlist_cpu_for_each_range(rc, &it) {
		const struct edu_trace_event *e = &t->ev[i];

		if (i == t->n) {
			KUNIT_FAIL(test, "%s: no event for the range at %llu",
				   what, it.pos);
			return;
		}
		KUNIT_EXPECT_EQ_MSG(test, e->dma,
				    edu_piece_addr(test, pieces, n, it.pos),
				    "%s: event %u", what, i);
		KUNIT_EXPECT_EQ_MSG(test, e->len, it.len, "%s: event %u", what,
				    i);
		KUNIT_EXPECT_EQ_MSG(test, e->dir, dir, "%s: event %u", what, i);
		if (phys)
			KUNIT_EXPECT_EQ_MSG(test, e->phys, it.phys,
					    "%s: event %u", what, i);
		i++;
	}
	KUNIT_EXPECT_EQ_MSG(test, t->n, i, "%s: events", what);
}

/*
 * The dma_map_page, dma_sync_single_for_cpu and dma_unmap_page trace events
 * report every range of a mapped list, with the addresses dma_map_rlist()
 * returned, whatever the path (identity view without an IOMMU, one IOVA
 * behind it, pieces with swiotlb=force): as many events, in the same order,
 * as if each range had been mapped with dma_map_page().
 */
static void edu_dma_trace(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	struct edu_piece *pieces;
	struct edu_tracing *t;
	struct rlist_cpu *rc;
	struct rlist_dma rd;
	struct edu_mem *m;
	unsigned int n;

	if (!IS_ENABLED(CONFIG_TRACEPOINTS))
		kunit_skip(test, "needs CONFIG_TRACEPOINTS");
	m = edu_mem_alloc(test, true);
	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, pieces && t);
	rc = edu_rlist_odd(test, m, true);

	t->map.dev = edu->dev;
	t->unmap.dev = edu->dev;
	t->sync.dev = edu->dev;
	KUNIT_ASSERT_EQ(test, register_trace_dma_map_page(edu_trace_map,
							  &t->map), 0);
	KUNIT_ASSERT_EQ(test, register_trace_dma_unmap_page(edu_trace_unmap,
							    &t->unmap), 0);
	KUNIT_ASSERT_EQ(test,
			register_trace_dma_sync_single_for_cpu(edu_trace_sync,
							       &t->sync), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_trace_stop,
							t), 0);

	KUNIT_ASSERT_EQ(test, dma_map_rlist(edu->dev, rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	n = edu_rlist_pieces(test, &rd, pieces);
	kunit_info(test, "%u DMA range(s)%s, %u map event(s)\n", n,
		   rlist_dma_is_identity(&rd) ? " (identity view)" : "",
		   t->map.n);
	dma_sync_rlist_for_cpu(edu->dev, rc, &rd, DMA_BIDIRECTIONAL);
	dma_unmap_rlist(edu->dev, rc, &rd, DMA_BIDIRECTIONAL, 0);
	edu_expect_trace(test, "map", &t->map, rc, pieces, n,
			 DMA_BIDIRECTIONAL, true);
	edu_expect_trace(test, "sync", &t->sync, rc, pieces, n,
			 DMA_BIDIRECTIONAL, false);
	edu_expect_trace(test, "unmap", &t->unmap, rc, pieces, n,
			 DMA_BIDIRECTIONAL, false);
}

#ifdef CONFIG_ARCH_HAS_DMA_OPS
/*
 * dma_map_ops that map through dma-direct, counting: the fallback path of
 * dma_map_rlist() with a device that really does DMA.
 */
static atomic_t edu_ops_maps, edu_ops_unmaps, edu_ops_syncs;
/* The fixture's check page is synced through the ops too: not counted. */
static dma_addr_t edu_ops_check_dma;

static dma_addr_t edu_ops_map_page(struct device *dev, struct page *page,
				   unsigned long offset, size_t size,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	atomic_inc(&edu_ops_maps);
	return dma_direct_map_page(dev, page, offset, size, dir, attrs);
}

static void edu_ops_unmap_page(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	atomic_inc(&edu_ops_unmaps);
	dma_direct_unmap_page(dev, addr, size, dir, attrs);
}

static void edu_ops_sync_for_cpu(struct device *dev, dma_addr_t addr,
				 size_t size, enum dma_data_direction dir)
{
	if (addr != edu_ops_check_dma)
		atomic_inc(&edu_ops_syncs);
	dma_direct_sync_single_for_cpu(dev, addr, size, dir);
}

static void edu_ops_sync_for_device(struct device *dev, dma_addr_t addr,
				    size_t size, enum dma_data_direction dir)
{
	if (addr != edu_ops_check_dma)
		atomic_inc(&edu_ops_syncs);
	dma_direct_sync_single_for_device(dev, addr, size, dir);
}

static const struct dma_map_ops edu_ops = {
	.map_page = edu_ops_map_page,
	.unmap_page = edu_ops_unmap_page,
	.sync_single_for_cpu = edu_ops_sync_for_cpu,
	.sync_single_for_device = edu_ops_sync_for_device,
};

static void edu_ops_restore(void *data)
{
	set_dma_ops(data, NULL);
}

/*
 * The generic fallback for devices with dma_map_ops: edu gets ops that map
 * through dma-direct (bouncing with swiotlb=force) and moves the bytes of
 * a list of odd offsets both ways.  Every range goes through the ops once
 * per map, unmap and sync, and no mapping is an identity view.  When the
 * DMA list cannot be stored, what the ops mapped is unmapped again.
 */
static void edu_ops_fallback(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;
	struct edu_piece *pieces;
	struct rlist_cpu_iter it;
	struct rlist_cpu *rc;
	struct rlist_dma rd;
	unsigned int nr = 0;
	struct edu_mem *m;
	long budget;
	int ret;

	if (edu_dma_domain(edu))
		kunit_skip(test, "behind an IOMMU: dma-iommu comes before ops");
	KUNIT_ASSERT_NULL(test, get_dma_ops(edu->dev));
	edu_ops_check_dma = edu->check_dma;
	set_dma_ops(edu->dev, &edu_ops);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, edu_ops_restore,
							edu->dev), 0);

	m = edu_mem_alloc(test, true);
	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pieces);
	rc = edu_rlist_odd(test, m, false);
	rlist_cpu_for_each_range(rc, &it)
		nr++;

	atomic_set(&edu_ops_maps, 0);
	atomic_set(&edu_ops_unmaps, 0);
	atomic_set(&edu_ops_syncs, 0);
	edu_rlist_roundtrip(test, rc, NULL, pieces);
	/* Two mappings, one sync for the CPU. */
	KUNIT_EXPECT_EQ(test, atomic_read(&edu_ops_maps), 2 * nr);
	KUNIT_EXPECT_EQ(test, atomic_read(&edu_ops_unmaps), 2 * nr);
	KUNIT_EXPECT_EQ(test, atomic_read(&edu_ops_syncs), nr);

	/*
	 * The DMA list cannot be stored: the allocations of the rlist storage
	 * fail one after the other.  -ENOMEM, an empty DMA list, and every
	 * range the ops mapped is unmapped again.
	 */
	for (budget = 0; budget < 16; budget++) {
		atomic_set(&edu_ops_maps, 0);
		atomic_set(&edu_ops_unmaps, 0);
		edu_alloc_budget = budget;
		kunit_activate_static_stub(test, rlist_mem_alloc,
					   edu_alloc_fail);
		ret = dma_map_rlist(edu->dev, rc, &rd, NULL, DMA_TO_DEVICE, 0,
				    GFP_KERNEL);
		kunit_deactivate_static_stub(test, rlist_mem_alloc);
		if (!ret)
			break;
		KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
		KUNIT_EXPECT_GT(test, atomic_read(&edu_ops_maps), 0);
		KUNIT_EXPECT_EQ(test, atomic_read(&edu_ops_unmaps),
				atomic_read(&edu_ops_maps));
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* The failure path must have been taken at least once. */
	KUNIT_EXPECT_GT(test, budget, 0);
	dma_unmap_rlist(edu->dev, rc, &rd, DMA_TO_DEVICE, 0);
}
#else
static void edu_ops_fallback(struct kunit *test)
{
	kunit_skip(test, "no CONFIG_ARCH_HAS_DMA_OPS");
}
#endif

/* ---- the edu fixture for the suites of rlist users (rlist_edu_kunit.h) ---- */

int rlist_edu_init(struct kunit *test)
{
	return edu_init(test);
}

void rlist_edu_exit(struct kunit *test)
{
	edu_exit(test);
}

struct device *rlist_edu_device(struct kunit *test)
{
	struct edu_fixture *edu = test->priv;

	return edu->dev;
}

void rlist_edu_fetch(struct kunit *test, dma_addr_t addr, void *buf,
		     size_t len)
{
	edu_fetch(test, addr, buf, len);
}

static struct kunit_case edu_test_cases[] = {
	KUNIT_CASE(edu_dma_map_page),
	KUNIT_CASE(edu_dma_wrong_address),
	KUNIT_CASE_SLOW(edu_dma_map_sgtable),
	KUNIT_CASE_SLOW(edu_dma_map_rlist),
	KUNIT_CASE_SLOW(edu_dma_map_rlist_pages),
	KUNIT_CASE(edu_iommu_one_iova),
	KUNIT_CASE_SLOW(edu_iommu_boundary),
	KUNIT_CASE(edu_iommu_enomem),
	KUNIT_CASE(edu_iommu_map_fail),
	KUNIT_CASE(edu_dma_trace),
	KUNIT_CASE_SLOW(edu_ops_fallback),
	KUNIT_CASE_SLOW(edu_iommu_untrusted),
	{}
};

static struct kunit_suite edu_test_suite = {
	.name = "dma_rlist_edu",
	.init = edu_init,
	.exit = edu_exit,
	.test_cases = edu_test_cases,
};

/*
 * The dma_rlist_p2p suite: P2P memory mapped for a peer and moved by edu.
 *
 * The harness (harness/kunit-qemu.sh) builds this PCI topology:
 *
 *   root bus: edu (the one dma_rlist_edu uses), ivshmem-plain ("flat")
 *   root port - switch upstream port - downstream ports:
 *	nvme with a CMB (P2PDMA memory with struct pages, published by the
 *	nvme driver), edu ("switch edu", the DMA engine here, 64-bit mask),
 *	ivshmem-plain ("switch")
 *
 * BAR 2 of each ivshmem-plain is registered as a P2P provider without
 * struct pages.  For the switch edu, the nvme CMB and the switch ivshmem are
 * reached at their PCI bus addresses through the switch; the flat ivshmem
 * is reached through the host bridge, which 6.12 allows on AMD Zen CPUs
 * only (the harness runs some setups with -cpu EPYC) and refuses otherwise.
 *
 * QEMU does not route a DMA between two devices below a switch inside the
 * switch: every DMA goes through the (emulated) IOMMU.  So behind
 * intel-iommu, bus addresses are checked but no bytes are moved through
 * them; everywhere else every byte is moved both ways and compared.
 */
#define NVME_VENDOR		0x1b36	/* QEMU's NVM Express controller */
#define NVME_DEVICE		0x0010
#define IVSHMEM_VENDOR		0x1af4
#define IVSHMEM_DEVICE		0x1110
#define IVSHMEM_BAR		2

struct p2p_bar {
	struct pci_dev *pdev;
	bool enabled;
	void __iomem *io;
	struct p2pdma_provider *prov;
};

struct p2p_fixture {
	struct edu_fixture edu;		/* first: test->priv for edu_*() */
	struct pci_dev *nvme;
	struct p2p_bar sw, flat;
};

/* A CPU range of a test list and how the CPU and edu reach it. */
struct p2p_seg {
	u64 pos;
	u64 len;
	phys_addr_t phys;
	void *kaddr;			/* memory, or the CMB's P2PDMA pages */
	void __iomem *io;		/* else: an ivshmem BAR */
	struct p2pdma_provider *prov;	/* NULL for memory */
	dma_addr_t want;		/* expected bus address, or 0 */
};

#define P2P_MAX_SEGS		48

struct p2p_view {
	struct p2p_seg seg[P2P_MAX_SEGS];
	unsigned int n;
	u64 len;
	struct rlist_cpu *rc;
};

static bool p2p_below_switch(struct pci_dev *pdev)
{
	struct pci_dev *port = pci_upstream_bridge(pdev);

	return port && pci_is_pcie(port) &&
	       pci_pcie_type(port) == PCI_EXP_TYPE_DOWNSTREAM;
}

/*
 * The device @vendor:@device below the switch or not; a reference.  Skips
 * the test unless the harness handed such devices over.
 */
static struct pci_dev *p2p_find(struct kunit *test, unsigned int vendor,
				unsigned int device, bool below_switch)
{
	struct pci_dev *pdev = NULL;

	while ((pdev = rlist_kunit_pci_get(test, vendor, device, pdev)))
		if (p2p_below_switch(pdev) == below_switch)
			return pdev;
	return NULL;
}

/*
 * The reference for this topology: through one switch (whose ports have no
 * ACS, checked) a bus address; else through the host bridge, which 6.12
 * allows for AMD family 0x17 and later and refuses for q35's host bridge
 * (8086:29c0, not in its list).  Not PCI: refused.
 */
static enum pci_p2pdma_map_type p2p_expected(struct kunit *test,
					     struct pci_dev *provider,
					     struct device *client)
{
	struct pci_dev *a = provider, *b;

	if (!dev_is_pci(client))
		return PCI_P2PDMA_MAP_NOT_SUPPORTED;
	b = to_pci_dev(client);
	if (p2p_below_switch(a) && p2p_below_switch(b) &&
	    pci_upstream_bridge(pci_upstream_bridge(a)) ==
	    pci_upstream_bridge(pci_upstream_bridge(b))) {
		KUNIT_EXPECT_EQ(test, pci_upstream_bridge(a)->acs_cap, 0);
		KUNIT_EXPECT_EQ(test, pci_upstream_bridge(b)->acs_cap, 0);
		return PCI_P2PDMA_MAP_BUS_ADDR;
	}
#ifdef CONFIG_X86
	if (boot_cpu_data.x86_vendor == X86_VENDOR_AMD &&
	    boot_cpu_data.x86 >= 0x17)
		return PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
#endif
	return PCI_P2PDMA_MAP_NOT_SUPPORTED;
}

static const char *p2p_map_name(enum pci_p2pdma_map_type map)
{
	switch (map) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return "bus address";
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return "host bridge";
	case PCI_P2PDMA_MAP_NOT_SUPPORTED:
		return "not supported";
	default:
		return "unknown";
	}
}

static void p2p_bar_open(struct kunit *test, struct p2p_bar *b,
			 bool below_switch)
{
	b->pdev = p2p_find(test, IVSHMEM_VENDOR, IVSHMEM_DEVICE, below_switch);
	if (!b->pdev)
		kunit_skip(test, "no ivshmem-plain %s the switch",
			   below_switch ? "below" : "beside");
	KUNIT_ASSERT_EQ(test, pci_enable_device_mem(b->pdev), 0);
	b->enabled = true;
	b->io = pci_iomap(b->pdev, IVSHMEM_BAR, 0);
	KUNIT_ASSERT_TRUE_MSG(test, b->io, "pci_iomap() of BAR %d failed",
			      IVSHMEM_BAR);
	b->prov = pci_p2pdma_register_bar(b->pdev, IVSHMEM_BAR, 0, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(b->prov), "register: %ld",
			       PTR_ERR(b->prov));
	KUNIT_EXPECT_NE(test, b->prov->id, 0);
	KUNIT_EXPECT_EQ(test, b->prov->start,
			pci_resource_start(b->pdev, IVSHMEM_BAR));
	KUNIT_EXPECT_EQ(test, b->prov->size,
			pci_resource_len(b->pdev, IVSHMEM_BAR));
}

static void p2p_bar_close(struct p2p_bar *b)
{
	if (!IS_ERR_OR_NULL(b->prov))
		pci_p2pdma_unregister_bar(b->prov);
	if (b->io)
		pci_iounmap(b->pdev, b->io);
	if (b->enabled)
		pci_disable_device(b->pdev);
	pci_dev_put(b->pdev);
}

/* Set up @edu for the edu below the switch, with a 64-bit DMA mask. */
static void p2p_edu_open(struct kunit *test, struct edu_fixture *edu)
{
	struct pci_dev *pdev;

	if (!IS_ENABLED(CONFIG_PCI_P2PDMA))
		kunit_skip(test, "needs CONFIG_PCI_P2PDMA");
	/* The nvme driver probes asynchronously. */
	wait_for_device_probe();
	pdev = p2p_find(test, EDU_VENDOR, EDU_DEVICE, true);
	if (!pdev)
		kunit_skip(test, "no edu device below a PCIe switch");
	edu_open(test, edu, pdev, DMA_BIT_MASK(64));
}

static int p2p_init(struct kunit *test)
{
	struct p2p_fixture *p;

	p = kunit_kzalloc(test, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	test->priv = p;
	p2p_edu_open(test, &p->edu);
	p->nvme = rlist_kunit_pci_get(test, NVME_VENDOR, NVME_DEVICE, NULL);
	if (!p->nvme || !pci_has_p2pmem(p->nvme))
		kunit_skip(test, "no nvme with a CMB (cmb_size_mb=)");
	p2p_bar_open(test, &p->sw, true);
	p2p_bar_open(test, &p->flat, false);
	return 0;
}

static void p2p_exit(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;

	if (!p)
		return;
	p2p_bar_close(&p->flat);
	p2p_bar_close(&p->sw);
	pci_dev_put(p->nvme);
	edu_exit(test);
}

static void p2p_view_io(struct kunit *test, struct p2p_view *v, u64 pos,
			void *buf, size_t len, bool write)
{
	unsigned int i;

	for (i = 0; i < v->n && len; i++) {
		struct p2p_seg *s = &v->seg[i];
		u64 off, c;

		if (pos < s->pos || pos - s->pos >= s->len)
			continue;
		off = pos - s->pos;
		c = min_t(u64, len, s->len - off);
		if (s->io && write)
			memcpy_toio(s->io + off, buf, c);
		else if (s->io)
			memcpy_fromio(buf, s->io + off, c);
		else if (write)
			memcpy(s->kaddr + off, buf, c);
		else
			memcpy(buf, s->kaddr + off, c);
		pos += c;
		buf += c;
		len -= c;
	}
	KUNIT_ASSERT_EQ(test, len, 0);
}

static void p2p_view_read(struct kunit *test, void *ctx, u64 pos, void *buf,
			  size_t len)
{
	p2p_view_io(test, ctx, pos, buf, len, false);
}

static const struct edu_cpu_ops p2p_view_ops = {
	.read = p2p_view_read,
};

static struct p2p_view *p2p_view_new(struct kunit *test)
{
	struct p2p_view *v = kunit_kzalloc(test, sizeof(*v), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, v);
	v->rc = edu_rlist_new(test);
	return v;
}

static struct p2p_seg *p2p_view_add(struct kunit *test, struct p2p_view *v,
				    u64 len)
{
	struct p2p_seg *s;

	KUNIT_ASSERT_LT(test, v->n, P2P_MAX_SEGS);
	s = &v->seg[v->n++];
	s->pos = v->len;
	s->len = len;
	v->len += len;
	return s;
}

/* Memory: @len bytes at @off in @page (within the page). */
static void p2p_add_mem(struct kunit *test, struct p2p_view *v,
			struct page *page, unsigned int off, unsigned int len)
{
	struct p2p_seg *s = p2p_view_add(test, v, len);

	s->kaddr = page_address(page) + off;
	s->phys = page_to_phys(page) + off;
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(v->rc, page, off, len,
						    GFP_KERNEL), 0);
}

/*
 * A range of an ivshmem BAR (@off from the BAR's start), tagged with the id
 * of @b's provider: no struct page.
 */
static void p2p_add_bar(struct kunit *test, struct p2p_view *v,
			struct p2p_bar *b, u64 off, u64 len)
{
	struct p2p_seg *s = p2p_view_add(test, v, len);

	s->io = b->io + off;
	s->phys = pci_resource_start(b->pdev, IVSHMEM_BAR) + off;
	s->prov = b->prov;
	s->want = pci_bus_address(b->pdev, IVSHMEM_BAR) + off;
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(v->rc, s->phys, len,
						    b->prov->id, GFP_KERNEL),
			0);
}

/* @len bytes at @off of @kaddr, P2PDMA memory of the nvme CMB. */
static void p2p_add_cmb(struct kunit *test, struct p2p_view *v,
			struct p2p_fixture *p, void *kaddr, unsigned int off,
			unsigned int len)
{
	struct p2p_seg *s = p2p_view_add(test, v, len);
	struct page *page = virt_to_page(kaddr);

	KUNIT_ASSERT_TRUE(test, is_pci_p2pdma_page(page));
	s->kaddr = kaddr + off;
	s->phys = page_to_phys(page) + off;
	s->prov = pci_p2pdma_page_provider(page);
	s->want = pci_p2pmem_virt_to_bus(p->nvme, kaddr) + off;
	edu_rlist_append(test, v->rc, page, off, len);
}

/*
 * The same CMB memory as a page-less range: tagged with the id of the
 * provider of its pgmap.
 */
static void p2p_add_cmb_phys(struct kunit *test, struct p2p_view *v,
			     struct p2p_fixture *p, void *kaddr,
			     unsigned int off, unsigned int len)
{
	struct p2p_seg *s = p2p_view_add(test, v, len);
	struct page *page = virt_to_page(kaddr);

	s->kaddr = kaddr + off;
	s->phys = page_to_phys(page) + off;
	s->prov = pci_p2pdma_page_provider(page);
	s->want = pci_p2pmem_virt_to_bus(p->nvme, kaddr) + off;
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(v->rc, s->phys, len,
						    s->prov->id, GFP_KERNEL),
			0);
}

struct p2p_cmb {
	struct pci_dev *nvme;
	void *kaddr;
	size_t size;
};

static void p2p_cmb_release(void *data)
{
	struct p2p_cmb *c = data;

	pci_free_p2pmem(c->nvme, c->kaddr, c->size);
}

static void *p2p_cmb_alloc(struct kunit *test, struct p2p_fixture *p,
			   size_t size)
{
	struct p2p_cmb *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->nvme = p->nvme;
	c->size = size;
	c->kaddr = pci_alloc_p2pmem(p->nvme, size);
	KUNIT_ASSERT_NOT_NULL(test, c->kaddr);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p2p_cmb_release,
							c), 0);
	return c->kaddr;
}

static void p2p_page_free(void *page)
{
	__free_page(page);
}

static struct page *p2p_page(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p2p_page_free,
							page), 0);
	return page;
}

/* A device that is not PCI, with a DMA mask: no P2P for it. */
static struct device *p2p_other_dev(struct kunit *test)
{
	struct device *dev = kunit_device_register(test, "rlist-p2p");

	KUNIT_ASSERT_FALSE(test, IS_ERR(dev));
	dev->dma_mask = &dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)),
			0);
	return dev;
}

/* How the switch edu reaches the memory of @s. */
static enum pci_p2pdma_map_type p2p_seg_map(struct kunit *test,
					    struct p2p_seg *s)
{
	struct p2p_fixture *p = test->priv;

	if (!s->prov)
		return PCI_P2PDMA_MAP_UNKNOWN;
	return p2p_expected(test, s->prov->owner, p->edu.dev);
}

/*
 * Check the DMA address of every segment of @v in the mapping @rd and put
 * the segments edu can move bytes through in @pieces.
 */
static unsigned int p2p_check_addrs(struct kunit *test, struct p2p_view *v,
				    const struct rlist_dma *rd,
				    struct edu_piece *pieces)
{
	struct p2p_fixture *p = test->priv;
	struct iommu_domain *domain = edu_dma_domain(&p->edu);
	struct edu_piece *all;
	unsigned int i, n, k = 0;

	all = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*all), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, all);
	n = edu_rlist_pieces(test, rd, all);
	edu_log_pieces(test, "p2p", all, n);
	edu_expect_cover(test, all, n, v->len);
	for (i = 0; i < v->n; i++) {
		struct p2p_seg *s = &v->seg[i];
		enum pci_p2pdma_map_type map = p2p_seg_map(test, s);
		dma_addr_t a = edu_piece_addr(test, all, n, s->pos);
		dma_addr_t z = edu_piece_addr(test, all, n,
					      s->pos + s->len - 1);

		/* Each segment is one DMA range. */
		KUNIT_EXPECT_EQ_MSG(test, z - a, s->len - 1, "segment %u", i);
		if (map == PCI_P2PDMA_MAP_BUS_ADDR) {
			KUNIT_EXPECT_EQ_MSG(test, a, s->want,
					    "segment %u: not its bus address", i);
			/* No IOVA: the bus address is not translated. */
			if (domain)
				KUNIT_EXPECT_EQ(test,
						iommu_iova_to_phys(domain, a),
						0);
			else
				pieces[k++] = (struct edu_piece){ a, s->len,
								  s->pos };
			continue;
		}
		if (domain)
			KUNIT_EXPECT_EQ_MSG(test, iommu_iova_to_phys(domain, a),
					    s->phys, "segment %u", i);
		else if (s->prov || !is_swiotlb_force_bounce(p->edu.dev))
			/* dma-direct: physical addresses, P2P never bounced */
			KUNIT_EXPECT_EQ_MSG(test, a, s->phys, "segment %u", i);
		pieces[k++] = (struct edu_piece){ a, s->len, s->pos };
	}
	return k;
}

/*
 * Map @v for the switch edu both ways, check its addresses and move the
 * bytes of every segment edu can reach, comparing them with what the CPU
 * sees (through the BAR mappings for the ivshmem ranges).
 */
static void p2p_roundtrip(struct kunit *test, struct p2p_view *v)
{
	struct p2p_fixture *p = test->priv;
	struct edu_fixture *edu = &p->edu;
	struct edu_piece *pieces;
	struct rlist_dma rd;
	unsigned int n, i;
	u8 *want, *got;

	rlist_cpu_append_end(v->rc);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(v->rc) & RLIST_CPU_MAY_P2P);
	pieces = kunit_kcalloc(test, EDU_MAX_PIECES, sizeof(*pieces),
			       GFP_KERNEL);
	want = kunit_kmalloc(test, v->len, GFP_KERNEL);
	got = kunit_kmalloc(test, v->len, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, pieces && want && got);

	edu_pattern(want, v->len, 0, edu_next_seed(edu));
	p2p_view_io(test, v, 0, want, v->len, true);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(edu->dev, v->rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);
	n = p2p_check_addrs(test, v, &rd, pieces);
	edu_check_to_device(test, pieces, n, &p2p_view_ops, v);
	dma_unmap_rlist(edu->dev, v->rc, &rd, DMA_TO_DEVICE, 0);

	/* Bytes edu cannot reach keep their old value. */
	memcpy(got, want, v->len);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(edu->dev, v->rc, &rd, NULL,
					    DMA_FROM_DEVICE, 0, GFP_KERNEL), 0);
	n = p2p_check_addrs(test, v, &rd, pieces);
	edu_fill_from_device(test, pieces, n, want);
	dma_sync_rlist_for_cpu(edu->dev, v->rc, &rd, DMA_FROM_DEVICE);
	dma_unmap_rlist(edu->dev, v->rc, &rd, DMA_FROM_DEVICE, 0);
	p2p_view_io(test, v, 0, got, v->len, false);
	for (i = 0; i < v->n; i++)
		KUNIT_EXPECT_MEMEQ_MSG(test, got + v->seg[i].pos,
				       want + v->seg[i].pos, v->seg[i].len,
				       "from device: segment %u", i);
	kunit_info(test, "%u segments, %u moved by edu\n", v->n, n);
}

/* The map type of every (provider, client) pair against the reference. */
static void p2p_map_types(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct pci_dev *flat_edu = p2p_find(test, EDU_VENDOR, EDU_DEVICE, false);
	void *cmb = p2p_cmb_alloc(test, p, PAGE_SIZE);
	struct p2pdma_provider *provs[] = {
		pci_p2pdma_page_provider(virt_to_page(cmb)),
		p->sw.prov, p->flat.prov,
	};
	struct device *clients[] = {
		p->edu.dev, &flat_edu->dev, p2p_other_dev(test),
	};
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, flat_edu);
	KUNIT_EXPECT_PTR_EQ(test, provs[0]->owner, p->nvme);
	KUNIT_EXPECT_EQ(test, provs[0]->bus_offset,
			pci_p2pmem_virt_to_bus(p->nvme, cmb) -
			page_to_phys(virt_to_page(cmb)));
	for (i = 0; i < ARRAY_SIZE(provs); i++) {
		for (j = 0; j < ARRAY_SIZE(clients); j++) {
			enum pci_p2pdma_map_type want, got;
			int dist = -1;

			want = p2p_expected(test, provs[i]->owner, clients[j]);
			got = p2pdma_provider_map_type(provs[i], clients[j]);
			if (dev_is_pci(clients[j]))
				dist = pci_p2pdma_distance(provs[i]->owner,
							   clients[j], false);
			kunit_info(test, "%s -> %s: %s (distance %d)\n",
				   pci_name(provs[i]->owner),
				   dev_name(clients[j]), p2p_map_name(got),
				   dist);
			KUNIT_EXPECT_EQ_MSG(test, got, want, "%s -> %s",
					    pci_name(provs[i]->owner),
					    dev_name(clients[j]));
			/* 6.12's own answer for the same pair agrees. */
			KUNIT_EXPECT_EQ(test, dist >= 0,
					want != PCI_P2PDMA_MAP_NOT_SUPPORTED);
			/* Cached: the same answer again. */
			got = p2pdma_provider_map_type(provs[i], clients[j]);
			KUNIT_EXPECT_EQ(test, got, want);
		}
	}
	pci_dev_put(flat_edu);
}

/*
 * Memory, page-less ranges of the switch ivshmem, P2PDMA pages of the CMB
 * and a CMB range by its pgmap provider's id in one list, mapped for the
 * switch edu: the P2P ranges at their bus addresses (no IOVA), the memory
 * as usual, and the bytes move.
 */
static void p2p_switch(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct p2p_view *v = p2p_view_new(test);
	void *cmb = p2p_cmb_alloc(test, p, 3 * PAGE_SIZE);
	struct page *a = p2p_page(test), *b = p2p_page(test);

	p2p_add_mem(test, v, a, 100, 1000);
	p2p_add_bar(test, v, &p->sw, 64, 5000);
	p2p_add_cmb(test, v, p, cmb, 200, PAGE_SIZE + 300);
	p2p_add_mem(test, v, b, 0, PAGE_SIZE);
	p2p_add_bar(test, v, &p->sw, 3 * PAGE_SIZE, 777);
	p2p_add_cmb_phys(test, v, p, cmb + 2 * PAGE_SIZE, 16, 2000);
	p2p_roundtrip(test, v);
}

/*
 * Through the host bridge: the flat ivshmem for the switch edu, and the
 * CMB for the flat edu.  Mapped like MMIO (dma-direct: the physical
 * address; an IOMMU translates its IOVA to it) where the host bridge
 * allows it; -EREMOTEIO where it does not, with nothing left mapped.
 */
static void p2p_host_bridge(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct p2p_view *v = p2p_view_new(test);
	struct page *a = p2p_page(test);
	struct rlist_dma rd;
	int ret;

	p2p_add_mem(test, v, a, 0, 2000);
	p2p_add_bar(test, v, &p->flat, 4000, 3000);
	p2p_add_mem(test, v, a, 2100, 1000);
	if (p2p_seg_map(test, &v->seg[1]) != PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		p2p_roundtrip(test, v);
		return;
	}
	rlist_cpu_append_end(v->rc);
	ret = dma_map_rlist(p->edu.dev, v->rc, &rd, NULL, DMA_TO_DEVICE, 0,
			    GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	kunit_info(test, "host bridge refused: %d\n", ret);
}

struct p2p_unregister {
	struct p2pdma_provider *prov;
	struct completion done;
};

static int p2p_unregister_fn(void *data)
{
	struct p2p_unregister *u = data;

	pci_p2pdma_unregister_bar(u->prov);
	complete(&u->done);
	return 0;
}

/* Unregister @prov in a thread; false if it had not finished in @ms. */
static bool p2p_unregister(struct kunit *test, struct p2p_unregister *u,
			   struct p2pdma_provider *prov, unsigned int ms)
{
	struct task_struct *t;

	u->prov = prov;
	init_completion(&u->done);
	t = kthread_run(p2p_unregister_fn, u, "p2p-unregister");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	return wait_for_completion_timeout(&u->done, msecs_to_jiffies(ms));
}

/*
 * Revocation: unregistering a provider that is mapped waits until the
 * mapping is gone; meanwhile and afterwards its ranges cannot be mapped.
 */
static void p2p_revoke(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct p2p_view *v = p2p_view_new(test);
	struct p2p_bar tmp = p->sw;
	struct p2p_unregister u;
	struct rlist_dma rd, rd2;
	u32 id;

	tmp.prov = pci_p2pdma_register_bar(tmp.pdev, IVSHMEM_BAR, PAGE_SIZE,
					   2 * PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(tmp.prov));
	id = tmp.prov->id;
	KUNIT_EXPECT_NE(test, id, p->sw.prov->id);
	KUNIT_EXPECT_EQ(test, tmp.prov->start, p->sw.prov->start + PAGE_SIZE);
	p2p_add_bar(test, v, &tmp, PAGE_SIZE, 100);
	rlist_cpu_append_end(v->rc);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(p->edu.dev, v->rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL), 0);

	KUNIT_EXPECT_FALSE_MSG(test, p2p_unregister(test, &u, tmp.prov, 300),
			       "unregistered while a mapping holds it");
	KUNIT_EXPECT_NULL(test, p2pdma_provider_get(id));
	KUNIT_EXPECT_EQ(test, dma_map_rlist(p->edu.dev, v->rc, &rd2, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd2), 0);

	dma_unmap_rlist(p->edu.dev, v->rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_TRUE_MSG(test,
			      wait_for_completion_timeout(&u.done, 5 * HZ),
			      "unregister still waits after the unmap");
	KUNIT_EXPECT_NULL(test, p2pdma_provider_get(id));
	KUNIT_EXPECT_EQ(test, dma_map_rlist(p->edu.dev, v->rc, &rd2, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-ENODEV);
}

/*
 * Register, unregister, register again: the second provider does not get
 * the id of the first, so that a list still tagged with the old id maps
 * nothing (-ENODEV) instead of reaching the new provider.
 */
static void p2p_register_again(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct p2p_view *v = p2p_view_new(test);
	struct p2pdma_provider *old;
	struct p2p_bar tmp = p->sw;
	struct rlist_dma rd;
	int ret;
	u32 id;

	tmp.prov = pci_p2pdma_register_bar(tmp.pdev, IVSHMEM_BAR, PAGE_SIZE,
					   2 * PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(tmp.prov));
	id = tmp.prov->id;
	p2p_add_bar(test, v, &tmp, PAGE_SIZE, 100);
	rlist_cpu_append_end(v->rc);
	pci_p2pdma_unregister_bar(tmp.prov);

	/* The same BAR range again: the next id, not the one just freed. */
	tmp.prov = pci_p2pdma_register_bar(tmp.pdev, IVSHMEM_BAR, PAGE_SIZE,
					   2 * PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(tmp.prov));
	KUNIT_EXPECT_EQ(test, tmp.prov->id, id + 1);
	/* Whatever went wrong, hold nothing that unregistering waits for. */
	old = p2pdma_provider_get(id);
	KUNIT_EXPECT_NULL(test, old);
	if (old)
		p2pdma_provider_put(old);
	ret = dma_map_rlist(p->edu.dev, v->rc, &rd, NULL, DMA_TO_DEVICE, 0,
			    GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, ret, -ENODEV);
	if (!ret)
		dma_unmap_rlist(p->edu.dev, v->rc, &rd, DMA_TO_DEVICE, 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	pci_p2pdma_unregister_bar(tmp.prov);
}

/* Turn every route cached for @prov into "not supported"; how many. */
static unsigned int p2p_poison_routes(struct p2pdma_provider *prov)
{
	unsigned int n = 0;
	unsigned long idx;
	void *entry;

	xa_for_each(&prov->map_types, idx, entry) {
		xa_store(&prov->map_types, idx,
			 xa_mk_value(PCI_P2PDMA_MAP_NOT_SUPPORTED), GFP_KERNEL);
		n++;
	}
	return n;
}

/* Empty the route cache of a provider: computed again when next asked. */
static void p2p_forget_routes(struct p2pdma_provider *prov)
{
	unsigned long idx;
	void *entry;

	xa_for_each(&prov->map_types, idx, entry)
		xa_erase(&prov->map_types, idx);
}

/*
 * Unmap and sync take the route of each P2P piece from the mapping, not
 * from the providers: with the routes the switch ivshmem and the CMB cached
 * for the switch edu turned to "not supported" between map and unmap, the
 * list still syncs and unmaps completely, without a warning, and the memory
 * after its P2P ranges loses its IOVA.
 */
static void p2p_route_recorded(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct p2p_view *v = p2p_view_new(test);
	void *cmb = p2p_cmb_alloc(test, p, PAGE_SIZE);
	struct p2pdma_provider *provs[] = {
		p->sw.prov, pci_p2pdma_page_provider(virt_to_page(cmb)),
	};
	struct iommu_domain *domain = edu_dma_domain(&p->edu);
	struct page *a = p2p_page(test);
	struct rlist_dma_iter it;
	dma_addr_t mem = 0;
	struct rlist_dma rd;
	unsigned int i;

	/* The memory comes last: an unmap that gives up keeps its IOVA. */
	p2p_add_bar(test, v, &p->sw, 0, 3000);
	p2p_add_cmb(test, v, p, cmb, 0, 1000);
	p2p_add_mem(test, v, a, 0, PAGE_SIZE);
	rlist_cpu_append_end(v->rc);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(p->edu.dev, v->rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	rlist_dma_for_each_range(&rd, &it)
		if (it.pos <= 4000 && 4000 - it.pos < it.len)
			mem = it.addr + (4000 - it.pos);
	if (domain)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, mem),
				page_to_phys(a));

	/* Only expectations from here on: the routes must be forgotten. */
	for (i = 0; i < ARRAY_SIZE(provs); i++) {
		KUNIT_EXPECT_GE(test, p2p_poison_routes(provs[i]), 1);
		KUNIT_EXPECT_EQ(test, p2pdma_provider_map_type(provs[i],
							       p->edu.dev),
				PCI_P2PDMA_MAP_NOT_SUPPORTED);
	}
	dma_sync_rlist_for_cpu(p->edu.dev, v->rc, &rd, DMA_BIDIRECTIONAL);
	dma_sync_rlist_for_device(p->edu.dev, v->rc, &rd, DMA_BIDIRECTIONAL);
	dma_unmap_rlist(p->edu.dev, v->rc, &rd, DMA_BIDIRECTIONAL, 0);
	if (domain)
		KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(domain, mem), 0);
	for (i = 0; i < ARRAY_SIZE(provs); i++)
		p2p_forget_routes(provs[i]);
}

struct p2p_racer {
	struct kunit *test;
	struct device *dev;
	struct rlist_cpu *rc;
	atomic_t *stop;
	struct completion done;
	unsigned long maps, gone, other;
};

static int p2p_racer_fn(void *data)
{
	struct p2p_racer *r = data;
	struct rlist_dma rd;
	int ret;

	while (!atomic_read(r->stop)) {
		ret = dma_map_rlist(r->dev, r->rc, &rd, NULL, DMA_TO_DEVICE,
				    0, GFP_KERNEL);
		if (!ret) {
			r->maps++;
			cond_resched();
			dma_unmap_rlist(r->dev, r->rc, &rd, DMA_TO_DEVICE, 0);
		} else if (ret == -ENODEV) {
			r->gone++;
		} else {
			r->other++;
		}
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

/*
 * Unregister while two threads map and unmap ranges of the provider in a
 * loop: unregister finishes, every mapping either worked or failed with
 * -ENODEV, and afterwards none works.
 */
static void p2p_revoke_race(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct p2p_view *v = p2p_view_new(test);
	struct page *a = p2p_page(test);
	struct p2p_racer r[2] = {};
	struct p2p_bar tmp = p->sw;
	struct p2p_unregister u;
	atomic_t stop = ATOMIC_INIT(0);
	struct task_struct *t;
	unsigned int i;
	bool done;

	tmp.prov = pci_p2pdma_register_bar(tmp.pdev, IVSHMEM_BAR, 0,
					   4 * PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(tmp.prov));
	p2p_add_mem(test, v, a, 0, 512);
	p2p_add_bar(test, v, &tmp, 100, 3 * PAGE_SIZE);
	p2p_add_mem(test, v, a, 1024, 512);
	rlist_cpu_append_end(v->rc);
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		r[i] = (struct p2p_racer){ .test = test, .dev = p->edu.dev,
					   .rc = v->rc, .stop = &stop };
		init_completion(&r[i].done);
		t = kthread_run(p2p_racer_fn, &r[i], "p2p-racer/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	msleep(50);
	done = p2p_unregister(test, &u, tmp.prov, 10000);
	msleep(50);
	atomic_set(&stop, 1);
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		wait_for_completion(&r[i].done);
		kunit_info(test, "racer %u: %lu maps, %lu -ENODEV, %lu other\n",
			   i, r[i].maps, r[i].gone, r[i].other);
		KUNIT_EXPECT_GT(test, r[i].maps, 0);
		KUNIT_EXPECT_GT(test, r[i].gone, 0);
		KUNIT_EXPECT_EQ(test, r[i].other, 0);
	}
	KUNIT_EXPECT_TRUE_MSG(test, done ||
			      wait_for_completion_timeout(&u.done, 5 * HZ),
			      "unregister did not finish");
}

/*
 * pci_p2pdma_register_bar() refuses, with -EINVAL and nothing registered,
 * a BAR number out of range, a BAR that is not memory (ivshmem-plain does
 * not implement BAR 1), an offset at the end of the BAR and a size past it,
 * also one that is a page once cut to 32 bits.
 */
static void p2p_register_invalid(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct pci_dev *pdev = p->sw.pdev;
	u64 len = pci_resource_len(pdev, IVSHMEM_BAR);
	static const int bars[] = { -1, 1, PCI_STD_NUM_BARS };
	struct p2pdma_provider *prov;
	unsigned int i;

	KUNIT_ASSERT_GT(test, len, PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, pci_resource_flags(pdev, 1) & IORESOURCE_MEM);
	for (i = 0; i < ARRAY_SIZE(bars); i++) {
		prov = pci_p2pdma_register_bar(pdev, bars[i], 0, PAGE_SIZE);
		KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(prov), -EINVAL,
				    "BAR %d", bars[i]);
		if (!IS_ERR(prov))
			pci_p2pdma_unregister_bar(prov);
	}
	prov = pci_p2pdma_register_bar(pdev, IVSHMEM_BAR, len, 0);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(prov), -EINVAL);
	if (!IS_ERR(prov))
		pci_p2pdma_unregister_bar(prov);
	prov = pci_p2pdma_register_bar(pdev, IVSHMEM_BAR, PAGE_SIZE,
				       len - PAGE_SIZE + 1);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(prov), -EINVAL);
	if (!IS_ERR(prov))
		pci_p2pdma_unregister_bar(prov);
	prov = pci_p2pdma_register_bar(pdev, IVSHMEM_BAR, 0,
				       BIT_ULL(32) + PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(prov), -EINVAL);
	if (!IS_ERR(prov))
		pci_p2pdma_unregister_bar(prov);
	/* The last byte alone is fine. */
	prov = pci_p2pdma_register_bar(pdev, IVSHMEM_BAR, len - 1, 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(prov));
	KUNIT_EXPECT_EQ(test, prov->size, 1);
	pci_p2pdma_unregister_bar(prov);
}

/*
 * Bad input and failures in the middle of a list: a range outside its
 * provider (-EINVAL), a non-PCI device (-EREMOTEIO), the DMA list's
 * allocations failed one by one (-ENOMEM).  Each leaves the DMA list empty
 * and drops every provider reference taken: the provider then unregisters
 * at once.
 */
static void p2p_errors(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct p2p_view *v = p2p_view_new(test), *bad = p2p_view_new(test);
	struct device *other = p2p_other_dev(test);
	struct page *a = p2p_page(test);
	struct p2p_bar tmp = p->sw;
	struct p2p_unregister u;
	struct rlist_dma rd;
	unsigned int i;
	long budget;
	int ret;

	tmp.prov = pci_p2pdma_register_bar(tmp.pdev, IVSHMEM_BAR, 0,
					   16 * PAGE_SIZE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(tmp.prov));

	/* Outside the provider, after a good range of it. */
	p2p_add_bar(test, bad, &tmp, 0, 100);
	p2p_add_mem(test, bad, a, 0, 100);
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_phys(bad->rc,
						    tmp.prov->start +
						    16 * PAGE_SIZE - 50, 100,
						    tmp.prov->id, GFP_KERNEL),
			0);
	rlist_cpu_append_end(bad->rc);
	KUNIT_EXPECT_EQ(test, dma_map_rlist(p->edu.dev, bad->rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);

	/* Alternating memory and P2P ranges: DMA ranges that do not merge. */
	for (i = 0; i < 40; i++) {
		if (i % 2)
			p2p_add_bar(test, v, &tmp, i * 256, 100);
		else
			p2p_add_mem(test, v, a, i * 64, 32);
	}
	rlist_cpu_append_end(v->rc);
	KUNIT_EXPECT_EQ(test, dma_map_rlist(other, v->rc, &rd, NULL,
					    DMA_TO_DEVICE, 0, GFP_KERNEL),
			-EREMOTEIO);

	for (budget = 0; budget < 16; budget++) {
		edu_alloc_budget = budget;
		kunit_activate_static_stub(test, rlist_mem_alloc,
					   edu_alloc_fail);
		ret = dma_map_rlist(p->edu.dev, v->rc, &rd, NULL,
				    DMA_TO_DEVICE, 0, GFP_KERNEL);
		kunit_deactivate_static_stub(test, rlist_mem_alloc);
		if (!ret)
			break;
		KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_GT(test, budget, 0);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), v->len);
	dma_unmap_rlist(p->edu.dev, v->rc, &rd, DMA_TO_DEVICE, 0);

	/* No reference left behind by any of the above. */
	KUNIT_EXPECT_TRUE_MSG(test, p2p_unregister(test, &u, tmp.prov, 2000),
			      "a provider reference leaked");
}

/*
 * dma-direct maps a P2P range through the host bridge at its physical
 * address: a BAR above the device's DMA mask is refused with -EREMOTEIO
 * before dma_direct_map_resource() can warn (an MR reaches this from
 * userspace), and the memory piece mapped before it is unmapped again.
 */
static void p2p_host_bridge_mask(struct kunit *test)
{
	struct p2p_fixture *p = test->priv;
	struct p2p_view *v = p2p_view_new(test);
	struct device *dev = p->edu.dev;
	struct page *a = p2p_page(test);
	u64 mask = dma_get_mask(dev);
	struct rlist_dma rd;
	int ret;

	if (device_iommu_mapped(dev) ||
	    p2p_expected(test, p->flat.pdev, dev) !=
	    PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		kunit_skip(test, "needs dma-direct and the host bridge route");
	/* QEMU puts the ivshmem BAR in the 64-bit window, above 4 GiB. */
	KUNIT_ASSERT_GT(test, p->flat.prov->start, (u64)DMA_BIT_MASK(32));
	p2p_add_mem(test, v, a, 0, 100);
	p2p_add_bar(test, v, &p->flat, 0, PAGE_SIZE);
	rlist_cpu_append_end(v->rc);
	KUNIT_ASSERT_EQ(test, dma_set_mask(dev, DMA_BIT_MASK(32)), 0);
	ret = dma_map_rlist(dev, v->rc, &rd, NULL, DMA_TO_DEVICE, 0,
			    GFP_KERNEL);
	if (!ret)
		dma_unmap_rlist(dev, v->rc, &rd, DMA_TO_DEVICE, 0);
	dma_set_mask(dev, mask);
	KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, rlist_dma_length(&rd), 0);
}

static struct kunit_case p2p_test_cases[] = {
	KUNIT_CASE(p2p_map_types),
	KUNIT_CASE_SLOW(p2p_switch),
	KUNIT_CASE_SLOW(p2p_host_bridge),
	KUNIT_CASE(p2p_host_bridge_mask),
	KUNIT_CASE(p2p_revoke),
	KUNIT_CASE(p2p_register_again),
	KUNIT_CASE(p2p_route_recorded),
	KUNIT_CASE_SLOW(p2p_revoke_race),
	KUNIT_CASE(p2p_errors),
	KUNIT_CASE(p2p_register_invalid),
	{}
};

int rlist_edu_init_switch(struct kunit *test)
{
	struct edu_fixture *edu;

	edu = kunit_kzalloc(test, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	test->priv = edu;
	p2p_edu_open(test, edu);
	return 0;
}

struct pci_dev *rlist_p2p_find(struct kunit *test, unsigned int vendor,
			       unsigned int device, bool below_switch)
{
	return p2p_find(test, vendor, device, below_switch);
}

enum pci_p2pdma_map_type rlist_p2p_expected(struct kunit *test,
					    struct pci_dev *provider,
					    struct device *client)
{
	return p2p_expected(test, provider, client);
}

static struct kunit_suite p2p_test_suite = {
	.name = "dma_rlist_p2p",
	.init = p2p_init,
	.exit = p2p_exit,
	.test_cases = p2p_test_cases,
};

kunit_test_suites(&edu_test_suite, &p2p_test_suite);

MODULE_DESCRIPTION("KUnit tests proving DMA addresses with QEMU's edu device");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
