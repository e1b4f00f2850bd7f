#!/usr/bin/env bash
# README command 1: installs what is needed, builds Drover, and runs its main
# job on the embedded default: a throwaway git repository, a plan of 10 tasks
# (some parallel, some depending on others), real agent processes (the `exec`
# agent running examples/demo/agent.sh), SQLite as the store. Ends by showing
# the merged history.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
# DROVER_BIN: use an already built drover (the demo's own test does) instead
# of installing and building.
if [ -n "${DROVER_BIN:-}" ]; then
  drover=$DROVER_BIN
else
  bash scripts/install-deps.sh
  BUILD_TESTING=${BUILD_TESTING:-OFF} bash scripts/build.sh
  drover="$src/${BUILD_DIR:-build}/bin/drover"
fi

demo=$(mktemp -d /tmp/drover-demo.XXXXXX)
echo "demo: repository in $demo"
cd "$demo"
git init -q -b main
git config user.name "Drover Demo"
git config user.email "demo@drover.invalid"
mkdir -p notes
echo "# Demo project" > README.md
git add README.md && git commit -qm "Initial commit"

"$drover" init
# The demo's drover.yaml runs the bundled agent script by absolute path.
agent_path=$src/examples/demo/agent.sh
sed "s|@AGENT@|$agent_path|" "$src/examples/demo/drover.yaml" > "$demo/drover.yaml"
"$drover" config check

e1=$("$drover" epic add "Greeter" -d "A tiny greeting library")
a=$("$drover" add "Write the greeting format spec" --epic "$e1" --priority high)
b=$("$drover" add "Implement English greetings" --epic "$e1" --blocked-by "$a")
c=$("$drover" add "Implement French greetings" --epic "$e1" --blocked-by "$a")
d=$("$drover" add "Implement Spanish greetings" --epic "$e1" --blocked-by "$a")
e=$("$drover" add "Write the greeting tests" --epic "$e1" --blocked-by "$b,$c,$d")
f=$("$drover" add "Document the command line" -d "Usage and examples")
"$drover" add "Document options" --parent "$f" >/dev/null
"$drover" add "Document examples" --parent "$f" >/dev/null
g=$("$drover" add "Add a changelog" --priority low)
"$drover" add "Prepare the release notes" --blocked-by "$e,$f,$g" >/dev/null

"$drover" status --tree
"$drover" run --workers 3
echo
git --no-pager log --graph --oneline --all -n 40
echo
echo "demo: done; explore it with: cd $demo && $drover status"
[ "${DROVER_DEMO_CLEANUP:-0}" = 1 ] && rm -rf "$demo"
exit 0
