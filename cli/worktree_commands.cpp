// drover worktree list / prune.
#include <iostream>

#include "cli_support.h"

namespace drover::cli {
namespace {

using Vcs = drover_vcs_vtable_v1;
using Storage = drover_storage_vtable_v1;

std::string target_branch(Project& p) {
  if (!p.config().target_branch.empty()) return p.config().target_branch;
  auto vcs = unwrap(p.vcs());
  auto info = unwrap(vcs->call(&Vcs::repo_info, "repo_info", json::object()));
  return info["head_branch"].is_string() ? info["head_branch"].get<std::string>() : "HEAD";
}

// The task a worktree belongs to: "t3" for "t3" and for a conflict retry "t3-r2".
std::string task_of(const std::string& key) {
  auto pos = key.rfind("-r");
  return pos == std::string::npos ? key : key.substr(0, pos);
}

// The status of the task a worktree belongs to, or "orphan" if the store has no such task.
std::string task_status(Project& p, const std::string& key) {
  auto store = p.store();
  if (!store.ok()) return "orphan";
  auto task = store.value()->call(&Storage::get_task, "get_task", json{{"id", task_of(key)}});
  return task.ok() ? task.value().value("status", "") : "orphan";
}

}  // namespace

void add_worktree_commands(CLI::App& app, GlobalOptions& g) {
  auto* wt = app.add_subcommand("worktree", "Task worktrees under .drover/worktrees");
  wt->require_subcommand(1);

  auto* list_json = new bool(false);
  auto* list = wt->add_subcommand("list", "Every task worktree with its task, state and size");
  list->add_flag("--json", *list_json, "JSON output");
  list->callback([&g, list_json] {
    auto project = open_project(g);
    auto vcs = unwrap(project->vcs());
    auto wts = unwrap(vcs->call(&Vcs::list_worktrees, "list_worktrees", json{{"target_branch", target_branch(*project)}}));
    for (auto& w : wts) w["task_status"] = task_status(*project, w.value("task_id", ""));
    if (*list_json) {
      std::cout << wts.dump(2) << "\n";
      return;
    }
    if (wts.empty()) std::cout << "no task worktrees\n";
    for (const auto& w : wts) {
      std::cout << w.value("task_id", "") << "  " << w.value("task_status", "") << "  "
                << (w.value("merged", false) ? "merged" : "unmerged") << (w.value("dirty", false) ? ", uncommitted changes" : "")
                << "  " << (w.value("size_bytes", int64_t{0}) / 1024) << " KiB  "
                << (w.value("path", "").empty() ? "(branch " + w.value("branch", "") + " only, no worktree)" : w.value("path", ""))
                << "\n";
    }
  });

  auto* force = new bool(false);
  auto* prune = wt->add_subcommand("prune", "Remove worktrees of merged or abandoned tasks (never unmerged work unless --force)");
  prune->add_flag("--force", *force, "also remove worktrees holding unmerged commits or uncommitted changes");
  prune->callback([&g, force] {
    auto project = open_project(g);
    auto vcs = unwrap(project->vcs());
    const std::string target = target_branch(*project);
    auto wts = unwrap(vcs->call(&Vcs::list_worktrees, "list_worktrees", json{{"target_branch", target}}));
    int removed = 0, kept = 0;
    for (const auto& w : wts) {
      const std::string key = w.value("task_id", "");
      if (key == task_of(key) && task_status(*project, key) == "running") {
        std::cout << key << ": kept (its task is running)\n";
        ++kept;
        continue;
      }
      auto r = vcs->call(&Vcs::remove_worktree, "remove_worktree", json{{"task_id", key}, {"force", *force}, {"target_branch", target}});
      if (!r.ok()) {
        std::cout << key << ": kept (" << r.status().message() << ")\n";
        ++kept;
        continue;
      }
      if (r.value().value("removed", false)) {
        ++removed;
        std::cout << key << ": removed";
        auto discarded = r.value().value("discarded", json::array());
        if (!discarded.empty()) {
          std::cout << "; discarded:";
          for (const auto& d : discarded) std::cout << " " << (d.is_string() ? d.get<std::string>() : d.dump());
        }
        std::cout << "\n";
      } else {
        ++kept;
        std::cout << key << ": kept (holds unmerged work; --force discards it)\n";
      }
    }
    std::cout << removed << " removed, " << kept << " kept\n";
  });
}

}  // namespace drover::cli
