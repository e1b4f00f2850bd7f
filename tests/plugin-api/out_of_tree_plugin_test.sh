#!/usr/bin/env bash
# Installs the SDK into a temporary prefix, builds docs/examples/hello-agent
# out of tree with find_package(DroverPluginSDK), then checks that drover
# inspects and lists the result and that it exports only its entry point.
set -euo pipefail
build_dir=$1
source_dir=$2
drover=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
cmake -S "$source_dir/docs/examples/hello-agent" -B "$tmp/hello" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/hello" >/dev/null
plugin="$tmp/hello/libdrover-agent-hello.so"
[ -f "$plugin" ] || { echo "FAIL: $plugin was not built"; exit 1; }

exports=$(nm -D --defined-only "$plugin" | awk '$2 ~ /^[TDBRVW]$/ {print $3}')
[ "$exports" = "drover_plugin_entry_v1" ] || { echo "FAIL: exports are not just the entry point: $exports"; exit 1; }

out=$("$drover" plugins inspect "$plugin")
echo "$out"
grep -q '^name:       hello$' <<<"$out" || { echo "FAIL: inspect did not show name hello"; exit 1; }
grep -q '^kind:       agent$' <<<"$out" || { echo "FAIL: inspect did not show kind agent"; exit 1; }
grep -q '^abi:        1.6$' <<<"$out" || { echo "FAIL: inspect did not show ABI 1.6"; exit 1; }

mkdir -p "$tmp/project"
printf 'plugin_dirs: ["%s"]\n' "$tmp/hello" > "$tmp/project/drover.yaml"
list=$(cd "$tmp/project" && "$drover" plugins list)
echo "$list"
grep -Eq '^hello +agent +1\.0\.0 +1\.6 +.*libdrover-agent-hello\.so$' <<<"$list" || { echo "FAIL: list did not show the hello plugin"; exit 1; }
json=$(cd "$tmp/project" && "$drover" plugins list --json)
grep -q '"name": "hello"' <<<"$json" || { echo "FAIL: list --json did not show hello"; exit 1; }
grep -q '"config_schema": "{}  # the hello agent takes no settings"' <<<"$json" || { echo "FAIL: the config schema did not reach drover"; exit 1; }
echo "PASS"
