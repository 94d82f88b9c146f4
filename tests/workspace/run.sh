#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The workspace's own tests: fast, no kernel build.  One "ok"/"not ok" line
# per test; exit 1 when any failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
S=$top/scripts
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

ok() { echo "ok workspace: $1"; }
nok() { echo "not ok workspace: $1 # $2"; failed=1; }

# A tiny stand-in for the kernel tree: tree.sh only copies KERNEL_SRC.
fake=$tmp/src
mkdir -p "$fake/mm"
printf 'all:\n' > "$fake/Makefile"
printf 'int a;\nint b;\nint c;\n' > "$fake/mm/one.c"
printf 'x\ny\nz\n' > "$fake/README"

gitq() { git -c user.name=T -c user.email=t@invalid "$@"; }

# 1. export then tree then export: patches/ byte-identical.
export KERNEL_SRC=$fake
T1=$tmp/t1 P1=$tmp/p1
TREE=$T1 PATCHES=$P1 "$S/tree.sh" > "$tmp/log" 2>&1 || { cat "$tmp/log"; }
git -C "$T1" config user.name T; git -C "$T1" config user.email t@invalid
sed -i 's/int b;/int b = 1;/' "$T1/mm/one.c"
gitq -C "$T1" commit -q -am "mm: one: initialise b" -m "Because." -m "Signed-off-by: T <t@invalid>"
sed -i 's/y/why/' "$T1/README"
gitq -C "$T1" commit -q -am "README: spell y" -m "Signed-off-by: T <t@invalid>"
mkdir -p "$P1"
printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: T <t@invalid>\nDate: x\nSubject: [PATCH 0/0] a test series\n\nBlurb line one.\n\nBlurb line two.\n' > "$P1/0000-cover-letter.patch"
TREE=$T1 PATCHES=$P1 "$S/export.sh" > "$tmp/log" 2>&1
cp -r "$P1" "$tmp/p1.orig"
T2=$tmp/t2
if TREE=$T2 PATCHES=$P1 "$S/tree.sh" > "$tmp/log" 2>&1 &&
   TREE=$T2 PATCHES=$P1 "$S/export.sh" >> "$tmp/log" 2>&1 &&
   diff -r "$tmp/p1.orig" "$P1" > "$tmp/diff" 2>&1 &&
   [ "$(ls "$P1" | wc -l)" = 3 ] && grep -q 'Blurb line two' "$P1/0000-cover-letter.patch" &&
   grep -q '^Subject: \[PATCH 0/2\] a test series$' "$P1/0000-cover-letter.patch"; then
	ok "export round trip is byte-identical"
else
	nok "export round trip is byte-identical" "$(cat "$tmp/log" "$tmp/diff" | tail -5 | tr '\n' ' ')"
fi

# 2. tree refuses to drop commits that were never exported.
echo d >> "$T2/README"
gitq -C "$T2" commit -q -am "README: more" -m "Signed-off-by: T <t@invalid>"
if ! TREE=$T2 PATCHES=$P1 "$S/tree.sh" > "$tmp/log" 2>&1 && grep -q "make export" "$tmp/log"; then
	ok "tree refuses to discard unexported commits"
else
	nok "tree refuses to discard unexported commits" "$(tail -2 "$tmp/log" | tr '\n' ' ')"
fi

# 3. A patch that does not apply fails and is named, with its file.
P3=$tmp/p3
cp -r "$tmp/p1.orig" "$P3"
sed 's/int b = 1;/int b = 2;/; s/^-int b;$/-int bee;/; s/initialise b/break b/' \
	"$P3/0001-mm-one-initialise-b.patch" > "$P3/0003-mm-one-break-b.patch"
if ! TREE=$tmp/t3 PATCHES=$P3 "$S/tree.sh" > "$tmp/log" 2>&1 &&
   grep -q '0003-mm-one-break-b.patch does not apply (failing file: mm/one.c)' "$tmp/log"; then
	ok "a patch that does not apply is named with its failing file"
else
	nok "a patch that does not apply is named with its failing file" "$(tail -3 "$tmp/log" | tr '\n' ' ')"
fi

