// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of dma-buf range list attachments: dma_buf_get_rlist() and
 * dma_buf_put_rlist().
 *
 * The exporter is the test's own: DBR_PAGES pages, the first ones in
 * physically contiguous order-2 blocks, the others allocated one by one,
 * in three flavours (sg_tables only, both, range lists only).  The
 * reference for the ranges it gives is the page array itself: the CPU
 * physical address of byte @pos of the buffer is that of page
 * pos / PAGE_SIZE plus the offset in the page, and a list's ranges are the
 * maximal runs of that function.
 */
#include <kunit/device.h>
#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/dma-rlist.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/rlist.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/swiotlb.h>

#include "../../lib/rlist/rlist_kunit.h"

#define DBR_PAGES	32
#define DBR_BLOCKS	3	/* order-2 blocks at the start */
#define DBR_SIZE	((u64)DBR_PAGES * PAGE_SIZE)

enum dbr_flavour {
	DBR_SG,		/* dynamic, sg_tables only (6.12's exporters) */
	DBR_BOTH,	/* dynamic, sg_tables and range lists */
	DBR_RLIST,	/* static, range lists only */
	DBR_REVOCABLE,	/* dynamic, range lists only, memory can be revoked */
};

struct dbr_exp {
	struct page *pages[DBR_PAGES];
	struct dma_buf *dmabuf;
	int get_err;		/* returned by the next get_rlist() */
	u64 short_by;		/* bytes get_rlist() leaves out */
	u32 provider;		/* if not 0: ranges tagged as its P2P memory */
	bool revoked;
	int gets, puts, pins, unpins, maps, unmaps;
	int outstanding;	/* lists given and not put back */
};

struct dbr_imp {
	struct device *dev;
	struct rlist_cpu rc;
	struct rlist_dma rd;
	bool mapped;
	int notified;
};

static struct dbr_exp *dbr_exp_of(struct dma_buf_attachment *attach)
{
	return attach->dmabuf->priv;
}

static phys_addr_t dbr_ref_phys(const struct dbr_exp *e, u64 pos)
{
	return page_to_phys(e->pages[pos >> PAGE_SHIFT]) + offset_in_page(pos);
}

static int dbr_pin(struct dma_buf_attachment *attach)
{
	dma_resv_assert_held(attach->dmabuf->resv);
	dbr_exp_of(attach)->pins++;
	return 0;
}

static void dbr_unpin(struct dma_buf_attachment *attach)
{
	dma_resv_assert_held(attach->dmabuf->resv);
	dbr_exp_of(attach)->unpins++;
}

/* An sg_table of the pages, not DMA mapped: only its life is tested. */
static struct sg_table *dbr_map(struct dma_buf_attachment *attach,
				enum dma_data_direction dir)
{
	struct dbr_exp *e = dbr_exp_of(attach);
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, e->pages, DBR_PAGES, 0, DBR_SIZE,
					GFP_KERNEL);
	if (ret) {
		kfree(sgt);
		return ERR_PTR(ret);
	}
	e->maps++;
	return sgt;
}

static void dbr_unmap(struct dma_buf_attachment *attach, struct sg_table *sgt,
		      enum dma_data_direction dir)
{
	sg_free_table(sgt);
	kfree(sgt);
	dbr_exp_of(attach)->unmaps++;
}

static int dbr_get_rlist(struct dma_buf_attachment *attach, u64 offset,
			 u64 len, struct rlist_cpu *rc)
{
	struct dbr_exp *e = dbr_exp_of(attach);
	int ret;

	dma_resv_assert_held(attach->dmabuf->resv);
	e->gets++;
	if (e->revoked)
		return -ENODEV;
	if (e->get_err)
		return e->get_err;
	len -= min(len, e->short_by);
	while (len) {
		u32 off = offset_in_page(offset);
		u32 n = min_t(u64, len, PAGE_SIZE - off);
		struct page *page = e->pages[offset >> PAGE_SHIFT];

		if (e->provider)
			ret = rlist_cpu_append_phys(rc, page_to_phys(page) + off,
						    n, e->provider, GFP_KERNEL);
		else
			ret = rlist_cpu_append_page(rc, page, off, n,
						    GFP_KERNEL);
		if (ret)
			return ret;
		offset += n;
		len -= n;
	}
	e->outstanding++;
	return 0;
}

