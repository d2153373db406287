// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA mapping of range lists.
 *
 * dma_map_rlist() maps the ranges of a struct rlist_cpu for a device and
 * describes the result in a struct rlist_dma:
 *
 * - dma-direct, when the DMA address of all memory is its physical address
 *   (coherent device, no bouncing, no offset or encryption, a mask that
 *   reaches all memory) and the list holds no P2P memory: the DMA list is an
 *   identity view of the CPU list.  Mapping allocates nothing and does not
 *   walk the list (unless DMA API debugging wants to see every range).
 * - dma-iommu maps a list without P2P memory at one IOVA
 *   (iommu_dma_map_rlist()): a page list in one pass as one contiguous DMA
 *   range, other lists laid out like iommu_dma_map_sg() lays out a
 *   scatterlist;
 * - otherwise every range is mapped in pieces of at most
 *   dma_max_mapping_size(), cut at page boundaries, through dma-direct
 *   (bouncing through swiotlb and maintaining caches as needed), dma-iommu
 *   for devices that must bounce (untrusted ones) and for lists with P2P
 *   memory, or the device's dma_map_ops ->map_page(); contiguous results
 *   are merged in the DMA list.
 *
 * P2P memory is a range tagged with the id of a struct p2pdma_provider, or
 * a P2PDMA page (whose pgmap has a provider).  How the device reaches the
 * provider decides (p2pdma_provider_map_type()):
 *
 * - through a PCI switch: the DMA address is the PCI bus address, nothing
 *   is mapped (no IOVA either);
 * - through the host bridge: the range is mapped like an MMIO resource
 *   (dma_map_resource(): no bouncing, no CPU cache maintenance; an IOMMU
 *   maps it with IOMMU_MMIO);
 * - not at all: -EREMOTEIO, as for every P2P range with dma_map_ops, and
 *   for a range through the host bridge that dma-direct's device cannot
 *   address (its DMA mask).
 *
 * Every mapped piece of a range tagged with a provider id holds a
 * reference to the provider, so that unregistering it waits for the
 * mappings to go.
 *
 * Unmap and sync walk the CPU list and the DMA list together, piece by
 * piece, so that every piece is released exactly as it was mapped: the
 * pieces' size and the DMA API implementation are those the mapping
 * recorded in the DMA list, not derived again from the device, whose DMA
 * mask (and with it dma_max_mapping_size()) may have changed since; the
 * route of a P2P piece is the type of its DMA entry, not asked again of its
 * provider.
 *
 * DMA API debugging, KMSAN and the dma_map_page/dma_unmap_page/
 * dma_sync_single_* trace events see every piece of every mapping, as if it
 * had been mapped with dma_map_page(); the list is walked for them only
 * when one of them is on.
 */
#include <linux/dma-rlist.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-direct.h>
#include <linux/iommu-dma.h>
#include <linux/kmsan.h>
#include <linux/memremap.h>
#include <linux/pci-p2pdma.h>
#include <linux/swiotlb.h>
#include <linux/export.h>
#include <trace/events/dma.h>

#include "debug.h"
#include "direct.h"

enum dr_path {
	DR_DIRECT,
	DR_IOMMU,
	DR_OPS,
};

static enum dr_path dr_path(struct device *dev, const struct dma_map_ops **ops)
{
	*ops = get_dma_ops(dev);
	if (use_dma_iommu(dev))
		return DR_IOMMU;
	if (!*ops)
		return DR_DIRECT;
#ifdef CONFIG_DMA_OPS_BYPASS
	if (dev->dma_ops_bypass &&
	    min_not_zero(*dev->dma_mask, dev->bus_dma_limit) >=
	    dma_direct_get_required_mask(dev))
		return DR_DIRECT;
#endif
	return DR_OPS;
}

