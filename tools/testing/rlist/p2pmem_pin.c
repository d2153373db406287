// SPDX-License-Identifier: GPL-2.0-only
/*
 * p2pmem_pin: pin userspace P2PDMA memory long-term into a range list.
 *
 * Runs as /init of a QEMU guest (x86_64, TCG) with an NVMe device whose CMB
 * the nvme driver publishes as P2PDMA memory, and a kernel with
 * CONFIG_RLIST_PIN_TEST (lib/rlist/rlist_pin_test.c).  It mmaps the CMB
 * through the device's p2pmem "allocate" file, as an RDMA application
 * registering P2P memory would, and through the test driver pins it with
 * rlist_cpu_pin_user():
 *
 * - without FOLL_PCI_P2PDMA the pin fails with -EREMOTEIO;
 * - FOLL_LONGTERM | FOLL_WRITE | FOLL_PCI_P2PDMA succeeds, every page is a
 *   P2PDMA page and holds what was written through the mapping;
 * - a writable long-term pin of a dirty-tracked MAP_SHARED file mapping
 *   (ramfs) is still refused with -EFAULT; read-only long-term and
 *   short-term writable pins of it are allowed;
 * - unbinding the nvme driver while the CMB is pinned zaps the user mapping
 *   and waits for the pin; the pinned pages stay readable meanwhile; the
 *   unbind ends once they are unpinned, and a rebind publishes the CMB
 *   again.
 *
 * Output: TAP-like "ok N name" / "not ok N name" lines, "# " diagnostics,
 * a plan and a summary; then the guest powers off.
 *
 * A kernel argument RLIST_P2PMEM_MUTATE=p2pdma (passed to init in its
 * environment) makes the EREMOTEIO test pin with FOLL_PCI_P2PDMA, to check
 * that the test can fail.
 *
 * Build: gcc -static -O2 -Wall -o p2pmem_pin p2pmem_pin.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../lib/rlist/rlist_pin_test_uapi.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NPAGES		4
#define DEBUGFS		"/sys/kernel/debug"
#define NVME_DRV	"/sys/bus/pci/drivers/nvme"
#define RAMFS		"/mnt"
/* Seconds to wait for the nvme driver to publish its CMB (TCG is slow). */
#define PUBLISH_TIMEOUT	120
/* Seconds an unbind may take once the pin is gone. */
#define UNBIND_TIMEOUT	60

static int tests, failures;
static long page_size;

/*
 * Print @prefix and the formatted line in one write, so that lines do not
 * mix with the kernel's.
 */
static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	n = snprintf(buf, sizeof(buf), "%s", prefix);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, n) < 0)
		return;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

static bool result(bool ok, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	tests++;
	if (!ok)
		failures++;
	snprintf(prefix, sizeof(prefix), "%sok %d ", ok ? "" : "not ", tests);
	va_start(ap, fmt);
	vline(prefix, fmt, ap);
	va_end(ap);
	return ok;
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* Not reached; the kernel panics when init exits (panic=-1). */
	exit(1);
}

static void bail_out(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	result(false, "%s", buf);
	printf("Bail out! %s\n", buf);
	printf("# p2pmem_pin: %d tests, %d passed, %d failed\n", tests,
	       tests - failures, failures);
	fflush(stdout);
	power_off();
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool exists(const char *path)
{
	struct stat st;

	return !stat(path, &st);
}

static int write_file(const char *path, const char *s)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

static void mount_fs(const char *src, const char *dir, const char *type)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, 0, NULL) && errno != EBUSY)
		bail_out("mount %s on %s: %s", type, dir, strerror(errno));
}

