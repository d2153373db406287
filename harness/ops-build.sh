#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make ops-build: build every in-tree struct dma_map_ops instance for its
# own architecture.  dma_map_rlist() reaches those ops through their
# ->map_page(), ->unmap_page() and ->sync_single_*() only, which every one
# of the 20 instances has.
#
# ops-build.sh --x86 (a tier of make test): x86_64 allmodconfig build of
# the rlist code and of the ops files that x86_64 builds, with
# CONFIG_WERROR (allmodconfig's) so that a warning fails.  Log:
# build/logs/ops-build.log.
#
# ops-build.sh: that, then every instance in a configuration of its
# architecture (a defconfig plus the options that enable it, listed
# below; CONFIG_WERROR off), on the rlist tree and on the base tree
# (build/base-src, a worktree of build/linux at rlist-base), in
# build/ops/{rlist,base}-<config>.  Each ops object, and
# kernel/dma/rlist.o on the rlist tree, is built alone with W=1, and the
# warnings of its compilation (path, text and [-Wflag]; no line or
# column) are compared as sets with those of the same object of the base
# tree: the rlist build must have none more.  Where a defconfig lacks
# CONFIG_DMA_RLIST, the rlist pin test driver (which selects it) is
# enabled, in both trees.  Installs the cross compilers (deps.sh --ops)
# when one is missing.  Prints a table of the instances, also in
# build/logs/ops-build.table; logs: build/logs/ops-build-<config>.log.
# Fails when an ops object is not built or has a new warning.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALLMOD_DIR=$BUILD/allmod
# The rlist code and the files it changes.
RLIST_OBJS="lib/rlist/ kernel/dma/rlist.o drivers/iommu/dma-iommu.o
	drivers/iommu/iommu.o drivers/pci/p2pdma.o mm/gup.o fs/kernfs/file.o
	fs/sysfs/file.o"
# struct dma_map_ops instances buildable on x86_64.
OPS_OBJS="arch/x86/kernel/amd_gart_64.o drivers/xen/swiotlb-xen.o
	drivers/xen/grant-dma-ops.o drivers/vdpa/vdpa_user/vduse_dev.o
	kernel/dma/dummy.o"

OPS_DIR=$BUILD/ops
BASE_SRC=$BUILD/base-src
RLIST_O=kernel/dma/rlist.o
TABLE=$LOGS/ops-build.table
# Options for kernel/dma/rlist.o where the defconfig lacks DMA_RLIST.
RLIST_OPTS="DEBUG_FS RUNTIME_TESTING_MENU RLIST_PIN_TEST"

# The configurations: name, ARCH, CROSS_COMPILE (- for none: $KCC),
# defconfig, and options for scripts/config (SYM on, -SYM off) besides
# those of the instances.
CONFIGS=(
	"alpha alpha alpha-linux-gnu- defconfig"
	"arm arm arm-linux-gnueabihf- multi_v7_defconfig"
	"mips-jazz mips mips64el-linux-gnuabi64- jazz_defconfig"
	"ppc-pseries powerpc powerpc64-linux-gnu- pseries_defconfig
		-CPU_LITTLE_ENDIAN CPU_BIG_ENDIAN"
	"ppc-ps3 powerpc powerpc64-linux-gnu- ps3_defconfig"
	"sparc64 sparc sparc64-linux-gnu- sparc64_defconfig"
	"sparc32 sparc sparc64-linux-gnu- sparc32_defconfig"
	"parisc parisc hppa-linux-gnu- generic-32bit_defconfig"
	"x86_64 x86_64 - x86_64_defconfig"
)

