#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make e2e, make e2e-base: end-to-end RDMA traffic with byte checking, in
# a QEMU guest, on the rlist kernel and on the unmodified base kernel.
#
# The guest is qemu-system-x86_64 (TCG, q35, 2 vCPUs, 8 GiB) with a
# virtio-net NIC (user netdev, restricted) and an nvme whose CMB is
# P2PDMA memory behind a PCIe switch.  Its initramfs is made of the host's
# Debian binaries (rdma-core, perftest, iproute2, busybox) and of
# tools/testing/rlist/rdma_verify.c; its /init (harness/e2e/init) creates
# rxe0 on eth0 and runs ibv_rc_pingpong, rping, perftest and rdma_verify,
# printing one "E2E <case> PASS|FAIL <detail>" line per case.
#
# Kernels: the rlist one is the x86_64 KUnit kernel of make kunit-qemu
# (build/x86, booted with kunit.enable=0; not rebuilt here); the base one
# is built here (cached) from build/base-src, a worktree of build/linux at
# rlist-base, into build/e2e-base, with the same kunitconfig less the
# options the base tree does not know, so that the two differ by rlist
# only.
#
# Verdict: on the rlist kernel every case must pass and the kernel log
# must have no BUG, Oops or WARNING; on the base kernel every case must
# pass except the ones in BASE_KNOWN_FAIL, which must fail for the reason
# given there, and the only warnings allowed are BASE_KNOWN_WARN.  A run
# of the rlist kernel also compares its cases with those of the base run
# (made first if missing or stale).
#
# Logs: build/logs/e2e-<kernel>.log (serial console) and
# build/logs/e2e-<kernel>.results (the result lines).
#
# Usage: e2e.sh [--base] [--recorded-base] [--demo]
#               [--kernel BZIMAGE [--name NAME]]
#               [kernel arg...]
#   (default)        the rlist kernel, then the comparison with the base
#   --base           the base kernel only (make e2e-base)
#   --recorded-base  compare with the base results recorded in the repo
#                    (harness/e2e/base.results, from make e2e-base)
#                    instead of building and booting the base kernel
#                    (make test, to stay inside CI's time)
#   --demo           a short run with readable output (no comparison)
#   --kernel, --name another kernel to boot instead of the rlist one, and
#                    the name of its logs (default: rlist)
#   kernel args      added to the guest's command line, e.g. e2e.corrupt=5
#                    (rdma_verify's cases must then fail) or
#                    e2e.only=REGEX; the logs are then e2e-<kernel>-args.*
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE_SRC=$BUILD/base-src
BASE_DIR=$BUILD/e2e-base
BASE_KERNEL=$BASE_DIR/arch/x86/boot/bzImage
RLIST_KERNEL=$BUILD/x86/arch/x86/boot/bzImage
OUT=$BUILD/e2e
KUNITCONFIG=$RLIST_REPO/kunit/qemu-x86/.kunitconfig
INIT=$RLIST_REPO/harness/e2e/init
PROG_SRC=$RLIST_REPO/tools/testing/rlist/rdma_verify.c
# E2E_TIMEOUT: seconds the guest may run.
TIMEOUT=${E2E_TIMEOUT:-900}
# The base kernel's results as make e2e-base last produced them, for
# --recorded-base (make test): copied from build/logs/e2e-base.results.
RECORDED_BASE=$RLIST_REPO/harness/e2e/base.results

