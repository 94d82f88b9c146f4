#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-qemu-trixie.sh: QEMU 11.1.3 for x86 from Debian's trixie-backports,
# for comparing the check-debug soak under it with Debian 12's QEMU 7.2
# (scripts/soak-compare.sh).  Its libraries, glibc included, come from
# trixie too: the packages of its dependency closure are unpacked into
# build/qemu-trixie/root, and build/qemu-trixie/bin/qemu-system-x86_64
# runs it through trixie's dynamic loader, with trixie's firmware.  Uses a
# private apt state in build/apt-trixie (the host's apt configuration and
# packages are left alone; the mirror is the one apt already uses).
# Prints the wrapper's path.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
VERSION=1:11.1.3+ds-2~bpo13+1
A=$top/build/apt-trixie
Q=$top/build/qemu-trixie
wrapper=$Q/bin/qemu-system-x86_64

die() { echo "fetch-qemu-trixie: $*" >&2; exit 1; }

if [ -x "$wrapper" ] && "$wrapper" --version | grep -q "version 11.1.3"; then
	echo "$wrapper"
	exit 0
fi
mirror=$("$top/scripts/fetch-arm64.sh" --print-mirror)
. "$top/scripts/private-apt.sh"
private_apt "$A" -- "amd64 trixie" "amd64 trixie-backports"

# The dependency closure: libraries, and the x86 firmware QEMU loads.
mapfile -t pkgs < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends \
	--no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
	"qemu-system-x86=$VERSION" | grep -v '^[ <]' | sort -u |
	grep -E '^(lib|qemu-system-(x86|common|data)$|ipxe-qemu$|seabios$)')
[ ${#pkgs[@]} -gt 10 ] || die "no dependency closure for qemu-system-x86 $VERSION"
rm -rf "$A/debs" "$Q"
mkdir -p "$A/debs" "$Q/root" "$Q/bin"
for p in "${pkgs[@]}"; do
	[ "$p" = qemu-system-x86 ] && p="qemu-system-x86=$VERSION"
	(cd "$A/debs" && apt-get "${apt_opts[@]}" download "$p" >/dev/null) ||
		die "cannot download $p"
done
for d in "$A"/debs/*.deb; do
	dpkg-deb -x "$d" "$Q/root"
done
R=$Q/root
cat > "$wrapper" <<EOS
#!/bin/sh
# QEMU $VERSION with trixie's libraries and firmware (scripts/fetch-qemu-trixie.sh).
exec "$R/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \\
	--library-path "$R/usr/lib/x86_64-linux-gnu:$R/lib/x86_64-linux-gnu" \\
	"$R/usr/bin/qemu-system-x86_64" -L "$R/usr/share/qemu" -L "$R/usr/share/seabios" "\$@"
EOS
chmod +x "$wrapper"
"$wrapper" --version | grep -q "version 11.1.3" || die "$wrapper does not run"
echo "$wrapper"
