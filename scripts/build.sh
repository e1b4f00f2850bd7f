#!/usr/bin/env bash
# Configures and builds Drover (RelWithDebInfo, Ninja, ccache when present).
#   BUILD_DIR      build directory (default: build)
#   BUILD_TESTING  ON (default) builds the tests too; OFF only drover and its plugins
#   DROVER_REAL_AGENTS  1 registers the real-agents tests (the real agent CLIs, from the npm registry)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
# Configuring every time is cheap and keeps BUILD_TESTING as asked for this run.
real_agents=OFF
if [ "${DROVER_REAL_AGENTS:-0}" = 1 ]; then real_agents=ON; fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING="${BUILD_TESTING:-ON}" \
  -DDROVER_REAL_AGENTS="$real_agents" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
