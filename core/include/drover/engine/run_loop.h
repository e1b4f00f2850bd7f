// RunLoop: `drover run`. Claims ready tasks (never more than `workers` at
// once), runs each as a TaskWorkflow on a worker thread, renews its leases by
// heartbeat, reclaims work of dead executors on this machine, and exits by
// itself when nothing runnable is left. Scheduling is event-driven: a finished
// task wakes the loop at once, and the tasks it unblocked are claimed in the
// same pass.
//
// A store outage is a pause: every store call reports to one StoreHealth
// (one line when the store goes away, one when it is back), workflows wait it
// out (PatientTaskStore), and the loop retries its claims with backoff. A
// lease that cannot be renewed is fenced before it expires (LeaseBook): the
// task's agent is stopped and its workflow ends, so nobody — not even this run
// — works on a task twice at once. A task whose workflow has not ended yet is
// never claimed again by the same run.
//
// Threads, not one Asio loop: a workflow is straight-line code that blocks on
// its store, its VCS and its agent in turn, and the store and VCS plugins are
// synchronous C calls. Child processes, their timeouts and signals do run on
// Asio loops (ProcessRunner, SignalWatcher); the run loop itself waits on one
// condition variable through the Clock port, which lets the engine tests run
// it in simulated time.
#ifndef DROVER_ENGINE_RUN_LOOP_H
#define DROVER_ENGINE_RUN_LOOP_H

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "drover/engine/running_tasks_view.h"
#include "drover/engine/task_workflow.h"

namespace drover {

// What a run does when a disk it writes to is full (--on-disk-full).
enum class OnDiskFull {
  kWait,  // start no new work, say so once (and once a minute), carry on when there is space
  kStop,  // drain: running agents finish, then the run exits (not all completed: exit 1)
};

struct RunOptions {
  int workers = 0;            // 0 = from config
  std::string epic;           // "" = all epics
  std::function<void(const std::string& line)> print;  // progress lines
  std::string executor;       // "" = make_executor_id()
  // Once drained, how long a workflow waits for an unreachable store before
  // it lets go (the run then exits; resume runs the step again).
  int64_t drain_store_wait_ms = 3000;
  OnDiskFull on_disk_full = OnDiskFull::kWait;
  // Compare the user's checkout and the target branch around each agent
  // attempt (off where the sandbox already keeps agents out of them).
  bool watch_outside_writes = true;
  // Keep running while tasks await a person's review (an approval is then
  // picked up within a second); otherwise the run ends when nothing else can
  // go on, and the next run lands what was approved meanwhile.
  bool wait_for_review = false;
};

struct RunSummary {
  int completed = 0, failed = 0, blocked = 0, waiting = 0, cancelled = 0, ready = 0, running = 0;
  int stopped = 0;  // ready again because a signal stopped their agent (not in `ready`)
  std::vector<std::pair<std::string, std::string>> failures;  // id, reason
  std::vector<std::pair<std::string, std::string>> blocked_tasks;
  std::vector<std::pair<std::string, std::string>> awaiting_review;  // id, what waits (not in `ready`)
  double cost_usd = 0;
  int64_t duration_ms = 0;
  bool interrupted = false;   // drained or stopped by a signal
  std::string stop_reason;    // e.g. budget reached
  // How this run's workflow executions ended (a task may count more than once).
  std::map<TaskOutcome, int> outcomes;
  // Rounds this run gave agents after their work: "resolve" (merge
  // conflicts), "fix" (the merged result failed verify), and "redo" (rounds
  // ran out; the attempt started over on the tip).
  std::map<std::string, int> rounds;
  int verify_runs_on_merge = 0;  // verify runs on merged results
  bool all_completed() const {
    return failed == 0 && blocked == 0 && waiting == 0 && ready == 0 && stopped == 0 && running == 0 &&
           awaiting_review.empty();
  }
};

class RunLoop final : private TaskWorkflowEvents {
 public:
  RunLoop(EnginePorts ports, RunOptions options);
  ~RunLoop() override;

  Result<RunSummary> run();

  // Safe from any thread (signal watcher). First: no new work, running agents
  // finish. Second: running agents are terminated too.
  void request_drain();
  void request_stop();

