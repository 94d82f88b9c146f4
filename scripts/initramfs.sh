#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh OUT.cpio.gz LIST [LIST...]
#
# busybox-static, scripts/guest/init, and the static test binaries named by
# the test lists (first word of each line after NAME=value environment
# assignments, relative to build/selftests, or
# an absolute path inside the VM under /kvm for extra programs in
# build/extra).  An extra program's whole directory is copied along (other
# programs it runs, and data/, e.g. the guest that vmm/boot_guest boots).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: initramfs.sh OUT.cpio.gz LIST...}
shift
ST=${SELFTESTS_OUT:-$top/build/selftests}
EXTRA=${EXTRA_OUT:-$top/build/extra}

# BUSYBOX: the guest's busybox (for arm64, the one scripts/deps.sh fetched);
# its applets are listed by the host's busybox, the same Debian version.
hostbb=$(command -v busybox || true)
[ -n "$hostbb" ] || hostbb=/bin/busybox
bb=${BUSYBOX:-$hostbb}
file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
	{ echo "initramfs: need a static busybox (Debian: busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,kvm,etc}
cp "$bb" "$root/bin/busybox"
for applet in $("$hostbb" --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$top/scripts/guest/init" "$root/init"

: > "$root/tests.list"
for list in "$@"; do
	while IFS= read -r line; do
		line=${line%%#*}
		line=$(echo "$line" | sed 's/[[:space:]]*$//')
		[ -n "$line" ] || continue
		# Leading NAME=value words set the test's environment.
		# ... and the program a check runs after "--" (a check that wraps a
		# test, e.g. checks/direct_map_audit -- TEST ARGS).
		bins=$(echo "$line" | awk '{
			for (i = 1; i <= NF; i++) if ($i !~ /^[A-Za-z_][A-Za-z0-9_]*=/) { print $i; break }
			for (; i < NF; i++) if ($i == "--") { print $(i + 1); break } }')
		for bin in $bins; do
			src=
			for d in "$ST" "$EXTRA"; do
				[ -x "$d/$bin" ] && { src=$d/$bin; break; }
			done
			[ -n "$src" ] || { echo "initramfs: $bin (from $list) was not built" >&2; exit 1; }
			mkdir -p "$root/kvm/$(dirname "$bin")"
			if [ "$src" = "$EXTRA/$bin" ]; then
				# Extra programs come with their directory (helpers, data/).
				cp -r "$(dirname "$src")/." "$root/kvm/$(dirname "$bin")/"
			else
				cp "$src" "$root/kvm/$bin"
			fi
		done
		echo "$line" >> "$root/tests.list"
	done < "$list"
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
