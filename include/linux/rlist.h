/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Range lists: physical and DMA address ranges without scatterlist.
 *
 * Three layers, kept apart:
 *
 * - struct rlist: a compact storage of {base, length, type, extra} ranges,
 *   tuned for page lists (4 bytes for a scattered page, 8 bytes for a run of
 *   up to 1 TiB of pages, one entry inside the struct for a single range).
 * - struct rlist_cpu: an iterator over CPU physical ranges, whatever stores
 *   them: its own rlist, a struct page array, a bio_vec array or the CPU side
 *   of an sg_table.  Ranges are memory with a struct page, or physical ranges
 *   tagged with a P2P provider id and no struct page.
 * - struct rlist_dma: the dma_addr_t side, with iterators that split ranges
 *   into hardware segments and hardware page-size blocks.
 *
 * See Documentation/core-api/rlist.rst.
 */
#ifndef _LINUX_RLIST_H
#define _LINUX_RLIST_H

#include <linux/types.h>
#include <linux/gfp_types.h>
#include <linux/mm.h>
#include <linux/pfn.h>

struct bio_vec;
struct sg_table;
struct scatterlist;

/* ------------------------------------------------------------------ */
/* struct rlist: the storage                                          */
/* ------------------------------------------------------------------ */

/* Words of the largest encoded entry; also the size of the inline slot. */
#define RLIST_MAX_ENTRY_WORDS	6
/* Number of distinct entry types. */
#define RLIST_NR_TYPES		4

/**
 * struct rlist_entry - one range as seen by users of the storage
 * @base: first address of the range
 * @length: length of the range in bytes, never zero
 * @extra: a 32-bit tag stored with the range (e.g. a provider id)
 * @type: a 2-bit type, 0 to %RLIST_NR_TYPES - 1, chosen by the user
 *
 * The storage picks the smallest encoding for each entry: a single
 * page-aligned page of type 0 below 8 TiB costs 4 bytes, a page-aligned run
 * of up to 2^28 pages without @extra 8 bytes, anything else 16 to 24 bytes.
 */
struct rlist_entry {
	u64 base;
	u64 length;
	u32 extra;
	u8 type;
};

struct rlist_chunk;

/**
 * struct rlist - compact list of ranges
 * @__dir: chunk directory; NULL while the list fits in @__inl
 * @__nr_chunks: chunks that hold entries
 * @__nr_spare: preloaded empty chunks, stored after them in @__dir
 * @__dir_size: capacity of @__dir
 * @__last: word offset of the last entry in the last chunk (or @__inl)
 * @__flags: internal state (%RLIST_F_FINISHED)
 * @__nr_entries: number of stored entries
 * @__length: sum of the lengths of all entries
 * @__inl: the only entry of a one-entry list, so that it needs no chunk
 *
 * All fields are private: use the accessors and iterators below.  A zeroed
 * struct rlist is an empty list, as is one set up by rlist_init().
 */
struct rlist {
	struct rlist_chunk **__dir;
	unsigned int __nr_chunks;
	unsigned int __nr_spare;
	unsigned int __dir_size;
	unsigned int __last;
	unsigned int __flags;
	unsigned long __nr_entries;
	u64 __length;
	u32 __inl[RLIST_MAX_ENTRY_WORDS];
};

#define RLIST_F_FINISHED	BIT(0)

/* Flags for rlist_append() */
#define RLIST_APPEND_NO_MERGE	BIT(0)

/**
 * struct rlist_iter - position in a struct rlist
 * @entry: the current entry, valid while rlist_iter_valid() is true
 * @pos: byte position of the start of @entry in the list
 * @__rl: the list being walked
 * @__chunk: index of the chunk holding @entry
 * @__word: word offset of @entry in its chunk
 * @__next: word offset of the entry after @entry
 *
 * A state object in the style of XA_STATE: set it up with
 * rlist_iter_first() or rlist_iter_seek(), then step with rlist_iter_next().
 * Each step is O(1).
 */
struct rlist_iter {
	struct rlist_entry entry;
	u64 pos;
	const struct rlist *__rl;
	unsigned int __chunk;
	unsigned int __word;
	unsigned int __next;
};

/**
 * rlist_init() - initialise an empty range list
 * @rl: the list
 */
static inline void rlist_init(struct rlist *rl)
{
	*rl = (struct rlist){};
}

/**
 * rlist_nr_entries() - number of entries stored in a list
 * @rl: the list
 *
 * Return: the number of entries (merged appends count once).
 */
