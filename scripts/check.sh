#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh [full|debug]: workspace self-tests, tree, kernel, selftests, then
# the test VM (once with pti=on, once with pti=off) running tests/kvm.list
# (or every x86 KVM selftest for "full") plus the built-in KUnit suites, the
# arm64 leg (scripts/arm64.sh; quick mode, unless CHECK_ARM64=0), then
# checkpatch.  "full" also runs the sweep on unpatched 7.3.4 (scripts/stock.sh)
# and reports as regressions only the tests that fail with the series and
# pass on stock, each confirmed by a rerun on both kernels.  "debug" runs tests/kvm.list once, pti=on, on the debug kernel
# (KASAN, lockdep, DEBUG_VM, kmemleak, ...), with longer timeouts, and the
# soak (tests/soak.list) in a VM of its own with 4-level paging; the soak
# excludes one VMM per run whose guest ran at a host kernel address (the
# emulator's known fault) and fails on everything else, see below.  Prints one line per result and finally
# "N passed, N failed, N skipped"; exits non-zero when anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-quick}
B=$top/build
mkdir -p "$B"
# Per mode, so that e.g. check-debug and check-full can run side by side.
sfx=
[ "$mode" = quick ] || sfx=-$mode
extra=$B/check-extra$sfx.txt
: > "$extra"
[ "$mode" = full ] && rm -f "$B/results-series.txt"
t0=$(date +%s)

step() { echo "== $* ($(( $(date +%s) - t0 ))s)"; }
fatal() {
	echo "not ok $1 # $2" >> "$extra"
	# check-full failing after the series' sweep: show that sweep too.
	if [ "$mode" = full ] && [ -s "$B/results-series.txt" ]; then
		sed '$d' "$B/results-series.txt"
		echo "# the series' results above; the comparison with stock 7.3.4 did not finish"
	fi
	"$top/scripts/parse-results.py" --extra "$extra"
	exit 1
}

"$top/scripts/deps.sh" || fatal deps "missing host packages"
step "workspace self-tests"
if "$top/tests/workspace/run.sh" > "$B/workspace-tests.log" 2>&1; then
	sed -n 's/^\(ok\|not ok\|skip\) /&/p' "$B/workspace-tests.log" >> "$extra"
else
	sed -n 's/^\(ok\|not ok\|skip\) /&/p' "$B/workspace-tests.log" >> "$extra"
	grep -q '^not ok' "$extra" || echo "not ok workspace self-tests # see $B/workspace-tests.log" >> "$extra"
fi

step "tree"
"$top/scripts/tree.sh" || fatal tree "make tree failed"
variant=test
ptis=${CHECK_PTIS:-on off}
if [ "$mode" = full ]; then
	# Every selftest, some of which run for minutes under TCG (one run of
	# 112 tests on 2 host CPUs took over 30 minutes before it was cut
	# short): a longer overall limit and a per-test limit that cuts the
	# slowest ones (they then fail on stock too).
	export VM_TIMEOUT=${VM_TIMEOUT:-10800} TEST_TIMEOUT=${TEST_TIMEOUT:-300}
fi
if [ "$mode" = debug ]; then
	variant=debug
	ptis=on
	export KERNEL=$B/kbuild-debug/arch/x86/boot/bzImage
	export VM_TIMEOUT=${VM_TIMEOUT:-5400} TEST_TIMEOUT=${TEST_TIMEOUT:-1800}
fi
step "kernel ($variant)"
"$top/scripts/build-kernel.sh" "$variant" || fatal kernel "kernel build failed"
step "selftests"
"$top/scripts/build-selftests.sh" > "$B/selftests-build.log" 2>&1 ||
	{ tail -30 "$B/selftests-build.log"; fatal selftests "selftests build failed"; }