# Cases that fail on the base kernel because of what rlist fixes, as
# "<case>|<regex of the detail>": each must fail there, for that reason.
BASE_KNOWN_FAIL=(
	# rxe keeps its own 16-byte-per-page array for an MR (a kcalloc
	# past the page allocator's largest order above 1 GiB): ENOMEM
	"verify_4g|ibv_reg_mr of the tested .*errno 12\)"
	# ib_umem_get() does not pin with FOLL_PCI_P2PDMA: EFAULT
	"verify_p2pmem|ibv_reg_mr of the tested .*errno 14\)"
	# siw and p2pmem: the base refuses the writable long-term pin of the
	# p2pmem file mapping (EFAULT) before it sees the P2PDMA pages
	"siw_p2pmem_refused|errno 14\), expected errno 121"
)
# Kernel warnings expected on the base kernel: the WARN of the page
# allocator for rxe's array of verify_4g.
BASE_KNOWN_WARN=(
	"WARNING: CPU: [0-9]+ PID: [0-9]+ at mm/page_alloc\\.c:[0-9]+ __alloc_pages"
)
# What the guest needs in the kernel (see the e2e block of the
# kunitconfig).
KERNEL_OPTS="BLK_DEV_INITRD DEVTMPFS TMPFS SYSVIPC UNIX VIRTIO_NET
INFINIBAND_USER_ACCESS INFINIBAND_USER_MEM RDMA_RXE RDMA_SIW HUGETLBFS
TRANSPARENT_HUGEPAGE BLK_DEV_NVME PCI_P2PDMA"
# What the demo (make run) needs of it: rxe only.
DEMO_OPTS="BLK_DEV_INITRD DEVTMPFS TMPFS UNIX VIRTIO_NET INFINIBAND_USER_ACCESS
INFINIBAND_USER_MEM RDMA_RXE TRANSPARENT_HUGEPAGE"
# Host programs copied into the initramfs with their libraries.
PROGRAMS="ibv_rc_pingpong ibv_devinfo rping ib_write_bw ib_read_bw
ib_send_bw rdma ip"
# The nvme behind a PCIe switch, as in p2p-user.sh.
P2P="-device pcie-root-port,id=rp1,chassis=1,slot=1"
P2P+=" -device x3130-upstream,id=up1,bus=rp1"
P2P+=" -device xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=0"
P2P+=" -device nvme,serial=rlist,cmb_size_mb=16,bus=dn1"
# E2E_MEM: the guest's memory (the 4 GiB MR needs the 8 GiB).
QEMU_ARGS="-machine q35 -cpu max -smp 2 -m ${E2E_MEM:-8G} -nographic -no-reboot"
QEMU_ARGS+=" -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0"
QEMU_ARGS+=" $P2P"
# The console shows warnings and worse only (loglevel=5); /init prints
# the whole kernel log at the end.
APPEND="console=ttyS0 kunit.enable=0 rdinit=/init panic=-1 oops=panic"
APPEND+=" loglevel=5 printk.time=1"

# Prints "<what>: N s" for a part that started at $2 (in $SECONDS).
took() {
	echo "==> time: $1: $((SECONDS - $2)) s"
}

check_host() {
	local p

	command -v qemu-system-x86_64 >/dev/null ||
		die "qemu-system-x86_64 is not installed: run make deps"
	for p in $PROGRAMS busybox; do
		command -v "$p" >/dev/null || die "$p is not installed: run make deps"
	done
	[ -f /usr/include/infiniband/verbs.h ] ||
		die "libibverbs-dev is not installed: run make deps"
}

check_kernel() {
	local kernel=$1 opts=$KERNEL_OPTS config opt

	[ "${2:-}" = demo ] && opts=$DEMO_OPTS
	config=$(dirname "$kernel")/../../../.config
	[ -f "$kernel" ] || die "no kernel $kernel: build it first (make kunit-qemu, or make run for the demo kernel)"
	[ -f "$config" ] || die "no .config next to $kernel"
	for opt in $opts; do
		grep -qx "CONFIG_$opt=y" "$config" ||
			die "$(realpath "$config") lacks CONFIG_$opt=y (see the e2e block of kunit/qemu-x86/.kunitconfig): rebuild that kernel"
	done
}

# The base kernel source: a worktree of build/linux at rlist-base.
base_src() {
	if [ -e "$BASE_SRC/Makefile" ]; then
		return
	fi
	require_tree
	info "creating $BASE_SRC (worktree of $TREE at $BASE_TAG)"
	tgit worktree add --detach "$BASE_SRC" "$BASE_TAG" >/dev/null
}

# The kunitconfig of the rlist kernel less the options the base tree does
# not know (the rlist ones).
base_kunitconfig() {
	local syms line sym

	syms=$(cd "$BASE_SRC" && grep -rhoE '^[[:space:]]*(menu)?config[[:space:]]+[A-Za-z0-9_]+' \
		--include='Kconfig*' . | awk '{ print $2 }' | sort -u)
	while IFS= read -r line; do
		sym=$(echo "$line" | sed -nE 's/^(# )?CONFIG_([A-Za-z0-9_]+)[= ].*/\2/p')
		if [ -n "$sym" ] && ! grep -qxF "$sym" <<<"$syms"; then
			continue
		fi
		printf '%s\n' "$line"
	done <"$KUNITCONFIG"
}

