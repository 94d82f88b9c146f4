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
# VM_ARCH=arm64 boots the arm64 test kernel (KERNEL: its Image) on QEMU's
# "virt" machine with EL2 (virtualization=on, -cpu max), so KVM runs at
# emulated EL2; QEMU_AARCH64 names the QEMU binary (default: the one
# scripts/deps.sh put in build/qemu, else qemu-system-aarch64).
# QEMU_X86 names the x86 QEMU binary (default: qemu-system-x86_64 on PATH;
# scripts/fetch-qemu-trixie.sh provides QEMU 11.1.3).
# QEMU_CPU: the x86 -cpu model (default max; e.g. max,la57=off for 4-level
# paging in the VM and in its nested guests).
# QEMU_EXTRA: more QEMU arguments, e.g. "-gdb tcp:127.0.0.1:1234" to read
# the vCPUs' state of a VM that hangs (gdb: target remote :1234).
# QEMU's own messages and CPU resets go to build/qemu-NAME.log; a triple
# fault of the VM's kernel, or a QEMU failure, is also noted on the console
# log, so that a VM that stopped without a word says why.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
name=${1:?usage: run-vm.sh NAME INITRAMFS [CMDLINE...]}
initrd=${2:?usage: run-vm.sh NAME INITRAMFS [CMDLINE...]}
shift 2
log=$top/build/console-$name.log
VM_TIMEOUT=${VM_TIMEOUT:-1800}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}

case ${VM_ARCH:-x86} in
x86)
	KERNEL=${KERNEL:-$top/build/kbuild-test/arch/x86/boot/bzImage}
	qemu=("${QEMU_X86:-qemu-system-x86_64}" -machine q35 -accel tcg -cpu "${QEMU_CPU:-max}")
	console=ttyS0
	;;
arm64)
	KERNEL=${KERNEL:-$top/build/kbuild-arm64/arch/arm64/boot/Image}
	q=${QEMU_AARCH64:-}
	if [ -z "$q" ]; then
		q=$top/build/qemu/usr/bin/qemu-system-aarch64
		[ -x "$q" ] || q=qemu-system-aarch64
	fi
	qemu=("$q" -machine virt,virtualization=on,gic-version=3 -accel tcg
	      -cpu max -nic none)
	console=ttyAMA0
	;;
*) echo "run-vm: unknown VM_ARCH '$VM_ARCH' (x86, arm64)" >&2; exit 1 ;;
esac
qemu+=(-smp "${SMP:-2}" -m "${MEM:-4G}" -no-reboot -kernel "$KERNEL"
       -initrd "$initrd")
# Word-split on purpose: several arguments.
# shellcheck disable=SC2206
[ -z "${QEMU_EXTRA:-}" ] || qemu+=($QEMU_EXTRA)
cmdline="console=$console panic=-1 wstest.timeout=$TEST_TIMEOUT $*"

if [ "${INTERACTIVE:-0}" = 1 ]; then
	exec "${qemu[@]}" -nographic -append "$cmdline wstest.mode=shell"
fi

echo "run-vm: booting ($name): $cmdline"
start=$(date +%s)
# QEMU's own messages, and a line with the state of each CPU it resets
# (-d cpu_reset): a test VM that stops without a word on its console was
# reset by a triple fault of its kernel (-no-reboot turns the reset into
# an exit) if the last reset's state is in there, or QEMU itself failed.
qlog=$top/build/qemu-$name.log
timeout -k 10 "$VM_TIMEOUT" "${qemu[@]}" -append "$cmdline" \
	-serial "file:$log" -monitor none -display none -d cpu_reset -D "$qlog" \
	</dev/null >/dev/null 2>>"$qlog"
rc=$?
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "run-vm: overall timeout: VM ($name) killed after ${VM_TIMEOUT}s" | tee -a "$log" >&2
elif [ $rc != 0 ]; then
	echo "run-vm: QEMU exited with status $rc ($qlog)" | tee -a "$log" >&2
fi
if grep -q '^Triple fault' "$qlog" 2>/dev/null; then
	echo "run-vm: the VM's kernel triple faulted: QEMU reset it, and -no-reboot stopped it ($qlog)" |
		tee -a "$log" >&2
fi
echo "run-vm: $name finished in $(( $(date +%s) - start ))s, console in $log"
exit 0
