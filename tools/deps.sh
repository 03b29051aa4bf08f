#!/usr/bin/env bash
# deps.sh — checks for, or installs, the Debian packages zt builds and tests
# with. `deps.sh check` names what is missing for a build; `deps.sh install`
# installs whatever build or test package is missing (apt-get, as root);
# `deps.sh install-only PKG...` installs those (the benchmarks' extras).
set -euo pipefail

BUILD_PKGS=(gcc make pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libyaml-dev libmnl-dev
	    libc-ares-dev linux-libc-dev android-libboringssl-dev)
TEST_PKGS=(iproute2 qemu-system-x86 busybox-static cpio binutils curl python3 valgrind
	   bind9-dnsutils dnsmasq-base ethtool openssh-client openssh-server
	   nftables nginx openssl socat) # nftables: the alternative bench/bench_control.sh measures against;
	   # nginx, openssl, socat: the servers and certificates of tests/netns/proxy.sh

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
			|| printf '%s ' "$p"
	done
}

case "${1:-}" in
check)
	m=$(missing "${BUILD_PKGS[@]}")
	if [ -n "$m" ]; then
		echo "zt: missing Debian packages for the build: $m" >&2
		echo "zt: run 'make deps' as root, or: apt-get install $m" >&2
		exit 1
	fi
	;;
install | install-only)
	if [ "$1" = install ]; then
		m=$(missing "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
	else
		shift
		m=$(missing "$@")
	fi
	if [ -z "$m" ]; then
		[ "$1" = install ] && echo "zt: all build and test packages are installed"
		exit 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "zt: installing $m needs root" >&2
		exit 1
	fi
	echo "zt: installing $m"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# Packages with daemons (openssh-server, nsd) must not start them: the
	# suites and benchmarks run their own, in namespaces. policy-rc.d says
	# no, for this install only.
	prc=/usr/sbin/policy-rc.d made=
	if [ ! -e "$prc" ]; then
		printf '#!/bin/sh\nexit 101\n' > "$prc" && chmod 755 "$prc" && made=1
	fi
	rc=0
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $m || rc=$?
	if [ -n "$made" ]; then rm -f "$prc"; fi
	exit "$rc"
	;;
*)
	echo "usage: $0 check|install|install-only PKG..." >&2
	exit 2
	;;
esac
