#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-bench.sh [DIR...]: the workspace's programs built on the KVM selftest
# library, the benchmarks (bench/*.c), the soak (soak/*.c) and the checks
# that follow the tests (checks/*.c) by default,
# compiled like KVM selftests and linked statically against the selftest
# library objects that build-selftests.sh produced, into build/extra/DIR/.
# SELFTESTS_ARCH=arm64: cross-built against build/selftests-arm64, into
# build/extra-arm64/DIR/ (programs that need x86 are left out there).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
K=$TREE/tools/testing/selftests/kvm
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(bench soak checks)

case ${SELFTESTS_ARCH:-x86} in
x86)
	ST=$top/build/selftests
	EXTRA=$top/build/extra
	cc=gcc
	archflags=(-march=x86-64-v2 -I"$TREE/tools/arch/x86/include"
		   -I"$K/include/x86")
	;;
arm64)
	ST=$top/build/selftests-arm64
	EXTRA=$top/build/extra-arm64
	cc=${CROSS_COMPILE:-aarch64-linux-gnu-}gcc
	archflags=(-I"$TREE/tools/arch/arm64/include" -I"$K/include/arm64"
		   -I"$TREE/tools/arch/arm64/include/generated")
	;;
*) echo "build-bench: unknown SELFTESTS_ARCH (x86, arm64)" >&2; exit 1 ;;
esac

[ -d "$ST/lib" ] || { echo "build-bench: run build-selftests.sh first" >&2; exit 1; }
cflags=(-D_GNU_SOURCE= -Wall -Wstrict-prototypes -Wuninitialized -O2 -g -std=gnu99
	-DCONFIG_64BIT -U_FORTIFY_SOURCE -fno-builtin-memcmp -fno-builtin-memcpy
	-fno-builtin-memset -fno-builtin-strnlen -fno-stack-protector -fno-PIE
	-fno-strict-aliasing "${archflags[@]}"
	-I"$TREE/tools/testing/selftests" -I"$TREE/tools/include"
	-I"$K/include" -I"$K"
	-I"$top/bench" -isystem "$ST-headers/usr/include")
mapfile -t objs < <(find "$ST/lib" -name '*.o' | LC_ALL=C sort)
for dir in "${dirs[@]}"; do
	OUT=$EXTRA/$dir
	mkdir -p "$OUT"
	for src in "$top/$dir"/*.c; do
		[ -e "$src" ] || continue
		# Only programs that say so run on arm64 (first lines).
		if [ "${SELFTESTS_ARCH:-x86}" = arm64 ] &&
		   ! head -n 12 "$src" | grep -q 'Architectures:.*arm64'; then
			continue
		fi
		bin=$OUT/$(basename "$src" .c)
		$cc "${cflags[@]}" -static -pthread -no-pie "$src" "${objs[@]}" -ldl -o "$bin"
	done
	echo "build-bench: $(ls "$OUT" | wc -l) program(s) in $OUT"
done
