#!/usr/bin/env bash
# One-step install for a fresh Debian machine with Node 20 + npm: the system packages the tests
# use, pnpm at the pinned version, the workspace's dependencies, then a build of every package.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: what the real-kernel tests and fixtures use (gcc builds test binaries,
# sys/sdt.h makes a USDT fixture, iproute2 cross-checks netlink, util-linux mounts and setpriv).
APT_PACKAGES=(gcc libc6-dev binutils systemtap-sdt-dev iproute2 util-linux clang-19 libbpf-dev bpftool)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: warning: missing Debian packages (install them as root): ${missing[*]}" >&2
  fi
fi

if [ "$(pnpm --version 2>/dev/null)" != "12.4.2" ]; then
  npm i -g --allow-scripts=pnpm pnpm@12.4.2
fi
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
pnpm install --frozen-lockfile
pnpm build
