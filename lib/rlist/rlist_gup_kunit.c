// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of rlist_cpu_pin_user() and rlist_cpu_unpin(), with
 * pin_user_pages_fast() on the same range as the reference: same pages, same
 * errors, and exactly one pin per page taken and released.
 */
#include <kunit/test.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/rlist.h>
#include <linux/slab.h>

#include "rlist_kunit.h"

/* More than one batch of rlist_cpu_pin_user() (512 pages). */
#define GUP_PAGES	600
/* Odd start and end of the range in the first and last page. */
#define GUP_HEAD	123
#define GUP_TAIL	77

/* Pins held on the folio of @page. */
static int pins_of(struct page *page)
{
	struct folio *folio = page_folio(page);

	if (folio_has_pincount(folio))
		return atomic_read(&folio->_pincount);
	return folio_ref_count(folio) / GUP_PIN_COUNTING_BIAS;
}

static unsigned long map_anon(struct kunit *test, unsigned long npages)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, npages * PAGE_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "kunit_vm_mmap failed");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "kunit_vm_mmap: %ld",
			       (long)addr);
	return addr;
}

/* The reference: pin_user_pages_fast() on the same pages, all or nothing. */
static struct page **ref_pin(struct kunit *test, unsigned long addr,
			     unsigned long npages, unsigned int gup_flags)
{
	struct page **pages;
	unsigned long done = 0;
	long ret;

	pages = kunit_kcalloc(test, npages, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	while (done < npages) {
		ret = pin_user_pages_fast(addr + done * PAGE_SIZE,
					  npages - done, gup_flags,
					  pages + done);
		if (ret <= 0) {
			unpin_user_pages(pages, done);
			KUNIT_FAIL_AND_ABORT(test, "reference pin: %ld", ret);
		}
		done += ret;
	}
	return pages;
}

/*
 * @rc, walked range by range, is the pages of @pages, merged the same way:
 * compare with the list wrapping the reference array.
 */
static void expect_same_ranges(struct kunit *test, const struct rlist_cpu *rc,
			       struct page **pages, unsigned long npages)
{
	struct rlist_cpu_iter it, rit;
	struct rlist_cpu ref;
	unsigned long n = 0;
	bool more;

	KUNIT_ASSERT_EQ(test, rlist_cpu_init_pages(&ref, pages, npages, 0,
						   (u64)npages * PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(rc), (u64)npages * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, rlist_cpu_flags(rc), rlist_cpu_flags(&ref));
	more = rlist_cpu_iter_start(&rit, &ref, RLIST_CPU_STEP_RANGE);
	rlist_cpu_for_each_range(rc, &it) {
		KUNIT_ASSERT_TRUE_MSG(test, more, "range %lu past the end", n);
		KUNIT_EXPECT_EQ_MSG(test, it.phys, rit.phys, "range %lu", n);
		KUNIT_EXPECT_EQ_MSG(test, it.len, rit.len, "range %lu", n);
		KUNIT_EXPECT_EQ_MSG(test, it.provider, 0, "range %lu", n);
		more = rlist_cpu_iter_next(&rit);
		n++;
	}
	KUNIT_EXPECT_FALSE_MSG(test, more, "list ended after %lu ranges", n);
}

static void expect_pins(struct kunit *test, struct page **pages,
			unsigned long npages, int pins)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		KUNIT_EXPECT_EQ_MSG(test, pins_of(pages[i]), pins, "page %lu", i);
}

/*
 * Pin an odd range across several batches: the list covers exactly the pages
 * that pin_user_pages_fast() returns for it, holds one pin per page, and
 * rlist_cpu_unpin() releases exactly those and dirties the pages if asked.
 */
static void rlist_gup_test_reference(struct kunit *test)
{
	unsigned long addr = map_anon(test, GUP_PAGES), i;
	size_t len = GUP_PAGES * PAGE_SIZE - GUP_HEAD - GUP_TAIL;
	struct rlist_cpu rc, rc2;
	struct page **pages;

	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(&rc, addr + GUP_HEAD, len,
						 FOLL_WRITE | FOLL_LONGTERM,
						 GFP_KERNEL), 0);
	pages = ref_pin(test, addr, GUP_PAGES, FOLL_WRITE | FOLL_LONGTERM);
	expect_same_ranges(test, &rc, pages, GUP_PAGES);
	expect_pins(test, pages, GUP_PAGES, 2);

	/* One byte in one page, then the last byte of a page and the next. */
	rlist_cpu_init(&rc2);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc2, addr + 5 * PAGE_SIZE + 9,
						 1, FOLL_WRITE, GFP_KERNEL), 0);
	expect_same_ranges(test, &rc2, pages + 5, 1);
	KUNIT_EXPECT_EQ(test, pins_of(pages[5]), 3);
	rlist_cpu_unpin(&rc2, false);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc2, addr + 8 * PAGE_SIZE - 1,
						 2, FOLL_WRITE, GFP_KERNEL), 0);
	expect_same_ranges(test, &rc2, pages + 7, 2);
	rlist_cpu_unpin(&rc2, false);
	expect_pins(test, pages, GUP_PAGES, 2);

	/* Clean pages stay clean with dirty = false ... */
	for (i = 0; i < GUP_PAGES; i++)
		folio_clear_dirty(page_folio(pages[i]));
	rlist_cpu_unpin(&rc, false);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);
	expect_pins(test, pages, GUP_PAGES, 1);
	for (i = 0; i < GUP_PAGES; i++)
		KUNIT_EXPECT_FALSE_MSG(test,
				       folio_test_dirty(page_folio(pages[i])),
				       "page %lu", i);

	/* ... and are dirtied with dirty = true. */
	KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(&rc, addr, GUP_PAGES * PAGE_SIZE,
						 FOLL_WRITE, GFP_KERNEL), 0);
	expect_same_ranges(test, &rc, pages, GUP_PAGES);
	for (i = 0; i < GUP_PAGES; i++)
		folio_clear_dirty(page_folio(pages[i]));
	rlist_cpu_unpin(&rc, true);
	expect_pins(test, pages, GUP_PAGES, 1);
	for (i = 0; i < GUP_PAGES; i++)
		KUNIT_EXPECT_TRUE_MSG(test,
				      folio_test_dirty(page_folio(pages[i])),
				      "page %lu", i);
	unpin_user_pages(pages, GUP_PAGES);
	expect_pins(test, pages, GUP_PAGES, 0);
}

