#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh [--check]: make sure the host tools are present.  As root on
# Debian, missing packages are installed with apt-get; elsewhere the list is
# printed.  --check only reports (exit 1 when something is missing).
set -euo pipefail

# command:package pairs
need=(qemu-system-x86_64:qemu-system-x86 flex:flex bison:bison bc:bc
      cpio:cpio gzip:gzip xz:xz-utils make:make gcc:gcc git:git perl:perl
      python3:python3 ccache:ccache file:file ar:binutils
      dpkg-deb:dpkg apt-get:apt
      aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
      qemu-system-aarch64:qemu-system-arm)
headers=(/usr/include/libelf.h:libelf-dev /usr/include/openssl/ssl.h:libssl-dev
	 /usr/include/uuid/uuid.h:uuid-dev /bin/busybox:busybox-static
	 /usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring
	 /usr/aarch64-linux-gnu/include/stdio.h:libc6-dev-arm64-cross
	 /usr/share/ovmf/OVMF.fd:ovmf /usr/include/sys/capability.h:libcap-dev)

missing=()
for p in "${need[@]}"; do
	command -v "${p%%:*}" >/dev/null || missing+=("${p#*:}")
done
for p in "${headers[@]}"; do
	[ -e "${p%%:*}" ] || missing+=("${p#*:}")
done
if [ -e /bin/busybox ] && ! file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; then
	missing+=(busybox-static)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: missing: ${missing[*]}"
if [ "${1:-}" = --check ]; then
	exit 1
fi
if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${missing[@]}" ||
		{ apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; }
	exit 0
fi
echo "deps: install these packages (names as in Debian), then retry." >&2
exit 1