# The instances: name, file, configuration, and the symbols that must be
# y for it to be built (+SYM: enabled with scripts/config too).
OPS=(
	"alpha_pci_ops arch/alpha/kernel/pci_iommu.c alpha PCI"
	"iommu_ops arch/arm/mm/dma-mapping.c arm ARM_DMA_USE_IOMMU"
	"jazz_dma_ops arch/mips/jazz/jazzdma.c mips-jazz MACH_JAZZ"
	"dma_iommu_ops arch/powerpc/kernel/dma-iommu.c ppc-pseries PPC64"
	"ps3_sb_dma_ops arch/powerpc/platforms/ps3/system-bus.c ppc-ps3
		PPC_PS3"
	"ps3_ioc0_dma_ops arch/powerpc/platforms/ps3/system-bus.c ppc-ps3
		PPC_PS3"
	"ibmebus_dma_ops arch/powerpc/platforms/pseries/ibmebus.c ppc-pseries
		+IBMEBUS"
	"vio_dma_mapping_ops arch/powerpc/platforms/pseries/vio.c ppc-pseries
		IBMVIO PPC_SMLPAR"
	"sun4u_dma_ops arch/sparc/kernel/iommu.c sparc64 SPARC64"
	"sun4v_dma_ops arch/sparc/kernel/pci_sun4v.c sparc64 SPARC64_PCI"
	"iounit_dma_ops arch/sparc/mm/io-unit.c sparc32 SPARC32 SBUS"
	"sbus_iommu_dma_gflush_ops arch/sparc/mm/iommu.c sparc32 SPARC32 SBUS"
	"sbus_iommu_dma_pflush_ops arch/sparc/mm/iommu.c sparc32 SPARC32 SBUS"
	"gart_dma_ops arch/x86/kernel/amd_gart_64.c x86_64 +GART_IOMMU"
	"ccio_ops drivers/parisc/ccio-dma.c parisc +IOMMU_CCIO"
	"sba_ops drivers/parisc/sba_iommu.c parisc +PCI_LBA IOMMU_SBA"
	"vduse_dev_dma_ops drivers/vdpa/vdpa_user/vduse_dev.c x86_64
		+VDPA +VDPA_USER"
	"xen_grant_dma_ops drivers/xen/grant-dma-ops.c x86_64
		+XEN +XEN_VIRTIO XEN_GRANT_DMA_OPS"
	"xen_swiotlb_dma_ops drivers/xen/swiotlb-xen.c x86_64
		+XEN +XEN_PV +XEN_DOM0 SWIOTLB_XEN"
	"dma_dummy_ops kernel/dma/dummy.c x86_64 ARCH_HAS_DMA_OPS"
)

# Results by "config object"; the configuration being built (cfg_load).
declare -A RESULT=()
# The configurations that needed RLIST_OPTS.
declare -A RLIST_EXTRA=()
C_NAME='' C_ARCH='' C_CROSS='' C_CC='' C_DEFCONFIG='' C_OWN='' C_OPTS=''
C_OBJS=()
NEW_WARNINGS=/dev/null

# x86_64 allmodconfig build (CONFIG_WERROR) of the rlist code and of the
# x86_64 ops files (the --x86 mode).  Dies on a failure.
allmod_build() {
	local log=$LOGS/ops-build.log o want rc=0

	mkdir -p "$LOGS" "$ALLMOD_DIR" "$CCACHE_DIR"
	: >"$log"
	info "x86_64 allmodconfig in $ALLMOD_DIR (log: $log)"
	(cd "$TREE" && make -s ARCH=x86_64 O="$ALLMOD_DIR" CC="$KCC" \
		allmodconfig) >>"$log" 2>&1 || die "allmodconfig failed: $log"
	for want in CONFIG_RLIST=y CONFIG_DMA_RLIST=y CONFIG_DMA_API_DEBUG=y \
		    CONFIG_WERROR=y; do
		grep -qx "$want" "$ALLMOD_DIR/.config" ||
			die "allmodconfig lacks $want"
	done
	# shellcheck disable=SC2086
	info building $RLIST_OBJS $OPS_OBJS
	# shellcheck disable=SC2086
	(cd "$TREE" && make -s ARCH=x86_64 O="$ALLMOD_DIR" CC="$KCC" \
		-j"${JOBS:-2}" $RLIST_OBJS $OPS_OBJS) >>"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		tail -n 30 "$log" >&2
		die "ops-build: build failed (exit $rc)"
	fi
	for o in $OPS_OBJS kernel/dma/rlist.o; do
		[ -f "$ALLMOD_DIR/$o" ] || die "ops-build: $o was not built"
	done
	# shellcheck disable=SC2086
	echo "ops-build: built $(echo $OPS_OBJS | wc -w) dma_map_ops files" \
		"and the rlist code"
}

# The base tree: build/base-src, a worktree of build/linux at rlist-base.
base_src() {
	if [ ! -e "$BASE_SRC" ]; then
		info "creating $BASE_SRC (worktree of $TREE at $BASE_TAG)"
		tgit worktree add -q --detach "$BASE_SRC" "$BASE_TAG"
	fi
	[ -f "$BASE_SRC/Makefile" ] || die "no base tree in $BASE_SRC"
	[ "$(git -C "$BASE_SRC" rev-parse HEAD)" = \
	  "$(tgit rev-parse "$BASE_TAG^{commit}")" ] ||
		die "$BASE_SRC is not at $BASE_TAG"
}

