// SPDX-License-Identifier: GPL-2.0-only
/*
 * Range list storage.
 *
 * Entries are variable-size sequences of 32-bit words kept in chunks.  The
 * top bits of the first word say which encoding follows:
 *
 *   encoding  first word (bit 31 first)       more words
 *   PAGE      0, pfn:31                       -
 *   RUN       1, 0, type:2, npages - 1:28     pfn:32
 *   GENERIC   1, 1, type:2, E:1, L:1, 0:26    base:64, length:32 or 64 (L),
 *                                             extra:32 (E)
 *
 * PAGE is one page of type 0 below pfn 2^31; RUN a page-aligned run of up to
 * 2^28 pages without extra below pfn 2^32; GENERIC anything else,
 * so a scattered page list costs 4 bytes per page, a run of physically
 * contiguous pages 8 bytes whatever its length up to 1 TiB, and anything else
 * 16 to 24 bytes.  An entry never straddles two chunks.
 *
 * A one-entry list keeps its entry inside struct rlist and allocates nothing.
 * Past that, chunks are listed in a directory (an array of pointers) so that:
 *  - next is O(1): decode the following word;
 *  - seek is a binary search over the chunks' start positions, then O(1)
 *    inside a chunk that holds only PAGE entries (entry = (pos - start) /
 *    PAGE_SIZE) or a walk of at most one chunk otherwise;
 *  - destroy frees the directory's chunks in one kfree_bulk() without
 *    looking at any entry.
 * The first chunks are small so that short lists stay cheap; later ones are
 * 4 KiB, of which 16 bytes are header (99.6% payload).
 */
#include <linux/rlist.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/export.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "rlist_internal.h"

/**
 * rlist_mem_alloc() - allocate storage for a range list
 * @size: bytes
 * @gfp: allocation flags
 *
 * The one allocation point of the storage (a KUnit test can redirect it).
 *
 * Return: the memory, or NULL.
 */
VISIBLE_IF_KUNIT void *rlist_mem_alloc(size_t size, gfp_t gfp)
{
	KUNIT_STATIC_STUB_REDIRECT(rlist_mem_alloc, size, gfp);
	return kmalloc(size, gfp);
}
EXPORT_SYMBOL_IF_KUNIT(rlist_mem_alloc);

/**
 * rlist_mem_free() - free storage of a range list
 * @ptrs: objects from rlist_mem_alloc()
 * @n: number of objects
 */
VISIBLE_IF_KUNIT void rlist_mem_free(void **ptrs, size_t n)
{
	KUNIT_STATIC_STUB_REDIRECT(rlist_mem_free, ptrs, n);
	kfree_bulk(n, ptrs);
}
EXPORT_SYMBOL_IF_KUNIT(rlist_mem_free);

static unsigned int rl_inline_words(const struct rlist *rl)
{
	struct rlist_entry e;

	return rl->__nr_entries ? rl_decode(rl->__inl, &e) : 0;
}

/* Make room in the directory for @n chunks. */
static int rl_dir_reserve(struct rlist *rl, unsigned int n, gfp_t gfp)
{
	struct rlist_chunk **dir;
	unsigned int size;

	if (n <= rl->__dir_size)
		return 0;
	size = max3(n, 2 * rl->__dir_size, 8U);
	dir = rlist_mem_alloc(array_size(size, sizeof(*dir)), gfp);
	if (!dir)
		return -ENOMEM;
	if (rl->__dir) {
		memcpy(dir, rl->__dir,
		       (rl->__nr_chunks + rl->__nr_spare) * sizeof(*dir));
		rlist_mem_free((void **)&rl->__dir, 1);
	}
	rl->__dir = dir;
	rl->__dir_size = size;
	return 0;
}

/*
 * Get an empty chunk to become chunk number rl->__nr_chunks: a preloaded
 * spare if there is one, else a new allocation.  Does not add it yet.
 */
static struct rlist_chunk *rl_next_chunk(struct rlist *rl, gfp_t gfp)
{
	unsigned int idx = rl->__nr_chunks;

	if (rl->__nr_spare)
		return rl->__dir[idx];
	if (rl_dir_reserve(rl, idx + 1, gfp))
		return NULL;
	return rlist_mem_alloc(rl_chunk_bytes(idx), gfp);
}

