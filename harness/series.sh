#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make series: export the whole work (overlay commit + patches) as a
# numbered series in build/series, git am it on a pristine rlist-base
# worktree (build/series-check) and build every step with the kunit
# config (incremental, in build/series-uml, through ccache), stopping at
# the first commit that does not build.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT=$BUILD/series
WT=$BUILD/series-check
OBJ=$BUILD/series-uml

main() {
	local head n i c subject log=$LOGS/series.log

	require_tree
	mkdir -p "$LOGS" "$CCACHE_DIR"
	head=$(tgit rev-parse "$APPLIED_REF")
	rm -rf "$OUT"
	tgit format-patch -q --no-signature --zero-commit --abbrev=12 \
		-o "$OUT" "$BASE_TAG..$head"
	n=$(find "$OUT" -name '*.patch' | wc -l)
	info "series: $n patch(es) in $OUT"

	# Reuse the worktree between runs: resetting it only rewrites the
	# files the series touches, which keeps the builds incremental.
	if [ ! -e "$WT/.git" ]; then
		rm -rf "$WT"
		tgit worktree prune
		tgit worktree add -q --detach "$WT" "$BASE_TAG"
	fi
	git -C "$WT" am --abort >/dev/null 2>&1 || true
	git -C "$WT" checkout -q -f --detach "$BASE_TAG"
	git -C "$WT" clean -q -f -d
	if ! git -C "$WT" -c user.name="$RLIST_IDENT_NAME" -c user.email="$RLIST_IDENT_EMAIL" \
		am -q "$OUT"/*.patch; then
		git -C "$WT" am --abort || true
		die "the series does not apply with git am on $BASE_TAG"
	fi
	info "series applies on $BASE_TAG with git am"

	: >"$log"
	mkdir -p "$OBJ"
	i=0
	for c in $(git -C "$WT" rev-list --reverse "$BASE_TAG..HEAD"); do
		i=$((i + 1))
		subject=$(git -C "$WT" log -1 --format=%s "$c")
		info "[$i/$n] building: $subject"
		git -C "$WT" checkout -q --detach "$c"
		# The kunit.py way: the arch fragment plus the kunitconfig,
		# completed by olddefconfig (symbols that do not exist yet at
		# this commit are dropped).
		cat "$WT/tools/testing/kunit/configs/arch_uml.config" \
			"$RLIST_REPO/kunit/uml/.kunitconfig" >"$OBJ/.config"
		if ! (cd "$WT" && make ARCH=um O="$OBJ" CC="$KCC" olddefconfig &&
		      make ARCH=um O="$OBJ" CC="$KCC" -j"${JOBS:-2}" all) >>"$log" 2>&1; then
			tail -n 40 "$log" >&2
			die "series: patch $i/$n does not build: $subject (log: $log)"
		fi
	done
	echo "series: all $n patch(es) apply and build"
}

main "$@"
