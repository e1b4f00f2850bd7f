// Output through the user's pager, the way git does it: only when stdout is a
// terminal, with $DROVER_PAGER, else $PAGER, else `less` (LESS=FRX unless
// LESS is set: quit when the text fits one screen, keep colours, leave the
// screen as it was). The pager's command is split on spaces and run without a
// shell; one that cannot be found, or "cat", means plain output.
#ifndef DROVER_CLI_PAGER_H
#define DROVER_CLI_PAGER_H

#include <sys/types.h>

namespace drover::cli {

class Pager {
 public:
  // Starts the pager unless disabled or stdout is not a terminal.
  explicit Pager(bool enabled);
  // Flushes, ends the pager's input and waits for the user to quit it.
  ~Pager();
  Pager(const Pager&) = delete;
  Pager& operator=(const Pager&) = delete;

 private:
  pid_t pid_ = -1;
  int saved_stdout_ = -1;
};

}  // namespace drover::cli

#endif