step "vmm"
KERNEL=${KERNEL:-$B/kbuild-test/arch/x86/boot/bzImage} "$top/scripts/build-vmm.sh" \
	> "$B/vmm-build.log" 2>&1 ||
	{ tail -30 "$B/vmm-build.log"; fatal vmm "vmm build failed"; }

step "bench, soak"
"$top/scripts/build-bench.sh" > "$B/bench-build.log" 2>&1 ||
	{ tail -30 "$B/bench-build.log"; fatal bench "bench/soak build failed"; }

lists=("$top/tests/kvm.list")
if [ "$mode" = debug ]; then
	# The debug kernel boots the guest of vmm/boot_guest several times
	# slower: give it more than its default 240 s, and its console output,
	# which timestamps the 2 s sleep, lags with the host's load (measured
	# 2.36-2.82 s): +-50%.  make check holds the guest clock to +-10%.
	# (also when a check wraps it: CHECK -- vmm/boot_guest ...)
	sed -E 's#(^|-- )vmm/boot_guest #\1vmm/boot_guest --timeout 900 --sleep-tolerance 50 #' "$top/tests/kvm.list" > "$B/kvm-debug.list"
	lists=("$B/kvm-debug.list")
fi
if [ "$mode" = full ]; then
	(cd "$B/selftests" && find . -maxdepth 2 -type f -perm -u+x ! -name '*.sh' ! -name '*.o' |
		sed 's|^\./||' | LC_ALL=C sort) > "$B/kvm-full.list"
	lists=("$B/kvm-full.list")
fi
"$top/scripts/initramfs.sh" "$B/initramfs-check$sfx.cpio.gz" "${lists[@]}" ||
	fatal initramfs "initramfs build failed"

logs=()
for pti in $ptis; do
	step "VM pti=$pti"
	"$top/scripts/run-vm.sh" "check$sfx-pti$pti" "$B/initramfs-check$sfx.cpio.gz" \
		"pti=$pti kvm.force_emulation_prefix=1"
	logs+=(--label "pti=$pti" "$B/console-check$sfx-pti$pti.log")
done
# The KUnit suites once more with 4-level paging (the runs above use 5-level),
# and the tests whose limits depend on it (tests/4level.list), booted by EFI
# firmware (OVMF, Debian's ovmf package) rather than SeaBIOS: the kernel then
# has an efi_mm, which the direct map audit walks too (its KUnit case and
# `checks/direct_map_audit -t efi` need it).  KVM's window of private pages
# is the smallest (kvm.gmem_kmap_pages=16) there, so that the tests of
# tests/4level.list run it full: the nested NPT test with more vCPUs than
# it holds, the window test with four times its size.
ovmf=${OVMF:-/usr/share/ovmf/OVMF.fd}
[ -f "$ovmf" ] || fatal ovmf "no EFI firmware at $ovmf (Debian: ovmf; OVMF= names another)"
grep -v '^[[:space:]]*\(#\|$\)' "$top/tests/4level.list" > "$B/kunit-only$sfx.list"
"$top/scripts/initramfs.sh" "$B/initramfs-kunit$sfx.cpio.gz" "$B/kunit-only$sfx.list" ||
	fatal initramfs "initramfs build failed"
for pti in $ptis; do
	step "VM pti=$pti no5lvl, EFI firmware, window of 16 (KUnit, tests/4level.list)"
	QEMU_EXTRA="-bios $ovmf" "$top/scripts/run-vm.sh" "check$sfx-pti$pti-4level" \
		"$B/initramfs-kunit$sfx.cpio.gz" \
		"pti=$pti no5lvl kvm.force_emulation_prefix=1 kvm.gmem_kmap_pages=16"
	logs+=(--label "pti=$pti,4-level" "$B/console-check$sfx-pti$pti-4level.log")
done

# Two NUMA nodes, each with 2 GiB and one CPU in a socket of its own, for the
# tests that need more than one memory node (tests/numa.list); KUnit ran above.
"$top/scripts/initramfs.sh" "$B/initramfs-numa$sfx.cpio.gz" "$top/tests/numa.list" ||
	fatal initramfs "initramfs build failed"
