// drover status / info / logs / config check.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli_support.h"
#include "drover/engine/agent_verdict.h"
#include "run_presence.h"
#include "stored_log.h"
#include "drover/common/duration.h"
#include "drover/engine/agent_limit_book.h"
#include "drover/engine/attempt_files.h"
#include "drover/engine/executor_heartbeat.h"
#include "drover/model/task_overlap.h"
#include "drover/task_fields.h"

namespace drover::cli {
namespace {

namespace fs = std::filesystem;

// Copies what the log holds beyond where `in` stands to stdout, in fixed-size
// chunks: memory stays constant however large the log or its lines are.
void copy_new_output(std::ifstream& in) {
  char buffer[64 * 1024];
  in.clear();
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) std::cout.write(buffer, in.gcount());
  std::cout << std::flush;
}

const TaskStatus kStates[] = {TaskStatus::kCompleted, TaskStatus::kRunning, TaskStatus::kReady,   TaskStatus::kWaiting,
                              TaskStatus::kBlocked,   TaskStatus::kFailed,  TaskStatus::kCancelled};

std::string progress_bar(int done, int total, int width) {
  int filled = total == 0 ? 0 : done * width / total;
  std::string bar = "[";
  for (int i = 0; i < width; ++i) bar += i < filled ? "#" : ".";
  return bar + "]";
}

// An agent whose tasks wait for its usage or rate limit.
struct AgentPause {
  std::string agent;
  int64_t until_ms = 0;
  int limit = 0;     // its nth limit in a row (the last quota_pause event's count; 0 = unknown)
  std::string kind;  // "rate limit" (no reset time: backoff) or "usage limit" (the agent said when)
};

// From the tasks released with a quota wait and their quota_pause events.
std::vector<AgentPause> agent_pauses(TaskStore& store, const std::vector<Task>& tasks) {
  std::map<std::string, AgentPause> by_agent;
  for (const auto& t : tasks) {
    if (t.status != TaskStatus::kReady || t.wait.kind != WaitKind::kQuota || t.wait.agent.empty()) continue;
    AgentPause& p = by_agent[t.wait.agent];
    p.agent = t.wait.agent;
    if (t.not_before_ms < p.until_ms) continue;
    p.until_ms = t.not_before_ms;
    auto events = store.list_events(EventFilter{t.id, std::nullopt, std::nullopt});
    if (!events.ok()) continue;
    for (const auto& e : events.value()) {
      if (e.kind != "quota_pause" || !e.data.is_object()) continue;
      p.limit = e.data.value("limit", 0);
      p.kind = e.data.value("kind", std::string());
    }
  }
  std::vector<AgentPause> out;
  for (auto& [agent, p] : by_agent) out.push_back(std::move(p));
  return out;
}

// "14:05", or "Tue 14:05" beyond a day.
std::string clock_text(int64_t ms, int64_t now_ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, ms - now_ms >= 20 * 3600 * 1000 ? "%a %H:%M" : "%H:%M", &tm);
  return buf;
}

// ", on <host> (pid <pid>)": every running task says which machine runs it,
// whether or not other machines share the store, so the line reads the same
// on any of them (the executor id is "<host>/<pid>/<start time>").
std::string running_where(const std::string& executor) {
  const std::string host = executor_host(executor);
  if (host.empty()) return executor.empty() ? "" : ", executor " + escape_control_chars(executor);
  std::string pid = executor.substr(host.size() + 1);
  pid = pid.substr(0, pid.find('/'));
  return ", on " + escape_control_chars(host) + (pid.empty() ? "" : " (pid " + escape_control_chars(pid) + ")");
}

struct StatusView {
  StoreSummary summary;
  std::vector<Task> tasks;
  std::map<std::string, Overlap> held;  // ready tasks a run holds back (merge.overlap: hold)
  std::vector<AgentPause> agent_pauses;
};

