/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * ioctls of the rlist benchmark (lib/rlist/rlist_bench.c), which times range
 * lists against scatterlist on the same pages in the same boot.  Shared with
 * the user driver tools/testing/rlist/rlist_bench.c.
 */
#ifndef _RLIST_BENCH_UAPI_H
#define _RLIST_BENCH_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The debugfs file, under the debugfs mount point. */
#define RLIST_BENCH_FILE		"rlist_bench"

/* Most timed repetitions of one run. */
#define RLIST_BENCH_MAX_REPS		15
/* Most bytes of one run, kernel pages or user memory */
#define RLIST_BENCH_MAX_BYTES		(4ULL << 30)

/* struct rlist_bench_run input: how the kernel builds the page array */
#define RLIST_BENCH_INPUT_4K		0	/* scattered 4 KiB pages */
#define RLIST_BENCH_INPUT_FOLIO		1	/* 2 MiB (order-9) folios */
#define RLIST_BENCH_INPUT_MIXED		2	/* folios and pages, alternating */
#define RLIST_BENCH_NR_INPUTS		3

/* Timed stages; PIPELINE is the only stage of a run on a user buffer. */
#define RLIST_BENCH_BUILD		0	/* list from the page array */
#define RLIST_BENCH_MAP			1	/* map for the device */
#define RLIST_BENCH_BLOCKS		2	/* walk 4 KiB HW blocks */
#define RLIST_BENCH_SYNC		3	/* sync for CPU, then device */
#define RLIST_BENCH_UNMAP		4
#define RLIST_BENCH_FREE		5
#define RLIST_BENCH_PIPELINE		6	/* pin, list, map, blocks, unmap, unpin */
#define RLIST_BENCH_NR_STAGES		7

/* Sides */
#define RLIST_BENCH_SG			0
#define RLIST_BENCH_RLIST		1

/* Counters, per side and stage, counted in one untimed repetition */
#define RLIST_BENCH_ALLOCS		0	/* slab and page allocator calls */
#define RLIST_BENCH_STEPS		1	/* sg_next() / rlist_iter_next() calls */
#define RLIST_BENCH_IOTLB		2	/* intel-iommu IOTLB syncs and flushes */
#define RLIST_BENCH_NR_COUNTERS		3
/* A counter whose probe could not be registered */
#define RLIST_BENCH_NO_COUNT		(~0ULL)

/* struct rlist_bench_run check and failed bits: what was verified against the pages */
#define RLIST_BENCH_CHECK_BLOCKS	0x1U	/* both sides: one block per page */
#define RLIST_BENCH_CHECK_ADDRS		0x2U	/* block addresses == page addresses */

/**
 * struct rlist_bench_run - one measurement: both sides, every stage
 * @input: RLIST_BENCH_INPUT_*, for a run on kernel pages (@uaddr 0)
 * @reps: timed repetitions, 1 to RLIST_BENCH_MAX_REPS
 * @bytes: size of the input (a multiple of the page size)
 * @uaddr: 0: the kernel allocates the pages and times stages BUILD to FREE;
 *	else a user buffer of @bytes, on which stage PIPELINE is timed
 * @npages: out: pages of the input
 * @nranges: out: physically contiguous ranges of the input, counted on the
 *	page array (or the pinned pages) by the bench itself
 * @expected_ranges: out: what @input should give (0 for a user buffer)
 * @sg_nents: out: CPU entries of the sg_table (orig_nents)
 * @sg_dma_nents: out: DMA entries of the sg_table (nents)
 * @rl_entries: out: entries of the rlist_cpu's storage
 * @rl_dma_entries: out: entries of the rlist_dma (0 in identity mode)
 * @mem: out: bytes of list memory, per side (see the header of the bench)
 * @blocks: out: 4 KiB blocks walked, per side
 * @err: out: 0 or the first error of each side (its times are then 0)
 * @check: out: RLIST_BENCH_CHECK_* checks done
 * @identity: out: 1 if dma_map_rlist() made an identity mapping
 * @failed: out: RLIST_BENCH_CHECK_* checks that failed, on either side
 * @pad: zero
 * @ns: out: nanoseconds of each repetition, per side and stage
 * @count: out: counters per side and stage, or RLIST_BENCH_NO_COUNT
 */
struct rlist_bench_run {
	__u32 input;
	__u32 reps;
	__u64 bytes;
	__u64 uaddr;
	__u64 npages;
	__u64 nranges;
	__u64 expected_ranges;
	__u64 sg_nents;
	__u64 sg_dma_nents;
	__u64 rl_entries;
	__u64 rl_dma_entries;
	__u64 mem[2];
	__u64 blocks[2];
	__s32 err[2];
	__u32 check;
	__u32 identity;
	__u32 failed;
	__u32 pad;
	__u64 ns[2][RLIST_BENCH_NR_STAGES][RLIST_BENCH_MAX_REPS];
	__u64 count[2][RLIST_BENCH_NR_STAGES][RLIST_BENCH_NR_COUNTERS];
};

/**
 * struct rlist_bench_info - the DMA device of the bench
 * @name: its dev_name()
 * @iommu: 1 if it is behind an IOMMU that translates (not identity)
 * @swiotlb: 1 if swiotlb bouncing is forced for it
 * @kprobes: 1 if the counters are available (CONFIG_KPROBES)
 * @pad: zero
 */
struct rlist_bench_info {
	char name[32];
	__u32 iommu;
	__u32 swiotlb;
	__u32 kprobes;
	__u32 pad;
};

#define RLIST_BENCH_IOC_INFO	_IOR('R', 0x80, struct rlist_bench_info)
#define RLIST_BENCH_IOC_RUN	_IOWR('R', 0x81, struct rlist_bench_run)

#endif /* _RLIST_BENCH_UAPI_H */