static void dbr_put_rlist(struct dma_buf_attachment *attach,
			  struct rlist_cpu *rc)
{
	struct dbr_exp *e = dbr_exp_of(attach);

	dma_resv_assert_held(attach->dmabuf->resv);
	e->puts++;
	e->outstanding--;
}

static void dbr_release(struct dma_buf *dmabuf)
{
}

static const struct dma_buf_ops dbr_ops[] = {
	[DBR_SG] = {
		.pin = dbr_pin,
		.unpin = dbr_unpin,
		.map_dma_buf = dbr_map,
		.unmap_dma_buf = dbr_unmap,
		.release = dbr_release,
	},
	[DBR_BOTH] = {
		.pin = dbr_pin,
		.unpin = dbr_unpin,
		.map_dma_buf = dbr_map,
		.unmap_dma_buf = dbr_unmap,
		.get_rlist = dbr_get_rlist,
		.put_rlist = dbr_put_rlist,
		.release = dbr_release,
	},
	[DBR_RLIST] = {
		.get_rlist = dbr_get_rlist,
		.put_rlist = dbr_put_rlist,
		.release = dbr_release,
	},
	[DBR_REVOCABLE] = {
		.revocable = true,
		.pin = dbr_pin,
		.unpin = dbr_unpin,
		.get_rlist = dbr_get_rlist,
		.put_rlist = dbr_put_rlist,
		.release = dbr_release,
	},
};

/* The importer unmaps and gives back its list, as the rules say. */
static void dbr_move_notify(struct dma_buf_attachment *attach)
{
	struct dbr_imp *imp = attach->importer_priv;

	dma_resv_assert_held(attach->dmabuf->resv);
	imp->notified++;
	if (imp->mapped) {
		dma_unmap_rlist(imp->dev, &imp->rc, &imp->rd,
				DMA_BIDIRECTIONAL, 0);
		imp->mapped = false;
	}
	if (attach->rlist && rlist_cpu_length(&imp->rc))
		dma_buf_put_rlist(attach, &imp->rc);
}

enum dbr_importer {
	DBR_IMP_STATIC,	/* dma_buf_attach(): no importer ops */
	DBR_IMP_SG,	/* dynamic, sg_tables only */
	DBR_IMP_RLIST,	/* dynamic, takes range lists */
	DBR_IMP_RLIST_NO_P2P,	/* the same, without allow_peer2peer */
	DBR_IMP_RLIST_REVOCABLE,	/* the same, revocable while pinned */
};

static const struct dma_buf_attach_ops dbr_imp_ops[] = {
	[DBR_IMP_SG] = {
		.allow_peer2peer = true,
		.move_notify = dbr_move_notify,
	},
	[DBR_IMP_RLIST] = {
		.allow_peer2peer = true,
		.allow_rlist = true,
		.move_notify = dbr_move_notify,
	},
	[DBR_IMP_RLIST_NO_P2P] = {
		.allow_rlist = true,
		.move_notify = dbr_move_notify,
	},
	[DBR_IMP_RLIST_REVOCABLE] = {
		.allow_peer2peer = true,
		.allow_rlist = true,
		.revocable = true,
		.move_notify = dbr_move_notify,
	},
};

struct dbr_fix {
	struct device *dev;
};

static void dbr_free_pages(void *data)
{
	struct dbr_exp *e = data;
	unsigned int i;

	for (i = 0; i < DBR_PAGES; i++) {
		if (i < DBR_BLOCKS * 4 && i % 4)
			continue;
		if (e->pages[i])
			__free_pages(e->pages[i], i < DBR_BLOCKS * 4 ? 2 : 0);
	}
}

static void dbr_put_dmabuf(void *data)
{
	dma_buf_put(data);
}

static struct dbr_exp *dbr_exp_create_size(struct kunit *test,
					   enum dbr_flavour flavour, u64 size)
{
	DEFINE_DMA_BUF_EXPORT_INFO(info);
	struct dbr_exp *e;
	unsigned int i;

