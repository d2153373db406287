#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make refresh: write the work done in build/linux back into the repo.
#  - uncommitted edits (and new files) under the overlay are copied back;
#  - commits on top of the tree are upstream-file changes: fixup!/squash!
#    commits are autosquashed, then patches/ and patches/series are
#    regenerated from every commit after the overlay commit;
#  - the result is recorded as the applied state, so that the next
#    make tree is a no-op.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

declare -A overlay_path=()

is_overlay_path() {
	local p=$1 d

	[ -n "${overlay_path[$p]:-}" ] && return 0
	for d in $OWNED; do
		case "$p" in "$d"/*) return 0 ;; esac
	done
	return 1
}

main() {
	local ovl line st p upstream=() copy=() remove=() c bad new n subjects

	require_tree
	[ -d "$TREE/.git/rebase-merge" ] || [ -d "$TREE/.git/rebase-apply" ] &&
		die "a rebase or git am is in progress in $TREE: finish or abort it first"

	ovl=$(overlay_commit HEAD)
	while IFS= read -r p; do
		overlay_path[$p]=1
	done < <(tgit diff-tree -r --no-commit-id --name-only "$BASE_TAG" "$ovl")
	OWNED=$(owned_dirs)

	# Classify the uncommitted changes.
	tgit update-index -q --refresh >/dev/null || true
	while IFS= read -r -d '' line; do
		st=${line:0:2}
		p=${line:3}
		case "$st" in
		R*|C*)
			die "$p: renames are not supported by make refresh, commit or undo them" ;;
		esac
		if ! is_overlay_path "$p"; then
			upstream+=("$p")
		elif [ "$st" = " D" ] || [ "$st" = "D " ]; then
			remove+=("$p")
		else
			copy+=("$p")
		fi
	done < <(tgit status --porcelain=v1 -z --untracked-files=all --no-renames)
	# New files in overlay directories (hidden by Debian's .gitignore).
	# shellcheck disable=SC2086
	while IFS= read -r p; do
		[[ " ${copy[*]} " == *" $p "* ]] || copy+=("$p")
	done < <(tree_untracked $OWNED)

	if [ "${#upstream[@]}" -gt 0 ]; then
		{
			echo "error: uncommitted changes to upstream files in $TREE:"
			printf '    %s\n' "${upstream[@]}"
			echo "commit them in $TREE first (a new commit, or git commit --fixup=<patch commit>), then run make refresh"
		} >&2
		exit 1
	fi

	# Commits after the overlay commit become patches: they must not
	# touch overlay files, which are written back from the working tree.
	for c in $(tgit rev-list --reverse "$ovl..HEAD"); do
		bad=$(tgit diff-tree -r --no-commit-id --name-only "$c^" "$c" |
			while IFS= read -r p; do
				if is_overlay_path "$p"; then echo "$p"; fi
			done)
		if [ -n "$bad" ]; then
			{
				echo "error: commit $(tgit log -1 --format='%h %s' "$c") changes overlay files:"
				echo "$bad" | sed 's/^/    /'
				echo "overlay files are written back from the working tree: undo that commit"
				echo "(e.g. git reset --soft $c^, keeping the edits uncommitted) and run make refresh again"
			} >&2
			exit 1
		fi
	done

	# Not "git log | grep -q": with pipefail, grep leaving early makes
	# git log die of SIGPIPE and the test fail at random.
	subjects=$(tgit log --format=%s "$ovl..HEAD")
	if grep -Eq '^(fixup|squash|amend)! ' <<<"$subjects"; then
		info "autosquashing fixup commits"
		if ! GIT_EDITOR=true GIT_SEQUENCE_EDITOR=true \
			tgit rebase -q -i --autosquash --autostash "$ovl"; then
			tgit rebase --abort || true
			die "autosquash rebase failed in $TREE (aborted, nothing written back)"
		fi
	fi

	# Write overlay edits back.
	for p in "${copy[@]}"; do
		info "overlay: $p"
		mkdir -p "$(dirname "$RLIST_REPO/$p")"
		cp -- "$TREE/$p" "$RLIST_REPO/$p"
		if [ -x "$TREE/$p" ]; then chmod +x "$RLIST_REPO/$p"; else chmod -x "$RLIST_REPO/$p"; fi
	done
	for p in "${remove[@]}"; do
		info "overlay: removing $p"
		rm -f -- "$RLIST_REPO/$p"
	done

	# Regenerate the patch series from the commits after the overlay.
	mkdir -p "$RLIST_REPO/patches"
	series_patches | while IFS= read -r p; do rm -f -- "$p"; done
	rm -f "$RLIST_REPO"/patches/[0-9][0-9][0-9][0-9]-*.patch
	: >"$RLIST_REPO/patches/series"
	n=$(tgit rev-list --count "$ovl..HEAD")
	if [ "$n" -gt 0 ]; then
		tgit format-patch -q --no-signature --zero-commit -N --abbrev=12 \
			-o "$RLIST_REPO/patches" "$ovl..HEAD"
	fi
	(cd "$RLIST_REPO/patches" && ls -1 [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null || true) \
		>"$RLIST_REPO/patches/series"
	info "patches/series: $n patch(es)"

	# Record the new applied state: rebuild the commits from the repo as
	# make tree would, and adopt them without touching the working tree.
	# Overlay files edited in the repo since the last make tree must not
	# be mistaken for tree edits later: stage the edits written back, then
	# a two-tree merge keeps them and brings the repo's other changes into
	# the working tree.
	new=$(build_commits)
	if [ "${#copy[@]}" -gt 0 ]; then
		tgit add -f -- "${copy[@]}"
	fi
	if [ "${#remove[@]}" -gt 0 ]; then
		tgit rm -q --cached --ignore-unmatch -- "${remove[@]}"
	fi
	tgit read-tree -m -u HEAD "$new"
	tgit update-ref -m "make refresh" "refs/heads/$TREE_BRANCH" "$new"
	tgit symbolic-ref HEAD "refs/heads/$TREE_BRANCH"
	tgit update-index -q --refresh >/dev/null || true
	tgit update-ref "$APPLIED_REF" "$new"
	if [ -n "$(tgit status --porcelain --untracked-files=no)" ]; then
		tgit status --short --untracked-files=no >&2
		die "internal error: $TREE is not clean after refresh"
	fi
	info "refreshed; review with: git -C $RLIST_REPO status"
}

main "$@"