/*
 * The largest piece a range is mapped in: dma_max_mapping_size(), cut down
 * to whole pages so that every piece of a longer range starts at the same
 * offset in a page as the range.  With a 32-bit size_t the limit without
 * swiotlb is SIZE_MAX, and a physical range can be longer than that.
 */
static size_t dr_piece_max(struct device *dev)
{
	size_t max = dma_max_mapping_size(dev);

	return max >= PAGE_SIZE ? round_down(max, PAGE_SIZE) : max;
}

/* Remember how @rd is mapped (@max: its largest piece), for unmap and sync. */
static void dr_record(struct rlist_dma *rd, enum dr_path path, size_t max)
{
	rd->__map_path = path;
	rd->__piece = max;
}

/*
 * How @rd was mapped: the implementation (with its ops, for dma_map_ops) and
 * the largest piece, as dr_record() noted them.  A list that dma_map_rlist()
 * did not map (a misuse that DMA API debugging reports) records nothing:
 * take the device's current state for it.
 */
static enum dr_path dr_mapped(struct device *dev, const struct rlist_dma *rd,
			      const struct dma_map_ops **ops, size_t *max)
{
	if (!rd->__piece) {
		*max = dr_piece_max(dev);
		return dr_path(dev, ops);
	}
	*ops = get_dma_ops(dev);
	*max = rd->__piece;
	/*
	 * Whether a device uses dma-iommu does not change while it has
	 * mappings; asking use_dma_iommu() also drops the dma-iommu calls
	 * from kernels without it.
	 */
	if (rd->__map_path == DR_IOMMU && use_dma_iommu(dev))
		return DR_IOMMU;
	return rd->__map_path == DR_OPS ? DR_OPS : DR_DIRECT;
}

/*
 * Can the DMA list be the CPU list itself?  Every check is O(1) and the
 * list is not looked at (P2P lists were refused before).
 */
static bool dr_identity(struct device *dev, const struct rlist_cpu *rc)
{
	if (IS_ENABLED(CONFIG_ARCH_HAS_PHYS_TO_DMA) ||
	    !dev_is_dma_coherent(dev) || is_swiotlb_force_bounce(dev) ||
	    dev->dma_range_map || force_dma_unencrypted(dev))
		return false;
	/* No memory encryption bit either. */
	if (phys_to_dma(dev, PAGE_SIZE) != PAGE_SIZE)
		return false;
	return min_not_zero(*dev->dma_mask, dev->bus_dma_limit) >=
	       dma_direct_get_required_mask(dev);
}

/*
 * Mapped through dma-iommu?  Constant false in kernels without it, whose
 * calls then drop out (as use_dma_iommu() makes them in mapping.c).
 */
static bool dr_iommu(enum dr_path path)
{
	return IS_ENABLED(CONFIG_IOMMU_DMA) && path == DR_IOMMU;
}

/* Mapped at one IOVA by dma-iommu, rather than piece by piece? */
static bool dr_one_iova(enum dr_path path, const struct rlist_dma *rd)
{
	return dr_iommu(path) && rlist_dma_has_base(rd);
}

/*
 * How a piece is reached: PCI_P2PDMA_MAP_UNKNOWN for memory, else the P2P
 * map type of its provider for the device.
 */
struct dr_how {
	enum pci_p2pdma_map_type map;
	struct p2pdma_provider *prov;
};

static dma_addr_t dr_map_piece(struct device *dev, enum dr_path path,
			       const struct dma_map_ops *ops,
			       const struct dr_how *how, phys_addr_t phys,
			       size_t len, enum dma_data_direction dir,
			       unsigned long attrs)
{
	struct page *page;
	unsigned long off = offset_in_page(phys);

	/* P2P ranges may have no struct page. */
	if (how->map == PCI_P2PDMA_MAP_BUS_ADDR)
		return phys + how->prov->bus_offset;
	if (how->map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE)
		return dr_iommu(path) ?
			iommu_dma_map_resource(dev, phys, len, dir, attrs) :
			dma_direct_map_resource(dev, phys, len, dir, attrs);

	page = pfn_to_page(PHYS_PFN(phys));
	if (path == DR_DIRECT)
		return dma_direct_map_page(dev, page, off, len, dir, attrs);
	if (dr_iommu(path))
		return iommu_dma_map_page(dev, page, off, len, dir, attrs);
	return ops->map_page(dev, page, off, len, dir, attrs);
}

