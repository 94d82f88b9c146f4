#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stock.sh: the unpatched base for `make check-full`'s regression guard.
# build/linux-stock holds Linux 7.3.4 alone (tree.sh with an empty series),
# built with the same configuration fragments as the test kernel into
# build/kbuild-stock, and its KVM selftests into build/selftests-stock.  Every
# step is incremental, so after the first run this costs seconds.  Options of
# the fragments that only the series provides are listed, not fatal.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
empty=$(mktemp -d)
trap 'rmdir "$empty"' EXIT

TREE=$B/linux-stock PATCHES=$empty "$top/scripts/tree.sh"
TREE=$B/linux-stock OUTDIR=$B/kbuild-stock ALLOW_DROPPED=1 \
	"$top/scripts/build-kernel.sh" test
TREE=$B/linux-stock SELFTESTS_OUT=$B/selftests-stock \
	"$top/scripts/build-selftests.sh" > "$B/selftests-stock-build.log" 2>&1 ||
	{ tail -30 "$B/selftests-stock-build.log"; exit 1; }
echo "stock: $B/kbuild-stock/arch/x86/boot/bzImage, selftests in $B/selftests-stock"