/* The BDF of a device bound to nvme with a p2pmem allocator file. */
static bool find_nvme_p2pmem(char *bdf, size_t size)
{
	char path[512];
	struct dirent *de;
	bool found = false;
	DIR *d;

	d = opendir(NVME_DRV);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (strncmp(de->d_name, "0000:", 5))
			continue;
		snprintf(path, sizeof(path), NVME_DRV "/%s/p2pmem/allocate",
			 de->d_name);
		if (exists(path) && strlen(de->d_name) < size) {
			memcpy(bdf, de->d_name, strlen(de->d_name) + 1);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static bool wait_for_p2pmem(const char *bdf, double timeout)
{
	char path[256];
	double end = now() + timeout;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate",
		 bdf);
	while (!exists(path)) {
		if (now() > end)
			return false;
		msleep(100);
	}
	return true;
}

static unsigned char *map_p2pmem(const char *bdf, size_t len)
{
	char path[256];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate",
		 bdf);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		diag("open %s: %s", path, strerror(errno));
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		diag("mmap %s: %s", path, strerror(errno));
		return NULL;
	}
	return p;
}

static void fill(unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(i * 7 + seed + i / page_size);
}

static bool check(const unsigned char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != (unsigned char)(i * 7 + seed + i / page_size)) {
			diag("byte %zu is %#x, expected %#x", i, p[i],
			     (unsigned char)(i * 7 + seed + i / page_size));
			return false;
		}
	}
	return true;
}

static int open_pin(void)
{
	int fd = open(DEBUGFS "/" RLIST_PIN_TEST_FILE, O_RDWR);

	if (fd < 0)
		bail_out("open " DEBUGFS "/" RLIST_PIN_TEST_FILE ": %s",
			 strerror(errno));
	return fd;
}

/* Pin through the test driver; returns 0 or the errno of the pin. */
static int pin(int fd, const void *addr, size_t len, unsigned int flags)
{
	struct rlist_pin_test_pin arg = {
		.addr = (uintptr_t)addr,
		.len = len,
		.flags = flags,
	};

	return ioctl(fd, RLIST_PIN_TEST_IOC_PIN, &arg) ? errno : 0;
}

static int unpin(int fd)
{
	return ioctl(fd, RLIST_PIN_TEST_IOC_UNPIN) ? errno : 0;
}

static bool info(int fd, struct rlist_pin_test_info *inf)
{
	if (ioctl(fd, RLIST_PIN_TEST_IOC_INFO, inf)) {
		diag("INFO: %s", strerror(errno));
		return false;
	}
	diag("pinned: %llu bytes, %llu pages, %llu ranges, %llu P2PDMA pages",
	     (unsigned long long)inf->bytes,
	     (unsigned long long)inf->nr_pages,
	     (unsigned long long)inf->nr_ranges,
	     (unsigned long long)inf->nr_p2p_pages);
	diag("pinned: first byte at offset %llu of its page, may_p2p %u",
	     (unsigned long long)inf->first_offset, inf->may_p2p);
	return true;
}

static int read_pinned(int fd, void *buf, size_t len)
{
	struct rlist_pin_test_read arg = {
		.offset = 0,
		.len = len,
		.buf = (uintptr_t)buf,
	};

	return ioctl(fd, RLIST_PIN_TEST_IOC_READ, &arg) ? errno : 0;
}

static const char *errname(int err)
{
	switch (err) {
	case 0: return "0";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EREMOTEIO: return "EREMOTEIO";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	default: return strerror(err);
	}
}

/* Does touching the byte at @p kill a child with SIGBUS? */
static bool access_sigbus(const unsigned char *p)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return false;
	if (!pid)
		_exit(*p == 0x5a ? 2 : 3);
	if (waitpid(pid, &status, 0) != pid)
		return false;
	if (WIFSIGNALED(status))
		diag("access: child killed by signal %d", WTERMSIG(status));
	else
		diag("access: child exited with %d", WEXITSTATUS(status));
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS;
}

/* One-letter state of a process from /proc/<pid>/stat, '?' if unknown. */
static char proc_state(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Wait up to @timeout seconds for @pid; its wait status, or -1. */
static int wait_timeout(pid_t pid, double timeout)
{
	double end = now() + timeout;
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 || now() > end)
			return -1;
		msleep(100);
	}
}

/* Kernel log lines that mean trouble, printed as diagnostics. */
static int kernel_log_trouble(void)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "Call Trace", "general protection",
		"Kernel panic", "list_del corruption", "refcount_t",
	};
	char *buf, *line, *save;
	int len, n = 0;
	size_t i;

	len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	if (len <= 0)
		return -1;
	buf = malloc(len + 1);
	if (!buf)
		return -1;
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return -1;
	}
	buf[len] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (strstr(line, bad[i])) {
				diag("kernel: %s", line);
				n++;
				break;
			}
		}
	}
	free(buf);
	return n;
}

