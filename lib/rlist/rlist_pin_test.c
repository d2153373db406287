// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test driver for rlist_cpu_pin_user(): a debugfs file whose ioctls let a
 * process pin a range of its own memory into a struct rlist_cpu with the GUP
 * flags it chooses, see what was pinned and release it, in the style of
 * lib/test_hmm.c.  The ioctls are in rlist_pin_test_uapi.h; the user side is
 * tools/testing/rlist/p2pmem_pin.c, which pins P2PDMA memory mapped from a
 * PCI device's p2pmem allocator file.
 *
 * Each open file holds at most one pinned list, released by the UNPIN ioctl
 * or when the file is released, so that a test that dies leaks nothing.
 * As ib_umem_get() does, a pin is accounted in the pinned_vm of the
 * caller's mm and refused beyond RLIMIT_MEMLOCK without CAP_IPC_LOCK; at
 * most RLIST_PIN_TEST_MAX_LEN bytes are pinned at once.  No physical
 * address is given back.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rlist.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "rlist_pin_test_uapi.h"

#define RLIST_PIN_TEST_FLAGS	(RLIST_PIN_TEST_WRITE | \
				 RLIST_PIN_TEST_LONGTERM | \
				 RLIST_PIN_TEST_P2PDMA)

/* The longest range one file pins. */
#define RLIST_PIN_TEST_MAX_LEN	SZ_1G

/**
 * struct rlist_pin_test_file - state of one open file
 * @lock: serialises the ioctls of the file
 * @rc: the pinned pages
 * @pinned: @rc holds pins
 * @write: @rc was pinned for writing (dirty the pages on unpin)
 * @mm: the mm whose pinned_vm accounts the pin (a reference is held)
 * @npages: the pages accounted there
 */
struct rlist_pin_test_file {
	struct mutex lock;	/* serialises the ioctls of the file */
	struct rlist_cpu rc;
	bool pinned;
	bool write;
	struct mm_struct *mm;
	unsigned long npages;
};

static int rlist_pin_test_open(struct inode *inode, struct file *filp)
{
	struct rlist_pin_test_file *pf;

	pf = kzalloc(sizeof(*pf), GFP_KERNEL);
	if (!pf)
		return -ENOMEM;
	mutex_init(&pf->lock);
	rlist_cpu_init(&pf->rc);
	filp->private_data = pf;
	return 0;
}

/* Called with @pf->lock held. */
static void rlist_pin_test_unpin(struct rlist_pin_test_file *pf)
{
	if (!pf->pinned)
		return;
	rlist_cpu_unpin(&pf->rc, pf->write);
	atomic64_sub(pf->npages, &pf->mm->pinned_vm);
	mmdrop(pf->mm);
	pf->mm = NULL;
	pf->pinned = false;
	pf->write = false;
}

static int rlist_pin_test_release(struct inode *inode, struct file *filp)
{
	struct rlist_pin_test_file *pf = filp->private_data;

	mutex_lock(&pf->lock);
	rlist_pin_test_unpin(pf);
	mutex_unlock(&pf->lock);
	mutex_destroy(&pf->lock);
	kfree(pf);
	return 0;
}

static int rlist_pin_test_pin(struct rlist_pin_test_file *pf,
			      void __user *uarg)
{
	struct mm_struct *mm = current->mm;
	struct rlist_pin_test_pin arg;
	unsigned int gup_flags = 0;
	unsigned long npages;
	s64 pinned_vm;
	int ret;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if ((arg.flags & ~RLIST_PIN_TEST_FLAGS) || arg.pad || !arg.len ||
	    arg.len > RLIST_PIN_TEST_MAX_LEN ||
	    arg.addr != (unsigned long)arg.addr ||
	    arg.addr + arg.len < arg.addr)
		return -EINVAL;
	if (pf->pinned)
		return -EBUSY;
	if (!mm)
		return -EINVAL;

	/* Accounted as ib_umem_get() accounts a memory registration. */
	npages = (offset_in_page(arg.addr) + arg.len + PAGE_SIZE - 1) >>
		 PAGE_SHIFT;
	pinned_vm = atomic64_add_return(npages, &mm->pinned_vm);
	if (pinned_vm > rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT &&
	    !capable(CAP_IPC_LOCK)) {
		atomic64_sub(npages, &mm->pinned_vm);
		return -ENOMEM;
	}

	if (arg.flags & RLIST_PIN_TEST_WRITE)
		gup_flags |= FOLL_WRITE;
	if (arg.flags & RLIST_PIN_TEST_LONGTERM)
		gup_flags |= FOLL_LONGTERM;
	if (arg.flags & RLIST_PIN_TEST_P2PDMA)
		gup_flags |= FOLL_PCI_P2PDMA;

	/* The error of the pin goes back to userspace unchanged. */
	ret = rlist_cpu_pin_user(&pf->rc, arg.addr, arg.len, gup_flags,
				 GFP_KERNEL);
	if (ret) {
		atomic64_sub(npages, &mm->pinned_vm);
		return ret;
	}
	mmgrab(mm);
	pf->mm = mm;
	pf->npages = npages;
	pf->pinned = true;
	pf->write = arg.flags & RLIST_PIN_TEST_WRITE;
	return 0;
}

