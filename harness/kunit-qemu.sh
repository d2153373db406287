#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make kunit-qemu: build the x86_64 KUnit kernel with kunit/qemu-x86 once,
# then boot it under qemu-system-x86_64 (TCG) with QEMU's edu PCI device in
# several setups; every test must pass in each, and the dma_rlist_edu suite
# must run (not skip) in each.  Logs: build/logs/kunit-qemu-build.log and
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
# The rlist_prop property test runs 100,000 random lists by default (about
# 3 s on UML); under TCG with DMA API debugging that takes 10 to 25 s per
# boot on an idle machine and twice that on a busy one: fewer here.
PROP="rlist_prop.lists=${RLIST_PROP_LISTS:-50000}"
SETUPS=(
	"iommu|-machine q35 -m 5G $ZEN -device intel-iommu $EDU $P2P|iommu.strict=1 $PROP"
	"direct|-machine q35 $EDU $P2P|$PROP"
	"swiotlb|-machine q35 $ZEN $EDU $P2P|swiotlb=force $PROP"
)
EDU_SUITE=dma_rlist_edu
# Must run and pass in every setup (they skip without the P2P topology or
# the edu device).
P2P_SUITES="dma_rlist_p2p rlist_gup_p2p ib_umem_edu ib_umem_p2p"
X86_DIR=$BUILD/x86
BOOT_DIR=$BUILD/x86-boot

# The kunit.py --json file: does the edu suite exist, and did all its tests
# pass (a skip means the edu device was not found)?  Without an IOMMU
# (second argument "noiommu") the edu_iommu_* tests must skip instead,
# with one ("iommu") the edu_ops_* tests; with "all", none.
edu_suite_ran() {
	python3 - "$1" "$EDU_SUITE" "${2:-}" <<'EOF'
import json, sys

def find(group, name):
    if group.get("name") == name:
        return group
    for sub in group.get("sub_groups", []):
        found = find(sub, name)
        if found:
            return found
    return None

with open(sys.argv[1]) as f:
    suite = find(json.load(f), sys.argv[2])
cases = suite.get("test_cases", []) if suite else []
if not cases:
    sys.exit(f"suite {sys.argv[2]} did not run")
def expected(case):
    name = case.get("name", "")
    if sys.argv[3] == "noiommu" and name.startswith("edu_iommu_"):
        return "SKIP"
    if sys.argv[3] == "iommu" and name.startswith("edu_ops_"):
        return "SKIP"
    return "PASS"

bad = [c.get("name", "?") + ": " + c.get("status", "?")
       for c in cases if c.get("status") != expected(c)]
if bad:
    sys.exit(f"suite {sys.argv[2]}: " + ", ".join(bad))
EOF
}

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
		grep --line-buffered -E '^\[[0-9:]+\] (Starting|Testing complete|Elapsed|.*(FAILED|CRASHED|ERROR|SKIPPED))' |
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
	elif ! why=$(edu_suite_ran "$json" \
		     "$([[ "$qargs" == *intel-iommu* ]] && echo iommu || echo noiommu)" 2>&1); then
		:
	elif ! why=$(for s in $P2P_SUITES; do
			EDU_SUITE=$s edu_suite_ran "$json" all || exit 1
		     done 2>&1); then
		:
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
