#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tree.sh: build/linux = one base commit ("Linux 7.3.4") + every patch in
# patches/ applied with git am: in file-name order, or, when patches/series
# lists a stack of series (see export.sh), each series' directory in the
# stack's order.  "tree.sh --stamp" only records that the tree and
# patches/ agree (export.sh uses it).
#
# Environment: TREE (default build/linux), PATCHES (default patches),
# KERNEL_SRC (existing tree to copy instead of the Debian tarball),
# BASE_TARBALL (default build/linux-7.3.4.tar.xz), FORCE=1 to discard
# commits in the tree that were never exported.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
TREE=${TREE:-$top/build/linux}
PATCHES=${PATCHES:-$top/patches}
BASE_TARBALL=${BASE_TARBALL:-$top/build/linux-7.3.4.tar.xz}
BASE_MSG="Linux 7.3.4"
stamp=$TREE/.git/series-stamp

die() { echo "tree: $*" >&2; exit 1; }

# Fixed identity and dates so the base commit is reproducible.
git_fixed() {
	GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@invalid \
	GIT_COMMITTER_NAME=base GIT_COMMITTER_EMAIL=base@invalid \
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" \
	GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" git -C "$TREE" "$@"
}

# The directories of the stack, in order ("." for a flat patches/).
series_dirs() {
	if [ -f "$PATCHES/series" ]; then
		awk -F '\t' '$1 != "" && $1 !~ /^#/ { print $1 }' "$PATCHES/series"
	else
		echo .
	fi
}

series_files() {
	local d
	for d in $(series_dirs); do
		if [ "$d" = . ]; then d=$PATCHES; else d=$PATCHES/$d; fi
		[ -d "$d" ] || [ "$d" = "$PATCHES" ] || die "patches/series names $d, which is not a directory"
		find "$d" -maxdepth 1 -name '[0-9]*.patch' ! -name '0000-cover-letter.patch' \
			2>/dev/null | LC_ALL=C sort
	done
}

series_hash() {
	local f
	{ for f in $(series_files); do echo "${f#"$PATCHES"/}"; cat "$f"; done; } | sha256sum | cut -d' ' -f1
}

make_base() {
	echo "tree: creating base commit in $TREE"
	rm -rf "$TREE"
	mkdir -p "$TREE"
	if [ -n "${KERNEL_SRC:-}" ]; then
		[ -f "$KERNEL_SRC/Makefile" ] || die "KERNEL_SRC=$KERNEL_SRC is not a kernel tree"
		# Copy, never modify the tree in place; skip VCS and build output.
		tar -C "$KERNEL_SRC" --exclude=.git --exclude-vcs-ignores -cf - . |
			tar -C "$TREE" -xf -
	else
		"$top/scripts/fetch-base.sh" "$BASE_TARBALL"
		tar -C "$TREE" --strip-components=1 -xJf "$BASE_TARBALL"
	fi
	# Debian's .gitignore ignores everything at the top level (its
	# packaging repository holds only debian/), which would hide every
	# file a patch adds from 'git add'.  Drop that rule from the base.
	if grep -q '^# Debian packaging: ignore everything at the top level' "$TREE/.gitignore" 2>/dev/null; then
		awk '{ l[NR] = $0 }
		     /^# Debian packaging: ignore everything at the top level/ { cut = NR }
		     END { if (l[cut - 1] == "#") cut--
			   while (cut > 1 && l[cut - 1] == "") cut--
			   for (i = 1; i < cut; i++) print l[i] }' \
			"$TREE/.gitignore" > "$TREE/.gitignore.new"
		mv "$TREE/.gitignore.new" "$TREE/.gitignore"
	fi
	git -C "$TREE" init -q -b master
	git -C "$TREE" config core.autocrlf false
	git -C "$TREE" config gc.auto 0
	git -C "$TREE" add -A -f .
	git_fixed commit -q --no-verify -m "$BASE_MSG"
	git -C "$TREE" tag -f base >/dev/null
	# The workspace's own identity signs the series commits.
	for k in user.name user.email; do
		v=$(git -C "$top" config "$k" || true)
		[ -n "$v" ] && git -C "$TREE" config "$k" "$v"
	done
}

apply_series() {
	local f n out file
	git -C "$TREE" reset -q --hard base
	git -C "$TREE" clean -q -fdx -e .git
	n=0
	for f in $(series_files); do
		if ! out=$(git -C "$TREE" am -q --keep-cr --whitespace=nowarn "$f" 2>&1); then
			git -C "$TREE" am --abort >/dev/null 2>&1 || true
			file=$(printf '%s\n' "$out" | sed -n 's/^error: patch failed: \(.*\):[0-9]*$/\1/p' | head -n 1)
			[ -n "$file" ] || file=$(printf '%s\n' "$out" | sed -n 's/^error: \([^:]*\): .*/\1/p' | head -n 1)
			printf '%s\n' "$out" >&2
			die "${f#"$PATCHES"/} does not apply (failing file: ${file:-unknown})"
		fi
		n=$((n + 1))
	done
	tag_series
	echo "tree: applied $n patch(es) on $BASE_MSG"
}

# Tag the last commit of every series of a stack series/DIRECTORY, which
# scripts/check-series.sh checks out (export.sh moves the tags along).
tag_series() {
	local d c=0 last
	git -C "$TREE" tag -l 'series/*' | xargs -r git -C "$TREE" tag -d >/dev/null
	[ -f "$PATCHES/series" ] || return 0
	for d in $(series_dirs); do
		c=$((c + $(find "$PATCHES/$d" -maxdepth 1 -name '[0-9]*.patch' ! -name '0000-cover-letter.patch' | wc -l)))
		last=$(git -C "$TREE" rev-list --reverse base..HEAD | sed -n "${c}p")
		[ -n "$last" ] || last=$(git -C "$TREE" rev-parse base)
		git -C "$TREE" tag -f "series/$d" "$last" >/dev/null
	done
}

write_stamp() {
	printf '%s %s\n' "$(series_hash)" "$(git -C "$TREE" rev-parse HEAD)" > "$stamp"
}

if [ "${1:-}" = --stamp ]; then
	tag_series
	write_stamp
	exit 0
fi

if [ ! -d "$TREE/.git" ] || ! git -C "$TREE" rev-parse -q --verify base >/dev/null; then
	make_base
	apply_series
	write_stamp
	exit 0
fi

want=$(series_hash)
head=$(git -C "$TREE" rev-parse HEAD)
read -r old_hash old_head < "$stamp" 2>/dev/null || { old_hash=; old_head=; }

if [ "$old_hash" = "$want" ] && [ "$old_head" = "$head" ]; then
	echo "tree: $TREE is up to date with patches/"
	exit 0
fi
if [ -n "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] && [ "${FORCE:-0}" != 1 ]; then
	die "$TREE has uncommitted changes; commit them and run 'make export', or FORCE=1 to discard"
fi
if [ "$old_head" != "$head" ] && [ "$old_hash" = "$want" ] && [ "${FORCE:-0}" != 1 ]; then
	die "$TREE has commits that patches/ lacks; run 'make export', or FORCE=1 to discard them"
fi
apply_series
write_stamp
