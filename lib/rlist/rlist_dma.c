// SPDX-License-Identifier: GPL-2.0-only
/*
 * rlist_dma: DMA address ranges, and the iterators that cut them into what
 * hardware wants: segments (max size, boundary, alignment) and blocks of a
 * hardware page size.  Nothing of that is stored: the same list serves every
 * device's limits, and a list in identity mode stores nothing at all.
 */
#include <linux/rlist.h>
#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/export.h>
#include <kunit/visibility.h>

#include "rlist_internal.h"

static int rd_append(struct rlist_dma *rd, u64 base, u64 len, u8 type,
		     gfp_t gfp)
{
	struct rlist_entry e = { .base = base, .length = len, .type = type };

	u64 last = base + len - 1;
	int ret;

	if (rlist_dma_is_identity(rd) || !len)
		return -EINVAL;
	if (len - 1 > (dma_addr_t)~0 - base)
		return -EOVERFLOW;
	/* A relative range must stay below the top once based, too. */
	if (type == RLIST_DMA_RELATIVE && rlist_dma_has_base(rd) &&
	    last > (dma_addr_t)~0 - rd->__base)
		return -EOVERFLOW;
	ret = rlist_append(&rd->__rl, &e, 0, gfp);
	if (ret || type != RLIST_DMA_RELATIVE)
		return ret;
	if (!(rd->__flags & RLIST_DMA_HAS_RELATIVE) || last > rd->__rel_last)
		rd->__rel_last = last;
	rd->__flags |= RLIST_DMA_HAS_RELATIVE;
	return 0;
}

/**
 * rlist_dma_append_relative() - add a range at an offset from the base
 * @rd: the list
 * @offset: offset of the range from the base set by rlist_dma_set_base()
 * @len: length of the range
 * @gfp: allocation flags
 *
 * Contiguous relative ranges are merged into one entry.
 *
 * Context: Any context; @gfp must allow the caller's context.
 * Return: 0; -EINVAL for a zero length or an identity list; -EOVERFLOW if the
 * range wraps, or ends past the top of the DMA address space once added to
 * the base set already; -ENOMEM.  On error the list is unchanged.
 */
int rlist_dma_append_relative(struct rlist_dma *rd, u64 offset, u64 len,
			      gfp_t gfp)
{
	return rd_append(rd, offset, len, RLIST_DMA_RELATIVE, gfp);
}
EXPORT_SYMBOL_GPL(rlist_dma_append_relative);

/**
 * rlist_dma_append_absolute() - add a range at a fixed DMA address
 * @rd: the list
 * @addr: DMA address of the range (e.g. a P2P bus address)
 * @len: length of the range
 * @gfp: allocation flags
 *
 * Return: as rlist_dma_append_relative().
 */
int rlist_dma_append_absolute(struct rlist_dma *rd, dma_addr_t addr, u64 len,
			      gfp_t gfp)
{
	return rd_append(rd, addr, len, RLIST_DMA_ABSOLUTE, gfp);
}
EXPORT_SYMBOL_GPL(rlist_dma_append_absolute);

/*
 * An absolute range of one of the types dma_map_rlist() records for P2P
 * memory (see include/linux/rlist.h); built-in callers only.
 */