# 3b. A stack of series (patches/series): each directory gets its own
#     numbering and cover letter, the round trip is byte-identical, a
#     commit added at the end of the first series stays in it, and a start
#     subject that is not found fails.
P4=$tmp/p4 T4=$tmp/t4
mkdir -p "$P4/1-one" "$P4/2-two"
printf '1-one\tmm: one: initialise b\n2-two\tREADME: spell y\n' > "$P4/series"
cp "$tmp/p1.orig/0001-mm-one-initialise-b.patch" "$P4/1-one/"
cp "$tmp/p1.orig/0002-README-spell-y.patch" "$P4/2-two/0001-README-spell-y.patch"
for d in 1-one 2-two; do
	printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: T <t@invalid>\nDate: x\nSubject: [PATCH 0/0] series %s\n\nBlurb of %s.\n' "$d" "$d" > "$P4/$d/0000-cover-letter.patch"
done
if TREE=$T4 PATCHES=$P4 "$S/tree.sh" > "$tmp/log" 2>&1 &&
   [ "$(git -C "$T4" log --format=%s base..HEAD | tr '\n' '|')" = "README: spell y|mm: one: initialise b|" ] &&
   TREE=$T4 PATCHES=$P4 "$S/export.sh" >> "$tmp/log" 2>&1 &&
   cp -r "$P4" "$tmp/p4.orig" &&
   TREE=$tmp/t5 PATCHES=$P4 "$S/tree.sh" >> "$tmp/log" 2>&1 &&
   TREE=$tmp/t5 PATCHES=$P4 "$S/export.sh" >> "$tmp/log" 2>&1 &&
   diff -r "$tmp/p4.orig" "$P4" > "$tmp/diff" 2>&1 &&
   grep -q '^Subject: \[PATCH 1/1\] README: spell y$' "$P4/2-two/0001-README-spell-y.patch" &&
   grep -q '^Subject: \[PATCH 0/1\] series 2-two$' "$P4/2-two/0000-cover-letter.patch" &&
   grep -q '^Blurb of 2-two.$' "$P4/2-two/0000-cover-letter.patch" &&
   grep -q '^Applies on: 1-one$' "$P4/2-two/0000-cover-letter.patch" &&
   [ "$(grep -c '^prerequisite-patch-id: [0-9a-f]\{40\}$' "$P4/2-two/0000-cover-letter.patch")" = 1 ] &&
   ! grep -q '^prerequisite-patch-id' "$P4/1-one/0000-cover-letter.patch" &&
   [ "$(git -C "$tmp/t5" log -1 --format=%s series/1-one)" = "mm: one: initialise b" ] &&
   [ "$(git -C "$tmp/t5" log -1 --format=%s series/2-two)" = "README: spell y" ]; then
	ok "a stack of series exports per directory, byte-identically"
else
	nok "a stack of series exports per directory, byte-identically" "$(cat "$tmp/log" "$tmp/diff" | tail -5 | tr '\n' ' ')"
fi
git -C "$tmp/t5" config user.name T; git -C "$tmp/t5" config user.email t@invalid
git -C "$tmp/t5" checkout -q HEAD~1
sed -i 's/int c;/int c = 3;/' "$tmp/t5/mm/one.c"
gitq -C "$tmp/t5" commit -q -am "mm: one: initialise c" -m "Signed-off-by: T <t@invalid>"
gitq -C "$tmp/t5" cherry-pick master >/dev/null 2>&1
git -C "$tmp/t5" branch -q -f master HEAD && git -C "$tmp/t5" checkout -q master
if TREE=$tmp/t5 PATCHES=$P4 "$S/export.sh" > "$tmp/log" 2>&1 &&
   [ -f "$P4/1-one/0002-mm-one-initialise-c.patch" ] &&
   grep -q '^Subject: \[PATCH 2/2\] mm: one: initialise c$' "$P4/1-one/0002-mm-one-initialise-c.patch" &&
   [ "$(ls "$P4/2-two")" = "$(printf '0000-cover-letter.patch\n0001-README-spell-y.patch')" ]; then
	ok "a commit added at the end of a series stays in that series"
else
	nok "a commit added at the end of a series stays in that series" "$(tail -3 "$tmp/log" | tr '\n' ' ') $(ls -R "$P4" | tr '\n' ' ')"
fi
printf '1-one\tmm: one: initialise b\n2-two\tREADME: no such commit\n' > "$P4/series"
if ! TREE=$tmp/t5 PATCHES=$P4 "$S/export.sh" > "$tmp/log" 2>&1 &&
   grep -q "series 2-two: no commit 'README: no such commit'" "$tmp/log" &&
   [ -f "$P4/1-one/0002-mm-one-initialise-c.patch" ]; then
	ok "a series whose first commit is missing fails the export and changes nothing"
else
	nok "a series whose first commit is missing fails the export and changes nothing" "$(tail -3 "$tmp/log" | tr '\n' ' ')"
