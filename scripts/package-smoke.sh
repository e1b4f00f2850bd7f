#!/usr/bin/env bash
# Builds the Debian package from an existing build (cpack reuses it; nothing
# is compiled), installs it on this machine, checks the installed drover (its
# version, that it finds its plugins under /usr/lib/drover/plugins, man pages,
# completions, a one-task run in a throwaway git repository with the exec
# agent) and removes the package again, also when a check fails.
#   BUILD_DIR  the build directory (default: build); must hold a full build
# Needs root (or sudo) for apt-get. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=$(cd "${BUILD_DIR:-build}" && pwd)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

fail() { echo "package-smoke: FAIL: $*" >&2; exit 1; }

if dpkg-query -W -f='${Status}' drover 2>/dev/null | grep -q "install ok installed"; then
  fail "a drover package is already installed; remove it first (apt-get remove drover) so this test does not replace it"
fi

rm -f "$build_dir"/drover_*.deb
(cd "$build_dir" && cpack -G DEB >/dev/null) || fail "cpack -G DEB failed in $build_dir"
deb=$(ls "$build_dir"/drover_*.deb)
echo "package-smoke: built $deb"
dpkg-deb --contents "$deb" | awk '{print $6}' > "$build_dir/package-contents.txt"
for f in ./usr/bin/drover ./usr/lib/drover/drover-agent-box ./usr/lib/drover/plugins/libdrover-agent-exec.so ./usr/lib/drover/plugins/libdrover-storage-sqlite.so \
         ./usr/lib/drover/plugins/libdrover-vcs-git.so ./usr/include/drover/plugin/abi.h \
         ./usr/lib/cmake/DroverPluginSDK/DroverPluginSDKConfig.cmake ./usr/share/man/man1/drover.1 \
         ./usr/share/man/man1/drover-run.1 ./usr/share/bash-completion/completions/drover \
         ./usr/share/zsh/vendor-completions/_drover ./usr/share/fish/vendor_completions.d/drover.fish \
         ./usr/share/doc/drover/copyright; do
  grep -qxF "$f" "$build_dir/package-contents.txt" || fail "the package lacks $f"
done
if grep -q 'libdrover-vcs-fake' "$build_dir/package-contents.txt"; then fail "the package holds a test-only plugin"; fi

work=$(mktemp -d)
cleanup() {
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq drover >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" >/dev/null \
  || fail "apt-get install $deb failed"

[ "$(command -v drover)" = /usr/bin/drover ] || fail "drover on PATH is $(command -v drover), not /usr/bin/drover"
version=$(/usr/bin/drover --version)
echo "package-smoke: $version"
[ -n "$version" ] || fail "drover --version printed nothing"

plugins=$(cd "$work" && /usr/bin/drover plugins list)
echo "$plugins"
for p in exec claude codex amp opencode sqlite postgres git; do
  grep -q "^$p .*/usr/lib/drover/plugins/" <<<"$plugins" || fail "plugins list does not show $p from /usr/lib/drover/plugins"
done

man -w drover >/dev/null || fail "man drover finds no page"
man -w drover-worktree >/dev/null || fail "man drover-worktree finds no page"
bash -c 'source /usr/share/bash-completion/completions/drover && COMP_WORDS=(drover wor) COMP_CWORD=1 && _drover && [ "${COMPREPLY[*]}" = worktree ]' \
  || fail "the installed bash completion does not complete 'drover wor'"

# One task, end to end, with the exec agent writing a file.
repo="$work/repo"
mkdir -p "$repo"
cd "$repo"
git init -q -b main
git config user.name "Package smoke"
git config user.email "smoke@drover.invalid"
echo "# smoke" > README.md
git add README.md
git commit -q -m "Initial commit"
/usr/bin/drover init >/dev/null
cat > "$work/agent.sh" <<'AGENT'
#!/usr/bin/env bash
set -euo pipefail
echo "done by ${DROVER_TASK_ID:?}" > smoke.txt
echo '{"status":"success","summary":"wrote smoke.txt"}'
AGENT
chmod +x "$work/agent.sh"
cat > drover.yaml <<YAML
workers: 1
target_branch: main
storage: { plugin: sqlite }
vcs: { plugin: git }
default_agent: smoke
agents:
  smoke:
    plugin: exec
    config:
      command: ["$work/agent.sh", "{prompt_file}"]
YAML
id=$(/usr/bin/drover add "Write smoke.txt")
NO_COLOR=1 /usr/bin/drover run || fail "drover run failed"
/usr/bin/drover status --json | grep -q '"status": "completed"' || fail "task $id is not completed"
git show main:smoke.txt | grep -q "done by $id" || fail "main does not hold the task's smoke.txt"
echo "package-smoke: OK ($deb installed, checked, and removed)"
