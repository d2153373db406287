/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rlist_p2p_bar: a dma-buf exporter of PCI BAR memory without struct page
 * (lib/rlist/rlist_p2p_bar.c).
 */
#ifndef _LIB_RLIST_P2P_BAR_H
#define _LIB_RLIST_P2P_BAR_H

#include <linux/types.h>

struct dma_buf;
struct pci_dev;

int rlist_p2p_bar_bind(struct pci_dev *pdev);
void rlist_p2p_bar_unbind(struct pci_dev *pdev);
struct dma_buf *rlist_p2p_bar_export(struct pci_dev *pdev, u64 offset,
				     size_t size);

#endif /* _LIB_RLIST_P2P_BAR_H */