static inline unsigned long rlist_nr_entries(const struct rlist *rl)
{
	return rl->__nr_entries;
}

/**
 * rlist_length() - total length of a list
 * @rl: the list
 *
 * Return: the sum of the lengths of all entries, in bytes.
 */
static inline u64 rlist_length(const struct rlist *rl)
{
	return rl->__length;
}

/**
 * rlist_empty() - test whether a list holds no entry
 * @rl: the list
 *
 * Return: true if the list is empty.
 */
static inline bool rlist_empty(const struct rlist *rl)
{
	return !rl->__nr_entries;
}

int rlist_append(struct rlist *rl, const struct rlist_entry *e,
		 unsigned int flags, gfp_t gfp);
int rlist_preload(struct rlist *rl, unsigned long nr_entries, gfp_t gfp);
void rlist_append_end(struct rlist *rl);
void rlist_destroy(struct rlist *rl);
size_t rlist_memory(const struct rlist *rl);
bool rlist_last(const struct rlist *rl, struct rlist_entry *e);

bool rlist_iter_first(struct rlist_iter *it, const struct rlist *rl);
bool rlist_iter_next(struct rlist_iter *it);
bool rlist_iter_seek(struct rlist_iter *it, const struct rlist *rl, u64 pos);

/**
 * rlist_iter_valid() - test whether an iterator points at an entry
 * @it: the iterator
 *
 * Return: true if @it->entry is an entry of the list.
 */
static inline bool rlist_iter_valid(const struct rlist_iter *it)
{
	return it->__rl;
}

/* Iterator steps as pointers, for the for_each macros. */
static inline struct rlist_iter *__rlist_iter_first(struct rlist_iter *it,
						    const struct rlist *rl)
{
	return rlist_iter_first(it, rl) ? it : NULL;
}

static inline struct rlist_iter *__rlist_iter_next(struct rlist_iter *it)
{
	return rlist_iter_next(it) ? it : NULL;
}

/**
 * rlist_for_each_entry() - walk every entry of a list
 * @rl: the list
 * @it: a struct rlist_iter; the current entry is @it->entry
 */
#define rlist_for_each_entry(rl, it)					\
	for (struct rlist_iter *__rli = __rlist_iter_first(it, rl); __rli; \
	     __rli = __rlist_iter_next(__rli))

/* ------------------------------------------------------------------ */
/* struct rlist_cpu: CPU physical ranges over several storages        */
/* ------------------------------------------------------------------ */

/**
 * enum rlist_cpu_storage - where the ranges of a struct rlist_cpu live
 * @RLIST_CPU_RLIST: its own struct rlist, filled by the append functions
 * @RLIST_CPU_PAGES: an external array of struct page pointers
 * @RLIST_CPU_BVEC: an external array of struct bio_vec
 * @RLIST_CPU_SGTABLE: the CPU side of an external sg_table (orig_nents)
 */
enum rlist_cpu_storage {
	RLIST_CPU_RLIST,
	RLIST_CPU_PAGES,
	RLIST_CPU_BVEC,
	RLIST_CPU_SGTABLE,
};

/* Summary flags, see rlist_cpu_flags() */
/* Every interior range boundary is page aligned. */
#define RLIST_CPU_PAGELIST	BIT(0)
/* Some range may be P2P memory: a P2PDMA page or a provider range. */
#define RLIST_CPU_MAY_P2P	BIT(1)

/* Flags for rlist_cpu_destroy() */
/* Release the pins the list took over. */
#define RLIST_CPU_UNPIN		BIT(0)
/* With %RLIST_CPU_UNPIN: mark the pages dirty first. */
#define RLIST_CPU_DIRTY		BIT(1)

/* rlist entry types used by rlist_cpu */
#define RLIST_CPU_TYPE_PAGE	0	/* memory with a struct page */
#define RLIST_CPU_TYPE_PHYS	1	/* provider range, no struct page */

/**
 * struct rlist_cpu - CPU physical ranges, whatever stores them
 * @__storage: an &enum rlist_cpu_storage
 * @__flags: summary flags (%RLIST_CPU_PAGELIST, %RLIST_CPU_MAY_P2P)
 * @__length: total length in bytes
 * @__rl: the list, for %RLIST_CPU_RLIST
 * @__pages: the page array, for %RLIST_CPU_PAGES
 * @__pages.pages: the pages
 * @__pages.npages: number of pages
 * @__pages.offset: offset of the first byte in the first page
 * @__bvec: the bio_vec array, for %RLIST_CPU_BVEC
 * @__bvec.bv: the bio_vecs
 * @__bvec.nr: number of bio_vecs
 * @__sgt: the sg_table, for %RLIST_CPU_SGTABLE
 *
 * This is an iterator over CPU memory, not a data structure: users never
 * look at the storage, they iterate with struct rlist_cpu_iter.
 */
