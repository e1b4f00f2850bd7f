#!/usr/bin/env bash
# The agent of the merge-queue tests, run through the `exec` plugin. Every
# task collides with every other:
#   work round:    appends its task id to shared.txt (or, with E2E_GATED set,
#                  adds gated/<task>.txt, which the tests' verify gate allows
#                  once)
#   resolve round: removes the conflict markers from shared.txt, keeping both sides
#   fix round:     changes nothing
# Each run appends "<task> <round>" to $E2E_DIR/runs.
set -euo pipefail
task=${DROVER_TASK_ID:?}
dir=${E2E_DIR:?}
round=${DROVER_ROUND:-work}
echo "$task $round" >> "$dir/runs"
case "$round" in
  work)
    if [ -n "${E2E_GATED:-}" ]; then
      mkdir -p gated
      printf '%s\n' "$task" > "gated/$task.txt"
    else
      printf '%s\n' "$task" >> shared.txt
    fi ;;
  resolve)
    grep -v -e '^<<<<<<< ' -e '^=======$' -e '^>>>>>>> ' shared.txt > "$dir/resolved.$task" || true
    cat "$dir/resolved.$task" > shared.txt ;;
  fix) : ;;
esac
echo '{"status":"success","summary":"done"}'
