// SPDX-License-Identifier: GPL-2.0-only
/*
 * rdma_verify: prove the bytes of RDMA WRITE and READ through a user MR.
 *
 * One process, one verbs device (soft-RoCE in the e2e guest), two RC QPs
 * connected to each other over RoCEv2 (loopback).  The memory under test
 * (anonymous 4 KiB pages, physically scattered pages, THP, hugetlb,
 * hugetlbfs, or an NVMe CMB's p2pmem) is registered as one MR, possibly
 * starting at an odd offset.  For each transfer (a chunk at an offset of
 * the MR) the program:
 *
 *   1. fills the chunk of the MR with a decoy pattern through the CPU,
 *   2. RDMA WRITEs a seeded pseudo-random pattern from a source buffer
 *      into it (the MR as the remote target) and checks every byte of it
 *      through the CPU,
 *   3. RDMA READs it back into a third buffer (the MR as the remote
 *      source) and checks every byte,
 *   4. RDMA WRITEs it from the MR (as the local source) into the cleared
 *      third buffer and checks every byte.
 *
 * The pattern byte at offset i of the MR depends only on the seed and on
 * i, so chunks are independent.  It prints "# ..." lines as it goes and
 * one result line, "E2E <name> PASS|FAIL <detail>", then exits 0 if the
 * case passed, 1 if it failed, 2 on a usage error.
 *
 * Completions are polled for, as perftest does.  With --events the
 * program sleeps on a completion channel instead (and still polls once a
 * second): on the 6.12 base's rxe under QEMU, a work request then
 * sometimes never completes while both QPs stay in RTS (15 of 120 runs
 * of four small transfers in a loop in one guest), which is a problem of
 * its own; it was never seen while polling.
 *
 * With --refused ERRNO the program only registers the memory under test
 * (no QPs, no GID): the case passes if ibv_reg_mr() fails with ERRNO, for
 * memory the device must refuse (P2PDMA memory on siw).
 *
 * RDMA_VERIFY_CORRUPT=<n> in the environment flips byte n (modulo the
 * chunk length) of every source buffer after filling it: the case must
 * then fail, which shows that the checks see a wrong byte.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <infiniband/verbs.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SZ_4K		4096UL
#define SZ_2M		(2UL << 20)
#define MAX_AT		64

/* uint64_t is unsigned long on x86_64, the only target of this tool. */
#define ull unsigned long long

enum mem_kind { MEM_PAGE, MEM_SCATTER, MEM_THP, MEM_HUGETLB, MEM_HUGETLBFS,
		MEM_P2PMEM };

static const char *const mem_names[] = {
	[MEM_PAGE] = "page", [MEM_SCATTER] = "scatter", [MEM_THP] = "thp",
	[MEM_HUGETLB] = "hugetlb", [MEM_HUGETLBFS] = "hugetlbfs",
	[MEM_P2PMEM] = "p2pmem",
};

struct opts {
	const char *dev_name;
	int gid_index;
	char name[64];
	enum mem_kind mem;
	const char *path;	/* hugetlbfs mount or p2pmem allocate file */
	uint64_t size, offset, length, chunk;
	uint64_t at[MAX_AT];
	bool at_end[MAX_AT];
	int nr_at;
	uint64_t seed;
	bool corrupt;
	uint64_t corrupt_at;
	bool events;
	int wc_timeout;		/* seconds */
	int refused;		/* expected errno of ibv_reg_mr(), or 0 */
};

struct verbs {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_comp_channel *ch;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	uint8_t port;
	int gid_index;
	union ibv_gid gid;
	enum ibv_mtu mtu;
	int rd_atom;
};

static struct opts o = { .gid_index = -1, .seed = 1, .wc_timeout = 30 };
static char detail[512];

static void info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

