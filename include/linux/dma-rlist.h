/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DMA mapping of range lists: a struct rlist_cpu in, a struct rlist_dma out.
 *
 * See Documentation/core-api/rlist.rst.
 */
#ifndef _LINUX_DMA_RLIST_H
#define _LINUX_DMA_RLIST_H

#include <linux/dma-direction.h>
#include <linux/rlist.h>

struct device;

#ifdef CONFIG_DMA_RLIST
int dma_map_rlist(struct device *dev, const struct rlist_cpu *rc,
		  struct rlist_dma *rd,
		  const struct rlist_dma_segmentation *seg,
		  enum dma_data_direction dir, unsigned long attrs, gfp_t gfp);
void dma_unmap_rlist(struct device *dev, const struct rlist_cpu *rc,
		     struct rlist_dma *rd, enum dma_data_direction dir,
		     unsigned long attrs);
void dma_sync_rlist_for_cpu(struct device *dev, const struct rlist_cpu *rc,
			    const struct rlist_dma *rd,
			    enum dma_data_direction dir);
void dma_sync_rlist_for_device(struct device *dev, const struct rlist_cpu *rc,
			       const struct rlist_dma *rd,
			       enum dma_data_direction dir);
#else
static inline int dma_map_rlist(struct device *dev,
				const struct rlist_cpu *rc,
				struct rlist_dma *rd,
				const struct rlist_dma_segmentation *seg,
				enum dma_data_direction dir,
				unsigned long attrs, gfp_t gfp)
{
	return -EOPNOTSUPP;
}

static inline void dma_unmap_rlist(struct device *dev,
				   const struct rlist_cpu *rc,
				   struct rlist_dma *rd,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
}

static inline void dma_sync_rlist_for_cpu(struct device *dev,
					  const struct rlist_cpu *rc,
					  const struct rlist_dma *rd,
					  enum dma_data_direction dir)
{
}

static inline void dma_sync_rlist_for_device(struct device *dev,
					     const struct rlist_cpu *rc,
					     const struct rlist_dma *rd,
					     enum dma_data_direction dir)
{
}
#endif /* CONFIG_DMA_RLIST */

#endif /* _LINUX_DMA_RLIST_H */
