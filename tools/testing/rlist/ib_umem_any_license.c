// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ib_umem helpers that a module of any license could use in 6.12: the
 * static inline ones of <rdma/ib_umem.h> and <rdma/iter.h>, and the
 * functions they were exported with EXPORT_SYMBOL().  make check compiles
 * this file with the flags of drivers/infiniband/core/umem.o and fails if
 * it needs a symbol exported only to GPL modules (harness/check.sh,
 * run_any_license).  It is never linked.
 */
#include <rdma/ib_umem.h>
#include <rdma/iter.h>

unsigned long ib_umem_any_license(struct ib_device *device, unsigned long addr,
				  size_t size, void *buf);

unsigned long ib_umem_any_license(struct ib_device *device, unsigned long addr,
				  size_t size, void *buf)
{
	struct ib_block_iter biter;
	unsigned long pgsz, sum = 0;
	struct ib_umem *umem;

	umem = ib_umem_get(device, addr, size, IB_ACCESS_LOCAL_WRITE);
	if (IS_ERR(umem))
		return 0;
	pgsz = ib_umem_find_best_pgsz(umem, SZ_4K | SZ_2M, addr);
	sum += ib_umem_find_best_pgoff(umem, SZ_4K | SZ_2M, GENMASK(11, 6));
	sum += ib_umem_offset(umem) + ib_umem_dma_offset(umem, pgsz);
	sum += ib_umem_num_dma_blocks(umem, pgsz) + ib_umem_num_pages(umem);
	rdma_umem_for_each_dma_block(umem, &biter, pgsz)
		sum += rdma_block_iter_dma_address(&biter);
	if (!ib_umem_copy_from(buf, umem, 0, 1))
		sum++;
	ib_umem_release(umem);
	return sum;
}
