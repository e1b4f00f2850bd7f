# Sourced by the disk-full scenarios: the project on a small tmpfs, the run
# that must stop by itself on a full disk, and the checks every such run must
# pass. Each calls fail (defined by the scenario) on the first broken promise.

#   repository_on_tmpfs <mount point> <size>
# Mounts the tmpfs (exit 77 when this machine cannot) and makes <mnt>/repo an
# empty repository, the current directory; the caller adds its first commit.
repository_on_tmpfs() {
  mount -t tmpfs -o size="$2" tmpfs "$1" || { echo "SKIP: cannot mount a tmpfs here"; exit 77; }
  cd "$1" && git init -q -b main repo && cd repo || fail "git init"
  git config user.name Faults && git config user.email faults@drover.invalid
}

#   drover_init_here <drover>
# `drover init` in the current repository, drover.yaml kept out of git status.
drover_init_here() {
  echo drover.yaml >> .git/info/exclude
  "$1" init >/dev/null 2>&1 || fail "drover init"
}

#   run_until_stopped_by_full_disk <drover> <out file> <what filled up>
# Prints the run's output and a "figure:" line; calls fail (defined by the
# scenario) on the first broken promise.
run_until_stopped_by_full_disk() {
  local drover=$1 out=$2 what=$3 start rc secs
  start=$(date +%s%N)
  NO_COLOR=1 timeout 120 "$drover" run --on-disk-full stop > "$out" 2>&1
  rc=$?
  secs=$(( ($(date +%s%N) - start) / 1000000 ))
  cat "$out"
  echo "figure: full disk ($what), --on-disk-full stop: exit $rc after ${secs} ms, $(wc -l < "$out") lines, 'disk full' said $(grep -c 'disk full:' "$out") times"
  [ "$rc" != 124 ] || fail "the run did not stop by itself within 120 s"
  # 1: stopped with tasks left; 2: the store is on the full disk, so no summary.
  [ "$rc" = 1 ] || [ "$rc" = 2 ] || fail "expected exit 1 or 2 (stopped), got $rc"
  [ "$(grep -c 'claiming work failed' "$out")" = 0 ] || fail "claim warnings were printed"
  [ "$(grep -c 'disk full:' "$out")" -ge 1 ] || fail "the run did not say the disk is full"
  ! grep -qE '^[0-9:]+ t[0-9]+: failed' "$out" || fail "a task failed because of the full disk"
}