/* Append to a list that already holds ranges: they stay in front. */
static void rlist_gup_test_append(struct kunit *test)
{
	unsigned long addr = map_anon(test, GUP_PAGES);
	struct page **pages;
	struct rlist_cpu rc;

	pages = ref_pin(test, addr, GUP_PAGES, FOLL_WRITE);
	rlist_cpu_init(&rc);
	/* The list takes over the reference's pins of the first 10 pages. */
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_pages(&rc, pages, 10,
						     GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(&rc, addr + 10 * PAGE_SIZE,
						 (GUP_PAGES - 10) * PAGE_SIZE,
						 FOLL_WRITE, GFP_KERNEL), 0);
	expect_same_ranges(test, &rc, pages, GUP_PAGES);
	expect_pins(test, pages, 10, 1);
	expect_pins(test, pages + 10, GUP_PAGES - 10, 2);
	rlist_cpu_unpin(&rc, false);
	expect_pins(test, pages, 10, 0);
	expect_pins(test, pages + 10, GUP_PAGES - 10, 1);
	unpin_user_pages(pages + 10, GUP_PAGES - 10);
}

/* Snapshot of a list: its stored entries, flags and length. */
struct snap {
	struct rlist_entry e[16];
	unsigned long n;
	u64 length;
	unsigned int flags;
};

static void take_snap(const struct rlist_cpu *rc, struct snap *s)
{
	struct rlist_iter it;

	memset(s, 0, sizeof(*s));
	s->length = rlist_cpu_length(rc);
	s->flags = rlist_cpu_flags(rc);
	s->n = rlist_nr_entries(&rc->__rl);
	rlist_for_each_entry(&rc->__rl, &it)
		if (it.pos / PAGE_SIZE < ARRAY_SIZE(s->e))
			s->e[it.pos / PAGE_SIZE] = it.entry;
}

/*
 * A list to pin into: empty, or holding the first page at @addr if
 * @nonempty; its state in @before.
 */
static void gup_start_list(struct kunit *test, struct rlist_cpu *rc,
			   unsigned long addr, int nonempty, struct snap *before)
{
	rlist_cpu_init(rc);
	if (nonempty)
		KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(rc, addr, PAGE_SIZE,
							 FOLL_WRITE,
							 GFP_KERNEL), 0);
	take_snap(rc, before);
}

static void expect_snap(struct kunit *test, const struct rlist_cpu *rc,
			const struct snap *before)
{
	struct snap now;

	take_snap(rc, &now);
	KUNIT_EXPECT_EQ(test, now.length, before->length);
	KUNIT_EXPECT_EQ(test, now.flags, before->flags);
	KUNIT_EXPECT_EQ(test, now.n, before->n);
	KUNIT_EXPECT_MEMEQ(test, now.e, before->e, sizeof(now.e));
}

