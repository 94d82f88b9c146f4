#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch.sh: scripts/checkpatch.pl --strict over every patch in patches/
# (and in its series' directories, when it is a stack).
# Errors always fail.  A warning or check fails unless tests/checkpatch-allow
# lists it as "PATCH-GLOB TYPE reason" (the reason is required).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
PATCHES=${PATCHES:-$top/patches}
ALLOW=${ALLOW:-$top/tests/checkpatch-allow}

[ -x "$TREE/scripts/checkpatch.pl" ] || { echo "checkpatch: run 'make tree' first" >&2; exit 1; }

spell=
[ -f /usr/share/codespell/dictionary.txt ] && spell=--codespell
bad=0
total=0
for p in $(find "$PATCHES" -maxdepth 2 -name '[0-9]*.patch' ! -name '0000-cover-letter.patch' | LC_ALL=C sort); do
	total=$((total + 1))
	pn=$(basename "$p")
	out=$(cd "$TREE" && ./scripts/checkpatch.pl --strict --terse --show-types \
		--no-summary $spell "$p" 2>/dev/null || true)
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		type=$(printf '%s\n' "$l" | sed -n 's/.*: \(ERROR\|WARNING\|CHECK\):\([A-Z_0-9]*\):.*/\1 \2/p')
		[ -n "$type" ] || continue
		level=${type%% *}
		kind=${type#* }
		allowed=0
		if [ "$level" != ERROR ] && [ -f "$ALLOW" ]; then
			while read -r glob atype reason; do
				case $glob in ''|'#'*) continue ;; esac
				# shellcheck disable=SC2053
				if [[ $pn == $glob ]] && [ "$atype" = "$kind" ] && [ -n "$reason" ]; then
					allowed=1
					break
				fi
			done < "$ALLOW"
		fi
		if [ $allowed = 1 ]; then
			echo "allowed: ${p#"$PATCHES"/}: $l"
		else
			echo "${p#"$PATCHES"/}: $l"
			bad=$((bad + 1))
		fi
	done <<< "$out"
done
if [ $bad -gt 0 ]; then
	echo "checkpatch: $bad problem(s) in $total patch(es)"
	exit 1
fi
echo "checkpatch: $total patch(es) clean (--strict)"
