// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of rlist_cpu_pin_user() on userspace P2PDMA memory: the CMB of
 * an NVMe device, mmapped from its sysfs p2pmem "allocate" file.  Run in the
 * x86_64 QEMU kernel with e.g. "-device nvme,serial=rlist,cmb_size_mb=16";
 * every test skips when no NVMe device publishes p2pmem, and unless the
 * harness hands QEMU's NVMe controller over (rlist_kunit.qemu_pci=1b36:0010):
 * the unbind test takes its driver away for a while.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/dma-rlist.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kmsg_dump.h>
#include <linux/kthread.h>
#include <linux/memremap.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/rlist.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "rlist_kunit.h"

#define P2P_PAGES	16

static void p2p_pci_dev_put(void *pdev)
{
	pci_dev_put(pdev);
}

/*
 * The first of QEMU's NVMe controllers (1b36:0010) with published p2pmem
 * (a CMB); skips if none, or if the harness did not hand it over.
 */
static struct pci_dev *p2p_find_nvme(struct kunit *test)
{
	struct pci_dev *pdev = NULL;

	wait_for_device_probe();
	while ((pdev = rlist_kunit_pci_get(test, 0x1b36, 0x0010, pdev))) {
		if (pci_has_p2pmem(pdev))
			break;
	}
	if (!pdev)
		kunit_skip(test, "no QEMU NVMe device with p2pmem (a CMB)");
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p2p_pci_dev_put,
							pdev), 0);
	return pdev;
}

static void p2p_put_file(void *file)
{
	fput(file);
}

static void p2p_unmount(void *mnt)
{
	kern_unmount(mnt);
}

/* Open the p2pmem "allocate" file of @pdev on a private sysfs mount. */
static struct file *p2p_open_allocator(struct kunit *test,
				       struct pci_dev *pdev)
{
	struct file_system_type *type;
	struct vfsmount *mnt;
	struct file *file;
	char *path, *name;

	type = get_fs_type("sysfs");
	KUNIT_ASSERT_NOT_NULL(test, type);
	mnt = kern_mount(type);
	module_put(type->owner);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(mnt), "kern_mount(sysfs): %ld",
			       PTR_ERR(mnt));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p2p_unmount, mnt),
			0);
	/* "/devices/pci0000:00/...": no symlink to follow from the root. */
	path = kobject_get_path(&pdev->dev.kobj, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, path);
	name = kasprintf(GFP_KERNEL, "%s/p2pmem/allocate", path + 1);
	kfree(path);
	KUNIT_ASSERT_NOT_NULL(test, name);
	file = file_open_root_mnt(mnt, name, O_RDWR, 0);
	kfree(name);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "open allocate: %ld",
			       PTR_ERR(file));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, p2p_put_file,
							file), 0);
	return file;
}

