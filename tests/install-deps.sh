#!/bin/bash
# Install, from Debian's packages, whatever the build and the tests need and
# this machine lacks. Nothing is installed when everything is there; the
# package lists are refreshed at most once, and only when something is
# missing.
#
#   tests/install-deps.sh          everything `make test` needs
#   tests/install-deps.sh build    only what `make build` and `make demo` need
set -euo pipefail

# Debian package -> how to tell it is usable here.
declare -A probe=(
	[bats]='command -v bats'
	[jq]='command -v jq'
	[busybox-static]='dpkg_installed busybox-static'
	[libseccomp-dev]='pkg-config --exists libseccomp && dpkg_installed libseccomp-dev'
	[pkgconf]='command -v pkg-config'
	[gcc]='command -v gcc'
	[musl-tools]='command -v musl-gcc'
	[libc6-dev]='dpkg_installed libc6-dev'
	[runc]='command -v runc'
	[util-linux]='command -v unshare'
	[bsdutils]='command -v script'
	[strace]='command -v strace'
	[uidmap]='command -v newuidmap && command -v newgidmap'
)
# pkgconf first: the libseccomp-dev probe needs pkg-config.
case ${1:-all} in
build) order=(pkgconf gcc musl-tools libc6-dev libseccomp-dev busybox-static util-linux) ;;
all) order=(pkgconf gcc musl-tools libc6-dev bats jq busybox-static libseccomp-dev runc util-linux bsdutils strace uidmap) ;;
*)
	echo "usage: $0 [build]" >&2
	exit 2
	;;
esac

dpkg_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

missing=()
for pkg in "${order[@]}"; do
	if ! eval "${probe[$pkg]}" >/dev/null 2>&1; then
		missing+=("$pkg")
	fi
done

go_bin=$(command -v go || echo /usr/local/go/bin/go)
if ! [ -x "$go_bin" ]; then
	echo "install-deps: no Go toolchain found (go on PATH or /usr/local/go/bin/go);" \
		"go.mod needs $(awk '$1 == "go" {print $2}' "$(dirname "$0")/../go.mod") or newer" >&2
	exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: everything is installed"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages ${missing[*]}; run as root or install them" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null

still=()
for pkg in "${missing[@]}"; do
	eval "${probe[$pkg]}" >/dev/null 2>&1 || still+=("$pkg")
done
if [ ${#still[@]} -ne 0 ]; then
	echo "install-deps: still unusable after apt-get install: ${still[*]}" >&2
	exit 1
fi
