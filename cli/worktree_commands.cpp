// drover worktree list / prune.
#include <iostream>

#include "cli_support.h"

namespace drover::cli {
namespace {

// The status of the task a worktree belongs to, or "orphan" if the store has
// no such task (or the name is not one Drover gives a worktree).
std::string task_status(Project& p, const WorktreeInfo& w) {
  if (!w.key) return "orphan";
  // A store that cannot answer (unreachable, damaged) stops the command: taking
  // every worktree for an orphan would let prune delete work.
  auto task = open_store(p).get_task(w.key->task);
  if (!task.ok() && task.status().code() != StatusCode::kNotFound) check(task.status());
  return task.ok() ? std::string(to_string(task.value().status)) : "orphan";
}

json worktree_json(const WorktreeInfo& w, const std::string& task_status) {
  return json{{"task_id", w.name},     {"path", w.path},   {"branch", w.branch},
              {"head", w.head},        {"merged", w.merged}, {"dirty", w.dirty},
              {"broken", w.broken},    {"size_bytes", w.size_bytes}, {"task_status", task_status}};
}

// Why prune kept a worktree, in the command's terms: the VCS says what is in
// the way and how its API would discard it; the user discards with --force.
std::string kept_because(const Status& refusal) {
  std::string why = refusal.message();
  if (why.rfind("vcs ", 0) == 0 && why.find(": ") != std::string::npos) why = why.substr(why.find(": ") + 2);
  if (refusal.code() != StatusCode::kConflict) return why;
  if (const size_t advice = why.rfind("; "); advice != std::string::npos) why = why.substr(0, advice);
  return why + "; --force discards it";
}

}  // namespace

void add_worktree_commands(CLI::App& app, GlobalOptions& g) {
  auto* wt = app.add_subcommand("worktree", "Task worktrees under .drover/worktrees");
  wt->require_subcommand(1);

  auto* list_json = new bool(false);
  auto* list_all = new bool(false);
  auto* list = wt->add_subcommand("list", "Every task worktree with its task, state and size");
  list->add_flag("--json", *list_json, "JSON output");
  list->add_flag("--all", *list_all, "also the work Drover kept under refs/drover/ (rounds that did not land, interrupted attempts)");
  list->callback([&g, list_json, list_all] {
    auto project = open_project(g);
    Workspace& workspace = open_workspace(*project);
    std::vector<WorktreeInfo> wts = unwrap(workspace.list(target_branch(*project)));
    std::vector<KeptWork> kept;
    if (*list_all) kept = unwrap(workspace.kept_work());
    if (*list_json) {
      json out = json::array();
      for (const auto& w : wts) out.push_back(worktree_json(w, task_status(*project, w)));
      for (const auto& k : kept)
        out.push_back(json{{"task_id", k.name}, {"kept_ref", k.ref}, {"head", k.head}, {"summary", k.summary}});
      std::cout << out.dump(2) << "\n";
      return;
    }
    for (const auto& k : kept)
      std::cout << k.name << "  kept  " << k.head.substr(0, 10) << "  " << k.ref << "  \""
                << escape_control_chars(k.summary) << "\"\n";
    if (wts.empty()) std::cout << "no task worktrees\n";
    for (const auto& w : wts) {
      std::cout << w.name << "  " << task_status(*project, w) << "  " << (w.merged ? "merged" : "unmerged")
                << (w.broken ? ", damaged (its .git link is gone; its files are kept)"
                             : w.dirty ? ", uncommitted changes" : "")
                << "  " << (w.head.empty() ? std::string("-") : w.head.substr(0, 10)) << "  "
                << (w.size_bytes / 1024) << " KiB  "
                << escape_control_chars(w.path.empty() ? "(branch " + w.branch + " only, no worktree)" : w.path) << "\n";
    }
  });

  auto* force = new bool(false);
  auto* prune = wt->add_subcommand("prune", "Remove worktrees of merged or abandoned tasks (never unmerged work unless --force)");
  prune->add_flag("--force", *force, "also remove worktrees holding unmerged commits or uncommitted changes");
  prune->callback([&g, force] {
    auto project = open_project(g);
    Workspace& workspace = open_workspace(*project);
    const std::string target = target_branch(*project);
    std::vector<WorktreeInfo> wts = unwrap(workspace.list(target));
    int removed = 0, kept = 0;
    for (const auto& w : wts) {
      // A running task's worktrees are in use (whichever round it is on).
      if (task_status(*project, w) == "running") {
        std::cout << w.name << ": kept (its task is running)\n";
        ++kept;
        continue;
      }
      auto r = workspace.remove(w.name, target, *force);
      if (!r.ok()) {
        std::cout << w.name << ": kept (" << escape_control_chars(kept_because(r.status())) << ")\n";
        ++kept;
        continue;
      }
      if (r.value().removed) {
        ++removed;
        std::cout << w.name << ": removed";
        if (!r.value().discarded.empty()) {
          std::cout << "; discarded:";
          for (const auto& d : r.value().discarded) std::cout << " " << escape_control_chars(d);
        }
        std::cout << "\n";
      } else {
        ++kept;
        std::cout << w.name << ": kept (holds unmerged work; --force discards it)\n";
      }
    }
    if (*force) {
      // Work kept under refs/drover/ goes too, except a running task's.
      for (const auto& k : unwrap(workspace.kept_work())) {
        WorktreeInfo as_worktree;
        as_worktree.key = k.key;
        if (task_status(*project, as_worktree) == "running") continue;
        auto r = workspace.drop_kept(k.name, k.ref);
        if (r.ok() && r.value().removed) {
          ++removed;
          std::cout << k.name << ": removed kept work " << k.ref << " (" << k.head.substr(0, 10) << ")\n";
        }
      }
    }
    std::cout << removed << " removed, " << kept << " kept\n";
  });
}

}  // namespace drover::cli
