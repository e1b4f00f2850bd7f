#!/usr/bin/env bash
# A full disk under a real run, inside a private mount namespace (run it with
# `unshare -m --propagation private`): the repository, .drover and the
# worktrees live on a 24 MiB tmpfs; three tasks each write 5 MB, so the disk
# fills during agent output, commits and merges. The run (--on-disk-full
# stop) must stop by itself, say so once and leave the user's checkout
# clean; after the tmpfs grows (space freed), `drover resume` must finish
# every task, each merged once, with the checkout clean.
#   disk_full_scenario.sh <drover binary> <dir of big_agent.sh> <empty mount point>
# Prints "figure: ..." lines and exits non-zero on the first broken promise.
set -uo pipefail
drover=$1 agents=$2 mnt=$3
fail() { echo "FAILED: $*"; exit 1; }
source "$(dirname "$0")/disk_full_run.sh"
export FAULT_DIR=$mnt
repository_on_tmpfs "$mnt" 24m
echo "# disk full" > README.md && git add README.md && git commit -qm init
drover_init_here "$drover"
cat > drover.yaml <<YAML
workers: 2
target_branch: main
storage: { plugin: sqlite }
vcs: { plugin: git }
default_agent: big
disk: { min_free: 2MiB }
agents:
  big:
    plugin: exec
    config:
      command: ["bash", "$agents/big_agent.sh"]
      env: { FAULT_DIR: "$mnt" }
    sandbox: { write_paths: ["$mnt"] }  # the agent's trace lives there, beside the repository
tasks: { timeout: 1m, max_attempts: 2, backoff: { initial: 100ms, max: 500ms } }
YAML
for i in 1 2 3; do "$drover" add "Write blob $i" >/dev/null || fail "add"; done

run_until_stopped_by_full_disk "$drover" "$mnt/run.out" "agent output, commits, merges"
# While the disk is still full a merge's update of the checkout may be unable
# to finish; it is recorded, and finished first by the next run.
echo "figure: checkout while the disk is still full: $(git status --porcelain | wc -l) paths not at the tip"

# Space is freed; the run is resumed.
mount -o remount,size=200m "$mnt" || fail "remount"
NO_COLOR=1 timeout 120 "$drover" resume > "$mnt/resume.out" 2>&1
rc=$?
cat "$mnt/resume.out"
[ "$rc" = 0 ] || fail "resume exited $rc"
dirty=$(git status --porcelain)
[ -z "$dirty" ] || fail "after resume the checkout is not clean: $dirty"
for t in t1 t2 t3; do
  n=$(git log main --no-merges --format='%(trailers:key=Drover-Task,valueonly)' | grep -cx "$t")
  [ "$n" = 1 ] || fail "$t merged $n times"
  [ "$(stat -c %s "data/$t.bin")" = 5000000 ] || fail "data/$t.bin is not whole in the checkout"
done
starts=$(grep -c '^start' "$mnt/trace")
echo "figure: after space was freed: resume exit 0, 3 tasks merged once each, agent starts in all $starts"
echo "PASSED"
