#!/usr/bin/env bash
# README command 2: installs what is needed, starts a throwaway PostgreSQL 15 on
# 127.0.0.1, builds everything and runs the whole test suite (chaos and slow
# tests included, at bounded sizes). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
DROVER_TEST_POSTGRES_URL=$(bash scripts/start-postgres.sh | tail -1)
export DROVER_TEST_POSTGRES_URL
echo "test: PostgreSQL at $DROVER_TEST_POSTGRES_URL"
BUILD_TESTING=ON bash scripts/build.sh
build_dir=${BUILD_DIR:-build}
cd "$build_dir"
# --no-tests=error: a build that registered no tests is a failure, not a pass.
ctest --output-on-failure --no-tests=error --timeout 900 -j 2 "$@"