/* A dirty-tracked MAP_SHARED file mapping: ramfs has ->page_mkwrite(). */
static void test_ramfs(size_t len)
{
	unsigned char *p;
	int fd, pfd, err;

	mount_fs("ramfs", RAMFS, "ramfs");
	fd = open(RAMFS "/file", O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, len))
		bail_out("ramfs file: %s", strerror(errno));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		bail_out("mmap ramfs file: %s", strerror(errno));
	fill(p, len, 3);
	pfd = open_pin();

	err = pin(pfd, p, len, RLIST_PIN_TEST_LONGTERM | RLIST_PIN_TEST_WRITE);
	result(err == EFAULT,
	       "ramfs MAP_SHARED: writable long-term pin refused (%s, expected EFAULT)",
	       errname(err));
	if (!err)
		unpin(pfd);

	err = pin(pfd, p, len, RLIST_PIN_TEST_LONGTERM);
	result(err == 0, "ramfs MAP_SHARED: read-only long-term pin allowed (%s)",
	       errname(err));
	if (!err)
		unpin(pfd);

	err = pin(pfd, p, len, RLIST_PIN_TEST_WRITE);
	result(err == 0, "ramfs MAP_SHARED: short-term writable pin allowed (%s)",
	       errname(err));
	if (!err)
		unpin(pfd);

	close(pfd);
	munmap(p, len);
}

/* Anonymous memory: pinned long-term and writable, no P2PDMA page. */
static void test_anon(size_t len)
{
	struct rlist_pin_test_info inf;
	unsigned char *p;
	int pfd, err;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		bail_out("mmap anonymous: %s", strerror(errno));
	fill(p, len, 5);
	pfd = open_pin();
	err = pin(pfd, p, len, RLIST_PIN_TEST_LONGTERM | RLIST_PIN_TEST_WRITE |
		  RLIST_PIN_TEST_P2PDMA);
	result(!err && info(pfd, &inf) && inf.bytes == len &&
	       inf.nr_p2p_pages == 0 && !inf.may_p2p,
	       "anonymous memory: long-term writable pin, no P2PDMA page (%s)",
	       errname(err));
	close(pfd);		/* the release unpins */
	munmap(p, len);
}

/* VmPin of /proc/self/status in kB (pinned_vm), or -1. */
static long vm_pin_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Drop CAP_IPC_LOCK from the effective and permitted sets. */
static bool drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return false;
	data[0].effective &= ~(1U << CAP_IPC_LOCK);
	data[0].permitted &= ~(1U << CAP_IPC_LOCK);
	return !syscall(SYS_capset, &hdr, data);
}

/*
 * Pins are accounted as memory registrations are: without CAP_IPC_LOCK, a
 * pin past RLIMIT_MEMLOCK is refused with ENOMEM, one up to it is taken and
 * shows in VmPin until it is released.  In a child, which drops the
 * capability; each check is a bit of its exit status.
 */
