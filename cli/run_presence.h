// Whether a `drover run` is going on for this project on this machine. A run
// holds a shared flock on .drover/runs.lock for its whole life; asking takes
// the lock exclusively without waiting, which fails iff some run holds it. The
// kernel drops the lock when the run's process ends, however it ends (kill -9
// included), and agents never inherit it (close-on-exec, and the process
// runner closes every other descriptor).
#ifndef DROVER_CLI_RUN_PRESENCE_H
#define DROVER_CLI_RUN_PRESENCE_H

#include <string>

namespace drover::cli {

class RunPresence {
 public:
  // Announces a run in drover_dir until this object is destroyed. Failing to
  // (a read-only .drover) only makes `status --watch` unable to see the run.
  explicit RunPresence(const std::string& drover_dir);
  ~RunPresence();
  RunPresence(const RunPresence&) = delete;
  RunPresence& operator=(const RunPresence&) = delete;

  // True iff a run has announced itself in drover_dir and is still alive.
  static bool any_active(const std::string& drover_dir);

 private:
  int fd_ = -1;
};

}  // namespace drover::cli

#endif
