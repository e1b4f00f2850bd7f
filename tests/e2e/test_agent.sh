#!/usr/bin/env bash
# The agent that end-to-end tests run through the `exec` plugin. It makes a
# real change per task and behaves according to markers in the task title:
#   [fail]   fails until the file $E2E_DIR/fixed-<task> exists
#   [slow]   sleeps 60 s (to be cancelled or killed)
#   [medium] sleeps 2 s
#   [chatty] prints "chatty line <n>" for n = 1..15, 0.3 s apart
#   [append-slow] appends its task id to appended.txt, then sleeps 3 s (a
#            kill -9 of drover in that window leaves the line behind)
#   [blocked] reports that it cannot proceed
#   [permanent] reports an error a retry cannot change (HTTP 400)
#   [quota]  reports a usage limit once (until $E2E_DIR/quota-<task> exists)
#   [quota-30s] reports a usage limit that resets in 30 s
#   [give-up] changes nothing and says it cannot proceed (no verdict line)
#   [nothing-to-do] changes nothing and says so with `DROVER-RESULT: done`
#   [says-blocked] ends its message with `DROVER-RESULT: blocked: <reason>`
# The prompt of each run is kept as $E2E_DIR/prompt-<task>-<n>.md.
#   [ratelimit] reports a rate limit without a reset time, every time
# E2E_SLEEP_MS, when set, makes it take a random 1..E2E_SLEEP_MS milliseconds.
# It appends "start <task> <ns>" and "end <task> <ns>" to $E2E_DIR/trace so
# tests can measure how many agents ran at once.
set -euo pipefail
prompt_file=$1
task=${DROVER_TASK_ID:?}
dir=${E2E_DIR:?}
title=$(head -n 1 "$prompt_file")
echo "start $task $(date +%s%N)" >> "$dir/trace"
n=1
while [ -e "$dir/prompt-$task-$n.md" ]; do n=$((n + 1)); done
cp "$prompt_file" "$dir/prompt-$task-$n.md"
trap 'echo "end $task $(date +%s%N)" >> "$dir/trace"' EXIT
# Stopped (cancel, a fenced lease, Ctrl-C): exit so the EXIT trap records the end.
trap 'exit 143' TERM INT

case "$title" in
  *"[append-slow]"*) printf '%s\n' "$task" >> appended.txt; sleep 3 ;;
esac
case "$title" in
  *"[chatty]"*) for i in $(seq 1 15); do echo "chatty line $i"; sleep 0.3; done ;;
esac
case "$title" in
  *"[slow]"*) sleep 60 ;;
  *"[medium]"*) sleep 2 ;;
esac
case "$title" in
  *"[ratelimit]"*)
    echo '{"status":"quota","reason":"429 Too Many Requests"}'
    exit 0 ;;
esac
case "$title" in
  *"[quota-30s]"*)
    echo "{\"status\":\"quota\",\"reason\":\"usage limit reached\",\"reset_at_ms\":$(( $(date +%s%3N) + 30000 ))}"
    exit 0 ;;
esac
case "$title" in
  *"[quota]"*)
    if [ ! -e "$dir/quota-$task" ]; then
      touch "$dir/quota-$task"
      echo '{"status":"quota","reason":"usage limit reached","reset_at_ms":0}'
      exit 0
    fi ;;
esac
case "$title" in
  *"[permanent]"*)
    echo '{"status":"permanent","reason":"the model API answered 400: model fake-x does not exist"}'
    exit 0 ;;
esac
case "$title" in
  *"[blocked]"*)
    echo '{"status":"blocked","reason":"needs the staging database password"}'
    exit 0 ;;
esac
case "$title" in
  *"[give-up]"*)
    echo "I cannot proceed: I do not have the staging database credentials."
    echo "Please provide DATABASE_URL."
    exit 0 ;;
  *"[nothing-to-do]"*)
    echo "The option already exists; nothing to change."
    echo "DROVER-RESULT: done"
    exit 0 ;;
  *"[says-blocked]"*)
    echo "I looked at the deployment scripts."
    echo "DROVER-RESULT: blocked: the staging DATABASE_URL"
    exit 0 ;;
esac
case "$title" in
  *"[fail]"*)
    if [ ! -e "$dir/fixed-$task" ]; then
      echo "cannot do $task yet" >&2
      exit 3
    fi ;;
esac

if [ -n "${E2E_SLEEP_MS:-}" ]; then
  ms=$((RANDOM % E2E_SLEEP_MS + 1))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
else
  sleep "0.0$((RANDOM % 9 + 1))"
fi
mkdir -p changes
printf '%s\n' "$task" > "changes/$task.txt"
printf '{"status":"success","summary":"wrote changes/%s.txt","cost_usd":0.01,"tokens_in":100,"tokens_out":20}\n' "$task"
