#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bisect-check.sh [CONFIG...]: build every commit of the series on its own
# (default: the test configuration) and, where a commit changes them, the
# KVM selftests, in a separate worktree and build
# directory so build/linux and build/kbuild-* are left alone.  Fails on the
# first commit that does not build.  CONFIG=modular builds KVM as modules,
# CONFIG=off with CONFIG_KVM_GUEST_MEMFD_NO_DIRECT_MAP off (configs/off.config).
# FROM=N starts at the Nth commit of the series (the ones before it were
# checked by an earlier run); ONLY="N M ..." builds just those commits.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
WT=$top/build/bisect-tree
variants=("${@:-test}")

git -C "$TREE" worktree prune
if [ ! -d "$WT" ]; then
	git -C "$TREE" worktree add -q --detach "$WT" base
fi
commits=$(git -C "$TREE" rev-list --reverse base..HEAD)
n=0
checked=0
for c in $commits; do
	n=$((n + 1))
	[ "$n" -ge "${FROM:-1}" ] || continue
	[ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $n "* ]] || continue
	checked=$((checked + 1))
	git -C "$WT" checkout -q --detach "$c"
	# The KVM selftests too, for the patches that change them.
	if ! git -C "$WT" diff --quiet "$c~1" "$c" -- tools/testing/selftests/kvm; then
		printf 'bisect-check: [%d] selftests ... ' "$n"
		if TREE=$WT SELFTESTS_OUT=$top/build/bisect-selftests \
			"$top/scripts/build-selftests.sh" > "$top/build/bisect-selftests.log" 2>&1; then
			echo ok
		else
			echo FAILED
			tail -20 "$top/build/bisect-selftests.log"
			exit 1
		fi
	fi
	for v in "${variants[@]}"; do
		printf 'bisect-check: [%d] %s (%s) ... ' "$n" "$(git -C "$WT" log -1 --format=%s)" "$v"
		if TREE=$WT OUTDIR=$top/build/bisect-$v ALLOW_DROPPED=1 \
			"$top/scripts/build-kernel.sh" "$v" \
			> "$top/build/bisect-$v.log" 2>&1; then
			echo ok
		else
			echo FAILED
			tail -20 "$top/build/bisect-$v.log"
			exit 1
		fi
	done
done
echo "bisect-check: $checked of $n commits checked, all build (${variants[*]})"
