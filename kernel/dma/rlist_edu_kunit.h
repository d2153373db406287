/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The edu fixture of kernel/dma/rlist_edu_kunit.c for the KUnit suites of
 * rlist users: QEMU's edu PCI device as a DMA device whose DMA engine reads
 * memory at the addresses a mapping returned, proving them right.
 */
#ifndef _KERNEL_DMA_RLIST_EDU_KUNIT_H
#define _KERNEL_DMA_RLIST_EDU_KUNIT_H

#include <kunit/test.h>
#include <linux/dma-map-ops.h>
#include <linux/types.h>

struct device;
struct pci_dev;

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

/*
 * The P2P topology of the QEMU tier (see the dma_rlist_p2p suite): suite
 * init with the edu below the PCIe switch (64-bit DMA mask; skipped
 * without it; rlist_edu_exit() undoes it), the device @vendor:@device
 * below the switch or beside it (a reference to put; the test is skipped
 * unless rlist_kunit.qemu_pci lists @vendor:@device), and how 6.12 must
 * route DMA from @client to @provider's memory, from the topology alone.
 */
int rlist_edu_init_switch(struct kunit *test);
struct pci_dev *rlist_p2p_find(struct kunit *test, unsigned int vendor,
			       unsigned int device, bool below_switch);
enum pci_p2pdma_map_type rlist_p2p_expected(struct kunit *test,
					    struct pci_dev *provider,
					    struct device *client);

#endif /* _KERNEL_DMA_RLIST_EDU_KUNIT_H */
