// LandingQueue: the merge queue of one run. A task whose work is committed
// asks to land and waits for the verdict. Whoever asks while nobody is landing
// lands: it takes up to merge.batch waiting tasks (highest priority first),
// builds their merges onto the target's tip, verifies the result in a scratch
// worktree (merge.verify_on: merged), and moves the target only if verify
// passed and the tip has not moved meanwhile (compare-and-swap; rebuilt and
// verified again otherwise). A red batch is split in halves, each landed or
// split again, down to the culprit(s): O(E log N) verify runs for E culprits
// among N. A file lock on .drover/landing.lock makes several runs on one
// repository take turns.
#ifndef DROVER_ENGINE_LANDING_QUEUE_H
#define DROVER_ENGINE_LANDING_QUEUE_H

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "drover/model/worktree_key.h"

namespace drover {

struct EngineContext;

struct LandingRequest {
  WorktreeKey key;
  std::string title;
  int priority = 1;
  std::string message;     // the message of the commit that lands it
  std::string verify_log;  // where a verify run this request leads is logged
};

enum class Landing {
  kLanded,         // on the target (now, or already before)
  kNothingToLand,  // the branch holds nothing that is not on the target
  kConflict,       // paths: conflicting with the tip (or with a task landed before it in its batch)
  kVerifyFailed,   // the merged result failed verify: why, output
  kLocalChanges,   // the user's files are in the way of the checkout: paths
  kStopped,        // a signal stopped verify; nothing moved
  kUnreachable,    // the VCS's remote cannot be reached (why); nothing moved, try again later
  kRefused,        // the remote refused the update (why: a hook, permissions); retrying would not help
  kBusy,           // others moved the target first every time it was built (why); nothing moved, land again soon
  kUnassured,      // this run could not renew the task's lease in time (why): not published, nothing moved for it
  kError,          // why
};

struct LandingVerdict {
  Landing outcome = Landing::kError;
  std::string commit;               // kLanded: the commit that brought it in
  std::string tip;                  // the target's tip it was decided against
  std::vector<std::string> paths;
  std::string why, output;
  std::string verify_log;           // the verify run that decided it ("" if none)
  std::vector<std::string> batch;   // the tasks verified together with it (itself included)
  bool verified = false;            // kLanded: verify ran on what landed

  static LandingVerdict of(Landing outcome, std::string tip = "", std::string why = "") {
    LandingVerdict v;
    v.outcome = outcome;
    v.tip = std::move(tip);
    v.why = std::move(why);
    return v;
  }
};

class LandingQueue {
 public:
  explicit LandingQueue(EngineContext& engine) : e_(engine) {}
  // Blocks until this request is decided.
  LandingVerdict land(const LandingRequest& request);
  // Asks for all of them at once (as tasks finishing together do) and blocks
  // until each is decided; verdicts in the order given.
  std::vector<LandingVerdict> land_together(const std::vector<LandingRequest>& requests);
  // Whether merged results are verified: merge.verify_on is merged, a verify
  // command is configured and the VCS has the merge queue's operations.
  bool verifies_merged();
  // Whether the VCS has the merge queue's operations (ABI 1.2); asked once.
  bool vcs_has_queue();
  // Verify runs so far (for the run summary and the bench).
  int verify_runs() const;
  // Removes the scratch worktree, this run's or one a killed run left (the
  // end of the run).
  void close();

 private:
  struct Waiting {
    uint64_t id;
    LandingRequest request;
  };
  using Verdicts = std::map<uint64_t, LandingVerdict>;
  // One verify run on a merged result.
  struct VerifyRun {
    bool passed = false, stopped = false;
    bool broken = false;  // the merged result could not be checked out: no verdict on the tasks
    std::string why, output, log;
  };
  std::vector<Waiting> take_batch();
  // Lands until every id is decided (called with lock held).
  void serve(std::unique_lock<std::mutex>& lock, const std::vector<uint64_t>& ids);
  void process(const std::vector<Waiting>& batch, Verdicts& out);
  // What a bisection knows going into a group: the merge of the whole group
  // on `tip` failed verify with `run` (so a group of one is the culprit, and
  // a bigger one is split without verifying it again).
  struct KnownRed {
    std::string tip;
    VerifyRun run;
  };
  // Lands the group (bisecting it when red). Returns the tip it left when
  // every task of it landed, "" otherwise.
  std::string land_group(std::vector<Waiting> group, Verdicts& out, const std::optional<KnownRed>& red);
  void land_one_by_one(const std::vector<Waiting>& batch, Verdicts& out);
  // Runs verify on commit in the scratch worktree.
  VerifyRun verify(const std::string& commit, const std::vector<Waiting>& group);
  void tell(const std::vector<Waiting>& group, const std::string& status);
  void report(const std::vector<Waiting>& group, const std::string& message);

  EngineContext& e_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Waiting> waiting_;
  Verdicts decided_;
  uint64_t next_id_ = 0;
  bool busy_ = false;
  int vcs_has_queue_ = -1;  // -1: not asked yet
  int verify_runs_ = 0;
};

}  // namespace drover

#endif
