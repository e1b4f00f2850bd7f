// PluginWorkspace: the Workspace port over a VCS plugin. The only place in
// the host that builds VCS requests and reads VCS responses.
#ifndef DROVER_PLUGIN_HOST_PLUGIN_WORKSPACE_H
#define DROVER_PLUGIN_HOST_PLUGIN_WORKSPACE_H

#include <memory>

#include "drover/plugin_host/plugin_clients.h"
#include "drover/ports/workspace.h"

namespace drover {

class PluginWorkspace final : public Workspace {
 public:
  explicit PluginWorkspace(std::unique_ptr<VcsClient> client) : client_(std::move(client)) {}
  // Opens the plugin instance (see VcsClient::open) and adapts it.
  static Result<std::unique_ptr<PluginWorkspace>> open(const LoadedPlugin& plugin, const std::string& config_yaml,
                                                 const nlohmann::json& context);
  const PluginInfo& info() const { return client_->info(); }

  Result<RepoInfo> repo_info() override;
  Result<PreparedWorktree> prepare(const WorktreeKey& key, const std::string& target_branch) override;
  Result<CommitResult> commit(const WorktreeKey& key, const CommitRequest& request) override;
  Result<MergeResult> merge(const WorktreeKey& key, const std::string& target_branch, const std::string& message) override;
  Result<Removal> remove(const std::string& name, const std::string& target_branch, bool force) override;
  Result<std::vector<WorktreeInfo>> list(const std::string& target_branch) override;
  Result<DiffSummary> diff_summary(const WorktreeKey& key, const std::string& target_branch) override;
  Result<WorktreeReset> reset(const WorktreeKey& key, const std::string& to, const std::string& keep_ref) override;
  Result<CheckoutState> checkout_state(const std::string& target_branch) override;
  Result<TargetMoves> target_moves(const WorktreeKey& key, const std::string& target_branch, const std::string& since,
                                   bool undo) override;
  Result<BuiltLanding> build_landing(const std::string& target_branch, const std::vector<LandingToBuild>& tasks) override;
  Result<Publication> publish_landing(const std::string& target_branch, const std::string& expected_tip,
                                      const std::string& commit) override;
  Result<WorktreeSync> sync(const WorktreeKey& key, const std::string& target_branch) override;
  Result<std::vector<KeptWork>> kept_work() override;
  Result<Removal> drop_kept(const std::string& name, const std::string& ref) override;
  Result<std::string> scratch(const std::string& name, const std::optional<std::string>& commit) override;
  Result<DiffPatch> diff_commit(const std::string& commit, uint64_t max_bytes) override;
  Result<DiffPatch> diff_worktree(const WorktreeKey& key, const std::string& target_branch, uint64_t max_bytes) override;

 private:
  std::unique_ptr<VcsClient> client_;
};

}  // namespace drover

#endif
