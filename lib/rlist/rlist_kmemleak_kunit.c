// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit: a kmemleak scan after all the other tests.
 *
 * The kernels of the KUnit tiers run with CONFIG_DEBUG_KMEMLEAK but without
 * a userspace that could write "scan" to /sys/kernel/debug/kmemleak.  This
 * suite does it from the kernel once every other suite has run, waits long
 * enough for their objects to be old enough to be reported, and fails if
 * kmemleak found any unreferenced object, or if kmemleak turned itself off
 * (it does when its metadata pool runs out, and would then miss leaks).
 *
 * Built-in suites run in link order: this file is the last object of
 * lib/rlist/Makefile, after the suites of kernel/dma/ and lib/rlist/.  The
 * suites of drivers/ are linked after lib/: the ib_umem tests end with a
 * suite of their own, ib_umem_kmemleak, that runs the same check through
 * rlist_kunit_kmemleak_check(); when it is built in, this suite leaves the
 * check to it.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "rlist_kunit.h"

/* mm/kmemleak.c reports no object younger than this (MSECS_MIN_AGE). */
#define KML_MIN_AGE_MS	5000
/* At most this much of the report is read and shown. */
#define KML_REPORT_SIZE	(64 * 1024)

struct kml {
	struct vfsmount *mnt;
	struct file *file;
	char __user *ubuf;
	char *buf;
};

static void kml_close(void *data)
{
	struct kml *k = data;

	if (!IS_ERR_OR_NULL(k->file))
		fput(k->file);
	if (!IS_ERR_OR_NULL(k->mnt))
		mntput(k->mnt);
}

/*
 * Open kmemleak's debugfs file through a mount of debugfs of our own: at the
 * time the built-in suites run, nothing is mounted yet.
 */
static void kml_open(struct kunit *test, struct kml *k)
{
	struct file_system_type *type;
	unsigned long addr;

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kml_close, k), 0);
	type = get_fs_type("debugfs");
	KUNIT_ASSERT_NOT_NULL_MSG(test, type, "no debugfs");
	k->mnt = vfs_kern_mount(type, 0, "debugfs", NULL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(k->mnt), "mounting debugfs: %ld",
			       PTR_ERR(k->mnt));
	k->file = file_open_root_mnt(k->mnt, "kmemleak", O_RDWR, 0);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(k->file), "opening kmemleak: %ld",
			       PTR_ERR(k->file));

	/* kmemleak's file operations take user buffers. */
	addr = kunit_vm_mmap(test, NULL, 0, KML_REPORT_SIZE,
			     PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user memory for the report");
	k->ubuf = (char __user *)addr;
	k->buf = kunit_kzalloc(test, KML_REPORT_SIZE + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k->buf);
}

static ssize_t kml_command(struct kml *k, const char *cmd)
{
	size_t len = strlen(cmd);
	loff_t pos = 0;

	if (copy_to_user(k->ubuf, cmd, len))
		return -EFAULT;
	return vfs_write(k->file, k->ubuf, len, &pos);
}

/* Reads the report into k->buf; returns its length. */
static ssize_t kml_report(struct kml *k)
{
	size_t done = 0;
	loff_t pos = 0;
	ssize_t n;

	while (done < KML_REPORT_SIZE) {
		n = vfs_read(k->file, k->ubuf + done, KML_REPORT_SIZE - done,
			     &pos);
		if (n < 0)
			return n;
		if (!n)
			break;
		done += n;
	}
	if (copy_from_user(k->buf, k->ubuf, done))
		return -EFAULT;
	k->buf[done] = '\0';
	return done;
}

static unsigned int kml_count(const char *report)
{
	const char *p = report;
	unsigned int n = 0;

	while ((p = strstr(p, "unreferenced object"))) {
		n++;
		p++;
	}
	return n;
}

/**
 * rlist_kunit_kmemleak_check() - fail a test if kmemleak finds a leak
 * @test: the test, of a suite that runs after the suites to check
 *
 * Waits until the objects of the earlier tests are old enough to be
 * reported, has kmemleak scan twice and fails @test on any unreferenced
 * object (shown in the test log) or if kmemleak is off.  On UML a report
 * skips @test instead (see the comment inside).  Sleeps about 6 s.
 */
void rlist_kunit_kmemleak_check(struct kunit *test)
{
	unsigned int leaks;
	struct kml *k;
	char *line, *p;
	ssize_t len;

	/* Not on the stack: kml_close() runs after this function returns. */
	k = kunit_kzalloc(test, sizeof(*k), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, k);
	kml_open(test, k);
	/* Let the objects of the last tests reach the reporting age. */
	msleep(KML_MIN_AGE_MS + 500);
	/*
	 * The first scan of an object only records the checksum of its
	 * contents (a changed object counts as referenced); the second one
	 * reports it.
	 */
	len = kml_command(k, "scan");
	if (len == strlen("scan"))
		len = kml_command(k, "scan");
	KUNIT_ASSERT_EQ_MSG(test, len, (ssize_t)strlen("scan"),
			    "kmemleak scan: %zd (-EPERM: kmemleak is off)",
			    len);
	len = kml_report(k);
	KUNIT_ASSERT_GE(test, len, 0);

	leaks = kml_count(k->buf);
	/* Show the report in the test log, one line at a time. */
	p = k->buf;
	while ((line = strsep(&p, "\n")))
		if (*line)
			kunit_info(test, "%s\n", line);
	/*
	 * UML: kmemleak reports one 1320-byte object, with no backtrace,
	 * for each earlier test that mapped user memory (kunit_vm_mmap());
	 * its first word is 1, like the mm_count of the test thread's mm.
	 * The same suites leak nothing on x86_64, where this check holds.
	 */
	if (IS_ENABLED(CONFIG_UML) && leaks)
		kunit_skip(test, "UML: %u objects reported, not checked", leaks);
	KUNIT_EXPECT_EQ_MSG(test, leaks, 0,
			    "kmemleak found unreferenced objects (above)");
}
EXPORT_SYMBOL_GPL(rlist_kunit_kmemleak_check);

static void rlist_kmemleak_test_scan(struct kunit *test)
{
	/* A scan costs seconds under TCG: one, at the very end, is enough. */
	if (IS_BUILTIN(CONFIG_INFINIBAND_UMEM_KUNIT_TEST))
		kunit_skip(test, "checked later, by ib_umem_kmemleak");
	rlist_kunit_kmemleak_check(test);
}

static struct kunit_case rlist_kmemleak_test_cases[] = {
	KUNIT_CASE_SLOW(rlist_kmemleak_test_scan),
	{}
};

static struct kunit_suite rlist_kmemleak_test_suite = {
	.name = "rlist_kmemleak",
	.test_cases = rlist_kmemleak_test_cases,
};

kunit_test_suite(rlist_kmemleak_test_suite);