# Install the cross compilers when one is missing.
cross_compilers() {
	local entry p

	for entry in "${CONFIGS[@]}"; do
		# shellcheck disable=SC2086
		set -- $entry
		p=$3
		[ "$p" = - ] || command -v "${p}gcc" >/dev/null || break
		p=
	done
	[ -n "$p" ] || return 0
	info "${p}gcc is missing: deps.sh --ops"
	"$RLIST_REPO/harness/deps.sh" --ops ||
		info "deps.sh --ops failed: configurations without a compiler" \
			"are not built"
}

# The words $@, separated by one space.
words() {
	echo "$*"
}

# The options that the instances of configuration $1 enable (their +SYM).
row_opts() {
	local cfg=$1 entry s

	for entry in "${OPS[@]}"; do
		# shellcheck disable=SC2086
		set -- $entry
		[ "$3" = "$cfg" ] || continue
		for s in "${@:4}"; do
			[ "${s#+}" = "$s" ] || echo "${s#+}"
		done
	done | awk '!seen[$0]++' | paste -s -d ' '
}

# Set the C_* variables for configuration $1: C_NAME, C_ARCH, C_CROSS,
# C_CC, C_DEFCONFIG, C_OWN (its options besides the instances') and
# C_OPTS (every option for scripts/config).
cfg_load() {
	local want=$1 entry

	for entry in "${CONFIGS[@]}"; do
		# shellcheck disable=SC2086
		set -- $entry
		[ "$1" = "$want" ] || continue
		C_NAME=$1 C_ARCH=$2 C_CROSS=$3 C_DEFCONFIG=$4
		shift 4
		C_OWN="$*"
		C_OPTS="-WERROR $* $(row_opts "$want")"
		[ "$C_ARCH" != powerpc ] || C_OPTS+=" PPC_DISABLE_WERROR"
		# shellcheck disable=SC2086
		C_OPTS=$(words $C_OPTS)
		C_CC="ccache ${C_CROSS}gcc"
		if [ "$C_CROSS" = - ]; then
			C_CROSS=
			C_CC=$KCC
		fi
		return
	done
	die "no configuration $want"
}

# make in tree $1, build dir $2, for the configuration loaded.
kmake() {
	local src=$1 dir=$2

	shift 2
	(cd "$src" && make ARCH="$C_ARCH" CROSS_COMPILE="$C_CROSS" \
		O="$dir" CC="$C_CC" "$@")
}

# CONFIG_$2 is y in build dir $1.
is_y() {
	grep -qx "CONFIG_$2=y" "$1/.config"
}

# Configure build dir $2 of tree $1: the defconfig and $C_OPTS.
configure() {
	local src=$1 dir=$2 o args=()

	for o in $C_OPTS; do
		case $o in
		-*) args+=(-d "${o#-}") ;;
		*) args+=(-e "$o") ;;
		esac
	done
	mkdir -p "$dir"
	kmake "$src" "$dir" "$C_DEFCONFIG" &&
		"$src/scripts/config" --file "$dir/.config" "${args[@]}" &&
		kmake "$src" "$dir" olddefconfig
}

# gcc's and objtool's warnings in the build output on stdin of tree $1 in
# build dir $2, as "path: warning: text [-Wflag]" (no line, column or
# code offset), sorted, each once.
normalise() {
	sed -E -e "s#^$1/##" -e "s#^$2/##" -e 's#^(\.\.?/)+##' |
		{ grep -E '^[^ :]+:([0-9]+:)* ?warning: ' || true; } |
		sed -E -e 's#^([^ :]+):([0-9]+:)+ #\1: #' \
			-e 's#\+0x[0-9a-f]+(/0x[0-9a-f]+)?##g' |
		LC_ALL=C sort -u
}

# The results of configuration $C_NAME: object $1 gets $2, unless it has
# one.
set_result() {
	[ -n "${RESULT["$C_NAME $1"]:-}" ] || RESULT["$C_NAME $1"]=$2
}

# Every object of configuration $C_NAME gets result $1 (unless it has
# one).
set_all() {
	local res=$1 entry

	for entry in "${OPS[@]}"; do
		# shellcheck disable=SC2086
		set -- $entry
		[ "$3" != "$C_NAME" ] || set_result "${2%.c}.o" "$res"
	done
	set_result "$RLIST_O" "$res"
}

