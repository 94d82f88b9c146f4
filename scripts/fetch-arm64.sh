#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-arm64.sh: what the arm64 leg needs beyond Debian packages of the
# host's own architecture, without changing the host's apt configuration
# or dpkg architecture list:
#
#  - build/arm64/busybox: Debian's busybox-static for arm64 (the guest's
#    shell and tools in the arm64 test VM's initramfs);
#  - build/qemu/: QEMU ${QEMU_VERSION} from Debian's bookworm-backports
#    (qemu-system-aarch64), unpacked, not installed.  The -cpu max of
#    Debian 12's QEMU 7.2 has FEAT_S2FWB but neither CTR_EL0.DIC, without
#    which KVM does not offer the flag on arm64, nor FEAT_NV2 (nested
#    virtualization); scripts/arm64.sh uses 7.2 for the refusal.
#
# Packages come from the Debian mirror that the host's apt configuration
# names, through a private apt state in build/apt/.  Nothing is fetched when
# the files are there already.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
QEMU_VERSION=1:10.0.2+ds-2+deb13u1~bpo12+1
A=$top/build/apt
bb=$top/build/arm64/busybox
qemu=$top/build/qemu/usr/bin/qemu-system-aarch64

die() { echo "fetch-arm64: $*" >&2; exit 1; }

# The Debian archive the host uses (deb822 or one-line format), from
# APT_ETC (default /etc/apt); --print-mirror prints it and stops.
E=${APT_ETC:-/etc/apt}
mirror=$(cat "$E"/sources.list.d/*.sources 2>/dev/null |
	 awk '/^URIs:/ { print $2 }' | grep -v -- '-security' | head -n 1 || true)
if [ -z "$mirror" ]; then
	mirror=$(cat "$E"/sources.list "$E"/sources.list.d/*.list 2>/dev/null |
		 awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' |
		 grep -v -- '-security' | head -n 1 || true)
fi
if [ "${1:-}" = --print-mirror ]; then
	[ -n "$mirror" ] && echo "$mirror"
	exit 0
fi
[ -x "$bb" ] && [ -x "$qemu" ] && exit 0
. "$top/scripts/private-apt.sh"
private_apt "$A" -o APT::Architectures::=arm64 -- "arm64 bookworm" "amd64 bookworm-backports"
mkdir -p "$A/debs"

cd "$A/debs"
if [ ! -x "$bb" ]; then
	rm -f busybox-static_*_arm64.deb
	apt-get "${apt_opts[@]}" download busybox-static:arm64 >/dev/null ||
		die "cannot download busybox-static:arm64"
	rm -rf "$A/bb" && mkdir -p "$A/bb" "$(dirname "$bb")"
	dpkg-deb -x busybox-static_*_arm64.deb "$A/bb"
	install -m 0755 "$A/bb/bin/busybox" "$bb"
	file -L "$bb" | grep -q 'ARM aarch64.*statically linked' ||
		die "$bb is not a static arm64 binary"
	echo "fetch-arm64: $bb"
fi
if [ ! -x "$qemu" ]; then
	rm -f qemu-system-arm_*.deb
	apt-get "${apt_opts[@]}" download "qemu-system-arm:amd64=$QEMU_VERSION" >/dev/null ||
		die "cannot download qemu-system-arm $QEMU_VERSION"
	rm -rf "$top/build/qemu"
	dpkg-deb -x qemu-system-arm_*.deb "$top/build/qemu"
	missing=$(ldd "$qemu" | awk '/not found/ { print $1 }')
	[ -z "$missing" ] || die "QEMU $QEMU_VERSION needs libraries the host lacks: $missing"
	echo "fetch-arm64: $("$qemu" --version | head -n 1) in $top/build/qemu"
fi