# The base kernel, rebuilt only when the filtered kunitconfig changes (the
# base source does not).
build_base() {
	local cfg=$BASE_DIR/kunitconfig log=$LOGS/e2e-base-build.log

	base_src
	mkdir -p "$BASE_DIR" "$LOGS"
	base_kunitconfig >"$cfg.tmp"
	if cmp -s "$cfg.tmp" "$cfg" && [ "$BASE_KERNEL" -nt "$cfg" ]; then
		rm -f "$cfg.tmp"
		return
	fi
	mv "$cfg.tmp" "$cfg"
	kunit_build "$BASE_SRC" x86_64 "$BASE_DIR" "$log" "$cfg"
	touch "$BASE_KERNEL"
}

# Every file a program needs: itself and its libraries, by real path,
# with the paths the loader looks for as symlinks.  Prints gen_init_cpio
# lines.
closure() {
	local f real lib

	for f in "$@"; do
		real=$(readlink -f "$f")
		echo "file $real $real 0755 0 0"
		[ "$f" = "$real" ] || echo "slink $f $real 0777 0 0"
		ldd "$real" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }' |
			while IFS= read -r lib; do
				real=$(readlink -f "$lib")
				echo "file $real $real 0755 0 0"
				# the path the loader looks for, usr-merged
				case $lib in
				/lib*) lib=/usr$lib ;;
				esac
				[ "$lib" = "$real" ] || echo "slink $lib $real 0777 0 0"
			done
	done
}

# The initramfs list: directories, usr-merge links, busybox, the programs
# and rdma_verify with their libraries, the verbs providers, libgcc_s
# (glibc dlopens it for pthread_exit) and /init.
initramfs_list() {
	local prog=$1 p d progs=() drv

	for d in /dev /proc /sys /tmp /mnt /bb /etc /etc/libibverbs.d /usr \
		 /usr/bin /usr/sbin /usr/lib /usr/lib64 /usr/lib/x86_64-linux-gnu \
		 /usr/lib/x86_64-linux-gnu/libibverbs; do
		echo "dir $d 0755 0 0"
	done
	echo "nod /dev/console 0600 0 0 c 5 1"
	for d in bin sbin lib lib64; do
		echo "slink /$d usr/$d 0777 0 0"
	done
	echo "file /bb/busybox $(readlink -f "$(command -v busybox)") 0755 0 0"
	for p in $(busybox --list | grep -vx busybox); do
		echo "slink /bb/$p busybox 0777 0 0"
	done
	for p in $PROGRAMS; do
		progs+=("$(readlink -f "$(command -v "$p")")")
	done
	progs+=(/usr/lib/x86_64-linux-gnu/libibverbs/lib{rxe,siw}-rdmav*.so)
	progs+=("$(readlink -f /lib/x86_64-linux-gnu/libgcc_s.so.1)")
	closure "${progs[@]}"
	echo "file /usr/bin/rdma_verify $prog 0755 0 0"
	closure "$prog" | grep -v "^file $prog "
	for drv in /etc/libibverbs.d/{rxe,siw}.driver; do
		echo "file $drv $drv 0644 0 0"
	done
	echo "file /init $INIT 0755 0 0"
}

