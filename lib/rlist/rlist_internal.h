/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of lib/rlist shared with its KUnit tests.
 */
#ifndef _LIB_RLIST_INTERNAL_H
#define _LIB_RLIST_INTERNAL_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/gfp_types.h>
#include <linux/wordpart.h>
#include <linux/rlist.h>

/*
 * Every allocation and free of the rlist storage goes through these two, so
 * that the tests can count them and make any one of them fail.
 */
#if IS_ENABLED(CONFIG_KUNIT)
void *rlist_mem_alloc(size_t size, gfp_t gfp);
void rlist_mem_free(void **ptrs, size_t n);
#endif

struct rlist;

/* Largest run of pages, and its highest first pfn, that a RUN entry holds. */
#define RLIST_RUN_MAX_PAGES	BIT(28)
#define RLIST_RUN_MAX_PFN	U32_MAX

/*
 * rlist_preload() for entries known to need @nr_words words in all, at most
 * @max_words each (see rl_entry_words()).
 */
int __rlist_preload_words(struct rlist *rl, unsigned long nr_words,
			  unsigned int max_words, gfp_t gfp);

/*
 * The encoding of the storage (see lib/rlist/rlist.c), shared so that the
 * CPU and DMA iterators step through an rlist without a call per entry.
 */
#define RL_LONG		BIT(31)
#define RL_GENERIC	BIT(30)
#define RL_TYPE_SHIFT	28
#define RL_TYPE_MASK	(RLIST_NR_TYPES - 1)
#define RL_GEN_EXTRA	BIT(27)
#define RL_GEN_LEN64	BIT(26)
#define RL_RUN_PAGES	RLIST_RUN_MAX_PAGES	/* largest run in a RUN entry */
#define RL_PAGE_PFNS	BIT(31)	/* pfn limit of a PAGE entry */

/**
 * struct rlist_chunk - a block of encoded entries
 * @start: list position of the first byte of the first entry
 * @nr_words: words in use
 * @nr_entries: entries stored; equal to @nr_words iff all are PAGE entries
 * @words: the encoded entries
 */
struct rlist_chunk {
	u64 start;
	u32 nr_words;
	u32 nr_entries;
	u32 words[];
};

/* Chunk sizes: 256 B, 1 KiB, then 4 KiB. */
static __always_inline size_t rl_chunk_bytes(unsigned int idx)
{
	return idx >= 2 ? 4096 : 256 << (2 * idx);
}

static __always_inline unsigned int rl_chunk_cap(unsigned int idx)
{
	return (rl_chunk_bytes(idx) - sizeof(struct rlist_chunk)) / sizeof(u32);
}

/* Words of the encoding of @e. */
static __always_inline unsigned int
rl_entry_words(const struct rlist_entry *e)
{
	if (!e->extra && PAGE_ALIGNED(e->base) && PAGE_ALIGNED(e->length) &&
	    (e->base >> PAGE_SHIFT) <= RLIST_RUN_MAX_PFN &&
	    (e->length >> PAGE_SHIFT) <= RL_RUN_PAGES) {
		if (!e->type && e->length == PAGE_SIZE &&
		    (e->base >> PAGE_SHIFT) < RL_PAGE_PFNS)
			return 1;
		return 2;
	}
	return 4 + (e->length > U32_MAX) + !!e->extra;
}

/* Encode @e in its @nw words at @w. */
static __always_inline void rl_encode(u32 *w, const struct rlist_entry *e,
				      unsigned int nw)
{
	u32 type = (u32)e->type << RL_TYPE_SHIFT;
	unsigned int i = 4;

	switch (nw) {
	case 1:
		w[0] = e->base >> PAGE_SHIFT;
		return;
	case 2:
		w[0] = RL_LONG | type | ((e->length >> PAGE_SHIFT) - 1);
		w[1] = e->base >> PAGE_SHIFT;
		return;
	}
	w[0] = RL_LONG | RL_GENERIC | type;
	w[1] = lower_32_bits(e->base);
	w[2] = upper_32_bits(e->base);
	w[3] = lower_32_bits(e->length);
	if (e->length > U32_MAX) {
		w[0] |= RL_GEN_LEN64;
		w[i++] = upper_32_bits(e->length);
	}
	if (e->extra) {
		w[0] |= RL_GEN_EXTRA;
		w[i] = e->extra;
	}
}

