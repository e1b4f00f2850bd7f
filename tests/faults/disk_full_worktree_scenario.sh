#!/usr/bin/env bash
# A disk that fills while Drover creates a task's worktree, inside a private
# mount namespace (run it with `unshare -m --propagation private`): the
# repository tracks a 6 MB file and lives on a 16 MiB tmpfs, so checking out
# one worktree does not fit. The run (--on-disk-full stop) must stop by
# itself, no task may fail or use an attempt for it, the user's checkout stays
# clean; once there is space, `drover resume` must finish every task (each
# merged once) and leave no worktree behind.
#   disk_full_worktree_scenario.sh <drover binary> <empty mount point>
# Prints "figure: ..." lines and exits non-zero on the first broken promise.
set -uo pipefail
drover=$1 mnt=$2
fail() { echo "FAILED: $*"; exit 1; }
source "$(dirname "$0")/disk_full_run.sh"
repository_on_tmpfs "$mnt" 16m
mkdir assets && head -c 6000000 /dev/urandom > assets/big.bin
echo "# disk full at checkout" > README.md && git add README.md assets && git commit -qm init || fail "commit"
drover_init_here "$drover"
cat > drover.yaml <<YAML
workers: 2
target_branch: main
storage: { plugin: sqlite }
vcs: { plugin: git }
default_agent: small
disk: { min_free: 1MiB }
agents:
  small:
    plugin: exec
    config:
      command: ["bash", "-c", "echo done > done-\$DROVER_TASK_ID.txt; echo start >> $mnt/starts"]
    sandbox: { write_paths: ["$mnt"] }  # its count of starts lives there, beside the repository
tasks: { timeout: 1m, max_attempts: 1, backoff: { initial: 100ms, max: 500ms } }
YAML
for i in 1 2 3; do "$drover" add "Small change $i" >/dev/null || fail "add"; done
echo "figure: free before the run: $(df --output=avail -B1K "$mnt" | tail -1) KiB for a 6 MB checkout"

run_until_stopped_by_full_disk "$drover" "$mnt/run.out" "worktree creation"
[ ! -e "$mnt/starts" ] || fail "an agent ran without its worktree"
[ -z "$(git status --porcelain)" ] || fail "the user's checkout changed: $(git status --porcelain)"

mount -o remount,size=200m "$mnt" || fail "remount"
NO_COLOR=1 timeout 120 "$drover" resume > "$mnt/resume.out" 2>&1
rc=$?
cat "$mnt/resume.out"
[ "$rc" = 0 ] || fail "resume exited $rc"
[ -z "$(git status --porcelain)" ] || fail "after resume the checkout is not clean: $(git status --porcelain)"
for t in t1 t2 t3; do
  n=$(git log main --no-merges --format='%(trailers:key=Drover-Task,valueonly)' | grep -cx "$t")
  [ "$n" = 1 ] || fail "$t merged $n times"
  [ "$(git show "main:done-$t.txt")" = done ] || fail "done-$t.txt is not on main"
done
[ "$(git worktree list | wc -l)" = 1 ] || fail "worktrees left: $(git worktree list)"
cmp -s assets/big.bin <(git show main:assets/big.bin) || fail "assets/big.bin is damaged in the checkout"
echo "figure: after space was freed: resume exit 0, 3 tasks merged once each, agent starts in all $(wc -l < "$mnt/starts"), worktrees left 0"
echo "PASSED"