# rdma_verify, gen_init_cpio and the initramfs, rebuilt when stale.
build_initramfs() {
	local gen=$OUT/gen_init_cpio prog=$OUT/rdma_verify list=$OUT/initramfs.list
	local cpio=$OUT/initramfs.cpio

	mkdir -p "$OUT"
	# The rlist tree's: the series does not change it.
	require_tree
	if stale "$gen" "$TREE/usr/gen_init_cpio.c"; then
		info "building $gen"
		gcc -O2 -o "$gen" "$TREE/usr/gen_init_cpio.c"
	fi
	if stale "$prog" "$PROG_SRC"; then
		info "building $prog"
		gcc -O2 -g -Wall -Wextra -Werror -o "$prog" "$PROG_SRC" -libverbs
	fi
	initramfs_list "$prog" | awk '!seen[$0]++' >"$list.tmp"
	if ! cmp -s "$list.tmp" "$list"; then
		mv "$list.tmp" "$list"
	else
		rm -f "$list.tmp"
	fi
	# shellcheck disable=SC2046
	if stale "$cpio" "$list" "$gen" $(awk '$1 == "file" { print $3 }' "$list"); then
		info "building $cpio"
		"$gen" "$list" >"$cpio.tmp"
		mv "$cpio.tmp" "$cpio"
	fi
}

# Boots kernel $1; the serial log goes to $2.  $3 is the mode (full or
# demo), the rest kernel args.
boot() {
	local kernel=$1 log=$2 mode=$3 rc show

	shift 3
	# Every line of the demo; of the full run, each case as it starts
	# ("# <case>: ..."), its result and its failure.
	show='^E2E|^# '
	[ "$mode" = demo ] || show='^E2E |^# [A-Za-z0-9_]+: |^# .*: [0-9.]+ s$|^#  *FAIL'
	info "qemu-system-x86_64 $QEMU_ARGS -kernel $kernel (log: $log)"
	set +e
	# shellcheck disable=SC2086
	timeout "$TIMEOUT" qemu-system-x86_64 $QEMU_ARGS -kernel "$kernel" \
		-initrd "$OUT/initramfs.cpio" \
		-append "$APPEND e2e.mode=$mode${*:+ $*}" </dev/null 2>&1 |
		tr -d '\r' | tee "$log" |
		awk -v re="$show" '/^E2E-RESULTS-BEGIN/ { stop = 1 }
				   !stop && $0 ~ re { print; fflush() }'
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" -eq 124 ]; then
		echo "guest timed out after $TIMEOUT s" >>"$log.why"
	fi
	return 0
}

# The result lines of log $1, the last one of each case, in the order
# the cases first appear.
results_of() {
	grep -E '^E2E [A-Za-z0-9_]+ (PASS|FAIL)( |$)' "$1" |
		awk '{ if (!($2 in r)) order[n++] = $2; r[$2] = $0 }
		     END { for (i = 0; i < n; i++) print r[order[i]] }'
}

# The kernel log of log $1: the dmesg block /init prints, or the whole
# console log if the guest did not get there.
kernel_log() {
	if grep -q '^E2E-DMESG-END' "$1"; then
		sed -n '/^E2E-DMESG-BEGIN/,/^E2E-DMESG-END/p' "$1"
	else
		cat "$1"
	fi
}

