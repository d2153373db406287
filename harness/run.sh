#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make run: the main job.  Builds the demo kernel (kunit/demo-x86: the
# rlist code and soft-RoCE, no sanitizer and no test, in build/demo), boots
# it under QEMU with the e2e guest in its demo mode (harness/e2e.sh --demo)
# and prints what the guest showed: RDMA traffic over soft-RoCE through
# memory that ib_umem keeps in range lists, every byte checked.  make test
# runs the whole e2e set on the sanitizer kernel.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEMO_DIR=$BUILD/demo
DEMO_KERNEL=$DEMO_DIR/arch/x86/boot/bzImage

main() {
	local start=$SECONDS rc=0 t

	require_tree
	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is not installed: run make deps"
	need_disk 2 "the demo kernel's build (build/demo)"
	mkdir -p "$LOGS" "$CCACHE_DIR"
	info "make run: a small x86_64 kernel with rlist (about 10 min to build cold on 2 cores),"
	info "then RDMA over soft-RoCE in a QEMU guest through rlist-registered memory (under a minute)"
	kunit_build "$TREE" x86_64 "$DEMO_DIR" "$LOGS/demo-build.log" \
		"$RLIST_REPO/kunit/demo-x86"
	t=$((SECONDS - start))
	info "demo kernel built in $((t / 60)) min $((t % 60)) s; booting it under QEMU"
	"$RLIST_REPO/harness/e2e.sh" --demo --kernel "$DEMO_KERNEL" --name demo || rc=$?
	t=$((SECONDS - start))
	echo
	if [ "$rc" -ne 0 ]; then
		echo "make run: FAILED after $((t / 60)) min $((t % 60)) s: the error above says why" >&2
		exit "$rc"
	fi
	echo "make run: shown in $((t / 60)) min $((t % 60)) s: RDMA WRITE and READ over soft-RoCE (rxe)"
	echo "  through memory that ib_umem registered as range lists (rlist), every byte checked."
	echo "  Logs: $LOGS/demo-build.log (kernel build), $LOGS/e2e-demo.log (guest console)."
	echo "  Next: make test (KUnit under the sanitizers on UML, x86_64 and arm64, the whole RDMA set,"
	echo "  the series; about an hour cold), make bench (rlist against scatterlist)."
}

main "$@"
