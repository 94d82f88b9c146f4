# SPDX-License-Identifier: GPL-2.0
#
# private-apt.sh: sourced by the scripts that fetch Debian packages the host
# does not install (fetch-arm64.sh, fetch-qemu-trixie.sh).
#
# private_apt DIR [APT-OPTION...] -- SUITE-LINE...: a private apt state in
# DIR (its own sources.list, lists and cache; the host's apt configuration,
# dpkg and locks are left alone) whose sources are the given lines, each
# "ARCH SUITE" on the Debian mirror in $mirror, signed by Debian's archive
# keyring; updates its lists and sets the array apt_opts for apt-get and
# apt-cache.  Needs die() from the caller.
private_apt() {
	local dir=$1 keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	local extra=() line

	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		extra+=("$1")
		shift
	done
	shift
	[ -n "${mirror:-}" ] || die "no Debian mirror in the host's apt configuration"
	[ -r "$keyring" ] || die "no $keyring (Debian: debian-archive-keyring)"

	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	: > "$dir/sources.list"
	for line in "$@"; do
		echo "deb [arch=${line%% *} signed-by=$keyring] $mirror ${line#* } main" >> "$dir/sources.list"
	done
	apt_opts=(-o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		  -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache"
		  "${extra[@]}" -o Debug::NoLocking=1 -o APT::Sandbox::User=root -q)
	apt-get "${apt_opts[@]}" update >/dev/null || die "apt-get update (private state in $dir) failed"
}