fi
unset KERNEL_SRC

# 4. Results: a failing test, a splat, a dead VM make the result non-zero;
#    a clean log is zero; skips and KUnit are counted.
P=$S/parse-results.py
cat > "$tmp/pass.log" <<'LOG'
[    0.100000] KTAP version 1
[    0.100001] 1..1
[    0.100002]     KTAP version 1
[    0.100003]     # Subtest: demo
[    0.100004]     1..2
[    0.100005]     ok 1 demo_one
[    0.100006]     ok 2 demo_two # SKIP not here
[    0.100007] # demo: pass:1 fail:0 skip:1 total:2
[    0.100008] ok 1 demo
@@@ BEGIN 2 tests, timeout 600s
@@@ START guest_memfd_test
TAP version 13
ok 1 whatever
@@@ END rc=0 secs=3 guest_memfd_test
@@@ START x86/some_test
1..0 # SKIP - Requirement not met: something
@@@ END rc=4 secs=0 x86/some_test
@@@ DONE
LOG
out=$("$P" "$tmp/pass.log"); rc=$?
if [ $rc = 0 ] && [ "$(echo "$out" | tail -n 1)" = "2 passed, 0 failed, 2 skipped" ] &&
   echo "$out" | grep -q '^skip .*x86/some_test # Requirement not met: something'; then
	ok "clean console log passes, skips and KUnit counted"
else
	nok "clean console log passes, skips and KUnit counted" "rc=$rc $(echo "$out" | tr '\n' '|')"
fi

sed 's/@@@ END rc=0 secs=3 guest_memfd_test/@@@ END rc=1 secs=3 guest_memfd_test/' "$tmp/pass.log" > "$tmp/fail.log"
out=$("$P" "$tmp/fail.log"); rc=$?
if [ $rc = 1 ] && [ "$(echo "$out" | tail -n 1)" = "1 passed, 1 failed, 2 skipped" ]; then
	ok "a failing test makes the result non-zero"
else
	nok "a failing test makes the result non-zero" "rc=$rc $(echo "$out" | tail -n 1)"
fi

sed 's/^TAP version 13$/TAP version 13\n[    5.000000] WARNING: CPU: 1 PID: 77 at mm\/foo.c:12 foo+0x1\/0x2/' "$tmp/pass.log" > "$tmp/warn.log"
out=$("$P" "$tmp/warn.log"); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q 'WARNING: CPU: 1 PID: 77 at mm/foo.c:12' &&
   [ "$(echo "$out" | tail -n 1)" = "2 passed, 1 failed, 2 skipped" ]; then
	ok "a WARNING in the console makes the result non-zero"
else
	nok "a WARNING in the console makes the result non-zero" "rc=$rc $(echo "$out" | tail -n 1)"
fi

# The first splat and its RIP: line are repeated after all the splats,
# where the last lines of the output (what a CI summary shows) hold them.
sed 's/^TAP version 13$/TAP version 13\n[    5.000000] BUG: unable to handle page fault for address: ffff888000001000\n[    5.000001] #PF: supervisor read access in kernel mode\n[    5.000002] RIP: 0010:first_fn+0x1\/0x2\n[    6.000000] WARNING: CPU: 0 PID: 1 at mm\/bar.c:3 later+0x1\/0x2/' \
	"$tmp/pass.log" > "$tmp/first.log"
out=$("$P" "$tmp/first.log"); rc=$?
if [ $rc = 1 ] && [ "$(echo "$out" | tail -n 2 | head -n 1)" = \
     "    first splat: BUG: unable to handle page fault for address: ffff888000001000 | RIP: 0010:first_fn+0x1/0x2" ]; then
	ok "the first splat and its RIP are repeated at the end of the output"
else
	nok "the first splat and its RIP are repeated at the end of the output" "rc=$rc $(echo "$out" | tail -n 3 | tr '\n' '|')"
fi

grep -v '@@@ DONE' "$tmp/pass.log" > "$tmp/dead.log"
out=$("$P" "$tmp/dead.log"); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q '^not ok .*vm # VM did not finish'; then
	ok "a VM that does not finish makes the result non-zero"
else
	nok "a VM that does not finish makes the result non-zero" "rc=$rc"
fi

sed 's/    ok 1 demo_one/    not ok 1 demo_one/' "$tmp/pass.log" > "$tmp/kunit.log"
out=$("$P" "$tmp/kunit.log"); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q '^not ok kunit:demo.demo_one'; then
	ok "a failing KUnit case makes the result non-zero"