/* Records the first failure; later ones are only printed. */
static void fail(const char *fmt, ...)
{
	char buf[sizeof(detail)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	info("FAIL: %s", buf);
	if (!detail[0])
		snprintf(detail, sizeof(detail), "%s", buf);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The pattern byte at offset @off of the MR for @seed. */
static inline uint8_t pattern_byte(uint64_t seed, uint64_t off)
{
	return splitmix64(seed ^ (off >> 3) * 0x2545f4914f6cdd1dULL) >>
		((off & 7) * 8);
}

static void fill_pattern(uint8_t *buf, uint64_t seed, uint64_t off,
			 uint64_t len)
{
	uint64_t i = 0;

	for (; i < len && ((off + i) & 7); i++)
		buf[i] = pattern_byte(seed, off + i);
	for (; i + 8 <= len; i += 8) {
		uint64_t w = splitmix64(seed ^ ((off + i) >> 3) *
					0x2545f4914f6cdd1dULL);

		memcpy(buf + i, &w, 8);	/* little-endian, as pattern_byte() */
	}
	for (; i < len; i++)
		buf[i] = pattern_byte(seed, off + i);
}

/*
 * Compares @len bytes at @buf with the pattern of MR offset @off; on a
 * mismatch records the first differing byte and the count.
 */
static bool check_pattern(const char *what, const uint8_t *buf,
			  uint64_t seed, uint64_t off, uint64_t len)
{
	uint64_t i, bad = 0, first = 0;
	uint8_t want = 0, got = 0;

	for (i = 0; i < len; i++) {
		uint8_t b = buf[i], w = pattern_byte(seed, off + i);

		if (b != w) {
			if (!bad++) {
				first = i;
				want = w;
				got = b;
			}
		}
	}
	if (bad)
		fail("%s: %llu of %llu bytes differ, first at +%llu (%#llx): want %#04x got %#04x",
		     what, (ull)bad, (ull)len, (ull)(off + first),
		     (ull)(off + first), want, got);
	return !bad;
}

/* Sizes and offsets: a sum of terms like 4G-512K+3, with K, M, G suffixes. */
static bool parse_size(const char *s, uint64_t *out)
{
	uint64_t total = 0;
	int sign = 1;

	if (!*s)
		return false;
	while (*s) {
		char *end;
		uint64_t v;

		if (!isdigit((unsigned char)*s))
			return false;
		v = strtoull(s, &end, 0);
		switch (*end) {
		case 'k': case 'K':
			v <<= 10, end++;
			break;
		case 'm': case 'M':
			v <<= 20, end++;
			break;
		case 'g': case 'G':
			v <<= 30, end++;
			break;
		}
		total += sign * v;
		if (*end == '+')
			sign = 1, end++;
		else if (*end == '-')
			sign = -1, end++;
		else if (*end)
			return false;
		s = end;
	}
	*out = total;
	return true;
}

static bool parse_at(char *list)
{
	char *tok, *save;

	o.nr_at = 0;
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o.nr_at == MAX_AT)
			return false;
		o.at_end[o.nr_at] = !strcmp(tok, "end");
		if (!o.at_end[o.nr_at] && !parse_size(tok, &o.at[o.nr_at]))
			return false;
		o.nr_at++;
	}
	return o.nr_at > 0;
}