	e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dbr_free_pages,
							e), 0);
	for (i = 0; i < DBR_PAGES; i++) {
		if (i < DBR_BLOCKS * 4 && i % 4) {
			e->pages[i] = e->pages[i - 1] + 1;
			continue;
		}
		e->pages[i] = alloc_pages(GFP_KERNEL,
					  i < DBR_BLOCKS * 4 ? 2 : 0);
		KUNIT_ASSERT_NOT_NULL(test, e->pages[i]);
	}
	info.ops = &dbr_ops[flavour];
	info.size = size;
	info.flags = O_RDWR;
	info.priv = e;
	e->dmabuf = dma_buf_export(&info);
	KUNIT_ASSERT_FALSE(test, IS_ERR(e->dmabuf));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dbr_put_dmabuf,
							e->dmabuf), 0);
	return e;
}

static struct dbr_exp *dbr_exp_create(struct kunit *test,
				      enum dbr_flavour flavour)
{
	return dbr_exp_create_size(test, flavour, DBR_SIZE);
}

static struct dbr_imp *dbr_imp_create(struct kunit *test)
{
	struct dbr_fix *f = test->priv;
	struct dbr_imp *imp = kunit_kzalloc(test, sizeof(*imp), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, imp);
	imp->dev = f->dev;
	rlist_cpu_init(&imp->rc);
	rlist_dma_init(&imp->rd);
	return imp;
}

static struct dma_buf_attachment *dbr_attach(struct dbr_exp *e,
					     struct dbr_imp *imp,
					     enum dbr_importer kind)
{
	if (kind == DBR_IMP_STATIC)
		return dma_buf_attach(e->dmabuf, imp->dev);
	return dma_buf_dynamic_attach(e->dmabuf, imp->dev, &dbr_imp_ops[kind],
				      imp);
}

static int dbr_get(struct dma_buf_attachment *attach, u64 offset, u64 len,
		   struct rlist_cpu *rc)
{
	int ret;

	dma_resv_lock(attach->dmabuf->resv, NULL);
	ret = dma_buf_get_rlist(attach, offset, len, rc);
	dma_resv_unlock(attach->dmabuf->resv);
	return ret;
}

static void dbr_put(struct dma_buf_attachment *attach, struct rlist_cpu *rc)
{
	dma_resv_lock(attach->dmabuf->resv, NULL);
	dma_buf_put_rlist(attach, rc);
	dma_resv_unlock(attach->dmabuf->resv);
}

/* Pins balance; without move_notify support every list held one. */
static void dbr_expect_pins(struct kunit *test, struct dbr_exp *e, int lists)
{
	KUNIT_EXPECT_EQ(test, e->pins, e->unpins);
	if (!IS_ENABLED(CONFIG_DMABUF_MOVE_NOTIFY))
		KUNIT_EXPECT_EQ(test, e->pins, lists);
}

/*
 * Which attachments may take range lists, written out: both sides must
 * want them; an exporter of lists only refuses importers of sg_tables;
 * the sg_table mapping cached at attach time (static importer on a dynamic
 * exporter) is unchanged and an importer of lists gets none.
 */