else
	nok "a failing KUnit case makes the result non-zero" "rc=$rc $(echo "$out" | tr '\n' '|')"
fi

# 4b. The soak's diagnostic dumps (sysrq w, l), bracketed by its marker
#     lines in the kernel's log: their backtraces are not splats; a splat
#     printed meanwhile, a Call Trace outside the markers or without a
#     dump block before it, and a begin marker without its end marker are.
cat > "$tmp/dump.log" <<'LOG'
@@@ BEGIN 1 tests, timeout 1800s
@@@ START soak/gmem_ndm_soak -t 150 -n 3
[  150.000000] kvm_amd: kvm_amd: Nested Virtualization enabled
[  212.000001] soak: diagnostic dump begin 95-1
[  212.000010] sysrq: Show Blocked State
[  212.000020] task:kworker/u8:3    state:D stack:0     pid:61    tgid:61    ppid:2      task_flags:0x4208060 flags:0x00004000
[  212.000021] Workqueue: events_unbound flush_to_ldisc
[  212.000022] Call Trace:
[  212.000023]  <TASK>
[  212.000024]  __schedule+0x4f2/0x1030
[  212.000025]  schedule+0x3a/0x100
[  212.000026]  </TASK>
[  212.100000] sysrq: Show backtrace of all active CPUs
[  212.100001] NMI backtrace for cpu 0
[  212.100002] CPU: 0 UID: 0 PID: 95 Comm: gmem_ndm_soak Not tainted 7.3.4 #1 PREEMPT(voluntary)
[  212.100003] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  212.100004] Call Trace:
[  212.100005]  <TASK>
[  212.100006]  dump_stack_lvl+0x56/0x70
[  212.100007]  nmi_cpu_backtrace+0x10d/0x150
[  212.100008]  write_sysrq_trigger+0x4d/0x60
[  212.100009]  </TASK>
[  212.100010] Sending NMI from CPU 0 to CPUs 1:
[  212.100020] kvm: interleaved line from another CPU
[  212.100030] NMI backtrace for cpu 1
[  212.100031] CPU: 1 UID: 0 PID: 120 Comm: gmem_ndm_soak Not tainted 7.3.4 #1 PREEMPT(voluntary)
[  212.100032] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  212.100033] RIP: 0010:svm_vcpu_run+0x3c1/0x870
[  212.100034] Code: 48 8b 45 c8 48 89 c7 e8 00 00 00 00 <0f> 01 d8 58 c3 cc cc cc
[  212.100035] RSP: 0018:ffffc900009c7950 EFLAGS: 00000246
[  212.100036] RAX: 0000000000000000 RBX: ffff888104a50000 RCX: 0000000000000000
[  212.100037] RDX: 0000000000000000 RSI: 0000000000000000 RDI: 0000000000000000
[  212.100038] CR2: 0000000000000000 CR3: 000000010b8cc000 CR4: 0000000000350ef0
[  212.100040] Call Trace:
[  212.100041]  <NMI>
[  212.100042]  ? nmi_cpu_backtrace+0xd6/0x150
[  212.100043]  </NMI>
[  212.100044]  <TASK>
[  212.100045]  kvm_arch_vcpu_ioctl_run+0x5c4/0x1260
[  212.100046]  </TASK>
[  212.100050] NMI backtrace for cpu 1 skipped: idling at default_idle+0x10/0x20
[  212.200000] soak: diagnostic dump end 95-1
soak: VMM 12 (pid 120) still running 60 s after the end of the soak
soak: emulator fault excluded: VMM 12 (pid 120, default VM, iteration 256): still running 60 s after the soak's end, its guest at host kernel address 0xffffffff9c7fec8c (signature)
soak: emulator faults excluded: 1
@@@ END rc=0 secs=240 soak/gmem_ndm_soak -t 150 -n 3
@@@ DONE
LOG
out=$("$P" "$tmp/dump.log"); rc=$?
if [ $rc = 0 ] && [ "$(echo "$out" | tail -n 1)" = "1 passed, 0 failed, 0 skipped" ] &&
   echo "$out" | grep -q '^ok .*soak/gmem_ndm_soak -t 150 -n 3 # 240s; soak: emulator fault excluded: VMM 12 '; then
	ok "soak: backtraces of a diagnostic dump between its markers are not splats"
else
	nok "soak: backtraces of a diagnostic dump between its markers are not splats" "rc=$rc $(echo "$out" | tr '\n' '|')"
