#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages runtime-watch needs to build, run and test. Idempotent.
# The Swift 6 toolchain itself is expected on PATH (swift.org tarball or swiftly); Debian has none.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  libseccomp-dev libcap-dev          # linked by CShims (self-hardening, capability names)
  python3-yaml systemd               # tests: parse deploy/kubernetes manifests, `systemd-analyze verify` the unit
  runc busybox-static iproute2       # live tests: real containers, network namespaces
  netcat-openbsd ncat socat python3 curl procps   # live tests: listeners, reverse-shell techniques, probes
  gawk nodejs openssl                # live tests: awk /inet, node child_process and TLS reverse shells
  ruby php-cli lua5.4 lua-socket     # live tests: command loops in more interpreter families
  forkstat                           # benchmarks: the side-by-side reference for exec capture
  xz-utils                           # tests and benchmarks: unpack bench/traces/busy-host.jsonl.xz
  libcap2-bin                        # tests: setcap on a fixture executable (file capabilities read at exec)
)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v swift >/dev/null; then
  echo "setup-debian.sh: no 'swift' on PATH: install the Swift 6 toolchain first (https://www.swift.org/install/linux/)" >&2
  exit 1
fi
