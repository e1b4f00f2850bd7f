#!/usr/bin/env bash
# Configures and builds Drover (RelWithDebInfo, Ninja, ccache when present).
#   BUILD_DIR      build directory (default: build)
#   BUILD_TESTING  ON (default) builds the tests too; OFF only drover and its plugins
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
# Configuring every time is cheap and keeps BUILD_TESTING as asked for this run.
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING="${BUILD_TESTING:-ON}" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
