/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * ioctls of the rlist_pin test driver (lib/rlist/rlist_pin_test.c), which
 * lets a process pin its own memory into a struct rlist_cpu with
 * rlist_cpu_pin_user() and look at what was pinned.  Shared with the test
 * program tools/testing/rlist/p2pmem_pin.c.
 */
#ifndef _RLIST_PIN_TEST_UAPI_H
#define _RLIST_PIN_TEST_UAPI_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* The debugfs file, under the debugfs mount point. */
#define RLIST_PIN_TEST_FILE		"rlist_pin"

/* struct rlist_pin_test_pin flags: the GUP flags to pin with */
#define RLIST_PIN_TEST_WRITE		0x1U		/* FOLL_WRITE */
#define RLIST_PIN_TEST_LONGTERM		0x2U		/* FOLL_LONGTERM */
#define RLIST_PIN_TEST_P2PDMA		0x4U		/* FOLL_PCI_P2PDMA */

/**
 * struct rlist_pin_test_pin - a range of the caller's memory to pin
 * @addr: user address of the first byte
 * @len: number of bytes
 * @flags: RLIST_PIN_TEST_* flags
 * @pad: must be zero
 */
struct rlist_pin_test_pin {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 pad;
};

/**
 * struct rlist_pin_test_info - what the open file holds pinned
 * @bytes: length of the list (whole pages), 0 when nothing is pinned
 * @nr_pages: pages of the list
 * @nr_ranges: physically contiguous ranges of the list
 * @nr_p2p_pages: pages of the list for which is_pci_p2pdma_page() is true
 * @first_offset: offset of the first byte of the list in its page (no
 *	physical address is given to userspace)
 * @may_p2p: 1 if the list has RLIST_CPU_MAY_P2P
 * @pad: zero
 */
struct rlist_pin_test_info {
	__u64 bytes;
	__u64 nr_pages;
	__u64 nr_ranges;
	__u64 nr_p2p_pages;
	__u64 first_offset;
	__u32 may_p2p;
	__u32 pad;
};

/**
 * struct rlist_pin_test_read - copy bytes out of the pinned pages
 * @offset: position in the list of the first byte
 * @len: number of bytes
 * @buf: user address of the destination buffer
 */
struct rlist_pin_test_read {
	__u64 offset;
	__u64 len;
	__u64 buf;
};

/*
 * PIN: pin a range with rlist_cpu_pin_user(); its error is returned as is
 * (one pinned range per open file, -EBUSY if there is one already).
 * INFO: describe the pinned list.  READ: copy from the pinned pages through
 * the kernel's mapping of them.  UNPIN: release the pins (dirty if pinned
 * for writing); also done on the last close.
 */
#define RLIST_PIN_TEST_IOC_PIN	_IOW('R', 0x70, struct rlist_pin_test_pin)
#define RLIST_PIN_TEST_IOC_INFO	_IOR('R', 0x71, struct rlist_pin_test_info)
#define RLIST_PIN_TEST_IOC_READ	_IOW('R', 0x72, struct rlist_pin_test_read)
#define RLIST_PIN_TEST_IOC_UNPIN	_IO('R', 0x73)

#endif /* _RLIST_PIN_TEST_UAPI_H */