static void dr_unmap_piece(struct device *dev, enum dr_path path,
			   const struct dma_map_ops *ops,
			   const struct dr_how *how, dma_addr_t dma,
			   size_t len, enum dma_data_direction dir,
			   unsigned long attrs)
{
	/* A bus address maps nothing; dma-direct maps resources 1:1. */
	if (how->map == PCI_P2PDMA_MAP_BUS_ADDR)
		return;
	if (how->map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE) {
		if (dr_iommu(path))
			iommu_dma_unmap_resource(dev, dma, len, dir, attrs);
		return;
	}

	if (path == DR_DIRECT)
		dma_direct_unmap_page(dev, dma, len, dir, attrs);
	else if (dr_iommu(path))
		iommu_dma_unmap_page(dev, dma, len, dir, attrs);
	else if (ops->unmap_page)
		ops->unmap_page(dev, dma, len, dir, attrs);
}

static void dr_sync_piece(struct device *dev, enum dr_path path,
			  const struct dma_map_ops *ops, dma_addr_t dma,
			  size_t len, enum dma_data_direction dir, bool for_cpu)
{
	if (path == DR_DIRECT) {
		if (for_cpu)
			dma_direct_sync_single_for_cpu(dev, dma, len, dir);
		else
			dma_direct_sync_single_for_device(dev, dma, len, dir);
	} else if (dr_iommu(path)) {
		if (for_cpu)
			iommu_dma_sync_single_for_cpu(dev, dma, len, dir);
		else
			iommu_dma_sync_single_for_device(dev, dma, len, dir);
	} else if (for_cpu && ops->sync_single_for_cpu) {
		ops->sync_single_for_cpu(dev, dma, len, dir);
	} else if (!for_cpu && ops->sync_single_for_device) {
		ops->sync_single_for_device(dev, dma, len, dir);
	}
}

/*
 * Walk of the mapped pieces: the CPU ranges cut to at most @max bytes, with
 * the DMA address of each piece, and how it was mapped, read from the entry
 * of the DMA list at the same position.
 */
struct dr_walk {
	struct rlist_cpu_iter cpu;
	const struct rlist_dma *rd;	/* NULL while mapping */
	struct rlist_iter ent;		/* entries of @rd, unless identity */
	bool ent_valid;
	bool may_p2p;		/* the list may hold P2P memory */
	size_t max;
	u64 off;		/* offset of the piece in the CPU range */
	size_t len;		/* length of the piece */
};

static bool dr_walk_piece(struct dr_walk *w)
{
	if (!rlist_cpu_iter_valid(&w->cpu))
		return false;
	w->len = min_t(u64, w->cpu.len - w->off, w->max);
	return true;
}

static bool dr_walk_start(struct dr_walk *w, size_t max,
			  const struct rlist_cpu *rc,
			  const struct rlist_dma *rd)
{
	w->max = max;
	w->off = 0;
	w->may_p2p = rlist_cpu_flags(rc) & RLIST_CPU_MAY_P2P;
	w->rd = rd;
	w->ent_valid = rd && !rlist_dma_is_identity(rd) &&
		       rlist_iter_first(&w->ent, __rlist_dma_entries(rd));
	rlist_cpu_iter_start(&w->cpu, rc, RLIST_CPU_STEP_RANGE);
	return dr_walk_piece(w);
}

static bool dr_walk_next(struct dr_walk *w)
{
	w->off += w->len;
	if (w->off == w->cpu.len) {
		w->off = 0;
		rlist_cpu_iter_next(&w->cpu);
	}
	return dr_walk_piece(w);
}

