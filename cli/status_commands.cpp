// drover status / info / logs / config check.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli_support.h"
#include "drover/common/duration.h"
#include "drover/task_fields.h"

namespace drover::cli {
namespace {

using Storage = drover_storage_vtable_v1;
namespace fs = std::filesystem;

const char* kStates[] = {"completed", "running", "ready", "waiting", "blocked", "failed", "cancelled"};

std::string money(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.4f", v);
  return buf;
}

std::string progress_bar(int done, int total, int width) {
  int filled = total == 0 ? 0 : done * width / total;
  std::string bar = "[";
  for (int i = 0; i < width; ++i) bar += i < filled ? "#" : ".";
  return bar + "]";
}

json status_json(Project& p, const std::string& epic) {
  json filter = json::object();
  if (!epic.empty()) filter["epic"] = epic;
  json out;
  out["summary"] = unwrap(store_call(p, &Storage::summary, "summary", filter));
  out["tasks"] = unwrap(store_call(p, &Storage::list_tasks, "list_tasks", filter));
  return out;
}

std::string render_status(const json& st, bool tree) {
  std::ostringstream o;
  const json& sum = st["summary"];
  const json& counts = sum["counts"];
  int total = sum.value("total", 0);
  int done = counts.value("completed", 0);
  o << progress_bar(done, total, 30) << " " << done << "/" << total << " completed\n";
  for (const char* s : kStates) {
    int n = counts.value(s, 0);
    if (n > 0) o << "  " << status_color(s) << ": " << n << "\n";
  }
  const int64_t now = wall_ms();
  for (const auto& t : st["tasks"]) {
    if (t.value("status", "") != "running") continue;
    std::string agent = t["agent"].is_string() ? t["agent"].get<std::string>() : "default";
    o << "  " << paint("running", "36") << " " << t.value("id", "") << " " << t.value("title", "") << "  (agent " << agent
      << ", attempt " << t.value("attempts", 0) << ", "
      << format_duration(std::chrono::milliseconds(now - t.value("started_ms", now))) << ", worker "
      << t.value("lease_owner", "") << ")\n";
  }
  for (const auto& t : st["tasks"]) {
    const std::string s = t.value("status", "");
    if (s == "failed") o << "  " << paint("failed", "31") << " " << t.value("id", "") << ": " << t.value("last_error", "") << "\n";
    if (s == "blocked") o << "  " << paint("blocked", "33") << " " << t.value("id", "") << ": " << t.value("status_reason", "") << "\n";
    // A ready task with a reason is waiting for something: a merge the user's
    // checkout is in the way of, a retry backoff, an agent's usage limit.
    if (s == "ready" && !t.value("status_reason", "").empty()) {
      const std::string reason = t.value("status_reason", "");
      const bool merge = reason.rfind("awaiting_merge", 0) == 0;
      o << "  " << paint(merge ? "awaiting merge" : "waiting", "33") << " " << t.value("id", "") << ": " << reason;
      const int64_t nb = t.value("not_before_ms", int64_t{0});
      if (!merge && nb > now) o << " (again in " << format_duration(std::chrono::milliseconds(nb - now)) << ")";
      o << "\n";
    }
  }
  if (sum.value("cost_usd", 0.0) > 0) o << "  cost so far: " << money(sum.value("cost_usd", 0.0)) << "\n";
  if (tree) {
    o << "\n";
    for (const auto& t : st["tasks"]) {
      if (t["parent"].is_string()) continue;
      o << "  " << t.value("id", "") << "  [" << status_color(t.value("status", "")) << "] " << t.value("title", "");
      if (!t.value("blocked_by", json::array()).empty()) {
        std::string b;
        for (const auto& x : t["blocked_by"]) b += (b.empty() ? "" : ",") + x.get<std::string>();
        o << "  (after " << b << ")";
      }
      o << "\n";
      for (const auto& c : st["tasks"]) {
        if (c["parent"].is_string() && c["parent"].get<std::string>() == t.value("id", ""))
          o << "    " << c.value("id", "") << "  [" << status_color(c.value("status", "")) << "] " << c.value("title", "") << "\n";
      }
    }
  }
  return o.str();
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
  status->add_flag("--watch", a->watch, "keep showing until nothing is running or ready");
  status->add_flag("--json", a->json_out, "JSON: {summary, tasks}");
  status->callback([&g, a] {
    auto project = open_project(g);
    while (true) {
      json st = status_json(*project, a->epic);
      if (a->json_out) {
        std::cout << st.dump(2) << "\n";
      } else {
        std::string text = render_status(st, a->tree);
        if (a->watch && color_enabled()) std::cout << "\033[H\033[2J";
        std::cout << text << std::flush;
      }
      const json& c = st["summary"]["counts"];
      bool active = c.value("running", 0) + c.value("ready", 0) > 0;
      if (!a->watch || !active) break;
      std::this_thread::sleep_for(std::chrono::seconds(1));
      if (!color_enabled()) std::cout << "\n";
    }
  });

  auto* info_id = new std::string();
  auto* info_json = new bool(false);
  auto* info = app.add_subcommand("info", "Everything about one task");
  info->add_option("id", *info_id, "task id")->required();
  info->add_flag("--json", *info_json, "JSON: {task, events, diff}");
  info->callback([&g, info_id, info_json] {
    auto project = open_project(g);
    json t = unwrap(store_call(*project, &Storage::get_task, "get_task", json{{"id", *info_id}}));
    json events = unwrap(store_call(*project, &Storage::list_events, "list_events", json{{"task_id", *info_id}}));
    json diff;
    if (auto vcs = project->vcs(); vcs.ok()) {
      auto d = vcs.value()->call(&drover_vcs_vtable_v1::diff_summary, "diff_summary",
                                 json{{"task_id", *info_id}, {"target_branch", project->config().target_branch}});
      if (d.ok()) diff = d.value();
    }
    if (*info_json) {
      std::cout << json{{"task", t}, {"events", events}, {"diff", diff}}.dump(2) << "\n";
      return;
    }
    auto field = [](const char* k, const std::string& v) {
      if (!v.empty()) std::cout << "  " << k << ": " << v << "\n";
    };
    auto ids = [](const json& a) {
      std::string s;
      for (const auto& x : a) s += (s.empty() ? "" : ", ") + x.get<std::string>();
      return s;
    };
    std::cout << t.value("id", "") << "  " << t.value("title", "") << "\n";
    field("status", status_color(t.value("status", "")));
    field("reason", t.value("status_reason", ""));
    field("epic", t["epic"].is_string() ? t["epic"].get<std::string>() : "");
    field("parent", t["parent"].is_string() ? t["parent"].get<std::string>() : "");
    field("priority", priority_name(t.value("priority", 1)));
    field("agent", t["agent"].is_string() ? t["agent"].get<std::string>() : "(default) " + project->config().default_agent);
    field("attempts", std::to_string(t.value("attempts", 0)) + " of " +
                          std::to_string(t.value("max_attempts", 0) > 0 ? t.value("max_attempts", 0) : project->config().max_attempts));
    field("blocked by", ids(t.value("blocked_by", json::array())));
    field("blocks", ids(t.value("blocks", json::array())));
    field("last error", t.value("last_error", ""));
    field("session", t.value("session_id", ""));
    if (t.value("tokens_in", 0) + t.value("tokens_out", 0) > 0)
      field("tokens", std::to_string(t.value("tokens_in", 0)) + " in, " + std::to_string(t.value("tokens_out", 0)) + " out");
    if (t.value("cost_usd", 0.0) > 0) field("cost", money(t.value("cost_usd", 0.0)));
    field("merge commit", t.value("merge_commit", ""));
    field("created", format_time(t.value("created_ms", int64_t{0})));
    if (t.value("completed_ms", int64_t{0}) > 0) field("finished", format_time(t.value("completed_ms", int64_t{0})));
    if (!diff.is_null())
      field("diff", std::to_string(diff.value("files", 0)) + " files, +" + std::to_string(diff.value("insertions", 0)) +
                        " -" + std::to_string(diff.value("deletions", 0)));
    std::string desc = t.value("description", "");
    if (!desc.empty()) std::cout << "  description:\n    " << desc << "\n";
    std::cout << "  history:\n";
    for (const auto& e : events) {
      std::cout << "    " << format_time(e.value("created_ms", int64_t{0})) << "  " << e.value("kind", "") << "  "
                << e.value("message", "") << "\n";
      if (e.value("kind", "") == "attempt_started" && e["data"].is_object() && e["data"].contains("log_file"))
        std::cout << "      log: " << e["data"]["log_file"].get<std::string>() << "\n";
    }
  });

  struct LogArgs {
    std::string id;
    int attempt = 0;
    bool follow = false;
  };
  auto* la = new LogArgs();
  auto* logs = app.add_subcommand("logs", "The agent's output for a task");
  logs->add_option("id", la->id, "task id")->required();
  logs->add_option("--attempt", la->attempt, "which attempt (default: the latest)");
  logs->add_flag("-f,--follow", la->follow, "keep printing new output until the attempt ends");
  logs->callback([&g, la] {
    auto project = open_project(g);
    json t = unwrap(store_call(*project, &Storage::get_task, "get_task", json{{"id", la->id}}));
    int attempt = la->attempt > 0 ? la->attempt : t.value("attempts", 0);
    if (attempt <= 0) fail(kExitUsage, "task " + la->id + " has not run yet; no logs");
    fs::path file = fs::path(project->config().drover_dir()) / "logs" / la->id / (std::to_string(attempt) + ".log");
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(kExitUsage, "no log for task " + la->id + " attempt " + std::to_string(attempt) + " (" + file.string() + ")");
    std::string line;
    while (true) {
      while (std::getline(in, line)) std::cout << line << "\n";
      std::cout << std::flush;
      if (!la->follow) break;
      json cur = unwrap(store_call(*project, &Storage::get_task, "get_task", json{{"id", la->id}}));
      if (cur.value("status", "") != "running" || cur.value("attempts", 0) != attempt) {
        in.clear();
        while (std::getline(in, line)) std::cout << line << "\n";
        break;
      }
      in.clear();
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
