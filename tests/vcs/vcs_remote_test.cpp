// vcs.config.remote: clones on "different machines" (separate clones, each its
// own plugin instance) start tasks from the remote's target tip, save each
// task's committed work on the remote, and land there with a compare-and-swap,
// exactly once even when a push's reply is lost. Over git:// (a real
// `git daemon` on 127.0.0.1, whose receive-pack runs hooks) and over a path.
#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "git_daemon.h"
#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;

class VcsRemote : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    init_repo(tmp_.path() / "seed");
    git(tmp_.path(), {"clone", "-q", "--bare", (tmp_.path() / "seed").string(), (tmp_.path() / "served" / "shared.git").string()});
    if (GetParam() == "git") {
      daemon_ = std::make_unique<testing::GitDaemon>(tmp_.path() / "served");
      url_ = daemon_->url("shared.git");
    } else {
      url_ = (tmp_.path() / "served" / "shared.git").string();
    }
  }
  // A clone ("machine") of the shared remote, its plugin landing there.
  fs::path machine(const std::string& name) {
    const fs::path dir = tmp_.path() / name;
    git(tmp_.path(), {"clone", "-q", url_, dir.string()});
    return dir;
  }
  std::unique_ptr<VcsClient> open(const fs::path& dir) const {
    return std::make_unique<VcsClient>(dir, "remote: origin\nreuse_worktrees: false\n");
  }
  fs::path bare() const { return tmp_.path() / "served" / "shared.git"; }
  std::string remote_ref(const std::string& ref) const {
    GitRun r = git_run(bare(), {"rev-parse", "--verify", "-q", ref});
    return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : "";
  }
  // Another user pushes a commit to the remote's main.
  std::string someone_pushes(const std::string& file) {
    const fs::path other = tmp_.path() / ("other-" + file);
    if (!fs::exists(other)) git(tmp_.path(), {"clone", "-q", url_, other.string()});
    git(other, {"pull", "-q", "--ff-only", "origin", "main"});
    write_file(other / file, file + "\n");
    git(other, {"add", "-A"});
    git(other, {"commit", "-q", "-m", "add " + file});
    git(other, {"push", "-q", "origin", "HEAD:main"});
    return git(other, {"rev-parse", "HEAD"});
  }
  static void work(const VcsClient& vcs, const fs::path& root, const std::string& task, const std::string& file) {
    write_file(worktree_of(root, task) / file, task + "\n");
    vcs.commit(task, "Task " + task + "\n\nDrover-Task: " + task + "\n");
  }
  static json build(const VcsClient& vcs, const std::vector<std::string>& tasks) {
    json list = json::array();
    for (const auto& t : tasks) list.push_back({{"task_id", t}, {"message", "Merge task " + t + "\n"}});
    return vcs.ok(&V::build_landing, {{"target_branch", "main"}, {"tasks", list}});
  }
  static testing::CallResult publish(const VcsClient& vcs, const json& built) {
    return vcs.call(&V::publish_landing,
                    {{"target_branch", "main"}, {"expected_tip", built["tip"]}, {"commit", built["commit"]}});
  }

  TempDir tmp_;
  std::unique_ptr<testing::GitDaemon> daemon_;
  std::string url_;
};

