#!/usr/bin/env bash
# A stand-in coding agent for the demo: it reads its prompt, makes a real
# change in the worktree (a note per task), takes a short random time, and
# reports in the exec agent's JSON result format on its last line.
set -euo pipefail
prompt_file=$1
task=${DROVER_TASK_ID:?}
title=$(head -n 1 "$prompt_file" | sed 's/^You are working on task [^:]*: //')
sleep "0.$((RANDOM % 8 + 2))"
mkdir -p notes
{
  echo "# $task: $title"
  echo
  echo "Written by the demo agent, attempt ${DROVER_ATTEMPT:-1}."
} > "notes/$task.md"
echo "wrote notes/$task.md"
printf '{"status":"success","summary":"wrote notes/%s.md","cost_usd":0.0}\n' "$task"
