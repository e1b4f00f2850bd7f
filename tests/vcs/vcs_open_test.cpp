// Opening a repository, configuration checks, and repo_info.
#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

TEST(VcsOpen, DescriptorIsAVcsPluginNamedGit) {
  const auto& vt = VcsClient::vtable();
  EXPECT_GE(vt.struct_size, sizeof(drover_vcs_vtable_v1));
  EXPECT_NE(vt.merge, nullptr);
}

TEST(VcsOpen, NotARepositoryIsAClearError) {
  TempDir tmp;
  auto r = VcsClient::try_open(tmp.path());
  EXPECT_NE(r.status, DROVER_OK);
  EXPECT_NE(r.error.find("not inside a git repository"), std::string::npos) << r.error;
}

TEST(VcsOpen, RepositoryWithoutCommitsIsAClearError) {
  TempDir tmp;
  git(tmp.path(), {"init", "-q", "-b", "main"});
  auto r = VcsClient::try_open(tmp.path());
  EXPECT_NE(r.status, DROVER_OK);
  EXPECT_NE(r.error.find("no commits"), std::string::npos) << r.error;
}

TEST(VcsOpen, BareRepositoryIsAClearError) {
  TempDir tmp;
  init_repo(tmp.path() / "src");
  git(tmp.path(), {"clone", "-q", "--bare", (tmp.path() / "src").string(), (tmp.path() / "bare.git").string()});
  auto r = VcsClient::try_open(tmp.path() / "bare.git");
  EXPECT_NE(r.status, DROVER_OK);
  EXPECT_NE(r.error.find("bare"), std::string::npos) << r.error;
}

TEST(VcsOpen, SubdirectoryOfARepositoryOpensTheRepository) {
  TempDir tmp;
  init_repo(tmp.path());
  VcsClient vcs(tmp.path() / "src");
  json info = vcs.ok(&V::repo_info, json::object());
  EXPECT_EQ(info["root"], tmp.path().string());
}

TEST(VcsOpen, RepoInfoReportsBranchAndCommit) {
  TempDir tmp;
  init_repo(tmp.path(), "trunk");
  VcsClient vcs(tmp.path());
  json info = vcs.ok(&V::repo_info, json::object());
  EXPECT_EQ(info["head_branch"], "trunk");
  EXPECT_EQ(info["head_commit"], git(tmp.path(), {"rev-parse", "HEAD"}));
}

TEST(VcsOpen, RepoInfoOnDetachedHeadHasNullBranch) {
  TempDir tmp;
  init_repo(tmp.path());
  git(tmp.path(), {"checkout", "-q", "--detach"});
  VcsClient vcs(tmp.path());
  json info = vcs.ok(&V::repo_info, json::object());
  EXPECT_TRUE(info["head_branch"].is_null());
  EXPECT_EQ(info["head_commit"], git(tmp.path(), {"rev-parse", "HEAD"}));
}

TEST(VcsConfig, AcceptsEveryKnownKey) {
  auto r = VcsClient::check_config(
      "worktree_dir: wt\nmerge_strategy: squash\nbranch_prefix: bot/\nauthor_name: Bot\nauthor_email: bot@x\n");
  EXPECT_EQ(r.status, DROVER_OK) << r.error;
  EXPECT_EQ(VcsClient::check_config("").status, DROVER_OK);
  r = VcsClient::check_config("remote: origin\nnetwork_timeout: 5\n");
  EXPECT_EQ(r.status, DROVER_OK) << r.error;
}

TEST(VcsConfig, RejectsUnknownKeysAndBadValuesNamingTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  } cases[] = {
      {"worktree_dirs: x\n", "worktree_dirs"},
      {"merge_strategy: octopus\n", "merge_strategy"},
      {"branch_prefix: 'bad..prefix/'\n", "branch_prefix"},
      {"branch_prefix: 'has space/'\n", "branch_prefix"},
      {"author_email: [a, b]\n", "author_email"},
      {"worktree_dir: ''\n", "worktree_dir"},
      {"network_timeout: 0\n", "network_timeout"},
      {"network_timeout: 2.5\n", "network_timeout"},
      {"network_timeout: 20s\n", "network_timeout"},
      {"network_timeout: 1000000\n", "network_timeout"},
  };
  for (const auto& c : cases) {
    auto r = VcsClient::check_config(c.yaml);
    EXPECT_EQ(r.status, DROVER_INVALID_CONFIG) << c.yaml;
    EXPECT_NE(r.error.find(c.key), std::string::npos) << c.yaml << " -> " << r.error;
  }
  TempDir tmp;
  init_repo(tmp.path());
  EXPECT_EQ(VcsClient::try_open(tmp.path(), "merge_strategy: octopus\n").status, DROVER_INVALID_CONFIG);
}

TEST(VcsConfig, CustomWorktreeDirAndBranchPrefixAreUsed) {
  TempDir tmp;
  init_repo(tmp.path());
  VcsClient vcs(tmp.path(), "worktree_dir: trees\nbranch_prefix: bot/\n");
  json p = vcs.prepare("t1");
  EXPECT_EQ(p["path"], (tmp.path() / "trees" / "t1").string());
  EXPECT_EQ(p["branch"], "bot/t1");
  EXPECT_EQ(git(tmp.path(), {"rev-parse", "--abbrev-ref", "bot/t1"}), "bot/t1");
}

}  // namespace
}  // namespace drover::vcs_tests
