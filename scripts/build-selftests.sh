#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-selftests.sh [make targets...]: the KVM selftests of build/linux,
# and mm's memfd_secret test, linked statically (the initramfs carries no
# libc), into build/selftests;
# with SELFTESTS_ARCH=arm64, cross-built (aarch64-linux-gnu-) into
# build/selftests-arm64.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
ARCH=${SELFTESTS_ARCH:-x86}
JOBS=${JOBS:-$(nproc)}

case $ARCH in
x86)
	OUT=${SELFTESTS_OUT:-$top/build/selftests}
	cross=
	;;
arm64)
	OUT=${SELFTESTS_OUT:-$top/build/selftests-arm64}
	cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
	command -v "${cross}gcc" >/dev/null || {
		echo "build-selftests: no ${cross}gcc (Debian: gcc-aarch64-linux-gnu; make deps)" >&2
		exit 1
	}
	;;
*) echo "build-selftests: unknown SELFTESTS_ARCH '$ARCH' (x86, arm64)" >&2; exit 1 ;;
esac
HDR=$OUT-headers

cc=${cross}gcc
command -v ccache >/dev/null && cc="ccache $cc"

mkdir -p "$HDR" "$OUT"
start=$(date +%s)
make -C "$TREE" -s O="$HDR" ARCH="$ARCH" headers >/dev/null
make -C "$TREE/tools/testing/selftests/kvm" -s -j"$JOBS" ARCH="$ARCH" \
	CROSS_COMPILE="$cross" \
	CC="$cc" OUTPUT="$OUT" KHDR_INCLUDES="-isystem $HDR/usr/include" \
	LDFLAGS="-static -pthread -no-pie" "$@"
# The mm selftest of memfd_secret() (it needs libcap), for series 2 of the
# stack, whose secretmem conversion it tests.
if [ "$ARCH" = x86 ] && [ $# -eq 0 ]; then
	mkdir -p "$OUT/mm"
	$cc -O2 -Wall -static -no-pie -I "$TREE/tools/testing/selftests" \
		-isystem "$HDR/usr/include" -o "$OUT/mm/memfd_secret" \
		"$TREE/tools/testing/selftests/mm/memfd_secret.c" -lcap
fi
echo "build-selftests: $OUT ($(( $(date +%s) - start ))s)"