/*
 * A hole in the middle, past the first batch: -EFAULT as for the reference,
 * nothing left pinned, the list as before (empty, or holding its ranges).
 */
static void rlist_gup_test_hole(struct kunit *test)
{
	const unsigned long hole = 550;
	unsigned long addr = map_anon(test, GUP_PAGES);
	struct page *ref[4], **pages;
	struct rlist_cpu rc;
	struct snap before;
	int nonempty;
	long ret;

	KUNIT_ASSERT_EQ(test, vm_munmap(addr + hole * PAGE_SIZE, PAGE_SIZE), 0);
	/* The reference fails the same way, in the batch with the hole. */
	ret = pin_user_pages_fast(addr + (hole - 2) * PAGE_SIZE, 4,
				  FOLL_WRITE | FOLL_LONGTERM, ref);
	KUNIT_ASSERT_EQ(test, ret, 2);
	unpin_user_pages(ref, 2);
	KUNIT_EXPECT_EQ(test, pin_user_pages_fast(addr + hole * PAGE_SIZE, 1,
						  FOLL_WRITE | FOLL_LONGTERM,
						  ref), -EFAULT);

	for (nonempty = 0; nonempty < 2; nonempty++) {
		gup_start_list(test, &rc, addr, nonempty, &before);
		KUNIT_EXPECT_EQ(test,
				rlist_cpu_pin_user(&rc, addr, GUP_PAGES * PAGE_SIZE,
						   FOLL_WRITE | FOLL_LONGTERM,
						   GFP_KERNEL), -EFAULT);
		expect_snap(test, &rc, &before);
		KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc),
				nonempty ? PAGE_SIZE : 0);
		/* Nothing but the list's own pins is left. */
		pages = ref_pin(test, addr, hole, FOLL_WRITE);
		KUNIT_EXPECT_EQ(test, pins_of(pages[0]), 1 + nonempty);
		expect_pins(test, pages + 1, hole - 1, 1);
		unpin_user_pages(pages, hole);
		rlist_cpu_unpin(&rc, false);
		KUNIT_EXPECT_EQ(test, pins_of(pages[0]), 0);
	}
}

/*
 * Pin GUP_PAGES pages at @addr into a list (holding one page already if
 * @nonempty) with each of the @attempts rlist allocations failing in turn:
 * -ENOMEM, the list as before, no pin left but the references' and the
 * first page's.
 */
static void gup_fail_each_alloc(struct kunit *test, struct rlist_kunit_alloc *a,
				unsigned long addr, struct page **pages,
				int nonempty, long attempts)
{
	struct rlist_cpu rc;
	struct snap before;
	long k;
	int ret;

	for (k = 0; k < attempts; k++) {
		gup_start_list(test, &rc, addr, nonempty, &before);
		a->attempts = 0;
		a->fail_at = k;
		ret = rlist_cpu_pin_user(&rc, addr, GUP_PAGES * PAGE_SIZE,
					 FOLL_WRITE, GFP_KERNEL);
		a->fail_at = -1;
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM,
				    "allocation %ld of %ld failed", k, attempts);
		expect_snap(test, &rc, &before);
		KUNIT_EXPECT_EQ(test, pins_of(pages[0]), 1 + nonempty);
		expect_pins(test, pages + 1, GUP_PAGES - 1, 1);
		rlist_cpu_unpin(&rc, false);
	}
}

/*
 * Fail each allocation of the list in turn: -ENOMEM, nothing pinned, nothing
 * leaked, the list as before.
 */
static void rlist_gup_test_nomem(struct kunit *test)
{
	unsigned long addr = map_anon(test, GUP_PAGES);
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct page **pages;
	struct rlist_cpu rc;
	long attempts;
	int nonempty;

	pages = ref_pin(test, addr, GUP_PAGES, FOLL_WRITE);
	rlist_kunit_alloc_track(test, &a);
	for (nonempty = 0; nonempty < 2; nonempty++) {
		/* How many allocations does a successful call make? */
		rlist_cpu_init(&rc);
		if (nonempty) {
			KUNIT_ASSERT_EQ(test,
					rlist_cpu_pin_user(&rc, addr, PAGE_SIZE,
							   FOLL_WRITE,
							   GFP_KERNEL), 0);
		}
		a.attempts = 0;
		KUNIT_ASSERT_EQ(test,
				rlist_cpu_pin_user(&rc, addr, GUP_PAGES * PAGE_SIZE,
						   FOLL_WRITE, GFP_KERNEL), 0);
		attempts = a.attempts;
		KUNIT_EXPECT_GT(test, attempts, 0);
		rlist_cpu_unpin(&rc, false);

		gup_fail_each_alloc(test, &a, addr, pages, nonempty, attempts);
	}
	unpin_user_pages(pages, GUP_PAGES);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
}

