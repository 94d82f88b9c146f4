#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# export.sh: regenerate patches/ from the commits after the base in
# build/linux.  File names are git format-patch's (NNNN-subject.patch),
# commit hashes are zeroed and the signature dropped, so an unchanged
# series exports byte-identically.  A cover letter (0000-cover-letter.patch)
# keeps its subject and text; its shortlog, diffstat and footer are
# regenerated.
#
# patches/series, if present, makes patches/ a stack of series: one line per
# series, in order, "DIRECTORY<TAB>subject of its first commit".  Each series
# is exported to patches/DIRECTORY/ with its own numbering (PATCH n/N) and
# cover letter, whose footer names the series it applies on.  A commit
# belongs to the series of the nearest start subject at or before it, so a
# commit added anywhere in a series stays in it; every start subject must
# be found, in order.  Without patches/series, patches/ is one flat series.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
PATCHES=${PATCHES:-$top/patches}
BASE_LINE="Base: Linux 7.3.4, Debian linux-source-7.3 7.3.4-1~bpo13+1"

die() { echo "export: $*" >&2; exit 1; }

[ -d "$TREE/.git" ] || die "no tree at $TREE (run 'make tree')"
git -C "$TREE" rev-parse -q --verify base >/dev/null || die "$TREE has no 'base' tag"
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; commit them first"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The series: parallel arrays of directory ("." when flat), first and last
# commit (exclusive start: the commit before the first).
dirs=() froms=() tos=()
if [ -f "$PATCHES/series" ]; then
	git -C "$TREE" log --reverse --format='%H %s' base..HEAD > "$tmp/commits"
	k=-1
	starts=() sdirs=()
	while IFS=$'\t' read -r d subj; do
		case $d in ''|'#'*) continue ;; esac
		[ -n "$subj" ] || die "patches/series: no first subject for $d"
		sdirs+=("$d") starts+=("$subj")
	done < "$PATCHES/series"
	[ ${#sdirs[@]} -gt 0 ] || die "patches/series names no series"
	prev=$(git -C "$TREE" rev-parse base)
	while read -r h subj; do
		if [ $((k + 1)) -lt ${#sdirs[@]} ] && [ "$subj" = "${starts[$((k + 1))]}" ]; then
			[ $k -ge 0 ] && tos+=("$prev")
			k=$((k + 1))
			dirs+=("${sdirs[$k]}") froms+=("$prev")
		fi
		[ $k -ge 0 ] || die "the first commit ($subj) does not start series ${sdirs[0]}"
		prev=$h
	done < "$tmp/commits"
	[ $((k + 1)) -eq ${#sdirs[@]} ] ||
		die "series ${sdirs[$((k + 1))]}: no commit '${starts[$((k + 1))]}' after series ${sdirs[$k]:-none} starts"
	tos+=("$prev")
else
	dirs=(.) froms=("$(git -C "$TREE" rev-parse base)") tos=("$(git -C "$TREE" rev-parse HEAD)")
fi

ident="$(git -C "$TREE" config user.name || echo unknown) <$(git -C "$TREE" config user.email || echo unknown@invalid)>"
total=0
for i in "${!dirs[@]}"; do
	d=${dirs[$i]} from=${froms[$i]} to=${tos[$i]}
	out=$tmp/out/$d
	mkdir -p "$out"
	n=$(git -C "$TREE" rev-list --count "$from..$to")
	total=$((total + n))
	if [ "$n" -gt 0 ]; then
		git -C "$TREE" format-patch -q --zero-commit --no-signature \
			--subject-prefix=PATCH --numbered --no-cover-letter \
			-o "$out" "$from..$to"
	fi

	# Cover letter: keep title and body, regenerate header and summary.
	cover=$PATCHES/$d/0000-cover-letter.patch
	title="*** SUBJECT HERE ***"
	body="*** BLURB HERE ***"
	if [ -f "$cover" ]; then
		title=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$cover" | head -n 1)
		body=$(awk 'hdr && (/^[^ ].* \([0-9]+\):$/ || /^-- $/) { exit }
			    hdr { print }
			    !hdr && /^$/ { hdr = 1 }' "$cover")
	fi
	if [ "$n" -gt 0 ]; then
		who=$(git -C "$TREE" log -1 --format='%an <%ae>' "$to")
		date=$(git -C "$TREE" log -1 --format=%aD "$to")
	else
		who=$ident
		date=$(git -C "$TREE" log -1 --format=%aD base)
	fi
	{
		echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		echo "From: $who"
		echo "Date: $date"
		echo "Subject: [PATCH 0/$n] $title"
		echo
		printf '%s\n' "$body" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
		echo
		if [ "$n" -gt 0 ]; then
			git -C "$TREE" shortlog --no-merges "$from..$to"
			git -C "$TREE" diff --stat=72 --summary "$from" "$to"
			echo
		fi
		echo "-- "
		echo "$BASE_LINE"
		if [ "$i" -gt 0 ]; then
			# b4's notation: the base, then every patch of the series
			# this one applies on, by stable patch id.
			echo "Applies on: ${dirs[*]:0:$i}"
			echo "base-commit: $(git -C "$TREE" rev-parse base)"
			git -C "$TREE" rev-list --reverse "base..$from" | while read -r c; do
				git -C "$TREE" show "$c" | git patch-id --stable |
					sed 's/^\([0-9a-f]*\) .*/prerequisite-patch-id: \1/'
			done
		fi
	} > "$out/0000-cover-letter.patch"
done

# Replace the patches (and only them) of every directory in the stack, and
# remove the directories of series that no longer exist.
mkdir -p "$PATCHES"
find "$PATCHES" -maxdepth 2 -name '[0-9]*.patch' -delete
find "$PATCHES" -mindepth 1 -maxdepth 1 -type d -empty -delete
for d in "${dirs[@]}"; do
	mkdir -p "$PATCHES/$d"
	cp "$tmp/out/$d"/*.patch "$PATCHES/$d"/
done
# Record that the tree and patches/ agree (see tree.sh).
TREE=$TREE PATCHES=$PATCHES "$top/scripts/tree.sh" --stamp
echo "export: $total patch(es) in ${#dirs[@]} series in $PATCHES"
