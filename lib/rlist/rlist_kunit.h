/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the rlist KUnit suites.
 */
#ifndef _LIB_RLIST_KUNIT_H
#define _LIB_RLIST_KUNIT_H

#include <kunit/test.h>
#include <linux/debugfs.h>
#include <linux/fs.h>

/**
 * struct rlist_kunit_alloc - allocation accounting of the rlist storage
 * @allocs: allocations that succeeded since tracking started
 * @frees: objects freed since tracking started
 * @free_calls: calls to the free function (a bulk free counts once)
 * @attempts: allocation attempts since tracking started
 * @fail_at: index (0-based, counted in @attempts) of the attempt to fail,
 *	or -1 to fail none
 */
struct rlist_kunit_alloc {
	long allocs;
	long frees;
	long free_calls;
	long attempts;
	long fail_at;
};

/*
 * Route rlist_mem_alloc()/rlist_mem_free() of the current test through @a
 * (KUnit static stubs); tracking stops when the test ends.
 */
void rlist_kunit_alloc_track(struct kunit *test, struct rlist_kunit_alloc *a);

/*
 * Make the reservations of the current test (__rlist_preload_words(), and so
 * rlist_preload() and rlist_cpu_append_pages()) reserve nothing while
 * claiming success, so that appends meant to use reserved room allocate:
 * with rlist_kunit_alloc_track(), those allocations can then fail.
 */
void rlist_kunit_no_reserve(struct kunit *test);

/* Expect that everything allocated while tracking was freed again. */
static inline void rlist_kunit_expect_no_leak(struct kunit *test,
					      const struct rlist_kunit_alloc *a)
{
	KUNIT_EXPECT_EQ_MSG(test, a->allocs, a->frees,
			    "rlist storage leaked %ld objects",
			    a->allocs - a->frees);
}

#define RLIST_KUNIT_EXPECT_NO_LEAK(test, a) rlist_kunit_expect_no_leak(test, a)

/*
 * User memory for the suites of rlist users (lib/rlist/rlist_gup_kunit.c,
 * CONFIG_MMU): an anonymous mapping of the test's mm, the reference pin of
 * pin_user_pages_fast() (all or nothing, the test fails otherwise), the pins
 * held on a page's folio, and a file on a private ramfs mount.
 */
unsigned long rlist_kunit_map_anon(struct kunit *test, unsigned long npages);
struct page **rlist_kunit_ref_pin(struct kunit *test, unsigned long addr,
				  unsigned long npages, unsigned int gup_flags);
int rlist_kunit_pins_of(struct page *page);
struct file *rlist_kunit_ramfs_file(struct kunit *test, unsigned long npages);

/**
 * rlist_kunit_dma_debug_u32() - find a counter of DMA API debugging
 * @name: its file in debugfs' dma-api directory, e.g. "error_count"
 *
 * Built-in code can read dma-debug's counters without mounting debugfs:
 * the inode of a debugfs_create_u32() file points to the variable.
 *
 * Return: the counter, or NULL without DMA API debugging.
 */
static inline u32 *rlist_kunit_dma_debug_u32(const char *name)
{
	struct dentry *dir, *file;
	u32 *val = NULL;

	if (!IS_ENABLED(CONFIG_DMA_API_DEBUG))
		return NULL;
	dir = debugfs_lookup("dma-api", NULL);
	if (IS_ERR_OR_NULL(dir))
		return NULL;
	file = debugfs_lookup(name, dir);
	if (!IS_ERR_OR_NULL(file)) {
		val = d_inode(file)->i_private;
		dput(file);
	}
	dput(dir);
	return val;
}

/* The check of the rlist_kmemleak suite, for suites linked after it. */
void rlist_kunit_kmemleak_check(struct kunit *test);

extern struct kunit_suite rlist_storage_test_suite;
extern struct kunit_suite rlist_cpu_test_suite;
extern struct kunit_suite rlist_dma_test_suite;

struct pci_dev;

/*
 * The QEMU PCI devices a test may touch: those whose ids the harness
 * listed in rlist_kunit.qemu_pci (else the test is skipped), and the
 * check that they are as they were at boot (rlist_kunit_pci.c).
 */
#if IS_ENABLED(CONFIG_RLIST_KUNIT_PCI)
struct pci_dev *rlist_kunit_pci_get(struct kunit *test, unsigned int vendor,
				    unsigned int device, struct pci_dev *from);
void rlist_kunit_pci_check(struct kunit *test);
#else
static inline struct pci_dev *rlist_kunit_pci_get(struct kunit *test,
						  unsigned int vendor,
						  unsigned int device,
						  struct pci_dev *from)
{
	kunit_skip(test, "no PCI in this kernel");
	return NULL;
}
#endif

#endif /* _LIB_RLIST_KUNIT_H */