struct rlist_cpu {
	u8 __storage;
	u8 __flags;
	u64 __length;
	union {
		struct rlist __rl;
		struct {
			struct page **pages;
			unsigned long npages;
			unsigned int offset;
		} __pages;
		struct {
			const struct bio_vec *bv;
			unsigned int nr;
		} __bvec;
		struct sg_table *__sgt;
	};
};

/**
 * enum rlist_cpu_step - how an iterator cuts the ranges
 * @RLIST_CPU_STEP_RANGE: maximal runs of physically contiguous memory of
 *	the same kind (same pgmap, or same provider); a run never continues
 *	past the top of the physical address space to address 0
 * @RLIST_CPU_STEP_FOLIO: as above, also cut at folio boundaries; a provider
 *	range has no folio and is not cut
 * @RLIST_CPU_STEP_PAGE: as above, also cut at page boundaries (provider
 *	ranges too, with no struct page)
 */
enum rlist_cpu_step {
	RLIST_CPU_STEP_RANGE,
	RLIST_CPU_STEP_FOLIO,
	RLIST_CPU_STEP_PAGE,
};

/**
 * struct rlist_cpu_iter - position in a struct rlist_cpu
 * @phys: physical address of the current piece
 * @len: length of the current piece
 * @pos: byte position of @phys in the list
 * @provider: 0 for memory with a struct page, else the P2P provider id
 * @__rc: the list; NULL once the iteration is over
 * @__step: an &enum rlist_cpu_step
 * @__rprov: provider of the current range
 * @__rphys: physical start of the current (merged) range
 * @__rlen: length of the current range
 * @__roff: offset of @phys in the current range
 * @__s: storage cursor
 * @__s.rl: for %RLIST_CPU_RLIST, at the entry after the current range
 * @__s.idx: for arrays, index of the element after the current range
 * @__s.sg: for %RLIST_CPU_SGTABLE, element after the current range
 * @__s.left: for %RLIST_CPU_SGTABLE, elements left from @__s.sg on
 * @__skip: bytes of the element at the cursor already consumed by a seek
 * @__nphys: physical start of the look-ahead element
 * @__nlen: length of the look-ahead element; 0 if there is none
 * @__nprov: provider of the look-ahead element
 */
struct rlist_cpu_iter {
	phys_addr_t phys;
	u64 len;
	u64 pos;
	u32 provider;
	const struct rlist_cpu *__rc;
	u8 __step;
	u32 __rprov;
	phys_addr_t __rphys;
	u64 __rlen;
	u64 __roff;
	union {
		struct rlist_iter rl;
		unsigned long idx;
		struct {
			struct scatterlist *sg;
			unsigned int left;
		};
	} __s;
	u64 __skip;
	phys_addr_t __nphys;
	u64 __nlen;
	u32 __nprov;
};

/**
 * rlist_cpu_init() - initialise an empty rlist_cpu with its own storage
 * @rc: the list
 *
 * Ranges are then added with rlist_cpu_append_page() and friends.
 */
static inline void rlist_cpu_init(struct rlist_cpu *rc)
{
	*rc = (struct rlist_cpu){ .__storage = RLIST_CPU_RLIST,
				  .__flags = RLIST_CPU_PAGELIST };
}

int rlist_cpu_init_pages(struct rlist_cpu *rc, struct page **pages,
			 unsigned long npages, unsigned int offset, u64 length);
int rlist_cpu_init_bvec(struct rlist_cpu *rc, const struct bio_vec *bv,
			unsigned int nr);
int rlist_cpu_init_sgtable(struct rlist_cpu *rc, struct sg_table *sgt);

int rlist_cpu_append_page(struct rlist_cpu *rc, struct page *page,
			  unsigned int offset, unsigned int len, gfp_t gfp);
int rlist_cpu_append_folio(struct rlist_cpu *rc, struct folio *folio,
			   size_t offset, size_t len, gfp_t gfp);
int rlist_cpu_append_pages(struct rlist_cpu *rc, struct page **pages,
			   unsigned long npages, gfp_t gfp);
int rlist_cpu_append_phys(struct rlist_cpu *rc, phys_addr_t phys, u64 len,
			  u32 provider, gfp_t gfp);
