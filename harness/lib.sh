# SPDX-License-Identifier: GPL-2.0-only
# Common helpers for the rlist harness scripts.  Sourced, not executed.

RLIST_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$RLIST_REPO/build}
TREE=$BUILD/linux
LOGS=$BUILD/logs
TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
TARBALL_TOPDIR=linux-source-6.12
BASE_TAG=rlist-base
TREE_BRANCH=rlist
APPLIED_REF=refs/rlist/applied
OVERLAY_SUBJECT="rlist: add the files rlist owns"
RLIST_IDENT_NAME="rlist developers"
RLIST_IDENT_EMAIL="rlist@localhost"
# Every directory that may hold overlay files; only existing ones are used.
OVERLAY_CANDIDATES="include lib kernel drivers mm Documentation arch tools samples"
# Make and the scripts must use the same compiler string for a build dir,
# or kbuild rebuilds everything.
KCC=${KCC:-ccache gcc}
export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
# ccache's depend mode takes the header list from the compiler's own
# dependency file (kbuild's -MMD) instead of running the preprocessor once
# more on every miss: a cold build (every object a miss) is about a
# quarter faster, and a hit is found the same way.
export CCACHE_DEPEND=${CCACHE_DEPEND:-1}

die() {
	echo "error: $*" >&2
	exit 1
}

info() {
	echo "==> $*"
}

# The overlay directories present in the repo (the Makefile passes its
# OVERLAY_DIRS down; scripts run by hand compute the same list).
overlay_dirs() {
	local d

	if [ -n "${OVERLAY_DIRS:-}" ]; then
		echo "$OVERLAY_DIRS"
		return
	fi
	for d in $OVERLAY_CANDIDATES; do
		[ -d "$RLIST_REPO/$d" ] && printf '%s ' "$d"
	done
	echo
}

# Overlay files, one per line, relative to the repo root: tracked or
# untracked-but-not-ignored files under the overlay directories that exist
# on disk (so a file being written is picked up before it is committed).
overlay_files() {
	local dirs f

	dirs=$(overlay_dirs)
	[ -n "$dirs" ] || return 0
	# shellcheck disable=SC2086
	git -C "$RLIST_REPO" ls-files --cached --others --exclude-standard \
		-- $dirs | sort -u | while IFS= read -r f; do
		if [ -f "$RLIST_REPO/$f" ]; then printf '%s\n' "$f"; fi
	done
}

