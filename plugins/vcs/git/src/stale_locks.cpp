#include "stale_locks.h"

#include <drover/plugin/duration_text.hpp>
#include <drover/plugin/sdk.hpp>

#include <filesystem>
#include <thread>
#include <vector>

namespace drover::vcs_git {
namespace fs = std::filesystem;

namespace {

void remove_leftover(const fs::path& lock, const std::string& why) {
  std::error_code ec;
  if (fs::remove(lock, ec) && !ec) sdk::log(DROVER_LOG_WARN, "removed " + lock.string() + " (" + why + ")");
}

}  // namespace

void clear_task_locks(const std::string& common_dir, const std::string& task_branch, const std::string& admin_dir) {
  remove_leftover(fs::path(common_dir) / "refs" / "heads" / (task_branch + ".lock"),
                  "left by a drover process that died while updating the task branch");
  std::error_code ec;
  if (!fs::is_directory(admin_dir, ec)) return;
  // Every lock file of the admin directory (index, HEAD, ORIG_HEAD, MERGE_HEAD,
  // MERGE_MSG, MERGE_MODE, config...): only the lease holder writes there.
  std::vector<fs::path> locks;
  for (const auto& entry : fs::directory_iterator(admin_dir, ec))
    if (entry.path().extension() == ".lock" && entry.is_regular_file(ec)) locks.push_back(entry.path());
  for (const auto& lock : locks)
    remove_leftover(lock, "left by a drover process that died while writing the task worktree");
}

void clear_shared_locks(const std::string& common_dir, const std::string& target_branch,
                        std::chrono::milliseconds stale_after) {
  // Not the user's index.lock or HEAD.lock: `git commit` holds index.lock for as
  // long as its editor is open, so age proves nothing there. A held index is
  // reported as local_changes by merge; the one case where the lock is known to
  // be drover's own (killed while bringing the checkout along) is handled by
  // finish_pending_checkout.
  const std::vector<fs::path> locks = {
      fs::path(common_dir) / "refs" / "heads" / (target_branch + ".lock"),
      fs::path(common_dir) / "packed-refs.lock",
  };
  const auto deadline = std::chrono::steady_clock::now() + stale_after;
  for (const auto& lock : locks) {
    while (true) {
      std::error_code ec;
      auto written = fs::last_write_time(lock, ec);
      if (ec) break;  // no such lock
      auto age = fs::file_time_type::clock::now() - written;
      if (age >= stale_after) {
        remove_leftover(lock, "older than " + sdk::duration_text(stale_after.count()) + "; its writer is gone");
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;  // a live writer: let the operation report it
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace drover::vcs_git
