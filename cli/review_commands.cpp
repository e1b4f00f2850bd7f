// drover approve / reject: a person's decision on a task awaiting review
// (review: required, `add --review`, or an agent that changed nothing under
// tasks.no_changes: hold). The store records the decision in one transaction
// (storage ABI 1.3, review_task); the task's workflow reads it when a run
// claims the task: an approval lands the work through the merge queue (or
// completes a task with no changes), a rejection's message goes to the agent
// for another round in the same worktree.
#include <iostream>

#include "cli_support.h"
#include "drover/config/config.h"
#include "run_presence.h"

namespace drover::cli {
namespace {

struct ReviewOptions {
  std::string id, message;
  bool json_out = false;
};

// Why a task that does not await review cannot be decided on, in the
// commands' terms.
std::string not_awaiting(const Task& t) {
  switch (t.status) {
    case TaskStatus::kRunning:
      return "is running; its work waits for review once its agent has finished (`drover status` shows when)";
    case TaskStatus::kCompleted: return "is completed; nothing waits for a decision";
    case TaskStatus::kFailed:
    case TaskStatus::kBlocked:
    case TaskStatus::kCancelled:
      return "is " + std::string(to_string(t.status)) + "; `drover retry " + t.id + "` runs it again";
    default: break;
  }
  return "is " + std::string(to_string(t.status)) + " and has no work waiting for review (it waits for review after "
         "its agent has finished, with review: required in drover.yaml, `drover edit " + t.id + " --review`, or an "
         "agent that changed nothing)";
}

void run_review(const GlobalOptions& g, const ReviewOptions& o, ReviewDecision decision) {
  const bool approve = decision == ReviewDecision::kApprove;
  const std::string command = approve ? "approve" : "reject";
  if (!approve && o.message.find_first_not_of(" \t\r\n") == std::string::npos)
    fail(kExitUsage, "reject: the message is empty; say what the agent should change (-m \"...\")");
  auto project = open_project(g);
  TaskStore& store = open_store(*project);
  Task before = get_task_or_fail(store, o.id);
  if (!before.awaiting_review()) fail(kExitUsage, command + ": task " + o.id + " " + not_awaiting(before));
  auto r = store.review_task(o.id, decision, o.message, wall_ms());
  if (r.status().code() == StatusCode::kUnsupported)
    fail(kExitUsage, command + ": " + r.status().message() +
                         "; this needs a storage plugin built for plugin ABI 1.3 or later (`drover plugins list`)");
  if (!r.ok() && r.status().code() == StatusCode::kConflict)
    fail(kExitUsage, command + ": task " + o.id + " was decided on meanwhile (`drover show " + o.id + "`)");
  Task t = unwrap(std::move(r), command + " " + o.id);
  if (o.json_out) {
    std::cout << to_json(t).dump(2) << "\n";
    return;
  }
  const bool run_active = RunPresence::any_active(project->config().drover_dir());
  const std::string when = run_active ? "the running `drover run` picks it up within a second"
                                      : "the next `drover run` picks it up";
  const bool nothing_changed = before.wait.detail.rfind("the agent changed nothing", 0) == 0;
  if (approve)
    std::cout << o.id << ": approved; " << when << (nothing_changed ? " and completes it (no changes)" : " and lands it")
              << "\n";
  else
    std::cout << o.id << ": rejected; " << when << " and gives the agent your feedback in another round\n";
}

}  // namespace

void add_review_commands(CLI::App& app, GlobalOptions& g) {
  for (ReviewDecision d : {ReviewDecision::kApprove, ReviewDecision::kReject}) {
    const bool approve = d == ReviewDecision::kApprove;
    auto* o = new ReviewOptions();
    auto* cmd = approve
                    ? app.add_subcommand("approve", "Land a task's work that awaits review (through the merge queue)")
                    : app.add_subcommand("reject", "Send a task awaiting review back to its agent with your feedback");
    cmd->add_option("id", o->id, "task id")->required();
    if (!approve) cmd->add_option("-m,--message", o->message, "what the agent should change")->required();
    cmd->add_flag("--json", o->json_out, "print the task as JSON");
    cmd->callback([&g, o, d] { run_review(g, *o, d); });
  }
}

}  // namespace drover::cli
