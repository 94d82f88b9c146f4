#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# soak-compare.sh [ROUNDS]: the soak of `make check-debug` (tests/soak.list,
# its debug kernel and initramfs, 4-level paging as check-debug boots it)
# ROUNDS times under Debian 12's QEMU 7.2 and under QEMU 11.1.3
# (scripts/fetch-qemu-trixie.sh), alternating, one soak per boot.  For each
# boot it records the soak's verdict, the VMMs excluded as the emulated
# CPU's fault, each signature's count (host-rip: a guest at a host kernel
# address; fetch-pf: a shutdown on an impossible fetch fault), the guest
# shutdowns other than the self-test's, the failures, and the console's
# splats, as scripts/parse-results.py reads them; the table goes to build/soak-compare.txt.  Run `make check-debug`
# first (it builds the kernel and the initramfs).  QEMUS="11.1" runs only
# QEMU 11.1.3 (QEMUS="7.2" only 7.2), e.g. for a streak of runs as
# `make check-debug` does them; OUT names another table.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
rounds=${1:-10}
kernel=$B/kbuild-debug/arch/x86/boot/bzImage
initrd=$B/initramfs-soak-debug.cpio.gz
out=${OUT:-$B/soak-compare.txt}
[ -f "$kernel" ] && [ -f "$initrd" ] ||
	{ echo "soak-compare: run make check-debug first ($kernel, $initrd)" >&2; exit 1; }
q11=$("$top/scripts/fetch-qemu-trixie.sh") || exit 1
q72=$(command -v qemu-system-x86_64) || { echo "soak-compare: no qemu-system-x86_64" >&2; exit 1; }

printf '%-6s %-8s %-8s %-9s %-9s %-9s %-9s %s\n' round qemu result excluded host-rip fetch-pf shutdowns detail > "$out"
for r in $(seq 1 "$rounds"); do
	qs=()
	case " ${QEMUS:-7.2 11.1} " in *" 7.2 "*) qs+=("$q72") ;; esac
	case " ${QEMUS:-7.2 11.1} " in *" 11.1 "*) qs+=("$q11") ;; esac
	[ ${#qs[@]} -gt 0 ] || { echo "soak-compare: QEMUS names neither 7.2 nor 11.1" >&2; exit 1; }
	for q in "${qs[@]}"; do
		v=$("$q" --version | head -n 1 | awk '{ print $4 }')
		name=soak-compare-$r-$v
		KERNEL=$kernel QEMU_X86=$q QEMU_CPU=max,la57=off VM_TIMEOUT=${VM_TIMEOUT:-1800} \
			TEST_TIMEOUT=${TEST_TIMEOUT:-1200} "$top/scripts/run-vm.sh" "$name" \
			"$initrd" "pti=on kvm.force_emulation_prefix=1" > /dev/null
		log=$B/console-$name.log
		res=$("$top/scripts/parse-results.py" --label "" "$log")
		verdict=$(echo "$res" | tail -n 1)
		excl=$(grep -c '^soak: emulator fault excluded:' "$log")
		sig=$(grep -c 'its guest ran at a host kernel address' "$log")
		fpf=$(grep -c "the emulated CPU's impossible fetch fault" "$log")
		# Less the one the self-test (-T) causes on purpose.
		shut=$(( $(grep -c 'exit SHUTDOWN' "$log") - $(grep -c 'triple faulted on purpose' "$log") ))
		detail=$(echo "$res" | grep '^not ok' | head -n 2 | cut -c1-120 | tr '\n' '|')
		printf '%-6s %-8s %-8s %-9s %-9s %-9s %-9s %s\n' "$r" "$v" \
			"$(echo "$verdict" | grep -q ' 0 failed' && echo pass || echo FAIL)" \
			"$excl" "$sig" "$fpf" "$shut" "$verdict${detail:+ $detail}" | tee -a "$out"
	done
done
