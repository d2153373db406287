// SPDX-License-Identifier: GPL-2.0-only
/*
 * rlist_p2p_bar: export ranges of a PCI BAR as dma-bufs of range lists.
 *
 * A small PCI driver, bound by driver_override (rlist_p2p_bar_bind(), or
 * /sys/bus/pci/devices/.../driver_override), that registers a memory BAR
 * of its device as a P2P provider without struct pages
 * (pci_p2pdma_register_bar()) and exports page-aligned ranges of it as
 * dma-bufs (rlist_p2p_bar_export()).  The buffers have only the range list
 * interface: an importer takes their CPU physical ranges, tagged with the
 * provider, with dma_buf_get_rlist() and maps them for its own device with
 * dma_map_rlist(), which reaches them at their PCI bus address through a
 * switch, through the host bridge, or refuses them with -EREMOTEIO.  There
 * is no sg_table interface: a scatterlist cannot describe this memory.
 *
 * Only importers that can be revoked may pin the buffers
 * (&dma_buf_ops.revocable); dma_buf_pin() refuses the others with
 * -EOPNOTSUPP.
 *
 * Removing the device (unbinding the driver) revokes the memory: each
 * buffer is marked revoked and its importers told with
 * dma_buf_move_notify(), after which dma_buf_get_rlist() fails with
 * -ENODEV; then the provider is unregistered, which waits until the last
 * DMA mapping of the BAR is gone.  The buffers themselves may outlive the
 * device.
 *
 * Written for QEMU's ivshmem-plain (BAR 2, its shared memory) in the KUnit
 * tests of ib_umem_dmabuf; the module parameter bar picks another BAR.
 */
#include <linux/dma-buf.h>
#include <linux/dma-resv.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-p2pdma.h>
#include <linux/rlist.h>
#include <linux/slab.h>

#include "rlist_p2p_bar.h"

#define RP_NAME		"rlist_p2p_bar"

static unsigned int bar = 2;
module_param(bar, uint, 0444);
MODULE_PARM_DESC(bar, "Memory BAR to export (default 2, ivshmem-plain's)");

/* A bound device; the buffers it exported hold references to it. */
struct rp_dev {
	struct kref ref;
	struct p2pdma_provider *prov;
	struct mutex lock;		/* @bufs, @revoked */
	struct list_head bufs;
	bool revoked;
};

struct rp_buf {
	struct rp_dev *rd;
	struct dma_buf *dmabuf;
	struct list_head node;		/* in @rd->bufs */
	phys_addr_t phys;		/* of the buffer's first byte */
	u32 provider;			/* the id its ranges carry */
	bool revoked;			/* under the reservation lock */
};

static struct pci_driver rp_driver;

static void rp_dev_free(struct kref *ref)
{
	kfree(container_of(ref, struct rp_dev, ref));
}

static int rp_get_rlist(struct dma_buf_attachment *attach, u64 offset,
			u64 len, struct rlist_cpu *rc)
{
	struct rp_buf *b = attach->dmabuf->priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	if (b->revoked)
		return -ENODEV;
	return rlist_cpu_append_phys(rc, b->phys + offset, len, b->provider,
				     GFP_KERNEL);
}

static void rp_release(struct dma_buf *dmabuf)
{
	struct rp_buf *b = dmabuf->priv;
	struct rp_dev *rd = b->rd;

	mutex_lock(&rd->lock);
	list_del(&b->node);
	mutex_unlock(&rd->lock);
	kref_put(&rd->ref, rp_dev_free);
	kfree(b);
}

/*
 * The BAR goes away with its device: only importers that give their
 * mappings up when revoked may pin a buffer (the core refuses the others),
 * so that unbinding never waits for ever, with the device lock held, for
 * a mapping nobody will drop.
 */
static const struct dma_buf_ops rp_ops = {
	.revocable = true,
	.get_rlist = rp_get_rlist,
	.release = rp_release,
};

/**
 * rlist_p2p_bar_export() - export a range of a bound device's BAR
 * @pdev: a device bound to this driver
 * @offset: offset of the range in the BAR, page aligned
 * @size: size of the range, page aligned, not zero
 *
 * Return: a dma-buf of the range (the caller holds its reference), or an
 * ERR_PTR(): -ENODEV if @pdev is not bound to this driver (or is being
 * removed), -EINVAL for a misaligned or empty range, -EOVERFLOW if it
 * wraps, -ERANGE if it goes past the BAR, -ENOMEM.
 */