TEST_P(VcsRemote, TasksStartFromTheRemoteTipAndLandThereWithTheLocalBranchFollowing) {
  const fs::path a = machine("a");
  auto vcs = open(a);
  const std::string moved = someone_pushes("upstream.txt");
  json w = vcs->prepare("t1");
  EXPECT_EQ(w["base_commit"], moved) << "the worktree starts from the remote's tip, fetched";
  EXPECT_TRUE(fs::exists(worktree_of(a, "t1") / "upstream.txt"));
  work(*vcs, a, "t1", "t1.txt");
  EXPECT_EQ(remote_ref("refs/drover/tasks/t1"), git(worktree_of(a, "t1"), {"rev-parse", "HEAD"}))
      << "committed work is saved on the remote before commit returns";

  json b = build(*vcs, {"t1"});
  EXPECT_EQ(b["tip"], moved);
  auto p = publish(*vcs, b);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(json::parse(p.output)["result"], "merged");
  EXPECT_EQ(remote_ref("refs/heads/main"), b["commit"].get<std::string>()) << "landed on the remote";
  EXPECT_EQ(remote_ref("refs/drover/tasks/t1"), "") << "saved work goes once landed";
  EXPECT_EQ(git(a, {"rev-parse", "main"}), b["commit"].get<std::string>()) << "the local branch follows";
  EXPECT_EQ(read_file(a / "t1.txt"), "t1\n") << "and the checkout with it";
  EXPECT_EQ(build(*vcs, {"t1"})["tasks"][0]["result"], "already_merged");
  vcs->ok(&V::remove_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
}

TEST_P(VcsRemote, APublishOnARemoteThatMovedIsRefusedAndTheRebuiltOneLands) {
  const fs::path a = machine("a");
  auto vcs = open(a);
  vcs->prepare("t1");
  work(*vcs, a, "t1", "t1.txt");
  json b = build(*vcs, {"t1"});
  const std::string theirs = someone_pushes("theirs.txt");
  auto p = publish(*vcs, b);
  ASSERT_TRUE(p.ok()) << p.error;
  EXPECT_EQ(json::parse(p.output)["result"], "moved");
  EXPECT_EQ(json::parse(p.output)["tip"], theirs);
  EXPECT_EQ(remote_ref("refs/heads/main"), theirs) << "nothing of ours was pushed over it";

  json again = build(*vcs, {"t1"});
  EXPECT_EQ(again["tip"], theirs);
  auto p2 = publish(*vcs, again);
  ASSERT_TRUE(p2.ok()) << p2.error;
  EXPECT_EQ(json::parse(p2.output)["result"], "merged");
  EXPECT_EQ(git(bare(), {"rev-parse", "main^1"}), theirs) << "built on their commit: history kept";
}

TEST_P(VcsRemote, AnotherMachineContinuesTheWorkSavedOnTheRemote) {
  const fs::path a = machine("a"), b = machine("b");
  auto on_a = open(a);
  on_a->prepare("t2");
  work(*on_a, a, "t2", "first.txt");
  const std::string saved = git(worktree_of(a, "t2"), {"rev-parse", "HEAD"});
  on_a.reset();  // machine a is gone; its clone and worktree stay on its disk

  auto on_b = open(b);
  json w = on_b->prepare("t2");
  EXPECT_EQ(w["head"], saved) << "continued from the saved ref, not from scratch";
  EXPECT_EQ(read_file(worktree_of(b, "t2") / "first.txt"), "t2\n");
  work(*on_b, b, "t2", "second.txt");
  auto p = publish(*on_b, build(*on_b, {"t2"}));
  ASSERT_TRUE(p.ok()) << p.error;
  GitRun files = git_run(bare(), {"ls-tree", "--name-only", "main"});
  EXPECT_NE(files.out.find("first.txt"), std::string::npos);
  EXPECT_NE(files.out.find("second.txt"), std::string::npos);
  EXPECT_EQ(remote_ref("refs/drover/tasks/t2"), "");
}

TEST_P(VcsRemote, ARestartedTaskIsSavedFromItsRestartSoATakeoverDoesNotBringTheOldWorkBack) {
  const fs::path a = machine("a"), b = machine("b");
  auto on_a = open(a);
  json w = on_a->prepare("t3");
  work(*on_a, a, "t3", "abandoned.txt");
  on_a->ok(&V::reset_worktree, {{"task_id", "t3"}, {"to", w["base_commit"]}, {"keep_ref", "refs/drover/kept/t3/1"}});
  EXPECT_EQ(remote_ref("refs/drover/tasks/t3"), w["base_commit"].get<std::string>());
  auto on_b = open(b);
  on_b->prepare("t3");
  EXPECT_FALSE(fs::exists(worktree_of(b, "t3") / "abandoned.txt"));
}

TEST_P(VcsRemote, TwoMachinesLandingAtOnceLandEveryTaskExactlyOnce) {
  const fs::path a = machine("a"), b = machine("b");
  auto on_a = open(a), on_b = open(b);
  constexpr int kTasks = 4;
  std::atomic<int> moved{0};
  auto land_all = [&](const VcsClient& vcs, const fs::path& root, const std::string& prefix) {
    for (int i = 0; i < kTasks; ++i) {
      const std::string t = prefix + std::to_string(i);
      vcs.prepare(t);
      work(vcs, root, t, t + ".txt");
      for (int tries = 0; tries < 20; ++tries) {
        json built = build(vcs, {t});
        if (built["tasks"][0]["result"] == "already_merged") break;
        auto p = publish(vcs, built);
        ASSERT_TRUE(p.ok()) << p.error;
        if (json::parse(p.output)["result"] == "merged") break;
        ++moved;
      }
    }
  };
  std::thread ta([&] { land_all(*on_a, a, "a"); });
  std::thread tb([&] { land_all(*on_b, b, "b"); });
  ta.join();
  tb.join();
  const std::string log = git(bare(), {"log", "--first-parent", "--format=%s", "main"});
  for (const std::string prefix : {"a", "b"})
    for (int i = 0; i < kTasks; ++i) {
      const std::string subject = "Merge task " + prefix + std::to_string(i) + "\n";
      const size_t first = (log + "\n").find(subject);
      ASSERT_NE(first, std::string::npos) << subject << log;
      EXPECT_EQ((log + "\n").find(subject, first + 1), std::string::npos) << "landed twice: " << subject;
    }
  std::cout << "vcs-remote: " << 2 * kTasks << " landings from 2 clones, " << moved.load() << " compare-and-swap retries\n";
}

INSTANTIATE_TEST_SUITE_P(Transports, VcsRemote, ::testing::Values("git", "path"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param == "git" ? "GitProtocol" : "Path"; });

// The remote's receive-pack updates main, then dies before it answers: the
// push looks failed (a pause, DROVER_UNAVAILABLE), and the retry finds its
// commit there instead of landing it again.
TEST(VcsRemoteFaults, APushWhoseReplyIsLostIsRecognisedAndNotLandedTwice) {
  TempDir tmp;
  init_repo(tmp.path() / "seed");
  const fs::path bare = tmp.path() / "served" / "shared.git";
  git(tmp.path(), {"clone", "-q", "--bare", (tmp.path() / "seed").string(), bare.string()});
  const fs::path mark = tmp.path() / "killed-once";
  write_hook(bare, "reference-transaction",
             "[ \"$1\" = committed ] || exit 0\n"
             "grep -q ' refs/heads/main$' || exit 0\n"
             "[ -e '" + mark.string() + "' ] && exit 0\n"
             "touch '" + mark.string() + "'\n"
             "kill -9 $PPID\n");
  testing::GitDaemon daemon(tmp.path() / "served");
  const fs::path a = tmp.path() / "a";
  git(tmp.path(), {"clone", "-q", daemon.url("shared.git"), a.string()});
  VcsClient vcs(a, "remote: origin\n");
  vcs.prepare("t1");
  write_file(worktree_of(a, "t1") / "t1.txt", "t1\n");
  vcs.commit("t1", "Task t1\n\nDrover-Task: t1\n");
  json built = vcs.ok(&V::build_landing, {{"target_branch", "main"}, {"tasks", json::array({{{"task_id", "t1"}}})}});
  json req = {{"target_branch", "main"}, {"expected_tip", built["tip"]}, {"commit", built["commit"]}};
  auto lost = vcs.call(&V::publish_landing, req);
  ASSERT_TRUE(fs::exists(mark)) << "the hook ran";
  EXPECT_EQ(lost.status, DROVER_UNAVAILABLE) << lost.error;
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), built["commit"].get<std::string>()) << "it did land";
  auto again = vcs.call(&V::publish_landing, req);
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(json::parse(again.output)["result"], "merged");
  json rebuilt = vcs.ok(&V::build_landing, {{"target_branch", "main"}, {"tasks", json::array({{{"task_id", "t1"}}})}});
  EXPECT_EQ(rebuilt["tasks"][0]["result"], "already_merged");
  EXPECT_EQ(git(bare, {"rev-list", "--count", built["tip"].get<std::string>() + "..main"}), "2")
      << "one merge commit and the task's commit: landed once";
}