/*
 * The same with reservations that fall short, so that appends meant to use
 * reserved room allocate (rlist_kunit_no_reserve()): a failure there fails
 * the whole call, every page it pinned is unpinned, the list is as before.
 */
static void rlist_gup_test_short_reserve(struct kunit *test)
{
	unsigned long addr = map_anon(test, GUP_PAGES);
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	struct page **pages;
	long attempts, failed = 0;
	struct rlist_cpu rc;
	int nonempty;

	pages = ref_pin(test, addr, GUP_PAGES, FOLL_WRITE);
	rlist_kunit_alloc_track(test, &a);
	rlist_kunit_no_reserve(test);
	for (nonempty = 0; nonempty < 2; nonempty++) {
		rlist_cpu_init(&rc);
		if (nonempty) {
			KUNIT_ASSERT_EQ(test,
					rlist_cpu_pin_user(&rc, addr, PAGE_SIZE,
							   FOLL_WRITE,
							   GFP_KERNEL), 0);
		}
		a.attempts = 0;
		KUNIT_ASSERT_EQ(test,
				rlist_cpu_pin_user(&rc, addr, GUP_PAGES * PAGE_SIZE,
						   FOLL_WRITE, GFP_KERNEL), 0);
		attempts = a.attempts;
		if (!nonempty)
			expect_same_ranges(test, &rc, pages, GUP_PAGES);
		rlist_cpu_unpin(&rc, false);

		gup_fail_each_alloc(test, &a, addr, pages, nonempty, attempts);
		failed += attempts;
	}
	unpin_user_pages(pages, GUP_PAGES);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	kunit_info(test, "%ld allocations failed in turn\n", failed);
}

static void rlist_gup_test_invalid(struct kunit *test)
{
	unsigned long addr = map_anon(test, 4);
	struct rlist_cpu rc;

	rlist_cpu_init(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc, addr, 0, FOLL_WRITE,
						 GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc, addr, PAGE_SIZE,
						 FOLL_WRITE | FOLL_GET,
						 GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc, addr, ULONG_MAX,
						 FOLL_WRITE, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);

	/* Not a native list, an ended list. */
	KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(&rc, addr, PAGE_SIZE,
						 FOLL_WRITE, GFP_KERNEL), 0);
	rlist_cpu_append_end(&rc);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc, addr + PAGE_SIZE,
						 PAGE_SIZE, FOLL_WRITE,
						 GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), PAGE_SIZE);
	rlist_cpu_unpin(&rc, false);
	KUNIT_EXPECT_EQ(test, rlist_cpu_init_pages(&rc, NULL, 0, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc, addr, PAGE_SIZE,
						 FOLL_WRITE, GFP_KERNEL), -EINVAL);
}

/* ---- file mappings: the long-term pinning rules of GUP ---- */

static void rlist_gup_put_file(void *file)
{
	fput(file);
}

static void rlist_gup_unmount(void *mnt)
{
	kern_unmount(mnt);
}

/* A @npages-page file on a private ramfs mount, open read-write. */
static struct file *ramfs_file(struct kunit *test, unsigned long npages)
{
	struct file_system_type *type;
	struct vfsmount *mnt;
	struct file *file;

	type = get_fs_type("ramfs");
	KUNIT_ASSERT_NOT_NULL(test, type);
	mnt = kern_mount(type);
	module_put(type->owner);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(mnt), "kern_mount: %ld",
			       PTR_ERR(mnt));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, rlist_gup_unmount,
							mnt), 0);
	file = file_open_root_mnt(mnt, "rlist_gup", O_CREAT | O_RDWR, 0600);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "open: %ld", PTR_ERR(file));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, rlist_gup_put_file,
							file), 0);
	KUNIT_ASSERT_EQ(test, vfs_truncate(&file->f_path, npages * PAGE_SIZE),
			0);
	return file;
}

/*
 * A writable long-term pin of a shared file mapping that needs dirty tracking
 * (ramfs: generic_file_vm_ops has ->page_mkwrite) is refused with -EFAULT, as
 * pin_user_pages_fast() refuses it; the read-only long-term pin and the
 * writable short-term pin are allowed.
 */