fi

# A splat printed during the dump still fails, each kind.
n=0 missed=
while IFS= read -r splat; do
	n=$((n + 1))
	awk -v s="$splat" '$0 == "[  212.100020] kvm: interleaved line from another CPU" { $0 = "[  212.100020] " s } { print }' \
		"$tmp/dump.log" > "$tmp/dump-splat$n.log"
	out=$("$P" "$tmp/dump-splat$n.log"); rc=$?
	if [ $rc != 1 ] || ! echo "$out" | grep -qF -- "$splat (during the soak's diagnostic dump)" ||
	   [ "$(echo "$out" | tail -n 1)" != "1 passed, 1 failed, 0 skipped" ]; then
		missed="$missed [$splat: rc=$rc]"
	fi
done <<'SPLATS'
WARNING: CPU: 1 PID: 120 at arch/x86/kvm/mmu/tdp_mmu.c:123 tdp_mmu_zap_leafs+0x1/0x2
BUG: KASAN: slab-use-after-free in kvm_gmem_invalidate_start+0x1/0x2
Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] SMP KASAN PTI
general protection fault, probably for non-canonical address 0xdffffc0000000001
Kernel panic - not syncing: Fatal exception
WARNING: possible circular locking dependency detected
inconsistent lock state
possible recursive locking detected
BUG: kernel NULL pointer dereference, address: 000000000000008a
rcu: INFO: rcu_preempt self-detected stall on CPU
------------[ cut here ]------------
Modules linked in:
SPLATS
if [ -z "$missed" ] && [ $n = 12 ]; then
	ok "soak: a splat printed during a diagnostic dump still fails ($n kinds)"
else
	nok "soak: a splat printed during a diagnostic dump still fails" "missed:$missed"
fi

# The backtrace's own NMI handler reporting its duration is part of the
# dump; another handler's report is not.
own='INFO: NMI handler (nmi_cpu_backtrace_handler) took too long to run: 13.911 msecs'
other='INFO: NMI handler (perf_event_nmi_handler) took too long to run: 13.911 msecs'
for kind in own other; do
	line=${!kind}
	awk -v s="$line" '$0 == "[  212.100020] kvm: interleaved line from another CPU" { $0 = "[  212.100020] " s } { print }' \
		"$tmp/dump.log" > "$tmp/dump-nmi-$kind.log"
done
out_own=$("$P" "$tmp/dump-nmi-own.log"); rc_own=$?
out_other=$("$P" "$tmp/dump-nmi-other.log"); rc_other=$?
if [ $rc_own = 0 ] && [ "$(echo "$out_own" | tail -n 1)" = "1 passed, 0 failed, 0 skipped" ] &&
   [ $rc_other = 1 ] && echo "$out_other" | grep -qF -- "$other (during the soak's diagnostic dump)"; then
	ok "soak: the dump's own NMI handler duration is part of the dump, another handler's is a splat"
else
	nok "soak: the dump's own NMI handler duration is part of the dump, another handler's is a splat" \
		"own rc=$rc_own other rc=$rc_other $(echo "$out_own$out_other" | tr '\n' '|')"
fi

grep -v 'soak: diagnostic dump' "$tmp/dump.log" > "$tmp/dump-nomark.log"
out=$("$P" "$tmp/dump-nomark.log"); rc=$?
if [ $rc = 1 ] && [ "$(echo "$out" | grep -c '^    Call Trace:$')" = 3 ] &&
   ! echo "$out" | grep -q "during the soak's diagnostic dump"; then
	ok "soak: a Call Trace outside the markers is a splat"
else
	nok "soak: a Call Trace outside the markers is a splat" "rc=$rc $(echo "$out" | tr '\n' '|')"
fi

grep -v 'soak: diagnostic dump end' "$tmp/dump.log" > "$tmp/dump-open.log"
sed 's/soak: diagnostic dump end 95-1/soak: diagnostic dump end 95-2/' "$tmp/dump.log" > "$tmp/dump-other.log"
# A second begin marker before the first one's end: the first is unterminated.
sed 's/^\(\[  212.000001\] \)soak: diagnostic dump begin 95-1$/&\n\1soak: diagnostic dump begin 95-2/
     s/soak: diagnostic dump end 95-1/soak: diagnostic dump end 95-2/' "$tmp/dump.log" > "$tmp/dump-twice.log"
