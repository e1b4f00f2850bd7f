// Hostile task ids are rejected before anything touches the disk.
#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

std::vector<std::string> hostile_ids() {
  return {"../x",        "a/../../b", "a b",         "a\"b",        "a'b",      "$(touch pwned)", "`id`",
          "a\nb",        "",          ".hidden",     "a..b",        "x.lock",   "a/b",            "/abs",
          "a\\b",        std::string(300, 'a'), std::string(101, 'b'), "a\tb", "a:b", "a~1",
          "a^b",         "a*b",       "@{u}",        "a?b"};
}

// Everything under dir (files, dirs and symlinks), relative, for before/after comparison.
std::vector<std::string> snapshot(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it)
    out.push_back(fs::relative(it->path(), dir).generic_string());
  std::sort(out.begin(), out.end());
  return out;
}

class VcsTaskIds : public ::testing::Test {
 protected:
  void SetUp() override {
    init_repo(repo_);
    vcs_ = std::make_unique<VcsClient>(repo_);
  }
  TempDir tmp_;
  fs::path repo_ = tmp_.path() / "repo";
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsTaskIds, HostileIdsAreRejectedByEveryOperationAndNothingIsCreated) {
  const auto before = snapshot(tmp_.path());
  const std::string refs_before = git(repo_, {"for-each-ref"});
  for (const std::string& id : hostile_ids()) {
    const json requests[] = {
        {{"task_id", id}, {"target_branch", "main"}},
        {{"task_id", id}, {"message", "m"}},
        {{"task_id", id}, {"target_branch", "main"}, {"message", "m"}},
        {{"task_id", id}, {"force", true}},
        {{"task_id", id}, {"target_branch", "main"}},
    };
    drover_vcs_op V::*ops[] = {&V::prepare_worktree, &V::commit, &V::merge, &V::remove_worktree, &V::diff_summary};
    for (int i = 0; i < 5; ++i) {
      auto r = vcs_->call(ops[i], requests[i]);
      EXPECT_EQ(r.status, DROVER_INVALID_ARGUMENT) << "op " << i << " id " << json(id).dump();
      EXPECT_NE(r.error.find("task id"), std::string::npos) << r.error;
      EXPECT_EQ(r.error.find('\n'), std::string::npos) << "error must not carry raw control characters: " << r.error;
    }
  }
  EXPECT_EQ(snapshot(tmp_.path()), before);
  EXPECT_EQ(git(repo_, {"for-each-ref"}), refs_before);
}

TEST_F(VcsTaskIds, NonUtf8IdIsRejected) {
  const auto before = snapshot(tmp_.path());
  std::string request = std::string("{\"task_id\":\"a\xff\xfe") + "\",\"target_branch\":\"main\"}";
  auto r = vcs_->call_raw(&V::prepare_worktree, request);
  EXPECT_EQ(r.status, DROVER_INVALID_ARGUMENT) << r.error;
  EXPECT_EQ(snapshot(tmp_.path()), before);
}

TEST_F(VcsTaskIds, ErrorNamesTheId) {
  auto r = vcs_->call(&V::prepare_worktree, {{"task_id", "../escape"}, {"target_branch", "main"}});
  EXPECT_NE(r.error.find("../escape"), std::string::npos) << r.error;
}

TEST_F(VcsTaskIds, OrdinaryIdsAreAccepted) {
  for (const std::string& id : std::vector<std::string>{"t1", "A.b_c-9", "task.v2", std::string(100, 'z')}) {
    json p = vcs_->prepare(id);
    EXPECT_EQ(p["path"], worktree_of(repo_, id).string());
    EXPECT_EQ(p["branch"], "drover/" + id);
  }
}

TEST_F(VcsTaskIds, MalformedRequestsAreInvalidArguments) {
  EXPECT_EQ(vcs_->call_raw(&V::prepare_worktree, "not json").status, DROVER_INVALID_ARGUMENT);
  EXPECT_EQ(vcs_->call_raw(&V::prepare_worktree, "[1,2]").status, DROVER_INVALID_ARGUMENT);
  EXPECT_EQ(vcs_->call(&V::prepare_worktree, {{"task_id", 5}, {"target_branch", "main"}}).status,
            DROVER_INVALID_ARGUMENT);
  EXPECT_EQ(vcs_->call(&V::prepare_worktree, {{"task_id", "ok"}, {"target_branch", "../main"}}).status,
            DROVER_INVALID_ARGUMENT);
  EXPECT_EQ(vcs_->call(&V::merge, {{"task_id", "ok"}, {"target_branch", "main"}, {"strategy", "octopus"}}).status,
            DROVER_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace drover::vcs_tests