static phys_addr_t dr_walk_phys(const struct dr_walk *w)
{
	return w->cpu.phys + w->off;
}

static u64 dr_walk_pos(const struct dr_walk *w)
{
	return w->cpu.pos + w->off;
}

/* Drop the reference a mapped piece holds (taken by dr_how()). */
static void dr_put(const struct dr_walk *w, struct dr_how *how)
{
	if (w->cpu.provider && how->prov)
		p2pdma_provider_put(how->prov);
	how->prov = NULL;
}

/*
 * How @dev reaches the current piece, at map time.  The provider of a range
 * tagged with a provider id is held (one reference per piece, dropped by
 * dr_put()).
 *
 * Return: 0; -ENODEV if the provider is gone (being unregistered);
 * -EINVAL for a range outside its provider's memory; -EREMOTEIO if @dev
 * cannot reach the provider.
 */
static int dr_how(const struct dr_walk *w, struct device *dev,
		  struct dr_how *how)
{
	phys_addr_t phys = dr_walk_phys(w);
	struct p2pdma_provider *prov;
	struct page *page;

	how->map = PCI_P2PDMA_MAP_UNKNOWN;
	how->prov = NULL;
	if (!w->may_p2p)
		return 0;
	if (w->cpu.provider) {
		prov = p2pdma_provider_get(w->cpu.provider);
		if (!prov)
			return -ENODEV;
		how->prov = prov;
		if (phys < prov->start ||
		    phys - prov->start + w->len > prov->size) {
			dr_put(w, how);
			return -EINVAL;
		}
	} else {
		page = pfn_to_page(PHYS_PFN(phys));
		if (!is_pci_p2pdma_page(page))
			return 0;
		prov = pci_p2pdma_page_provider(page);
		how->prov = prov;
	}
	how->map = p2pdma_provider_map_type(prov, dev);
	if (how->map == PCI_P2PDMA_MAP_NOT_SUPPORTED) {
		dr_put(w, how);
		return -EREMOTEIO;
	}
	return 0;
}

/* The DMA list entry type that records how a piece was mapped. */
static u8 dr_how_type(const struct dr_how *how)
{
	switch (how->map) {
	case PCI_P2PDMA_MAP_BUS_ADDR:
		return RLIST_DMA_P2P_BUS;
	case PCI_P2PDMA_MAP_THRU_HOST_BRIDGE:
		return RLIST_DMA_P2P_HOST;
	default:
		return RLIST_DMA_ABSOLUTE;
	}
}

/*
 * The DMA address of the current piece of a mapped list and, in @how, how
 * it was mapped, as its DMA entry recorded it: not asked again of the
 * provider, whose map-type cache need not hold it any more.  The provider
 * of a tagged range is the one the mapping holds.
 *
 * Return: the address; DMA_MAPPING_ERROR for a piece past the DMA list, or
 * one that disagrees with it (a P2P range where memory was mapped): @rd
 * is not the mapping of this CPU list.
 */
static dma_addr_t dr_walk_dma(struct dr_walk *w, struct dr_how *how)
{
	u64 pos = dr_walk_pos(w);
	u8 type = RLIST_DMA_ABSOLUTE;
	dma_addr_t dma;

	how->map = PCI_P2PDMA_MAP_UNKNOWN;
	how->prov = NULL;
	if (rlist_dma_is_identity(w->rd)) {
		dma = dr_walk_phys(w);
	} else {
		while (w->ent_valid &&
		       pos - w->ent.pos >= w->ent.entry.length)
			w->ent_valid = rlist_iter_next(&w->ent);
		if (!w->ent_valid || pos < w->ent.pos)
			return DMA_MAPPING_ERROR;
		type = w->ent.entry.type;
		dma = __rlist_dma_entry_addr(w->rd, &w->ent.entry) +
		      (pos - w->ent.pos);
	}

	if (type == RLIST_DMA_P2P_BUS)
		how->map = PCI_P2PDMA_MAP_BUS_ADDR;
	else if (type == RLIST_DMA_P2P_HOST)
		how->map = PCI_P2PDMA_MAP_THRU_HOST_BRIDGE;
	if (!w->cpu.provider)
		return dma;
	/* A tagged range is P2P memory, mapped with a hold on its provider. */
	if (how->map != PCI_P2PDMA_MAP_UNKNOWN)
		how->prov = p2pdma_provider_find(w->cpu.provider);
	return how->prov ? dma : DMA_MAPPING_ERROR;
}