StatusView load_status(Project& p, const std::string& epic) {
  TaskStore& store = open_store(p);
  std::optional<std::string> only;
  if (!epic.empty()) only = epic;
  TaskFilter filter;
  filter.epic = only;
  StatusView view{unwrap(store.summary(only)), unwrap(store.list_tasks(filter)), {}};
  if (p.config().merge.overlap_hold) {
    // Running tasks of every epic count: they edit the same repository.
    std::vector<Task> tasks = view.tasks;
    if (only) {
      for (auto& t : unwrap(store.list_tasks(TaskFilter{std::nullopt, {TaskStatus::kRunning}, {}})))
        if (t.epic != only) tasks.push_back(std::move(t));
    }
    view.held = held_by_overlap(tasks);
  }
  view.agent_pauses = agent_pauses(store, view.tasks);
  return view;
}

json status_json(const StatusView& st) {
  json counts = json::object();
  for (const auto& [k, v] : st.summary.counts) counts[k] = v;
  json tasks = json::array();
  for (const auto& t : st.tasks) {
    json j = to_json(t);
    // The machine its executor runs on (the lease owner's host part).
    if (t.status == TaskStatus::kRunning) j["host"] = executor_host(t.lease_owner.value_or(""));
    if (auto it = st.held.find(t.id); it != st.held.end())
      j["held"] = json{{"overlaps", it->second.task}, {"path", it->second.path}};
    tasks.push_back(std::move(j));
  }
  json pauses = json::array();
  for (const auto& p : st.agent_pauses)
    pauses.push_back(json{{"agent", p.agent}, {"until_ms", p.until_ms}, {"limit", p.limit}, {"kind", p.kind}});
  return json{{"summary",
               {{"counts", counts},
                {"total", st.summary.total},
                {"cost_usd", st.summary.cost_usd},
                {"tokens_in", st.summary.tokens_in},
                {"tokens_out", st.summary.tokens_out}}},
              {"tasks", tasks},
              {"agent_pauses", pauses}};
}

// The tree lists tasks as they were added (t1, t2, … t10, sub-tasks by
// number), not in the store's priority order: it is a map of the plan.
std::vector<Task> in_creation_order(std::vector<Task> tasks) {
  auto number_parts = [](const std::string& id) {
    std::vector<long> parts;
    long cur = -1;
    for (char c : id) {
      if (c >= '0' && c <= '9') {
        cur = (cur < 0 ? 0 : cur * 10) + (c - '0');
      } else if (cur >= 0) {
        parts.push_back(cur);
        cur = -1;
      }
    }
    if (cur >= 0) parts.push_back(cur);
    return parts;
  };
  std::stable_sort(tasks.begin(), tasks.end(), [&](const Task& a, const Task& b) {
    auto pa = number_parts(a.id), pb = number_parts(b.id);
    if (pa != pb) return pa < pb;
    return a.id < b.id;
  });
  return tasks;
}