# Problems of result lines $1 of kernel $2 (base or another), one per
# line: on base, the known failures must fail for their reason and the
# rest pass; elsewhere every case must pass.
verdict_results() {
	local res=$1 name=$2 line c status detail re known

	while IFS= read -r line; do
		[ -n "$line" ] || continue
		c=$(echo "$line" | awk '{ print $2 }')
		status=$(echo "$line" | awk '{ print $3 }')
		detail=$(echo "$line" | cut -d' ' -f4-)
		re=
		if [ "$name" = base ]; then
			for known in "${BASE_KNOWN_FAIL[@]}"; do
				[ "${known%%|*}" = "$c" ] && re=${known#*|}
			done
		fi
		if [ -z "$re" ]; then
			[ "$status" = PASS ] || echo "$c: FAIL $detail"
		elif [ "$status" = PASS ]; then
			echo "$c: passes on base, expected to fail with /$re/"
		elif ! echo "$detail" | grep -qE "$re"; then
			echo "$c: fails on base for another reason than /$re/: $detail"
		fi
	done <<<"$res"
}

# Problems of the run of log $1 (kernel name $2: base or another), one
# per line; nothing if it passed.
verdict() {
	local log=$1 name=$2 res w line ok
	local kre='BUG:|Oops|WARNING:|Kernel panic|general protection fault|Call Trace'
	local allowed=

	kre+='|blocked for more than|detected stall'
	kre+="|$SANITIZER_REPORT"

	[ -s "$log.why" ] && cat "$log.why"
	grep -q '^E2E-END' "$log" || echo "the guest did not finish (no E2E-END line)"
	res=$(results_of "$log")
	[ -n "$res" ] || echo "no result line"
	verdict_results "$res" "$name"
	kernel_log "$log" | grep -E "$kre" | while IFS= read -r line; do
		ok=
		if [ "$name" = base ]; then
			for w in "${BASE_KNOWN_WARN[@]}"; do
				if echo "$line" | grep -qE "$w"; then
					ok=1
					allowed=1
				fi
			done
			# the trace of an allowed warning
			if [ -n "$allowed" ] && [ "$line" != "${line%Call Trace:}" ]; then
				ok=1
			fi
		fi
		[ -n "$ok" ] || echo "kernel: $line"
	done | sort -u | head -n 10
}

# The log of a demo run of kernel $1 (the demo kernel of make run: demo).
demo_log() {
	if [ "$1" = demo ]; then
		echo "$LOGS/e2e-demo.log"
	else
		echo "$LOGS/e2e-$1-demo.log"
	fi
}

# Boots kernel $1 as $2 and checks the run; returns non-zero on failure.
run_kernel() {
	local kernel=$1 name=$2 mode=$3 log why start=$SECONDS

	shift 3
	log=$LOGS/e2e-$name${*:+-args}.log
	[ "$mode" = demo ] && log=$(demo_log "$name")
	rm -f "$log.why"
	boot "$kernel" "$log" "$mode" "$@"
	took "$name guest ($mode)" "$start"
	[ "$mode" = demo ] || results_of "$log" >"${log%.log}.results"
	check_log "$log" "$name"
}

# Why the guest of log $1 did not get to its results, in one line with
# what to do; nothing when it did, or when the cause is not one of these.
cause() {
	local log=$1 line

	if grep -q 'guest timed out' "$log.why" 2>/dev/null; then
		echo "the guest did not finish within $TIMEOUT s (TCG on a busy or slow machine?): its console is in $log"
	elif ! grep -q '^E2E-BEGIN' "$log" &&
	     line=$(grep -m 1 -E '^qemu-system-x86_64: ' "$log"); then
		echo "QEMU did not start the guest: ${line#qemu-system-x86_64: } (is qemu-system-x86 installed and is there memory for -m ${E2E_MEM:-8G}? make deps installs it)"
	elif grep -qE 'Out of memory|oom-kill|Initramfs unpacking failed|Unable to mount root fs|Memory cgroup out of memory' "$log"; then
		echo "the guest ran out of memory with -m ${E2E_MEM:-8G}: give it 8 GiB (E2E_MEM=8G, the default)"
	elif ! grep -q '^E2E-BEGIN' "$log"; then
		echo "the guest's kernel did not start /init: its console is in $log"
	fi
}

# The verdict on the run of log $1 (kernel $2); non-zero on failure.  The
# first line says why; the problems found follow.
check_log() {
	local log=$1 name=$2 why first

	why=$(verdict "$log" "$name")
	if [ -n "$why" ]; then
		first=$(cause "$log")
		[ -n "$first" ] || first=$(echo "$why" | head -n 1)
		echo "e2e-$name: FAILED: $first" >&2
		echo "$why" | sed 's/^/  /' >&2
		echo "  (full log: $log)" >&2
		return 1
	fi
	echo "e2e-$name: PASS ($(results_of "$log" | wc -l) cases, $log)"
}

# A size in bytes, in the unit that reads best.
human() {
	awk -v b="$1" 'BEGIN {
		if (b >= 1073741824 && b % 1073741824 == 0) printf "%d GiB", b / 1073741824
		else if (b >= 1048576 && b % 1048576 == 0) printf "%d MiB", b / 1048576
		else if (b >= 1024 && b % 1024 == 0) printf "%d KiB", b / 1024
		else {
			s = sprintf("%d", b)
			while (s ~ /[0-9][0-9][0-9][0-9]/)
				sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
			printf "%s B", s
		} }'
}