/* Add the chunk from rl_next_chunk() as the new last chunk. */
static void rl_push_chunk(struct rlist *rl, struct rlist_chunk *c, u64 start)
{
	if (rl->__nr_spare)
		rl->__nr_spare--;
	else
		rl->__dir[rl->__nr_chunks] = c;
	rl->__nr_chunks++;
	c->start = start;
	c->nr_words = 0;
	c->nr_entries = 0;
}

static int rl_check_entry(const struct rlist *rl, const struct rlist_entry *e)
{
	u64 end;

	if (rl->__flags & RLIST_F_FINISHED)
		return -EINVAL;
	if (!e->length || e->type >= RLIST_NR_TYPES)
		return -EINVAL;
	if (check_add_overflow(e->base, e->length - 1, &end) ||
	    check_add_overflow(rl->__length, e->length, &end))
		return -EOVERFLOW;
	return 0;
}

static bool rl_can_merge(const struct rlist_entry *last,
			 const struct rlist_entry *e)
{
	u64 len;

	return last->type == e->type && last->extra == e->extra &&
	       e->base && last->base + (last->length - 1) == e->base - 1 &&
	       !check_add_overflow(last->length, e->length, &len);
}

/*
 * Replace the last entry by @e (a merge).  Returns false, changing nothing,
 * if that needs a chunk that cannot be had.
 */
static bool rl_rewrite_last(struct rlist *rl, const struct rlist_entry *e,
			    gfp_t gfp)
{
	unsigned int nw = rl_entry_words(e);
	struct rlist_chunk *c, *nc;
	struct rlist_entry old;
	u64 start;

	if (!rl->__nr_chunks) {
		rl_encode(rl->__inl, e, nw);
		return true;
	}
	c = rl->__dir[rl->__nr_chunks - 1];
	rl_decode(&c->words[rl->__last], &old);
	if (rl->__last + nw <= rl_chunk_cap(rl->__nr_chunks - 1)) {
		rl_encode(&c->words[rl->__last], e, nw);
		/*
		 * nr_entries is unchanged: a PAGE grown into a RUN makes the
		 * chunk non-uniform through nr_words.
		 */
		c->nr_words = rl->__last + nw;
		return true;
	}
	/* The grown entry does not fit: move it to a new chunk. */
	nc = rl_next_chunk(rl, gfp);
	if (!nc)
		return false;
	start = rl->__length - old.length;
	c->nr_words = rl->__last;
	c->nr_entries--;
	rl_push_chunk(rl, nc, start);
	rl_encode(nc->words, e, nw);
	nc->nr_words = nw;
	nc->nr_entries = 1;
	rl->__last = 0;
	return true;
}

/* Store @e as a new entry at the end. */
static int rl_add(struct rlist *rl, const struct rlist_entry *e, gfp_t gfp)
{
	unsigned int nw = rl_entry_words(e);
	struct rlist_chunk *nc;

	if (!rl->__nr_entries) {
		rl_encode(rl->__inl, e, nw);
		rl->__last = 0;
		return 0;
	}
	if (rl_add_to_last_chunk(rl, e, nw))
		return 0;
	nc = rl_next_chunk(rl, gfp);
	if (!nc)
		return -ENOMEM;
	if (!rl->__nr_chunks) {
		/* Leave the inline slot: its entry opens chunk 0. */
		unsigned int iw = rl_inline_words(rl);

		rl_push_chunk(rl, nc, 0);
		memcpy(nc->words, rl->__inl, iw * sizeof(u32));
		nc->nr_words = iw;
		nc->nr_entries = 1;
	} else {
		rl_push_chunk(rl, nc, rl->__length);
	}
	/* Even chunk 0 holds the inline entry and a largest one. */
	WARN_ON_ONCE(!rl_add_to_last_chunk(rl, e, nw));
	return 0;
}

/**
 * rlist_append() - add a range at the end of a list
 * @rl: the list
 * @e: the range; @e->length must not be zero
 * @flags: %RLIST_APPEND_NO_MERGE to keep @e a separate entry
 * @gfp: allocation flags, used only if the preloaded room is exhausted
 *
 * Unless %RLIST_APPEND_NO_MERGE is given, a range that continues the last
 * entry (same type and extra, base right after its end) is merged into it, so
 * a run of contiguous appends costs one entry.
 *
 * Context: any context if rlist_preload() reserved room for this entry, else
 * whatever @gfp allows.
 * Return: 0; -EINVAL for a zero length, a bad type or a list that was ended
 * with rlist_append_end(); -EOVERFLOW if the range or the list's length would
 * wrap around; -ENOMEM if memory ran out.  On error the list is unchanged.
 */
