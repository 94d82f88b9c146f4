#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-base.sh DEST_TARBALL
#
# Provide the pinned Linux 7.3.4 source tarball (Debian's linux-source-7.3,
# 7.3.4-1~bpo13+1) at DEST_TARBALL.  Sources, first that applies:
#   1. $KERNEL_SRC: an existing tree (handled by tree.sh, not here)
#   2. a cached tarball in $XDG_CACHE_HOME whose SHA-256 matches
#   3. the Debian binary package, fetched with apt-get download using a
#      private apt state (the machine's apt configuration is never touched;
#      the mirror URI is read from the machine's existing sources)
set -euo pipefail

DEB_PKG=linux-source-7.3
DEB_VER=7.3.4-1~bpo13+1
DEB_SUITE=trixie-backports
DEB_SHA256=703e369ddd4cce971452f5a593ee55df3a5c10c83caf0fa0df039633ed181ee3
TAR_PATH=usr/src/linux-source-7.3.tar.xz
TAR_SHA256=76df1affb19f24926949369be1d74b60071c963c598ce8780bddd4bbf0fc3bc4

dest=${1:?usage: fetch-base.sh DEST_TARBALL}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kvm-nodirectmap
cached=$cache/linux-source-7.3.4.tar.xz

die() { echo "fetch-base: $*" >&2; exit 1; }

check_sum() { # file want what
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$2" ] ||
		die "SHA-256 mismatch for $3 ($1): expected $2, got $got"
}

if [ -f "$dest" ] && [ "$(sha256sum "$dest" | cut -d' ' -f1)" = "$TAR_SHA256" ]; then
	exit 0
fi

if [ -f "$cached" ]; then
	check_sum "$cached" "$TAR_SHA256" "cached tarball"
	echo "fetch-base: using cached $cached"
	mkdir -p "$(dirname "$dest")"
	cp "$cached" "$dest.tmp" && mv "$dest.tmp" "$dest"
	exit 0
fi

# Mirror URI from the machine's apt sources (deb822 or one-line format).
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	mirror=$(
		{ cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
			awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
		{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++)
				if ($i ~ /^[a-z]+:\/\//) { print $i; break } }'
	)
	mirror=$(printf '%s\n' "$mirror" | grep -v -- '-security' | grep -E '/debian/?$' | head -n 1 || true)
fi
if [ -z "$mirror" ] || ! command -v apt-get >/dev/null; then
	cat >&2 <<MSG
fetch-base: cannot find the Linux 7.3.4 base.  Provide one of:
  KERNEL_SRC=/path/to/linux-7.3.4      an existing tree (not modified)
  $cached
                                       linux-source-7.3.tar.xz, SHA-256 $TAR_SHA256
  DEBIAN_MIRROR=http://.../debian      a Debian mirror serving $DEB_SUITE
MSG
	exit 1
fi

keyring=
for k in /usr/share/keyrings/debian-archive-keyring.gpg \
	 /usr/share/keyrings/debian-archive-trixie-automatic.gpg; do
	[ -f "$k" ] && { keyring=$k; break; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{lists/partial,cache/archives/partial,etc/sources.list.d,etc/preferences.d,etc/apt.conf.d,dl}
if [ -n "$keyring" ]; then
	signed="[signed-by=$keyring]"
else
	signed="[trusted=yes]"	# the .deb's SHA-256 is verified below
fi
echo "deb $signed $mirror $DEB_SUITE main" > "$work/etc/sources.list"
aptopts=(-o "Dir::Etc::sourcelist=$work/etc/sources.list"
	 -o "Dir::Etc::sourceparts=$work/etc/sources.list.d"
	 -o "Dir::Etc::preferencesparts=$work/etc/preferences.d"
	 -o "Dir::Etc::parts=$work/etc/apt.conf.d"
	 -o "Dir::State::Lists=$work/lists"
	 -o "Dir::State::status=/dev/null"
	 -o "Dir::Cache=$work/cache"
	 -o "APT::Get::List-Cleanup=false"
	 -o "Debug::NoLocking=true"
	 -o "APT::Sandbox::User=root")

echo "fetch-base: downloading $DEB_PKG=$DEB_VER from $DEB_SUITE"
apt-get "${aptopts[@]}" -q update >&2 || die "apt-get update failed (private state in $work)"
(cd "$work/dl" && apt-get "${aptopts[@]}" -q download "$DEB_PKG=$DEB_VER") >&2 ||
	die "apt-get download $DEB_PKG=$DEB_VER failed"
deb=$(ls "$work"/dl/*.deb)
check_sum "$deb" "$DEB_SHA256" "$DEB_PKG $DEB_VER .deb"

dpkg-deb -x "$deb" "$work/x" 2>/dev/null || {
	mkdir -p "$work/x" && (cd "$work/x" && ar x "$deb" && tar xf data.tar.*)
}
check_sum "$work/x/$TAR_PATH" "$TAR_SHA256" "$TAR_PATH"

mkdir -p "$cache" "$(dirname "$dest")"
cp "$work/x/$TAR_PATH" "$cached.tmp" && mv "$cached.tmp" "$cached"
cp "$cached" "$dest.tmp" && mv "$dest.tmp" "$dest"
echo "fetch-base: cached $cached"