static void dbr_test_negotiate(struct kunit *test)
{
	static const struct {
		enum dbr_flavour exp;
		enum dbr_importer imp;
		int attach_err;
		bool rlist;
		int maps_at_attach;
	} cases[] = {
		{ DBR_SG, DBR_IMP_STATIC, 0, false, 1 },
		{ DBR_SG, DBR_IMP_SG, 0, false, 0 },
		{ DBR_SG, DBR_IMP_RLIST, 0, false, 0 },
		{ DBR_BOTH, DBR_IMP_STATIC, 0, false, 1 },
		{ DBR_BOTH, DBR_IMP_SG, 0, false, 0 },
		{ DBR_BOTH, DBR_IMP_RLIST, 0, true, 0 },
		{ DBR_RLIST, DBR_IMP_STATIC, -EOPNOTSUPP, false, 0 },
		{ DBR_RLIST, DBR_IMP_SG, -EOPNOTSUPP, false, 0 },
		{ DBR_RLIST, DBR_IMP_RLIST, 0, true, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct dbr_exp *e = dbr_exp_create(test, cases[i].exp);
		struct dbr_imp *imp = dbr_imp_create(test);
		struct dma_buf_attachment *attach;
		struct sg_table *sgt;
		int ret;

		attach = dbr_attach(e, imp, cases[i].imp);
		if (cases[i].attach_err) {
			KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(attach),
					    cases[i].attach_err, "case %u", i);
			KUNIT_EXPECT_EQ(test, e->maps + e->pins + e->gets, 0);
			continue;
		}
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(attach), "case %u: %ld", i,
				       PTR_ERR(attach));
		KUNIT_EXPECT_EQ_MSG(test, attach->rlist, cases[i].rlist,
				    "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, e->maps, cases[i].maps_at_attach,
				    "case %u", i);

		ret = dbr_get(attach, 0, PAGE_SIZE, &imp->rc);
		if (cases[i].rlist) {
			KUNIT_EXPECT_EQ_MSG(test, ret, 0, "case %u", i);
			KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc),
					PAGE_SIZE);
			dbr_put(attach, &imp->rc);
		} else {
			KUNIT_EXPECT_EQ_MSG(test, ret, -EOPNOTSUPP, "case %u",
					    i);
			KUNIT_EXPECT_EQ(test, e->gets, 0);
		}
		KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);

		/* The sg_table interface, where there is one. */
		sgt = dma_buf_map_attachment_unlocked(attach, DMA_TO_DEVICE);
		if (cases[i].exp == DBR_RLIST) {
			KUNIT_EXPECT_EQ_MSG(test, PTR_ERR_OR_ZERO(sgt),
					    -EOPNOTSUPP, "case %u", i);
		} else {
			KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(sgt), "case %u", i);
			dma_buf_unmap_attachment_unlocked(attach, sgt,
							  DMA_TO_DEVICE);
		}
		dma_buf_detach(e->dmabuf, attach);
		KUNIT_EXPECT_EQ_MSG(test, e->maps, e->unmaps, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, e->pins, e->unpins, "case %u", i);
		KUNIT_EXPECT_EQ(test, e->outstanding, 0);
	}
}

/* Compare @rc, which should describe [@offset, @offset + @len), with the pages. */
static void dbr_expect_ranges(struct kunit *test, const struct dbr_exp *e,
			      const struct rlist_cpu *rc, u64 offset, u64 len)
{
	struct rlist_cpu_iter it;
	unsigned int n = 0, want = 0;
	u64 pos = offset, p;

	/* The reference: maximal runs of the byte -> physical address map. */
	for (p = offset; p < offset + len; p = (p | ~PAGE_MASK) + 1) {
		if (p == offset || dbr_ref_phys(e, p) !=
		    dbr_ref_phys(e, p - 1) + 1)
			want++;
	}
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(rc), len);
	rlist_cpu_for_each_range(rc, &it) {
		u64 done;

		/* Every page-sized piece of the range, against the pages. */
		for (done = 0; done < it.len;
		     done += PAGE_SIZE - offset_in_page(pos + done)) {
			KUNIT_EXPECT_EQ_MSG(test, (u64)(it.phys + done),
					    (u64)dbr_ref_phys(e, pos + done),
					    "byte %llu", pos + done);
		}
		KUNIT_EXPECT_EQ(test, it.provider, 0);
		pos += it.len;
		n++;
	}
	KUNIT_EXPECT_EQ(test, pos, offset + len);
	KUNIT_EXPECT_EQ_MSG(test, n, want, "ranges of [%llu, +%llu)", offset,
			    len);
}

/*
 * The lists an exporter gives are its pages: byte for byte, in maximal
 * ranges, finished; mapped by the importer for its device, the DMA ranges
 * lead back to the same memory; put back, nothing is outstanding.
 */