/*
 * Unmap the pieces below list position @end; @report: tell DMA API
 * debugging and the trace events about each (false when the mapping was
 * never reported, on failure).
 */
static void dr_unmap(struct device *dev, const struct rlist_cpu *rc,
		     const struct rlist_dma *rd, u64 end,
		     enum dma_data_direction dir, unsigned long attrs,
		     bool report)
{
	const struct dma_map_ops *ops;
	size_t max;
	enum dr_path path = dr_mapped(dev, rd, &ops, &max);
	bool whole = rlist_dma_is_identity(rd) || dr_one_iova(path, rd);
	struct dr_walk w;
	bool ok;

	for (ok = (report || !whole) && dr_walk_start(&w, max, rc, rd);
	     ok && dr_walk_pos(&w) < end; ok = dr_walk_next(&w)) {
		struct dr_how how;
		dma_addr_t dma = dr_walk_dma(&w, &how);

		if (WARN_ON_ONCE(dma == DMA_MAPPING_ERROR))
			break;
		if (report && how.map != PCI_P2PDMA_MAP_UNKNOWN) {
			trace_dma_unmap_resource(dev, dma, w.len, dir, attrs);
			debug_dma_unmap_resource(dev, dma, w.len, dir);
		} else if (report) {
			trace_dma_unmap_page(dev, dma, w.len, dir, attrs);
			debug_dma_unmap_page(dev, dma, w.len, dir);
		}
		if (!whole)
			dr_unmap_piece(dev, path, ops, &how, dma, w.len, dir,
				       attrs);
		dr_put(&w, &how);
	}
	if (dr_one_iova(path, rd))
		iommu_dma_unmap_rlist(dev, rc, rd, dir, attrs);
}

static int dr_map_pieces(struct device *dev, const struct rlist_cpu *rc,
			 struct rlist_dma *rd, enum dma_data_direction dir,
			 unsigned long attrs, gfp_t gfp)
{
	const struct dma_map_ops *ops;
	enum dr_path path = dr_path(dev, &ops);
	size_t max = dr_piece_max(dev);
	struct dr_walk w;
	int ret = 0;
	bool ok;

	/* Before the first piece: unwinding a failure reads it. */
	dr_record(rd, path, max);
	for (ok = dr_walk_start(&w, max, rc, NULL); ok; ok = dr_walk_next(&w)) {
		phys_addr_t phys = dr_walk_phys(&w);
		struct dr_how how;
		dma_addr_t dma;

		ret = dr_how(&w, dev, &how);
		if (ret)
			break;
		/*
		 * dma-direct maps a P2P range through the host bridge at its
		 * physical address and WARNs if the device cannot reach it;
		 * userspace gets here through an MR: refuse it like any P2P
		 * range the device cannot reach.
		 */
		if (path == DR_DIRECT &&
		    how.map == PCI_P2PDMA_MAP_THRU_HOST_BRIDGE &&
		    !dma_capable(dev, phys, w.len, false)) {
			dr_put(&w, &how);
			ret = -EREMOTEIO;
			break;
		}
		dma = dr_map_piece(dev, path, ops, &how, phys, w.len, dir,
				   attrs);
		if (dma == DMA_MAPPING_ERROR) {
			dr_put(&w, &how);
			ret = -EIO;
			break;
		}
		ret = __rlist_dma_append_typed(rd, dma, w.len,
					       dr_how_type(&how), gfp);
		if (ret) {
			dr_unmap_piece(dev, path, ops, &how, dma, w.len, dir,
				       attrs | DMA_ATTR_SKIP_CPU_SYNC);
			dr_put(&w, &how);
			break;
		}
	}
	if (ret) {
		dr_unmap(dev, rc, rd, rlist_dma_length(rd), dir,
			 attrs | DMA_ATTR_SKIP_CPU_SYNC, false);
		rlist_dma_destroy(rd);
	}
	return ret;
}

