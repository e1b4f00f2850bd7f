#!/usr/bin/env bash
# Installs everything Drover needs to build and test, from Debian 12 packages only.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git python3
  libboost-dev libboost-filesystem-dev libboost-system-dev
  libsqlite3-dev libpqxx-dev libgit2-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev nlohmann-json3-dev libcli11-dev
  postgresql-15 postgresql-client-15
  zsh fish man-db  # the completion and man page tests run the real shells and man
  iproute2  # the multihost tests build network namespaces with `ip`
)
# The real-agents tests: the agent CLIs and tests/real_agents/model_server.js.
# Debian's nodejs and npm, unless a node with its npm is already installed (a
# NodeSource nodejs bundles npm, and Debian's npm package cannot be installed
# next to it).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