step "VM pti=on, two NUMA nodes (tests/numa.list)"
SMP=2,sockets=2,cores=1,threads=1 MEM=4G QEMU_EXTRA="-object memory-backend-ram,id=m0,size=2G
	-object memory-backend-ram,id=m1,size=2G
	-numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1" \
	"$top/scripts/run-vm.sh" "check$sfx-numa" "$B/initramfs-numa$sfx.cpio.gz" \
	"pti=on kunit.enable=0 kvm.force_emulation_prefix=1"
logs+=(--label "pti=on,numa" "$B/console-check$sfx-numa.log")

# check-debug's soak, in a VM of its own with 4-level paging (-cpu
# max,la57=off), chosen when only 5-level runs had shown nested guests of
# the soak triple faulting; they do with 4-level paging too, on stock
# 7.3.4 as well (notes/soak-corruption.md).
# Excluded from the result: one VMM per run with a signature of QEMU/TCG's
# own fault, both seen on stock 7.3.4: its guest seen at a host kernel
# address (the #VMEXIT storing the host's state as the guest's), or its
# guest shut down on a #PF for an instruction fetch from a page that the
# guest's tables (which it never writes) and KVM's nested page tables both
# map at the frames the VMM reads: the soak kills it, prints "soak:
# emulator fault excluded: ...", which parse-results.py repeats on the
# soak's result line, and still checks its memory at the end.  The soak's
# self-test (-T) runs first: a guest that triple faults on purpose must
# fail it.  Still failures: a second such VMM, a
# triple fault or a hang without a signature, a guest reading a wrong
# value, pages out of the direct map or SecPageTables not back, and any
# splat or kmemleak report on the console.  The backtraces of the sysrq
# dumps the soak asks for are not splats: it brackets them with "soak:
# diagnostic dump begin/end PID-N" lines in the kernel's log, and between
# them parse-results.py passes only the Call Trace of each "NMI backtrace
# for cpu N" or "task:... state:" block; a begin line without its end line
# fails the run.
# The soak runs under QEMU 11.1.3 from trixie-backports
# (scripts/fetch-qemu-trixie.sh): in 10 soak-compare runs each it showed the
# emulator's signature in none, Debian 12's QEMU 7.2 in 2 (each QEMU failed
# 1 of 10 by a guest shutdown, which has a signature of its own since;
# notes/soak-corruption.md).
# SOAK_QEMU=system keeps the QEMU on PATH.
if [ "$mode" = debug ]; then
	"$top/scripts/initramfs.sh" "$B/initramfs-soak$sfx.cpio.gz" "$top/tests/soak.list" ||
		fatal initramfs "initramfs build failed"
	soak_qemu=${QEMU_X86:-}
	if [ "${SOAK_QEMU:-trixie}" != system ]; then
		soak_qemu=$("$top/scripts/fetch-qemu-trixie.sh") ||
			fatal qemu "QEMU 11.1.3 from trixie-backports could not be fetched (SOAK_QEMU=system uses the installed QEMU)"
	fi
	step "VM pti=on, 4-level paging (la57=off): the soak ($("${soak_qemu:-qemu-system-x86_64}" --version | head -n 1))"
	QEMU_X86=$soak_qemu QEMU_CPU=max,la57=off "$top/scripts/run-vm.sh" "check$sfx-soak" \
		"$B/initramfs-soak$sfx.cpio.gz" "pti=on kvm.force_emulation_prefix=1"
	logs+=(--label "pti=on,soak,la57=off" "$B/console-check$sfx-soak.log")
fi

