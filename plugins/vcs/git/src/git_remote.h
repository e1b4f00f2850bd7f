// TargetRemote: the target branch on a shared git remote (vcs.config.remote),
// for executors on several machines that land into one history.
//
// Refs kept in the local repository:
//   refs/remotes/<remote>/<target>  the remote's target tip as last fetched or
//                                   pushed: what tasks start from and land on
//   refs/drover/fetched/<task>      a task's work as last fetched from the remote
//   refs/drover/push/<target>       the commit being published (a push sends refs)
// On the remote:
//   refs/heads/<target>             moved only by a fast-forward push from the tip
//                                   the landing was built on (compare-and-swap)
//   refs/drover/tasks/<task>        the task's committed work, pushed after every
//                                   commit, deleted once the task has landed
//
// Errors: a remote that cannot be reached (network, DNS, a dropped connection,
// also a push whose reply was lost) is DROVER_UNAVAILABLE — the host waits and
// tries again, and a push that did land is then recognised on the remote. A push
// the remote refuses (a hook, permissions, a protected branch) is
// DROVER_CONFLICT naming the remote's reason: retrying would not help.
#ifndef DROVER_VCS_GIT_GIT_REMOTE_H
#define DROVER_VCS_GIT_GIT_REMOTE_H

#include <git2.h>

#include <optional>
#include <string>
#include <vector>

namespace drover::vcs_git {

class TargetRemote {
 public:
  // name: a remote configured in the repository; root names it in messages.
  TargetRemote(std::string name, std::string common_dir, std::string root);

  const std::string& name() const { return name_; }
  // refs/remotes/<remote>/<target>
  std::string tracking_ref(const std::string& target) const;
  // refs/drover/tasks/<task> (the same name locally under refs/drover/fetched/)
  static std::string task_ref(const std::string& task_id);

  // Throws DROVER_INVALID_CONFIG, saying how to add it, unless the repository
  // has a remote of this name.
  void check_configured(git_repository* repo) const;
  // Bounds how long a silent remote can hold an operation: network_timeout_s
  // for a connect and for an open connection that stops answering
  // (socket_stream.h). Only when neither the remote's URL nor its push URL is
  // an ssh one: ssh keeps libgit2's behaviour, and that is logged.
  void limit_network_waits(git_repository* repo, int network_timeout_s) const;

  struct Fetched {
    git_oid tip;                   // the remote's target tip
    std::optional<git_oid> saved;  // the task's refs/drover/tasks/<task> there, if any
  };
  // Fetches the remote's target branch into tracking_ref and, when task_id is
  // given, the task's saved work — over one connection. Throws
  // DROVER_NOT_FOUND when the remote has no such branch.
  Fetched fetch(git_repository* repo, const std::string& target, const std::string& task_id = "") const;
  git_oid fetch_target(git_repository* repo, const std::string& target) const { return fetch(repo, target).tip; }
  // The target's tip as last fetched or pushed (no network).
  std::optional<git_oid> known_tip(git_repository* repo, const std::string& target) const;

  enum class Pushed { kPushed, kMoved };
  // Moves the remote's target from expected to commit, which descends from it:
  // kMoved (nothing done) when the remote is no longer at expected. Pushed, the
  // tracking ref is at commit; moved, at what the remote has now.
  Pushed push_target(git_repository* repo, const std::string& target, const git_oid& expected,
                     const git_oid& commit) const;
  // Saves a task's committed work on the remote (force: a reset task's work
  // replaces its earlier work).
  void push_task(git_repository* repo, const std::string& task_id, const git_oid& commit) const;
  // Deletes the remote's refs/drover/tasks/<task> of each task that has one.
  // Best effort: a failure is logged, and the next landing or removal retries.
  void forget_tasks(git_repository* repo, const std::vector<std::string>& task_ids) const;

 private:
  std::string name_;
  std::string common_dir_;
  std::string root_;
};

}  // namespace drover::vcs_git

#endif
