#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# export.sh: regenerate patches/ from the commits after the base in
# build/linux.  File names are git format-patch's (NNNN-subject.patch),
# commit hashes are zeroed and the signature dropped, so an unchanged
# series exports byte-identically.  patches/0000-cover-letter.patch keeps
# its subject and text; its shortlog and diffstat are regenerated.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
PATCHES=${PATCHES:-$top/patches}
cover=$PATCHES/0000-cover-letter.patch

die() { echo "export: $*" >&2; exit 1; }

[ -d "$TREE/.git" ] || die "no tree at $TREE (run 'make tree')"
git -C "$TREE" rev-parse -q --verify base >/dev/null || die "$TREE has no 'base' tag"
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; commit them first"

n=$(git -C "$TREE" rev-list --count base..HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "$n" -gt 0 ]; then
	git -C "$TREE" format-patch -q --zero-commit --no-signature \
		--subject-prefix=PATCH --numbered --no-cover-letter \
		-o "$tmp" base..HEAD
fi

# Cover letter: keep title and body, regenerate header and summary.
title="*** SUBJECT HERE ***"
body="*** BLURB HERE ***"
if [ -f "$cover" ]; then
	title=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$cover" | head -n 1)
	body=$(awk 'hdr && (/^[^ ].* \([0-9]+\):$/ || /^-- $/) { exit }
		    hdr { print }
		    !hdr && /^$/ { hdr = 1 }' "$cover")
fi
ident="$(git -C "$TREE" config user.name || echo unknown) <$(git -C "$TREE" config user.email || echo unknown@invalid)>"
if [ "$n" -gt 0 ]; then
	ident=$(git -C "$TREE" log -1 --format='%an <%ae>' HEAD)
	date=$(git -C "$TREE" log -1 --format=%aD HEAD)
else
	date=$(git -C "$TREE" log -1 --format=%aD base)
fi
{
	echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
	echo "From: $ident"
	echo "Date: $date"
	echo "Subject: [PATCH 0/$n] $title"
	echo
	printf '%s\n' "$body" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
	echo
	if [ "$n" -gt 0 ]; then
		git -C "$TREE" shortlog --no-merges base..HEAD
		git -C "$TREE" diff --stat=72 --summary base HEAD
		echo
	fi
	echo "-- "
	echo "Base: Linux 7.3.4, Debian linux-source-7.3 7.3.4-1~bpo13+1"
} > "$tmp/0000-cover-letter.patch"

mkdir -p "$PATCHES"
find "$PATCHES" -maxdepth 1 -name '[0-9]*.patch' -delete
cp "$tmp"/*.patch "$PATCHES"/
# Record that the tree and patches/ agree (see tree.sh).
f=
{ for f in $(find "$PATCHES" -maxdepth 1 -name '[0-9]*.patch' ! -name '0000-cover-letter.patch' | LC_ALL=C sort); do
	basename "$f"; cat "$f"; done; } | sha256sum | cut -d' ' -f1 |
	tr -d '\n' > "$TREE/.git/series-stamp"
printf ' %s\n' "$(git -C "$TREE" rev-parse HEAD)" >> "$TREE/.git/series-stamp"
echo "export: $n patch(es) in $PATCHES"