res=
for f in dump-open:3 dump-other:3 dump-twice:0; do
	out=$("$P" "$tmp/${f%:*}.log"); rc=$?
	if [ $rc = 1 ] &&
	   echo "$out" | grep -q '^not ok console # soak diagnostic dump 95-1: begin marker without an end marker' &&
	   [ "$(echo "$out" | grep -c '^    Call Trace:$')" = "${f#*:}" ]; then
		res="$res ok"
	else
		res="$res rc=$rc:$(echo "$out" | tr '\n' '|')"
	fi
done
if [ "$res" = " ok ok ok" ]; then
	ok "soak: a begin marker without its end marker exempts nothing and fails"
else
	nok "soak: a begin marker without its end marker exempts nothing and fails" "$res"
fi

# Inside the markers, a Call Trace is exempt only as the one of a dump block
# (NMI backtrace, task:... state:) that printed it within 40 lines.
sed 's/^\[  212.000010\] sysrq: Show Blocked State$/[  212.000009] gmem_ndm_soak: page allocation failure: order:0, mode:0x40cc0\n[  212.000009] CPU: 1 UID: 0 PID: 120 Comm: gmem_ndm_soak Not tainted 7.3.4 #1\n[  212.000009] Call Trace:\n&/' \
	"$tmp/dump.log" > "$tmp/dump-foreign.log"
awk '{ print } /NMI backtrace for cpu 1$/ { for (i = 0; i < 41; i++) printf "[  212.100030] R%02d: 0000000000000000\n", i }' \
	"$tmp/dump.log" > "$tmp/dump-far.log"
res=
for f in dump-foreign dump-far; do
	out=$("$P" "$tmp/$f.log"); rc=$?
	if [ $rc = 1 ] && echo "$out" | grep -q "^    Call Trace: (during the soak's diagnostic dump)$"; then
		res="$res ok"
	else
		res="$res rc=$rc:$(echo "$out" | tr '\n' '|')"
	fi
done
if [ "$res" = " ok ok" ]; then
	ok "soak: a Call Trace in the markers without a dump block before it is a splat"
else
	nok "soak: a Call Trace in the markers without a dump block before it is a splat" "$res"
fi

# The soak's classification (soak/soak_classify.h), without a kernel, and
# its marker lines are those parse-results.py reads.
if command -v gcc > /dev/null; then
	if gcc -Wall -Werror -O2 -std=gnu99 -D_GNU_SOURCE -I"$top/soak" \
		"$top/tests/workspace/soak_classify_test.c" -o "$tmp/soak_classify_test" > "$tmp/log" 2>&1 &&
	   "$tmp/soak_classify_test" > "$tmp/log" 2>&1; then
		ok "soak: classification of VMMs and of KVM's trace lines ($(tail -n 1 "$tmp/log" | sed 's/^soak_classify_test: //'))"
	else
		nok "soak: classification of VMMs and of KVM's trace lines" "$(tail -5 "$tmp/log" | tr '\n' ' ')"
	fi
	if [ "$("$tmp/soak_classify_test" mark begin 95 1)" = "soak: diagnostic dump begin 95-1" ] &&
	   [ "$("$tmp/soak_classify_test" mark end 95 1)" = "soak: diagnostic dump end 95-1" ]; then
		ok "soak: its marker lines are those the tests above feed parse-results.py"
	else
		nok "soak: its marker lines are those the tests above feed parse-results.py" \
			"$("$tmp/soak_classify_test" mark begin 95 1)"
	fi
else
	echo "skip workspace: soak: classification of VMMs and of KVM's trace lines # no gcc"
fi

# 5. A base tarball whose checksum does not match is a hard error naming both.
mkdir -p "$tmp/xdg/kvm-nodirectmap"
echo bogus > "$tmp/xdg/kvm-nodirectmap/linux-source-7.3.4.tar.xz"
bogus=$(sha256sum "$tmp/xdg/kvm-nodirectmap/linux-source-7.3.4.tar.xz" | cut -d' ' -f1)
if ! XDG_CACHE_HOME=$tmp/xdg "$S/fetch-base.sh" "$tmp/out.tar.xz" > "$tmp/log" 2>&1 &&
   grep -q "76df1affb19f24926949369be1d74b60071c963c598ce8780bddd4bbf0fc3bc4" "$tmp/log" &&
   grep -q "$bogus" "$tmp/log" && [ ! -e "$tmp/out.tar.xz" ]; then
	ok "checksum mismatch is a hard error naming both sums"
else
	nok "checksum mismatch is a hard error naming both sums" "$(tail -2 "$tmp/log" | tr '\n' ' ')"