int rlist_append(struct rlist *rl, const struct rlist_entry *e,
		 unsigned int flags, gfp_t gfp)
{
	struct rlist_entry last;
	int ret;

	ret = rl_check_entry(rl, e);
	if (ret)
		return ret;

	if (!(flags & RLIST_APPEND_NO_MERGE) && rlist_last(rl, &last) &&
	    rl_can_merge(&last, e)) {
		last.length += e->length;
		if (!rl_rewrite_last(rl, &last, gfp))
			return -ENOMEM;
	} else {
		ret = rl_add(rl, e, gfp);
		if (ret)
			return ret;
		rl->__nr_entries++;
	}
	rl->__length += e->length;
	return 0;
}
EXPORT_SYMBOL_GPL(rlist_append);

/**
 * __rl_append_reserved() - the slow path of rl_append_reserved()
 * @rl: the list
 * @e: the entry, which opens a new chunk (or is the first entry)
 *
 * Takes the next chunk from the reservation; should the reservation fall
 * short, allocates one without sleeping.
 *
 * Context: any context.
 * Return: 0, or -ENOMEM (the list is unchanged) if no chunk could be had.
 */
int __rl_append_reserved(struct rlist *rl, const struct rlist_entry *e)
{
	int ret = rl_add(rl, e, GFP_ATOMIC | __GFP_NOWARN);

	if (ret)
		return ret;
	rl->__nr_entries++;
	rl->__length += e->length;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(__rl_append_reserved);

/**
 * rl_mark() - record the end of a list
 * @rl: the list
 * @m: filled with what rl_rewind() needs
 *
 * Context: any context.
 */
void rl_mark(const struct rlist *rl, struct rl_mark *m)
{
	const struct rlist_chunk *c;

	m->nr_entries = rl->__nr_entries;
	m->length = rl->__length;
	m->nr_chunks = rl->__nr_chunks;
	m->last = rl->__last;
	if (!rl->__nr_chunks) {
		memcpy(m->words, rl->__inl, sizeof(m->words));
		return;
	}
	/* The last entry ends the last chunk, which is never empty. */
	c = rl->__dir[rl->__nr_chunks - 1];
	m->chunk_words = c->nr_words;
	m->chunk_entries = c->nr_entries;
	memcpy(m->words, &c->words[rl->__last],
	       (c->nr_words - rl->__last) * sizeof(u32));
}
EXPORT_SYMBOL_IF_KUNIT(rl_mark);

/**
 * rl_rewind() - undo the appends made since rl_mark()
 * @rl: the list, only appended to since @m was recorded
 * @m: from rl_mark()
 *
 * The list holds exactly what it held at rl_mark(), the last entry as it
 * was before any merge.  Chunks opened since become spare chunks again, in
 * place, for later appends, until rlist_append_end() or rlist_destroy()
 * frees them.
 *
 * Context: any context.
 */
void rl_rewind(struct rlist *rl, const struct rl_mark *m)
{
	struct rlist_chunk *c;

	rl->__nr_spare += rl->__nr_chunks - m->nr_chunks;
	rl->__nr_chunks = m->nr_chunks;
	if (m->nr_chunks) {
		c = rl->__dir[m->nr_chunks - 1];
		memcpy(&c->words[m->last], m->words,
		       (m->chunk_words - m->last) * sizeof(u32));
		c->nr_words = m->chunk_words;
		c->nr_entries = m->chunk_entries;
	} else {
		memcpy(rl->__inl, m->words, sizeof(rl->__inl));
	}
	rl->__last = m->last;
	rl->__nr_entries = m->nr_entries;
	rl->__length = m->length;
}
EXPORT_SYMBOL_IF_KUNIT(rl_rewind);

/**
 * rlist_preload() - reserve room so that appends cannot fail
 * @rl: the list
 * @nr_entries: number of rlist_append() calls to reserve for
 * @gfp: allocation flags for the reservation
 *
 * Reserves enough chunks for @nr_entries appends of the largest encoding, so
 * that they then succeed in atomic context (as GUP needs).  The reservation is
 * used up by the appends and what is left is released by rlist_append_end()
 * or rlist_destroy().
 *
 * Context: whatever @gfp allows.
 * Return: 0, or -ENOMEM (the list is unchanged but for an unused reservation,
 * which stays valid and is freed with the list).
 */
int rlist_preload(struct rlist *rl, unsigned long nr_entries, gfp_t gfp)
{
	unsigned long nr_words;

	if (check_mul_overflow(nr_entries, RLIST_MAX_ENTRY_WORDS, &nr_words))
		return -ENOMEM;
	return __rlist_preload_words(rl, nr_words, RLIST_MAX_ENTRY_WORDS, gfp);
}
EXPORT_SYMBOL_GPL(rlist_preload);

/* Words that @n more entries of at most @max_words words fit in, in chunk @idx. */
static unsigned long rl_room(unsigned int cap, unsigned int used,
			     unsigned int max_words)
{
	/* An entry never straddles two chunks: up to max_words - 1 are lost. */
	return cap - used >= max_words ? cap - used - (max_words - 1) : 0;
}

/*
 * Reserve room for entries taking @nr_words words in all, none more than
 * @max_words; rlist_preload() with the exact size of the entries to come.
 */
int __rlist_preload_words(struct rlist *rl, unsigned long nr_words,
			  unsigned int max_words, gfp_t gfp)
{
	unsigned int idx = rl->__nr_chunks + rl->__nr_spare;
	unsigned long room = 0;
	int ret;

	/* Lets tests make the reservation fall short. */
	KUNIT_STATIC_STUB_REDIRECT(__rlist_preload_words, rl, nr_words,
				   max_words, gfp);

	if (rl->__flags & RLIST_F_FINISHED)
		return -EINVAL;
	/* A merge may move the last entry to a new chunk. */
	nr_words += RLIST_MAX_ENTRY_WORDS;
	if (rl->__nr_chunks) {
		unsigned int last = rl->__nr_chunks - 1;

		room = rl_room(rl_chunk_cap(last), rl->__dir[last]->nr_words,
			       max_words);
	} else if (rl->__nr_entries) {
		/* Chunk 0 will also take the inline entry. */
		nr_words += RLIST_MAX_ENTRY_WORDS;
	}
	for (unsigned int i = rl->__nr_chunks; i < idx; i++)
		room += rl_room(rl_chunk_cap(i), 0, max_words);

	while (room < nr_words) {
		struct rlist_chunk *c;

		ret = rl_dir_reserve(rl, idx + 1, gfp);
		if (ret)
			return ret;
		c = rlist_mem_alloc(rl_chunk_bytes(idx), gfp);
		if (!c)
			return -ENOMEM;
		rl->__dir[idx++] = c;
		rl->__nr_spare++;
		room += rl_room(rl_chunk_cap(idx - 1), 0, max_words);
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(__rlist_preload_words);

static void rl_free_spares(struct rlist *rl)
{
	if (!rl->__nr_spare)
		return;
	rlist_mem_free((void **)&rl->__dir[rl->__nr_chunks], rl->__nr_spare);
	rl->__nr_spare = 0;
}

/**
 * rlist_append_end() - end appending to a list
 * @rl: the list
 *
 * Releases what rlist_preload() reserved and was not used, and the chunk
 * directory too when no chunk is left (an empty or one-entry list, whose
 * entry is kept inside struct rlist): rlist_memory() is then 0.  Further
 * appends fail with -EINVAL; the list is read-only until it is destroyed.
 *
 * Context: any context.
 */
void rlist_append_end(struct rlist *rl)
{
	rl_free_spares(rl);
	if (!rl->__nr_chunks && rl->__dir) {
		rlist_mem_free((void **)&rl->__dir, 1);
		rl->__dir = NULL;
		rl->__dir_size = 0;
	}
	rl->__flags |= RLIST_F_FINISHED;
}
EXPORT_SYMBOL_GPL(rlist_append_end);

/**
 * rlist_destroy() - free a list
 * @rl: the list
 *
 * Frees every chunk in one bulk operation, without walking the entries, and
 * leaves @rl an empty list.
 */
void rlist_destroy(struct rlist *rl)
{
	if (rl->__dir) {
		rlist_mem_free((void **)rl->__dir,
			       rl->__nr_chunks + rl->__nr_spare);
		rlist_mem_free((void **)&rl->__dir, 1);
	}
	rlist_init(rl);
}
EXPORT_SYMBOL_GPL(rlist_destroy);

/**
 * rlist_memory() - memory a list uses besides struct rlist itself
 * @rl: the list
 *
 * Context: any context.
 * Return: bytes allocated for chunks (including preloaded ones) and for the
 * chunk directory; 0 for an empty or one-entry list without a reservation
 * (never preloaded, or ended with rlist_append_end()).
 */
size_t rlist_memory(const struct rlist *rl)
{
	size_t bytes = rl->__dir_size * sizeof(*rl->__dir);
	unsigned int i;

	for (i = 0; i < rl->__nr_chunks + rl->__nr_spare; i++)
		bytes += rl_chunk_bytes(i);
	return bytes;
}
EXPORT_SYMBOL_GPL(rlist_memory);

/**
 * rlist_last() - read the last entry of a list
 * @rl: the list
 * @e: filled with the last entry
 *
 * Return: false if the list is empty (@e is then untouched).
 */
bool rlist_last(const struct rlist *rl, struct rlist_entry *e)
{
	if (!rl->__nr_entries)
		return false;
	if (!rl->__nr_chunks)
		rl_decode(rl->__inl, e);
	else
		rl_decode(&rl->__dir[rl->__nr_chunks - 1]->words[rl->__last],
			  e);
	return true;
}
EXPORT_SYMBOL_GPL(rlist_last);

/**
 * rlist_iter_first() - point an iterator at the first entry
 * @it: the iterator
 * @rl: the list
 *
 * Return: false if the list is empty.
 */
bool rlist_iter_first(struct rlist_iter *it, const struct rlist *rl)
{
	it->__rl = rl;
	it->__chunk = 0;
	it->__word = 0;
	it->pos = 0;
	return rl_iter_load(it);
}
EXPORT_SYMBOL_GPL(rlist_iter_first);

/**
 * rlist_iter_next() - move an iterator to the next entry
 * @it: the iterator, valid
 *
 * Return: false at the end of the list (the iterator is then invalid).
 */
bool rlist_iter_next(struct rlist_iter *it)
{
	return rl_iter_next(it);
}
EXPORT_SYMBOL_GPL(rlist_iter_next);

/**
 * rlist_iter_seek() - point an iterator at the entry holding a position
 * @it: the iterator
 * @rl: the list
 * @pos: byte position in the list
 *
 * A binary search over the chunks, then a direct index in a chunk of PAGE
 * entries or a walk of one chunk: O(log(chunks) + chunk size), not O(entries).
 * @it->pos is the position of the start of the entry found, which may be
 * before @pos.
 *
 * Return: false if @pos is not below rlist_length().
 */
bool rlist_iter_seek(struct rlist_iter *it, const struct rlist *rl, u64 pos)
{
	unsigned int lo = 0, hi, idx;
	const struct rlist_chunk *c;

	if (pos >= rl->__length) {
		it->__rl = NULL;
		return false;
	}
	if (!rl->__nr_chunks)
		return rlist_iter_first(it, rl);

	hi = rl->__nr_chunks;
	/* Last chunk whose start is <= pos. */
	while (hi - lo > 1) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (rl->__dir[mid]->start <= pos)
			lo = mid;
		else
			hi = mid;
	}
	idx = lo;
	c = rl->__dir[idx];
	it->__rl = rl;
	it->__chunk = idx;
	if (c->nr_entries == c->nr_words) {
		/* Only PAGE entries: index directly. */
		it->__word = (pos - c->start) >> PAGE_SHIFT;
		it->pos = c->start + ((u64)it->__word << PAGE_SHIFT);
		return rl_iter_load(it);
	}
	it->__word = 0;
	it->pos = c->start;
	rl_iter_load(it);
	while (pos - it->pos >= it->entry.length)
		rlist_iter_next(it);
	return true;
}
EXPORT_SYMBOL_GPL(rlist_iter_seek);
