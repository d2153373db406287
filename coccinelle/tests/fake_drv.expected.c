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
	db->dma = ib_umem_first_dma_addr(page->umem) +
		  (virt & ~PAGE_MASK);
	db->virt_addr = page_address(ib_umem_first_page(page->umem)) +
			(virt & ~PAGE_MASK);
	db->page = ib_umem_first_page(page->umem);
}

/* (a) on the umem embedded in a dma-buf umem. */
static dma_addr_t fake_dmabuf_start(struct fake_mr *mr)
{
	return ib_umem_first_dma_addr(&mr->umem_dmabuf->umem);
}

/* (a) through a local pointer that holds nothing else. */
static int fake_prod_pair(struct fake_mr *mr, dma_addr_t *addr)
{
	if (!mr->umem)
		return -EINVAL;

	*addr = ib_umem_first_dma_addr(mr->umem);

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
	struct rlist_dma_iter it;

	ib_umem_for_each_dma_range(umem, &it) {
		if (start + len == it.addr) {
			len += it.len;
			continue;
		}
		n++;
		start = it.addr;
		len = it.len;
	}
	return n;
}

static u64 fake_total_len(struct fake_mr *mr)
{
	struct rlist_dma_iter it;
	u64 total = 0;
	int k = 0;

	ib_umem_for_each_dma_range(mr->umem, &it) {
		total += it.len;
	}
	return total + k;
}

/* (c) with initialised declarations. */
static u64 fake_sum(struct ib_umem *umem)
{
	struct rlist_dma_iter it;
	u64 sum = 0;

	ib_umem_for_each_dma_range(umem, &it) {
		sum += it.len;
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
	struct rlist_cpu_iter it;
	int n = 0;

	ib_umem_for_each_page(mr->umem, &it) {
		void *vaddr;

		vaddr = page_address(rlist_cpu_iter_page(&it));
		if (!vaddr)
			return -EINVAL;
		mr->vaddr[n++] = vaddr;
	}
	mr->npages = n;
	return 0;
}

static void fake_put_pages(struct fake_mr *mr)
{
	struct rlist_cpu_iter it;

	ib_umem_for_each_page(mr->umem, &it) {
		put_page(rlist_cpu_iter_page(&it));
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
