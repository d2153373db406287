#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make drivers: build every RDMA driver of drivers/infiniband (x86_64,
# allmodconfig with CONFIG_WERROR off, so everything is a module) with
# W=1 and sparse (C=1), in the rlist tree and in the unmodified base, and
# fail on any warning of the rlist tree that the base does not have.
#
# Warnings are normalised to "file: warning: message" (line and column
# numbers and the tree's path dropped; gcc's notes and context lines and
# sparse's continuation lines are left out) and compared as multisets: a
# file with one more "incorrect type in assignment" than in the base
# fails too.  Only objects are built: linking the .ko files needs modpost,
# hence vmlinux.
#
#   DRIVERS_SRC   the rlist tree (default build/linux; e.g. a worktree)
#   BASE_SRC      the base tree: a worktree of rlist-base, only read
#                 (default build/base-src, added to build/linux's
#                 worktrees when it does not exist)
#   DRIVERS_DIR   what is built (default drivers/infiniband/)
#
# The base build log is cached in build/drivers-base/build.log, keyed by
# the base commit, the config fragment, the flags and the tool versions
# (build.key), and its warnings in build/drivers-base/warnings.txt: later
# runs build only the rlist tree.  Every run rebuilds DRIVERS_DIR
# from scratch in the build dir (ccache gives gcc's warnings back, sparse
# runs again), so that the warnings of unchanged files are counted too.
# Logs: build/logs/drivers{,-base}.log.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DRIVERS_SRC=${DRIVERS_SRC:-$TREE}
BASE_SRC=${BASE_SRC:-$BUILD/base-src}
DRIVERS_DIR=${DRIVERS_DIR:-drivers/infiniband/}
OUT=$BUILD/drivers
OUT_BASE=$BUILD/drivers-base
FLAGS="W=1 C=1"

# allmodconfig, but a warning must not stop the build: W=1 adds warnings
# that the base has too.
config_fragment() {
	printf '%s\n' '# CONFIG_WERROR is not set'
}

# Normalise the build log on stdin for source tree $1 and build dir $2.
normalise() {
	local src=$1 out=$2

	sed -E -e "s#^(\\.\\./)+##" -e "s#^$src/##" -e "s#^$out/##" |
		{ grep -E '^[^ :]+:[0-9]+(:[0-9]+)?: (warning|error): ' || true; } |
		sed -E 's#^([^ :]+):[0-9]+(:[0-9]+)?: #\1: #' |
		LC_ALL=C sort
}

# Configure build dir $2 from source tree $1.
configure() {
	local src=$1 out=$2 frag

	mkdir -p "$out"
	frag=$out/rlist-drivers.config
	config_fragment >"$frag"
	(cd "$src" && KCONFIG_ALLCONFIG=$frag make -s ARCH=x86_64 O="$out" \
		CC="$KCC" allmodconfig) || return 1
	grep -qx '# CONFIG_WERROR is not set' "$out/.config" ||
		die "$out/.config still has CONFIG_WERROR"
	grep -qx 'CONFIG_INFINIBAND=m' "$out/.config" ||
		die "$out/.config lacks CONFIG_INFINIBAND=m"
}

# Build DRIVERS_DIR of source tree $1 in $2, log in $3; prints the time.
build() {
	local src=$1 out=$2 log=$3 t0 rc=0

	t0=$(date +%s)
	configure "$src" "$out" >"$log" 2>&1 || {
		tail -n 20 "$log" >&2
		die "allmodconfig failed in $out: $log"
	}
	rm -rf "${out:?}/${DRIVERS_DIR%/}"
	# shellcheck disable=SC2086
	(cd "$src" && make -k -s ARCH=x86_64 O="$out" CC="$KCC" \
		-j"${JOBS:-2}" $FLAGS "$DRIVERS_DIR") >>"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		grep -E ': error: |Error [0-9]' "$log" | head -n 30 >&2
		die "build of $DRIVERS_DIR in $src failed (exit $rc): $log"
	fi
	echo $(($(date +%s) - t0))
}

cache_key() {
	local base

	base=$(git -C "$BASE_SRC" rev-parse HEAD)
	{
		echo "base $BASE_TAG $base"
		echo "flags $FLAGS dir $DRIVERS_DIR cc $KCC"
		config_fragment
		gcc --version | head -n 1
		sparse --version 2>&1 | head -n 1
	} | sha256sum | cut -d' ' -f1
}

main() {
	local key secs n_base n_rlist new rlist_w=$OUT/warnings.txt
	local base_w=$OUT_BASE/warnings.txt

	[ -f "$DRIVERS_SRC/Makefile" ] || die "no kernel tree in $DRIVERS_SRC"
	if [ ! -e "$BASE_SRC" ]; then
		require_tree
		info "base: worktree $BASE_SRC at $BASE_TAG"
		tgit worktree add --detach "$BASE_SRC" "$BASE_TAG" >/dev/null
	fi
	[ -f "$BASE_SRC/Makefile" ] || die "no base tree in $BASE_SRC"
	[ "$(git -C "$BASE_SRC" rev-parse HEAD)" = \
	  "$(git -C "$BASE_SRC" rev-parse "$BASE_TAG^{commit}")" ] ||
		die "$BASE_SRC is not at $BASE_TAG"
	command -v sparse >/dev/null || die "sparse is not installed (make deps)"
	mkdir -p "$LOGS" "$CCACHE_DIR"

	key=$(cache_key)
	if [ -f "$OUT_BASE/build.log" ] &&
	   [ "$(cat "$OUT_BASE/build.key" 2>/dev/null)" = "$key" ]; then
		info "base: cached build of $BASE_TAG ($OUT_BASE/build.log)"
	else
		info "base: building $DRIVERS_DIR of $BASE_SRC in $OUT_BASE ($FLAGS, log: $LOGS/drivers-base.log)"
		rm -f "$OUT_BASE/build.key"
		secs=$(build "$BASE_SRC" "$OUT_BASE" "$LOGS/drivers-base.log")
		cp "$LOGS/drivers-base.log" "$OUT_BASE/build.log"
		echo "$key" >"$OUT_BASE/build.key"
		echo "    base built in ${secs}s"
	fi
	normalise "$BASE_SRC" "$OUT_BASE" <"$OUT_BASE/build.log" >"$base_w"

	info "rlist: building $DRIVERS_DIR of $DRIVERS_SRC in $OUT ($FLAGS, log: $LOGS/drivers.log)"
	secs=$(build "$DRIVERS_SRC" "$OUT" "$LOGS/drivers.log")
	normalise "$DRIVERS_SRC" "$OUT" <"$LOGS/drivers.log" >"$rlist_w"
	echo "    rlist built in ${secs}s"

	n_base=$(wc -l <"$base_w")
	n_rlist=$(wc -l <"$rlist_w")
	# comm pairs repeated lines one by one: a multiset difference.
	new=$(LC_ALL=C comm -23 "$rlist_w" "$base_w")
	echo "drivers: warnings (file and message) base $n_base ($(sort -u "$base_w" | wc -l) distinct)," \
		"rlist $n_rlist ($(sort -u "$rlist_w" | wc -l) distinct), new $(echo -n "$new" | grep -c '^' || true)"
	if [ -n "$new" ]; then
		echo "$new"
		die "drivers: the rlist tree adds warnings (list above, full log $LOGS/drivers.log)"
	fi
	echo "drivers: no new warning"
}

main "$@"
