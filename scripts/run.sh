#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh [demo|shell|bench]: from a fresh machine, install what is missing,
# build the patched kernel and the tests, boot the kernel under QEMU/TCG and
# run the series' demonstration (tests/demo.list), the benchmarks
# (tests/bench.list, and on arm64 through scripts/arm64.sh bench) or an
# interactive shell; print what the programs printed in the VM.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-demo}
B=$top/build
mkdir -p "$B"

"$top/scripts/deps.sh"
"$top/scripts/tree.sh"
"$top/scripts/build-kernel.sh" test
"$top/scripts/build-selftests.sh" > "$B/selftests-build.log" 2>&1 ||
	{ tail -30 "$B/selftests-build.log"; exit 1; }

if [ "$mode" = bench ]; then
	"$top/scripts/build-bench.sh"
fi
"$top/scripts/build-vmm.sh" > "$B/vmm-build.log" 2>&1 ||
	{ tail -30 "$B/vmm-build.log"; exit 1; }

case $mode in
demo)  list=$top/tests/demo.list; cmdline="kvm.force_emulation_prefix=1" ;;
bench) list=$top/tests/bench.list; cmdline="kvm.force_emulation_prefix=1 mm_local_kunit.bench=1" ;;
shell) list=$top/tests/kvm.list; cmdline="kvm.force_emulation_prefix=1" ;;
*) echo "run: unknown mode $mode" >&2; exit 1 ;;
esac
"$top/scripts/initramfs.sh" "$B/initramfs-$mode.cpio.gz" "$list"

if [ "$mode" = shell ]; then
	INTERACTIVE=1 exec "$top/scripts/run-vm.sh" shell "$B/initramfs-$mode.cpio.gz" "$cmdline"
fi
"$top/scripts/run-vm.sh" "$mode" "$B/initramfs-$mode.cpio.gz" "$cmdline"
log=$B/console-$mode.log
# What the programs printed, without the kernel's own messages.
awk '/^@@@ START /{ sub(/^@@@ START /, ""); print "\n### " $0; on = 1; next }
     /^@@@ END /{ on = 0; next }
     on && !/^\[ *[0-9]+\.[0-9]+\]/ { print }' "$log"
if [ "$mode" = bench ]; then
	echo
	echo "### KUnit benchmark (mm_local_kunit.bench=1)"
	sed -n 's/^\[ *[0-9.]*\] *# \(mm_local_bench[a-z_]*\): /\1: /p' "$log"
fi
logs=("$log")
# The exact event counts once more with 4 CPUs in the test VM, so that the
# COST lines show what a flush to every CPU costs at -smp 2 and -smp 4.
if [ "$mode" = bench ]; then
	grep '^bench/gmem_costs_bench' "$top/tests/bench.list" > "$B/bench-smp4.list"
	"$top/scripts/initramfs.sh" "$B/initramfs-bench-smp4.cpio.gz" "$B/bench-smp4.list"
	SMP=4 "$top/scripts/run-vm.sh" bench-smp4 "$B/initramfs-bench-smp4.cpio.gz" "$cmdline"
	awk '/^@@@ START /{ sub(/^@@@ START /, ""); print "\n### -smp 4: " $0; on = 1; next }
	     /^@@@ END /{ on = 0; next }
	     on && !/^\[ *[0-9]+\.[0-9]+\]/ { print }' "$B/console-bench-smp4.log"
	logs+=(--label smp4 "$B/console-bench-smp4.log")
fi
# The arm64 leg (scripts/arm64.sh bench), unless CHECK_ARM64=0.
if [ "$mode" = bench ] && [ "${CHECK_ARM64:-1}" != 0 ]; then
	"$top/scripts/arm64.sh" bench > "$B/arm64-bench.log" 2>&1 ||
		{ tail -30 "$B/arm64-bench.log"; exit 1; }
	alog=$B/console-bench-arm64.log
	awk '/^@@@ START /{ sub(/^@@@ START /, ""); print "\n### arm64: " $0; on = 1; next }
	     /^@@@ END /{ on = 0; next }
	     on && !/^\[ *[0-9]+\.[0-9]+\]/ { print }' "$alog"
	logs+=(--label arm64 "$alog")
fi
echo
"$top/scripts/parse-results.py" "${logs[@]}"
