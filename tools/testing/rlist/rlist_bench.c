// SPDX-License-Identifier: GPL-2.0-only
/*
 * User driver of the rlist benchmark (lib/rlist/rlist_bench.c, make bench):
 * runs every input x size on kernel pages (stages build to free) and on a
 * user buffer (the ib_umem pipeline) through /sys/kernel/debug/rlist_bench,
 * and prints one table per DMA path with the medians of both sides, the
 * ratio rlist/sg, a noise flag and the counted figures.  Lines starting
 * with "DATA " are for the chart (harness/bench.sh collects them).
 *
 * Built static with the host gcc; runs as /init of a QEMU initramfs or of a
 * UML hostfs root (then mounts what it needs and powers off at the end).
 *
 * Usage: rlist_bench [-p path] [-s 1M,64M,1G] [-r reps_small] [-R reps_1G]
 *	[-i 4k,folio,mixed] [-n (no pipeline)] [-P max_pipeline_size]
 * As init, the options come after "--" on the kernel command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>

#include "../../../lib/rlist/rlist_bench_uapi.h"

#define DEBUGFS		"/sys/kernel/debug"
#define SZ_2M		(2UL << 20)

static const char * const input_names[] = { "4k", "folio", "mixed" };
static const char * const stage_names[] = {
	"build", "map", "blocks", "sync", "unmap", "free", "pipeline",
};

static const char *path_name = "?";
static unsigned int reps_small = 11, reps_big = 5;
static int fd = -1;
static int failures;
static uint64_t pipeline_max = ~0ULL;

struct stat3 {
	double med, min, max;	/* ns per page */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static struct stat3 stats(const __u64 *ns, unsigned int n, uint64_t pages)
{
	uint64_t v[RLIST_BENCH_MAX_REPS];
	struct stat3 s;

	memcpy(v, ns, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_u64);
	s.med = (n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0) / pages;
	s.min = (double)v[0] / pages;
	s.max = (double)v[n - 1] / pages;
	return s;
}

static const char *size_str(uint64_t bytes)
{
	static char buf[32];

	if (bytes >= 1UL << 30 && !(bytes % (1UL << 30)))
		snprintf(buf, sizeof(buf), "%luG", (unsigned long)(bytes >> 30));
	else
		snprintf(buf, sizeof(buf), "%luM", (unsigned long)(bytes >> 20));
	return buf;
}

static void count_str(char *buf, size_t len, uint64_t c, double per)
{
	if (c == RLIST_BENCH_NO_COUNT)
		snprintf(buf, len, "-");
	else if (per > 0)
		snprintf(buf, len, "%.2f", c / per);
	else
		snprintf(buf, len, "%llu", (unsigned long long)c);
}

static void print_header(const struct rlist_bench_info *info)
{
	printf("# rlist_bench: path %s, device %s (iommu %u, swiotlb forced %u, counters %s)\n",
	       path_name, info->name, info->iommu, info->swiotlb,
	       info->kprobes ? "on" : "off (no kprobes)");
	printf("# ns/page: median of the timed repetitions (min..max), per 4 KiB page;\n"
	       "#   ratio = rlist/sg,\n"
	       "#   \"~\" when the min..max ranges of the two sides overlap (inside the noise); \"-\" when both\n"
	       "#   sides together take less than 1 us for the whole list (nothing to compare).\n"
	       "# B/page: list memory after the map / pages (sg: sg_append_table + chain chunks as allocated;\n"
	       "#   rlist: struct rlist_cpu + struct rlist_dma + rlist_memory() of both; pipeline: + the page of page pointers).\n"
	       "# allocs, steps, iotlb: counted in one untimed repetition with kprobes on the bench task:\n"
	       "#   allocs = slab/page allocator entry calls (nested ones not counted again) during the stage;\n"
	       "#   passes = steps / list entries, steps = sg_next() calls (sg, entries = orig_nents) or\n"
	       "#   rlist_cpu_iter_next() + rlist_iter_next() calls (rlist, entries = stored CPU entries);\n"
	       "#   iotlb = intel-iommu iotlb_sync_map + iotlb_sync + flush_iotlb_all calls.\n"
	       "# Reps: %u (%u for 1 GiB and more), one counting rep before them; sides alternate which goes first.\n"
	       "# Under QEMU the ns are emulated: see the QEMU clock line above.\n",
	       reps_small, reps_big);
	printf("%-6s %-5s %-8s %22s %22s %7s | %8s %8s | %7s %7s | %7s %7s | %6s %6s\n",
	       "input", "size", "stage", "sg ns/page", "rlist ns/page", "ratio",
	       "sg B/pg", "rl B/pg", "sg allc", "rl allc", "sg pass",
	       "rl pass", "sg tlb", "rl tlb");
}

