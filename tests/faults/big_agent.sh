#!/usr/bin/env bash
# An agent that writes a 5 MB file of random bytes (incompressible, so git's
# copy is as large) per task: a few of them fill a small disk. Appends
# "start/end <task> <ns>" to $FAULT_DIR/trace like the e2e test agent.
set -euo pipefail
task=${DROVER_TASK_ID:?}
echo "start $task $(date +%s%N)" >> "$FAULT_DIR/trace"
trap 'echo "end $task $(date +%s%N)" >> "$FAULT_DIR/trace"' EXIT
trap 'exit 143' TERM INT
mkdir -p data
head -c 5000000 /dev/urandom > "data/$task.bin"
printf '{"status":"success","summary":"wrote data/%s.bin"}\n' "$task"