#ifdef CONFIG_MMU
/* Pin user memory into a list, release it: lib/rlist/rlist_gup.c */
int rlist_cpu_pin_user(struct rlist_cpu *rc, unsigned long start, size_t len,
		       unsigned int gup_flags, gfp_t gfp);
void rlist_cpu_unpin(struct rlist_cpu *rc, bool dirty);
#endif
int rlist_cpu_preload(struct rlist_cpu *rc, unsigned long nr_ranges,
		      gfp_t gfp);
void rlist_cpu_append_end(struct rlist_cpu *rc);
void rlist_cpu_destroy(struct rlist_cpu *rc, unsigned int flags);

int rlist_cpu_copy_from(void *dst, const struct rlist_cpu *rc, u64 offset,
			size_t len);
int rlist_cpu_copy_to(const struct rlist_cpu *rc, u64 offset,
		      const void *src, size_t len);

bool rlist_cpu_iter_start(struct rlist_cpu_iter *it,
			  const struct rlist_cpu *rc,
			  enum rlist_cpu_step step);
bool rlist_cpu_iter_seek(struct rlist_cpu_iter *it,
			 const struct rlist_cpu *rc, u64 pos,
			 enum rlist_cpu_step step);
bool rlist_cpu_iter_next(struct rlist_cpu_iter *it);

/**
 * rlist_cpu_length() - total length of the CPU ranges
 * @rc: the list
 *
 * Return: the length in bytes; O(1) for every storage.
 */
static inline u64 rlist_cpu_length(const struct rlist_cpu *rc)
{
	return rc->__length;
}

/**
 * rlist_cpu_flags() - summary of the ranges
 * @rc: the list
 *
 * %RLIST_CPU_PAGELIST: every range boundary inside the list (all but the
 * start of the first range and the end of the last) is page aligned, so the
 * list maps to one contiguous IOVA range.  %RLIST_CPU_MAY_P2P: a range may be
 * P2P memory.  Recorded while appending (or when a wrapper is set up), so
 * reading them costs nothing.
 *
 * Return: the summary flags.
 */
static inline unsigned int rlist_cpu_flags(const struct rlist_cpu *rc)
{
	return rc->__flags;
}

/**
 * rlist_cpu_storage() - storage kind behind a struct rlist_cpu
 * @rc: the list
 *
 * Return: an &enum rlist_cpu_storage.
 */
static inline enum rlist_cpu_storage
rlist_cpu_storage(const struct rlist_cpu *rc)
{
	return rc->__storage;
}

/**
 * rlist_cpu_iter_valid() - test whether an iterator points at a piece
 * @it: the iterator
 *
 * Return: true while @it->phys, @it->len, @it->pos and @it->provider
 * describe a piece of the list.
 */
static inline bool rlist_cpu_iter_valid(const struct rlist_cpu_iter *it)
{
	return it->__rc;
}

/**
 * rlist_cpu_iter_page() - page holding the first byte of the current piece
 * @it: the iterator
 *
 * Return: the struct page, or NULL for a provider range, which has none.
 */
static inline struct page *rlist_cpu_iter_page(const struct rlist_cpu_iter *it)
{
	return it->provider ? NULL : pfn_to_page(PHYS_PFN(it->phys));
}

/**
 * rlist_cpu_iter_folio() - folio holding the first byte of the current piece
 * @it: the iterator
 *
 * Return: the folio, or NULL for a provider range.
 */
static inline struct folio *
rlist_cpu_iter_folio(const struct rlist_cpu_iter *it)
{
	struct page *page = rlist_cpu_iter_page(it);

	return page ? page_folio(page) : NULL;
}

/**
 * rlist_cpu_iter_folio_offset() - offset of the current piece in its folio
 * @it: the iterator, on a range with a struct page
 *
 * Return: the byte offset of @it->phys from the start of its folio.
 */
static inline size_t
rlist_cpu_iter_folio_offset(const struct rlist_cpu_iter *it)
{
	struct folio *folio = rlist_cpu_iter_folio(it);

	return it->phys - PFN_PHYS(folio_pfn(folio));
}

/* Iterator steps as pointers, for the for_each macros. */
static inline struct rlist_cpu_iter *
__rlist_cpu_iter_start(struct rlist_cpu_iter *it, const struct rlist_cpu *rc,
		       enum rlist_cpu_step step)
{
	return rlist_cpu_iter_start(it, rc, step) ? it : NULL;
}

