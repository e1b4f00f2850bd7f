#!/usr/bin/env bash
# An exec agent that misbehaves outside its worktree, as the title says:
#   [append-user]  appends a line to README.md of the user's checkout (../../../)
#   [commit-main]  checks the target branch out in its worktree, commits there,
#                  and goes back to its own branch
#   [edit-readme]  rewrites README.md in its worktree (a normal change)
#   [break-git]    commits its work, then deletes its worktree's .git link and
#                  leaves an uncommitted file
# Otherwise (and besides) it writes changes/<task>.txt like a good agent, except
# after [break-git].
set -euo pipefail
prompt_file=$1
task=${DROVER_TASK_ID:?}
title=$(head -n 1 "$prompt_file")
mkdir -p changes
printf '%s\n' "$task" > "changes/$task.txt"
case "$title" in
  *"[append-user]"*)
    # Only on the first attempt: the retry is told what it did wrong.
    if ! grep -q "wrote outside its worktree" "$prompt_file"; then
      echo "written by $task's agent" >> ../../../README.md
    fi ;;
esac
case "$title" in
  *"[edit-readme]"*) echo "changed by $task" > README.md ;;
esac
case "$title" in
  *"[commit-main]"*)
    git checkout -q --ignore-other-worktrees main
    echo "rogue" > "rogue-$task.txt"
    git add "rogue-$task.txt"
    git -c user.name=Agent -c user.email=agent@drover.invalid commit -q -m "rogue commit by $task"
    git checkout -q "drover/$task" ;;
esac
case "$title" in
  *"[break-git]"*)
    git add -A
    git -c user.name=Agent -c user.email=agent@drover.invalid commit -q -m "work of $task"
    rm -f .git
    echo "unsaved" > unsaved.txt
    exit 7 ;;
esac
echo '{"status":"success","summary":"done"}'
