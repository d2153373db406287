#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make kunit-arm64, kunit-i386, kunit-arm, kunit-s390: build a small KUnit
# kernel of the rlist suites that need no PCI device, cross-compiled with a
# Debian compiler, and boot it under QEMU (TCG).  Each adds what neither
# UML nor x86_64 has:
#
#   arm64  64 KiB pages; devices that are not DMA coherent, so that the
#          dma_rlist_test_noncoherent* tests run (they must not skip)
#   i386   32-bit size_t and unsigned long with 64-bit phys_addr_t and
#          dma_addr_t (PAE), and highmem
#   arm    the same on arm (LPAE), with non-coherent devices
#   s390   big-endian, 64-bit
#
# The configuration is tinyconfig plus kunit/qemu-<arch>/.kunitconfig
# (console, the suites, the architecture's options), so that each build
# is about half of what kunit.py's defaults would give; every option the
# fragment sets must stick.  kunit.py then boots the kernel (kunit.py
# exec) and parses its output.  Every test passes but the skips
# harness/expected-skips lists for the tier, and the kernel reports
# nothing.  The property test runs at least 10,000 lists.
# Log: build/logs/kunit-<arch>.log (build, kunit.py output, then the raw
# kernel output) and .json; the summary goes to
# build/logs/kunit-<arch>.summary, read by make test.
#
# Usage: kunit-arch.sh <arch> [--suites]   (--suites adds a per-suite table)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# <kunit.py and kbuild arch> <cross prefix> <QEMU> <QEMU args> <kernel args>
# ("-" for none; "_" stands for a space in QEMU args)
declare -A ARCHES=(
	[arm64]="arm64 aarch64-linux-gnu- qemu-system-aarch64 - -"
	[i386]="i386 i686-linux-gnu- qemu-system-i386 -m_2048 rlist_prop.lists=10000"
	[arm]="arm arm-linux-gnueabihf- qemu-system-arm -m_2048 rlist_prop.lists=10000"
	[s390]="s390 s390x-linux-gnu- qemu-system-s390x - rlist_prop.lists=10000"
)
# The rlist_cpu model tests map nothing: UML runs their 250 random lists,
# these kernels 50 (as the x86_64 setups).
CPU_LISTS=rlist_kunit.rlist_cpu_lists=50

# configure DIR FRAGMENT: tinyconfig plus FRAGMENT in DIR; fails if an
# option FRAGMENT sets did not stick (a missing dependency).
configure() {
	local dir=$1 frag=$2 missing

	rm -f "$dir/.rlist-config.log"
	# (olddefconfig says each option of the fragment overrides tinyconfig)
	LOG=$dir/.rlist-config.log kmake "$dir" tinyconfig
	cat "$frag" >>"$dir/.config"
	LOG=$dir/.rlist-config.log kmake "$dir" olddefconfig
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while read -r l; do
		grep -qx "$l" "$dir/.config" || printf '%s ' "$l"
	done)
	[ -z "$missing" ] ||
		die "$frag: not in the configuration (a dependency is off):" \
			"$missing"
}

# kmake DIR ARGS...: make in the tree for this architecture, into DIR.
kmake() {
	local dir=$1

	shift
	(cd "$TREE" && make -s ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
		CC="ccache ${CROSS}gcc" O="$dir" "$@") >>"$LOG" 2>&1
}

# ccache cannot see the kernel image that a boot wrapper's piggy.S pulls
# in with .incbin: it hands back the piggy.o of an earlier build, and the
# zImage boots an old kernel.  Assemble the wrappers again without it.
rewrap() {
	local dir=$1

	find "$dir/arch" -name 'piggy.o' -delete
	CCACHE_DISABLE=1 kmake "$dir" -j"${JOBS:-2}"
}

main() {
	local name=${1:-} tier json summary dir rc=0 line passed failed why=
	local qemu qargs kargs frag
	local -a opts=()

	if [ -z "$name" ] || [ -z "${ARCHES[$name]:-}" ]; then
		die "usage: kunit-arch.sh {${!ARCHES[*]}} [--suites]"
	fi
	shift
	read -r KARCH CROSS qemu qargs kargs <<<"${ARCHES[$name]}"
	tier=kunit-$name
	LOG=$LOGS/$tier.log json=$LOGS/$tier.json summary=$LOGS/$tier.summary
	dir=$BUILD/$name
	frag=$RLIST_REPO/kunit/qemu-$name/.kunitconfig
	[ "$qargs" = - ] || opts+=(--qemu_args="${qargs//_/ }")
	opts+=(--kernel_args="$CPU_LISTS")
	[ "$kargs" = - ] || opts+=(--kernel_args="$kargs")

	require_tree
	command -v "$qemu" >/dev/null || die "$qemu is not installed: run make deps"
	command -v "${CROSS}gcc" >/dev/null ||
		die "${CROSS}gcc is not installed: run make deps"
	mkdir -p "$LOGS" "$CCACHE_DIR" "$dir"
	rm -f "$LOG" "$json" "$summary" "$dir/test.log"

	info "$name: tinyconfig + ${frag#"$RLIST_REPO"/} in $dir (log: $LOG)"
	configure "$dir" "$frag"
	progress_start "$name build in $name" "$dir" "$LOG"
	kmake "$dir" -j"${JOBS:-2}" || rc=$?
	[ "$rc" -ne 0 ] || rewrap "$dir" || rc=$?
	progress_stop "$dir" "$rc"
	if [ "$rc" -ne 0 ]; then
		grep -E 'error|warning' "$LOG" | head -n 20 >&2 || true
		die "$tier: build failed (exit $rc, log $LOG)"
	fi
	if grep -qE ':[0-9]+:[0-9]+: warning:' "$LOG"; then
		grep -E ':[0-9]+:[0-9]+: warning:' "$LOG" | head -n 20 >&2
		die "$tier: the build warns (log $LOG)"
	fi

	info "kunit.py exec --arch=$KARCH"
	set +e
	(cd "$TREE" && python3 tools/testing/kunit/kunit.py exec \
		--arch="$KARCH" --cross_compile="$CROSS" --build_dir="$dir" \
		--kunitconfig="$frag" --timeout=600 "${opts[@]}" \
		--json="$json") 2>&1 | tee -a "$LOG" |
		grep --line-buffered -E "$KUNIT_SHOW"
	rc=${PIPESTATUS[0]}
	set -e
	# kunit.py only shows the log of failed tests: keep the kernel output.
	if [ -f "$dir/test.log" ]; then
		echo "==== raw kernel output ($dir/test.log)" >>"$LOG"
		cat "$dir/test.log" >>"$LOG"
	fi

	line=$(kunit_counts "$LOG")
	read -r passed failed <<<"${line:-0 0}"
	if [ -z "$line" ]; then
		why="no test results (boot failed)"
		tail -n 30 "$LOG" >&2
	elif [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
		why="kunit.py exit status $rc"
	elif ! [ -s "$json" ]; then
		why="no JSON results"
	elif ! kernel_reports "$tier" "$LOG" >&2; then
		why="kernel report above"
	elif ! kunit_status "$tier" "$LOG" >&2; then
		why="test results above"
	fi
	if [ "${1:-}" = "--suites" ] && [ -s "$json" ]; then
		python3 "$RLIST_REPO/harness/kunit-summary.py" "$json"
	fi
	echo "$passed passed, $failed failed" >"$summary"
	echo "$tier: $passed passed, $failed failed"
	if [ -n "$why" ]; then
		echo "$tier: FAILED ($why, full log in $LOG)" >&2
		exit 1
	fi
}

main "$@"