static inline struct rlist_cpu_iter *
__rlist_cpu_iter_next(struct rlist_cpu_iter *it)
{
	return rlist_cpu_iter_next(it) ? it : NULL;
}

/**
 * rlist_cpu_for_each_range() - walk maximal physically contiguous ranges
 * @rc: the list
 * @it: a struct rlist_cpu_iter
 */
#define rlist_cpu_for_each_range(rc, it)				\
	for (struct rlist_cpu_iter *__rci =				\
		__rlist_cpu_iter_start(it, rc, RLIST_CPU_STEP_RANGE);	\
	     __rci; __rci = __rlist_cpu_iter_next(__rci))

/**
 * rlist_cpu_for_each_folio() - walk the list folio by folio
 * @rc: the list
 * @it: a struct rlist_cpu_iter; rlist_cpu_iter_folio() gives the folio
 */
#define rlist_cpu_for_each_folio(rc, it)				\
	for (struct rlist_cpu_iter *__rci =				\
		__rlist_cpu_iter_start(it, rc, RLIST_CPU_STEP_FOLIO);	\
	     __rci; __rci = __rlist_cpu_iter_next(__rci))

/**
 * rlist_cpu_for_each_page() - walk the list page by page
 * @rc: the list
 * @it: a struct rlist_cpu_iter; rlist_cpu_iter_page() gives the page
 */
#define rlist_cpu_for_each_page(rc, it)				\
	for (struct rlist_cpu_iter *__rci =				\
		__rlist_cpu_iter_start(it, rc, RLIST_CPU_STEP_PAGE);	\
	     __rci; __rci = __rlist_cpu_iter_next(__rci))

/* ------------------------------------------------------------------ */
/* struct rlist_dma: the dma_addr_t side                              */
/* ------------------------------------------------------------------ */

/* rlist entry types used by rlist_dma */
#define RLIST_DMA_RELATIVE	0	/* offset from the list's base */
#define RLIST_DMA_ABSOLUTE	1	/* a DMA (e.g. P2P bus) address */
/* Absolute, recorded by dma_map_rlist() for P2P memory: how it was mapped */
#define RLIST_DMA_P2P_BUS	2	/* at its PCI bus address: nothing mapped */
#define RLIST_DMA_P2P_HOST	3	/* through the host bridge, as a resource */

/* rlist_dma flags */
#define RLIST_DMA_IDENTITY	BIT(0)	/* DMA address == CPU physical address */
#define RLIST_DMA_HAS_BASE	BIT(1)	/* relative entries have a base */
#define RLIST_DMA_HAS_RELATIVE	BIT(2)	/* @__rel_last is valid */

/**
 * struct rlist_dma - DMA address ranges
 * @__rl: the ranges, unless in identity mode
 * @__cpu: in identity mode, the CPU list whose physical addresses are the
 *	DMA addresses
 * @__base: added to the relative entries
 * @__rel_last: the largest offset of a byte of a relative entry, so that
 *	no base makes one wrap
 * @__flags: %RLIST_DMA_IDENTITY, %RLIST_DMA_HAS_BASE,
 *	%RLIST_DMA_HAS_RELATIVE
 * @__piece: for dma_map_rlist(): the largest piece it mapped in one call
 *	(dma_max_mapping_size() when it mapped), so that unmap and sync cut
 *	the list exactly as the mapping did
 * @__map_path: for dma_map_rlist(): the DMA API implementation that mapped
 *	the list (dma-direct, dma-iommu, dma_map_ops)
 *
 * Relative entries let a list be laid out before its IOVA is allocated
 * (rlist_dma_set_base() fills it in later); absolute entries hold addresses
 * that do not move, such as P2P bus addresses.  In identity mode the list
 * stores nothing: it is a view of the CPU list.
 */
struct rlist_dma {
	struct rlist __rl;
	const struct rlist_cpu *__cpu;
	dma_addr_t __base;
	u64 __rel_last;
	unsigned int __flags;
	unsigned int __map_path;
	size_t __piece;
};

/**
 * struct rlist_dma_segmentation - what a device accepts as one DMA segment
 * @max_segment_size: no segment is longer than this (bytes, non-zero)
 * @segment_boundary_mask: no segment crosses an address that is a multiple
 *	of @segment_boundary_mask + 1 (a power of two minus one; ~0 for none)
 * @min_align_mask: where a range is cut because of @max_segment_size, the
 *	cut falls on a multiple of @min_align_mask + 1, so that segments that
 *	start at a cut are aligned; 0 for none.  A power of two minus one, as
 *	dma_get_min_align_mask() gives it, whose alignment @min_align_mask + 1
 *	is no larger than @max_segment_size (else a segment that starts
 *	aligned could not be cut on the next aligned address)
 *
 * Segmentation is applied while iterating and never stored: the same list
 * can be walked for devices with different limits.
 */