# The arm64 leg (scripts/arm64.sh): make check only; CHECK_ARM64=0 leaves it
# out.  A missing cross toolchain or fetch fails the check (make deps).
if [ "$mode" = quick ] && [ "${CHECK_ARM64:-1}" != 0 ]; then
	step "arm64 (kernel, selftests, VMs)"
	if "$top/scripts/arm64.sh" check > "$B/arm64-check.log" 2>&1; then
		logs+=(--label arm64 "$B/console-check-arm64.log"
		       --label "arm64,rodata=off" "$B/console-check-arm64-refused.log"
		       --label "arm64,QEMU 7.2: no DIC" "$B/console-check-arm64-nodic.log")
	else
		tail -30 "$B/arm64-check.log"
		echo "not ok arm64 # build or boot failed, see $B/arm64-check.log" >> "$extra"
	fi
fi

step "checkpatch"
if "$top/scripts/checkpatch.sh" > "$B/checkpatch.log" 2>&1; then
	echo "ok checkpatch # $(tail -n 1 "$B/checkpatch.log")" >> "$extra"
else
	cat "$B/checkpatch.log"
	echo "not ok checkpatch # $(tail -n 1 "$B/checkpatch.log")" >> "$extra"
fi
step "results"
if [ "$mode" != full ]; then
	"$top/scripts/parse-results.py" --extra "$extra" "${logs[@]}" | tee "$B/results$sfx.txt"
	rc=${PIPESTATUS[0]}
	echo "check: $(( $(date +%s) - t0 ))s" >&2
	exit "$rc"
fi
"$top/scripts/parse-results.py" --extra "$extra" "${logs[@]}" > "$B/results-series.txt"

# check-full: the same sweep on unpatched 7.3.4 (same configuration, its own
# selftests), then every test that failed with the series but not on stock
# once more on both kernels; only a test that fails with the series twice
# while stock passes it twice is a regression (timing-sensitive tests such
# as x86/kvm_clock_test fail on both kernels when the host is busy).
step "stock 7.3.4 (kernel, selftests)"
"$top/scripts/stock.sh" || fatal stock "stock 7.3.4 build failed"
SK=$B/kbuild-stock/arch/x86/boot/bzImage
(cd "$B/selftests-stock" && find . -maxdepth 2 -type f -perm -u+x ! -name '*.sh' ! -name '*.o' |
	sed 's|^\./||' | LC_ALL=C sort) > "$B/kvm-full-stock.list"
SELFTESTS_OUT=$B/selftests-stock "$top/scripts/initramfs.sh" \
	"$B/initramfs-stock.cpio.gz" "$B/kvm-full-stock.list" || fatal initramfs "initramfs build failed"
slogs=()
for pti in $ptis; do
	step "VM stock 7.3.4 pti=$pti"
	KERNEL=$SK "$top/scripts/run-vm.sh" "stock-pti$pti" "$B/initramfs-stock.cpio.gz" \
		"pti=$pti kvm.force_emulation_prefix=1"
	slogs+=(--label "pti=$pti" "$B/console-stock-pti$pti.log")
done
"$top/scripts/parse-results.py" "${slogs[@]}" > "$B/results-stock.txt"

"$top/scripts/compare-stock.py" candidates "$B/results-series.txt" "$B/results-stock.txt" \
	> "$B/rerun.tsv"
rlogs=() rslogs=()
for pti in $ptis; do
	awk -F '\t' -v l="pti=$pti" '$1 == l { print $2 }' "$B/rerun.tsv" > "$B/rerun-pti$pti.list"
	[ -s "$B/rerun-pti$pti.list" ] || continue
	step "rerun pti=$pti: $(wc -l < "$B/rerun-pti$pti.list") test(s) that failed only with the series"
	"$top/scripts/initramfs.sh" "$B/initramfs-rerun.cpio.gz" "$B/rerun-pti$pti.list" ||
		fatal initramfs "initramfs build failed"
	"$top/scripts/run-vm.sh" "rerun-pti$pti" "$B/initramfs-rerun.cpio.gz" \
		"pti=$pti kvm.force_emulation_prefix=1"
	rlogs+=(--label "pti=$pti" "$B/console-rerun-pti$pti.log")
	SELFTESTS_OUT=$B/selftests-stock "$top/scripts/initramfs.sh" \
		"$B/initramfs-rerun-stock.cpio.gz" "$B/rerun-pti$pti.list" ||
		fatal initramfs "initramfs build failed"
	KERNEL=$SK "$top/scripts/run-vm.sh" "rerun-stock-pti$pti" "$B/initramfs-rerun-stock.cpio.gz" \
		"pti=$pti kvm.force_emulation_prefix=1"
	rslogs+=(--label "pti=$pti" "$B/console-rerun-stock-pti$pti.log")
