// drover executors: the `drover run` processes sharing this project's store,
// on this machine or any other (storage ABI 1.4), with the tasks each holds
// and when it was last heard from. An executor that has not beaten for
// longer than its lease is shown as lost: its leases may be taken over.
#include <iostream>
#include <sstream>

#include "cli_support.h"
#include "drover/common/duration.h"

namespace drover::cli {
namespace {

using json = nlohmann::json;

// Executors that ended (or were lost) this long ago and hold nothing are left
// out unless --all: every run is an executor, and a project has many.
constexpr int64_t kForgetAfterMs = 24 * 3600 * 1000;

struct Shown {
  const ExecutorRecord* record;
  std::string status;  // running, stopping, stopped, lost
  int64_t age_ms;
};

std::string status_of(const ExecutorRecord& e, int64_t age_ms, int64_t default_lease_ms) {
  if (e.beat.state == ExecutorState::kStopped) return "stopped";
  const int64_t lease = e.beat.lease_ms > 0 ? e.beat.lease_ms : default_lease_ms;
  if (age_ms > lease) return "lost";
  return std::string(to_string(e.beat.state));
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out.empty() ? "-" : out;
}

std::string pad(const std::string& text, size_t width) {
  return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

}  // namespace

void add_executor_commands(CLI::App& app, GlobalOptions& g) {
  struct Args {
    bool json_out = false, all = false;
  };
  auto* a = new Args();
  auto* cmd = app.add_subcommand("executors", "The `drover run` processes sharing the store, on any machine");
  cmd->add_flag("--json", a->json_out, "JSON: {now_ms, executors: [...]}");
  cmd->add_flag("--all", a->all, "also executors that ended (or were lost) over a day ago and hold no task");
  cmd->callback([&g, a] {
    auto project = open_project(g);
    TaskStore& store = open_store(*project);
    auto listed = store.list_executors(wall_ms());
    if (!listed.ok() && listed.status().code() == StatusCode::kUnsupported)
      fail(kExitUsage, listed.status().message() + "; `drover executors` needs a storage plugin built for plugin ABI "
                                                   "1.4 or later (`drover plugins list`)");
    ExecutorList list = unwrap(std::move(listed));
    const int64_t default_lease = project->config().lease_duration.count();
    std::vector<Shown> shown;
    for (const auto& e : list.executors) {
      const int64_t age = std::max<int64_t>(0, list.now_ms - e.last_beat_ms);
      std::string status = status_of(e, age, default_lease);
      const bool ended = status == "stopped" || status == "lost";
      if (!a->all && ended && e.tasks.empty() && age > kForgetAfterMs) continue;
      shown.push_back(Shown{&e, std::move(status), age});
    }
    if (a->json_out) {
      json out = json::array();
      for (const auto& s : shown) {
        const ExecutorRecord& e = *s.record;
        out.push_back(json{{"id", e.beat.id},
                           {"host", e.beat.host},
                           {"pid", e.beat.pid},
                           {"started_ms", e.beat.started_ms},
                           {"version", e.beat.version},
                           {"workers", e.beat.workers},
                           {"lease_ms", e.beat.lease_ms},
                           {"state", to_string(e.beat.state)},
                           {"status", s.status},
                           {"last_beat_ms", e.last_beat_ms},
                           {"last_beat_age_ms", s.age_ms},
                           {"tasks", e.tasks}});
      }
      std::cout << json{{"now_ms", list.now_ms}, {"executors", out}}.dump(2) << "\n";
      return;
    }
    if (shown.empty()) {
      std::cout << "no executors: no `drover run` has used this store"
                << (list.executors.empty() ? "" : " within a day (`--all` lists older ones)") << "\n";
      return;
    }
    std::ostringstream o;
    o << pad("HOST", 18) << pad("PID", 8) << pad("STARTED", 21) << pad("HEARD FROM", 12) << pad("STATE", 10)
      << "TASKS\n";
    for (const auto& s : shown) {
      const ExecutorRecord& e = *s.record;
      const std::string heard = format_duration(std::chrono::milliseconds(s.age_ms)) + " ago";
      const char* colour = s.status == "lost" ? "31" : s.status == "running" ? "32" : "33";
      o << pad(escape_control_chars(e.beat.host), 18) << pad(std::to_string(e.beat.pid), 8)
        << pad(format_time(e.beat.started_ms), 21) << pad(heard, 12)
        << paint(pad(s.status, 10), colour) << joined(e.tasks) << "\n";
    }
    std::cout << o.str();
  });
}

}  // namespace drover::cli