struct rlist_dma_segmentation {
	u64 max_segment_size;
	u64 segment_boundary_mask;
	u64 min_align_mask;
};

/**
 * enum rlist_dma_step - how a DMA iterator cuts the ranges
 * @RLIST_DMA_STEP_RANGE: maximal DMA-contiguous ranges: ranges that touch in
 *	DMA space are one range whatever their entry type (relative or
 *	absolute) and, in identity mode, whatever provider or pgmap their
 *	memory belongs to, so two ranges the walk yields never touch; a range
 *	that ends at the top of the DMA address space is not continued by
 *	one at address 0
 * @RLIST_DMA_STEP_SEGMENT: the ranges of %RLIST_DMA_STEP_RANGE cut to a
 *	struct rlist_dma_segmentation
 * @RLIST_DMA_STEP_BLOCK: the ranges of %RLIST_DMA_STEP_RANGE cut into the
 *	aligned hardware blocks of a fixed size that they touch
 */
enum rlist_dma_step {
	RLIST_DMA_STEP_RANGE,
	RLIST_DMA_STEP_SEGMENT,
	RLIST_DMA_STEP_BLOCK,
};

/**
 * struct rlist_dma_iter - position in a struct rlist_dma
 * @addr: DMA address of the current piece; for %RLIST_DMA_STEP_BLOCK, the
 *	block-aligned address of the current block
 * @len: length of the current piece (for blocks: the bytes of the list in
 *	the block)
 * @pos: byte position of the first byte of the piece in the list
 * @__rd: the list; NULL once the iteration is over
 * @__step: an &enum rlist_dma_step
 * @__src: where the ranges are read from (lib/rlist/rlist_dma.c)
 * @__seg: the segmentation, for %RLIST_DMA_STEP_SEGMENT
 * @__blocksz: the block size, for %RLIST_DMA_STEP_BLOCK
 * @__raddr: DMA start of the current (merged) range
 * @__rlen: length of the current range
 * @__roff: offset of the piece in the current range (in a block walk,
 *	derived from @addr when the piece is left)
 * @__have_next: @__next holds the range after the current one
 * @__next: look-ahead range, used to merge contiguous ranges
 * @__next.addr: its DMA address
 * @__next.len: its length
 * @__s: storage cursor
 * @__s.rl: over the list's own entries
 * @__s.cpu: over the CPU list, in identity mode (@__s.rl over its
 *	storage when that holds only struct-page memory)
 */
struct rlist_dma_iter {
	dma_addr_t addr;
	u64 len;
	u64 pos;
	const struct rlist_dma *__rd;
	u8 __step;
	u8 __src;
	const struct rlist_dma_segmentation *__seg;
	u64 __blocksz;
	dma_addr_t __raddr;
	u64 __rlen;
	u64 __roff;
	bool __have_next;
	struct {
		dma_addr_t addr;
		u64 len;
	} __next;
	union {
		struct rlist_iter rl;
		struct rlist_cpu_iter cpu;
	} __s;
};

/**
 * rlist_dma_init() - initialise an empty DMA list
 * @rd: the list
 */
static inline void rlist_dma_init(struct rlist_dma *rd)
{
	*rd = (struct rlist_dma){};
}

/**
 * rlist_dma_init_identity() - make a DMA list that is a view of a CPU list
 * @rd: the list
 * @rc: the CPU list; must stay alive and unchanged while @rd is used
 *
 * For devices whose DMA address is the CPU physical address.  Nothing is
 * allocated and nothing is iterated: the DMA ranges are derived from @rc when
 * @rd is walked.
 */
static inline void rlist_dma_init_identity(struct rlist_dma *rd,
					   const struct rlist_cpu *rc)
{
	*rd = (struct rlist_dma){ .__cpu = rc,
				  .__flags = RLIST_DMA_IDENTITY };
}

/**
 * rlist_dma_is_identity() - test whether a DMA list is a view of a CPU list
 * @rd: the list
 *
 * Return: true in identity mode.
 */
static inline bool rlist_dma_is_identity(const struct rlist_dma *rd)
{
	return rd->__flags & RLIST_DMA_IDENTITY;
}

