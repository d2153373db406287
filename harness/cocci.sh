#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make cocci: run the semantic patches of coccinelle/ (the move of RDMA
# drivers off the scatterlist of struct ib_umem) on any directory, in the
# way of the kernel's coccicheck: each script's "// Options:" line, one
# -D MODE.
#
#   DIR       directories or files, separated by spaces (default: the
#             drivers/infiniband of COCCI_TREE, itself by default the
#             prepared tree build/linux); relative paths are taken from
#             the repo root
#   MODE      report (default), patch, context or org
#   IN_PLACE  with MODE=patch, 1 also writes the changes into DIR
#   COCCI     one script instead of every coccinelle/*.cocci
#   JOBS      spatch --jobs (default 2)
#
# report: prints the findings sorted, a count per script, and exits 1 when
# there is any.  patch: applies the scripts that have patch rules one after
# the other to a copy of DIR and prints one unified diff (a/ and b/ paths
# from the top of DIR's git tree, or from DIR's parent), DIR is untouched
# unless IN_PLACE=1.  context and org print what spatch prints.
#
# harness/cocci.sh --selftest runs patch mode on the fixture
# coccinelle/tests/fake_drv.c, copied to a directory of its own like an
# out-of-tree driver, compares with coccinelle/tests/fake_drv.expected.c,
# and checks the report counts before and after.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

COCCI_DIR=$RLIST_REPO/coccinelle
COCCI_TREE=${COCCI_TREE:-$TREE}
MODE=${MODE:-report}
IN_PLACE=${IN_PLACE:-}
COCCI=${COCCI:-}
SPATCH=${SPATCH:-spatch}

# Findings expected by the selftest: per script, on the fixture as it is
# and on its conversion.
SELFTEST_BEFORE="ib_umem_leftovers=17 ib_umem_sgt=6 ib_umem_walk=6"
SELFTEST_AFTER="ib_umem_leftovers=5 ib_umem_sgt=1 ib_umem_walk=1"

TMP=

cleanup() {
	if [ -n "$TMP" ]; then rm -rf "$TMP"; fi
}
trap cleanup EXIT

scripts() {
	if [ -n "$COCCI" ]; then
		[ -f "$COCCI" ] || die "no script $COCCI"
		readlink -f "$COCCI"
	else
		find "$COCCI_DIR" -maxdepth 1 -name '*.cocci' | LC_ALL=C sort
	fi
}

# The "// Options:" line of script $1, as coccicheck reads it.
script_options() {
	sed -n 's#^//[[:space:]]*Options:[[:space:]]*##p' "$1" | head -n 1
}

has_patch_rules() {
	grep -q 'depends on patch' "$1"
}

# The root that diff paths and report paths are relative to.
root_of() {
	local p=$1 d top

	if [ -d "$p" ]; then d=$p; else d=$(dirname "$p"); fi
	if top=$(git -C "$d" rev-parse --show-toplevel 2>/dev/null); then
		echo "$top"
	else
		dirname "$(readlink -f "$p")"
	fi
}

# spatch on target $2 (directory or file) with script $1 in mode $3; run
# from a neutral directory so that no .cocciconfig applies.  stdout: what
# spatch prints; stderr is kept in $TMP/spatch.err.
run_spatch() {
	local script=$1 target=$2 mode=$3 opts
	shift 3

	opts=$(script_options "$script")
	local what=(--dir "$target")
	[ -d "$target" ] || what=("$target")
	# shellcheck disable=SC2086
	(cd "$TMP" && "$SPATCH" --very-quiet $opts --jobs "${JOBS:-2}" \
		-D "$mode" --sp-file "$script" "$@" "${what[@]}" \
		2>>"$TMP/spatch.err") || {
		cat "$TMP/spatch.err" >&2
		die "spatch failed: $(basename "$script") on $target"
	}
}

check_spatch_errors() {
	# spatch goes on after a file it cannot parse or a script error in a
	# python rule; they must not pass for "nothing found".
	if grep -E 'Traceback|Error|error:|Fatal' "$TMP/spatch.err" >&2; then
		die "spatch reported errors (above)"
	fi
}