# Patch files in series order, one absolute path per line.
series_patches() {
	local p series=$RLIST_REPO/patches/series

	[ -f "$series" ] || return 0
	while IFS= read -r p || [ -n "$p" ]; do
		p=${p%%#*}
		p=$(echo "$p" | tr -d '[:space:]')
		[ -n "$p" ] || continue
		[ -f "$RLIST_REPO/patches/$p" ] ||
			die "patches/series lists $p but patches/$p does not exist"
		printf '%s\n' "$RLIST_REPO/patches/$p"
	done <"$series"
}

tgit() {
	git -C "$TREE" "$@"
}

require_tree() {
	[ -d "$TREE/.git" ] || die "no kernel tree in $TREE: run make tree"
	tgit rev-parse -q --verify "$APPLIED_REF" >/dev/null ||
		die "$TREE was not prepared by make tree: run make tree"
}

# The overlay commit of the tree: the first commit after rlist-base.
overlay_commit() {
	local c

	c=$(tgit rev-list --reverse --first-parent "$BASE_TAG..${1:-HEAD}" | head -n 1)
	[ -n "$c" ] || die "no overlay commit on top of $BASE_TAG in $TREE"
	[ "$(tgit log -1 --format=%s "$c")" = "$OVERLAY_SUBJECT" ] ||
		die "commit $c after $BASE_TAG is not \"$OVERLAY_SUBJECT\""
	echo "$c"
}

# Directories created by the overlay (absent from rlist-base), topmost only:
# untracked files below them belong to the overlay.
owned_dirs() {
	local f d top

	overlay_files | while IFS= read -r f; do
		d=$(dirname "$f")
		top=
		while [ "$d" != . ]; do
			if tgit cat-file -e "$BASE_TAG:$d" 2>/dev/null; then
				break
			fi
			top=$d
			d=$(dirname "$d")
		done
		if [ -n "$top" ]; then echo "$top"; fi
	done | sort -u
}

# Untracked files under the given tree-relative directories.  The
# kernel's .gitignore cannot be used: Debian's ignores every top-level
# path ("/*"), so only editor and build leftovers are skipped here (the
# builds are out of tree).
tree_untracked() {
	[ "$#" -gt 0 ] || return 0
	tgit ls-files --others --exclude='*~' --exclude='.*.sw?' \
		--exclude='*.orig' --exclude='*.rej' --exclude='*.o' \
		--exclude='.*.cmd' -- "$@"
}

# Build the commits "make tree" lays on rlist-base from the repo content,
# with git plumbing on a private index so that the tree's working tree and
# index are not touched.  Prints the resulting commit id.
build_commits() {
	local idx parent tree commit p info msg base_date
	local author email date subject

	idx=$(mktemp "$TREE/.git/rlist-index.XXXXXX")
	info=$(mktemp)
	msg=$(mktemp)
	# shellcheck disable=SC2064
	trap "rm -f '$idx' '$info' '$msg'" RETURN

	series_patches >/dev/null	# dies on a missing patch file
	base_date=$(tgit log -1 --format=%aI "$BASE_TAG")
	GIT_INDEX_FILE=$idx tgit read-tree "$BASE_TAG"

	overlay_files | while IFS= read -r p; do
		local mode=100644 blob

		[ -x "$RLIST_REPO/$p" ] && mode=100755
		blob=$(git -C "$TREE" hash-object -w --no-filters -- "$RLIST_REPO/$p")
		printf '%s %s\t%s\n' "$mode" "$blob" "$p"
	done | GIT_INDEX_FILE=$idx tgit update-index --add --index-info

	tree=$(GIT_INDEX_FILE=$idx tgit write-tree)
	commit=$(printf '%s\n\n%s\n\n%s\n' "$OVERLAY_SUBJECT" \
		"Add every file that rlist owns at its kernel path: the range-list
library, its headers and its tests.  The changes to existing kernel
files follow as separate patches." \
		"Signed-off-by: $RLIST_IDENT_NAME <$RLIST_IDENT_EMAIL>" |
		GIT_AUTHOR_NAME=$RLIST_IDENT_NAME GIT_AUTHOR_EMAIL=$RLIST_IDENT_EMAIL \
		GIT_AUTHOR_DATE=$base_date \
		GIT_COMMITTER_NAME=$RLIST_IDENT_NAME GIT_COMMITTER_EMAIL=$RLIST_IDENT_EMAIL \
		GIT_COMMITTER_DATE=$base_date \
		tgit commit-tree "$tree" -p "$BASE_TAG")
	parent=$commit

	while IFS= read -r p; do
		if ! GIT_INDEX_FILE=$idx tgit apply --cached --whitespace=nowarn "$p"; then
			echo "error: patch ${p#"$RLIST_REPO"/} does not apply on top of the previous ones; $TREE is unchanged" >&2
			return 1
		fi
		tgit mailinfo "$msg" /dev/null <"$p" >"$info"
		author=$(sed -n 's/^Author: //p' "$info")
		email=$(sed -n 's/^Email: //p' "$info")
		date=$(sed -n 's/^Date: //p' "$info")
		subject=$(sed -n 's/^Subject: //p' "$info")
		[ -n "$subject" ] && [ -n "$email" ] ||
			die "patch ${p#"$RLIST_REPO"/} has no From:/Subject: header"
		[ -n "$date" ] || date=$base_date
		tree=$(GIT_INDEX_FILE=$idx tgit write-tree)
		commit=$( { printf '%s\n\n' "$subject"; cat "$msg"; } |
			git stripspace |
			GIT_AUTHOR_NAME=$author GIT_AUTHOR_EMAIL=$email \
			GIT_AUTHOR_DATE=$date \
			GIT_COMMITTER_NAME=$author GIT_COMMITTER_EMAIL=$email \
			GIT_COMMITTER_DATE=$date \
			tgit commit-tree "$tree" -p "$parent")
		parent=$commit
	done < <(series_patches)

	echo "$parent"
}

# The counts of kunit.py's closing line in log $1, as "PASSED FAILED"
# (FAILED adds up failed, crashed and errors); nothing if the run never
# got to that line.
kunit_counts() {
	local line passed failed=0 other n

	line=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$1" | tail -n 1 || true)
	[ -n "$line" ] || return 0
	passed=$(echo "$line" | sed -En 's/.*passed: ([0-9]+).*/\1/p')
	for other in failed crashed errors; do
		n=$(echo "$line" | sed -En "s/.*$other: ([0-9]+).*/\\1/p")
		failed=$((failed + ${n:-0}))
	done
	echo "${passed:-0} $failed"
}

# Objects (.o files) of a whole build of each build dir (by its name), for
# the progress of a build into an empty dir; a build that started from an
# empty dir records its own count there (.rlist-objects) for the next one.
declare -A BUILD_OBJECTS=([uml]=900 [x86]=1650 [arm64]=800 [demo]=1520
	[e2e-base]=1640 [bench-uml]=700 [bench-x86]=1200)
PROGRESS_PID=
PROGRESS_COLD=

# The expected object count of a whole build in dir $1.
build_objects() {
	local n

	n=$(cat "$1/.rlist-objects" 2>/dev/null || true)
	echo "${n:-${BUILD_OBJECTS[$(basename "$1")]:-0}}"
}

# progress_start WHAT DIR LOG: in the background, show how far the build
# in DIR is: the objects compiled since now (against the expected count
# when DIR starts empty), and the time; in place every 2 s on a terminal,
# a line a minute otherwise (logs).  Stops at progress_stop or once LOG
# has kunit.py's line for the end of the build.
progress_start() {
	local what=$1 dir=$2 log=$3 total

	mkdir -p "$dir"
	touch "$dir/.rlist-build-start"
	total=$(build_objects "$dir")
	PROGRESS_COLD=
	if [ -z "$(find "$dir" -name '*.o' -print -quit)" ]; then
		PROGRESS_COLD=1
	fi
	(
		every=${PROGRESS_EVERY:-60}
		[ -t 1 ] && every=2
		start=$SECONDS
		while sleep "$every"; do
			if grep -qE '^\[[0-9:]+\] (Starting KUnit Kernel|Elapsed time)' "$log" 2>/dev/null; then
				break
			fi
			n=$(find "$dir" -name '*.o' -newer "$dir/.rlist-build-start" 2>/dev/null | wc -l)
			t=$((SECONDS - start))
			line="==> $what: $n"
			if [ "$total" -le 0 ]; then
				line+=" objects compiled"
			elif [ -n "$PROGRESS_COLD" ]; then
				[ "$n" -le "$total" ] || total=$n
				line+=" of about $total objects ($((n * 100 / total))%)"
			else
				line+=" objects compiled again (a whole build has about $total)"
			fi
			line+=", $((t / 60)) min $((t % 60)) s"
			if [ -t 1 ]; then
				printf '\r%s\033[K' "$line"
			else
				echo "$line"
			fi
		done
		[ ! -t 1 ] || printf '\r\033[K'
	) &
	PROGRESS_PID=$!
}

# progress_stop DIR [STATUS]: stop the progress of progress_start; after
# a build from an empty dir that succeeded (STATUS 0, the default),
# record DIR's object count.
progress_stop() {
	local dir=$1

	if [ -n "$PROGRESS_PID" ]; then
		kill "$PROGRESS_PID" 2>/dev/null || true
		wait "$PROGRESS_PID" 2>/dev/null || true
		PROGRESS_PID=
		[ ! -t 1 ] || printf '\r\033[K'
	fi
	if [ "${2:-0}" -eq 0 ] && [ -n "$PROGRESS_COLD" ]; then
		find "$dir" -name '*.o' | wc -l >"$dir/.rlist-objects"
	fi
	rm -f "$dir/.rlist-build-start"
}

# The lines of kunit.py's output a tier shows while it runs: its steps,
# each suite as it starts, and every test that did not pass.
KUNIT_SHOW='^\[[0-9:]+\] (Configuring|Building|Starting|Testing complete|Elapsed|=+ [A-Za-z0-9_]+ \([0-9]+ subtests?\) =+$|.*(FAILED|CRASHED|ERROR|SKIPPED))|error:'

# 0 if the kunit.py run of log $1 got past its build, for progress_stop.
built() {
	if grep -qE '^\[[0-9:]+\] Starting KUnit Kernel' "$1"; then
		echo 0
	else
		echo 1
	fi
}

# Filter of the progress lines a build shows: on a terminal each starts by
# clearing the line progress_start writes in place.
progress_lines() {
	if [ -t 1 ]; then
		sed -u 's/^/\r\x1b[K/'
	else
		cat
	fi
}

# kunit_build SRC ARCH DIR LOG KUNITCONFIG...: kunit.py build of the
# kernel source SRC for ARCH into build dir DIR, with the kunitconfigs
# given (files or directories).  The whole output goes to LOG, kunit.py's
# progress lines and compiler errors to stdout.  Exits with the end of the
# log on failure.
kunit_build() {
	local src=$1 arch=$2 dir=$3 log=$4 cfg rc
	local args=()

	shift 4
	for cfg; do
		args+=(--kunitconfig="$cfg")
	done
	mkdir -p "$(dirname "$log")"
	info "kunit.py build --arch=$arch in $dir (log: $log)"
	rm -f "$log"
	progress_start "$arch build in $(basename "$dir")" "$dir" "$log"
	set +e
	(cd "$src" && PYTHONDONTWRITEBYTECODE=1 python3 tools/testing/kunit/kunit.py \
		build --arch="$arch" --build_dir="$dir" "${args[@]}" \
		--jobs="${JOBS:-2}" --make_options "CC=$KCC") 2>&1 | tee "$log" |
		grep --line-buffered -E '^\[[0-9:]+\] (Configuring|Building|Elapsed|.*(FAILED|ERROR))|error:' |
		progress_lines
	rc=${PIPESTATUS[0]}
	set -e
	progress_stop "$dir" "$rc"
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$log" >&2
		die "$arch kernel build in $dir failed (kunit.py exit status $rc, log: $log)"
	fi
}

# need_disk GIB WHAT: dies with one line unless the file system of build/
# has GIB GiB free for WHAT.
need_disk() {
	local avail

	mkdir -p "$BUILD"
	avail=$(df -P -k "$BUILD" | awk 'NR == 2 { print int($4 / 1048576) }')
	[ "$avail" -ge "$1" ] ||
		die "$2 needs about $1 GiB of disk and $BUILD has $avail GiB free: free some (make clean removes the builds)"
}

# $1 is missing or older than one of the other files.
stale() {
	local out=$1 f

	shift
	[ -e "$out" ] || return 0
	for f in "$@"; do
		[ "$f" -nt "$out" ] && return 0
	done
	return 1
}

# The sanitizers of kunit/sanitizers.config.  Every KUnit run of make test
# has them on, and any report fails the run.  Some tests misuse the DMA API
# on purpose and expect dma-debug's WARNINGs, so plain WARNINGs are not
# reports; WARNINGs from mm/ (DEBUG_VM) are.
SANITIZERS=$RLIST_REPO/kunit/sanitizers.config
SANITIZER_REPORT='BUG: |UBSAN: |WARNING: (possible|inconsistent|suspicious|bad unlock|held lock|lock held|nested lock|Nested lock)|DEBUG_LOCKS_WARN_ON|turning off the locking correctness validator|WARNING: CPU: [0-9]+ PID: [0-9]+ at mm/|kmemleak: .*(suspected memory leak|[Dd]isabl|Memory pool empty|Cannot allocate)|Kernel memory leak detector disabled|kernel BUG at'

# Print the sanitizer reports of kernel log $1 (with some context); return
# non-zero when there is one.
sanitizer_reports() {
	! grep -E -A 3 "$SANITIZER_REPORT" "$1"
}

# kernel_reports TIER LOG: every kernel report (warning, BUG, Oops,
# refcount or list corruption, KASAN, UBSAN, lockdep, kmemleak, hung task)
# in the raw kernel output LOG, given to the KUnit test that was running;
# fails unless each test has exactly the reports harness/expected-reports
# lists for TIER (tests that provoke them on purpose).
kernel_reports() {
	python3 "$RLIST_REPO/harness/kernel-reports.py" "$1" "$2"
}

# kunit_status TIER LOG: every KUnit test in the raw kernel output LOG
# passed, except those harness/expected-skips lists for TIER, which were
# skipped for the reason it gives.
kunit_status() {
	python3 "$RLIST_REPO/harness/kunit-status.py" "$1" "$2"
}

# The kunit.py --json file $1 of a sanitizer run: the kmemleak suites
# (rlist_kmemleak, last of lib/, and ib_umem_kmemleak, last of the ib_umem
# tests in drivers/, which is linked after lib/) must have run and passed
# (kmemleak off makes them fail; with "uml" as $2 a skip is accepted, see
# the suite; rlist_kmemleak skips when ib_umem_kmemleak is built in).  The suites that ran after the last of them are named:
# their leaks are not scanned.
kmemleak_ran() {
	python3 - "$@" <<'PY'
import json, sys
ss = json.load(open(sys.argv[1])).get("sub_groups", [])
names = [s.get("name") for s in ss]
checks = [i for i, n in enumerate(names)
          if n in ("rlist_kmemleak", "ib_umem_kmemleak")]
if "rlist_kmemleak" not in names:
    sys.exit("the rlist_kmemleak suite did not run")
if "ib_umem" in names and "ib_umem_kmemleak" not in names:
    sys.exit("the ib_umem suites ran without ib_umem_kmemleak after them")
# UML skips when kmemleak reports its known objects (see the suite).
ok = ("PASS", "SKIP") if sys.argv[2:] == ["uml"] else ("PASS",)
for i in checks:
    tests = ss[i].get("test_cases", [])
    # rlist_kmemleak leaves the check to ib_umem_kmemleak when it runs.
    allowed = ok if i == checks[-1] else ("PASS", "SKIP")
    bad = [t["name"] for t in tests if t.get("status") not in allowed]
    if not tests or bad:
        sys.exit("%s did not pass: %s" % (names[i], bad or "no tests"))
after = names[checks[-1] + 1:]
if after:
    print("kmemleak: not scanned after: %s" % " ".join(after), file=sys.stderr)
PY
}
