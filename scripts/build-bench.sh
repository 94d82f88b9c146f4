#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-bench.sh [DIR...]: the workspace's programs built on the KVM selftest
# library, the benchmarks (bench/*.c), the soak (soak/*.c) and the checks
# that follow the tests (checks/*.c) by default,
# compiled like KVM selftests and linked statically against the selftest
# library objects that build-selftests.sh produced, into build/extra/DIR/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
ST=$top/build/selftests
K=$TREE/tools/testing/selftests/kvm
dirs=("$@")
[ ${#dirs[@]} -gt 0 ] || dirs=(bench soak checks)

[ -d "$ST/lib" ] || { echo "build-bench: run build-selftests.sh first" >&2; exit 1; }
cflags=(-D_GNU_SOURCE= -Wall -Wstrict-prototypes -Wuninitialized -O2 -g -std=gnu99
	-DCONFIG_64BIT -U_FORTIFY_SOURCE -fno-builtin-memcmp -fno-builtin-memcpy
	-fno-builtin-memset -fno-builtin-strnlen -fno-stack-protector -fno-PIE
	-fno-strict-aliasing -march=x86-64-v2
	-I"$TREE/tools/testing/selftests" -I"$TREE/tools/include"
	-I"$TREE/tools/arch/x86/include" -I"$K/include" -I"$K/include/x86" -I"$K"
	-I"$top/bench" -isystem "$top/build/selftests-headers/usr/include")
mapfile -t objs < <(find "$ST/lib" -name '*.o' | LC_ALL=C sort)
for dir in "${dirs[@]}"; do
	OUT=$top/build/extra/$dir
	mkdir -p "$OUT"
	for src in "$top/$dir"/*.c; do
		[ -e "$src" ] || continue
		bin=$OUT/$(basename "$src" .c)
		gcc "${cflags[@]}" -static -pthread -no-pie "$src" "${objs[@]}" -ldl -o "$bin"
	done
	echo "build-bench: $(ls "$OUT" | wc -l) program(s) in $OUT"
done
