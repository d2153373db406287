# SPDX-License-Identifier: GPL-2.0-only
#
# rlist build and test harness.  Everything built goes to build/; the
# kernel tree is build/linux (see README.md).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# The directories of the repo that mirror kernel paths (the overlay).
OVERLAY_CANDIDATES := include lib kernel drivers mm Documentation arch tools samples
OVERLAY_DIRS := $(strip $(foreach d,$(OVERLAY_CANDIDATES),$(if $(wildcard $(d)/.),$(d))))
export OVERLAY_DIRS

# One compiler string for every build dir (changing it rebuilds all).
KCC ?= ccache gcc
BUILD := $(CURDIR)/build
CCACHE_DIR ?= $(BUILD)/ccache
JOBS ?= 2
FORCE ?=
export KCC BUILD CCACHE_DIR JOBS FORCE

H := harness

.PHONY: help deps tree refresh kunit kunit-qemu p2p-user e2e e2e-base kunit-arm64 kunit-i386 kunit-arm kunit-s390 ops-build run check series test clean distclean cocci drivers bench

help:
	@echo "targets: deps tree refresh kunit kunit-qemu p2p-user e2e e2e-base kunit-arm64 kunit-i386 kunit-arm kunit-s390 ops-build run check series test clean distclean cocci drivers bench"
	@echo "main job: make run    tests: make test    (see README.md)"

deps:
	@$(H)/deps.sh

tree:
	@$(H)/tree.sh

refresh:
	@$(H)/refresh.sh

kunit: tree
	@$(H)/kunit.sh

# x86_64 KUnit kernel under QEMU (TCG) with the edu DMA device.
kunit-qemu: tree
	@$(H)/kunit-qemu.sh

# A user program pins an NVMe CMB's P2PDMA memory, in the kernel of
# kunit-qemu (which must have been built: no kernel build here).
p2p-user: tree
	@$(H)/p2p-user.sh

# RDMA traffic over soft-RoCE in a QEMU guest, every byte checked, on the
# kernel of kunit-qemu (not rebuilt here: run that first), compared with
# the base kernel (built in build/e2e-base, cached; run first when its
# results are missing or stale).
e2e: tree
	@$(H)/e2e.sh

# The same on the unmodified base kernel only.
e2e-base: tree
	@$(H)/e2e.sh --base

# Small KUnit kernels under QEMU (TCG), cross-compiled: arm64 (64 KiB
# pages, non-coherent DMA), i386 (PAE), arm (LPAE), s390 (big-endian).
KUNIT_ARCHES := kunit-arm64 kunit-i386 kunit-arm kunit-s390
$(KUNIT_ARCHES): tree
	@$(H)/kunit-arch.sh $(@:kunit-%=%)

# Every dma_map_ops file built for its own architecture with W=1, against
# the base (cross compilers: deps.sh --ops); make test runs its x86_64 part.
ops-build: tree
	@$(H)/ops-build.sh

# The main job: build a small x86_64 kernel with rlist (kunit/demo-x86, no
# sanitizers), boot it in QEMU and move RDMA traffic over soft-RoCE through
# rlist-registered memory, every byte checked (the short run of make e2e).
run: deps tree
	@$(H)/run.sh

# check and series need the UML build of make kunit (same CC, no rebuild).
check: tree
	@$(H)/check.sh

series: tree
	@$(H)/series.sh

test: deps tree
	@$(H)/test.sh

# The Coccinelle scripts of coccinelle/ (RDMA drivers off the scatterlist
# of struct ib_umem) on DIR (default: drivers/infiniband of build/linux),
# MODE=report (default; fails on a finding), patch (a diff; IN_PLACE=1
# writes it), context or org; SELFTEST=1 checks the scripts on their
# fixture instead.
cocci:
	@DIR="$(DIR)" MODE="$(MODE)" IN_PLACE="$(IN_PLACE)" COCCI="$(COCCI)" \
		$(H)/cocci.sh $(if $(SELFTEST),--selftest)

# W=1 and sparse build of drivers/infiniband (x86_64 allmodconfig) of
# DRIVERS_SRC (default build/linux, see make tree) against the same build
# of rlist-base; fails on a new warning.
drivers:
	@DRIVERS_SRC="$(DRIVERS_SRC)" $(H)/drivers.sh

# rlist against scatterlist, side by side (lib/rlist/rlist_bench.c): its
# own non-debug kernels (build/bench-uml, build/bench-x86), UML and three
# QEMU boots; tables and chart in build/bench/.  Not part of make test.
# COMMIT=1 copies results.txt and bench.png to harness/bench/.
bench: deps tree
	@$(H)/bench.sh $(if $(COMMIT),--commit)

clean:
	rm -rf build/uml build/x86 build/demo build/p2p-user build/arm64 build/i386 build/arm build/s390 build/ops build/allmod build/series build/series-check build/series-uml build/x86-boot build/logs \
		build/e2e build/e2e-base build/drivers build/drivers-base build/base-src \
		build/bench build/bench-uml build/bench-x86
	-git -C build/linux worktree prune 2>/dev/null

distclean:
	rm -rf build