static int rlist_pin_test_info(struct rlist_pin_test_file *pf,
			       void __user *uarg)
{
	struct rlist_pin_test_info info = {};
	struct rlist_cpu_iter it;

	if (pf->pinned) {
		info.bytes = rlist_cpu_length(&pf->rc);
		info.may_p2p = !!(rlist_cpu_flags(&pf->rc) & RLIST_CPU_MAY_P2P);
		rlist_cpu_for_each_range(&pf->rc, &it) {
			if (!info.nr_ranges)
				info.first_offset = offset_in_page(it.phys);
			info.nr_ranges++;
			cond_resched();
		}
		rlist_cpu_for_each_page(&pf->rc, &it) {
			struct page *page = rlist_cpu_iter_page(&it);

			info.nr_pages++;
			if (page && is_pci_p2pdma_page(page))
				info.nr_p2p_pages++;
			cond_resched();
		}
	}
	if (copy_to_user(uarg, &info, sizeof(info)))
		return -EFAULT;
	return 0;
}

static int rlist_pin_test_read(struct rlist_pin_test_file *pf,
			       void __user *uarg)
{
	struct rlist_pin_test_read arg;
	void *buf;
	int ret = 0;

	if (copy_from_user(&arg, uarg, sizeof(arg)))
		return -EFAULT;
	if (!pf->pinned)
		return -ENOENT;
	if (arg.offset > rlist_cpu_length(&pf->rc) ||
	    arg.len > rlist_cpu_length(&pf->rc) - arg.offset)
		return -EINVAL;

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (arg.len) {
		size_t n = min_t(u64, arg.len, PAGE_SIZE);

		ret = rlist_cpu_copy_from(buf, &pf->rc, arg.offset, n);
		if (ret)
			break;
		if (copy_to_user(u64_to_user_ptr(arg.buf), buf, n)) {
			ret = -EFAULT;
			break;
		}
		arg.offset += n;
		arg.buf += n;
		arg.len -= n;
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
	}
	kfree(buf);
	return ret;
}

static long rlist_pin_test_ioctl(struct file *filp, unsigned int cmd,
				 unsigned long arg)
{
	struct rlist_pin_test_file *pf = filp->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	mutex_lock(&pf->lock);
	switch (cmd) {
	case RLIST_PIN_TEST_IOC_PIN:
		ret = rlist_pin_test_pin(pf, uarg);
		break;
	case RLIST_PIN_TEST_IOC_INFO:
		ret = rlist_pin_test_info(pf, uarg);
		break;
	case RLIST_PIN_TEST_IOC_READ:
		ret = rlist_pin_test_read(pf, uarg);
		break;
	case RLIST_PIN_TEST_IOC_UNPIN:
		ret = pf->pinned ? 0 : -ENOENT;
		rlist_pin_test_unpin(pf);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&pf->lock);
	return ret;
}

static const struct file_operations rlist_pin_test_fops = {
	.owner = THIS_MODULE,
	.open = rlist_pin_test_open,
	.release = rlist_pin_test_release,
	.unlocked_ioctl = rlist_pin_test_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static int __init rlist_pin_test_init(void)
{
	debugfs_create_file(RLIST_PIN_TEST_FILE, 0600, NULL, NULL,
			    &rlist_pin_test_fops);
	return 0;
}
late_initcall(rlist_pin_test_init);