std::string render_status(const StatusView& st, bool tree, const std::string& default_agent) {
  std::ostringstream o;
  const StoreSummary& sum = st.summary;
  int total = sum.total;
  int done = sum.count(TaskStatus::kCompleted);
  o << progress_bar(done, total, 30) << " " << done << "/" << total << " completed\n";
  // Tasks awaiting review are ready ones in the store; they are counted apart.
  int reviews = 0;
  for (const auto& t : st.tasks) reviews += t.awaiting_review();
  for (TaskStatus s : kStates) {
    int n = sum.count(s) - (s == TaskStatus::kReady ? reviews : 0);
    if (n > 0) o << "  " << status_color(std::string(to_string(s))) << ": " << n << "\n";
    if (s == TaskStatus::kReady && reviews > 0) o << "  " << paint("awaiting review", "36") << ": " << reviews << "\n";
  }
  const int64_t now = wall_ms();
  for (const auto& t : st.tasks) {
    if (t.status != TaskStatus::kRunning) continue;
    o << "  " << paint("running", "36") << " " << t.id << " " << escape_control_chars(t.title) << "  (agent "
      << escape_control_chars(t.agent_or(default_agent))
      << ", attempt " << t.attempts << ", "
      << format_duration(std::chrono::milliseconds(now - (t.started_ms > 0 ? t.started_ms : now)))
      << running_where(t.lease_owner.value_or("")) << ")\n";
    // Where it is in the merge queue: waiting to land, verifying (with its
    // batch), resolving a conflict, fixing the merged result.
    for (const char* stage : {"waiting to land", "verifying its merge", "resolving merge conflicts", "fixing the merged result"})
      if (t.status_reason.rfind(stage, 0) == 0) {
        o << "    " << paint("landing", "35") << ": " << escape_control_chars(t.status_reason) << "\n";
        break;
      }
  }
  // "agent claude paused until 14:05, 4th rate limit"
  for (const auto& p : st.agent_pauses) {
    const std::string nth = p.limit > 0 ? ordinal(p.limit) + " " + (p.kind.empty() ? "limit" : p.kind) : "";
    o << "  " << paint("agent", "33") << " " << escape_control_chars(p.agent);
    if (p.until_ms > now) o << " paused until " << clock_text(p.until_ms, now) << (nth.empty() ? "" : ", " + nth) << "\n";
    else o << " limited" << (nth.empty() ? "" : " (" + nth + ")") << "; its pause is over, a run tries it again\n";
  }
  for (const auto& t : st.tasks) {
    if (t.status == TaskStatus::kFailed) o << "  " << paint("failed", "31") << " " << t.id << ": " << escape_control_chars(t.last_error) << "\n";
    if (t.status == TaskStatus::kBlocked) o << "  " << paint("blocked", "33") << " " << t.id << ": " << escape_control_chars(t.status_reason) << "\n";
    // A ready task with a reason is waiting for something: a merge the user's
    // checkout is in the way of, a retry backoff, an agent's usage limit.
    if (t.awaiting_review()) {
      o << "  " << paint("review", "36") << " " << t.id << ": " << escape_control_chars(t.wait.detail) << " (`drover diff "
        << t.id << "`; `drover approve " << t.id << "` or `drover reject " << t.id << " -m \"...\"`)\n";
    } else if (t.status == TaskStatus::kReady && !t.status_reason.empty()) {
      const bool merge = t.wait.kind == WaitKind::kMerge;
      const std::string why = merge && !t.wait.detail.empty() ? t.wait.detail : t.status_reason;
      o << "  " << paint(merge ? "awaiting merge" : "waiting", "33") << " " << t.id << ": " << escape_control_chars(why);
      if (!merge && t.not_before_ms > now)
        o << " (again in " << format_duration(std::chrono::milliseconds(t.not_before_ms - now)) << ")";
      o << "\n";
    }
    if (t.status == TaskStatus::kReady && t.paused)
      o << "  " << paint("paused", "33") << " " << t.id << ": not started until `drover unpause " << t.id << "`\n";
    else if (t.paused && t.status == TaskStatus::kRunning)
      o << "  " << paint("paused", "33") << " " << t.id << ": its running attempt finishes, then it waits for `drover unpause "
        << t.id << "`\n";
    if (auto it = st.held.find(t.id); it != st.held.end() && !t.paused)
      o << "  " << paint("held", "33") << " " << t.id << ": " << describe(it->second) << " (starts when " << it->second.task
        << " has finished; merge.overlap: hold)\n";
  }
  // Tasks whose agent ran but reported no cost (exec, codex) are not counted as $0.
  int unreported = 0;
  for (const auto& t : st.tasks) unreported += t.attempts > 0 && !t.cost_usd;
  if (sum.cost_usd > 0)
    o << "  cost so far: " << money(sum.cost_usd)
      << (unreported > 0 ? " (not reported for " + std::to_string(unreported) + " task" + (unreported == 1 ? ")" : "s)") : "")
      << "\n";
  else if (unreported > 0)
    o << "  cost: not reported\n";
  if (tree) {
    o << "\n";
    const std::vector<Task> plan = in_creation_order(st.tasks);
    for (const auto& t : plan) {
      if (t.parent) continue;
      o << "  " << t.id << "  [" << status_color(std::string(to_string(t.status))) << "] " << escape_control_chars(t.title);
      if (!t.blocked_by.empty()) {
        std::string b;
        for (const auto& x : t.blocked_by) b += (b.empty() ? "" : ",") + x;
        o << "  (after " << b << ")";
      }
      o << "\n";
      for (const auto& c : plan) {
        if (c.parent && *c.parent == t.id)
          o << "    " << c.id << "  [" << status_color(std::string(to_string(c.status))) << "] " << escape_control_chars(c.title) << "\n";
      }
    }
  }
  return o.str();
}

