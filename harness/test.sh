#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make test: print the plan (each tier's expected time and budget), run
# every tier in order, time each, and summarise.  All tiers run even if one
# fails, except after a tier that went over its budget; the exit status is
# non-zero if any failed.
# The last line is the sum of the KUnit counts of every run, "N passed,
# N failed", which CI reads.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# One tier per line: "<name> <expected s> <budget s> <command>".  The
# expected time is a cold run's (empty build/, packages installed) on a
# 2-core machine; a tier still running at its budget is stopped and fails
# the run at once, so that a run that got slower says which tier did,
# long before CI's 90-minute limit.  A budget is about a quarter above
# the expected time.
TIERS=(
	"kunit-uml 620 850 $RLIST_REPO/harness/kunit.sh"
	"kunit-qemu 1150 1500 $RLIST_REPO/harness/kunit-qemu.sh"
	"p2p-user 20 90 $RLIST_REPO/harness/p2p-user.sh"
	"e2e 150 300 $RLIST_REPO/harness/e2e.sh --recorded-base"
	"kunit-arm64 400 500 $RLIST_REPO/harness/kunit-arch.sh arm64"
	"kunit-i386 290 400 $RLIST_REPO/harness/kunit-arch.sh i386"
	"kunit-arm 260 360 $RLIST_REPO/harness/kunit-arch.sh arm"
	"kunit-s390 230 330 $RLIST_REPO/harness/kunit-arch.sh s390"
	"check 110 200 $RLIST_REPO/harness/check.sh"
	"cocci 15 40 $RLIST_REPO/harness/cocci.sh --selftest"
	"cocci-tree 20 60 $RLIST_REPO/harness/cocci.sh"
	"ops-build 70 120 $RLIST_REPO/harness/ops-build.sh --x86"
	"series 270 360 $RLIST_REPO/harness/series.sh"
)

# Print the plan: each tier's expected cold time and budget, and the sums.
plan() {
	local t name exp budget sum_exp=0 sum_budget=0

	echo "== make test: ${#TIERS[@]} tiers, logs in $LOGS"
	printf '   %-11s %9s %8s\n' tier expected budget
	for t in "${TIERS[@]}"; do
		read -r name exp budget _ <<<"$t"
		printf '   %-11s %7d s %6d s\n' "$name" "$exp" "$budget"
		sum_exp=$((sum_exp + exp))
		sum_budget=$((sum_budget + budget))
	done
	echo "== estimate: about $(((sum_exp + 59) / 60)) minutes cold (empty build/) on 2 cores, less with build/ and its ccache from an earlier run;"
	echo "   a tier over its budget stops the run (budgets: $(((sum_budget + 59) / 60)) minutes in all)"
}

main() {
	local t name exp budget cmd start secs rc failed=0 results=() f p n
	local passed=0 nfailed=0 stopped=

	# Each KUnit run leaves "N passed, N failed" in a .summary file.
	mkdir -p "$LOGS"
	rm -f "$LOGS"/*.summary
	plan
	for t in "${TIERS[@]}"; do
		read -r name exp budget cmd <<<"$t"
		if [ -n "$stopped" ]; then
			results+=("$(printf '%-11s not run (%s)' "$name" "$stopped")")
			continue
		fi
		echo
		echo "== tier $name (expected $exp s, budget $budget s): $cmd"
		start=$SECONDS
		rc=0
		# timeout runs the tier in a process group of its own and stops
		# all of it (builds, QEMU) at the budget.
		# shellcheck disable=SC2086
		timeout -k 30 "$budget" $cmd || rc=$?
		secs=$((SECONDS - start))
		if [ "$rc" -eq 0 ]; then
			results+=("$(printf '%-11s PASS %5d s' "$name" "$secs")")
		elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
			results+=("$(printf '%-11s FAIL %5d s (over its budget of %d s)' "$name" "$secs" "$budget")")
			echo "== tier $name: FAILED: still running at its budget of $budget s (expected $exp s), stopped" >&2
			stopped="tier $name went over its budget"
			failed=1
		else
			results+=("$(printf '%-11s FAIL %5d s (exit %d)' "$name" "$secs" "$rc")")
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