static void test_memlock(size_t len)
{
	struct rlimit rl = { .rlim_cur = len / 2, .rlim_max = len / 2 };
	unsigned char *p;
	int status, pfd, err, bad = 0;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		bail_out("fork: %s", strerror(errno));
	if (!pid) {
		if (!drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(0x80);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(0x80);
		fill(p, len, 7);
		pfd = open(DEBUGFS "/" RLIST_PIN_TEST_FILE, O_RDWR);
		if (pfd < 0)
			_exit(0x80);
		err = pin(pfd, p, len, RLIST_PIN_TEST_LONGTERM |
			  RLIST_PIN_TEST_WRITE);
		if (err != ENOMEM)
			bad |= 1;
		if (!err)
			unpin(pfd);
		if (vm_pin_kb() != 0)
			bad |= 2;
		err = pin(pfd, p, len / 2, RLIST_PIN_TEST_LONGTERM |
			  RLIST_PIN_TEST_WRITE);
		if (err || vm_pin_kb() != (long)(len / 2 / 1024))
			bad |= 4;
		if (unpin(pfd) || vm_pin_kb() != 0)
			bad |= 8;
		_exit(bad);
	}
	status = wait_timeout(pid, 30);
	if (status < 0 || !WIFEXITED(status))
		bail_out("memlock child: status %#x", status);
	status = WEXITSTATUS(status);
	if (status & 0x80)
		bail_out("memlock child: could not drop CAP_IPC_LOCK, set RLIMIT_MEMLOCK or pin");
	result(!(status & 1), "no CAP_IPC_LOCK: a pin past RLIMIT_MEMLOCK is refused with ENOMEM");
	result(!(status & 2), "no CAP_IPC_LOCK: nothing left in VmPin after the refusal");
	result(!(status & 4),
	       "no CAP_IPC_LOCK: a pin up to RLIMIT_MEMLOCK is taken, in VmPin");
	result(!(status & 8), "no CAP_IPC_LOCK: VmPin back to 0 after the unpin");
}

/*
 * Unbind the nvme driver while its CMB is pinned through @pfd, mapped at
 * @map.  Returns with the pin released.
 */
static void test_unbind(const char *bdf, int pfd, unsigned char *map,
			size_t len)
{
	char path[256], *buf;
	bool gone = false;
	double start, end;
	int status, err;
	pid_t child;

	buf = malloc(len);
	if (!buf)
		bail_out("malloc");

	child = fork();
	if (child < 0)
		bail_out("fork: %s", strerror(errno));
	if (!child) {
		/* The unbinder: blocks until the CMB pages are freed. */
		munmap(map, len);
		err = write_file(NVME_DRV "/unbind", bdf);
		_exit(err ? 1 : 0);
	}
	start = now();
	diag("child %d unbinds %s from nvme", child, bdf);

	/* The allocator file goes away first, and its mappings with it. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem/allocate",
		 bdf);
	end = now() + 30;
	while (now() < end && waitpid(child, &status, WNOHANG) == 0) {
		if (!exists(path)) {
			gone = true;
			break;
		}
		msleep(50);
	}
	result(gone, "unbind removes the p2pmem allocate file (after %.1f s)",
	       now() - start);
	msleep(1000);
	status = 0;
	err = waitpid(child, &status, WNOHANG);
	result(err == 0 && proc_state(child) == 'D',
	       "unbind blocked while the CMB is pinned (child state %c after %.1f s)",
	       err == 0 ? proc_state(child) : 'x', now() - start);

	result(access_sigbus(map),
	       "user mapping of the CMB zapped: access gets SIGBUS");

	memset(buf, 0, len);
	err = read_pinned(pfd, buf, len);
	result(!err && check((unsigned char *)buf, len, 1),
	       "pinned CMB pages still hold the pattern during the unbind (%s)",
	       errname(err));

	err = unpin(pfd);
	result(!err, "unpin (%s)", errname(err));
	start = now();
	status = wait_timeout(child, UNBIND_TIMEOUT);
	result(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "unbind finishes once unpinned (%.1f s, status %#x)",
	       now() - start, status);
	if (status < 0) {
		kill(child, SIGKILL);
		bail_out("unbind still blocked after %d s", UNBIND_TIMEOUT);
	}

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/p2pmem", bdf);
	result(!exists(path), "p2pmem directory gone after the unbind");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	result(!exists(path), "device has no driver after the unbind");
	result(!munmap(map, len), "munmap of the zapped mapping");
	free(buf);
}

/* Bind nvme again: the CMB comes back and can be pinned again. */
static void test_rebind(const char *bdf, size_t len)
{
	struct rlist_pin_test_info inf;
	unsigned char *map;
	int err, pfd;

	err = write_file(NVME_DRV "/bind", bdf);
	result(!err && wait_for_p2pmem(bdf, PUBLISH_TIMEOUT),
	       "rebind publishes the CMB again (%s)", errname(-err));
	map = map_p2pmem(bdf, len);
	if (!map) {
		result(false, "map the CMB after the rebind");
		return;
	}
	fill(map, len, 9);
	pfd = open_pin();
	err = pin(pfd, map, len, RLIST_PIN_TEST_LONGTERM |
		  RLIST_PIN_TEST_WRITE | RLIST_PIN_TEST_P2PDMA);
	result(!err && info(pfd, &inf) && inf.nr_p2p_pages == inf.nr_pages &&
	       inf.bytes == len,
	       "CMB pinned long-term again after the rebind (%s)",
	       errname(err));
	close(pfd);
	munmap(map, len);
}

int main(void)
{
	struct rlist_pin_test_info inf;
	const char *mutate = getenv("RLIST_P2PMEM_MUTATE");
	unsigned int flags;
	unsigned char *map;
	char bdf[64], *buf;
	size_t len;
	int pfd, err, trouble;

	setvbuf(stdout, NULL, _IOLBF, 0);
	page_size = sysconf(_SC_PAGESIZE);
	len = NPAGES * page_size;
	mount_fs("proc", "/proc", "proc");
	mount_fs("sysfs", "/sys", "sysfs");
	mount_fs("debugfs", DEBUGFS, "debugfs");
	diag("p2pmem_pin: pin userspace P2PDMA memory into a range list");
	if (mutate)
		diag("RLIST_P2PMEM_MUTATE=%s: this run must fail", mutate);

	/* The nvme driver publishes the CMB from its reset work. */
	{
		double end = now() + PUBLISH_TIMEOUT;

		while (!find_nvme_p2pmem(bdf, sizeof(bdf))) {
			if (now() > end)
				bail_out("no nvme device with p2pmem/allocate after %d s",
					 PUBLISH_TIMEOUT);
			msleep(200);
		}
	}
	result(true, "nvme %s publishes its CMB as p2pmem", bdf);

	map = map_p2pmem(bdf, len);
	if (!map)
		bail_out("map %zu bytes of the CMB", len);
	fill(map, len, 1);
	result(check(map, len, 1),
	       "CMB mapped MAP_SHARED read-write, pattern written and read back");

	pfd = open_pin();

	flags = 0;
	if (mutate && !strcmp(mutate, "p2pdma"))
		flags |= RLIST_PIN_TEST_P2PDMA;
	err = pin(pfd, map, len, flags);
	result(err == EREMOTEIO,
	       "CMB pin without FOLL_PCI_P2PDMA refused (%s, expected EREMOTEIO)",
	       errname(err));
	if (!err)
		unpin(pfd);
	err = pin(pfd, map, len, flags | RLIST_PIN_TEST_LONGTERM |
		  RLIST_PIN_TEST_WRITE);
	result(err == EREMOTEIO,
	       "CMB long-term writable pin without FOLL_PCI_P2PDMA refused (%s, expected EREMOTEIO)",
	       errname(err));
	if (!err)
		unpin(pfd);

	err = pin(pfd, map, len, RLIST_PIN_TEST_LONGTERM |
		  RLIST_PIN_TEST_WRITE | RLIST_PIN_TEST_P2PDMA);
	result(!err,
	       "CMB pinned with FOLL_LONGTERM | FOLL_WRITE | FOLL_PCI_P2PDMA (%s)",
	       errname(err));
	if (err)
		bail_out("no long-term pin of the CMB: nothing more to test");
	result(info(pfd, &inf) && inf.bytes == len && inf.nr_pages == NPAGES &&
	       inf.nr_p2p_pages == NPAGES && inf.may_p2p,
	       "every pinned page is a P2PDMA page");
	buf = malloc(len);
	if (!buf)
		bail_out("malloc");
	err = read_pinned(pfd, buf, len);
	result(!err && check((unsigned char *)buf, len, 1),
	       "pinned pages hold what was written through the mapping (%s)",
	       errname(err));
	free(buf);

	test_anon(len);
	test_memlock(len);
	test_ramfs(len);
	test_unbind(bdf, pfd, map, len);
	close(pfd);
	test_rebind(bdf, len);

	trouble = kernel_log_trouble();
	result(trouble == 0, "kernel log has no warning, BUG or Oops (%d)",
	       trouble);

	printf("1..%d\n", tests);
	printf("# p2pmem_pin: %d tests, %d passed, %d failed\n", tests,
	       tests - failures, failures);
	fflush(stdout);
	power_off();
	return 0;
}
