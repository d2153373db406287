#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make test: run every tier in order, time each, and summarise.  All tiers
# run even if one fails; the exit status is non-zero if any failed.
# The last line is the sum of the KUnit counts of every run, "N passed,
# N failed", which CI reads.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# One tier per line: "<name> <command>".  Add a tier by adding a line.
TIERS=(
	"kunit-uml $RLIST_REPO/harness/kunit.sh"
	"kunit-qemu $RLIST_REPO/harness/kunit-qemu.sh"
	"p2p-user $RLIST_REPO/harness/p2p-user.sh"
	"e2e $RLIST_REPO/harness/e2e.sh --recorded-base"
	"kunit-arm64 $RLIST_REPO/harness/kunit-arm64.sh"
	"check $RLIST_REPO/harness/check.sh"
	"cocci $RLIST_REPO/harness/cocci.sh --selftest"
	"cocci-tree $RLIST_REPO/harness/cocci.sh"
	"ops-build $RLIST_REPO/harness/ops-build.sh"
	"series $RLIST_REPO/harness/series.sh"
)

main() {
	local t name cmd start secs rc failed=0 results=() f p n passed=0 nfailed=0

	# Each KUnit run leaves "N passed, N failed" in a .summary file.
	mkdir -p "$LOGS"
	rm -f "$LOGS"/*.summary
	for t in "${TIERS[@]}"; do
		name=${t%% *}
		cmd=${t#* }
		echo
		echo "== tier $name: $cmd"
		start=$SECONDS
		rc=0
		$cmd || rc=$?
		secs=$((SECONDS - start))
		if [ "$rc" -eq 0 ]; then
			results+=("$(printf '%-10s PASS %5d s' "$name" "$secs")")
		else
			results+=("$(printf '%-10s FAIL %5d s (exit %d)' "$name" "$secs" "$rc")")
			failed=1
		fi
		echo "== tier $name: $secs s"
	done

	echo
	echo "== summary"
	printf '%s\n' "${results[@]}"
	for f in "$LOGS"/*.summary; do
		[ -e "$f" ] || continue
		read -r p _ n _ <"$f"
		echo "$(basename "$f" .summary): $p passed, $n failed"
		passed=$((passed + p))
		nfailed=$((nfailed + n))
	done
	[ "$failed" -eq 0 ] && echo "make test: PASS" || echo "make test: FAIL"
	echo "$passed passed, $nfailed failed"
	return "$failed"
}

main "$@"
