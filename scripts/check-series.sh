#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-series.sh N: the stack up to series N (the Nth directory of
# patches/series) builds and passes that series' own tests.  The tree at the
# series' last commit (tag series/DIR of build/linux) is checked out in
# build/series-tree and built with the test configuration into
# build/kbuild-series (options that later series add are listed, not
# fatal); the test VM then runs tests/series/DIR.list, once with pti=on and
# once with pti=off.  A list's "#kunit SUITE" lines name the KUnit suites
# that must have run and passed at boot.  The last series is the whole stack:
# its check is make check.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
n=${1:-}
t0=$(date +%s)

die() { echo "check-series: $*" >&2; exit 1; }
step() { echo "== $* ($(( $(date +%s) - t0 ))s)"; }

[ -f "$top/patches/series" ] || die "patches/ is not a stack (no patches/series)"
mapfile -t dirs < <(awk -F '\t' '$1 != "" && $1 !~ /^#/ { print $1 }' "$top/patches/series")
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le ${#dirs[@]} ] ||
	die "usage: make check SERIES=N, N from 1 to ${#dirs[@]} ($(
		for i in "${!dirs[@]}"; do printf '%d=%s ' $((i + 1)) "${dirs[$i]}"; done))"
dir=${dirs[$((n - 1))]}
if [ "$n" -eq ${#dirs[@]} ]; then
	echo "check-series: series $n ($dir) is the whole stack: make check"
	exec "$top/scripts/check.sh"
fi
list=$top/tests/series/$dir.list
[ -f "$list" ] || die "no test list $list for series $n ($dir)"

"$top/scripts/deps.sh" || die "missing host packages"
step "tree"
"$top/scripts/tree.sh" || die "make tree failed"
git -C "$B/linux" rev-parse -q --verify "series/$dir" >/dev/null ||
	die "build/linux has no tag series/$dir"
ST=$B/series-tree
if [ ! -d "$ST/.git" ] && [ ! -f "$ST/.git" ]; then
	git -C "$B/linux" worktree prune
	git -C "$B/linux" worktree add -q --detach "$ST" "series/$dir" || die "worktree"
else
	git -C "$ST" checkout -q --detach -f "series/$dir" || die "checkout series/$dir"
fi
echo "series $n ($dir): $(git -C "$ST" rev-list --count base..HEAD) commits on the base," \
	"up to: $(git -C "$ST" log -1 --format=%s)"

step "kernel (test configuration, the stack up to series $n)"
TREE=$ST OUTDIR=$B/kbuild-series ALLOW_DROPPED=1 "$top/scripts/build-kernel.sh" test \
	> "$B/kernel-series-build.log" 2>&1 ||
	{ tail -30 "$B/kernel-series-build.log"; die "kernel build failed"; }
sed -n '/options this tree lacks/,$p' "$B/kernel-series-build.log" | grep '^  ' |
	tr -d ' ' | cut -d: -f1 | tr '\n' ' ' | sed 's/^./options of later series, not in this tree: &/;s/ $/\n/'
# The checks link the whole stack's selftests library; they run on any
# kernel of the stack and read only what their series provides.
step "selftests library, checks"
"$top/scripts/build-selftests.sh" > "$B/selftests-build.log" 2>&1 ||
	{ tail -30 "$B/selftests-build.log"; die "selftests build failed"; }
"$top/scripts/build-bench.sh" checks > "$B/bench-build.log" 2>&1 ||
	{ tail -30 "$B/bench-build.log"; die "checks build failed"; }
# "#from LIST without-audit": tests/LIST, without the direct map audit of a
# later series (bare audit lines dropped, wrapped commands unwrapped).
run_list=$B/series-$n.list
: > "$run_list"
while IFS= read -r line; do
	case $line in
	'#from '*' without-audit')
		from=${line#'#from '}
		from=$top/tests/${from%' without-audit'}
		[ -f "$from" ] || die "$list: no list $from"
		grep -v '^[[:space:]]*checks/direct_map_audit\([[:space:]]\+-[^-][^ ]*\( [0-9]\+\)\?\)*[[:space:]]*$' "$from" |
			sed 's#checks/direct_map_audit\( \+-[a-z]\( [0-9]\+\)\?\)* \+-- ##' >> "$run_list"
		;;
	*) printf '%s\n' "$line" >> "$run_list" ;;
	esac
done < "$list"
if grep -q '^[^#]*direct_map_audit' "$run_list" && grep -q '^#from .* without-audit' "$list"; then
	die "$run_list still runs the audit"
fi
"$top/scripts/initramfs.sh" "$B/initramfs-series.cpio.gz" "$run_list" || die "initramfs build failed"

logs=()
for pti in on off; do
	step "VM pti=$pti: $list ($(grep -cv '^[[:space:]]*\(#\|$\)' "$run_list") tests)"
	KERNEL=$B/kbuild-series/arch/x86/boot/bzImage "$top/scripts/run-vm.sh" \
		"series-$n-pti$pti" "$B/initramfs-series.cpio.gz" "pti=$pti kvm.force_emulation_prefix=1"
	logs+=(--label "pti=$pti" "$B/console-series-$n-pti$pti.log")
done

# The KUnit suites the series must have run, on each boot.
extra=$B/check-series-extra.txt
: > "$extra"
for suite in $(sed -n 's/^#kunit[[:space:]]\+\([A-Za-z0-9_]\+\).*/\1/p' "$list"); do
	for pti in on off; do
		n_ok=$("$top/scripts/parse-results.py" "$B/console-series-$n-pti$pti.log" |
			grep -c "^ok .*kunit:$suite\.")
		if [ "$n_ok" -gt 0 ]; then
			echo "ok [pti=$pti] kunit suite $suite ran # $n_ok case(s) passed" >> "$extra"
		else
			echo "not ok [pti=$pti] kunit suite $suite ran # no passing case in the log" >> "$extra"
		fi
	done
done
step "results (series $n, $dir)"
"$top/scripts/parse-results.py" --extra "$extra" "${logs[@]}" | tee "$B/results-series-$n.txt"
rc=${PIPESTATUS[0]}
echo "check-series $n: $(( $(date +%s) - t0 ))s" >&2
exit "$rc"
