// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fixture for the ib_umem Coccinelle scripts: an out-of-tree RDMA driver
 * that reaches the scatterlist of its umems in every way the scripts know.
 * It is only parsed by spatch, never built.
 */
#include <linux/scatterlist.h>
#include <rdma/ib_umem.h>

struct fake_db_page {
	struct ib_umem *umem;
	unsigned long user_virt;
};

struct fake_db {
	dma_addr_t dma;
	void *virt_addr;
	struct page *page;
};

struct fake_mr {
	struct ib_umem *umem;
	struct ib_umem_dmabuf *umem_dmabuf;
	void *vaddr[64];
	u64 pas[64];
	int npages;
};

/* (a) and (b): the first entry, directly. */
static void fake_db_map(struct fake_db_page *page, struct fake_db *db,
			unsigned long virt)
{
	db->dma = sg_dma_address(page->umem->sgt_append.sgt.sgl) +
		  (virt & ~PAGE_MASK);
	db->virt_addr = sg_virt(page->umem->sgt_append.sgt.sgl) +
			(virt & ~PAGE_MASK);
	db->page = sg_page(page->umem->sgt_append.sgt.sgl);
}

/* (a) on the umem embedded in a dma-buf umem. */
static dma_addr_t fake_dmabuf_start(struct fake_mr *mr)
{
	return sg_dma_address(mr->umem_dmabuf->umem.sgt_append.sgt.sgl);
}

/* (a) through a local pointer that holds nothing else. */
static int fake_prod_pair(struct fake_mr *mr, dma_addr_t *addr)
{
	struct scatterlist *sg;

	if (!mr->umem)
		return -EINVAL;

	sg = mr->umem->sgt_append.sgt.sgl;
	*addr = sg_dma_address(sg);

	return 0;
}

/* Not converted: the pointer moves on. */
static dma_addr_t fake_second_entry(struct fake_mr *mr)
{
	struct scatterlist *sg;

	sg = mr->umem->sgt_append.sgt.sgl;
	sg = sg_next(sg);
	return sg_dma_address(sg);
}

/* (c): DMA walks that read only the address and the length. */
static u64 fake_count_blocks(struct ib_umem *umem)
{
	u64 start = 0, len = 0, n = 0;
	struct scatterlist *sg;
	int i;

	for_each_sgtable_dma_sg(&umem->sgt_append.sgt, sg, i) {
		if (start + len == sg_dma_address(sg)) {
			len += sg_dma_len(sg);
			continue;
		}
		n++;
		start = sg_dma_address(sg);
		len = sg_dma_len(sg);
	}
	return n;
}

static u64 fake_total_len(struct fake_mr *mr)
{
	struct scatterlist *sg;
	u64 total = 0;
	int i, k = 0;

	for_each_sg(mr->umem->sgt_append.sgt.sgl, sg,
		    mr->umem->sgt_append.sgt.nents, i) {
		total += sg_dma_len(sg);
	}
	return total + k;
}

/* (c) with initialised declarations. */
static u64 fake_sum(struct ib_umem *umem)
{
	struct scatterlist *sg = NULL;
	unsigned int i = 0;
	u64 sum = 0;

	for_each_sgtable_dma_sg(&umem->sgt_append.sgt, sg, i) {
		sum += sg_dma_len(sg);
	}
	return sum;
}

/* Not converted: the body uses the index. */
static void fake_fill_pas(struct fake_mr *mr)
{
	struct scatterlist *sg;
	int i;

	for_each_sgtable_dma_sg(&mr->umem->sgt_append.sgt, sg, i) {
		mr->pas[i] = sg_dma_address(sg);
	}
}

/* (d): a CPU page walk. */
static int fake_map_pages(struct fake_mr *mr)
{
	struct sg_page_iter sg_iter;
	int n = 0;

	for_each_sgtable_page (&mr->umem->sgt_append.sgt, &sg_iter, 0) {
		void *vaddr;

		vaddr = page_address(sg_page_iter_page(&sg_iter));
		if (!vaddr)
			return -EINVAL;
		mr->vaddr[n++] = vaddr;
	}
	mr->npages = n;
	return 0;
}

static void fake_put_pages(struct fake_mr *mr)
{
	struct sg_page_iter piter;

	for_each_sg_page(mr->umem->sgt_append.sgt.sgl, &piter,
			 mr->umem->sgt_append.sgt.orig_nents, 0) {
		put_page(sg_page_iter_page(&piter));
	}
}

/* Not converted: the table goes to a helper (rxe) ... */
static int fake_fill_from_sgt(struct fake_mr *mr, struct sg_table *sgt);

static int fake_init_user(struct fake_mr *mr)
{
	return fake_fill_from_sgt(mr, &mr->umem->sgt_append.sgt);
}

/* ... or is walked by hand (siw). */
static int fake_open_coded(struct fake_mr *mr)
{
	struct sg_page_iter sg_iter;
	struct sg_table *sgt;
	int n = 0;

	sgt = &mr->umem->sgt_append.sgt;
	__sg_page_iter_start(&sg_iter, sgt->sgl, sgt->orig_nents, 0);
	while (__sg_page_iter_next(&sg_iter))
		mr->vaddr[n++] = page_address(sg_page_iter_page(&sg_iter));
	return n;
}

/* Older kernels: umem->sg_head. */
static int fake_old_nents(struct ib_umem *umem)
{
	return umem->sg_head.nents;
}