/**
 * rlist_dma_has_base() - test whether relative ranges have a base
 * @rd: the list
 *
 * Return: true once rlist_dma_set_base() was called, e.g. by a mapping that
 * allocated one IOVA for the whole list.
 */
static inline bool rlist_dma_has_base(const struct rlist_dma *rd)
{
	return rd->__flags & RLIST_DMA_HAS_BASE;
}

/*
 * For dma_map_rlist() and its unmap and sync (kernel/dma/rlist.c), which
 * record in each entry how its range was mapped and read it back: the
 * stored entries of a list that is not an identity view, and the DMA
 * address of one of them.  Not for drivers: use the iterators.
 */
int __rlist_dma_append_typed(struct rlist_dma *rd, dma_addr_t addr, u64 len,
			     u8 type, gfp_t gfp);

static inline const struct rlist *
__rlist_dma_entries(const struct rlist_dma *rd)
{
	return rlist_dma_is_identity(rd) ? NULL : &rd->__rl;
}

static inline dma_addr_t __rlist_dma_entry_addr(const struct rlist_dma *rd,
						const struct rlist_entry *e)
{
	return e->type == RLIST_DMA_RELATIVE ? rd->__base + e->base : e->base;
}

int rlist_dma_append_relative(struct rlist_dma *rd, u64 offset, u64 len,
			      gfp_t gfp);
int rlist_dma_append_absolute(struct rlist_dma *rd, dma_addr_t addr, u64 len,
			      gfp_t gfp);
int rlist_dma_set_base(struct rlist_dma *rd, dma_addr_t base);
void rlist_dma_destroy(struct rlist_dma *rd);
u64 rlist_dma_length(const struct rlist_dma *rd);

int rlist_dma_segmentation_check(const struct rlist_dma_segmentation *seg);
long rlist_dma_nr_segments(const struct rlist_dma *rd,
			   const struct rlist_dma_segmentation *seg);
long rlist_cpu_nr_segments(const struct rlist_cpu *rc,
			   const struct rlist_dma_segmentation *seg);
bool rlist_dma_segmentation_ok(const struct rlist_cpu *rc,
			       const struct rlist_dma *rd,
			       const struct rlist_dma_segmentation *seg);

bool rlist_dma_iter_start(struct rlist_dma_iter *it,
			  const struct rlist_dma *rd,
			  const struct rlist_dma_segmentation *seg);
bool rlist_dma_block_start(struct rlist_dma_iter *it,
			   const struct rlist_dma *rd, u64 blocksz);
bool __rlist_dma_iter_advance(struct rlist_dma_iter *it);

unsigned long rlist_dma_find_best_blocksz(const struct rlist_dma *rd,
					  unsigned long pgsz_bitmap,
					  u64 hwva);
u64 rlist_dma_num_blocks(const struct rlist_dma *rd, u64 blocksz, u64 hwva);
u64 rlist_dma_block_offset(const struct rlist_dma *rd, u64 blocksz);

/**
 * rlist_dma_iter_next() - move a DMA iterator to the next piece
 * @it: the iterator, valid
 *
 * The next block of the current range is computed inline, like bvec_iter's
 * steps; the rest (segments, the next range) is out of line.
 *
 * Return: false at the end of the list (the iterator is then invalid).
 */
static inline bool rlist_dma_iter_next(struct rlist_dma_iter *it)
{
	it->pos += it->len;
	if (it->__step != RLIST_DMA_STEP_BLOCK) {
		it->__roff += it->len;
		return __rlist_dma_iter_advance(it);
	}
	/*
	 * rlist_dma_for_each_block() does not keep __roff: a block's piece
	 * starts at its aligned address, or at the range's start for the
	 * first one.
	 */
	it->__roff = (it->addr > it->__raddr ? it->addr - it->__raddr : 0) +
		     it->len;
	if (it->__roff < it->__rlen) {
		dma_addr_t addr = it->__raddr + it->__roff;
		u64 bs = it->__blocksz;

		it->len = min(it->__rlen - it->__roff, bs - (addr & (bs - 1)));
		it->addr = addr & ~(bs - 1);
		return true;
	}
	return __rlist_dma_iter_advance(it);
}

/**
 * rlist_dma_iter_valid() - test whether a DMA iterator points at a piece
 * @it: the iterator
 *
 * Return: true while @it->addr, @it->len and @it->pos describe a piece.
 */
static inline bool rlist_dma_iter_valid(const struct rlist_dma_iter *it)
{
	return it->__rd;
}

