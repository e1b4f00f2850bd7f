// vcs.config.network_timeout on a real partition: the remote (a git daemon)
// in a server network namespace, the plugin called from a thread inside an
// executor's namespace (a thread's sockets are made in its own namespace), and
// the link between them made to drop every packet without an answer
// (NetnsLab::drop). A connect nobody answers, and a push waiting for the
// remote's reply when the link goes silent, fail as unreachable within a few
// timeouts, not the kernel's ~2 and ~15 minutes; a remote that is slow but
// there (a pre-receive hook sleeping longer than the timeout) is no timeout.
// Needs root (network namespaces): skipped otherwise.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>

#include "command.h"
#include "netns_lab.h"
#include "netns_servers.h"
#include "vcs_test_support.h"

namespace drover::vcs_tests {
namespace {

using V = drover_vcs_vtable_v1;
using Clock = std::chrono::steady_clock;
using testing::NetnsLab;
using testing::LabGitDaemon;

constexpr int kTimeout = 2;  // network_timeout in these tests, seconds

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Runs fn on a new thread inside network namespace ns; join() waits for it.
class ThreadInNamespace {
 public:
  template <class F>
  ThreadInNamespace(const std::string& ns, F fn)
      : thread_([ns, fn]() mutable {
          const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
          ASSERT_GE(fd, 0) << "cannot open the namespace " << ns;
          const int rc = ::setns(fd, CLONE_NEWNET);
          ::close(fd);
          ASSERT_EQ(rc, 0) << "cannot enter the namespace " << ns;
          fn();
        }) {}
  ~ThreadInNamespace() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

class VcsRemoteTimeouts : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = NetnsLab::unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    lab_.emplace(1);
    init_repo(tmp_.path() / "seed");
    git(tmp_.path(), {"clone", "-q", "--bare", (tmp_.path() / "seed").string(), bare().string()});
    daemon_.emplace(*lab_, (tmp_.path() / "served").string(), "shared.git");
    // The executor's clone, its origin the daemon across the link.
    git(tmp_.path(), {"clone", "-q", bare().string(), clone().string()});
    git(clone(), {"remote", "set-url", "origin", url()});
    vcs_ = std::make_unique<VcsClient>(clone(), "remote: origin\nreuse_worktrees: false\nnetwork_timeout: " +
                                                    std::to_string(kTimeout) + "\n");
  }
  void TearDown() override {
    vcs_.reset();
    daemon_.reset();
    lab_.reset();  // kills what is left in the namespaces (a hook's sleep)
  }

  fs::path bare() const { return tmp_.path() / "served" / "shared.git"; }
  fs::path clone() const { return tmp_.path() / "machine"; }
  static std::string url() { return LabGitDaemon::url("shared.git"); }
  std::string executor() const { return lab_->executor_ns(1); }

  // Task t1 committed (its work saved on the remote) and its landing built,
  // from the executor's namespace; the landing's publish request.
  json ready_to_publish() {
    json req;
    ThreadInNamespace(executor(), [&] {
      vcs_->prepare("t1");
      write_file(worktree_of(clone(), "t1") / "t1.txt", "t1\n");
      vcs_->commit("t1", "Task t1\n\nDrover-Task: t1\n");
      json built = vcs_->ok(&V::build_landing,
                            {{"target_branch", "main"}, {"tasks", json::array({{{"task_id", "t1"}}})}});
      req = {{"target_branch", "main"}, {"expected_tip", built["tip"]}, {"commit", built["commit"]}};
    }).join();
    return req;
  }
  // A pre-receive hook that touches `started` and sleeps `seconds` when main
  // is updated (a task's saved work goes through at once).
  fs::path slow_hook_on_main(int seconds) {
    const fs::path started = tmp_.path() / "hook-started";
    write_hook(bare(), "pre-receive",
               "while read old new ref; do\n"
               "  [ \"$ref\" = refs/heads/main ] && { touch '" + started.string() + "'; sleep " +
                   std::to_string(seconds) + "; }\n"
               "done\n"
               "exit 0\n");
    return started;
  }