fi

# 6. initramfs: NAME=value words before a test set its environment (the
#    binary is the first other word); an extra program brings its data/.
st=$tmp/st ex=$tmp/extra
mkdir -p "$st/x86" "$ex/vmm/data"
printf '#!/bin/sh\n' > "$st/x86/foo_test"
printf '#!/bin/sh\n' > "$ex/vmm/prog"
printf '#!/bin/sh\n' > "$ex/vmm/helper"
echo guest > "$ex/vmm/data/blob"
chmod +x "$st/x86/foo_test" "$ex/vmm/prog" "$ex/vmm/helper"
printf '# comment\nA=1 B=two x86/foo_test -x\nvmm/prog --y\n' > "$tmp/i.list"
rm -rf "$tmp/root"; mkdir -p "$tmp/root"
if SELFTESTS_OUT=$st EXTRA_OUT=$ex "$S/initramfs.sh" "$tmp/i.cpio.gz" "$tmp/i.list" > "$tmp/log" 2>&1 &&
   (cd "$tmp/root" && gzip -dc "$tmp/i.cpio.gz" | cpio -id --quiet) &&
   [ -x "$tmp/root/kvm/x86/foo_test" ] && [ -x "$tmp/root/kvm/vmm/prog" ] &&
   [ -x "$tmp/root/kvm/vmm/helper" ] &&
   [ "$(cat "$tmp/root/kvm/vmm/data/blob")" = guest ] &&
   [ "$(cat "$tmp/root/tests.list")" = "$(printf 'A=1 B=two x86/foo_test -x\nvmm/prog --y')" ]; then
	ok "initramfs: environment words, extra programs with their directory"
else
	nok "initramfs: environment words, extra programs with their directory" "$(tail -2 "$tmp/log" | tr '\n' ' ')"
fi
printf 'A=1 x86/missing_test\n' > "$tmp/i2.list"
if ! SELFTESTS_OUT=$st EXTRA_OUT=$ex "$S/initramfs.sh" "$tmp/i2.cpio.gz" "$tmp/i2.list" > "$tmp/log" 2>&1 &&
   grep -q "x86/missing_test" "$tmp/log"; then
	ok "initramfs: a test that was not built is named"
else
	nok "initramfs: a test that was not built is named" "$(tail -2 "$tmp/log" | tr '\n' ' ')"
fi

# 7. The regression guard of check-full: only a test that fails with the
#    series twice while stock passes it twice is a regression.
C=$S/compare-stock.py
cat > "$tmp/series.txt" <<'RES'
ok     checkpatch # 31 patches clean
ok     [pti=on] a_test # 1s
not ok [pti=on] regressed_test # exit 1; boom
not ok [pti=on] flaky_test # exit 1
not ok [pti=on] clock_test # exit 1
not ok [pti=on] broken_everywhere_test # exit 1; series
not ok [pti=on] x86/series_own_test # exit 1
skip   [pti=on] vmx_test # no VMX
skip   [pti=on] lost_cap_test # Requirement not met
ok     [pti=on] kunit:mm_local.map_unmap # kunit
3 passed, 5 failed, 2 skipped
RES
cat > "$tmp/stock.txt" <<'RES'
ok     [pti=on] a_test # 1s
ok     [pti=on] regressed_test # 1s
ok     [pti=on] flaky_test # 1s
ok     [pti=on] clock_test # 1s
not ok [pti=on] broken_everywhere_test # exit 1; stock
skip   [pti=on] vmx_test # no VMX
ok     [pti=on] removed_test # 1s
ok     [pti=on] lost_cap_test # 1s
not ok kernel console: splat detected:
    [pti=on] WARNING: CPU: 0 at arch/x86/kvm/x86.c:1