static void report(const struct rlist_bench_run *r, unsigned int first,
		   unsigned int last)
{
	unsigned int st, reps = r->reps;

	printf("# %s %s%s: %llu pages, %llu ranges (expected %llu), ",
	       input_names[r->input], size_str(r->bytes),
	       r->uaddr ? " pipeline" : "",
	       (unsigned long long)r->npages, (unsigned long long)r->nranges,
	       (unsigned long long)r->expected_ranges);
	printf("sg %llu/%llu entries (cpu/dma), rlist %llu/%llu entries%s, ",
	       (unsigned long long)r->sg_nents,
	       (unsigned long long)r->sg_dma_nents,
	       (unsigned long long)r->rl_entries,
	       (unsigned long long)r->rl_dma_entries,
	       r->identity ? " (identity)" : "");
	printf("blocks %llu/%llu, checks %s%s\n",
	       (unsigned long long)r->blocks[0],
	       (unsigned long long)r->blocks[1],
	       r->check & RLIST_BENCH_CHECK_BLOCKS ? "blocks" : "",
	       r->check & RLIST_BENCH_CHECK_ADDRS ? "+addrs" : "");
	if (r->failed) {
		printf("not ok: %s %s%s: %s%s differ from the pages\n",
		       input_names[r->input], size_str(r->bytes),
		       r->uaddr ? " pipeline" : "",
		       r->failed & RLIST_BENCH_CHECK_BLOCKS ? "block counts " : "",
		       r->failed & RLIST_BENCH_CHECK_ADDRS ? "block addresses" : "");
		failures++;
	}
	if (r->err[0] || r->err[1])
		printf("# %s %s%s: errors: sg %d, rlist %d\n",
		       input_names[r->input], size_str(r->bytes),
		       r->uaddr ? " pipeline" : "", r->err[0], r->err[1]);
	/* The sg side may fail where 6.12 fails; rlist must not. */
	if (r->err[1]) {
		printf("not ok: %s %s%s: rlist side failed\n",
		       input_names[r->input], size_str(r->bytes),
		       r->uaddr ? " pipeline" : "");
		failures++;
	}
	if (!r->uaddr && r->expected_ranges != r->nranges) {
		printf("not ok: %s %s: %llu ranges, expected %llu\n",
		       input_names[r->input], size_str(r->bytes),
		       (unsigned long long)r->nranges,
		       (unsigned long long)r->expected_ranges);
		failures++;
	}
	for (st = first; st <= last; st++) {
		struct stat3 s[2];
		char c[6][24];
		char sgs[32], rls[32], ratio[16];
		double rat = -1;
		int noise = 0, side;

		for (side = 0; side < 2; side++) {
			if (r->err[side])
				continue;
			s[side] = stats(r->ns[side][st], reps, r->npages);
		}
		if (r->err[0])
			snprintf(sgs, sizeof(sgs), "error %d", r->err[0]);
		else
			snprintf(sgs, sizeof(sgs), "%.2f (%.2f..%.2f)",
				 s[0].med, s[0].min, s[0].max);
		if (r->err[1])
			snprintf(rls, sizeof(rls), "error %d", r->err[1]);
		else
			snprintf(rls, sizeof(rls), "%.2f (%.2f..%.2f)",
				 s[1].med, s[1].min, s[1].max);
		/* Below 1 us for the whole list, there is nothing to compare. */
		if (!r->err[0] && !r->err[1] && s[0].med > 0 &&
		    (s[0].med + s[1].med) * r->npages >= 1000) {
			rat = s[1].med / s[0].med;
			noise = s[0].min <= s[1].max && s[1].min <= s[0].max;
			snprintf(ratio, sizeof(ratio), "%s%.3f",
				 noise ? "~" : " ", rat);
		} else {
			snprintf(ratio, sizeof(ratio), "-");
		}
		count_str(c[0], 24, r->count[0][st][RLIST_BENCH_ALLOCS], 0);
		count_str(c[1], 24, r->count[1][st][RLIST_BENCH_ALLOCS], 0);
		count_str(c[2], 24, r->count[0][st][RLIST_BENCH_STEPS],
			  r->sg_nents ? (double)r->sg_nents : 1);
		count_str(c[3], 24, r->count[1][st][RLIST_BENCH_STEPS],
			  r->rl_entries ? (double)r->rl_entries : 1);
		count_str(c[4], 24, r->count[0][st][RLIST_BENCH_IOTLB], 0);
		count_str(c[5], 24, r->count[1][st][RLIST_BENCH_IOTLB], 0);
		printf("%-6s %-5s %-8s %22s %22s %7s | %8.2f %8.2f | %7s %7s | %7s %7s | %6s %6s\n",
		       input_names[r->input], size_str(r->bytes),
		       stage_names[st], sgs, rls, ratio,
		       (double)r->mem[0] / r->npages,
		       (double)r->mem[1] / r->npages, c[0], c[1], c[2], c[3],
		       c[4], c[5]);
		if (st == RLIST_BENCH_MAP || st == RLIST_BENCH_PIPELINE)
			printf("# %s %s %s, whole list (median): sg %.1f us, rlist %.1f us\n",
			       input_names[r->input], size_str(r->bytes),
			       stage_names[st],
			       r->err[0] ? -1.0 : s[0].med * r->npages / 1000,
			       r->err[1] ? -1.0 : s[1].med * r->npages / 1000);
		printf("DATA %s %s %s %s %.3f %.3f %.4f %d %.3f %.3f\n",
		       path_name, input_names[r->input], size_str(r->bytes),
		       stage_names[st], r->err[0] ? -1.0 : s[0].med,
		       r->err[1] ? -1.0 : s[1].med, rat, noise,
		       (double)r->mem[0] / r->npages,
		       (double)r->mem[1] / r->npages);
	}
	fflush(stdout);
}