/* Does anyone want to see every piece of a mapping? */
static bool dr_report_map_wanted(void)
{
	return IS_ENABLED(CONFIG_DMA_API_DEBUG) || IS_ENABLED(CONFIG_KMSAN) ||
	       trace_dma_map_page_enabled();
}

static bool dr_report_unmap_wanted(void)
{
	return IS_ENABLED(CONFIG_DMA_API_DEBUG) ||
	       trace_dma_unmap_page_enabled();
}

/*
 * Tell KMSAN, the trace events and DMA API debugging about a mapping, piece
 * by piece, as dma_map_page() does for one.
 */
static void dr_report_map(struct device *dev, const struct rlist_cpu *rc,
			  const struct rlist_dma *rd,
			  enum dma_data_direction dir, unsigned long attrs)
{
	struct dr_walk w;
	bool ok;

	for (ok = dr_walk_start(&w, rd->__piece, rc, rd); ok;
	     ok = dr_walk_next(&w)) {
		phys_addr_t phys = dr_walk_phys(&w);
		struct dr_how how;
		dma_addr_t dma = dr_walk_dma(&w, &how);

		if (WARN_ON_ONCE(dma == DMA_MAPPING_ERROR))
			return;
		if (how.map != PCI_P2PDMA_MAP_UNKNOWN) {
			/* P2P memory (maybe without struct page): a resource */
			trace_dma_map_resource(dev, phys, dma, w.len, dir,
					       attrs);
			debug_dma_map_resource(dev, phys, w.len, dir, dma,
					       attrs);
		} else {
			struct page *page = pfn_to_page(PHYS_PFN(phys));

			kmsan_handle_dma(page, offset_in_page(phys), w.len,
					 dir);
			trace_dma_map_page(dev, phys, dma, w.len, dir, attrs);
			debug_dma_map_page(dev, page, offset_in_page(phys),
					   w.len, dir, dma, attrs);
		}
		/* dma_map_rlist() checked every piece; drivers cannot. */
		debug_dma_mapping_error(dev, dma);
	}
}

/**
 * dma_map_rlist() - map the ranges of a CPU list for DMA
 * @dev: the device
 * @rc: the CPU ranges; must stay unchanged until dma_unmap_rlist()
 * @rd: receives the DMA ranges; need not be initialised
 * @seg: the device's segmentation, or NULL; if given, mapping fails rather
 *	than need more segments than @rc has under it
 * @dir: DMA direction
 * @attrs: DMA attributes, as for dma_map_page_attrs() (e.g.
 *	%DMA_ATTR_SKIP_CPU_SYNC)
 * @gfp: allocation flags for @rd
 *
 * With dma-direct and a device that addresses all memory coherently, @rd is
 * an identity view of @rc: nothing is allocated and the list is not walked.
 * Otherwise each range is mapped (in pieces of at most
 * dma_max_mapping_size()) and the DMA ranges are stored in @rd, contiguous
 * ones merged.  On failure everything mapped so far is unmapped again.
 *
 * P2P memory (ranges tagged with a provider id, P2PDMA pages) is mapped as
 * the topology between its provider and @dev allows: at its PCI bus address
 * (nothing mapped), or through the host bridge like an MMIO resource.
 *
 * Return: 0; -EINVAL for a bad direction, @seg, a device without DMA or a
 * provider range outside its provider's memory; -EREMOTEIO for P2P memory
 * @dev cannot reach (no route, a host bridge route past the DMA mask of a
 * device without IOMMU, or any P2P memory with dma_map_ops); -ENODEV for a
 * range of a provider that is unregistered; -EIO if a range cannot be
 * mapped (e.g. it is out of the device's reach and cannot be bounced);
 * -ENOMEM; -EOVERFLOW if the mapping would need more segments than @rc
 * under @seg.
 */