static void dbr_test_ranges(struct kunit *test)
{
	static const struct { u64 offset, len; } ranges[] = {
		{ 0, DBR_SIZE },
		{ 1, 1 },
		{ PAGE_SIZE - 1, 2 },
		{ 3 * PAGE_SIZE + 5, 9 * PAGE_SIZE + 100 },
		{ 4 * DBR_BLOCKS * PAGE_SIZE - 7, 3 * PAGE_SIZE },
		{ DBR_SIZE - 1, 1 },
	};
	struct dbr_exp *e = dbr_exp_create(test, DBR_BOTH);
	struct dbr_imp *imp = dbr_imp_create(test);
	struct dma_buf_attachment *attach;
	unsigned int i;

	attach = dbr_attach(e, imp, DBR_IMP_RLIST);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	for (i = 0; i < ARRAY_SIZE(ranges); i++) {
		u64 offset = ranges[i].offset, len = ranges[i].len;
		struct rlist_dma_iter dit;
		u64 pos = offset;

		KUNIT_ASSERT_EQ(test, dbr_get(attach, offset, len, &imp->rc), 0);
		KUNIT_EXPECT_EQ(test, e->outstanding, 1);
		dbr_expect_ranges(test, e, &imp->rc, offset, len);
		/* Finished: the importer cannot add to the exporter's list. */
		KUNIT_EXPECT_EQ(test, rlist_cpu_append_page(&imp->rc,
							    e->pages[0], 0,
							    PAGE_SIZE,
							    GFP_KERNEL),
				-EINVAL);

		KUNIT_ASSERT_EQ(test, dma_map_rlist(imp->dev, &imp->rc,
						    &imp->rd, NULL,
						    DMA_BIDIRECTIONAL, 0,
						    GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, rlist_dma_length(&imp->rd), len);
		rlist_dma_for_each_range(&imp->rd, &dit) {
			if (!is_swiotlb_force_bounce(imp->dev))
				KUNIT_EXPECT_EQ(test,
						(u64)dma_to_phys(imp->dev,
								 dit.addr),
						(u64)dbr_ref_phys(e, pos));
			pos += dit.len;
		}
		KUNIT_EXPECT_EQ(test, pos, offset + len);
		dma_unmap_rlist(imp->dev, &imp->rc, &imp->rd,
				DMA_BIDIRECTIONAL, 0);

		dbr_put(attach, &imp->rc);
		KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);
		KUNIT_EXPECT_EQ(test, e->outstanding, 0);
	}
	KUNIT_EXPECT_EQ(test, e->gets, ARRAY_SIZE(ranges));
	KUNIT_EXPECT_EQ(test, e->puts, ARRAY_SIZE(ranges));
	dbr_expect_pins(test, e, ARRAY_SIZE(ranges));
	dma_buf_detach(e->dmabuf, attach);
	KUNIT_EXPECT_EQ(test, e->maps, 0);
}

/*
 * Bad ranges and a list that is not empty are refused before the exporter
 * is asked; a failing exporter, or one that describes another number of
 * bytes, leaves the list empty and nothing held.
 */
static void dbr_test_errors(struct kunit *test)
{
	static const struct { u64 offset, len; int err; } bad[] = {
		{ 0, 0, -EINVAL },
		{ DBR_SIZE, 0, -EINVAL },
		{ U64_MAX - 1, 4, -EOVERFLOW },
		{ 4, U64_MAX, -EOVERFLOW },
		{ DBR_SIZE - PAGE_SIZE, 2 * PAGE_SIZE, -ERANGE },
		{ DBR_SIZE, 1, -ERANGE },
		{ 0, DBR_SIZE + 1, -ERANGE },
	};
	struct dbr_exp *e = dbr_exp_create(test, DBR_BOTH);
	struct dbr_imp *imp = dbr_imp_create(test);
	struct dma_buf_attachment *attach;
	struct rlist_kunit_alloc a = { .fail_at = -1 };
	unsigned int i;

	attach = dbr_attach(e, imp, DBR_IMP_RLIST);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	rlist_kunit_alloc_track(test, &a);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_EXPECT_EQ_MSG(test, dbr_get(attach, bad[i].offset,
						  bad[i].len, &imp->rc),
				    bad[i].err, "offset %llu len %llu",
				    bad[i].offset, bad[i].len);
		KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);
	}
	KUNIT_EXPECT_EQ(test, e->gets, 0);

	/* A list that already holds something is left as it is. */
	KUNIT_ASSERT_EQ(test, rlist_cpu_append_page(&imp->rc, e->pages[5], 0,
						    PAGE_SIZE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, dbr_get(attach, 0, PAGE_SIZE, &imp->rc), -EINVAL);
	KUNIT_EXPECT_EQ(test, e->gets, 0);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), PAGE_SIZE);
	dbr_expect_ranges(test, e, &imp->rc, 5 * PAGE_SIZE, PAGE_SIZE);
	rlist_cpu_destroy(&imp->rc, 0);

	/* The exporter fails, after appending nothing. */
	e->get_err = -ENOMEM;
	KUNIT_EXPECT_EQ(test, dbr_get(attach, 0, DBR_SIZE, &imp->rc), -ENOMEM);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);
	e->get_err = 0;

	/* The exporter describes one byte less: put back, -EIO. */
	e->short_by = 1;
	KUNIT_EXPECT_EQ(test, dbr_get(attach, PAGE_SIZE, 20 * PAGE_SIZE,
				      &imp->rc), -EIO);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);
	KUNIT_EXPECT_EQ(test, e->puts, 1);
	e->short_by = 0;

	KUNIT_EXPECT_EQ(test, e->outstanding, 0);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	dbr_expect_pins(test, e, 2);
	dma_buf_detach(e->dmabuf, attach);
}