 private:
  // TaskWorkflowEvents
  void report(const std::string& task_id, const std::string& message) override;
  void agent_paused(const std::string& agent, int64_t until_ms) override;
  void slot_free(const std::string& task_id) override;
  void released(const std::string& task_id, int64_t until_ms) override;
  void out_of_space(const std::string& task_id, const std::string& why) override;
  void touches_learned(const std::string& task_id) override;

  void worker(uint64_t thread_id, Task task);
  void join_finished_threads(std::unique_lock<std::mutex>& lock);
  void lease_keeper_loop();  // renews leases, looks for cancellations
  void fence_watch_loop();   // fences leases that could not be renewed
  void settle_fenced(int64_t renewed_at);  // after a renewal: regained or lost
  void reclaim_dead_local_executors();
  void release_stranded();
  void sweep_finished_worktrees();
  void restore_agent_pauses();
  std::vector<std::string> paused_agents(int64_t now);
  // True while a disk Drover writes to is full (looked at once a second);
  // says so once, then at most once a minute; under kStop it drains the run.
  bool disk_full(RunSummary& summary);
  int64_t next_wakeup(int64_t now, bool& anything_left);
  // Overlap-aware dispatch (merge.overlap: hold, run_loop_overlap.cpp): the
  // ready tasks to leave out of this claim because their touches overlap a
  // running task's (said once per task); empty under `ignore`.
  std::vector<std::string> held_by_overlap_now();
  // After a claim that left the held tasks out found nothing: when none of
  // this run's tasks is in flight (so waiting could only wait on another
  // run's task), claims with nothing held and says so. Called with mu_ held.
  Result<std::optional<Task>> claim_held(ClaimRequest request, std::unique_lock<std::mutex>& lock);
  // Tasks claimed together may overlap one another (the hold compared them
  // with the running tasks only): the first of each overlapping pair is kept,
  // the others are given back, claimable at once (and held while it runs).
  std::vector<Task> keep_apart(std::vector<Task> claimed, int64_t now_ms);
  // Says that a ready task is held and why, unless that was the last thing
  // said about it (held_). Called with mu_ held.
  void say_held(const std::string& id, const std::string& why);
  void print(const std::string& line);

  RunOptions opts_;
  EngineContext engine_;  // the ports, and what the run's workflows share

  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;                      // worker slots in use (the --workers cap)
  std::set<std::string> slot_holders_;   // tasks holding a slot
  std::map<uint64_t, std::thread> threads_;
  std::vector<uint64_t> finished_threads_;  // joined by the loop as they end
  uint64_t next_thread_ = 0;
  int64_t earliest_release_ = INT64_MAX;  // a task we released becomes claimable then
  std::map<std::string, int64_t> agent_paused_until_;   // agent -> ms
  std::set<std::string> stranded_;       // abandoned while holding our lease: give back
  std::map<TaskOutcome, int> outcomes_;
  std::set<std::string> live_;           // tasks whose workflow thread has not ended
  int64_t claim_retry_at_ = 0;           // after a failed claim: not before then
  int claim_failures_ = 0;               // in a row
  std::string last_claim_error_;         // printed once until it changes
  std::map<std::string, std::string> held_;  // ready task -> why held (overlap), as last said
  bool disk_full_ = false;        // said so, not yet said it is available again
  bool last_look_full_ = false;   // what the last look (once a second) found
  int64_t next_disk_look_ = 0, last_disk_line_ = 0;
  // When a step last ran out of space though statvfs showed room (0: never):
  // the disk counts as full for a window after it (run_loop.cpp).
  int64_t last_out_of_space_ = 0;
  std::string out_of_space_why_;
  StoreHealth health_;
  // The loop's own store calls: tried once (the loop has its own retry pace),
  // every result told to health_. Workflows wait outages out with their own.
  PatientTaskStore store_;
  // The running tasks for the overlap hold: other executors' read at most once a second.
  RunningTasksView running_view_{store_, engine_.executor, 1000};
  LeaseBook leases_;
  OutsideWriteLedger outside_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> done_{false};
  std::thread lease_keeper_, fence_watch_;
};

// "<hostname>/<pid>/<process start time>": lets a later run on the same machine
// tell that an executor is dead and take its tasks back without waiting for
// their leases to expire.
std::string make_executor_id();
// True iff executor_id names a process on this machine that no longer runs.
bool local_executor_is_dead(const std::string& executor_id);

}  // namespace drover

#endif
