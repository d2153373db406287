/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The edu fixture of kernel/dma/rlist_edu_kunit.c for the KUnit suites of
 * rlist users: QEMU's edu PCI device as a DMA device whose DMA engine reads
 * memory at the addresses a mapping returned, proving them right.
 */
#ifndef _KERNEL_DMA_RLIST_EDU_KUNIT_H
#define _KERNEL_DMA_RLIST_EDU_KUNIT_H

#include <kunit/test.h>
#include <linux/types.h>

struct device;

/*
 * Suite init and exit: the first edu device (the suite is skipped without
 * one), enabled, with a 32-bit DMA mask; test->priv is the fixture's.
 */
int rlist_edu_init(struct kunit *test);
void rlist_edu_exit(struct kunit *test);
/* The edu device, to map memory for. */
struct device *rlist_edu_device(struct kunit *test);
/* Let edu read @len bytes at DMA address @addr and return them in @buf. */
void rlist_edu_fetch(struct kunit *test, dma_addr_t addr, void *buf,
		     size_t len);

#endif /* _KERNEL_DMA_RLIST_EDU_KUNIT_H */
