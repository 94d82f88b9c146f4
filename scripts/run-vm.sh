#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh NAME INITRAMFS [KERNEL-CMDLINE-EXTRAS...]
#
# Boot the test kernel under QEMU/TCG (never KVM: the host's /dev/kvm cannot
# run a normal kernel) with AMD SVM + NPT (-cpu max), so kvm_amd loads in the
# guest.  The serial console goes to build/console-NAME.log.  Environment:
# KERNEL (bzImage), MEM (default 4G), SMP (default 2), VM_TIMEOUT (overall,
# seconds), TEST_TIMEOUT (per test, seconds), INTERACTIVE=1 for a shell.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: run-vm.sh NAME INITRAMFS [CMDLINE...]}
initrd=${2:?usage: run-vm.sh NAME INITRAMFS [CMDLINE...]}
shift 2
KERNEL=${KERNEL:-$top/build/kbuild-test/arch/x86/boot/bzImage}
log=$top/build/console-$name.log
VM_TIMEOUT=${VM_TIMEOUT:-1800}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}

qemu=(qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp "${SMP:-2}"
      -m "${MEM:-4G}" -no-reboot -kernel "$KERNEL" -initrd "$initrd")
cmdline="console=ttyS0 panic=-1 wstest.timeout=$TEST_TIMEOUT $*"

if [ "${INTERACTIVE:-0}" = 1 ]; then
	exec "${qemu[@]}" -nographic -append "$cmdline wstest.mode=shell"
fi

echo "run-vm: booting ($name): $cmdline"
start=$(date +%s)
timeout -k 10 "$VM_TIMEOUT" "${qemu[@]}" -append "$cmdline" \
	-serial "file:$log" -monitor none -display none </dev/null >/dev/null 2>&1
rc=$?
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "run-vm: overall timeout: VM ($name) killed after ${VM_TIMEOUT}s" | tee -a "$log" >&2
fi
echo "run-vm: $name finished in $(( $(date +%s) - start ))s, console in $log"
exit 0