  TempDir tmp_;
  std::optional<NetnsLab> lab_;
  std::optional<LabGitDaemon> daemon_;
  std::unique_ptr<VcsClient> vcs_;
};

TEST_F(VcsRemoteTimeouts, AConnectNobodyAnswersFailsAsUnreachableWithinTheTimeout) {
  lab_->drop(1);
  testing::CallResult r;
  double took = 0;
  ThreadInNamespace(executor(), [&] {
    const auto t0 = Clock::now();
    r = vcs_->call(&V::prepare_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
    took = seconds_since(t0);
  }).join();
  EXPECT_EQ(r.status, DROVER_UNAVAILABLE) << r.error;
  EXPECT_NE(r.error.find("cannot reach remote 'origin'"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("no answer within " + std::to_string(kTimeout) + " s"), std::string::npos) << r.error;
  EXPECT_GE(took, kTimeout - 0.5) << "the connect was given its time";
  EXPECT_LT(took, 4 * kTimeout + 2) << "libgit2's own connect waits ~2 minutes here";
  std::cout << "vcs-remote-timeouts: unanswered connect failed after " << took << " s (network_timeout "
            << kTimeout << " s): " << r.error << "\n";

  lab_->restore(1);  // and once the network is back, the same call works
  ThreadInNamespace(executor(), [&] {
    r = vcs_->call(&V::prepare_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
  }).join();
  EXPECT_TRUE(r.ok()) << r.error;
}

// https:// goes through the same socket (libgit2's TLS stream makes its
// socket with the registered one); http:// too, like git://.
TEST_F(VcsRemoteTimeouts, AnHttpsConnectNobodyAnswersFailsTheSameWay) {
  git(clone(), {"remote", "set-url", "origin", "https://" + NetnsLab::server_address() + "/shared.git"});
  VcsClient over_https(clone(), "remote: origin\nreuse_worktrees: false\nnetwork_timeout: " + std::to_string(kTimeout) + "\n");
  lab_->drop(1);
  testing::CallResult r;
  double took = 0;
  ThreadInNamespace(executor(), [&] {
    const auto t0 = Clock::now();
    r = over_https.call(&V::prepare_worktree, {{"task_id", "t1"}, {"target_branch", "main"}});
    took = seconds_since(t0);
  }).join();
  EXPECT_EQ(r.status, DROVER_UNAVAILABLE) << r.error;
  EXPECT_NE(r.error.find(NetnsLab::server_address() + ":443: cannot connect"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("no answer within " + std::to_string(kTimeout) + " s"), std::string::npos) << r.error;
  EXPECT_LT(took, 4 * kTimeout + 2);
}

TEST_F(VcsRemoteTimeouts, APushWaitingForTheRemoteFailsAsUnreachableSoonAfterTheLinkGoesSilent) {
  const json req = ready_to_publish();
  const fs::path started = slow_hook_on_main(90);
  testing::CallResult r;
  Clock::time_point done;
  ThreadInNamespace publisher(executor(), [&] {
    r = vcs_->call(&V::publish_landing, req);
    done = Clock::now();
  });
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (!fs::exists(started) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(started)) << "the push never reached the hook";
  std::this_thread::sleep_for(std::chrono::seconds(kTimeout));  // an idle connection, keepalives answered
  const auto cut = Clock::now();
  lab_->drop(1);
  publisher.join();
  const double took = std::chrono::duration<double>(done - cut).count();
  EXPECT_EQ(r.status, DROVER_UNAVAILABLE) << r.error;
  EXPECT_NE(r.error.find("cannot push main"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("no answer within " + std::to_string(kTimeout) + " s"), std::string::npos) << r.error;
  EXPECT_LT(took, 4 * kTimeout + 2) << "without keepalives the push waits for the hook's 90 s and then ~15 minutes";
  std::cout << "vcs-remote-timeouts: push waiting for the remote failed " << took
            << " s after the link went silent (network_timeout " << kTimeout << " s): " << r.error << "\n";
}

TEST_F(VcsRemoteTimeouts, ARemoteSlowerThanTheTimeoutButThereIsNoTimeout) {
  const json req = ready_to_publish();
  const int hook_seconds = 3 * kTimeout + 1;
  slow_hook_on_main(hook_seconds);
  testing::CallResult r;
  double took = 0;
  ThreadInNamespace(executor(), [&] {
    const auto t0 = Clock::now();
    r = vcs_->call(&V::publish_landing, req);
    took = seconds_since(t0);
  }).join();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(json::parse(r.output)["result"], "merged");
  EXPECT_GE(took, hook_seconds) << "it did wait for the hook";
  EXPECT_EQ(git(bare(), {"rev-parse", "main"}), req["commit"].get<std::string>());
}

}  // namespace
}  // namespace drover::vcs_tests