/*
 * Every allocation of the list failing in turn, while the exporter appends:
 * -ENOMEM, the list empty, nothing leaked or held.
 */
static void dbr_test_alloc_fail(struct kunit *test)
{
	struct dbr_exp *e = dbr_exp_create(test, DBR_RLIST);
	struct dbr_imp *imp = dbr_imp_create(test);
	struct dma_buf_attachment *attach;
	struct rlist_kunit_alloc a;
	long attempts, k;

	attach = dbr_attach(e, imp, DBR_IMP_RLIST);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));

	a = (struct rlist_kunit_alloc){ .fail_at = -1 };
	rlist_kunit_alloc_track(test, &a);
	KUNIT_ASSERT_EQ(test, dbr_get(attach, 0, DBR_SIZE, &imp->rc), 0);
	dbr_put(attach, &imp->rc);
	RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	attempts = a.attempts;
	KUNIT_EXPECT_GT(test, attempts, 0);

	for (k = 0; k < attempts; k++) {
		a = (struct rlist_kunit_alloc){ .fail_at = k };
		KUNIT_EXPECT_EQ_MSG(test, dbr_get(attach, 0, DBR_SIZE,
						  &imp->rc), -ENOMEM,
				    "allocation %ld failing", k);
		KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);
		RLIST_KUNIT_EXPECT_NO_LEAK(test, &a);
	}
	KUNIT_EXPECT_EQ(test, e->outstanding, 0);
	KUNIT_EXPECT_EQ(test, e->puts, 1);
	kunit_info(test, "%ld list allocations failed in turn\n", attempts);
	dma_buf_detach(e->dmabuf, attach);
}

/*
 * Revocation: the exporter marks its memory gone and calls
 * dma_buf_move_notify(); every importer is notified (the one of sg_tables
 * too), the importer of lists unmaps and puts its list, and the next
 * dma_buf_get_rlist() fails with -ENODEV.
 */
static void dbr_test_revoke(struct kunit *test)
{
	struct dbr_exp *e = dbr_exp_create(test, DBR_BOTH);
	struct dbr_imp *imp = dbr_imp_create(test);
	struct dbr_imp *other = dbr_imp_create(test);
	struct dma_buf_attachment *attach, *sg_attach;

	attach = dbr_attach(e, imp, DBR_IMP_RLIST);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	sg_attach = dbr_attach(e, other, DBR_IMP_SG);
	KUNIT_ASSERT_FALSE(test, IS_ERR(sg_attach));

	KUNIT_ASSERT_EQ(test, dbr_get(attach, PAGE_SIZE, 8 * PAGE_SIZE,
				      &imp->rc), 0);
	KUNIT_ASSERT_EQ(test, dma_map_rlist(imp->dev, &imp->rc, &imp->rd, NULL,
					    DMA_BIDIRECTIONAL, 0, GFP_KERNEL),
			0);
	imp->mapped = true;

	dma_resv_lock(e->dmabuf->resv, NULL);
	e->revoked = true;
	dma_buf_move_notify(e->dmabuf);
	dma_resv_unlock(e->dmabuf->resv);

	KUNIT_EXPECT_EQ(test, imp->notified, 1);
	KUNIT_EXPECT_EQ(test, other->notified, 1);
	KUNIT_EXPECT_FALSE(test, imp->mapped);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);
	KUNIT_EXPECT_EQ(test, e->outstanding, 0);
	KUNIT_EXPECT_EQ(test, dbr_get(attach, 0, PAGE_SIZE, &imp->rc), -ENODEV);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);
	dbr_expect_pins(test, e, 2);

	dma_buf_detach(e->dmabuf, sg_attach);
	dma_buf_detach(e->dmabuf, attach);
}

