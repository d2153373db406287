#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make ops-build: x86_64 allmodconfig build of the rlist code and of every
# file that defines a struct dma_map_ops and can be built on x86_64, with
# CONFIG_WERROR (allmodconfig's) so that a warning fails.  dma_map_rlist()
# reaches those ops through their ->map_page(), ->unmap_page() and
# ->sync_single_*() only, which every one of the 20 in-tree instances has;
# the instances of other architectures (alpha, arm, mips, powerpc, sparc,
# parisc) cannot be built here (no cross compilers in this tier) and are
# listed in the output.  Log: build/logs/ops-build.log.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALLMOD_DIR=$BUILD/allmod
# The rlist code and the files it changes.
RLIST_OBJS="lib/rlist/ kernel/dma/rlist.o drivers/iommu/dma-iommu.o drivers/iommu/iommu.o
	drivers/pci/p2pdma.o mm/gup.o fs/kernfs/file.o fs/sysfs/file.o"
# struct dma_map_ops instances buildable on x86_64.
OPS_OBJS="arch/x86/kernel/amd_gart_64.o drivers/xen/swiotlb-xen.o
	drivers/xen/grant-dma-ops.o drivers/vdpa/vdpa_user/vduse_dev.o
	kernel/dma/dummy.o"
OTHER_ARCH_OPS="arch/alpha/kernel/pci_iommu.c arch/arm/mm/dma-mapping.c
	arch/mips/jazz/jazzdma.c arch/powerpc/kernel/dma-iommu.c
	arch/powerpc/platforms/ps3/system-bus.c
	arch/powerpc/platforms/pseries/ibmebus.c
	arch/powerpc/platforms/pseries/vio.c arch/sparc/kernel/iommu.c
	arch/sparc/kernel/pci_sun4v.c arch/sparc/mm/io-unit.c
	arch/sparc/mm/iommu.c drivers/parisc/ccio-dma.c
	drivers/parisc/sba_iommu.c"

main() {
	local log=$LOGS/ops-build.log o want rc=0

	require_tree
	mkdir -p "$LOGS" "$ALLMOD_DIR" "$CCACHE_DIR"
	: >"$log"
	info "x86_64 allmodconfig in $ALLMOD_DIR (log: $log)"
	(cd "$TREE" && make -s ARCH=x86_64 O="$ALLMOD_DIR" CC="$KCC" \
		allmodconfig) >>"$log" 2>&1 || die "allmodconfig failed: $log"
	for want in CONFIG_RLIST=y CONFIG_DMA_RLIST=y CONFIG_DMA_API_DEBUG=y \
		    CONFIG_WERROR=y; do
		grep -qx "$want" "$ALLMOD_DIR/.config" ||
			die "allmodconfig lacks $want"
	done
	# shellcheck disable=SC2086
	info "building $(echo $RLIST_OBJS $OPS_OBJS)"
	# shellcheck disable=SC2086
	(cd "$TREE" && make -s ARCH=x86_64 O="$ALLMOD_DIR" CC="$KCC" \
		-j"${JOBS:-2}" $RLIST_OBJS $OPS_OBJS) >>"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$log" >&2
		die "ops-build: build failed (exit $rc)"
	fi
	for o in $OPS_OBJS kernel/dma/rlist.o; do
		[ -f "$ALLMOD_DIR/$o" ] || die "ops-build: $o was not built"
	done
	# shellcheck disable=SC2086
	echo "ops-build: built $(echo $OPS_OBJS | wc -w) dma_map_ops files and the rlist code"
	# shellcheck disable=SC2086
	echo "ops-build: not built here (other architectures): $(echo $OTHER_ARCH_OPS)"
}

main "$@"