TEST(VcsRemoteFaults, APushTheRemoteRefusesIsAClearFailureThatLeavesTheRemoteAlone) {
  TempDir tmp;
  init_repo(tmp.path() / "seed");
  const fs::path bare = tmp.path() / "served" / "shared.git";
  git(tmp.path(), {"clone", "-q", "--bare", (tmp.path() / "seed").string(), bare.string()});
  write_hook(bare, "pre-receive",
             "while read old new ref; do [ \"$ref\" = refs/heads/main ] && { echo 'main is protected' >&2; exit 1; }; done\n"
             "exit 0\n");
  testing::GitDaemon daemon(tmp.path() / "served");
  const fs::path a = tmp.path() / "a";
  git(tmp.path(), {"clone", "-q", daemon.url("shared.git"), a.string()});
  const std::string before = git(bare, {"rev-parse", "main"});
  VcsClient vcs(a, "remote: origin\n");
  vcs.prepare("t1");
  write_file(worktree_of(a, "t1") / "t1.txt", "t1\n");
  vcs.commit("t1", "Task t1\n\nDrover-Task: t1\n");
  json built = vcs.ok(&V::build_landing, {{"target_branch", "main"}, {"tasks", json::array({{{"task_id", "t1"}}})}});
  auto p = vcs.call(&V::publish_landing, {{"target_branch", "main"}, {"expected_tip", built["tip"]}, {"commit", built["commit"]}});
  EXPECT_EQ(p.status, DROVER_CONFLICT) << p.error;
  EXPECT_NE(p.error.find("refused"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("declined"), std::string::npos) << p.error;
  EXPECT_EQ(git(bare, {"rev-parse", "main"}), before);
}

TEST(VcsRemoteFaults, AnUnreachableRemoteIsUnavailableAndAnUnknownOneIsAConfigError) {
  TempDir tmp;
  init_repo(tmp.path() / "repo");
  const int port = testing::free_loopback_port();  // nobody listens there
  git(tmp.path() / "repo", {"remote", "add", "origin", "git://127.0.0.1:" + std::to_string(port) + "/shared.git"});
  VcsClient vcs(tmp.path() / "repo", "remote: origin\n");
  auto p = vcs.call(&V::prepare_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
  EXPECT_EQ(p.status, DROVER_UNAVAILABLE) << p.error;
  EXPECT_NE(p.error.find("cannot reach remote 'origin'"), std::string::npos) << p.error;

  auto unknown = VcsClient::try_open(tmp.path() / "repo", "remote: upstream\n");
  EXPECT_EQ(unknown.status, DROVER_INVALID_CONFIG);
  EXPECT_NE(unknown.error.find("git remote add upstream"), std::string::npos) << unknown.error;
}

}  // namespace
}  // namespace drover::vcs_tests