/*
 * P2P ranges go only to importers that allow peer-to-peer memory, as with
 * sg_tables: the one that does not is refused with -EREMOTEIO, its list
 * empty, the exporter's list put back.
 */
static void dbr_test_peer2peer(struct kunit *test)
{
	struct dbr_exp *e = dbr_exp_create(test, DBR_RLIST);
	struct dbr_imp *imp = dbr_imp_create(test);
	struct dbr_imp *nop2p = dbr_imp_create(test);
	struct dma_buf_attachment *attach, *nop2p_attach;
	struct rlist_cpu_iter it;

	attach = dbr_attach(e, imp, DBR_IMP_RLIST);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	nop2p_attach = dbr_attach(e, nop2p, DBR_IMP_RLIST_NO_P2P);
	KUNIT_ASSERT_FALSE(test, IS_ERR(nop2p_attach));
	KUNIT_EXPECT_TRUE(test, attach->peer2peer);
	KUNIT_EXPECT_FALSE(test, nop2p_attach->peer2peer);

	/* Memory without P2P: both get it. */
	KUNIT_EXPECT_EQ(test, dbr_get(nop2p_attach, 0, 2 * PAGE_SIZE,
				      &nop2p->rc), 0);
	KUNIT_EXPECT_FALSE(test, rlist_cpu_flags(&nop2p->rc) &
			   RLIST_CPU_MAY_P2P);
	dbr_put(nop2p_attach, &nop2p->rc);

	e->provider = 7;
	KUNIT_EXPECT_EQ(test, dbr_get(attach, 0, 2 * PAGE_SIZE, &imp->rc), 0);
	KUNIT_EXPECT_TRUE(test, rlist_cpu_flags(&imp->rc) & RLIST_CPU_MAY_P2P);
	rlist_cpu_for_each_range(&imp->rc, &it)
		KUNIT_EXPECT_EQ(test, it.provider, 7);
	dbr_put(attach, &imp->rc);

	KUNIT_EXPECT_EQ(test, dbr_get(nop2p_attach, 0, 2 * PAGE_SIZE,
				      &nop2p->rc), -EREMOTEIO);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&nop2p->rc), 0);
	KUNIT_EXPECT_EQ(test, e->gets, 3);
	KUNIT_EXPECT_EQ(test, e->puts, 3);
	KUNIT_EXPECT_EQ(test, e->outstanding, 0);
	dma_buf_detach(e->dmabuf, nop2p_attach);
	dma_buf_detach(e->dmabuf, attach);
}

/*
 * Memory the exporter can revoke: a static importer cannot attach, a
 * dynamic one that cannot give a pinned mapping up cannot pin
 * (-EOPNOTSUPP, the exporter's pin never called) but takes lists unpinned;
 * one that says it can (revocable) pins.  An exporter that does not revoke
 * lets any dynamic importer pin.
 */