// Why `status --watch` can stop, or nullopt while something can still change:
// an agent is running (its lease is being renewed), or a run is active here
// (it starts ready tasks, waits out backoffs and usage limits).
std::optional<std::string> why_nothing_can_progress(const StatusView& st, bool run_active, int64_t now_ms) {
  int live = 0, stale = 0;
  for (const auto& t : st.tasks) {
    if (t.status != TaskStatus::kRunning) continue;
    ++(t.lease_expires_ms > now_ms ? live : stale);
  }
  if (live > 0 || run_active) return std::nullopt;
  int paused = 0, reviews = 0;
  for (const auto& t : st.tasks) {
    paused += t.status == TaskStatus::kReady && t.paused;
    reviews += t.awaiting_review() && !t.paused;
  }
  const int ready = st.summary.count(TaskStatus::kReady) - paused - reviews;
  if (stale > 0)
    return std::to_string(stale) + " task" + (stale == 1 ? " was" : "s were") +
           " left running by a run that ended; `drover resume` continues " + (stale == 1 ? "it" : "them");
  if (ready <= 0 && reviews > 0)
    return std::to_string(reviews) + " task" + (reviews == 1 ? " awaits" : "s await") +
           " your review; `drover show <id>`, then `drover approve <id>` or `drover reject <id> -m \"...\"`";
  if (ready <= 0 && paused > 0)
    return std::to_string(paused) + " ready task" + (paused == 1 ? " is" : "s are") +
           " paused and nothing else can run; `drover unpause <id>` lets one start";
  if (ready > 0)
    return std::to_string(ready) + " task" + (ready == 1 ? " is" : "s are") +
           " ready but no `drover run` is active; start one with `drover run`";
  const int total = st.summary.total, completed = st.summary.count(TaskStatus::kCompleted);
  if (total > 0 && completed == total)
    return total == 1 ? std::string("the only task is completed") : "all " + std::to_string(total) + " tasks are completed";
  std::string left;
  for (TaskStatus s : {TaskStatus::kFailed, TaskStatus::kBlocked, TaskStatus::kWaiting, TaskStatus::kCancelled})
    if (int n = st.summary.count(s); n > 0) left += (left.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(to_string(s));
  return "nothing is running or ready" + (left.empty() ? std::string() : " (" + left + "; `drover status --tree` shows why)");
}

// The log `drover logs` shows without --follow: of the latest generation
// that has logs (a retry or reset starts a new one), the asked or latest
// attempt, and in it the asked or latest round. Exits 2 saying what there is.
fs::path recorded_log(const std::string& drover_dir, const Task& t, int attempt, int round) {
  std::vector<RecordedRound> rounds = recorded_rounds(drover_dir, t.id);
  if (rounds.empty()) {
    if (t.attempts <= 0)
      fail(kExitUsage, "task " + t.id + " has not run yet, so it has no log; `drover logs -f " + t.id +
                           "` waits for it to start");
    fail(kExitUsage, "no log for task " + t.id + " under " + drover_dir + "/logs/" + t.id +
                         "; logs stay on the machine that ran the attempt (and are gone if .drover/logs was cleaned)");
  }
  const int64_t generation = rounds.back().generation;
  std::vector<RecordedRound> mine;
  for (auto& r : rounds)
    if (r.generation == generation) mine.push_back(std::move(r));
  const int attempts = mine.back().attempt;
  if (attempt <= 0) attempt = attempts;
  std::vector<RecordedRound> of_attempt;
  for (auto& r : mine)
    if (r.attempt == attempt) of_attempt.push_back(std::move(r));
  if (of_attempt.empty())
    fail(kExitUsage, "task " + t.id + " has had " + std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") +
                         (generation > 0 ? " since it was last retried or reset" : "") + ", not " +
                         std::to_string(attempt) + "; leave out --attempt for the latest");
  if (round <= 0) return of_attempt.back().files.log;
  for (const auto& r : of_attempt)
    if (r.round == round) return r.files.log;
  const int rounds_run = of_attempt.back().round;
  fail(kExitUsage, "attempt " + std::to_string(attempt) + " of task " + t.id + " has had " + std::to_string(rounds_run) +
                       " round" + (rounds_run == 1 ? "" : "s") + ", not " + std::to_string(round) +
                       "; leave out --round for the latest");
}

// The log to follow: the attempt's file in the task's current generation,
// or where an engine that does not separate generations writes it.
fs::path followed_log(const std::string& drover_dir, const Task& t, int attempt, int round) {
  if (round <= 0) {
    round = 1;
    for (const auto& r : recorded_rounds(drover_dir, t.id))
      if (r.generation == t.generation && r.attempt == attempt) round = std::max(round, r.round);
  }
  fs::path file = attempt_files(drover_dir, t.id, t.generation, attempt, round).log;
  std::error_code ec;
  if (t.generation > 0 && !fs::exists(file, ec)) {
    fs::path legacy = attempt_files(drover_dir, t.id, 0, attempt, round).log;
    if (fs::exists(legacy, ec)) return legacy;
  }
  return file;
}

}  // namespace

