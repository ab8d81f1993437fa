#!/bin/bash
# Install the engines the end-to-end tests drive, from Debian's packages,
# when they are missing. Services the packages ship are not started (the
# tests start their own containerd).
set -euo pipefail

# Debian package -> how to tell it is usable here.
declare -A probe=(
	[containerd]='command -v containerd && command -v ctr && command -v containerd-shim-runc-v2'
	[podman]='command -v podman'
	[conmon]='command -v conmon'
	[catatonit]='command -v catatonit'
	[umoci]='command -v umoci'
	[containernetworking-plugins]='test -x /usr/lib/cni/bridge'
	[iproute2]='command -v ip'
	[jq]='command -v jq'
	[busybox-static]='dpkg-query -W -f="\${Status}" busybox-static | grep -q "ok installed"'
	[runc]='command -v runc'
	[util-linux]='command -v unshare && command -v nsenter'
)
order=(containerd runc podman conmon catatonit umoci containernetworking-plugins iproute2 jq busybox-static util-linux)

missing=()
for pkg in "${order[@]}"; do
	eval "${probe[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "engines/install-deps: everything is installed"
	exit 0
fi
echo "engines/install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A policy that forbids starting services: there is no init to start them
# with, and the tests want no system containerd.
policy_created=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	policy_created=1
fi
st=0
{ apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null ||
	{ apt-get update -q </dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; }; } || st=$?
[ -n "$policy_created" ] && rm -f /usr/sbin/policy-rc.d
[ $st = 0 ] || exit $st

still=()
for pkg in "${missing[@]}"; do
	eval "${probe[$pkg]}" >/dev/null 2>&1 || still+=("$pkg")
done
if [ ${#still[@]} -ne 0 ]; then
	echo "engines/install-deps: still unusable after apt-get install: ${still[*]}" >&2
	exit 1
fi
