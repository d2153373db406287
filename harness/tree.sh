#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make tree: create build/linux from the Debian kernel tarball if needed,
# then lay the overlay commit and one commit per patch of patches/series on
# rlist-base.  Only the files whose content changes are rewritten, so the
# next kernel build is incremental.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FORCE=${FORCE:-}

create_base() {
	local tmp=$BUILD/linux.tmp

	[ -f "$TARBALL" ] || die "$TARBALL not found: run make deps (package linux-source-6.12)"
	need_disk 3 "the kernel tree (build/linux, with its git history)"
	info "extracting $TARBALL into $TREE"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	tar -C "$tmp" --strip-components=1 -xJf "$TARBALL" "$TARBALL_TOPDIR/"
	git -C "$tmp" init -q -b "$TREE_BRANCH"
	git -C "$tmp" config gc.auto 0
	git -C "$tmp" config core.abbrev 12
	# Patches made in the tree carry the project's identity.
	git -C "$tmp" config user.name "$RLIST_IDENT_NAME"
	git -C "$tmp" config user.email "$RLIST_IDENT_EMAIL"
	info "committing the base tree (about 90k files, takes a while)"
	# The tarball ships the kernel's .gitignore, which ignores dot files
	# and more: force-add everything so the base is the whole tarball.
	git -C "$tmp" add -f -A .
	GIT_AUTHOR_NAME=$RLIST_IDENT_NAME GIT_AUTHOR_EMAIL=$RLIST_IDENT_EMAIL \
	GIT_COMMITTER_NAME=$RLIST_IDENT_NAME GIT_COMMITTER_EMAIL=$RLIST_IDENT_EMAIL \
	GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
		git -C "$tmp" commit -q -m "Linux $(make -s -C "$tmp" kernelversion) from Debian's linux-source-6.12"
	git -C "$tmp" tag "$BASE_TAG"
	if [ -n "$(git -C "$tmp" status --porcelain --ignored)" ]; then
		git -C "$tmp" status --short --ignored | head -n 20 >&2
		die "base commit does not hold the whole tarball (see above)"
	fi
	mv "$tmp" "$TREE"
}

# Refuse to lose work done in the tree since the last make tree.
guard() {
	local head applied expect dirty untracked d

	head=$(tgit rev-parse HEAD)
	applied=$(tgit rev-parse -q --verify "$APPLIED_REF" || true)
	expect=${applied:-$(tgit rev-parse "$BASE_TAG^{commit}")}

	tgit update-index -q --refresh >/dev/null || true
	dirty=$(tgit status --porcelain --untracked-files=no)
	untracked=
	if [ -n "$applied" ]; then
		# shellcheck disable=SC2046
		untracked=$(tree_untracked $(owned_dirs))
	fi
	[ -z "$dirty" ] && [ -z "$untracked" ] && [ "$head" = "$expect" ] && return 0

	if [ -n "$FORCE" ]; then
		echo "warning: FORCE=1: discarding the work in $TREE" >&2
		return 0
	fi
	{
		echo "error: $TREE has work that make tree would discard:"
		[ -n "$dirty" ] && echo "  uncommitted changes:" && echo "$dirty" | sed 's/^/    /'
		[ -n "$untracked" ] && echo "  new files in overlay directories:" && echo "$untracked" | sed 's/^/    /'
		[ "$head" != "$expect" ] &&
			echo "  HEAD ($(tgit log -1 --format='%h %s' HEAD)) is not what the last make tree produced ($(tgit log -1 --format='%h %s' "$expect"))"
		echo "run make refresh to write them back, or make tree FORCE=1 to discard them"
	} >&2
	exit 1
}

main() {
	local head new d

	mkdir -p "$BUILD"
	[ -d "$TREE/.git" ] || create_base
	tgit rev-parse -q --verify "$BASE_TAG^{commit}" >/dev/null ||
		die "$TREE has no $BASE_TAG tag: make distclean, then make tree"

	guard
	new=$(build_commits)
	head=$(tgit rev-parse HEAD)

	if [ "$new" = "$head" ] && [ -z "$FORCE" ]; then
		tgit update-ref "$APPLIED_REF" "$new"
		info "tree up to date ($(tgit log -1 --format='%h %s' "$new"))"
		return 0
	fi

	# Two-tree read-tree rewrites exactly the paths that differ between
	# HEAD and the new commit and removes the ones that went away; with
	# FORCE it also resets locally modified files.
	if [ -n "$FORCE" ]; then
		tgit read-tree --reset -u "$new"
		tree_untracked $(owned_dirs) | while IFS= read -r d; do
			rm -f -- "$TREE/$d"
		done
	else
		tgit read-tree -m -u HEAD "$new"
	fi
	tgit update-ref -m "make tree" "refs/heads/$TREE_BRANCH" "$new"
	tgit symbolic-ref HEAD "refs/heads/$TREE_BRANCH"
	tgit update-ref "$APPLIED_REF" "$new"
	tgit diff-tree -r --stat "$head" "$new" | tail -n 1 | sed 's/^/    /'
	info "tree at $(tgit log -1 --format='%h %s' "$new")"
}

main "$@"
