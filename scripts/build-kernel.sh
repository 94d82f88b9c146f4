#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh [test|debug|modular|off|arm64]
#
# tinyconfig + configs/test.config (+ configs/<variant>.config), checked so
# that every option the fragments set survived olddefconfig, then bzImage
# (test, debug, off: the series with its option off) or vmlinux + modules +
# modpost (modular).  arm64 is
# tinyconfig + configs/arm64.config, cross-built (aarch64-linux-gnu-) into
# arch/arm64/boot/Image.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
variant=${1:-test}
TREE=${TREE:-$top/build/linux}
OUT=${OUTDIR:-$top/build/kbuild-$variant}
JOBS=${JOBS:-$(nproc)}

die() { echo "build-kernel: $*" >&2; exit 1; }

frags=("$top/configs/test.config")
arch=()
cross=
case $variant in
test) ;;
debug|modular|off) frags+=("$top/configs/$variant.config") ;;
arm64)
	frags=("$top/configs/arm64.config")
	cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
	command -v "${cross}gcc" >/dev/null ||
		die "no ${cross}gcc (Debian: gcc-aarch64-linux-gnu; make deps)"
	arch=(ARCH=arm64 CROSS_COMPILE="$cross")
	;;
*) die "unknown variant '$variant' (test, debug, modular, off, arm64)" ;;
esac

cc=${cross}gcc
hostcc=gcc
if command -v ccache >/dev/null; then
	cc="ccache $cc"
	hostcc="ccache gcc"
	export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ccache}
	export CCACHE_BASEDIR=$top
	export CCACHE_NOHASHDIR=1
	export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
fi
mk=(make -C "$TREE" O="$OUT" -j"$JOBS" "${arch[@]}" CC="$cc" HOSTCC="$hostcc" -s
    KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=kvm KBUILD_BUILD_HOST=nodirectmap)

# Generate the config in a scratch directory; replace .config only when it
# changes, so an unchanged configuration keeps incremental builds cheap.
mkdir -p "$OUT"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
make -C "$TREE" O="$scratch" "${arch[@]}" -s tinyconfig >/dev/null
"$TREE/scripts/kconfig/merge_config.sh" -m -O "$scratch" "$scratch/.config" "${frags[@]}" >/dev/null
make -C "$TREE" O="$scratch" "${arch[@]}" -s olddefconfig >/dev/null

# Every option the fragments set (last fragment wins) must be set as asked.
dropped=$(awk '
	/^CONFIG_[A-Za-z0-9_]+=/ { split($0, kv, "="); want[kv[1]] = $0; next }
	/^# CONFIG_[A-Za-z0-9_]+ is not set/ { want[$2] = $2 "=n"; next }
	END { for (k in want) print want[k] }' "${frags[@]}" | LC_ALL=C sort |
	while IFS= read -r line; do
		opt=${line%%=*}
		val=${line#*=}
		got=$(grep -E "^$opt=" "$scratch/.config" | head -n 1 | cut -d= -f2- || true)
		if [ "$val" = n ]; then
			[ -z "$got" ] || echo "  $opt: asked n, got $got"
		elif [ "$got" != "$val" ]; then
			echo "  $opt: asked $val, got ${got:-unset}"
		fi
	done)
# Bisect builds of early commits lack options that later patches add.
if [ -n "$dropped" ]; then
	if [ "${ALLOW_DROPPED:-0}" != 1 ]; then
		echo "build-kernel: options dropped by olddefconfig ($variant):" >&2
		echo "$dropped" >&2
		exit 1
	fi
	echo "build-kernel: note: options this tree lacks ($variant, ALLOW_DROPPED=1):" >&2
	echo "$dropped" >&2
fi
if ! cmp -s "$scratch/.config" "$OUT/.config"; then
	cp "$scratch/.config" "$OUT/.config"
fi

start=$(date +%s)
case $variant in
modular)
	"${mk[@]}" vmlinux modules
	echo "build-kernel: modular build and modpost ok ($(( $(date +%s) - start ))s)"
	;;
arm64)
	"${mk[@]}" Image
	echo "build-kernel: $OUT/arch/arm64/boot/Image ($(( $(date +%s) - start ))s)"
	;;
*)
	"${mk[@]}" bzImage
	echo "build-kernel: $OUT/arch/x86/boot/bzImage ($(( $(date +%s) - start ))s)"
	;;
esac
