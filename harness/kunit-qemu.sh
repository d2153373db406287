#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make kunit-qemu: build the x86_64 KUnit kernel with kunit/qemu-x86 once,
# then boot it under qemu-system-x86_64 (TCG) with QEMU's edu PCI device in
# several setups; every test must pass in each, except the skips that
# harness/expected-skips lists for the setup.  Logs: build/logs/kunit-qemu-build.log and
# build/logs/kunit-qemu-<setup>.log (kunit.py output, then the raw kernel
# output) and .json.  Each boot takes one core (one vCPU under TCG): up to
# JOBS setups boot at once, each from its own kunit.py build dir
# (build/x86-boot/<setup>, which points at the kernel of build/x86).
#
# Usage: kunit-qemu.sh [--suites] [--build-only] [setup...]   (default: all
# setups; --build-only builds the kernel and boots nothing)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# edu clamps DMA addresses to its dma_mask property (28 bits by default);
# the suite sets a 32-bit mask for the device, see rlist_edu_kunit.c.
EDU="-device edu,dma_mask=0xffffffff"
# One setup per line: "<name>|<qemu args>|<kernel args>".  intel-iommu needs
# q35 and must come before the devices it translates.
# The iommu setup has more than 4 GiB of memory so that the kernel sets up
# swiotlb, which untrusted devices bounce through, and flushes the IOTLB
# on every unmap (strict mode) so that the tests can count the flushes.
# P2P (the dma_rlist_p2p suite): a PCIe switch with an nvme whose CMB is
# P2PDMA memory, a second edu (64-bit DMA) and an ivshmem-plain; another
# ivshmem-plain on the root bus.  ivshmem BARs become page-less providers.
P2P="-device pcie-root-port,id=rp1,chassis=1,slot=1"
P2P+=" -device x3130-upstream,id=up1,bus=rp1"
P2P+=" -device xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=0"
P2P+=" -device xio3130-downstream,id=dn2,bus=up1,chassis=3,slot=0"
P2P+=" -device xio3130-downstream,id=dn3,bus=up1,chassis=4,slot=0"
P2P+=" -device nvme,serial=rlist,cmb_size_mb=16,bus=dn1"
P2P+=" -device edu,dma_mask=0xffffffffffffffff,bus=dn2"
P2P+=" -object memory-backend-ram,id=shm0,size=1M"
P2P+=" -device ivshmem-plain,memdev=shm0,bus=dn3"
P2P+=" -object memory-backend-ram,id=shm1,size=1M"
P2P+=" -device ivshmem-plain,memdev=shm1"
# 6.12 allows P2P through the host bridge on AMD Zen CPUs only, and q35's
# host bridge is not in its list: -cpu EPYC gives the host-bridge route
# (behind the IOMMU, and with dma-direct in the swiotlb setup); the direct
# setup keeps QEMU's default CPU, where that route is refused.
ZEN="-cpu EPYC"
# The random tests run fewer lists here than on UML (make kunit), where
# rlist_prop runs its 100,000: under TCG with the sanitizers a list takes
# about 5 ms, a quarter of an hour for 100,000 in each setup.  What
# changes between setups is the DMA path, so rlist_prop runs most lists
# through dma-iommu (the longest path); the rlist_cpu model tests do not
# map, and their 250 lists run on UML and arm64.
PROP_IOMMU="rlist_prop.lists=${RLIST_PROP_LISTS:-10000}"
PROP="rlist_prop.lists=${RLIST_PROP_LISTS:-5000}"
CPU="rlist_kunit.rlist_cpu_lists=50"
# The tests touch a PCI device only if its vendor:device id is listed here
# (edu, QEMU's NVMe controller, ivshmem-plain): lib/rlist/rlist_kunit_pci.c.
OWN="rlist_kunit.qemu_pci=1234:11e8,1b36:0010,1af4:1110"
# untouched: the iommu setup without $OWN (and without the memory that
# gives it swiotlb: no device is used).  Every test that needs a device
# skips, and ib_umem_qemu_pci finds them all as they were at boot
# (harness/expected-skips).
# The longest setups first: two boot at a time.
SETUPS=(
	"iommu|-machine q35 -m 5G $ZEN -device intel-iommu $EDU $P2P|iommu.strict=1 $PROP_IOMMU $CPU $OWN"
	"swiotlb|-machine q35 $ZEN $EDU $P2P|swiotlb=force $PROP $CPU $OWN"
	"direct|-machine q35 $EDU $P2P|$PROP $CPU $OWN"
	"untouched|-machine q35 $ZEN -device intel-iommu $EDU $P2P|iommu.strict=1 rlist_prop.lists=1000 $CPU"
)
X86_DIR=$BUILD/x86
BOOT_DIR=$BUILD/x86-boot

build() {
	kunit_build "$TREE" x86_64 "$X86_DIR" "$LOGS/kunit-qemu-build.log" \
		"$RLIST_REPO/kunit/qemu-x86" "$SANITIZERS"
}

