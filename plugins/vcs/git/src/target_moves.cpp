#include "target_moves.h"

#include <fstream>
#include <sstream>

#include "commit_message.h"
#include "libgit2_handles.h"
#include "repo_queries.h"

namespace drover::vcs_git {
namespace {

constexpr int kMaxWalk = 10000;  // first-parent commits looked at; more is not a move during one attempt

std::string summary_of(git_commit* c) {
  const char* s = git_commit_summary(c);
  return s ? s : "";
}

}  // namespace

std::set<std::string> worktree_head_history(const std::string& admin_dir) {
  std::set<std::string> out;
  std::ifstream in(admin_dir + "/logs/HEAD");
  std::string line;
  while (std::getline(in, line)) {
    // "<old> <new> <who> <when> <tz>\t<action>: <text>"; only commits made here
    // count (a fast-forward to somebody else's commit is not the agent's work).
    const auto tab = line.find('\t');
    if (tab == std::string::npos || line.compare(tab + 1, 6, "commit") != 0) continue;
    std::istringstream fields(line.substr(0, tab));
    std::string old_id, new_id;
    if (fields >> old_id >> new_id && new_id.size() == GIT_OID_HEXSZ) out.insert(new_id);
  }
  return out;
}

nlohmann::json target_moves(git_repository* repo, const TargetMovesInput& in) {
  nlohmann::json out = {{"tip", nullptr}, {"rewound", false}, {"commits", nlohmann::json::array()}};
  auto tip = branch_tip(repo, in.target_branch);
  if (!tip) {
    out["rewound"] = true;
    return out;
  }
  out["tip"] = oid_hex(*tip);
  git_oid since{};
  if (git_oid_fromstr(&since, in.since.c_str()) != 0)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: target_moves: 'since' is not a commit id: " + in.since);
  if (git_oid_equal(&since, &*tip)) return out;

  nlohmann::json commits = nlohmann::json::array();
  git_oid at = *tip;
  bool found = false;
  for (int i = 0; i < kMaxWalk; ++i) {
    if (git_oid_equal(&at, &since)) {
      found = true;
      break;
    }
    CommitPtr c = lookup_commit(repo, at);
    const char* message = git_commit_message(c.get());
    const bool drover_merge = !trailer_value(message, "Drover-Source").empty() && !trailer_value(message, "Drover-Task").empty();
    const std::string id = oid_hex(at);
    const bool by_task = !drover_merge && in.head_history.count(id) > 0;
    commits.push_back({{"commit", id}, {"summary", summary_of(c.get())}, {"drover_merge", drover_merge}, {"by_task", by_task}});
    if (git_commit_parentcount(c.get()) == 0) break;
    at = *git_commit_parent_id(c.get(), 0);
  }
  if (!found) {
    out["rewound"] = true;
    return out;
  }
  out["commits"] = std::move(commits);
  return out;
}

std::optional<std::string> undo_target_moves(git_repository* repo, const TargetMovesInput& in,
                                             const nlohmann::json& moves) {
  if (moves.value("rewound", false) || !moves["tip"].is_string() || moves["commits"].empty()) return std::nullopt;
  for (const auto& c : moves["commits"])
    if (!c.value("by_task", false) || c.value("drover_merge", false)) return std::nullopt;
  git_oid tip{}, since{};
  if (git_oid_fromstr(&tip, moves["tip"].get<std::string>().c_str()) != 0 ||
      git_oid_fromstr(&since, in.since.c_str()) != 0)
    return std::nullopt;

  const std::string archive = "refs/drover/archive/" + in.task_id + "/target-" + oid_hex(tip).substr(0, 12);
  git_reference* raw = nullptr;
  check(git_reference_create(&raw, repo, archive.c_str(), &tip, 1, "drover: keep commits an agent put on the target"),
        "vcs git: cannot keep the agent's commits under " + archive);
  git_reference_free(raw);
  raw = nullptr;
  const std::string ref = "refs/heads/" + in.target_branch;
  const int rc = git_reference_create_matching(&raw, repo, ref.c_str(), &since, 1, &tip,
                                               "drover: put back the target an agent moved");
  if (rc == GIT_EMODIFIED) return std::nullopt;  // moved again meanwhile: leave it to the user
  check(rc, "vcs git: cannot put " + in.target_branch + " back to " + in.since);
  git_reference_free(raw);
  return archive;
}

}  // namespace drover::vcs_git