5 passed, 2 failed, 1 skipped
RES
printf 'not ok [pti=on] regressed_test # exit 1; boom again\nok     [pti=on] flaky_test # 1s\nnot ok [pti=on] clock_test # exit 1\n' > "$tmp/rerun.txt"
printf 'ok     [pti=on] regressed_test # 1s\nok     [pti=on] flaky_test # 1s\nnot ok [pti=on] clock_test # exit 1\n' > "$tmp/rerun-stock.txt"
cand=$("$C" candidates "$tmp/series.txt" "$tmp/stock.txt")
out=$("$C" final "$tmp/series.txt" "$tmp/stock.txt" "$tmp/rerun.txt" "$tmp/rerun-stock.txt"); rc=$?
if [ "$cand" = "$(printf 'pti=on\tregressed_test\npti=on\tflaky_test\npti=on\tclock_test')" ] &&
   [ $rc = 1 ] &&
   echo "$out" | grep -q '^not ok \[pti=on\] regressed_test # REGRESSION: fails with the series twice' &&
   echo "$out" | grep -q '^ok     \[pti=on\] flaky_test # flaky: failed once' &&
   echo "$out" | grep -q '^skip   \[pti=on\] clock_test # flaky on both kernels' &&
   echo "$out" | grep -q '^skip   \[pti=on\] broken_everywhere_test # fails on stock 7.3.4 too' &&
   echo "$out" | grep -q '^not ok \[pti=on\] x86/series_own_test # exit 1' &&
   echo "$out" | grep -q '^not ok \[pti=on\] removed_test # passes on stock 7.3.4 but did not run' &&
   echo "$out" | grep -q '^# stock 7.3.4: kernel console' &&
   echo "$out" | grep -q '^not ok \[pti=on\] lost_cap_test # REGRESSION: skips with the series' &&
   [ "$(echo "$out" | tail -n 1)" = "4 passed, 4 failed, 3 skipped" ]; then
	ok "check-full: regressions only when confirmed by a rerun on both kernels"
else
	nok "check-full: regressions only when confirmed by a rerun on both kernels" "rc=$rc $(echo "$cand $out" | tr '\n' '|')"
fi
# Without rerun results a candidate is still a failure, never a pass.
out=$("$C" final "$tmp/series.txt" "$tmp/stock.txt"); rc=$?
if [ $rc = 1 ] && echo "$out" | grep -q '^not ok \[pti=on\] flaky_test # REGRESSION? '; then
	ok "check-full: a candidate without rerun results fails"
else
	nok "check-full: a candidate without rerun results fails" "rc=$rc"
fi

# fetch-arm64.sh takes the Debian archive from the host's apt configuration,
# in either format, never the security archive.
A1=$tmp/apt1 A2=$tmp/apt2
mkdir -p "$A1/sources.list.d" "$A2/sources.list.d"
printf 'Types: deb\nURIs: http://sec.invalid/debian-security\nSuites: bookworm-security\n\nTypes: deb\nURIs: http://deb.invalid/debian\nSuites: bookworm\n' \
	> "$A1/sources.list.d/debian.sources"
printf '# comment\ndeb http://sec.invalid/debian-security bookworm-security main\ndeb [arch=amd64] http://one.invalid/debian bookworm main\n' \
	> "$A2/sources.list"
m1=$(APT_ETC=$A1 "$S/fetch-arm64.sh" --print-mirror)
m2=$(APT_ETC=$A2 "$S/fetch-arm64.sh" --print-mirror)
m3=$(APT_ETC=$tmp/none "$S/fetch-arm64.sh" --print-mirror)
if [ "$m1" = http://deb.invalid/debian ] && [ "$m2" = http://one.invalid/debian ] &&
   [ -z "$m3" ]; then
	ok "fetch-arm64: the mirror comes from apt's configuration (deb822 and one-line)"
else
	nok "fetch-arm64: the mirror comes from apt's configuration" "got '$m1' '$m2' '$m3'"
fi

# compare-costs.py: equal plain columns pass, one differing count fails,
# counters a kernel lacks ("-") and function-call IPIs are not compared.
cat > "$tmp/costs-a" <<'EOC'
COST operation        counter                       no_direct_map        plain  unit
COST teardown         nr_tlb_remote_flush                      0            0  per 256 MiB
COST teardown         mm_local_unmap                           0            0  per 256 MiB
COST teardown         irq_function_calls                     102           18  per 256 MiB
EOC
sed -e 's/ 18  per/ 9  per/' -e '/mm_local_unmap/s/ 0  per/ -  per/' "$tmp/costs-a" > "$tmp/costs-b"
sed 's/ 0  per 256 MiB$/ 3  per 256 MiB/' "$tmp/costs-b" > "$tmp/costs-c"
if "$S/compare-costs.py" "$tmp/costs-a" "$tmp/costs-b" > "$tmp/log" &&
   grep -q '1 counters compared, 0 different' "$tmp/log" &&
   ! "$S/compare-costs.py" "$tmp/costs-a" "$tmp/costs-c" > "$tmp/log"; then
	ok "compare-costs: equal counts pass, a different count fails"
else
	nok "compare-costs: equal counts pass, a different count fails" "$(tail -n 1 "$tmp/log")"
fi

exit $failed
