#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deps: install the Debian packages the harness needs.  A no-op when
# everything is installed.  With --ops, the cross compilers of
# ops-build.sh (make ops-build) too.
set -euo pipefail

PACKAGES="linux-source-6.12 build-essential flex bison bc libelf-dev
libssl-dev sparse coccinelle qemu-system-x86 python3 ccache rsync cpio
xz-utils git perl python3-ply python3-git gcc-aarch64-linux-gnu
qemu-system-arm rdma-core ibverbs-utils ibverbs-providers perftest
rdmacm-utils iproute2 busybox-static libibverbs-dev gnuplot-nox
gcc-i686-linux-gnu gcc-arm-linux-gnueabihf gcc-s390x-linux-gnu
qemu-system-misc"
# The cross compilers of ops-build.sh, installed with --ops only.
OPS_PACKAGES="gcc-alpha-linux-gnu
gcc-mips64el-linux-gnuabi64 gcc-powerpc64-linux-gnu gcc-sparc64-linux-gnu
gcc-hppa-linux-gnu"

case ${1:-} in
--ops) PACKAGES="$PACKAGES $OPS_PACKAGES" ;;
"") ;;
*)
	echo "usage: deps.sh [--ops]" >&2
	exit 1
	;;
esac

missing=()
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "==> deps: all installed"
	exit 0
fi

echo "==> deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || {
		echo "error: not root and no sudo: install ${missing[*]} by hand" >&2
		exit 1
	}
	SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -q || ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	echo "error: could not install ${missing[*]}: apt-get failed (see above; is Debian's package mirror reachable?)" >&2
	exit 1
fi
