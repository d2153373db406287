#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make kunit-arm64: build the arm64 KUnit kernel with kunit/qemu-arm64 and
# boot it under qemu-system-aarch64 (TCG, virt machine).  arm64 devices are
# not DMA coherent by default, so the dma_rlist suite sees the cache
# maintenance that x86 and UML never do; its dma_rlist_test_noncoherent*
# tests must run (not skip) and pass, as every test but the skips that
# harness/expected-skips lists for kunit-arm64.  Log: build/logs/kunit-arm64.log
# (kunit.py output, then the raw kernel output) and .json; the summary
# goes to build/logs/kunit-arm64.summary, read by make test.
#
# Usage: kunit-arm64.sh [--suites]   (--suites adds a per-suite table)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CROSS=aarch64-linux-gnu-
# A fixed compiler string, as KCC for the other builds: kbuild rebuilds
# everything when it changes.
ARM64_CC=${ARM64_CC:-ccache ${CROSS}gcc}
ARM64_DIR=$BUILD/arm64

main() {
	local log=$LOGS/kunit-arm64.log json=$LOGS/kunit-arm64.json
	local summary=$LOGS/kunit-arm64.summary rc line passed failed why=

	require_tree
	command -v qemu-system-aarch64 >/dev/null ||
		die "qemu-system-aarch64 is not installed: run make deps"
	command -v "${CROSS}gcc" >/dev/null ||
		die "${CROSS}gcc is not installed: run make deps"
	mkdir -p "$LOGS" "$CCACHE_DIR"
	rm -f "$log" "$json" "$summary" "$ARM64_DIR/test.log"
	info "kunit.py run --arch=arm64 (log: $log)"
	progress_start "arm64 build in arm64" "$ARM64_DIR" "$log"
	set +e
	(cd "$TREE" && python3 tools/testing/kunit/kunit.py run --arch=arm64 \
		--cross_compile="$CROSS" --build_dir="$ARM64_DIR" \
		--kunitconfig="$RLIST_REPO/kunit/qemu-arm64" \
		--jobs="${JOBS:-2}" --make_options "CC=$ARM64_CC" --timeout=300 \
		--json="$json") 2>&1 | tee "$log" | grep --line-buffered -E "$KUNIT_SHOW" |
		progress_lines
	rc=${PIPESTATUS[0]}
	set -e
	progress_stop "$ARM64_DIR" "$(built "$log")"
	# kunit.py only shows the log of failed tests: keep the kernel output.
	if [ -f "$ARM64_DIR/test.log" ]; then
		echo "==== raw kernel output ($ARM64_DIR/test.log)" >>"$log"
		cat "$ARM64_DIR/test.log" >>"$log"
	fi

	line=$(kunit_counts "$log")
	read -r passed failed <<<"${line:-0 0}"
	if [ -z "$line" ]; then
		why="no test results (build or boot failed)"
		tail -n 30 "$log" >&2
	elif [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
		why="kunit.py exit status $rc"
	elif ! [ -s "$json" ]; then
		why="no JSON results"
	elif ! kernel_reports kunit-arm64 "$log" >&2; then
		why="kernel report above"
	elif ! kunit_status kunit-arm64 "$log" >&2; then
		why="test results above"
	else
		why=
	fi
	if [ "${1:-}" = "--suites" ] && [ -s "$json" ]; then
		python3 "$RLIST_REPO/harness/kunit-summary.py" "$json"
	fi
	echo "$passed passed, $failed failed" >"$summary"
	echo "kunit-arm64: $passed passed, $failed failed"
	if [ -n "$why" ]; then
		echo "kunit-arm64: FAILED ($why, full log in $log)" >&2
		exit 1
	fi
}

main "$@"