int dma_map_rlist(struct device *dev, const struct rlist_cpu *rc,
		  struct rlist_dma *rd,
		  const struct rlist_dma_segmentation *seg,
		  enum dma_data_direction dir, unsigned long attrs, gfp_t gfp)
{
	const struct dma_map_ops *ops;
	enum dr_path path;
	bool p2p;
	int ret;

	rlist_dma_init(rd);
	if (WARN_ON_ONCE(!valid_dma_direction(dir)) ||
	    WARN_ON_ONCE(!dev->dma_mask))
		return -EINVAL;
	if (seg && rlist_dma_segmentation_check(seg))
		return -EINVAL;

	path = dr_path(dev, &ops);
#ifdef CONFIG_ARCH_HAS_DMA_OPS
	/* A device that must not do DMA. */
	if (path == DR_OPS && ops == &dma_dummy_ops)
		return -EINVAL;
#endif

	/*
	 * The summary flag tells, without a walk, whether the list may hold
	 * P2P memory: dma_map_ops cannot map it; dma-direct and dma-iommu map
	 * it range by range.
	 */
	p2p = rlist_cpu_flags(rc) & RLIST_CPU_MAY_P2P;
	if (p2p && path == DR_OPS)
		return -EREMOTEIO;

	if (path == DR_DIRECT && !p2p && dr_identity(dev, rc)) {
		rlist_dma_init_identity(rd, rc);
		dr_record(rd, path, dr_piece_max(dev));
		goto out_report;
	}
	ret = -EOPNOTSUPP;
	if (dr_iommu(path) && !p2p) {
		unsigned long mask = ULONG_MAX;

		if (seg)
			mask = min_t(u64, seg->segment_boundary_mask, mask);
		ret = iommu_dma_map_rlist(dev, rc, rd, mask, dir, attrs, gfp);
	}
	if (ret == -EOPNOTSUPP)
		ret = dr_map_pieces(dev, rc, rd, dir, attrs, gfp);
	else if (!ret)
		dr_record(rd, path, dr_piece_max(dev));
	if (ret)
		return ret;
	if (seg && !rlist_dma_segmentation_ok(rc, rd, seg)) {
		dr_unmap(dev, rc, rd, rlist_cpu_length(rc), dir,
			 attrs | DMA_ATTR_SKIP_CPU_SYNC, false);
		rlist_dma_destroy(rd);
		return -EOVERFLOW;
	}
out_report:
	if (dr_report_map_wanted())
		dr_report_map(dev, rc, rd, dir, attrs);
	return 0;
}
EXPORT_SYMBOL_GPL(dma_map_rlist);

/**
 * dma_unmap_rlist() - unmap what dma_map_rlist() mapped
 * @dev: the device
 * @rc: the CPU list that was mapped
 * @rd: the DMA list dma_map_rlist() filled; destroyed
 * @dir: DMA direction, as for the mapping
 * @attrs: DMA attributes
 *
 * An identity mapping of a coherent device needs nothing (and is not walked
 * unless DMA API debugging is on); other mappings are unmapped piece by piece
 * as they were mapped: the pieces' size and the DMA API implementation are
 * those @rd recorded at map time, whatever the device's DMA mask is now.
 *
 * Context: Any context where the implementation's unmap may run (as for
 * dma_unmap_page()).
 */