/* Map @npages of p2pmem of @pdev, shared and writable, into current->mm. */
static unsigned long p2p_map(struct kunit *test, struct pci_dev *pdev,
			     unsigned long npages)
{
	struct file *file = p2p_open_allocator(test, pdev);
	unsigned long addr;

	addr = kunit_vm_mmap(test, file, 0, npages * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE_MSG(test, !addr || IS_ERR_VALUE(addr),
			       "mmap of p2pmem: %ld", (long)addr);
	return addr;
}

static int pins_of(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (folio_has_pincount(folio))
		return atomic_read(&folio->_pincount);
	return folio_ref_count(folio) / GUP_PIN_COUNTING_BIAS;
}

/*
 * Without FOLL_PCI_P2PDMA, P2PDMA pages are refused with -EREMOTEIO by the
 * fast path (pin_user_pages_fast()) and the slow path (pin_user_pages()) of
 * GUP alike, and by rlist_cpu_pin_user(), which leaves the list alone.
 * With FOLL_LONGTERM | FOLL_WRITE | FOLL_PCI_P2PDMA the pin succeeds: this
 * needs both "mm/gup: allow FOLL_LONGTERM with FOLL_PCI_P2PDMA" and the
 * kernfs/sysfs page_mkwrite opt-out of the allocator file (without it the
 * mapping is dirty-tracked and the writable long-term pin fails with
 * -EFAULT in writable_file_mapping_allowed()).  The list then holds the
 * same pages as the reference pin, all P2PDMA pages, merged into ranges of
 * physically contiguous pages, with %RLIST_CPU_MAY_P2P set, one pin per
 * page, and the bytes written through the user mapping.
 */
static void rlist_gup_p2p_test_pin(struct kunit *test)
{
	const unsigned int flags = FOLL_LONGTERM | FOLL_WRITE | FOLL_PCI_P2PDMA;
	struct pci_dev *pdev = p2p_find_nvme(test);
	unsigned long addr = p2p_map(test, pdev, P2P_PAGES), i;
	struct page *ref[P2P_PAGES];
	struct rlist_cpu_iter it, rit;
	struct rlist_cpu rc, rref;
	u8 *buf, *back;
	long ret;
	bool more;

	buf = kunit_kmalloc(test, P2P_PAGES * PAGE_SIZE, GFP_KERNEL);
	back = kunit_kzalloc(test, P2P_PAGES * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, back);
	for (i = 0; i < P2P_PAGES * PAGE_SIZE; i++)
		buf[i] = i * 7 + i / PAGE_SIZE;
	KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, buf,
					   P2P_PAGES * PAGE_SIZE), 0);

	/* Refused without FOLL_PCI_P2PDMA, fast and slow path. */
	ret = pin_user_pages_fast(addr, P2P_PAGES, FOLL_WRITE, ref);
	KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
	if (ret > 0)
		unpin_user_pages(ref, ret);
	mmap_read_lock(current->mm);
	ret = pin_user_pages(addr, P2P_PAGES, FOLL_WRITE, ref);
	mmap_read_unlock(current->mm);
	KUNIT_EXPECT_EQ(test, ret, -EREMOTEIO);
	if (ret > 0)
		unpin_user_pages(ref, ret);
	rlist_cpu_init(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc, addr, P2P_PAGES * PAGE_SIZE,
						 FOLL_WRITE | FOLL_LONGTERM,
						 GFP_KERNEL), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_flags(&rc) & RLIST_CPU_MAY_P2P);

	/* Allowed long-term and writable with FOLL_PCI_P2PDMA. */
	ret = rlist_cpu_pin_user(&rc, addr + 5, P2P_PAGES * PAGE_SIZE - 5, flags,
				 GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = pin_user_pages_fast(addr, P2P_PAGES, flags, ref);
	if (ret != P2P_PAGES) {
		if (ret > 0)
			unpin_user_pages(ref, ret);
		rlist_cpu_unpin(&rc, false);
		KUNIT_FAIL_AND_ABORT(test, "reference pin: %ld", ret);
	}
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&rc) & RLIST_CPU_MAY_P2P);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), P2P_PAGES * PAGE_SIZE);
	for (i = 0; i < P2P_PAGES; i++) {
		KUNIT_EXPECT_TRUE_MSG(test, is_pci_p2pdma_page(ref[i]),
				      "page %lu", i);
		KUNIT_EXPECT_EQ_MSG(test, pins_of(ref[i]), 2, "page %lu", i);
	}

	/* Same ranges as the reference's pages, merged alike. */
	KUNIT_ASSERT_EQ(test, rlist_cpu_init_pages(&rref, ref, P2P_PAGES, 0,
						   P2P_PAGES * PAGE_SIZE), 0);
	more = rlist_cpu_iter_start(&rit, &rref, RLIST_CPU_STEP_RANGE);
	rlist_cpu_for_each_range(&rc, &it) {
		KUNIT_EXPECT_TRUE(test, more);
		if (!more)
			break;
		KUNIT_EXPECT_EQ(test, it.phys, rit.phys);
		KUNIT_EXPECT_EQ(test, it.len, rit.len);
		KUNIT_EXPECT_EQ(test, it.provider, 0);
		kunit_info(test, "P2PDMA range %pa + %#llx\n", &it.phys, it.len);
		more = rlist_cpu_iter_next(&rit);
	}
	KUNIT_EXPECT_FALSE(test, more);
	/* Stored ranges: merged, never more than the pages. */
	KUNIT_EXPECT_LE(test, rlist_nr_entries(&rc.__rl), P2P_PAGES);

	/* The list reaches the bytes written through the user mapping. */
	KUNIT_EXPECT_EQ(test, rlist_cpu_copy_from(back, &rc, 0,
						  P2P_PAGES * PAGE_SIZE), 0);
	KUNIT_EXPECT_MEMEQ(test, back, buf, P2P_PAGES * PAGE_SIZE);

	rlist_cpu_unpin(&rc, true);
	for (i = 0; i < P2P_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test, pins_of(ref[i]), 1, "page %lu", i);
	unpin_user_pages(ref, P2P_PAGES);
}

