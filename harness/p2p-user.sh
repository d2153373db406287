#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make p2p-user: a user program pins an NVMe CMB's P2PDMA memory long-term.
#
# Boots the x86_64 kernel that make kunit-qemu built in build/x86 (it has
# CONFIG_RLIST_PIN_TEST and CONFIG_BLK_DEV_INITRD; KUnit is disabled with
# kunit.enable=0) under qemu-system-x86_64 (TCG) with an nvme device whose
# CMB the nvme driver publishes as p2pmem, and an initramfs whose /init is
# tools/testing/rlist/p2pmem_pin.c (built static with the host gcc).  The
# program mmaps the CMB from sysfs, pins it through the rlist_pin debugfs
# file, unbinds the nvme driver while it is pinned, then powers off.
# Passes if every expected "ok" line is there and no "not ok", Oops, BUG or
# WARNING line appears.  Log: build/logs/p2p-user.log.  Builds no kernel:
# run make kunit-qemu first.
#
# Usage: p2p-user.sh [kernel arg...]   (added to the kernel command line,
# e.g. RLIST_P2PMEM_MUTATE=p2pdma to check that the test can fail)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

X86_DIR=$BUILD/x86
KERNEL=$X86_DIR/arch/x86/boot/bzImage
OUT=$BUILD/p2p-user
PROG_SRC=$RLIST_REPO/tools/testing/rlist/p2pmem_pin.c
PROG_HDR=$RLIST_REPO/lib/rlist/rlist_pin_test_uapi.h
LOG=$LOGS/p2p-user.log
TIMEOUT=300
# The nvme behind a PCIe switch, as in the P2P setups of kunit-qemu.sh.
P2P="-device pcie-root-port,id=rp1,chassis=1,slot=1"
P2P+=" -device x3130-upstream,id=up1,bus=rp1"
P2P+=" -device xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=0"
P2P+=" -device nvme,serial=rlist,cmb_size_mb=16,bus=dn1"
# The console shows warnings and worse only (loglevel=5), so that driver
# chatter does not split the program's lines; the program itself scans
# the whole kernel log for warnings.
APPEND="console=ttyS0 kunit.enable=0 rdinit=/init panic=-1 loglevel=5"
# Every one of these must start an "ok N" line (in any order).
EXPECTED=(
	"nvme .* publishes its CMB as p2pmem"
	"CMB mapped MAP_SHARED read-write, pattern written and read back"
	"CMB pin without FOLL_PCI_P2PDMA refused"
	"CMB long-term writable pin without FOLL_PCI_P2PDMA refused"
	"CMB pinned with FOLL_LONGTERM \\| FOLL_WRITE \\| FOLL_PCI_P2PDMA"
	"every pinned page is a P2PDMA page"
	"pinned pages hold what was written through the mapping"
	"anonymous memory: long-term writable pin, no P2PDMA page"
	"ramfs MAP_SHARED: writable long-term pin refused"
	"ramfs MAP_SHARED: read-only long-term pin allowed"
	"ramfs MAP_SHARED: short-term writable pin allowed"
	"unbind removes the p2pmem allocate file"
	"unbind blocked while the CMB is pinned"
	"user mapping of the CMB zapped: access gets SIGBUS"
	"pinned CMB pages still hold the pattern during the unbind"
	"unpin"
	"unbind finishes once unpinned"
	"p2pmem directory gone after the unbind"
	"device has no driver after the unbind"
	"munmap of the zapped mapping"
	"rebind publishes the CMB again"
	"CMB pinned long-term again after the rebind"
	"kernel log has no warning, BUG or Oops"
)

# The kernel of make kunit-qemu, with what the program needs.
check_kernel() {
	local opt

	if ! [ -f "$KERNEL" ] || ! [ -f "$X86_DIR/.config" ]; then
		die "no x86_64 kernel in $X86_DIR: run make kunit-qemu first"
	fi
	for opt in CONFIG_BLK_DEV_INITRD CONFIG_RLIST_PIN_TEST \
		   CONFIG_BLK_DEV_NVME CONFIG_PCI_P2PDMA; do
		grep -qx "$opt=y" "$X86_DIR/.config" ||
			die "$X86_DIR/.config lacks $opt=y: run make kunit-qemu"
	done
}