void add_status_commands(CLI::App& app, GlobalOptions& g) {
  struct StatusArgs {
    std::string epic;
    bool tree = false, watch = false, json_out = false;
  };
  auto* a = new StatusArgs();
  auto* status = app.add_subcommand("status", "Progress of the project's tasks");
  status->add_option("--epic", a->epic, "only this epic");
  status->add_flag("--tree", a->tree, "also list tasks with sub-tasks and dependencies");
  status->add_flag("--watch", a->watch, "keep showing until nothing can change (no agent running, no run active); with --json, one JSON object per line");
  status->add_flag("--json", a->json_out, "JSON: {summary, tasks}");
  status->callback([&g, a] {
    auto project = open_project(g);
    if (!a->epic.empty()) require_epic(open_store(*project), a->epic);
    const std::string drover_dir = project->config().drover_dir();
    while (true) {
      StatusView st = load_status(*project, a->epic);
      if (a->json_out) {
        // Watching prints JSON Lines: one compact object per look.
        std::cout << (a->watch ? status_json(st).dump() : status_json(st).dump(2)) << "\n" << std::flush;
      } else {
        std::string text = render_status(st, a->tree, project->config().default_agent);
        if (a->watch && color_enabled()) std::cout << "\033[H\033[2J";
        std::cout << text << std::flush;
      }
      if (!a->watch) break;
      const std::optional<std::string> why = why_nothing_can_progress(st, RunPresence::any_active(drover_dir), wall_ms());
      if (why) {
        // On stderr, so that --json output stays JSON Lines.
        std::cerr << "drover: " << *why << "\n";
        break;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!color_enabled() && !a->json_out) std::cout << "\n";
    }
  });

  auto* info_id = new std::string();
  auto* info_json = new bool(false);
  auto* info = app.add_subcommand("info", "Everything about one task");
  info->add_option("id", *info_id, "task id")->required();
  info->add_flag("--json", *info_json, "JSON: {task, events, diff}");
  info->callback([&g, info_id, info_json] {
    auto project = open_project(g);
    TaskStore& store = open_store(*project);
    Task t = get_task_or_fail(store, *info_id);
    EventFilter only_this;
    only_this.task_id = *info_id;
    std::vector<TaskEvent> events = unwrap(store.list_events(only_this));
    std::optional<DiffSummary> diff;
    if (auto ws = project->workspace(); ws.ok()) {
      auto d = ws.value()->diff_summary(WorktreeKey{*info_id, 1}, project->config().target_branch);
      if (d.ok()) diff = d.value();
    }
    if (*info_json) {
      json ev = json::array();
      for (const auto& e : events) ev.push_back(to_json(e));
      json d;
      if (diff)
        d = json{{"files", diff->files}, {"insertions", diff->insertions}, {"deletions", diff->deletions}, {"paths", diff->paths}};
      std::cout << json{{"task", to_json(t)}, {"events", ev}, {"diff", d}}.dump(2) << "\n";
      return;
    }
    auto field = [](const char* k, const std::string& v) {
      if (!v.empty()) std::cout << "  " << k << ": " << escape_control_chars(v) << "\n";
    };
    auto ids = [](const std::vector<std::string>& a) {
      std::string s;
      for (const auto& x : a) s += (s.empty() ? "" : ", ") + x;
      return s;
    };
    std::cout << t.id << "  " << escape_control_chars(t.title) << "\n";
    field("status", status_color(std::string(to_string(t.status))));
    field("reason", t.status_reason);
    field("epic", t.epic.value_or(""));
    field("parent", t.parent.value_or(""));
    field("priority", priority_name(t.priority));
    field("agent", t.agent ? *t.agent : project->config().default_agent + " (the default agent)");
    field("attempts", std::to_string(t.attempts) + " of " +
                          std::to_string(t.max_attempts > 0 ? t.max_attempts : project->config().max_attempts));
    field("blocked by", ids(t.blocked_by));
    field("blocks", ids(t.blocks));
    field("touches", ids(t.touches));
    field("learned touches", ids(t.learned_touches));
    if (t.paused) field("paused", "yes (`drover unpause " + t.id + "` lets it run)");
    if (t.awaiting_review()) field("awaiting review", t.wait.detail);
    field("the agent said", first_line(t.result_summary, 200));
    field("last error", t.last_error);
    field("session", t.session_id);
    if (t.tokens_in + t.tokens_out > 0)
      field("tokens", std::to_string(t.tokens_in) + " in, " + std::to_string(t.tokens_out) + " out");
    if (t.cost_usd) field("cost", money(*t.cost_usd));
    else if (t.attempts > 0) field("cost", "not reported (the agent reports none)");
    field("merge commit", t.merge_commit);
    field("created", format_time(t.created_ms));
    if (t.completed_ms > 0) field("finished", format_time(t.completed_ms));
    if (diff)
      field("diff", std::to_string(diff->files) + " files, +" + std::to_string(diff->insertions) + " -" +
                        std::to_string(diff->deletions));
    if (!t.description.empty()) std::cout << "  description:\n    " << escape_control_chars(t.description, "\n\t") << "\n";
    std::cout << "  history:\n";
    for (const auto& e : events) {
      // The kind as words ("attempt started"); --json keeps the recorded name.
      std::string kind = e.kind;
      std::replace(kind.begin(), kind.end(), '_', ' ');
      std::cout << "    " << format_time(e.created_ms) << "  " << escape_control_chars(kind) << "  "
                << escape_control_chars(e.message) << "\n";
      if (e.kind == "attempt_started" && e.data.is_object() && e.data.contains("log_file") && e.data["log_file"].is_string())
        std::cout << "      log: " << e.data["log_file"].get<std::string>() << "\n";
    }
  });

  struct LogArgs {
    std::string id;
    int attempt = 0, round = 0;
    bool follow = false;
  };
  auto* la = new LogArgs();
  auto* logs = app.add_subcommand("logs", "The agent's output for a task");
  logs->add_option("id", la->id, "task id")->required();
  logs->add_option("--attempt", la->attempt, "which attempt (default: the latest)")->check(CLI::Range(1, 1000000));
  logs->add_option("--round", la->round, "which round of the attempt (default: the latest)")->check(CLI::Range(1, 1000));
  logs->add_flag("-f,--follow", la->follow,
                 "keep printing new output until the attempt ends (waits for a task that has not started)");
  logs->callback([&g, la] {
    auto project = open_project(g);
    TaskStore& store = open_store(*project);
    Task t = get_task_or_fail(store, la->id);
    const std::string drover_dir = project->config().drover_dir();
    fs::path file;
    int attempt = la->attempt;
    if (!la->follow) {
      // The store's copy unless this machine has the round's log: the local
      // file is complete (not capped by logs.store_max_size) and costs the
      // store nothing; a round run elsewhere is only in the store.
      if (std::optional<StoredLogKey> key = stored_round(store, t.id, la->attempt, la->round)) {
        bool here = false;
        for (const auto& r : recorded_rounds(drover_dir, t.id))
          here = here || (r.generation == key->generation && r.attempt == key->attempt && r.round == key->round);
        if (!here) return print_stored_log(store, *key);
      }
      file = recorded_log(drover_dir, t, la->attempt, la->round);
    } else {
      // Following a task that has not started (or not reached the asked attempt):
      // wait for it, unless it can no longer start.
      if (attempt <= 0) attempt = t.attempts;
      bool said_waiting = false;
      while (attempt <= 0 || t.attempts < attempt) {
        if (t.status != TaskStatus::kReady && t.status != TaskStatus::kWaiting && t.status != TaskStatus::kRunning)
          fail(kExitUsage, "task " + la->id + " is " + std::string(to_string(t.status)) + " and has not run" +
                               (attempt > 0 ? " attempt " + std::to_string(attempt) : "") + "; there is no log to follow");
        if (!said_waiting) {
          std::cerr << "drover: task " << la->id << " has not started" << (attempt > 0 ? " attempt " + std::to_string(attempt) : "")
                    << "; waiting for it (`drover run` starts it; Ctrl-C stops waiting)\n";
          said_waiting = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        t = get_task_or_fail(store, la->id);
        if (la->attempt <= 0) attempt = t.attempts;
      }
      // An attempt run elsewhere — on another machine, or by a run in
      // another clone sharing the store — is followed in the store, where its
      // executor streams the output (once a second); so is one that ran
      // elsewhere and ended.
      const std::string owner = t.lease_owner.value_or("");
      file = followed_log(drover_dir, t, attempt, la->round);
      std::error_code ec;
      const bool elsewhere =
          t.status == TaskStatus::kRunning
              ? !owner.empty() && (executor_host(owner) != this_host() || !RunPresence::any_active(drover_dir))
              : !fs::exists(file, ec) && stored_round(store, t.id, attempt, la->round).has_value();
      if (elsewhere) return follow_stored_log(store, t.id, t.generation, attempt, la->round);
    }
    std::ifstream in(file, std::ios::binary);
    // The attempt has begun; its log appears a moment later.
    for (int i = 0; !in && la->follow && i < 100; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      in.open(file, std::ios::binary);
    }
    if (!in)
      fail(kExitUsage, "no log for task " + la->id + " attempt " + std::to_string(attempt) + " at " + file.string() +
                           "; logs stay on the machine that ran the attempt (and are gone if .drover/logs was cleaned)");
    while (true) {
      copy_new_output(in);
      if (!la->follow) break;
      Task cur = get_task_or_fail(store, la->id);
      if (cur.status != TaskStatus::kRunning || cur.attempts != attempt) {
        copy_new_output(in);
        break;
      }
      // A capped log is cut back while the agent writes (logs.max_size): carry on from its new end.
      in.clear();
      std::error_code ec;
      const auto size = fs::file_size(file, ec);
      if (!ec && in.tellg() > static_cast<std::streamoff>(size)) {
        std::cerr << "drover: " << file.string() << " was cut to logs.max_size; following from its new end\n";
        in.seekg(0, std::ios::end);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });

  auto* config = app.add_subcommand("config", "Check the configuration");
  config->require_subcommand(1);
  auto* cc = config->add_subcommand("check", "Validate drover.yaml and every plugin's own config, running nothing");
  cc->callback([&g] {
    auto project = open_project(g);
    check_plugin_configs(*project);
    std::cout << project->config().path << ": OK (storage " << project->config().storage.plugin << ", vcs "
              << project->config().vcs.plugin << ", " << project->config().agents.size() << " agent"
              << (project->config().agents.size() == 1 ? "" : "s") << ")\n";
  });
}

}  // namespace drover::cli