struct p2p_unbind {
	struct pci_dev *pdev;
	struct completion done;
};

/* Holds a reference on the device, dropped here. */
static int p2p_unbind_fn(void *data)
{
	struct p2p_unbind *u = data;
	struct pci_dev *pdev = u->pdev;

	device_release_driver(&pdev->dev);
	complete(&u->done);
	put_device(&pdev->dev);
	return 0;
}

/* Is there a kernel log line that contains both @a and @b? */
static bool p2p_log_has(const char *a, const char *b)
{
	struct kmsg_dump_iter iter;
	static char line[512];
	bool found = false;
	size_t len;

	kmsg_dump_rewind(&iter);
	while (!found && kmsg_dump_get_line(&iter, false, line,
					    sizeof(line) - 1, &len)) {
		line[len] = '\0';
		found = strstr(line, a) && strstr(line, b);
	}
	return found;
}

/*
 * Map the pinned P2PDMA pages of @rc for their own device, through a
 * scatterlist and through a range list, then unmap them.  Called while the
 * device is being unbound: the provider of the pages is released already,
 * the pages are not, and what a mapping caches about the route must live
 * until the pages are gone (kmemleak's final scan reports a cache filled
 * again after it was freed).
 */
static void p2p_map_pinned(struct kunit *test, struct pci_dev *pdev,
			   const struct rlist_cpu *rc)
{
	struct page *pages[P2P_PAGES];
	struct rlist_cpu_iter it;
	struct rlist_dma_iter dit;
	struct sg_table sgt;
	struct rlist_dma rd;
	unsigned int n = 0;
	dma_addr_t sg_addr;

	rlist_cpu_for_each_page(rc, &it) {
		if (n < P2P_PAGES)
			pages[n] = rlist_cpu_iter_page(&it);
		n++;
	}
	KUNIT_ASSERT_EQ(test, n, P2P_PAGES);
	KUNIT_ASSERT_EQ(test, sg_alloc_table_from_pages(&sgt, pages, n, 0,
							n * PAGE_SIZE,
							GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dma_map_sgtable(&pdev->dev, &sgt,
					      DMA_BIDIRECTIONAL, 0), 0);
	if (sgt.nents) {
		/* A device reaches its own BAR by bus address. */
		KUNIT_EXPECT_TRUE(test, sg_dma_is_bus_address(sgt.sgl));
		sg_addr = sg_dma_address(sgt.sgl);
		dma_unmap_sgtable(&pdev->dev, &sgt, DMA_BIDIRECTIONAL, 0);
	}
	sg_free_table(&sgt);
	if (!sgt.nents)
		return;

	KUNIT_ASSERT_EQ(test, dma_map_rlist(&pdev->dev, rc, &rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	KUNIT_EXPECT_TRUE(test, rlist_dma_iter_start(&dit, &rd, NULL));
	KUNIT_EXPECT_EQ(test, dit.addr, sg_addr);
	dma_unmap_rlist(&pdev->dev, rc, &rd, DMA_BIDIRECTIONAL, 0);
}

/*
 * Unbinding the provider while its memory is pinned long-term does not crash
 * and does not take the memory away: the pgmap teardown waits for the page
 * references, so unbind waits until the pages are unpinned, and says so in
 * the kernel log (the device and how many pages are pinned).  The driver is
 * bound again afterwards so that later tests still find the device.
 */
static void rlist_gup_p2p_test_unbind(struct kunit *test)
{
	struct pci_dev *pdev = p2p_find_nvme(test);
	unsigned long addr = p2p_map(test, pdev, P2P_PAGES);
	struct task_struct *task;
	struct p2p_unbind *u;
	struct rlist_cpu rc;
	char want[64];
	bool finished;
	int i;

	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(&rc, addr, P2P_PAGES * PAGE_SIZE,
						 FOLL_LONGTERM | FOLL_WRITE |
						 FOLL_PCI_P2PDMA, GFP_KERNEL),
			0);
	/* Not freed if the unbind never finishes: the thread still uses it. */
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u) {
		rlist_cpu_unpin(&rc, false);
		KUNIT_FAIL_AND_ABORT(test, "no memory");
	}
	u->pdev = pdev;
	init_completion(&u->done);
	get_device(&pdev->dev);
	task = kthread_run(p2p_unbind_fn, u, "rlist_p2p_unbind");
	if (IS_ERR(task)) {
		put_device(&pdev->dev);
		kfree(u);
		rlist_cpu_unpin(&rc, false);
		KUNIT_FAIL_AND_ABORT(test, "kthread_run: %ld", PTR_ERR(task));
	}

	finished = wait_for_completion_timeout(&u->done, msecs_to_jiffies(500));
	KUNIT_EXPECT_FALSE_MSG(test, finished,
			       "unbind finished while the pages were pinned");
	/* The wait is reported at once, then every 10 s. */
	snprintf(want, sizeof(want), "p2pmem: %d pinned pages, removal waits",
		 P2P_PAGES);
	for (i = 0; i < 100 && !finished && !p2p_log_has(pci_name(pdev), want);
	     i++)
		finished = wait_for_completion_timeout(&u->done,
						       msecs_to_jiffies(100));
	KUNIT_EXPECT_TRUE_MSG(test, p2p_log_has(pci_name(pdev), want),
			      "no \"%s\" for %s in the kernel log", want,
			      pci_name(pdev));
	if (!finished)
		p2p_map_pinned(test, pdev, &rc);
	rlist_cpu_unpin(&rc, false);
	if (!finished)
		finished = wait_for_completion_timeout(&u->done, 30 * HZ);
	KUNIT_EXPECT_TRUE_MSG(test, finished,
			      "unbind did not finish after the unpin");
	if (!finished)
		return;
	kfree(u);

	/* Bind the driver again and wait for the CMB to be back. */
	KUNIT_EXPECT_GE(test, device_attach(&pdev->dev), 0);
	for (i = 0; i < 100 && !pci_has_p2pmem(pdev); i++) {
		wait_for_device_probe();
		msleep(100);
	}
	KUNIT_EXPECT_TRUE_MSG(test, pci_has_p2pmem(pdev),
			      "p2pmem not back after rebinding %s",
			      pci_name(pdev));
}

static struct kunit_case rlist_gup_p2p_test_cases[] = {
	KUNIT_CASE(rlist_gup_p2p_test_pin),
	KUNIT_CASE_SLOW(rlist_gup_p2p_test_unbind),
	{}
};

static struct kunit_suite rlist_gup_p2p_test_suite = {
	.name = "rlist_gup_p2p",
	.test_cases = rlist_gup_p2p_test_cases,
};

kunit_test_suite(rlist_gup_p2p_test_suite);
