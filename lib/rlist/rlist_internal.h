/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of lib/rlist shared with its KUnit tests.
 */
#ifndef _LIB_RLIST_INTERNAL_H
#define _LIB_RLIST_INTERNAL_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/gfp_types.h>

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

/* rlist_preload() for entries known to need at most @entry_words words. */
int __rlist_preload(struct rlist *rl, unsigned long nr_entries,
		    unsigned int entry_words, gfp_t gfp);

#endif /* _LIB_RLIST_INTERNAL_H */
