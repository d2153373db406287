#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make kunit / make run: build the UML KUnit kernel with kunit/uml and run
# its tests.  The whole kunit.py output goes to build/logs/kunit-uml.log;
# the summary goes to build/logs/kunit-uml.summary, read by make test.
#
# Usage: kunit.sh [--suites]   (--suites adds a per-suite table)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

main() {
	local log=$LOGS/kunit-uml.log json=$LOGS/kunit-uml.json
	local summary=$LOGS/kunit-uml.summary rc line passed failed other why

	require_tree
	mkdir -p "$LOGS" "$CCACHE_DIR"
	rm -f "$log" "$json" "$summary" "$BUILD/uml/test.log"
	info "kunit.py run --arch=um (log: $log)"
	progress_start "um build in uml" "$BUILD/uml" "$log"
	set +e
	(cd "$TREE" && python3 tools/testing/kunit/kunit.py run --arch=um \
		--build_dir="$BUILD/uml" --kunitconfig="$RLIST_REPO/kunit/uml" --kunitconfig="$SANITIZERS" \
		--jobs="${JOBS:-2}" --make_options "CC=$KCC" --timeout=300 \
		--json="$json") 2>&1 | tee "$log" | grep --line-buffered -E "$KUNIT_SHOW" |
		progress_lines
	rc=${PIPESTATUS[0]}
	set -e
	progress_stop "$BUILD/uml" "$(built "$log")"

	line=$(kunit_counts "$log")
	read -r passed failed <<<"${line:-0 0}"
	if [ -z "$line" ]; then
		echo "kunit-uml: no test results (build or boot failed, see $log)" >&2
		tail -n 30 "$log" >&2
		passed=0
		[ "$rc" -ne 0 ] || rc=1
	fi
	[ -n "$passed" ] || passed=0
	if [ "${1:-}" = "--suites" ] && [ -s "$json" ]; then
		echo
		python3 "$RLIST_REPO/harness/kunit-summary.py" "$json"
		echo
	fi
	echo "$passed passed, $failed failed" >"$summary"
	echo "kunit-uml: $passed passed, $failed failed"
	if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
		echo "kunit-uml: FAILED (kunit.py exit status $rc, full log in $log)" >&2
		exit 1
	fi
	# kunit.py shows only the kernel output of failed tests: keep it all.
	if [ -f "$BUILD/uml/test.log" ]; then
		echo "==== raw kernel output ($BUILD/uml/test.log)" >>"$log"
		cat "$BUILD/uml/test.log" >>"$log"
	fi
	if ! kernel_reports kunit-uml "$log" >&2; then
		echo "kunit-uml: FAILED (kernel report above, full log in $log)" >&2
		exit 1
	fi
	if ! kunit_status kunit-uml "$log" >&2; then
		echo "kunit-uml: FAILED (test results above, full log in $log)" >&2
		exit 1
	fi
	if ! why=$(kmemleak_ran "$json" uml 2>&1); then
		echo "kunit-uml: FAILED ($why)" >&2
		exit 1
	fi
}

main "$@"