# The objects of configuration $C_NAME whose symbols are y in build dir
# $1, in C_OBJS; the others get their result.
cfg_objs() {
	local dir=$1 entry s o off

	C_OBJS=()
	for entry in "${OPS[@]}"; do
		# shellcheck disable=SC2086
		set -- $entry
		[ "$3" = "$C_NAME" ] || continue
		o=${2%.c}.o
		off=
		for s in "${@:4}"; do
			is_y "$dir" "${s#+}" || off=${off:-${s#+}}
		done
		if [ -n "$off" ]; then
			set_result "$o" "not built: $off off in $C_DEFCONFIG"
		elif [[ " ${C_OBJS[*]} " != *" $o "* ]]; then
			C_OBJS+=("$o")
		fi
	done
	if is_y "$dir" DMA_RLIST; then
		C_OBJS+=("$RLIST_O")
	else
		set_result "$RLIST_O" "not built: DMA_RLIST off in $C_DEFCONFIG"
	fi
}

# Build object $3 alone with W=1 in build dir $2 of tree $1; its output
# goes to $2/ops-build/<object>.out, its warnings to .warn, and .ok
# is created when the object was built.
build_obj() {
	local src=$1 dir=$2 obj=$3 out rc=0

	out=$dir/ops-build/${obj//\//_}
	mkdir -p "$dir/ops-build"
	rm -f "$dir/$obj" "$out.ok"
	kmake "$src" "$dir" W=1 "$obj" >"$out.out" 2>&1 || rc=$?
	# From the compiler's line of the object on (before it: prepare's
	# checks, such as checksyscalls.sh's warnings).
	awk -v obj="$obj" 'on; $1 == "CC" && $NF == obj { on = 1 }' \
		"$out.out" | normalise "$src" "$dir" >"$out.warn"
	if [ "$rc" -eq 0 ] && [ -f "$dir/$obj" ]; then
		touch "$out.ok"
	fi
}

# Build the objects $4... in build dir $2 of tree $1 (named $3), after
# its headers (prepare); output to the configuration's log.
build_tree() {
	local src=$1 dir=$2 name=$3 log=$LOGS/ops-build-$C_NAME.log o

	shift 3
	info "$C_NAME: $name: prepare"
	if ! kmake "$src" "$dir" W=1 -j"${JOBS:-2}" prepare >>"$log" 2>&1
	then
		info "$C_NAME: $name: prepare failed (see $log)"
		return
	fi
	for o; do
		info "$C_NAME: $name: W=1 $o"
		build_obj "$src" "$dir" "$o"
		{
			echo "==> $name: W=1 $o"
			cat "$dir/ops-build/${o//\//_}.out"
		} >>"$log"
	done
}

# The result of object $1 from the rlist build in $2 and the base build
# in $3; new warnings go to the log and to $NEW_WARNINGS.
compare_obj() {
	local obj=$1 r=$2/ops-build/${1//\//_} b=$3/ops-build/${1//\//_}
	local log=$LOGS/ops-build-$C_NAME.log base_w=/dev/null n

	[ "$obj" = "$RLIST_O" ] || base_w=$b.warn
	if [ ! -f "$r.ok" ]; then
		set_result "$obj" "not built: build failed (see log)"
		return
	fi
	if [ "$obj" != "$RLIST_O" ] && [ ! -f "$b.ok" ]; then
		set_result "$obj" "built, but not on the base tree (see log)"
		return
	fi
	LC_ALL=C comm -23 "$r.warn" "$base_w" >"$r.new"
	n=$(wc -l <"$r.new")
	if [ "$n" -eq 0 ]; then
		set_result "$obj" "built, no new warnings"
		return
	fi
	set_result "$obj" "built, $n new warnings (see log)"
	{
		echo "==> new warnings of $obj (not in the base build):"
		cat "$r.new"
	} >>"$log"
	sed "s#^#$C_NAME $obj: #" "$r.new" >>"$NEW_WARNINGS"
}

# Build configuration $1 on both trees and set the results of its
# objects.
ops_config() {
	local log=$LOGS/ops-build-$1.log rdir=$OPS_DIR/rlist-$1
	local bdir=$OPS_DIR/base-$1 o base_objs=()

	cfg_load "$1"
	: >"$log"
	rm -rf "$rdir/ops-build" "$bdir/ops-build"
	if ! command -v "${C_CROSS}gcc" >/dev/null; then
		set_all "not built: ${C_CROSS}gcc is not installed"
		return
	fi
	info "$C_NAME: rlist: $C_DEFCONFIG $C_OPTS (log: $log)"
	if ! configure "$TREE" "$rdir" >>"$log" 2>&1; then
		set_all "not built: configuration failed (see log)"
		return
	fi
	if ! is_y "$rdir" DMA_RLIST; then
		C_OPTS+=" $RLIST_OPTS"
		RLIST_EXTRA[$C_NAME]=" +RLIST_PIN_TEST"
		info "$C_NAME: rlist: no DMA_RLIST: $RLIST_OPTS"
		configure "$TREE" "$rdir" >>"$log" 2>&1 || true
	fi
	cfg_objs "$rdir"
	build_tree "$TREE" "$rdir" rlist "${C_OBJS[@]}"
	for o in "${C_OBJS[@]}"; do
		[ "$o" = "$RLIST_O" ] || base_objs+=("$o")
	done
	info "$C_NAME: base: $C_DEFCONFIG $C_OPTS"
	if configure "$BASE_SRC" "$bdir" >>"$log" 2>&1; then
		build_tree "$BASE_SRC" "$bdir" base "${base_objs[@]}"
	else
		info "$C_NAME: base: configuration failed (see $log)"
	fi
	for o in "${C_OBJS[@]}"; do
		compare_obj "$o" "$rdir" "$bdir"
	done
}

# The config column of a row of the configuration loaded, whose symbols
# are $@.
row_config() {
	local s line=$C_DEFCONFIG

	for s in $C_OWN; do
		[ "${s#-}" != "$s" ] || line+=" +$s"
	done
	for s; do
		[ "${s#+}" = "$s" ] || line+=" $s"
	done
	echo "$line"
}

# The result of object $2 of configuration $1.
result() {
	echo "${RESULT["$1 $2"]:-not built: not reached}"
}

# The table: a row per instance, then one per kernel/dma/rlist.o.
table() {
	local entry config res

	{
		echo "ops|file|arch|config|result"
		for entry in "${OPS[@]}"; do
			# shellcheck disable=SC2086
			set -- $entry
			cfg_load "$3"
			config=$(row_config "${@:4}")
			res=$(result "$3" "${2%.c}.o")
			echo "$1|$2|$C_ARCH|$config|$res"
		done
		for entry in "${CONFIGS[@]}"; do
			cfg_load "${entry%% *}"
			config=$(row_config)${RLIST_EXTRA[$C_NAME]:-}
			res=$(result "$C_NAME" "$RLIST_O")
			echo "(rlist code)|${RLIST_O%.o}.c|$C_ARCH|$config|$res"
		done
	} | column -t -s '|' -o ' | '
}

# Fail unless every ops object was built without a new warning, and
# kernel/dma/rlist.o too where its configuration has DMA_RLIST.
check_results() {
	local key ok=0

	for key in "${!RESULT[@]}"; do
		case ${RESULT[$key]} in
		"built, no new warnings") ;;
		"not built: DMA_RLIST off in "*) ;;
		*) ok=1 ;;
		esac
	done
	return "$ok"
}

# Every configuration on both trees, with the table.
full() {
	local start=$SECONDS entry allmod=ok rc=0

	base_src
	cross_compilers
	mkdir -p "$LOGS" "$OPS_DIR" "$CCACHE_DIR"
	NEW_WARNINGS=$OPS_DIR/new-warnings.txt
	: >"$NEW_WARNINGS"
	( allmod_build ) || allmod="failed (see $LOGS/ops-build.log)"
	for entry in "${CONFIGS[@]}"; do
		ops_config "${entry%% *}"
	done
	check_results || rc=1
	[ "$allmod" = ok ] || rc=1
	{
		table
		echo
		echo "x86_64 allmodconfig (CONFIG_WERROR) of the rlist code" \
			"and the x86_64 ops files: $allmod"
		if [ -s "$NEW_WARNINGS" ]; then
			echo "new warnings:"
			cat "$NEW_WARNINGS"
		fi
		echo "ops-build: $((SECONDS - start)) s"
	} | tee "$TABLE"
	[ "$rc" -eq 0 ] || die "ops-build: an ops object was not built or" \
		"has a new warning (table: $TABLE)"
}

# The files of the instances that the --x86 mode does not build.
other_arch_files() {
	local entry

	for entry in "${OPS[@]}"; do
		# shellcheck disable=SC2086
		set -- $entry
		[ "$3" = x86_64 ] || echo "$2"
	done | awk '!seen[$0]++' | paste -s -d ' '
}

main() {
	require_tree
	case ${1:-} in
	--x86)
		allmod_build
		echo "ops-build: not built here (other architectures, see" \
			"ops-build.sh without --x86): $(other_arch_files)"
		;;
	"")
		full
		;;
	*)
		die "usage: ops-build.sh [--x86]"
		;;
	esac
}

main "$@"
