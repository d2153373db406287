#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make series: export the whole work (overlay commit + patches) as a
# numbered series in build/series, git am it on a pristine rlist-base
# worktree (build/series-check) and check that every step builds:
#
#  - the final state is the tree of make kunit (same commits, same tree),
#    built in full with the same UML configuration (kunit/uml plus the
#    sanitizers) in build/uml: a no-op after make kunit;
#  - at each commit, with that configuration completed by olddefconfig
#    (symbols that do not exist yet are dropped), every object the commit
#    can affect is compiled with W=1 in build/series-uml: the objects of
#    the .c files it changes, the objects of the series that include a
#    header it changes (the dependencies the final build recorded), and
#    the objects of the series below a Makefile or Kconfig it changes;
#    kbuild decides which of them the commit's configuration builds.
#    A W=1 warning in a file the series changes fails, like an error.
#
# Not checked at each step: the link (an intermediate commit that calls a
# function only a later commit adds is found by the compiler, as an
# implicit declaration, but not a symbol only missing at link time).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT=$BUILD/series
WT=$BUILD/series-check
OBJ=$BUILD/series-uml
FINAL=$BUILD/uml
# The files the series changes (set by main).
SERIES_FILES=

# The objects (path.o) of the final UML build whose sources the series
# changes, each followed by the tree files it depends on, one object a
# line: "obj.o dep dep ...".
series_objects() {
	local c f cmd

	for f in $SERIES_FILES; do
		case "$f" in *.c) ;; *) continue ;; esac
		c=${f%.c}.o
		cmd=$FINAL/$(dirname "$c")/.$(basename "$c").cmd
		[ -f "$cmd" ] || continue
		printf '%s %s\n' "$c" "$(sed -n '/^deps_/,/^$/p' "$cmd" |
			grep -oE "$TREE/[^ ]+" | sed "s|^$TREE/||" | tr '\n' ' ')"
	done
}

# The objects commit $1 can affect, of the table of series_objects in $2,
# whose source exists at that commit.
commit_candidates() {
	local c=$1 table=$2 f obj deps d

	while IFS= read -r f; do
		while read -r obj deps; do
			case "$f" in
			*.c)
				[ "${f%.c}.o" != "$obj" ] || echo "$obj" ;;
			*/Makefile|*/Kbuild|*/Kconfig|*/Kconfig.*)
				d=$(dirname "$f")/
				[ "${obj#"$d"}" = "$obj" ] || echo "$obj" ;;
			*)
				[[ " $deps " != *" $f "* ]] || echo "$obj" ;;
			esac
		done <"$table"
	done < <(git -C "$WT" diff-tree --no-commit-id --name-only -r "$c") |
		sort -u |
		while IFS= read -r obj; do
			if git -C "$WT" cat-file -e "$c:${obj%.o}.c" 2>/dev/null; then
				echo "$obj"
			fi
		done
}

# Of the objects on stdin, those the configuration in $OBJ builds: kbuild
# prints their compile commands in a dry run of their directories (the
# objects are removed first, so that none is up to date).
configured() {
	local objs dirs dry o

	objs=$(cat)
	[ -n "$objs" ] || return 0
	dirs=$(for o in $objs; do echo "$(dirname "$o")/"; done | sort -u)
	# shellcheck disable=SC2086
	(cd "$OBJ" && rm -f $objs)
	# shellcheck disable=SC2086
	dry=$(cd "$WT" && make -n ARCH=um O="$OBJ" CC="$KCC" $dirs 2>/dev/null || true)
	for o in $objs; do
		if grep -qF -- "-o $o " <<<"$dry"; then
			echo "$o"
		fi
	done
}

main() {
	local head n i c subject log=$LOGS/series.log table objs warn t0 files_re

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
	[ "$(git -C "$WT" rev-parse 'HEAD^{tree}')" = "$(tgit rev-parse "$APPLIED_REF^{tree}")" ] ||
		die "the series applied with git am is not the tree of make tree"
	[ -z "$(tgit status --porcelain --untracked-files=no)" ] ||
		die "$TREE has uncommitted changes: the final build would not be the series"

	# The final state: make kunit's build (a no-op when it is up to date).
	kunit_build "$TREE" um "$FINAL" "$LOGS/series-final.log" \
		"$RLIST_REPO/kunit/uml" "$SANITIZERS"

	: >"$log"
	SERIES_FILES=$(tgit diff --name-only "$BASE_TAG" "$APPLIED_REF")
	files_re=$(echo "$SERIES_FILES" | sed 's/[.[\*^$()+?{|]/\\&/g' |
		paste -sd'|' | sed 's/^/(^|\/)(/; s/$/):[0-9]+/')
	table=$(mktemp)
	# shellcheck disable=SC2064
	trap "rm -f '$table'" EXIT
	series_objects >"$table"
	mkdir -p "$OBJ"
	i=0
	t0=$SECONDS
	for c in $(git -C "$WT" rev-list --reverse "$BASE_TAG..HEAD"); do
		i=$((i + 1))
		subject=$(git -C "$WT" log -1 --format=%s "$c")
		git -C "$WT" checkout -q --detach "$c"
		# The kunit.py way: the arch fragment plus the kunitconfigs,
		# completed by olddefconfig; again whenever a Kconfig changes.
		if [ "$i" -eq 1 ] || git -C "$WT" diff-tree --no-commit-id --name-only -r "$c" |
			grep -q '/Kconfig'; then
			cat "$WT/tools/testing/kunit/configs/arch_uml.config" \
				"$RLIST_REPO/kunit/uml/.kunitconfig" "$SANITIZERS" >"$OBJ/.config"
			if ! (cd "$WT" && make ARCH=um O="$OBJ" CC="$KCC" olddefconfig) >>"$log" 2>&1; then
				tail -n 20 "$log" >&2
				die "series: patch $i/$n: olddefconfig fails: $subject (log: $log)"
			fi
		fi
		objs=$(commit_candidates "$c" "$table" | configured | tr '\n' ' ')
		info "[$i/$n] $((SECONDS - t0)) s: ${objs:-no object of the UML build}: $subject"
		[ -n "$objs" ] || continue
		echo "==== [$i/$n] $subject: $objs" >>"$log"
		# shellcheck disable=SC2086
		if ! (cd "$WT" && make ARCH=um O="$OBJ" CC="$KCC" W=1 \
			-j"${JOBS:-2}" $objs) >"$log.step" 2>&1; then
			cat "$log.step" >>"$log"
			grep -E 'error|Error' "$log.step" | head -n 40 >&2
			die "series: patch $i/$n does not build: $subject (log: $log)"
		fi
		cat "$log.step" >>"$log"
		if warn=$(grep -E ': warning: ' "$log.step" | grep -E "$files_re"); then
			echo "$warn" >&2
			die "series: patch $i/$n: W=1 warnings in files of the series: $subject (log: $log)"
		fi
	done
	rm -f "$log.step"
	echo "series: all $n patch(es) apply; their objects build with W=1; the final state is make kunit's build"
}

main "$@"