/* Iterator steps as pointers, for the for_each macros. */
static inline struct rlist_dma_iter *
__rlist_dma_iter_start(struct rlist_dma_iter *it, const struct rlist_dma *rd,
		       const struct rlist_dma_segmentation *seg)
{
	return rlist_dma_iter_start(it, rd, seg) ? it : NULL;
}

static inline struct rlist_dma_iter *
__rlist_dma_iter_next(struct rlist_dma_iter *it)
{
	return rlist_dma_iter_next(it) ? it : NULL;
}

/**
 * rlist_dma_for_each_range() - walk maximal DMA-contiguous ranges
 * @rd: the list
 * @it: a struct rlist_dma_iter
 *
 * Ranges that touch in DMA space are walked as one, whatever their types or
 * providers (see %RLIST_DMA_STEP_RANGE): no two ranges of the walk touch.
 */
#define rlist_dma_for_each_range(rd, it)				\
	for (struct rlist_dma_iter *__rdi = __rlist_dma_iter_start(it, rd, NULL); \
	     __rdi; __rdi = __rlist_dma_iter_next(__rdi))

/**
 * rlist_dma_for_each_segment() - walk the list cut into device segments
 * @rd: the list
 * @seg: a struct rlist_dma_segmentation that rlist_dma_segmentation_check()
 *	accepts
 * @it: a struct rlist_dma_iter
 */
#define rlist_dma_for_each_segment(rd, seg, it)				\
	for (struct rlist_dma_iter *__rdi = __rlist_dma_iter_start(it, rd, seg); \
	     __rdi; __rdi = __rlist_dma_iter_next(__rdi))

/*
 * The state of rlist_dma_for_each_block() that the loop keeps to itself (in
 * registers, once inlined): the current block's aligned address, its bytes,
 * their position, and the aligned address and bytes of the current range's
 * last block.  Each step writes the iterator's public fields but reads none
 * of them; the iterator's offset in the range is derived from @addr when the
 * walk leaves the range (see rlist_dma_iter_next()).
 */
struct __rlist_dma_blocks {
	struct rlist_dma_iter *iter;
	dma_addr_t addr;
	u64 len;
	u64 pos;
	dma_addr_t last;
	u64 tail;
	u64 bs;
};

static __always_inline void __rlist_dma_blocks_load(struct __rlist_dma_blocks *b)
{
	struct rlist_dma_iter *it = b->iter;
	dma_addr_t end = it->__raddr + it->__rlen;

	b->addr = it->addr;
	b->len = it->len;
	b->pos = it->pos;
	/* end - 1 and end - last wrap correctly at the top of the space */
	b->last = (end - 1) & ~(b->bs - 1);
	b->tail = end - b->last;
}

static __always_inline struct __rlist_dma_blocks
__rlist_dma_blocks_start(struct rlist_dma_iter *it, const struct rlist_dma *rd,
			 u64 blocksz)
{
	struct __rlist_dma_blocks b = { .bs = blocksz };

	if (rlist_dma_block_start(it, rd, blocksz)) {
		b.iter = it;
		__rlist_dma_blocks_load(&b);
	}
	return b;
}

static __always_inline void __rlist_dma_blocks_next(struct __rlist_dma_blocks *b)
{
	struct rlist_dma_iter *it = b->iter;

	if (b->addr != b->last) {
		/* The next block of the range: it starts block aligned. */
		b->pos += b->len;
		b->addr += b->bs;
		b->len = b->addr == b->last ? b->tail : b->bs;
		it->addr = b->addr;
		it->len = b->len;
		it->pos = b->pos;
		return;
	}
	/* The range ends with this block: the next one is out of line. */
	if (rlist_dma_iter_next(it))
		__rlist_dma_blocks_load(b);
	else
		b->iter = NULL;
}

/**
 * rlist_dma_for_each_block() - walk the list in aligned hardware blocks
 * @rd: the list
 * @blocksz: a power of two, normally from rlist_dma_find_best_blocksz()
 * @it: a struct rlist_dma_iter; @it->addr is the block's aligned address
 *
 * Inside a range, a step is a few additions on local variables, like
 * __rdma_block_iter_next() on a scatterlist.  @it stays a valid iterator
 * throughout, so the walk can also be continued with rlist_dma_iter_next().
 */
#define rlist_dma_for_each_block(rd, blocksz, it)			\
	for (struct __rlist_dma_blocks __rdb =				\
		__rlist_dma_blocks_start(it, rd, blocksz);		\
	     __rdb.iter; __rlist_dma_blocks_next(&__rdb))

#endif /* _LINUX_RLIST_H */