/* A user buffer laid out for @input: 4 KiB pages, THP, or both in turn. */
static void *user_buffer(unsigned int input, uint64_t bytes, void **map,
			 size_t *maplen)
{
	uint64_t off;
	char *p;

	*maplen = bytes + SZ_2M;
	*map = mmap(NULL, *maplen, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*map == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)*map + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(p, bytes, MADV_NOHUGEPAGE);
	for (off = 0; off < bytes; off += SZ_2M) {
		int thp = input == RLIST_BENCH_INPUT_FOLIO ||
			  (input == RLIST_BENCH_INPUT_MIXED &&
			   !((off / SZ_2M) & 1));

		if (thp && bytes - off >= SZ_2M)
			madvise(p + off, SZ_2M, MADV_HUGEPAGE);
	}
	for (off = 0; off < bytes; off += 4096)
		p[off] = (char)off;
	return p;
}

static void run_one(unsigned int input, uint64_t bytes, int pipeline)
{
	struct rlist_bench_run *r = calloc(1, sizeof(*r));
	void *map = NULL;
	size_t maplen = 0;

	r->input = input;
	r->bytes = bytes;
	r->reps = bytes >= (1UL << 30) ? reps_big : reps_small;
	if (pipeline) {
		void *p = user_buffer(input, bytes, &map, &maplen);

		if (!p) {
			printf("not ok: mmap of %s failed: %s\n",
			       size_str(bytes), strerror(errno));
			failures++;
			free(r);
			return;
		}
		r->uaddr = (uintptr_t)p;
	}
	if (ioctl(fd, RLIST_BENCH_IOC_RUN, r)) {
		printf("not ok: %s %s%s: %s\n", input_names[input],
		       size_str(bytes), pipeline ? " pipeline" : "",
		       strerror(errno));
		failures++;
	} else {
		report(r, pipeline ? RLIST_BENCH_PIPELINE : RLIST_BENCH_BUILD,
		       pipeline ? RLIST_BENCH_PIPELINE : RLIST_BENCH_FREE);
	}
	if (map)
		munmap(map, maplen);
	free(r);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'G': case 'g':
		return v << 30;
	case 'M': case 'm':
		return v << 20;
	case 'K': case 'k':
		return v << 10;
	default:
		return v;
	}
}

int main(int argc, char **argv)
{
	uint64_t sizes[8];
	unsigned int nsizes = 0, inputs = 7, i, in;
	char *sizestr = strdup("1M,64M,1G"), *tok, *save;
	struct rlist_bench_info info;
	int opt, pipeline = 1, init = getpid() == 1;

	while ((opt = getopt(argc, argv, "p:s:r:R:i:nP:")) != -1) {
		switch (opt) {
		case 'p':
			path_name = optarg;
			break;
		case 's':
			sizestr = optarg;
			break;
		case 'r':
			reps_small = atoi(optarg);
			break;
		case 'R':
			reps_big = atoi(optarg);
			break;
		case 'i':
			inputs = 0;
			for (i = 0; i < 3; i++)
				if (strstr(optarg, input_names[i]))
					inputs |= 1U << i;
			break;
		case 'n':
			pipeline = 0;
			break;
		case 'P':
			pipeline_max = parse_size(optarg);
			break;
		default:
			fprintf(stderr, "usage: see the header of %s\n", __FILE__);
			return 2;
		}
	}
	for (tok = strtok_r(sizestr, ",", &save); tok && nsizes < 8;
	     tok = strtok_r(NULL, ",", &save))
		sizes[nsizes++] = parse_size(tok);

	if (init) {
		mkdir("/proc", 0755);
		mkdir("/sys", 0755);
		mount("proc", "/proc", "proc", 0, NULL);
		mount("sysfs", "/sys", "sysfs", 0, NULL);
	}
	mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	fd = open(DEBUGFS "/" RLIST_BENCH_FILE, O_RDWR);
	if (fd < 0 || ioctl(fd, RLIST_BENCH_IOC_INFO, &info)) {
		printf("not ok: %s/%s: %s\n", DEBUGFS, RLIST_BENCH_FILE,
		       strerror(errno));
		failures++;
		goto out;
	}
	print_header(&info);
	for (in = 0; in < 3; in++)
		for (i = 0; i < nsizes; i++)
			if (inputs & (1U << in))
				run_one(in, sizes[i], 0);
	for (in = 0; pipeline && in < 3; in++)
		for (i = 0; i < nsizes; i++)
			if ((inputs & (1U << in)) && sizes[i] <= pipeline_max)
				run_one(in, sizes[i], 1);
out:
	printf("# rlist_bench: %s: %s\n", path_name,
	       failures ? "FAILED" : "done");
	fflush(stdout);
	if (init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return failures ? 1 : 0;
}
