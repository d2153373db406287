// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCI devices the rlist KUnit suites may touch.
 *
 * Some suites program QEMU devices (edu's DMA engine, an NVMe controller
 * memory buffer, ivshmem BARs): they enable them, set their DMA masks,
 * bind and unbind drivers.  On a real machine the same kernel, built with
 * CONFIG_KUNIT_ALL_TESTS, must leave every device alone.  So a suite gets a
 * device only through rlist_kunit_pci_get(), which hands out devices whose
 * vendor:device ids the test harness listed on the kernel command line:
 *
 *	rlist_kunit.qemu_pci=1234:11e8,1b36:0010,1af4:1110
 *
 * (edu, QEMU's NVMe controller and ivshmem-plain).  Without it the suites
 * that need a device skip, saying so.
 *
 * The suite rlist_qemu_pci, run after the suites that touch devices, checks
 * that each of these QEMU devices is as the PCI core left it at boot: no
 * driver override, the driver it had (nvme for the NVMe controller, none for
 * the others), and for the devices without a driver disabled, no bus
 * master, and the default 32-bit DMA masks.  It runs with and without the
 * parameter: either the suites undid what they changed, or they touched
 * nothing.
 */

#include <kunit/test.h>
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "rlist_kunit.h"

#undef MODULE_PARAM_PREFIX
#define MODULE_PARAM_PREFIX "rlist_kunit."

static char *qemu_pci;
module_param(qemu_pci, charp, 0444);
MODULE_PARM_DESC(qemu_pci,
		 "vendor:device ids (hex, comma separated) of the QEMU PCI devices the rlist KUnit tests may use");

/* Is @vendor:@device in rlist_kunit.qemu_pci? */
static bool rlist_kunit_pci_handed_over(unsigned int vendor,
					unsigned int device)
{
	const char *p = qemu_pci;

	while (p && *p) {
		unsigned int v, d;
		int n = 0;

		if (sscanf(p, "%x:%x%n", &v, &d, &n) != 2 || !n)
			return false;
		if (v == vendor && d == device)
			return true;
		p += n;
		if (*p != ',')
			return false;
		p++;
	}
	return false;
}

/**
 * rlist_kunit_pci_get() - a PCI device the harness handed to the tests
 * @test: the test
 * @vendor: PCI vendor id of a QEMU device
 * @device: PCI device id
 * @from: the previous device found, or NULL to start; its reference is
 *	dropped
 *
 * Iterates over the devices @vendor:@device like pci_get_device(), but
 * only if the test harness listed @vendor:@device in the kernel parameter
 * rlist_kunit.qemu_pci; otherwise the test is skipped.  The caller must
 * undo whatever it changes on the device.
 *
 * Context: Process context, may sleep.
 * Return: the next device with a reference the caller puts, or NULL when
 * there is none (the test is not skipped then: say why in its own skip).
 */
struct pci_dev *rlist_kunit_pci_get(struct kunit *test, unsigned int vendor,
				    unsigned int device, struct pci_dev *from)
{
	if (!rlist_kunit_pci_handed_over(vendor, device)) {
		pci_dev_put(from);
		kunit_skip(test, "PCI %04x:%04x not in rlist_kunit.qemu_pci=",
			   vendor, device);
	}
	return pci_get_device(vendor, device, from);
}

/* The QEMU devices of the suites and the driver the PCI core binds. */
static const struct {
	unsigned int vendor, device;
	const char *driver;		/* NULL: none */
} rlist_qemu_pci_devices[] = {
	{ 0x1234, 0x11e8, NULL },	/* edu */
	{ 0x1b36, 0x0010, "nvme" },	/* QEMU NVM Express */
	{ 0x1af4, 0x1110, NULL },	/* ivshmem-plain */
};

static void rlist_qemu_pci_expect_boot_state(struct kunit *test,
					     struct pci_dev *pdev,
					     const char *driver)
{
	struct device *dev = &pdev->dev;
	const char *name = pci_name(pdev);
	bool overridden;

	spin_lock(&dev->driver_override.lock);
	overridden = dev->driver_override.name;
	spin_unlock(&dev->driver_override.lock);
	KUNIT_EXPECT_FALSE_MSG(test, overridden, "%s: driver override left",
			       name);
	device_lock(dev);
	if (driver) {
		KUNIT_EXPECT_TRUE_MSG(test, dev->driver &&
				      !strcmp(dev->driver->name, driver),
				      "%s: driver %s, want %s", name,
				      dev->driver ? dev->driver->name : "none",
				      driver);
	} else {
		KUNIT_EXPECT_NULL_MSG(test, dev->driver, "%s: driver %s", name,
				      dev->driver ? dev->driver->name : "");
		KUNIT_EXPECT_FALSE_MSG(test, pci_is_enabled(pdev),
				       "%s left enabled", name);
		KUNIT_EXPECT_FALSE_MSG(test, pdev->is_busmaster,
				       "%s left bus master", name);
		KUNIT_EXPECT_EQ_MSG(test, dma_get_mask(dev), DMA_BIT_MASK(32),
				    "%s: DMA mask", name);
		KUNIT_EXPECT_EQ_MSG(test, dev->coherent_dma_mask,
				    DMA_BIT_MASK(32), "%s: coherent DMA mask",
				    name);
	}
	device_unlock(dev);
}

/**
 * rlist_kunit_pci_check() - expect QEMU's devices as they were at boot
 * @test: the test
 *
 * See the comment at the top of the file.  Skips when none of the devices
 * is present.
 *
 * Context: Process context, may sleep; after the suites that use devices.
 */
void rlist_kunit_pci_check(struct kunit *test)
{
	unsigned int i, seen = 0;

	/* The nvme driver probes asynchronously, also after a rebind. */
	wait_for_device_probe();
	for (i = 0; i < ARRAY_SIZE(rlist_qemu_pci_devices); i++) {
		unsigned int vendor = rlist_qemu_pci_devices[i].vendor;
		unsigned int device = rlist_qemu_pci_devices[i].device;
		const char *driver = rlist_qemu_pci_devices[i].driver;
		struct pci_dev *pdev = NULL;

		if (!IS_ENABLED(CONFIG_BLK_DEV_NVME))
			driver = NULL;
		while ((pdev = pci_get_device(vendor, device, pdev))) {
			rlist_qemu_pci_expect_boot_state(test, pdev, driver);
			seen++;
		}
	}
	if (!seen)
		kunit_skip(test, "none of QEMU's edu, nvme, ivshmem-plain");
	kunit_info(test, "%u QEMU devices as at boot (rlist_kunit.qemu_pci=%s)\n",
		   seen, qemu_pci ?: "");
}

/*
 * Built-in suites run in link order: this one after those of kernel/dma/
 * and of lib/rlist/.  The suites of drivers/ come later; the ib_umem
 * tests, which use devices too, end with their own check.
 */
static void rlist_qemu_pci_test_boot_state(struct kunit *test)
{
	if (IS_BUILTIN(CONFIG_INFINIBAND_UMEM_KUNIT_TEST) &&
	    IS_ENABLED(CONFIG_DMA_RLIST_EDU_KUNIT_TEST))
		kunit_skip(test, "checked later, by ib_umem_qemu_pci");
	rlist_kunit_pci_check(test);
}

static struct kunit_case rlist_qemu_pci_test_cases[] = {
	KUNIT_CASE(rlist_qemu_pci_test_boot_state),
	{}
};

static struct kunit_suite rlist_qemu_pci_test_suite = {
	.name = "rlist_qemu_pci",
	.test_cases = rlist_qemu_pci_test_cases,
};

kunit_test_suite(rlist_qemu_pci_test_suite);

MODULE_DESCRIPTION("The PCI devices the rlist KUnit tests may touch");
MODULE_LICENSE("GPL");
