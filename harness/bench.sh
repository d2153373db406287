#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: range lists against scatterlist, side by side on the same
# pages in the same boot (lib/rlist/rlist_bench.c, driven by
# tools/testing/rlist/rlist_bench.c).
#
# Builds two non-debug kernels with kunit.py (no test enabled, booted with
# kunit.enable=0): UML with kunit/bench-uml (build/bench-uml) and x86_64
# with kunit/bench-x86 (build/bench-x86).  Runs the driver as init:
#   uml      UML, hostfs root, dma-direct on a root device (pipeline up
#            to 64 MiB: a 1 GiB user buffer exhausts UML's host mappings)
#   iommu    QEMU q35 + intel-iommu (iommu.strict=1) + edu: dma-iommu
#   direct   QEMU q35 + edu: dma-direct
#   swiotlb  QEMU q35 + edu, swiotlb=65536,force (128 MiB of bounce
#            buffer): sizes 1M and 64M only
# QEMU is TCG (no KVM).  By default it runs with -icount shift=0: the
# guest clock advances 1 ns per guest instruction, so a QEMU "ns" is an
# instruction executed, the same on every run (no noise from the host or
# from the emulator's own costs per memory access and indirect branch,
# which have little to do with hardware).  BENCH_CLOCK=tcg runs on the
# emulator's wall clock instead (noisy; compare the ratios only).  Results: build/bench/<path>.log, build/bench/results.txt (the
# tables), build/bench/bench.png (ratios rlist/sg); with --commit they are
# copied to harness/bench/.
#
# Environment: BENCH_SIZES (default 1M,64M,1G), BENCH_REPS (11), BENCH_REPS_BIG
# (reps for 1 GiB and more, 5), BENCH_PATHS (default "uml iommu direct
# swiotlb"), BENCH_BIG=1 adds 16G where the guest has the memory (QEMU -m 40G:
# needs that much free host memory), BENCH_CLOCK (icount or tcg, see above).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT=$BUILD/bench
UML_DIR=$BUILD/bench-uml
X86_DIR=$BUILD/bench-x86
PROG_SRC=$RLIST_REPO/tools/testing/rlist/rlist_bench.c
PROG_HDR=$RLIST_REPO/lib/rlist/rlist_bench_uapi.h
SIZES=${BENCH_SIZES:-1M,64M,1G}
REPS=${BENCH_REPS:-11}
REPS_BIG=${BENCH_REPS_BIG:-5}
PATHS=${BENCH_PATHS:-uml iommu direct swiotlb}
MEM=4G
if [ -n "${BENCH_BIG:-}" ]; then
	SIZES=$SIZES,16G
	MEM=40G
fi
TIMEOUT=${BENCH_TIMEOUT:-1200}
CLOCK=${BENCH_CLOCK:-icount}
case $CLOCK in
icount) QCLOCK="-icount shift=0";;
tcg) QCLOCK=;;
*) die "BENCH_CLOCK: icount or tcg, not $CLOCK";;
esac
EDU="-device edu,dma_mask=0xffffffffffffffff"
APPEND="console=ttyS0 kunit.enable=0 rdinit=/init panic=-1 loglevel=4"

kbuild() {
	kunit_build "$TREE" "$1" "$2" "$LOGS/bench-build-$1.log" "$RLIST_REPO/kunit/$3"
}

build_prog() {
	local gen=$OUT/gen_init_cpio prog=$OUT/rlist_bench list=$OUT/initramfs.list

	mkdir -p "$OUT" "$OUT/umlroot"
	if stale "$prog" "$PROG_SRC" "$PROG_HDR"; then
		info "building $prog"
		gcc -static -O2 -Wall -Werror -o "$prog" "$PROG_SRC"
	fi
	cp "$prog" "$OUT/umlroot/rlist_bench"
	mkdir -p "$OUT/umlroot/proc" "$OUT/umlroot/sys" "$OUT/umlroot/dev"
	if stale "$gen" "$TREE/usr/gen_init_cpio.c"; then
		gcc -O2 -o "$gen" "$TREE/usr/gen_init_cpio.c"
	fi
	cat >"$list" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $prog 0755 0 0
EOF
	"$gen" "$list" >"$OUT/initramfs.cpio"
}

