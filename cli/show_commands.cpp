// drover show / diff: what an agent did. `show` tells a task's story from its
// record and events (rounds with their kind and outcome, the agent's final
// message, cost, review decisions, what landed or what sits in the worktree);
// `diff` prints the change itself: what landed, or the worktree's changes.
#include <iostream>

#include "cli_support.h"
#include "drover/common/duration.h"
#include "drover/config/config.h"
#include "drover/engine/agent_verdict.h"
#include "drover/task_fields.h"
#include "pager.h"

namespace drover::cli {
namespace {

constexpr uint64_t kMaxPatchBytes = uint64_t{8} << 20;

// One agent run of a task, from its "attempt_started"/"round_started" event and
// the "attempt_finished" that follows it.
struct RoundRow {
  int attempt = 0, round = 1;
  std::string kind = "work", agent, outcome = "running", reason, summary, log_file;
  int64_t duration_ms = 0, started_ms = 0;
};

std::string text_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t int_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::vector<RoundRow> rounds_of(const std::vector<TaskEvent>& events) {
  std::vector<RoundRow> rows;
  for (const auto& e : events) {
    if (!e.data.is_object()) continue;
    if (e.kind == "attempt_started" || e.kind == "round_started") {
      RoundRow r;
      r.attempt = static_cast<int>(int_field(e.data, "attempt"));
      r.round = std::max(1, static_cast<int>(int_field(e.data, "round")));
      if (auto k = text_field(e.data, "kind"); !k.empty()) r.kind = k;
      r.agent = text_field(e.data, "agent");
      r.log_file = text_field(e.data, "log_file");
      r.started_ms = e.created_ms;
      rows.push_back(r);
    } else if (e.kind == "attempt_finished" && !rows.empty() && rows.back().outcome == "running") {
      RoundRow& r = rows.back();
      r.outcome = text_field(e.data, "outcome");
      r.reason = text_field(e.data, "reason");
      r.summary = text_field(e.data, "summary");
      r.duration_ms = int_field(e.data, "duration_ms");
    }
  }
  // A generation's rows only: after a retry or reset, attempts count from 1 again.
  return rows;
}

// The message indented under a heading, at most max_lines lines.
void print_block(const std::string& text, size_t max_lines) {
  size_t start = 0, lines = 0;
  while (start < text.size() && lines < max_lines) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::cout << "    " << escape_control_chars(text.substr(start, end - start), "\t") << "\n";
    start = end + 1;
    ++lines;
  }
  if (start < text.size()) std::cout << "    … (" << "the whole message: `drover show --json`)\n";
}

std::string diff_stat(const DiffSummary& d) {
  return std::to_string(d.files) + " file" + (d.files == 1 ? "" : "s") + " changed, +" + std::to_string(d.insertions) +
         " -" + std::to_string(d.deletions);
}

void run_show(const GlobalOptions& g, const std::string& id, bool json_out) {
  auto project = open_project(g);
  const Config& config = project->config();
  TaskStore& store = open_store(*project);
  Task t = get_task_or_fail(store, id);
  EventFilter only_this;
  only_this.task_id = id;
  const std::vector<TaskEvent> events = unwrap(store.list_events(only_this));
  const std::vector<RoundRow> rounds = rounds_of(events);
  std::optional<DiffSummary> pending;  // what sits in the worktree, not landed
  if (t.merge_commit.empty())
    if (auto ws = project->workspace(); ws.ok())
      if (auto d = ws.value()->diff_summary(WorktreeKey{id, 1}, config.target_branch); d.ok()) pending = d.value();
  std::vector<const TaskEvent*> reviews;
  for (const auto& e : events)
    if (e.kind == "approved" || e.kind == "rejected" || e.kind == "review_requested") reviews.push_back(&e);

  if (json_out) {
    json rs = json::array();
    for (const auto& r : rounds)
      rs.push_back(json{{"attempt", r.attempt}, {"round", r.round}, {"kind", r.kind}, {"agent", r.agent},
                        {"outcome", r.outcome}, {"reason", r.reason}, {"summary", r.summary},
                        {"duration_ms", r.duration_ms}, {"log_file", r.log_file}});
    json rv = json::array();
    for (const auto* e : reviews) rv.push_back(to_json(*e));
    json worktree;
    if (pending)
      worktree = json{{"files", pending->files}, {"insertions", pending->insertions}, {"deletions", pending->deletions},
                      {"paths", pending->paths}};
    std::cout << json{{"task", to_json(t)}, {"rounds", rs}, {"reviews", rv}, {"final_message", t.result_summary},
                      {"landed", t.merge_commit.empty() ? json() : json(t.merge_commit)}, {"worktree", worktree}}
                     .dump(2)
              << "\n";
    return;
  }

  std::cout << paint(t.id, "1") << "  " << escape_control_chars(t.title) << "\n";
  std::string state = std::string(to_string(t.status));
  if (t.awaiting_review()) state = "awaiting review";
  std::cout << "  status: " << status_color(state);
  if (!t.status_reason.empty() && !t.awaiting_review()) std::cout << " — " << escape_control_chars(t.status_reason);
  std::cout << "\n";
  if (t.awaiting_review())
    std::cout << "  waiting for you: " << escape_control_chars(t.wait.detail) << "\n    `drover diff " << t.id
              << "`, then `drover approve " << t.id << "` or `drover reject " << t.id << " -m \"...\"`\n";
  std::cout << "  agent: " << t.agent_or(config.default_agent) << (t.agent ? "" : " (the default agent)")
            << "   attempts: " << t.attempts << " of " << (t.max_attempts > 0 ? t.max_attempts : config.max_attempts)
            << (t.review || config.review_required ? "   review: required" : "") << "\n";
  if (t.attempts > 0) {
    std::cout << "  spent: " << (t.cost_usd ? money(*t.cost_usd) : std::string("cost not reported"));
    if (t.tokens_in + t.tokens_out > 0) std::cout << ", " << t.tokens_in << " tokens in, " << t.tokens_out << " out";
    std::cout << "\n";
  }
  if (!rounds.empty()) {
    std::cout << "  rounds:\n";
    for (const auto& r : rounds) {
      std::string which = "attempt " + std::to_string(r.attempt) + (r.round > 1 ? "." + std::to_string(r.round) : "");
      std::cout << "    " << which << std::string(which.size() < 12 ? 12 - which.size() : 1, ' ') << r.kind
                << std::string(r.kind.size() < 8 ? 8 - r.kind.size() : 1, ' ') << escape_control_chars(r.agent) << "  "
                << status_color(r.outcome);
      if (r.duration_ms > 0) std::cout << " in " << format_duration(std::chrono::milliseconds(r.duration_ms));
      if (!r.reason.empty()) std::cout << " — " << escape_control_chars(first_line(r.reason, 200));
      std::cout << "\n";
      if (!r.log_file.empty()) std::cout << "      log: " << r.log_file << "\n";
    }
  }
  for (const auto* e : reviews) {
    std::string kind = e->kind == "review_requested" ? "review asked" : e->kind;
    std::cout << "  " << kind << " " << format_time(e->created_ms) << ": " << escape_control_chars(e->message) << "\n";
  }
  if (!t.result_summary.empty()) {
    std::cout << "  the agent's final message:\n";
    print_block(t.result_summary, 20);
  }
  if (!t.merge_commit.empty()) {
    std::cout << "  landed: " << t.merge_commit.substr(0, 12) << " on "
              << (config.target_branch.empty() ? std::string("the target branch") : config.target_branch)
              << " (`drover diff " << t.id << "` shows it)\n";
  } else if (pending) {
    std::cout << "  in its worktree, not landed: " << diff_stat(*pending);
    if (!pending->paths.empty()) {
      std::string paths;
      for (size_t i = 0; i < pending->paths.size() && i < 8; ++i) paths += (i ? ", " : "") + pending->paths[i];
      if (pending->paths.size() > 8) paths += ", …";
      std::cout << " (" << escape_control_chars(paths) << ")";
    }
    std::cout << "\n";
  } else if (t.status == TaskStatus::kCompleted) {
    std::cout << "  landed: nothing (the agent changed no file)\n";
  }
  if (!t.last_error.empty() && t.status != TaskStatus::kCompleted)
    std::cout << "  last error: " << escape_control_chars(t.last_error) << "\n";
}

void run_diff(const GlobalOptions& g, const std::string& id, bool no_pager, bool stat_only) {
  auto project = open_project(g);
  const Config& config = project->config();
  TaskStore& store = open_store(*project);
  Task t = get_task_or_fail(store, id);
  Workspace& ws = open_workspace(*project);
  std::string target = config.target_branch;
  if (target.empty())
    if (auto info = ws.repo_info(); info.ok() && info.value().head_branch) target = *info.value().head_branch;
  Result<DiffPatch> d = t.merge_commit.empty() ? ws.diff_worktree(WorktreeKey{id, 1}, target, kMaxPatchBytes)
                                               : ws.diff_commit(t.merge_commit, kMaxPatchBytes);
  if (!d.ok() && d.status().code() == StatusCode::kUnsupported)
    fail(kExitUsage, "diff: " + d.status().message() + "; upgrade the VCS plugin (`drover plugins list`)");
  if (!d.ok() && d.status().code() == StatusCode::kNotFound)
    fail(kExitUsage, "diff: task " + id + " has no work to show: " +
                         (t.status == TaskStatus::kCompleted ? std::string("it completed without changes")
                                                             : "its agent has not made a change yet (`drover show " + id + "`)"));
  DiffPatch patch = unwrap(std::move(d), "diff " + id);
  const std::string stat = std::to_string(patch.files) + " file" + (patch.files == 1 ? "" : "s") + " changed, +" +
                           std::to_string(patch.insertions) + " -" + std::to_string(patch.deletions);
  if (stat_only) {
    std::cout << stat << "\n";
    return;
  }
  Pager pager(!no_pager);
  std::cout << "# task " << t.id << ": " << escape_control_chars(t.title) << "\n# "
            << (t.merge_commit.empty() ? "in its worktree, not landed" : "landed as " + t.merge_commit.substr(0, 12))
            << "; " << stat << "\n";
  std::cout << patch.patch;
  if (patch.truncated)
    std::cout << "# … cut at " << (kMaxPatchBytes >> 20) << " MiB; the whole change is on the task's branch "
              << "(`drover worktree list` names it) or in the commit above\n";
}

}  // namespace

void add_show_commands(CLI::App& app, GlobalOptions& g) {
  auto* show_id = new std::string();
  auto* show_json = new bool(false);
  auto* show = app.add_subcommand("show", "What an agent did for a task: rounds, final message, cost, what landed");
  show->add_option("id", *show_id, "task id")->required();
  show->add_flag("--json", *show_json, "JSON: {task, rounds, reviews, final_message, landed, worktree}");
  show->callback([&g, show_id, show_json] { run_show(g, *show_id, *show_json); });

  auto* diff_id = new std::string();
  auto* no_pager = new bool(false);
  auto* stat = new bool(false);
  auto* diff = app.add_subcommand("diff", "The change a task made: what landed, or what sits in its worktree");
  diff->add_option("id", *diff_id, "task id")->required();
  diff->add_flag("--no-pager", *no_pager, "print plainly even on a terminal (no $PAGER)");
  diff->add_flag("--stat", *stat, "only the counts: files changed, lines added and removed");
  diff->callback([&g, diff_id, no_pager, stat] { run_diff(g, *diff_id, *no_pager, *stat); });
}

}  // namespace drover::cli