# The static program, gen_init_cpio and the initramfs, rebuilt when stale.
build_initramfs() {
	local gen=$OUT/gen_init_cpio prog=$OUT/p2pmem_pin list=$OUT/initramfs.list

	mkdir -p "$OUT"
	if stale "$gen" "$TREE/usr/gen_init_cpio.c"; then
		info "building $gen"
		gcc -O2 -o "$gen" "$TREE/usr/gen_init_cpio.c"
	fi
	if stale "$prog" "$PROG_SRC" "$PROG_HDR"; then
		info "building $prog"
		gcc -static -O2 -Wall -Werror -o "$prog" "$PROG_SRC"
	fi
	cat >"$list.tmp" <<EOF
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
dir /proc 0755 0 0
dir /sys 0755 0 0
dir /mnt 0755 0 0
file /init $prog 0755 0 0
EOF
	if ! cmp -s "$list.tmp" "$list"; then
		mv "$list.tmp" "$list"
	else
		rm -f "$list.tmp"
	fi
	if stale "$OUT/initramfs.cpio" "$prog" "$list" "$gen"; then
		info "building $OUT/initramfs.cpio"
		"$gen" "$list" >"$OUT/initramfs.cpio.tmp"
		mv "$OUT/initramfs.cpio.tmp" "$OUT/initramfs.cpio"
	fi
}

# Why the log in $1 is a failure; nothing if it passed.
verdict() {
	local log=$1 e bad reports
	local re='^not ok |^Bail out|Oops|BUG:|WARNING:|Kernel panic|Call Trace'

	# The program's own "ok" lines may name what they check for.
	bad=$(grep -vE '^ok [0-9]+ ' "$log" | grep -E "$re" | head -n 5 || true)
	if [ -n "$bad" ]; then
		echo "failures in the log: $bad"
		return
	fi
	for e in "${EXPECTED[@]}"; do
		if ! grep -qE "^ok [0-9]+ $e" "$log"; then
			echo "no \"ok\" line for: $e"
			return
		fi
	done
	grep -qE '^# p2pmem_pin: [0-9]+ tests, [0-9]+ passed, 0 failed' "$log" ||
		echo "no summary line with 0 failed"
	# Every kernel report (sanitizers, lockdep, hung tasks, ...) too.
	reports=$(kernel_reports p2p-user "$log") || echo "$reports"
}

main() {
	local rc why qargs

	require_tree
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is not installed: run make deps"
	check_kernel
	mkdir -p "$LOGS"
	build_initramfs

	qargs="-machine q35 -m 1G -nographic -no-reboot $P2P"
	info "qemu-system-x86_64 $qargs (log: $LOG)"
	set +e
	# shellcheck disable=SC2086
	timeout "$TIMEOUT" qemu-system-x86_64 $qargs -kernel "$KERNEL" \
		-initrd "$OUT/initramfs.cpio" -append "$APPEND${*:+ $*}" \
		</dev/null 2>&1 | tr -d '\r' | tee "$LOG" |
		grep --line-buffered -E '^(not )?ok [0-9]+ |^# p2pmem_pin:|^Bail out'
	rc=${PIPESTATUS[0]}
	set -e

	why=$(verdict "$LOG")
	if [ "$rc" -eq 124 ]; then
		why="timed out after $TIMEOUT s${why:+; $why}"
	elif [ "$rc" -ne 0 ] && [ -z "$why" ]; then
		why="qemu exit status $rc"
	fi
	if [ -n "$why" ]; then
		echo "p2p-user: FAILED ($why, full log in $LOG)" >&2
		exit 1
	fi
	echo "p2p-user: PASS"
}

main "$@"