# The demo's results (log $1) as a table: case, memory, MR size, the
# bytes moved and checked, result.
demo_table() {
	local line c status rest mem mr moved

	printf '%-15s %-9s %-12s %-32s %s\n' case memory "MR size" "moved and checked" result
	results_of "$1" | while IFS= read -r line; do
		read -r _ c status rest <<<"$line"
		mem=- mr=- moved=-
		if [[ $rest =~ ([0-9]+)\ bytes\ checked\ 3\ times,\ MR\ ([0-9]+)\ bytes\ of\ ([a-z0-9]+)\ memory ]]; then
			moved="$(human "${BASH_REMATCH[1]}"), every byte 3 times"
			mr=$(human "${BASH_REMATCH[2]}")
			mem=${BASH_REMATCH[3]}
		elif [ "$c" = setup ]; then
			moved="rxe0 on eth0"
		elif [[ $c == rping* ]] && [ "$status" = PASS ]; then
			mem="rping's"
			moved="ping data, compared"
		fi
		printf '%-15s %-9s %-12s %-32s %s\n' "$c" "$mem" "$mr" "$moved" "$status"
	done
}

# The cases of the two results files must be the same.
compare() {
	local base=$1 other=$2 diff

	diff=$(diff <(awk '{ print $2 }' "$base" | sort) \
		    <(awk '{ print $2 }' "$other" | sort) || true)
	if [ -n "$diff" ]; then
		echo "e2e: the cases of $other and $base differ:" >&2
		echo "$diff" | sed 's/^/  /' >&2
		return 1
	fi
	echo "e2e: same $(wc -l <"$other") cases on base and $(basename "$other" .results | sed 's/^e2e-//')"
}

main() {
	local base=0 demo=0 kernel=$RLIST_KERNEL name=rlist mode=full start
	local rc=0 all=$SECONDS base_res=$LOGS/e2e-base.results recorded=0 why

	while [ $# -gt 0 ]; do
		case $1 in
		--base) base=1 ;;
		--demo) demo=1 ;;
		--recorded-base) recorded=1 ;;
		--kernel) kernel=$2; shift ;;
		--name) name=$2; shift ;;
		-*) die "unknown option $1" ;;
		*) break ;;
		esac
		shift
	done
	[ "$demo" -eq 1 ] && mode=demo
	check_host
	mkdir -p "$LOGS" "$OUT"

	start=$SECONDS
	build_initramfs
	took "initramfs" "$start"

	if [ "$base" -eq 1 ]; then
		start=$SECONDS
		build_base
		took "base kernel build" "$start"
		check_kernel "$BASE_KERNEL"
		run_kernel "$BASE_KERNEL" base "$mode" "$@" || rc=1
		took "make e2e-base" "$all"
		return "$rc"
	fi

	check_kernel "$kernel" "$mode"
	if [ "$mode" = full ] && [ "$recorded" -eq 1 ]; then
		base_res=$RECORDED_BASE
		[ -s "$base_res" ] || die "no $base_res: make e2e-base, then copy build/logs/e2e-base.results there"
		why=$(verdict_results "$(cat "$base_res")" base)
		if [ -n "$why" ]; then
			echo "e2e: the recorded base results $base_res do not pass:" >&2
			echo "$why" | sed 's/^/  /' >&2
			rc=1
		else
			info "base: the results recorded in $base_res"
		fi
	elif [ "$mode" = full ]; then
		start=$SECONDS
		build_base
		took "base kernel build" "$start"
		if stale "$base_res" "$BASE_KERNEL" "$OUT/initramfs.cpio" \
			"$RLIST_REPO/harness/e2e.sh"; then
			info "base results missing or stale: running the base kernel first"
			run_kernel "$BASE_KERNEL" base full || rc=1
		else
			check_log "$LOGS/e2e-base.log" base || rc=1
		fi
	fi
	run_kernel "$kernel" "$name" "$mode" "$@" || rc=1
	if [ "$mode" = demo ] && [ -n "$(results_of "$(demo_log "$name")")" ]; then
		echo
		demo_table "$(demo_log "$name")"
	fi
	if [ "$mode" = full ] && [ $# -eq 0 ]; then
		compare "$base_res" "$LOGS/e2e-$name.results" || rc=1
	fi
	took "make e2e" "$all"
	[ "$rc" -eq 0 ] && echo "e2e: PASS" || echo "e2e: FAIL"
	return "$rc"
}

main "$@"