targets() {
	local t

	if [ -n "${DIR:-}" ]; then
		for t in $DIR; do
			case "$t" in
			/*) ;;
			*) t=$RLIST_REPO/$t ;;
			esac
			[ -e "$t" ] || die "no such directory or file: $t"
			readlink -f "$t"
		done
	else
		[ -d "$COCCI_TREE/drivers/infiniband" ] ||
			die "no $COCCI_TREE/drivers/infiniband: run make tree, or give DIR"
		echo "$COCCI_TREE/drivers/infiniband"
	fi
}

# report: findings of every script on every target.  Prints them and a
# count per script; the counts go to $TMP/counts as name=N.
do_report() {
	local s t root name n total=0 out=$TMP/report

	: >"$TMP/counts"
	for s in $(scripts); do
		name=$(basename "$s" .cocci)
		: >"$out"
		while IFS= read -r t; do
			root=$(root_of "$t")
			run_spatch "$s" "$t" report >"$TMP/raw"
			{ grep -E '^[^ ]+:[0-9]+:[0-9]+-[0-9]+: ' "$TMP/raw" || true; } |
				sed "s#^$root/##" >>"$out"
		done < <(targets)
		LC_ALL=C sort -t: -k1,1 -k2,2n -u "$out"
		n=$(LC_ALL=C sort -u "$out" | wc -l)
		echo "$name=$n" >>"$TMP/counts"
		total=$((total + n))
	done
	check_spatch_errors
	echo "cocci: $(tr '\n' ' ' <"$TMP/counts")total=$total"
	[ "$total" -eq 0 ]
}

do_mode() {
	local s t mode=$1

	for s in $(scripts); do
		while IFS= read -r t; do
			run_spatch "$s" "$t" "$mode"
		done < <(targets)
	done
	check_spatch_errors
}

# patch: the scripts in turn on a copy of each target, one diff.
do_patch() {
	local s t root rel f rc

	while IFS= read -r t; do
		root=$(root_of "$t")
		rel=${t#"$root"/}
		rm -rf "$TMP/a" "$TMP/b"
		mkdir -p "$TMP/a/$(dirname "$rel")" "$TMP/b/$(dirname "$rel")"
		cp -a "$t" "$TMP/a/$rel"
		cp -a "$t" "$TMP/b/$rel"
		for s in $(scripts); do
			has_patch_rules "$s" || continue
			run_spatch "$s" "$TMP/b/$rel" patch --in-place >/dev/null
		done
		check_spatch_errors
		rc=0
		(cd "$TMP" && diff -ruNp a b) >"$TMP/diff" || rc=$?
		[ "$rc" -le 1 ] || die "diff failed"
		# No timestamps: the diff is for git apply and for reading.
		sed -E 's/^(---|\+\+\+) ([^\t]+)\t.*/\1 \2/' "$TMP/diff"
		if [ "$rc" -eq 1 ] && [ "$IN_PLACE" = 1 ]; then
			(cd "$TMP" && { diff -rqN a b || true; }) |
			while read -r _ f _ _ _; do
				f=${f#a/}
				cp "$TMP/b/$f" "$root/$f"
				echo "cocci: wrote $root/$f" >&2
			done
		fi
	done < <(targets)
	return 0
}

# The per-script counts of report output $1 must be $2.
expect_counts() {
	local got

	got=$(sed -n 's/^cocci: //p' "$1" | sed 's/ total=.*//')
	[ "$got" = "$2" ] || {
		cat "$1"
		die "selftest: counts \"$got\", expected \"$2\""
	}
	echo "    $got"
}

selftest() {
	local drv=$TMP/fake_drv rc

	mkdir -p "$drv"
	cp "$COCCI_DIR/tests/fake_drv.c" "$drv/"
	info "selftest: report on the fixture"
	rc=0
	DIR=$drv MODE=report do_report >"$TMP/before.txt" || rc=$?
	[ "$rc" -ne 0 ] || die "selftest: report mode found nothing on the fixture"
	expect_counts "$TMP/before.txt" "$SELFTEST_BEFORE"
	info "selftest: patch on the fixture, IN_PLACE"
	DIR=$drv IN_PLACE=1 do_patch >"$TMP/patch.diff" 2>"$TMP/patch.err" || {
		cat "$TMP/patch.err" >&2
		die "selftest: patch mode failed"
	}
	if ! diff -u "$COCCI_DIR/tests/fake_drv.expected.c" "$drv/fake_drv.c"; then
		die "selftest: the conversion differs from coccinelle/tests/fake_drv.expected.c (above)"
	fi
	echo "    fake_drv.c converted as fake_drv.expected.c ($(grep -c '^[-+][^-+]' "$TMP/patch.diff") changed lines)"
	info "selftest: report on the conversion"
	rc=0
	DIR=$drv do_report >"$TMP/after.txt" || rc=$?
	expect_counts "$TMP/after.txt" "$SELFTEST_AFTER"
	info "selftest: context and org modes"
	[ -n "$(DIR=$drv do_mode context)" ] ||
		die "selftest: context mode printed nothing"
	[ -n "$(DIR=$drv do_mode org)" ] ||
		die "selftest: org mode printed nothing"
	echo "cocci: selftest passed"
}

main() {
	command -v "$SPATCH" >/dev/null || die "spatch is not installed (apt-get install coccinelle)"
	TMP=$(mktemp -d)
	[ -n "$(scripts)" ] || die "no script in $COCCI_DIR"
	if [ "${1:-}" = --selftest ]; then
		selftest
		return
	fi
	case "$MODE" in
	report) do_report ;;
	patch) do_patch ;;
	context|org) do_mode "$MODE" ;;
	*) die "MODE must be report, patch, context or org, not $MODE" ;;
	esac
}

main "$@"