void dma_unmap_rlist(struct device *dev, const struct rlist_cpu *rc,
		     struct rlist_dma *rd, enum dma_data_direction dir,
		     unsigned long attrs)
{
	/*
	 * One IOVA goes in one call and an identity mapping (coherent, never
	 * bounced) needs nothing, unless every piece is to be reported.
	 */
	dr_unmap(dev, rc, rd, rlist_cpu_length(rc), dir, attrs,
		 dr_report_unmap_wanted());
	rlist_dma_destroy(rd);
}
EXPORT_SYMBOL_GPL(dma_unmap_rlist);

static void dr_sync(struct device *dev, const struct rlist_cpu *rc,
		    const struct rlist_dma *rd, enum dma_data_direction dir,
		    bool for_cpu)
{
	const struct dma_map_ops *ops;
	size_t max;
	enum dr_path path = dr_mapped(dev, rd, &ops, &max);
	bool whole = rlist_dma_is_identity(rd) || dr_one_iova(path, rd);
	bool report = IS_ENABLED(CONFIG_DMA_API_DEBUG) ||
		      (for_cpu ? trace_dma_sync_single_for_cpu_enabled() :
				 trace_dma_sync_single_for_device_enabled());
	struct dr_walk w;
	bool ok;

	/* One IOVA: never bounced, caches only. */
	if (dr_one_iova(path, rd))
		iommu_dma_sync_rlist(dev, rc, dir, for_cpu);
	/* Identity: coherent and never bounced. */
	if (whole && !report)
		return;
	for (ok = dr_walk_start(&w, max, rc, rd); ok; ok = dr_walk_next(&w)) {
		struct dr_how how;
		dma_addr_t dma = dr_walk_dma(&w, &how);

		if (WARN_ON_ONCE(dma == DMA_MAPPING_ERROR))
			return;
		/* P2P memory: never bounced, no CPU cache maintenance. */
		if (how.map != PCI_P2PDMA_MAP_UNKNOWN)
			continue;
		if (!whole)
			dr_sync_piece(dev, path, ops, dma, w.len, dir, for_cpu);
		if (!report)
			continue;
		if (for_cpu) {
			trace_dma_sync_single_for_cpu(dev, dma, w.len, dir);
			debug_dma_sync_single_for_cpu(dev, dma, w.len, dir);
		} else {
			trace_dma_sync_single_for_device(dev, dma, w.len, dir);
			debug_dma_sync_single_for_device(dev, dma, w.len, dir);
		}
	}
}

/**
 * dma_sync_rlist_for_cpu() - give a mapped list back to the CPU
 * @dev: the device
 * @rc: the CPU list that was mapped
 * @rd: its DMA list
 * @dir: DMA direction
 *
 * One call syncs the whole list (copying bounced data back, invalidating
 * caches of non-coherent devices), in the pieces @rd recorded at map time;
 * nothing to do for an identity mapping.
 *
 * Context: Any context, as dma_sync_single_for_cpu().
 */
void dma_sync_rlist_for_cpu(struct device *dev, const struct rlist_cpu *rc,
			    const struct rlist_dma *rd,
			    enum dma_data_direction dir)
{
	dr_sync(dev, rc, rd, dir, true);
}
EXPORT_SYMBOL_GPL(dma_sync_rlist_for_cpu);

/**
 * dma_sync_rlist_for_device() - give a mapped list back to the device
 * @dev: the device
 * @rc: the CPU list that was mapped
 * @rd: its DMA list
 * @dir: DMA direction
 *
 * The counterpart of dma_sync_rlist_for_cpu().
 *
 * Context: Any context, as dma_sync_single_for_device().
 */
void dma_sync_rlist_for_device(struct device *dev, const struct rlist_cpu *rc,
			       const struct rlist_dma *rd,
			       enum dma_data_direction dir)
{
	dr_sync(dev, rc, rd, dir, false);
}
EXPORT_SYMBOL_GPL(dma_sync_rlist_for_device);
