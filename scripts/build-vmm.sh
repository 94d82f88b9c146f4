#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-vmm.sh: the workspace's small VMM (vmm/boot_guest.c, plain C on the
# kernel's uapi headers, linked statically) into build/extra/vmm/, with the
# guest it boots in build/extra/vmm/data/: the test kernel's bzImage (one
# configuration serves as host and guest) and an initramfs of busybox and
# vmm/guest-init.  initramfs.sh copies data/ next to the program.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
HDR=${HDR:-$top/build/selftests-headers/usr/include}
KERNEL=${KERNEL:-$top/build/kbuild-test/arch/x86/boot/bzImage}
OUT=$top/build/extra/vmm

[ -d "$HDR/linux" ] || { echo "build-vmm: no uapi headers in $HDR (run build-selftests.sh)" >&2; exit 1; }
[ -f "$KERNEL" ] || { echo "build-vmm: no kernel at $KERNEL" >&2; exit 1; }
bb=$(command -v busybox || true)
[ -n "$bb" ] || bb=/bin/busybox
file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
	{ echo "build-vmm: need a static busybox (Debian: busybox-static)" >&2; exit 1; }

mkdir -p "$OUT/data"
gcc -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror -std=gnu11 -static \
	-isystem "$HDR" "$top/vmm/boot_guest.c" -o "$OUT/boot_guest"
install -m 0755 "$top/vmm/guest-boot-bench" "$OUT/guest-boot-bench"
cp "$KERNEL" "$OUT/data/bzImage"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tmp}
cp "$bb" "$root/bin/busybox"
for applet in sh mount cat cut grep head sed dmesg sleep reboot; do
	ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$top/vmm/guest-init" "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -9) \
	> "$OUT/data/guest-initrd.cpio.gz"
echo "build-vmm: $OUT/boot_guest, guest kernel and initramfs in $OUT/data"