int __rlist_dma_append_typed(struct rlist_dma *rd, dma_addr_t addr, u64 len,
			     u8 type, gfp_t gfp)
{
	if (type != RLIST_DMA_ABSOLUTE && type != RLIST_DMA_P2P_BUS &&
	    type != RLIST_DMA_P2P_HOST)
		return -EINVAL;
	return rd_append(rd, addr, len, type, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(__rlist_dma_append_typed);

/**
 * rlist_dma_set_base() - set the address that relative ranges are based on
 * @rd: the list
 * @base: the base, e.g. the start of an IOVA allocated once the list's
 *	length was known
 *
 * Context: Any context.
 * Return: 0; -EOVERFLOW if a relative range of @rd would end past the top
 * of the DMA address space, in which case the list is unchanged.  A list
 * without relative ranges takes any base.
 */
int rlist_dma_set_base(struct rlist_dma *rd, dma_addr_t base)
{
	if ((rd->__flags & RLIST_DMA_HAS_RELATIVE) &&
	    rd->__rel_last > (dma_addr_t)~0 - base)
		return -EOVERFLOW;
	rd->__base = base;
	rd->__flags |= RLIST_DMA_HAS_BASE;
	return 0;
}
EXPORT_SYMBOL_GPL(rlist_dma_set_base);

/**
 * rlist_dma_destroy() - free a DMA list
 * @rd: the list; left empty
 */
void rlist_dma_destroy(struct rlist_dma *rd)
{
	if (!rlist_dma_is_identity(rd))
		rlist_destroy(&rd->__rl);
	rlist_dma_init(rd);
}
EXPORT_SYMBOL_GPL(rlist_dma_destroy);

/**
 * rlist_dma_length() - total length of a DMA list
 * @rd: the list
 *
 * Return: the length in bytes.
 */
u64 rlist_dma_length(const struct rlist_dma *rd)
{
	if (rlist_dma_is_identity(rd))
		return rlist_cpu_length(rd->__cpu);
	return rlist_length(&rd->__rl);
}
EXPORT_SYMBOL_GPL(rlist_dma_length);

static bool rd_pow2(u64 x)
{
	return x && !(x & (x - 1));
}

/* ---- segmentation ---- */

/**
 * rlist_dma_segmentation_check() - validate a segmentation
 * @seg: the segmentation
 *
 * Return: 0, or -EINVAL if @seg->max_segment_size is 0, a mask is not a power
 * of two minus one, or @seg->min_align_mask + 1 exceeds the maximum segment
 * size.
 */
int rlist_dma_segmentation_check(const struct rlist_dma_segmentation *seg)
{
	if (!seg->max_segment_size ||
	    seg->segment_boundary_mask & (seg->segment_boundary_mask + 1) ||
	    seg->min_align_mask & (seg->min_align_mask + 1) ||
	    seg->min_align_mask >= seg->max_segment_size)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_GPL(rlist_dma_segmentation_check);

/* Length of the segment at @addr, with @left bytes of its range to go. */
static u64 rlist_seg_len(u64 addr, u64 left,
			 const struct rlist_dma_segmentation *seg)
{
	u64 n = min(left, seg->max_segment_size);
	bool cut_by_size = n < left;

	if (seg->segment_boundary_mask != U64_MAX) {
		/* Cannot wrap: (addr | mask) - addr <= mask < U64_MAX. */
		u64 room = (addr | seg->segment_boundary_mask) - addr + 1;

		if (room < n) {
			n = room;
			cut_by_size = false;
		}
	}
	if (cut_by_size && seg->min_align_mask) {
		/* addr + n < addr + left cannot wrap. */
		u64 cut = (addr + n) & ~seg->min_align_mask;

		if (cut > addr)
			n = cut - addr;
	}
	return n;
}

/* ---- iteration ---- */

/*
 * Where an iterator reads its ranges: the list's own entries; for an
 * identity list, the CPU list's rlist storage directly when it holds only
 * struct-page memory, else the CPU iterator.
 */
enum {
	RD_SRC_LIST,
	RD_SRC_CPU_RLIST,
	RD_SRC_CPU,
};

/* Load the next raw range into the look-ahead. */
static __always_inline void rd_fetch(struct rlist_dma_iter *it)
{
	const struct rlist_dma *rd = it->__rd;

	it->__have_next = false;
	if (it->__src == RD_SRC_CPU) {
		struct rlist_cpu_iter *ci = &it->__s.cpu;

		if (!rlist_cpu_iter_valid(ci))
			return;
		it->__next.addr = ci->phys;
		it->__next.len = ci->len;
		rlist_cpu_iter_next(ci);
	} else {
		struct rlist_iter *ri = &it->__s.rl;

		if (!rlist_iter_valid(ri))
			return;
		it->__next.addr = ri->entry.base;
		it->__next.len = ri->entry.length;
		if (it->__src == RD_SRC_LIST &&
		    ri->entry.type == RLIST_DMA_RELATIVE)
			it->__next.addr += rd->__base;
		rlist_iter_next(ri);
	}
	it->__have_next = true;
}

static __always_inline void rd_set_piece(struct rlist_dma_iter *it)
{
	u64 left = it->__rlen - it->__roff;
	dma_addr_t addr = it->__raddr + it->__roff;
	u64 bs = it->__blocksz;

	it->addr = addr;
	switch (it->__step) {
	case RLIST_DMA_STEP_RANGE:
		it->len = left;
		break;
	case RLIST_DMA_STEP_SEGMENT:
		it->len = rlist_seg_len(addr, left, it->__seg);
		break;
	case RLIST_DMA_STEP_BLOCK:
		it->len = min(left, bs - (addr & (bs - 1)));
		it->addr = addr & ~(bs - 1);
		break;
	}
}

/*
 * Make the look-ahead the current range, merging what continues it in DMA
 * space, whatever its type (relative or absolute) or, in identity mode, its
 * provider or pgmap: every walk cuts the same maximal ranges, so that a
 * block walk never meets a block twice.  Nothing continues a range that
 * ends at the top of the address space (its end wraps to 0).
 */
static __always_inline bool rd_load_range(struct rlist_dma_iter *it)
{
	dma_addr_t end;

	if (!it->__have_next) {
		it->__rd = NULL;
		return false;
	}
	it->__raddr = it->__next.addr;
	it->__rlen = it->__next.len;
	it->__roff = 0;
	for (;;) {
		rd_fetch(it);
		end = it->__raddr + it->__rlen;
		if (!it->__have_next || !end || end != it->__next.addr)
			break;
		it->__rlen += it->__next.len;
	}
	rd_set_piece(it);
	return true;
}

static bool rd_iter_start(struct rlist_dma_iter *it, const struct rlist_dma *rd,
			  enum rlist_dma_step step)
{
	it->__rd = rd;
	it->__step = step;
	it->pos = 0;
	if (!rlist_dma_is_identity(rd)) {
		it->__src = RD_SRC_LIST;
		rlist_iter_first(&it->__s.rl, &rd->__rl);
	} else if (rd->__cpu->__storage == RLIST_CPU_RLIST &&
		   !(rd->__cpu->__flags & RLIST_CPU_MAY_P2P)) {
		/* Struct-page memory: DMA-contiguous is CPU-contiguous. */
		it->__src = RD_SRC_CPU_RLIST;
		rlist_iter_first(&it->__s.rl, &rd->__cpu->__rl);
	} else {
		it->__src = RD_SRC_CPU;
		rlist_cpu_iter_start(&it->__s.cpu, rd->__cpu,
				     RLIST_CPU_STEP_RANGE);
	}
	rd_fetch(it);
	return rd_load_range(it);
}

/**
 * rlist_dma_iter_start() - walk a DMA list by ranges or segments
 * @it: the iterator
 * @rd: the list
 * @seg: NULL for maximal DMA-contiguous ranges (%RLIST_DMA_STEP_RANGE: those
 *	that touch are one range, whatever their types or providers), or the
 *	segmentation to cut them to; it must pass
 *	rlist_dma_segmentation_check() and stay valid during the walk
 *
 * Context: any context.
 * Return: false if the list is empty or @seg is invalid.
 */
bool rlist_dma_iter_start(struct rlist_dma_iter *it,
			  const struct rlist_dma *rd,
			  const struct rlist_dma_segmentation *seg)
{
	if (seg && WARN_ON_ONCE(rlist_dma_segmentation_check(seg))) {
		it->__rd = NULL;
		return false;
	}
	it->__seg = seg;
	return rd_iter_start(it, rd, seg ? RLIST_DMA_STEP_SEGMENT :
					   RLIST_DMA_STEP_RANGE);
}
EXPORT_SYMBOL_GPL(rlist_dma_iter_start);

/**
 * rlist_dma_block_start() - walk a DMA list by aligned blocks
 * @it: the iterator
 * @rd: the list
 * @blocksz: block size, a power of two
 *
 * Each maximal DMA-contiguous range [a, a + l) (%RLIST_DMA_STEP_RANGE: ranges
 * that touch are one, whatever their types or providers) yields the blocks
 * ALIGN_DOWN(a, @blocksz), ... that it touches: @it->addr is the block's
 * aligned address, @it->len the bytes of the range in it.  A block is thus
 * yielded in two pieces only if two ranges that do not touch share it.  With
 * a block size that rlist_dma_find_best_blocksz() returned for a HW virtual
 * address hwva, that never happens: the walk yields exactly
 * rlist_dma_num_blocks(@rd, @blocksz, hwva) blocks, the k-th holding the
 * bytes of the k-th @blocksz block of [hwva, hwva + length).
 *
 * Context: any context.
 * Return: false if the list is empty or @blocksz is not a power of two.
 */
bool rlist_dma_block_start(struct rlist_dma_iter *it,
			   const struct rlist_dma *rd, u64 blocksz)
{
	if (WARN_ON_ONCE(!rd_pow2(blocksz))) {
		it->__rd = NULL;
		return false;
	}
	it->__blocksz = blocksz;
	return rd_iter_start(it, rd, RLIST_DMA_STEP_BLOCK);
}
EXPORT_SYMBOL_GPL(rlist_dma_block_start);

/**
 * __rlist_dma_iter_advance() - the out-of-line part of rlist_dma_iter_next()
 * @it: the iterator, valid, with @it->__roff already past the last piece
 *
 * Cuts the next piece out of the current range, or loads the next range.
 *
 * Return: false at the end of the list (the iterator is then invalid).
 */
bool __rlist_dma_iter_advance(struct rlist_dma_iter *it)
{
	if (it->__roff < it->__rlen) {
		rd_set_piece(it);
		return true;
	}
	return rd_load_range(it);
}
EXPORT_SYMBOL_GPL(__rlist_dma_iter_advance);

/**
 * rlist_dma_nr_segments() - count the segments of a DMA list
 * @rd: the list
 * @seg: the segmentation
 *
 * Return: the number of segments, or -EINVAL for an invalid @seg.
 */
long rlist_dma_nr_segments(const struct rlist_dma *rd,
			   const struct rlist_dma_segmentation *seg)
{
	struct rlist_dma_iter it;
	long n = 0;

	if (rlist_dma_segmentation_check(seg))
		return -EINVAL;
	rlist_dma_for_each_segment(rd, seg, &it)
		n++;
	return n;
}
EXPORT_SYMBOL_GPL(rlist_dma_nr_segments);

/**
 * rlist_cpu_nr_segments() - count the segments of a CPU list
 * @rc: the list
 * @seg: the segmentation, applied to physical addresses
 *
 * What a device would see if it used physical addresses (the segments of
 * the identity view of @rc: its maximal physically contiguous ranges,
 * whatever providers or pgmaps they belong to, see %RLIST_DMA_STEP_RANGE):
 * the yardstick for rlist_dma_segmentation_ok().
 *
 * Context: any context.
 * Return: the number of segments, or -EINVAL for an invalid @seg.
 */
long rlist_cpu_nr_segments(const struct rlist_cpu *rc,
			   const struct rlist_dma_segmentation *seg)
{
	struct rlist_dma view;

	rlist_dma_init_identity(&view, rc);
	return rlist_dma_nr_segments(&view, seg);
}
EXPORT_SYMBOL_GPL(rlist_cpu_nr_segments);

/**
 * rlist_dma_segmentation_ok() - check that mapping did not add segments
 * @rc: the CPU list that was mapped
 * @rd: the DMA list it was mapped to
 * @seg: the device's segmentation
 *
 * A mapping may merge ranges but must never need more segments than the CPU
 * list it came from: callers size their hardware descriptors on the latter.
 *
 * Return: true if @seg is valid and @rd has no more segments than @rc.
 */
bool rlist_dma_segmentation_ok(const struct rlist_cpu *rc,
			       const struct rlist_dma *rd,
			       const struct rlist_dma_segmentation *seg)
{
	long cpu = rlist_cpu_nr_segments(rc, seg);

	return cpu >= 0 && rlist_dma_nr_segments(rd, seg) <= cpu;
}
EXPORT_SYMBOL_GPL(rlist_dma_segmentation_ok);

/* ---- hardware blocks ---- */

/**
 * rlist_dma_find_best_blocksz() - best hardware page size for a DMA list
 * @rd: the list
 * @pgsz_bitmap: page sizes the hardware supports, one bit per size
 * @hwva: the hardware virtual address of the first byte of the list (e.g.
 *	the IOVA of an RDMA memory region)
 *
 * The largest supported size S such that the list can be described as blocks
 * of S bytes in which HW virtual and DMA addresses agree: the low bits of
 * @hwva and of the DMA address agree at the start of every maximal
 * DMA-contiguous range (%RLIST_DMA_STEP_RANGE), and every discontinuity in
 * DMA space (the start of each range but the first) falls on a multiple of S
 * in HW VA space.  S is also capped by the bits that change across [@hwva,
 * @hwva + length).  The same answer as ib_umem_find_best_pgsz() for a umem
 * with this DMA list.  rlist_dma_for_each_block() with S then yields exactly
 * rlist_dma_num_blocks(@rd, S, @hwva) blocks.
 *
 * Context: any context.
 * Return: the block size, or 0 if none fits (or the list is empty, or the VA
 * range wraps).
 */
unsigned long rlist_dma_find_best_blocksz(const struct rlist_dma *rd,
					  unsigned long pgsz_bitmap, u64 hwva)
{
	u64 len = rlist_dma_length(rd);
	struct rlist_dma_iter it;
	unsigned long mask = 0;
	unsigned int bits;
	u64 last_va;
	u64 va = hwva;

	if (!len || check_add_overflow(hwva, len - 1, &last_va))
		return 0;
	bits = bits_per(hwva ^ last_va);
	if (bits < BITS_PER_LONG)
		mask = pgsz_bitmap & GENMASK(BITS_PER_LONG - 1, bits);

	/*
	 * The walk merges what touches in DMA space, exactly as the block walk
	 * does: every range after the first starts after a discontinuity.
	 */
	rlist_dma_for_each_range(rd, &it) {
		mask |= it.addr ^ va;
		if (it.pos)
			mask |= va;
		va += it.len;
	}
	if (mask)
		pgsz_bitmap &= GENMASK(__ffs(mask), 0);
	return pgsz_bitmap ? rounddown_pow_of_two(pgsz_bitmap) : 0;
}
EXPORT_SYMBOL_GPL(rlist_dma_find_best_blocksz);

/**
 * rlist_dma_num_blocks() - number of blocks a DMA list spans in HW VA space
 * @rd: the list
 * @blocksz: block size, a power of two
 * @hwva: the hardware virtual address of the first byte of the list
 *
 * Counts the @blocksz blocks that hold a byte of [@hwva, @hwva + length),
 * up to the last block of the 64-bit space.  With a block size from
 * rlist_dma_find_best_blocksz() for @hwva, rlist_dma_for_each_block() yields
 * exactly that many blocks.
 *
 * Context: any context.
 * Return: the number of blocks; 0 for an empty list, if @blocksz is not a
 * power of two, or if the last byte would be past the top of the 64-bit
 * space (the HW VA range wraps, as rlist_dma_find_best_blocksz() refuses).
 */
u64 rlist_dma_num_blocks(const struct rlist_dma *rd, u64 blocksz, u64 hwva)
{
	u64 len = rlist_dma_length(rd);
	unsigned int shift;
	u64 last;

	if (!len || !rd_pow2(blocksz) ||
	    check_add_overflow(hwva, len - 1, &last))
		return 0;
	/* The blocks of the first and of the last byte, and those between. */
	shift = ilog2(blocksz);
	return (last >> shift) - (hwva >> shift) + 1;
}
EXPORT_SYMBOL_GPL(rlist_dma_num_blocks);

/**
 * rlist_dma_block_offset() - offset of the list's first byte in its block
 * @rd: the list
 * @blocksz: block size, a power of two
 *
 * Return: the first DMA address modulo @blocksz; 0 for an empty list.
 */
u64 rlist_dma_block_offset(const struct rlist_dma *rd, u64 blocksz)
{
	struct rlist_dma_iter it;

	if (!rd_pow2(blocksz) || !rlist_dma_iter_start(&it, rd, NULL))
		return 0;
	return it.addr & (blocksz - 1);
}
EXPORT_SYMBOL_GPL(rlist_dma_block_offset);