# Run the driver on one path; its output goes to build/bench/<path>.log.
run_path() {
	local path=$1 log=$OUT/$1.log sizes=$SIZES qargs kargs= rc t0

	[ "$path" = swiotlb ] && sizes=1M,64M
	local args="-p $path -s $sizes -r $REPS -R $REPS_BIG"
	t0=$(date +%s)
	set +e
	case $path in
	uml)
		info "UML: $UML_DIR/linux (log: $log)"
		# A 1 GiB user buffer exhausts the UML process's host
		# mappings: the pipeline stops at 64 MiB there.
		timeout "$TIMEOUT" "$UML_DIR/linux" mem=3G console=tty root=/dev/root \
			kunit.enable=0 rootfstype=hostfs rootflags="$OUT/umlroot" \
			rw init=/rlist_bench -- $args -P 64M </dev/null 2>&1 |
			tr -d '\r' >"$log"
		rc=${PIPESTATUS[0]}
		;;
	*)
		case $path in
		iommu)
			qargs="-machine q35 -device intel-iommu $EDU"
			kargs="intel_iommu=on iommu.strict=1";;
		direct)
			qargs="-machine q35 $EDU";;
		swiotlb)
			qargs="-machine q35 $EDU"
			kargs="swiotlb=65536,force";;
		*) die "unknown path $path";;
		esac
		info "QEMU $path: $qargs${kargs:+, kernel args: $kargs} (log: $log)"
		# shellcheck disable=SC2086
		timeout "$TIMEOUT" qemu-system-x86_64 $qargs $QCLOCK -m "$MEM" -nographic \
			-no-reboot -kernel "$X86_DIR/arch/x86/boot/bzImage" \
			-initrd "$OUT/initramfs.cpio" \
			-append "$APPEND $kargs -- $args" </dev/null 2>&1 |
			tr -d '\r' >"$log"
		rc=${PIPESTATUS[0]}
		if [ "$CLOCK" = icount ]; then
			sed -i '1i # QEMU clock: -icount shift=0, a QEMU ns is one guest instruction (exact, no noise)' "$log"
		else
			sed -i '1i # QEMU clock: TCG wall clock (emulated time, noisy: compare the ratios only)' "$log"
		fi
		;;
	esac
	set -e
	echo "$path $(( $(date +%s) - t0 ))" >>"$OUT/times.txt"
	if [ "$rc" -ne 0 ] || ! grep -q "^# rlist_bench: $path: done" "$log" ||
	   grep -qE '^not ok|Oops|BUG:|WARNING:|Kernel panic' "$log"; then
		grep -E '^not ok|Oops|BUG:|WARNING:|Kernel panic' "$log" | head >&2 || true
		echo "bench: $path FAILED (exit $rc, log: $log)" >&2
		return 1
	fi
	info "$path: done in $(( $(date +%s) - t0 )) s"
}

# The tables of every path, then the chart of the ratios.
report() {
	local p

	: >"$OUT/results.txt"
	: >"$OUT/data.txt"
	for p in $PATHS; do
		[ -f "$OUT/$p.log" ] || continue
		grep -E '^(#|not ok|input |4k |folio |mixed )' "$OUT/$p.log" |
			grep -v '^# rlist_bench: .*: done' >>"$OUT/results.txt" || true
		echo >>"$OUT/results.txt"
		grep '^DATA ' "$OUT/$p.log" | cut -d' ' -f2- >>"$OUT/data.txt" || true
	done
	python3 "$RLIST_REPO/harness/bench-chart.py" "$OUT/data.txt" "$OUT"
	if command -v gnuplot >/dev/null; then
		gnuplot "$OUT/bench.gp"
		info "chart: $OUT/bench.png"
	else
		echo "bench: gnuplot missing (make deps), no chart" >&2
	fi
}

main() {
	local p fail=0 commit= t0

	if [ "${1:-}" = "--commit" ]; then
		commit=1
		shift
	fi
	require_tree
	mkdir -p "$LOGS" "$OUT" "$CCACHE_DIR"
	: >"$OUT/times.txt"
	t0=$(date +%s)
	[[ " $PATHS " == *" uml "* ]] && kbuild um "$UML_DIR" bench-uml
	[[ "$PATHS" == *[a-z]* ]] && [[ " $PATHS " != " uml " ]] &&
		kbuild x86_64 "$X86_DIR" bench-x86
	echo "build $(( $(date +%s) - t0 ))" >>"$OUT/times.txt"
	build_prog
	for p in $PATHS; do
		run_path "$p" || fail=1
	done
	report
	cat "$OUT/times.txt"
	if [ -n "$commit" ]; then
		mkdir -p "$RLIST_REPO/harness/bench"
		cp "$OUT/results.txt" "$RLIST_REPO/harness/bench/results.txt"
		[ -f "$OUT/bench.png" ] && cp "$OUT/bench.png" "$RLIST_REPO/harness/bench/bench.png"
	fi
	[ "$fail" -eq 0 ] || die "bench: a path failed"
	echo "bench: done (results: $OUT/results.txt, chart: $OUT/bench.png)"
}

main "$@"