static void print_help(FILE *f)
{
	fprintf(f,
		"usage: rdma_verify [options]\n"
		"  -d, --device NAME      verbs device (default: the first one)\n"
		"  -g, --gid-index N      GID index (default: the RoCEv2 GID of an IPv4 address)\n"
		"  -n, --name NAME        case name of the result line (default: verify_<mem>)\n"
		"  -m, --mem KIND[=PATH]  page (4 KiB pages, default), scatter (4 KiB pages in\n"
		"                         scattered physical pages), thp (MADV_HUGEPAGE, 2 MiB\n"
		"                         aligned), hugetlb (MAP_HUGETLB), hugetlbfs=MOUNT (a\n"
		"                         MAP_SHARED file there), p2pmem[=FILE] (an NVMe CMB's\n"
		"                         p2pmem/allocate, found in sysfs by default)\n"
		"  -s, --size BYTES       size of the memory (default 64K)\n"
		"  -o, --offset BYTES     the MR starts at this offset of the memory (default 0)\n"
		"  -l, --length BYTES     MR length (default: size - offset)\n"
		"  -c, --chunk BYTES      bytes per transfer (default: the MR length)\n"
		"  -a, --at LIST          MR offsets of the transfers, comma-separated, \"end\"\n"
		"                         for length - chunk (default 0)\n"
		"  -S, --seed N           pattern seed (default 1)\n"
		"  -e, --events           wait for completions on a completion channel\n"
		"                         (default: poll the CQ)\n"
		"  -t, --timeout SECONDS  give up on a work request after this (default 30)\n"
		"  -r, --refused ERRNO    only register the memory: pass if ibv_reg_mr fails\n"
		"                         with ERRNO\n"
		"BYTES: a sum like 4G-512K+3 (K, M, G suffixes).\n"
		"RDMA_VERIFY_CORRUPT=N: flip byte N of every source (the case must fail).\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "gid-index", required_argument, NULL, 'g' },
		{ "name", required_argument, NULL, 'n' },
		{ "mem", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "offset", required_argument, NULL, 'o' },
		{ "length", required_argument, NULL, 'l' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 'S' },
		{ "events", no_argument, NULL, 'e' },
		{ "timeout", required_argument, NULL, 't' },
		{ "refused", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool have_len = false, have_chunk = false;
	const char *env;
	char *eq;
	int c, i;

	o.size = 64 << 10;
	o.nr_at = 1;
	while ((c = getopt_long(argc, argv, "d:g:n:m:s:o:l:c:a:S:et:r:h", lopts,
				NULL)) != -1) {
		switch (c) {
		case 'd':
			o.dev_name = optarg;
			break;
		case 'g':
			o.gid_index = atoi(optarg);
			break;
		case 'n':
			snprintf(o.name, sizeof(o.name), "%s", optarg);
			break;
		case 'm':
			eq = strchr(optarg, '=');
			if (eq) {
				*eq = '\0';
				o.path = eq + 1;
			}
			for (i = 0; i <= MEM_P2PMEM; i++)
				if (!strcmp(optarg, mem_names[i]))
					break;
			if (i > MEM_P2PMEM)
				goto bad;
			o.mem = i;
			break;
		case 's':
			if (!parse_size(optarg, &o.size))
				goto bad;
			break;
		case 'o':
			if (!parse_size(optarg, &o.offset))
				goto bad;
			break;
		case 'l':
			if (!parse_size(optarg, &o.length))
				goto bad;
			have_len = true;
			break;
		case 'c':
			if (!parse_size(optarg, &o.chunk))
				goto bad;
			have_chunk = true;
			break;
		case 'a':
			if (!parse_at(optarg))
				goto bad;
			break;
		case 'S':
			if (!parse_size(optarg, &o.seed))
				goto bad;
			break;
		case 'e':
			o.events = true;
			break;
		case 't':
			o.wc_timeout = atoi(optarg);
			if (o.wc_timeout <= 0)
				goto bad;
			break;
		case 'r':
			o.refused = atoi(optarg);
			if (o.refused <= 0)
				goto bad;
			break;
		case 'h':
			print_help(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind != argc)
		goto bad;
	if (!o.name[0])
		snprintf(o.name, sizeof(o.name), "verify_%s", mem_names[o.mem]);
	if (o.mem == MEM_HUGETLBFS && !o.path)
		goto bad;
	if (o.offset >= o.size)
		goto bad;
	if (!have_len)
		o.length = o.size - o.offset;
	if (!o.length || o.length > o.size - o.offset)
		goto bad;
	if (!have_chunk || o.chunk > o.length)
		o.chunk = o.length;
	if (!o.chunk)
		goto bad;
	for (i = 0; i < o.nr_at; i++) {
		if (o.at_end[i])
			o.at[i] = o.length - o.chunk;
		if (o.at[i] > o.length - o.chunk)
			goto bad;
	}
	env = getenv("RDMA_VERIFY_CORRUPT");
	if (env && *env) {
		if (!parse_size(env, &o.corrupt_at))
			goto bad;
		o.corrupt = true;
	}
	return 0;
bad:
	print_help(stderr);
	return -1;
}

/* The allocate file of the first PCI device that publishes p2pmem. */
static int find_p2pmem(char *path, size_t len)
{
	const char *dir = "/sys/bus/pci/devices";
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, len, "%s/%s/p2pmem/allocate", dir, de->d_name);
		if (!access(path, F_OK)) {
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

static uint64_t pfn_of(int pagemap, const void *addr)
{
	uint64_t ent;

	if (pread(pagemap, &ent, 8, (uintptr_t)addr / SZ_4K * 8) != 8)
		return 0;
	return (ent & (1ULL << 63)) ? ent & ((1ULL << 55) - 1) : 0;
}

/*
 * Faults the pages of @buf in, interleaved in reverse order with the
 * pages of a spacer mapping that is then unmapped, so that no two
 * neighbours are physically contiguous; checks that with pagemap.
 */
static int scatter_pages(uint8_t *buf, uint64_t size)
{
	uint64_t n = size / SZ_4K, i, contig = 0;
	uint8_t *spacer;
	int pm;

	spacer = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (spacer == MAP_FAILED)
		return -1;
	madvise(spacer, size, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++) {
		buf[(n - 1 - i) * SZ_4K] = 1;
		spacer[i * SZ_4K] = 1;
	}
	munmap(spacer, size);

	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		return 0;
	for (i = 1; i < n; i++) {
		uint64_t a = pfn_of(pm, buf + (i - 1) * SZ_4K);
		uint64_t b = pfn_of(pm, buf + i * SZ_4K);

		if (a && b == a + 1)
			contig++;
	}
	close(pm);
	info("scatter: %lu pages, %lu physically contiguous with the previous one",
	     n, contig);
	if (contig > n / 4) {
		fail("scatter: %lu of %lu pages are contiguous: not scattered",
		     contig, n);
		return -1;
	}
	return 0;
}

/* AnonHugePages of the mapping that holds @addr, in KiB (-1: unknown). */
static long anon_huge_kb(const void *addr)
{
	unsigned long start, end, a = (uintptr_t)addr;
	bool in = false;
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = a >= start && a < end;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Maps the memory under test; returns its start or NULL. */
static uint8_t *map_memory(void)
{
	int prot = PROT_READ | PROT_WRITE;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	char path[512];
	uint8_t *p;
	int fd;

	switch (o.mem) {
	case MEM_PAGE:
	case MEM_SCATTER:
		p = mmap(NULL, o.size, prot, flags, -1, 0);
		if (p == MAP_FAILED)
			break;
		if (madvise(p, o.size, MADV_NOHUGEPAGE))
			fail("madvise(MADV_NOHUGEPAGE): %s (errno %d)",
			     strerror(errno), errno);
		if (o.mem == MEM_SCATTER && scatter_pages(p, o.size))
			return NULL;
		return p;
	case MEM_THP:
		p = mmap(NULL, o.size + SZ_2M, prot, flags, -1, 0);
		if (p == MAP_FAILED)
			break;
		p = (uint8_t *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
		if (madvise(p, o.size, MADV_HUGEPAGE)) {
			fail("madvise(MADV_HUGEPAGE): %s (errno %d)",
			     strerror(errno), errno);
			return NULL;
		}
		return p;
	case MEM_HUGETLB:
		p = mmap(NULL, o.size, prot, flags | MAP_HUGETLB, -1, 0);
		if (p == MAP_FAILED)
			break;
		return p;
	case MEM_HUGETLBFS:
		snprintf(path, sizeof(path), "%s/rdma_verify.%d", o.path,
			 getpid());
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0) {
			fail("open %s: %s (errno %d)", path, strerror(errno),
			     errno);
			return NULL;
		}
		unlink(path);
		if (ftruncate(fd, o.size)) {
			fail("ftruncate %s: %s (errno %d)", path,
			     strerror(errno), errno);
			close(fd);
			return NULL;
		}
		p = mmap(NULL, o.size, prot, MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED)
			break;
		return p;
	case MEM_P2PMEM:
		if (!o.path) {
			if (find_p2pmem(path, sizeof(path))) {
				fail("no /sys/bus/pci/devices/*/p2pmem/allocate");
				return NULL;
			}
			o.path = strdup(path);
		}
		info("p2pmem: %s", o.path);
		fd = open(o.path, O_RDWR);
		if (fd < 0) {
			fail("open %s: %s (errno %d)", o.path, strerror(errno),
			     errno);
			return NULL;
		}
		p = mmap(NULL, o.size, prot, MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED)
			break;
		return p;
	}
	fail("mmap of %lu bytes of %s memory: %s (errno %d)", o.size,
	     mem_names[o.mem], strerror(errno), errno);
	return NULL;
}

static int find_gid(struct verbs *v)
{
	struct ibv_port_attr pa;
	struct ibv_gid_entry e;
	int i;

	if (ibv_query_port(v->ctx, v->port, &pa))
		return -1;
	v->mtu = pa.active_mtu;
	if (o.gid_index >= 0) {
		v->gid_index = o.gid_index;
		return ibv_query_gid(v->ctx, v->port, v->gid_index, &v->gid);
	}
	for (i = 0; i < pa.gid_tbl_len; i++) {
		if (ibv_query_gid_ex(v->ctx, v->port, i, &e, 0))
			continue;
		/* IPv4-mapped: ::ffff:a.b.c.d */
		if (e.gid_type != IBV_GID_TYPE_ROCE_V2 ||
		    e.gid.global.subnet_prefix ||
		    memcmp(e.gid.raw + 8, "\0\0\xff\xff", 4))
			continue;
		v->gid_index = i;
		v->gid = e.gid;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

static int qp_connect(struct verbs *v, struct ibv_qp *qp, uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = v->port,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
			IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = v->mtu;
	a.dest_qp_num = dest;
	a.rq_psn = 0;
	a.max_dest_rd_atomic = v->rd_atom;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = v->gid;
	a.ah_attr.grh.sgid_index = v->gid_index;
	a.ah_attr.grh.hop_limit = 64;
	a.ah_attr.port_num = v->port;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return -1;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.sq_psn = 0;
	a.max_rd_atomic = v->rd_atom;
	return ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			     IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
			     IBV_QP_SQ_PSN | IBV_QP_MAX_QP_RD_ATOMIC);
}

/* Open the device of --device (the first one by default). */
static int open_device(struct verbs *v)
{
	struct ibv_device **list;
	int i, n;

	list = ibv_get_device_list(&n);
	if (!list || !n) {
		fail("no verbs device");
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!o.dev_name || !strcmp(o.dev_name,
					   ibv_get_device_name(list[i])))
			break;
	if (i == n) {
		fail("no verbs device %s", o.dev_name);
		ibv_free_device_list(list);
		return -1;
	}
	v->ctx = ibv_open_device(list[i]);
	ibv_free_device_list(list);
	if (!v->ctx) {
		fail("ibv_open_device: %s (errno %d)", strerror(errno), errno);
		return -1;
	}
	return 0;
}

static int verbs_open(struct verbs *v)
{
	struct ibv_qp_init_attr qa = {
		.cap = { .max_send_wr = 4, .max_recv_wr = 1,
			 .max_send_sge = 1, .max_recv_sge = 1 },
		.qp_type = IBV_QPT_RC,
	};
	struct ibv_device_attr da;
	int i;

	if (open_device(v))
		return -1;
	v->port = 1;
	if (ibv_query_device(v->ctx, &da) || find_gid(v)) {
		fail("no usable port or RoCEv2 IPv4 GID: %s (errno %d)",
		     strerror(errno), errno);
		return -1;
	}
	v->rd_atom = da.max_qp_rd_atom < 16 ? da.max_qp_rd_atom : 16;
	v->pd = ibv_alloc_pd(v->ctx);
	v->ch = ibv_create_comp_channel(v->ctx);
	v->cq = v->pd && v->ch ? ibv_create_cq(v->ctx, 16, NULL, v->ch, 0) :
		NULL;
	if (!v->cq) {
		fail("PD, completion channel or CQ: %s (errno %d)",
		     strerror(errno), errno);
		return -1;
	}
	qa.send_cq = v->cq;
	qa.recv_cq = v->cq;
	for (i = 0; i < 2; i++) {
		v->qp[i] = ibv_create_qp(v->pd, &qa);
		if (!v->qp[i]) {
			fail("ibv_create_qp: %s (errno %d)", strerror(errno),
			     errno);
			return -1;
		}
	}
	if (qp_connect(v, v->qp[0], v->qp[1]->qp_num) ||
	    qp_connect(v, v->qp[1], v->qp[0]->qp_num)) {
		fail("connecting the QPs: %s (errno %d)", strerror(errno),
		     errno);
		return -1;
	}
	info("device %s port %u gid index %d mtu %d, QPs %u <-> %u",
	     ibv_get_device_name(v->ctx->device), v->port, v->gid_index,
	     128 << v->mtu, v->qp[0]->qp_num, v->qp[1]->qp_num);
	return 0;
}

/*
 * Waits for the completion of the only outstanding work request, polling
 * the CQ (yielding the CPU to rxe's workers in between), or with --events
 * sleeping on the completion channel (polling once a second as well).
 */
static int wait_wc(struct verbs *v, const char *what)
{
	double deadline = now() + o.wc_timeout;
	struct pollfd pfd = { .fd = v->ch->fd, .events = POLLIN };
	struct ibv_qp_init_attr ia;
	struct ibv_qp_attr qa[2];
	struct ibv_cq *cq;
	struct ibv_wc wc;
	void *cq_ctx;
	int n;

	for (;;) {
		n = ibv_poll_cq(v->cq, 1, &wc);
		if (n < 0) {
			fail("%s: ibv_poll_cq failed", what);
			return -1;
		}
		if (n) {
			if (wc.status != IBV_WC_SUCCESS) {
				fail("%s: completion status %s (%d)", what,
				     ibv_wc_status_str(wc.status), wc.status);
				return -1;
			}
			return 0;
		}
		if (now() > deadline)
			break;
		if (!o.events) {
			sched_yield();
			continue;
		}
		if (ibv_req_notify_cq(v->cq, 0)) {
			fail("%s: ibv_req_notify_cq failed", what);
			return -1;
		}
		if (poll(&pfd, 1, 1000) > 0 &&
		    !ibv_get_cq_event(v->ch, &cq, &cq_ctx))
			ibv_ack_cq_events(cq, 1);
	}
	memset(qa, 0, sizeof(qa));
	ibv_query_qp(v->qp[0], &qa[0], IBV_QP_STATE, &ia);
	ibv_query_qp(v->qp[1], &qa[1], IBV_QP_STATE, &ia);
	fail("%s: no completion after %d s (QP states %d and %d)", what,
	     o.wc_timeout, qa[0].qp_state, qa[1].qp_state);
	return -1;
}

/* Posts one RDMA WRITE or READ on QP 0 and waits for it. */
static int rdma_op(struct verbs *v, enum ibv_wr_opcode op, const char *what,
		   void *laddr, uint32_t lkey, uint64_t raddr, uint32_t rkey,
		   uint64_t len)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)laddr, .length = len, .lkey = lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge, .num_sge = 1, .opcode = op,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = raddr, .rkey = rkey },
	}, *bad;
	int ret;

	ret = ibv_post_send(v->qp[0], &wr, &bad);
	if (ret) {
		fail("%s: ibv_post_send: %s (%d)", what, strerror(ret), ret);
		return -1;
	}
	return wait_wc(v, what);
}

static struct ibv_mr *reg(struct verbs *v, const char *what, void *addr,
			  uint64_t len)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		IBV_ACCESS_REMOTE_READ;
	double t = now();
	struct ibv_mr *mr = ibv_reg_mr(v->pd, addr, len, access);

	if (!mr) {
		fail("ibv_reg_mr of the %s (%lu bytes at %p): %s (errno %d)",
		     what, len, addr, strerror(errno), errno);
		return NULL;
	}
	info("%s MR: %lu bytes at %p registered in %.3f s", what, len,
	     addr, now() - t);
	return mr;
}

/* One transfer at MR offset @off, steps 1 to 4 of the header comment. */
static int transfer(struct verbs *v, struct ibv_mr *mr, uint8_t *src,
		    struct ibv_mr *src_mr, uint8_t *dst, struct ibv_mr *dst_mr,
		    uint64_t off)
{
	uint8_t *t = (uint8_t *)mr->addr + off;
	uint64_t len = o.chunk;
	char what[96];
	int ok = 1;

	fill_pattern(t, ~o.seed, off, len);
	fill_pattern(src, o.seed, off, len);
	if (o.corrupt)
		src[o.corrupt_at % len] ^= 0x5a;
	memset(dst, 0, len);

	snprintf(what, sizeof(what), "WRITE into the MR at %lu", off);
	if (rdma_op(v, IBV_WR_RDMA_WRITE, what, src, src_mr->lkey,
		    (uintptr_t)t, mr->rkey, len))
		return -1;
	snprintf(what, sizeof(what), "CPU view of the MR after the WRITE at %lu",
		 off);
	ok &= check_pattern(what, t, o.seed, off, len);

	snprintf(what, sizeof(what), "READ from the MR at %lu", off);
	if (rdma_op(v, IBV_WR_RDMA_READ, what, dst, dst_mr->lkey,
		    (uintptr_t)t, mr->rkey, len))
		return -1;
	ok &= check_pattern(what, dst, o.seed, off, len);

	memset(dst, 0, len);
	snprintf(what, sizeof(what), "WRITE from the MR (local) at %lu",
		 off);
	if (rdma_op(v, IBV_WR_RDMA_WRITE, what, t, mr->lkey, (uintptr_t)dst,
		    dst_mr->rkey, len))
		return -1;
	ok &= check_pattern(what, dst, o.seed, off, len);
	return ok ? 0 : -1;
}

/* --refused: registering the memory under test must fail with o.refused. */
static int refused_case(void)
{
	int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
		IBV_ACCESS_REMOTE_READ;
	struct verbs v = { 0 };
	struct ibv_mr *mr;
	uint8_t *mem;

	if (open_device(&v))
		return -1;
	v.pd = ibv_alloc_pd(v.ctx);
	if (!v.pd) {
		fail("ibv_alloc_pd: %s (errno %d)", strerror(errno), errno);
		return -1;
	}
	mem = map_memory();
	if (!mem)
		return -1;
	/* Fault the memory in, as a user of it would have. */
	memset(mem, 0x5a, o.size);
	errno = 0;
	mr = ibv_reg_mr(v.pd, mem + o.offset, o.length, access);
	if (mr) {
		fail("ibv_reg_mr of %s memory on %s succeeded, expected errno %d",
		     mem_names[o.mem], ibv_get_device_name(v.ctx->device),
		     o.refused);
		ibv_dereg_mr(mr);
		return -1;
	}
	if (errno != o.refused) {
		fail("ibv_reg_mr of %s memory on %s: %s (errno %d), expected errno %d",
		     mem_names[o.mem], ibv_get_device_name(v.ctx->device),
		     strerror(errno), errno, o.refused);
		return -1;
	}
	printf("E2E %s PASS ibv_reg_mr of %llu bytes of %s memory on %s refused: %s (errno %d)\n",
	       o.name, (ull)o.length, mem_names[o.mem],
	       ibv_get_device_name(v.ctx->device), strerror(errno), errno);
	return 0;
}

static void *map_buf(uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int main(int argc, char **argv)
{
	struct ibv_mr *mr, *src_mr, *dst_mr;
	struct verbs v = { 0 };
	uint8_t *mem, *src, *dst;
	double t0 = now();
	uint64_t moved = 0;
	long kb;
	int i;

	if (parse_args(argc, argv))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	info("%s: %s memory, %llu B, MR at +%llu length %llu, %d transfers of %llu B, seed %llu%s",
	     o.name, mem_names[o.mem], (ull)o.size, (ull)o.offset,
	     (ull)o.length, o.nr_at, (ull)o.chunk, (ull)o.seed,
	     o.corrupt ? ", CORRUPTING the sources" : "");

	if (o.refused) {
		if (!refused_case())
			return 0;
		goto out;
	}
	if (verbs_open(&v))
		goto out;
	mem = map_memory();
	if (!mem)
		goto out;
	src = map_buf(o.chunk);
	dst = map_buf(o.chunk);
	if (!src || !dst) {
		fail("mmap of the source and third buffers: %s (errno %d)",
		     strerror(errno), errno);
		goto out;
	}
	src_mr = reg(&v, "source", src, o.chunk);
	dst_mr = src_mr ? reg(&v, "third buffer", dst, o.chunk) : NULL;
	if (!dst_mr)
		goto out;
	mr = reg(&v, "tested", mem + o.offset, o.length);
	if (!mr)
		goto out;
	if (o.mem == MEM_THP) {
		kb = anon_huge_kb(mem);
		info("AnonHugePages of the THP mapping: %ld kB", kb);
		if (kb >= 0 && (uint64_t)kb < o.size / 2 / 1024)
			fail("THP: only %ld kB of %lu in huge pages",
			     kb, o.size >> 10);
	}
	for (i = 0; i < o.nr_at; i++) {
		double t = now();

		if (transfer(&v, mr, src, src_mr, dst, dst_mr, o.at[i]))
			continue;
		moved += o.chunk;
		info("MR offset %llu length %llu: WRITE, CPU check, READ, local WRITE ok in %.3f s",
		     (ull)o.at[i], (ull)o.chunk, now() - t);
	}
	if (ibv_dereg_mr(mr))
		fail("ibv_dereg_mr: %s", strerror(errno));
out:
	if (detail[0]) {
		printf("E2E %s FAIL %s\n", o.name, detail);
		return 1;
	}
	printf("E2E %s PASS %d transfer(s), %llu bytes checked 3 times, ",
	       o.name, o.nr_at, (ull)moved);
	printf("MR %llu bytes of %s memory, %.1f s\n",
	       (ull)o.length, mem_names[o.mem], now() - t0);
	return 0;
}
