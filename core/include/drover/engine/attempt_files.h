// Where each round of each attempt keeps its files under .drover/logs, so
// that no run appends to or overwrites another's: a retry or reset starts a
// new generation whose attempts count from 1 again, and an attempt may have
// several rounds (work, then conflict resolution or fix rounds).
//
//   logs/<task>/<attempt>.log                 generation 0, round 1 (the
//   logs/<task>/<attempt>.prompt.md           layout of earlier versions)
//   logs/<task>/<attempt>.verify.log         (.land.log: verify on the merged result)
//   logs/<task>/g<generation>/<attempt>.log   generation 1 and later
//   logs/<task>/.../<attempt>.r<round>.log    round 2 and later (likewise
//                                             .r<round>.prompt.md, .verify.log)
//
// The paths are built here only: the engine asks for the files of the round
// it runs, `drover logs` lists what is recorded.
#ifndef DROVER_ENGINE_ATTEMPT_FILES_H
#define DROVER_ENGINE_ATTEMPT_FILES_H

#include <cstdint>
#include <string>
#include <vector>

namespace drover {

struct AttemptFiles {
  std::string dir;         // the directory holding them (created by the writer)
  std::string log;         // the agent's output
  std::string prompt;      // the prompt as the agent got it
  std::string verify_log;  // the verify command's output (merge.verify_on: branch)
  std::string land_log;    // verify's output on the merged result (the merge queue)
};

// round is 1-based; 0 is taken as 1.
AttemptFiles attempt_files(const std::string& drover_dir, const std::string& task_id, int64_t generation, int attempt,
                           int round = 1);

struct RecordedRound {
  int64_t generation = 0;
  int attempt = 0;
  int round = 1;
  AttemptFiles files;
};

// Every round of the task that has a log, ordered by generation, attempt,
// round. Empty when there is none (or the directory cannot be read).
std::vector<RecordedRound> recorded_rounds(const std::string& drover_dir, const std::string& task_id);

}  // namespace drover

#endif