# Boot the kernel in one setup; prints its result line, returns non-zero
# on any failure, crash, timeout or skipped edu suite.
run_setup() {
	local name=$1 qargs=$2 kargs=$3
	local log=$LOGS/kunit-qemu-$name.log json=$LOGS/kunit-qemu-$name.json
	local dir=$BOOT_DIR/$name rc line passed failed why=
	local extra=()

	[ -n "$kargs" ] && extra=(--kernel_args="$kargs")
	# kunit.py exec reads the kernel from its build dir
	# and writes test.log there: one dir a setup, so that setups can boot
	# at the same time.
	rm -rf "$dir"
	mkdir -p "$dir/arch/x86/boot"
	cp "$X86_DIR/.config" "$dir/"
	ln -s "$X86_DIR/arch/x86/boot/bzImage" "$dir/arch/x86/boot/bzImage"
	rm -f "$json"
	info "kunit.py exec, setup $name: $qargs${kargs:+, kernel args: $kargs} (log: $log)"
	set +e
	(cd "$TREE" && python3 tools/testing/kunit/kunit.py exec --arch=x86_64 \
		--build_dir="$dir" --timeout=900 --qemu_args="$qargs" \
		"${extra[@]}" --json="$json") 2>&1 | tee "$log" |
		grep --line-buffered -E "$KUNIT_SHOW" |
		sed -u "s/^/[$name] /"
	rc=${PIPESTATUS[0]}
	set -e
	# kunit.py only shows the log of failed tests: keep the whole kernel
	# output (the kunit_info lines: DMA addresses, IOMMU or not).
	if [ -f "$dir/test.log" ]; then
		echo "==== raw kernel output ($dir/test.log)" >>"$log"
		cat "$dir/test.log" >>"$log"
	fi

	line=$(kunit_counts "$log")
	read -r passed failed <<<"${line:-0 0}"
	if [ -z "$line" ]; then
		why="no test results (boot failed or timed out)"
		tail -n 30 "$log" >&2
	elif [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
		why="kunit.py exit status $rc"
	elif ! [ -s "$json" ]; then
		why="no JSON results"
	elif grep -E 'DMA-API: .*(device driver|exceeded)' "$log" |
	     grep -qEv 'dma_rlist_test_(debug|misuse)'; then
		# CONFIG_DMA_API_DEBUG found misuse outside the tests that
		# provoke it on purpose.
		why="DMA API debugging reported an error"
	elif ! kernel_reports "kunit-qemu-$name" "$log" >&2; then
		why="kernel report above"
	elif ! why=$(kmemleak_ran "$json" 2>&1); then
		:
	elif ! kunit_status "kunit-qemu-$name" "$log" >&2; then
		why="test results above"
	else
		why=
	fi
	if [ -n "$SUITES" ] && [ -s "$json" ]; then
		python3 "$RLIST_REPO/harness/kunit-summary.py" "$json"
	fi
	echo "kunit-qemu-$name: $passed passed, $failed failed"
	echo "$passed passed, $failed failed" >"$LOGS/kunit-qemu-$name.summary"
	if [ -n "$why" ]; then
		echo "kunit-qemu-$name: FAILED ($why, full log in $log)" >&2
		return 1
	fi
}

main() {
	local s name rest qargs kargs fail=0 want=() build_only='' ran=()

	SUITES=
	if [ "${1:-}" = "--suites" ]; then
		SUITES=1
		shift
	fi
	if [ "${1:-}" = "--build-only" ]; then
		build_only=1
		shift
	fi
	want=("$@")
	require_tree
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is not installed: run make deps"
	mkdir -p "$LOGS" "$CCACHE_DIR" "$BOOT_DIR"
	build
	[ -z "$build_only" ] || return 0
	for s in "${SETUPS[@]}"; do
		name=${s%%|*}
		rest=${s#*|}
		qargs=${rest%%|*}
		kargs=${rest#*|}
		if [ "${#want[@]}" -gt 0 ] && ! [[ " ${want[*]} " == *" $name "* ]]; then
			continue
		fi
		# At most JOBS boots at once.
		while [ "$(jobs -rp | wc -l)" -ge "${JOBS:-2}" ]; do
			wait -n || true
		done
		rm -f "$BOOT_DIR/$name.rc"
		(
			rc=0
			run_setup "$name" "$qargs" "$kargs" || rc=$?
			echo "$rc" >"$BOOT_DIR/$name.rc"
		) &
		ran+=("$name")
	done
	wait
	for name in "${ran[@]}"; do
		[ "$(cat "$BOOT_DIR/$name.rc" 2>/dev/null)" = 0 ] || fail=1
	done
	if [ "$fail" -ne 0 ]; then
		echo "kunit-qemu: FAILED" >&2
		exit 1
	fi
}

main "$@"
