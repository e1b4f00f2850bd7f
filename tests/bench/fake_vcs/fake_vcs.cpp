// A VCS plugin that does nothing and succeeds at once, so the engine's own
// scheduling cost can be measured without git.
#include <drover/plugin/sdk.hpp>

#include <atomic>
#include <string>

namespace {

std::string field(std::string_view json, std::string_view key) {
  std::string pattern = "\"" + std::string(key) + "\":\"";
  size_t at = json.find(pattern);
  if (at == std::string_view::npos) return "";
  at += pattern.size();
  return std::string(json.substr(at, json.find('"', at) - at));
}

class FakeVcs : public drover::sdk::Vcs {
 public:
  static void check_config(std::string_view) {}
  FakeVcs(std::string_view, std::string_view) {}
  std::string repo_info(std::string_view) override {
    return R"({"root":"/","head_branch":"main","head_commit":"0000000000000000000000000000000000000000"})";
  }
  std::string prepare_worktree(std::string_view req) override {
    return R"({"path":"/tmp","branch":"drover/)" + field(req, "task_id") + R"(","base_commit":"0","created":true})";
  }
  std::string commit(std::string_view) override {
    return R"({"commit":")" + std::to_string(++n_) + R"(","changed":true,"files":1})";
  }
  std::string merge(std::string_view) override { return R"({"result":"merged","commit":"m)" + std::to_string(++n_) + R"(","paths":[]})"; }
  std::string remove_worktree(std::string_view) override { return R"({"removed":true,"discarded":[]})"; }
  std::string list_worktrees(std::string_view) override { return "[]"; }
  std::string diff_summary(std::string_view) override { return R"({"files":0,"insertions":0,"deletions":0,"paths":[]})"; }

 private:
  std::atomic<long> n_{0};
};

}  // namespace

DROVER_VCS_PLUGIN(FakeVcs, "fake", "0.0.1")
