#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# arm64.sh check|bench: the arm64 leg.  Cross-builds the arm64 test kernel
# (configs/arm64.config), the KVM selftests and the benchmarks that run on
# arm64, and boots the kernel in QEMU's "virt" machine with EL2, so that KVM
# runs at emulated EL2 (scripts/run-vm.sh, VM_ARCH=arm64).
#
#  check: tests/arm64.list (kvm-arm.mode=nested kpti=1), then tests/arm64-refused.list
#         twice, where KVM must refuse the flag: with rodata=off (no
#         page-granular linear map), and on Debian's QEMU 7.2, whose -cpu max
#         has FEAT_S2FWB but not CTR_EL0.DIC; the console logs are
#         build/console-check-arm64{,-refused,-nodic}.log.
#  bench: bench/gmem_no_direct_map_bench, console in build/console-bench-arm64.log.
#
# Needs gcc-aarch64-linux-gnu, Debian's qemu-system-arm (7.2) and what
# scripts/fetch-arm64.sh fetches.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:?usage: arm64.sh check|bench}
B=$top/build
export SELFTESTS_ARCH=arm64 VM_ARCH=arm64

"$top/scripts/fetch-arm64.sh"
"$top/scripts/build-kernel.sh" arm64
"$top/scripts/build-selftests.sh" > "$B/selftests-arm64-build.log" 2>&1 ||
	{ tail -30 "$B/selftests-arm64-build.log"; exit 1; }
"$top/scripts/build-bench.sh" bench checks > "$B/bench-arm64-build.log" 2>&1 ||
	{ tail -30 "$B/bench-arm64-build.log"; exit 1; }

initramfs() {
	BUSYBOX=$B/arm64/busybox SELFTESTS_OUT=$B/selftests-arm64 \
		EXTRA_OUT=$B/extra-arm64 "$top/scripts/initramfs.sh" "$@"
}

case $mode in
check)
	initramfs "$B/initramfs-arm64.cpio.gz" "$top/tests/arm64.list"
	"$top/scripts/run-vm.sh" check-arm64 "$B/initramfs-arm64.cpio.gz" "kvm-arm.mode=nested kpti=1"
	initramfs "$B/initramfs-arm64-refused.cpio.gz" "$top/tests/arm64-refused.list"
	"$top/scripts/run-vm.sh" check-arm64-refused "$B/initramfs-arm64-refused.cpio.gz" "rodata=off"
	QEMU_AARCH64=$(command -v qemu-system-aarch64) \
		"$top/scripts/run-vm.sh" check-arm64-nodic "$B/initramfs-arm64-refused.cpio.gz" ""
	;;
bench)
	echo "bench/gmem_no_direct_map_bench -m 64 -r 5" > "$B/bench-arm64.list"
	initramfs "$B/initramfs-bench-arm64.cpio.gz" "$B/bench-arm64.list"
	"$top/scripts/run-vm.sh" bench-arm64 "$B/initramfs-bench-arm64.cpio.gz" ""
	;;
*) echo "arm64: unknown mode '$mode' (check, bench)" >&2; exit 1 ;;
esac