done
: > "$B/results-rerun.txt"
: > "$B/results-rerun-stock.txt"
if [ ${#rlogs[@]} -gt 0 ]; then
	"$top/scripts/parse-results.py" "${rlogs[@]}" > "$B/results-rerun.txt"
	"$top/scripts/parse-results.py" "${rslogs[@]}" > "$B/results-rerun-stock.txt"
fi
# Plain guest_memfd costs the same with and without the series: the event
# counts of bench/gmem_costs_bench -t -p (plain guest_memfd only) on both
# kernels, compared counter by counter (scripts/compare-costs.py).
printf 'bench/gmem_costs_bench -t -p -m 256\n' > "$B/costs-plain.list"
"$top/scripts/initramfs.sh" "$B/initramfs-costs-plain.cpio.gz" "$B/costs-plain.list" ||
	fatal initramfs "initramfs build failed"
step "plain guest_memfd costs: series and stock 7.3.4"
"$top/scripts/run-vm.sh" costs-plain-series "$B/initramfs-costs-plain.cpio.gz" \
	"kvm.force_emulation_prefix=1"
KERNEL=$SK "$top/scripts/run-vm.sh" costs-plain-stock "$B/initramfs-costs-plain.cpio.gz" \
	"kvm.force_emulation_prefix=1"
costs_rc=0
"$top/scripts/compare-costs.py" "$B/console-costs-plain-series.log" \
	"$B/console-costs-plain-stock.log" > "$B/costs-plain.txt" || costs_rc=1
# And with the series' option off (configs/off.config), as a distribution
# that builds the series without enabling it would.
step "plain guest_memfd costs: the series with CONFIG_KVM_GUEST_MEMFD_NO_DIRECT_MAP off"
OUTDIR=$B/kbuild-off "$top/scripts/build-kernel.sh" off > "$B/kernel-off-build.log" 2>&1 ||
	{ tail -30 "$B/kernel-off-build.log"; fatal kernel "kernel build (option off) failed"; }
KERNEL=$B/kbuild-off/arch/x86/boot/bzImage "$top/scripts/run-vm.sh" costs-plain-off \
	"$B/initramfs-costs-plain.cpio.gz" "kvm.force_emulation_prefix=1"
"$top/scripts/compare-costs.py" "$B/console-costs-plain-off.log" \
	"$B/console-costs-plain-stock.log" > "$B/costs-plain-off.txt" || costs_rc=1

step "results against stock 7.3.4"
"$top/scripts/compare-stock.py" final "$B/results-series.txt" "$B/results-stock.txt" \
	"$B/results-rerun.txt" "$B/results-rerun-stock.txt" | tee "$B/results$sfx.txt"
rc=${PIPESTATUS[0]}
echo "$(tail -n 1 "$B/costs-plain.txt") (plain guest_memfd, $B/costs-plain.txt)"
echo "$(tail -n 1 "$B/costs-plain-off.txt") (plain guest_memfd, option off, $B/costs-plain-off.txt)"
[ "$costs_rc" = 0 ] || { echo "not ok plain guest_memfd costs differ from stock 7.3.4"; rc=1; }
echo "check-full: $(( $(date +%s) - t0 ))s" >&2
exit "$rc"