struct dma_buf *rlist_p2p_bar_export(struct pci_dev *pdev, u64 offset,
				     size_t size)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dma_buf *dmabuf;
	struct rp_dev *rd;
	struct rp_buf *b;
	u64 end;

	if (!size || !PAGE_ALIGNED(offset) || !PAGE_ALIGNED(size))
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(offset, (u64)size, &end))
		return ERR_PTR(-EOVERFLOW);

	/* Serialized with probe and remove. */
	device_lock(&pdev->dev);
	rd = pdev->dev.driver == &rp_driver.driver ? pci_get_drvdata(pdev) :
						     NULL;
	if (!rd || rd->revoked) {
		dmabuf = ERR_PTR(-ENODEV);
		goto out;
	}
	if (end > rd->prov->size) {
		dmabuf = ERR_PTR(-ERANGE);
		goto out;
	}
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b) {
		dmabuf = ERR_PTR(-ENOMEM);
		goto out;
	}
	b->rd = rd;
	b->phys = rd->prov->start + offset;
	b->provider = rd->prov->id;

	info.exp_name = RP_NAME;
	info.ops = &rp_ops;
	info.size = size;
	info.flags = O_RDWR;
	info.priv = b;
	dmabuf = dma_buf_export(&info);
	if (IS_ERR(dmabuf)) {
		kfree(b);
		goto out;
	}
	b->dmabuf = dmabuf;
	kref_get(&rd->ref);
	mutex_lock(&rd->lock);
	list_add(&b->node, &rd->bufs);
	mutex_unlock(&rd->lock);
out:
	device_unlock(&pdev->dev);
	return dmabuf;
}
EXPORT_SYMBOL_GPL(rlist_p2p_bar_export);

static int rp_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct rp_dev *rd;
	int ret;

	rd = kzalloc(sizeof(*rd), GFP_KERNEL);
	if (!rd)
		return -ENOMEM;
	kref_init(&rd->ref);
	mutex_init(&rd->lock);
	INIT_LIST_HEAD(&rd->bufs);

	ret = pci_enable_device_mem(pdev);
	if (ret)
		goto free;
	rd->prov = pci_p2pdma_register_bar(pdev, bar, 0, 0);
	if (IS_ERR(rd->prov)) {
		ret = PTR_ERR(rd->prov);
		goto disable;
	}
	pci_set_drvdata(pdev, rd);
	pci_info(pdev, "BAR %u (%pa, %llu bytes) exported as P2P provider %u\n",
		 bar, &rd->prov->start, rd->prov->size, rd->prov->id);
	return 0;

disable:
	pci_disable_device(pdev);
free:
	kref_put(&rd->ref, rp_dev_free);
	return ret;
}

/* Revoke every buffer, then wait for the last mapping of the BAR. */
static void rp_remove(struct pci_dev *pdev)
{
	struct rp_dev *rd = pci_get_drvdata(pdev);
	struct rp_buf *b;

	mutex_lock(&rd->lock);
	rd->revoked = true;
	list_for_each_entry(b, &rd->bufs, node) {
		dma_resv_lock(b->dmabuf->resv, NULL);
		b->revoked = true;
		dma_buf_move_notify(b->dmabuf);
		dma_resv_unlock(b->dmabuf->resv);
	}
	mutex_unlock(&rd->lock);

	pci_p2pdma_unregister_bar(rd->prov);
	rd->prov = NULL;
	pci_disable_device(pdev);
	pci_set_drvdata(pdev, NULL);
	kref_put(&rd->ref, rp_dev_free);
}

/* No id table: bound by driver_override only. */
static struct pci_driver rp_driver = {
	.name = RP_NAME,
	.probe = rp_probe,
	.remove = rp_remove,
};

/**
 * rlist_p2p_bar_bind() - bind this driver to a device
 * @pdev: a device with a memory BAR @bar and no driver
 *
 * Sets the device's driver_override and probes it.
 *
 * Return: 0, -EBUSY if another driver has it, or the error of the probe
 * (-EINVAL: no memory BAR @bar).
 */
int rlist_p2p_bar_bind(struct pci_dev *pdev)
{
	int ret;

	ret = device_set_driver_override(&pdev->dev, RP_NAME);
	if (ret)
		return ret;
	ret = device_driver_attach(&rp_driver.driver, &pdev->dev);
	if (ret) {
		device_set_driver_override(&pdev->dev, "");
		return ret;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(rlist_p2p_bar_bind);

/**
 * rlist_p2p_bar_unbind() - remove the device from this driver
 * @pdev: the device
 *
 * What unbinding through sysfs does: revokes the buffers the device
 * exported and waits for their mappings to go (see the file's comment).
 * Clears the driver_override rlist_p2p_bar_bind() set.  Nothing is
 * released if the device is not bound to this driver.
 */
void rlist_p2p_bar_unbind(struct pci_dev *pdev)
{
	/* Nothing else binds a device whose driver_override names us. */
	if (READ_ONCE(pdev->dev.driver) == &rp_driver.driver)
		device_release_driver(&pdev->dev);
	device_set_driver_override(&pdev->dev, "");
}
EXPORT_SYMBOL_GPL(rlist_p2p_bar_unbind);

module_pci_driver(rp_driver);

MODULE_DESCRIPTION("dma-buf exporter of PCI BAR memory without struct page");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