static void rlist_gup_test_file_longterm(struct kunit *test)
{
	const unsigned long npages = 8;
	struct file *file = ramfs_file(test, npages);
	struct page *ref[8], **pages;
	struct rlist_cpu rc;
	unsigned long addr;
	long ret;

	addr = kunit_vm_mmap(test, file, 0, npages * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE(test, !addr || IS_ERR_VALUE(addr));

	rlist_cpu_init(&rc);
	ret = pin_user_pages_fast(addr, npages, FOLL_WRITE | FOLL_LONGTERM, ref);
	KUNIT_EXPECT_EQ(test, ret, -EFAULT);
	if (ret > 0)
		unpin_user_pages(ref, ret);
	KUNIT_EXPECT_EQ(test, rlist_cpu_pin_user(&rc, addr + 10, npages * PAGE_SIZE - 10,
						 FOLL_WRITE | FOLL_LONGTERM,
						 GFP_KERNEL), -EFAULT);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 0);

	/* Writable, not long-term: allowed, same pages as the reference. */
	KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(&rc, addr, npages * PAGE_SIZE,
						 FOLL_WRITE, GFP_KERNEL), 0);
	pages = ref_pin(test, addr, npages, FOLL_WRITE);
	expect_same_ranges(test, &rc, pages, npages);
	expect_pins(test, pages, npages, 2);
	rlist_cpu_unpin(&rc, true);
	expect_pins(test, pages, npages, 1);

	/* Long-term, read-only: allowed. */
	KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(&rc, addr, npages * PAGE_SIZE,
						 FOLL_LONGTERM, GFP_KERNEL), 0);
	expect_same_ranges(test, &rc, pages, npages);
	expect_pins(test, pages, npages, 2);
	rlist_cpu_unpin(&rc, false);
	expect_pins(test, pages, npages, 1);
	unpin_user_pages(pages, npages);
}

/*
 * The same file page mapped twice in a row: the list stores it twice, not
 * merged, and unpinning releases both pins.
 */
static void rlist_gup_test_same_page_twice(struct kunit *test)
{
	struct file *file = ramfs_file(test, 1);
	struct page *page;
	struct rlist_cpu rc;
	unsigned long addr, addr2;

	addr = kunit_vm_mmap(test, file, 0, 2 * PAGE_SIZE,
			     PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE(test, !addr || IS_ERR_VALUE(addr));
	addr2 = kunit_vm_mmap(test, file, addr + PAGE_SIZE, PAGE_SIZE,
			      PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
	KUNIT_ASSERT_EQ(test, addr2, addr + PAGE_SIZE);

	rlist_cpu_init(&rc);
	KUNIT_ASSERT_EQ(test, rlist_cpu_pin_user(&rc, addr + 1, PAGE_SIZE,
						 FOLL_WRITE, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, pin_user_pages_fast(addr, 1, 0, &page), 1);
	KUNIT_EXPECT_EQ(test, pins_of(page), 3);
	KUNIT_EXPECT_EQ(test, rlist_nr_entries(&rc.__rl), 2);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&rc), 2 * PAGE_SIZE);
	rlist_cpu_unpin(&rc, false);
	KUNIT_EXPECT_EQ(test, pins_of(page), 1);
	unpin_user_page(page);
}

/* ---- helpers for the suites of rlist users (see rlist_kunit.h) ---- */

unsigned long rlist_kunit_map_anon(struct kunit *test, unsigned long npages)
{
	return map_anon(test, npages);
}

struct page **rlist_kunit_ref_pin(struct kunit *test, unsigned long addr,
				  unsigned long npages, unsigned int gup_flags)
{
	return ref_pin(test, addr, npages, gup_flags);
}

int rlist_kunit_pins_of(struct page *page)
{
	return pins_of(page);
}

struct file *rlist_kunit_ramfs_file(struct kunit *test, unsigned long npages)
{
	return ramfs_file(test, npages);
}

static struct kunit_case rlist_gup_test_cases[] = {
	KUNIT_CASE(rlist_gup_test_reference),
	KUNIT_CASE(rlist_gup_test_append),
	KUNIT_CASE(rlist_gup_test_hole),
	KUNIT_CASE(rlist_gup_test_nomem),
	KUNIT_CASE(rlist_gup_test_short_reserve),
	KUNIT_CASE(rlist_gup_test_invalid),
	KUNIT_CASE(rlist_gup_test_file_longterm),
	KUNIT_CASE(rlist_gup_test_same_page_twice),
	{}
};

static struct kunit_suite rlist_gup_test_suite = {
	.name = "rlist_gup",
	.test_cases = rlist_gup_test_cases,
};

kunit_test_suite(rlist_gup_test_suite);
