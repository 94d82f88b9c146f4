#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-selftests.sh: the KVM selftests of build/linux, linked statically
# (the initramfs carries no libc), into build/selftests.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
OUT=${SELFTESTS_OUT:-$top/build/selftests}
HDR=$OUT-headers
JOBS=${JOBS:-$(nproc)}

cc=gcc
command -v ccache >/dev/null && cc="ccache gcc"

mkdir -p "$HDR" "$OUT"
start=$(date +%s)
make -C "$TREE" -s O="$HDR" ARCH=x86 headers >/dev/null
make -C "$TREE/tools/testing/selftests/kvm" -s -j"$JOBS" ARCH=x86 \
	CC="$cc" OUTPUT="$OUT" KHDR_INCLUDES="-isystem $HDR/usr/include" \
	LDFLAGS="-static -pthread -no-pie" "$@"
echo "build-selftests: $OUT ($(( $(date +%s) - start ))s)"