static void dbr_test_revocable(struct kunit *test)
{
	struct dbr_exp *e = dbr_exp_create(test, DBR_REVOCABLE);
	struct dbr_exp *plain = dbr_exp_create(test, DBR_BOTH);
	struct dbr_imp *imp = dbr_imp_create(test);
	struct dbr_imp *rev = dbr_imp_create(test);
	struct dma_buf_attachment *attach, *rev_attach, *plain_attach;
	int ret;

	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(dbr_attach(e, imp,
							 DBR_IMP_STATIC)),
			-EOPNOTSUPP);
	attach = dbr_attach(e, imp, DBR_IMP_RLIST);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	rev_attach = dbr_attach(e, rev, DBR_IMP_RLIST_REVOCABLE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rev_attach));
	KUNIT_EXPECT_FALSE(test, dma_buf_attach_revocable(attach));
	KUNIT_EXPECT_TRUE(test, dma_buf_attach_revocable(rev_attach));

	dma_resv_lock(e->dmabuf->resv, NULL);
	KUNIT_EXPECT_EQ(test, dma_buf_pin(attach), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, e->pins, 0);
	ret = dma_buf_pin(rev_attach);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret)
		dma_buf_unpin(rev_attach);
	dma_resv_unlock(e->dmabuf->resv);
	KUNIT_EXPECT_EQ(test, e->pins, 1);
	KUNIT_EXPECT_EQ(test, e->unpins, 1);

	/* Unpinned, the importer that cannot be revoked still takes lists. */
	KUNIT_EXPECT_EQ(test, dbr_get(attach, 0, PAGE_SIZE, &imp->rc), 0);
	dbr_put(attach, &imp->rc);

	plain_attach = dbr_attach(plain, imp, DBR_IMP_RLIST);
	KUNIT_ASSERT_FALSE(test, IS_ERR(plain_attach));
	dma_resv_lock(plain->dmabuf->resv, NULL);
	ret = dma_buf_pin(plain_attach);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret)
		dma_buf_unpin(plain_attach);
	dma_resv_unlock(plain->dmabuf->resv);

	dma_buf_detach(plain->dmabuf, plain_attach);
	dma_buf_detach(e->dmabuf, rev_attach);
	dma_buf_detach(e->dmabuf, attach);
}

/*
 * A buffer whose size is not a multiple of the page size: its last page is
 * described whole, as an sg_table would; past that page, -ERANGE.
 */
static void dbr_test_unaligned_size(struct kunit *test)
{
	struct dbr_exp *e = dbr_exp_create_size(test, DBR_RLIST,
						DBR_SIZE - 100);
	struct dbr_imp *imp = dbr_imp_create(test);
	struct dma_buf_attachment *attach;

	attach = dbr_attach(e, imp, DBR_IMP_RLIST);
	KUNIT_ASSERT_FALSE(test, IS_ERR(attach));
	KUNIT_EXPECT_EQ(test, dbr_get(attach, DBR_SIZE - 2 * PAGE_SIZE,
				      2 * PAGE_SIZE, &imp->rc), 0);
	dbr_expect_ranges(test, e, &imp->rc, DBR_SIZE - 2 * PAGE_SIZE,
			  2 * PAGE_SIZE);
	dbr_put(attach, &imp->rc);
	KUNIT_EXPECT_EQ(test, dbr_get(attach, DBR_SIZE - PAGE_SIZE,
				      PAGE_SIZE + 1, &imp->rc), -ERANGE);
	KUNIT_EXPECT_EQ(test, dbr_get(attach, DBR_SIZE, 1, &imp->rc), -ERANGE);
	KUNIT_EXPECT_EQ(test, rlist_cpu_length(&imp->rc), 0);
	KUNIT_EXPECT_EQ(test, e->outstanding, 0);
	dma_buf_detach(e->dmabuf, attach);
}

static int dbr_init(struct kunit *test)
{
	struct dbr_fix *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	if (!f)
		return -ENOMEM;
	f->dev = kunit_device_register(test, "dma_buf_rlist");
	if (IS_ERR(f->dev))
		return PTR_ERR(f->dev);
	/* KUnit devices come without a DMA mask. */
	f->dev->dma_mask = &f->dev->coherent_dma_mask;
	if (dma_set_mask_and_coherent(f->dev, DMA_BIT_MASK(64)))
		return -EIO;
	test->priv = f;
	return 0;
}

static struct kunit_case dbr_test_cases[] = {
	KUNIT_CASE(dbr_test_negotiate),
	KUNIT_CASE(dbr_test_ranges),
	KUNIT_CASE(dbr_test_errors),
	KUNIT_CASE(dbr_test_alloc_fail),
	KUNIT_CASE(dbr_test_revoke),
	KUNIT_CASE(dbr_test_peer2peer),
	KUNIT_CASE(dbr_test_revocable),
	KUNIT_CASE(dbr_test_unaligned_size),
	{}
};

static struct kunit_suite dbr_test_suite = {
	.name = "dma_buf_rlist",
	.init = dbr_init,
	.test_cases = dbr_test_cases,
};

kunit_test_suite(dbr_test_suite);

MODULE_DESCRIPTION("KUnit tests of dma-buf range list attachments");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