static __always_inline unsigned int
rl_decode(const u32 *w, struct rlist_entry *e)
{
	u32 w0 = w[0];
	unsigned int i = 4;

	if (!(w0 & RL_LONG)) {
		*e = (struct rlist_entry){ .base = (u64)w0 << PAGE_SHIFT,
					   .length = PAGE_SIZE };
		return 1;
	}
	e->type = (w0 >> RL_TYPE_SHIFT) & RL_TYPE_MASK;
	if (!(w0 & RL_GENERIC)) {
		e->base = (u64)w[1] << PAGE_SHIFT;
		e->length = ((u64)(w0 & (RL_RUN_PAGES - 1)) + 1) << PAGE_SHIFT;
		e->extra = 0;
		return 2;
	}
	e->base = w[1] | (u64)w[2] << 32;
	e->length = w[3];
	if (w0 & RL_GEN_LEN64)
		e->length |= (u64)w[i++] << 32;
	e->extra = 0;
	if (w0 & RL_GEN_EXTRA)
		e->extra = w[i++];
	return i;
}

/* Words and word count of chunk @idx. */
static __always_inline const u32 *
rl_words(const struct rlist *rl, unsigned int idx, unsigned int *nr_words)
{
	*nr_words = rl->__dir[idx]->nr_words;
	return rl->__dir[idx]->words;
}

/* Load the entry at (chunk, word) into the iterator; false past the end. */
static __always_inline bool rl_iter_load(struct rlist_iter *it)
{
	const struct rlist *rl = it->__rl;
	const u32 *w;
	unsigned int nw;

	if (!rl->__nr_chunks) {
		if (it->__chunk || it->__word || !rl->__nr_entries)
			goto end;
		it->__next = rl_decode(rl->__inl, &it->entry);
		return true;
	}
	while (it->__chunk < rl->__nr_chunks) {
		w = rl_words(rl, it->__chunk, &nw);
		if (it->__word < nw) {
			it->__next = it->__word +
				     rl_decode(&w[it->__word], &it->entry);
			return true;
		}
		it->__chunk++;
		it->__word = 0;
	}
end:
	it->__rl = NULL;
	return false;
}

/* Step @it to the entry after the current one; false past the end. */
static __always_inline bool rl_iter_next(struct rlist_iter *it)
{
	it->pos += it->entry.length;
	it->__word = it->__next;
	return rl_iter_load(it);
}

/*
 * Encode @e, taking @nw words (rl_entry_words()), after the last entry of
 * the last chunk.  Returns false, changing nothing, if there is no chunk or
 * no room in it.
 */
static __always_inline bool rl_add_to_last_chunk(struct rlist *rl,
						 const struct rlist_entry *e,
						 unsigned int nw)
{
	unsigned int last = rl->__nr_chunks - 1;
	struct rlist_chunk *c;
	unsigned int used;

	if (!rl->__nr_chunks)
		return false;
	c = rl->__dir[last];
	used = c->nr_words;
	if (used + nw > rl_chunk_cap(last))
		return false;
	rl_encode(&c->words[used], e, nw);
	c->nr_words = used + nw;
	c->nr_entries++;
	rl->__last = used;
	return true;
}

int __rl_append_reserved(struct rlist *rl, const struct rlist_entry *e);

/**
 * rl_append_reserved() - append an entry to room reserved for it
 * @rl: the list
 * @e: the entry, valid and not continuing the last one
 * @nw: its words, rl_entry_words(@e)
 *
 * Appends @e as a new entry without checks: the inner loop of a bulk append
 * whose entries fit the room __rlist_preload_words() reserved.  Only opening
 * a chunk is out of line (__rl_append_reserved()).
 *
 * Context: any context.
 * Return: 0, or -ENOMEM if the reservation fell short and a chunk could not
 * be had; the list is then unchanged, and the caller undoes the appends made
 * before (rl_mark(), rl_rewind()).
 */
static __always_inline int __must_check
rl_append_reserved(struct rlist *rl, const struct rlist_entry *e,
		   unsigned int nw)
{
	if (likely(rl_add_to_last_chunk(rl, e, nw))) {
		rl->__nr_entries++;
		rl->__length += e->length;
		return 0;
	}
	return __rl_append_reserved(rl, e);
}

/**
 * struct rl_mark - the end of a list, to undo the appends made after it
 * @nr_entries: number of entries
 * @length: length of the list
 * @nr_chunks: chunks in use
 * @last: word offset of the last entry
 * @chunk_words: words in use in the last chunk
 * @chunk_entries: entries of the last chunk
 * @words: the inline slot, or the last entry's words, which a merge rewrites
 */
struct rl_mark {
	unsigned long nr_entries;
	u64 length;
	unsigned int nr_chunks;
	unsigned int last;
	u32 chunk_words;
	u32 chunk_entries;
	u32 words[RLIST_MAX_ENTRY_WORDS];
};

void rl_mark(const struct rlist *rl, struct rl_mark *m);
void rl_rewind(struct rlist *rl, const struct rl_mark *m);

#endif /* _LIB_RLIST_INTERNAL_H */
