#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make check: hygiene of the rlist sources.  Fails on any finding of
#  - checkpatch.pl --strict on every overlay source file and every patch;
#  - sparse (C=2) on the rlist directories, in the UML KUnit build dir
#    (same CC as make kunit, so nothing else is rebuilt), and on the x86
#    objects (SPARSE_X86_OBJS) in the make kunit-qemu build dir if it exists;
#  - kernel-doc -none -Wall on every overlay .c/.h of the kernel code;
#  - the ib_umem helpers of 6.12 still usable by modules of any license.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Directories built and checked with sparse, and the files whose sparse
# findings count: rlist's own, and the upstream files the series patches,
# which are sparse-clean in the base tree (findings in other kernel headers
# are upstream's).
SPARSE_DIRS=${SPARSE_DIRS:-lib/rlist kernel/dma}
SPARSE_X86_OBJS=${SPARSE_X86_OBJS:-kernel/dma/rlist_edu_kunit.o kernel/dma/rlist.o drivers/iommu/dma-iommu.o drivers/iommu/iommu.o drivers/pci/p2pdma.o}
SPARSE_FILES_RE=${SPARSE_FILES_RE:-(lib/rlist/|kernel/dma/(rlist|dma_rlist|rlist_edu)[^/]*\.c|include/linux/(dma-)?rlist[^/]*\.h|drivers/iommu/(dma-)?iommu\.c|include/linux/iommu(-dma)?\.h)}

fail=0

finding() {
	echo "check: $*" >&2
	fail=1
}

run_checkpatch() {
	local f out n=0

	# checkpatch runs scripts/spdxcheck.py with python3: use Debian's,
	# which has python3-ply and python3-git (make deps), whatever python3
	# comes first in PATH.
	info "checkpatch --strict on the overlay files and patches"
	while IFS= read -r f; do
		case "$f" in
		*.c|*.h|*/Kconfig|*/Kconfig.*|*/Makefile|*/Kbuild|*.rst|*.S|*.sh|*.py) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		if ! out=$(cd "$TREE" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --quiet -f "$f" 2>&1); then
			echo "$out"
			finding "checkpatch: $f"
		fi
	done < <(overlay_files)
	while IFS= read -r f; do
		n=$((n + 1))
		if ! out=$(cd "$TREE" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl --strict --quiet "$f" 2>&1); then
			echo "$out"
			finding "checkpatch: ${f#"$RLIST_REPO"/}"
		fi
	done < <(series_patches)
	echo "    $n file(s) checked"
}

run_sparse() {
	local log=$LOGS/sparse.log d rc=0

	info "sparse (C=2) on $SPARSE_DIRS (log: $log)"
	[ -f "$BUILD/uml/.config" ] || die "no UML build in $BUILD/uml: run make kunit first"
	command -v sparse >/dev/null || die "sparse is not installed: run make deps"
	: >"$log"
	for d in $SPARSE_DIRS; do
		# kbuild prints sparse findings as <path>:<line>:<col>: warning|error:
		(cd "$TREE" && make -s ARCH=um O="$BUILD/uml" CC="$KCC" \
			-j"${JOBS:-2}" C=2 "$d/") >>"$log" 2>&1 || rc=$?
	done
	if [ -f "$BUILD/x86/.config" ]; then
		info "sparse (C=2) on $SPARSE_X86_OBJS in $BUILD/x86"
		# shellcheck disable=SC2086
		(cd "$TREE" && make -s ARCH=x86_64 O="$BUILD/x86" CC="$KCC" \
			-j"${JOBS:-2}" C=2 $SPARSE_X86_OBJS) >>"$log" 2>&1 || rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$log" >&2
		finding "sparse: make failed (exit $rc)"
		return
	fi
	if grep -E "(^|/)$SPARSE_FILES_RE[^:]*:[0-9]+:([0-9]+:)? *(warning|error)" "$log"; then
		finding "sparse reported the findings above"
	fi
}

run_kernel_doc() {
	local f out

	info "kernel-doc -none -Wall on the overlay sources"
	while IFS= read -r f; do
		case "$f" in *.c|*.h) ;; *) continue ;; esac
		case "$f" in include/*|lib/*|kernel/*|drivers/*|mm/*) ;; *) continue ;; esac
		out=$(cd "$TREE" && perl scripts/kernel-doc -none -Wall "$f" 2>&1) || {
			echo "$out"
			finding "kernel-doc failed on $f"
			continue
		}
		if [ -n "$out" ]; then
			echo "$out"
			finding "kernel-doc: $f"
		fi
	done < <(overlay_files)
}

# The 6.12 ib_umem helpers a module of any license could use must still
# need only symbols exported to every module: compile
# tools/testing/rlist/ib_umem_any_license.c with umem.o's flags from the
# x86_64 KUnit build (if there is one) and look up each symbol it needs.
run_any_license() {
	local src=$RLIST_REPO/tools/testing/rlist/ib_umem_any_license.c
	local obj=$LOGS/ib_umem_any_license.o cmd sym gpl=

	[ -f "$BUILD/x86/compile_commands.json" ] || return 0
	info "ib_umem helpers of 6.12 usable by modules of any license"
	cmd=$(python3 - "$BUILD/x86/compile_commands.json" "$src" "$obj" <<'PY'
import json, sys
for e in json.load(open(sys.argv[1])):
    if e["file"].endswith("/drivers/infiniband/core/umem.c"):
        c = e["command"].split(" -c -o ")[0]
        # Not the dependency file of umem.o.
        c = " ".join(w for w in c.split(" ") if not w.startswith("-Wp,-MMD"))
        print("cd %s && %s -c -o %s %s" % (e["directory"], c, sys.argv[3], sys.argv[2]))
        break
PY
)
	if [ -z "$cmd" ] || ! bash -c "$cmd"; then
		finding "could not compile $src like umem.o"
		return
	fi
	for sym in $(nm -u "$obj" | awk '{ print $2 }'); do
		if git -C "$TREE" grep -qE "EXPORT_SYMBOL(_NS)?_GPL\($sym\b" -- '*.c'; then
			gpl+=" $sym"
		fi
	done
	if [ -n "$gpl" ]; then
		finding "ib_umem helpers of 6.12 now need GPL-only symbols:$gpl"
	fi
}

main() {
	require_tree
	mkdir -p "$LOGS"
	run_checkpatch
	run_sparse
	run_kernel_doc
	run_any_license
	if [ "$fail" -ne 0 ]; then
		echo "check: FAILED" >&2
		exit 1
	fi
	echo "check: clean"
}

main "$@"
