// Several machines with real network separation (label "multihost", root):
// PostgreSQL and the git remote (a git daemon) run in a server network
// namespace; three executors — each its own clone, its own .drover/, its own
// host name — run `drover run` in namespaces of their own, reaching the
// servers over veth links. Mid-run one machine is killed (-9, every process
// in its namespace) while it lands committed work, and another is cut off
// from the network while its agent works (`ip link set … down` on the
// servers' end of its link: its packets vanish without an answer), then
// brought back. Every task must land exactly once on the remote's main, no task may
// run on two machines at once, the killed machine's committed work must be
// continued elsewhere (its agent not run again), and the survivors exit 0.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "e2e_project.h"
#include "landed_tasks.h"
#include "netns_lab.h"
#include "netns_servers.h"

namespace drover::testing {
namespace {

using Clock = std::chrono::steady_clock;

long long wall_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

bool wait_for(const std::function<bool()>& pred, std::chrono::seconds limit) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// One machine: a clone of the project with its own .drover/ and agent trace,
// its `drover run` started in its namespace under its own host name.
struct Machine {
  int index;
  E2EProject project;
  pid_t pid = -1;
  std::optional<int> exit_code;
  std::string log;

  Machine(int i, const std::string& storage, const std::string& extra)
      : index(i), project(storage, 2, extra, ", E2E_SLEEP_MS: \"800\"") {
    log = project.dir() + "/run.out";
  }
  void start(const NetnsLab& lab) {
    int fd = ::open(log.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    pid = spawn_process(lab.on_machine(index, {DROVER_BINARY, "run"}), project.repo(), {{"NO_COLOR", "1"}}, fd, fd, true);
    ::close(fd);
  }
  bool exited() {
    if (exit_code) return true;
    int st = 0;
    if (pid > 0 && ::waitpid(pid, &st, WNOHANG) == pid) exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    return exit_code.has_value();
  }
  std::string output() const { return read_text(log); }
  // The trace's agent runs: task → [start, end) in wall-clock ns (end 0: none written).
  std::multimap<std::string, std::pair<long long, long long>> runs() const {
    std::istringstream in(read_text(project.dir() + "/trace"));
    std::multimap<std::string, std::pair<long long, long long>> out;
    std::map<std::string, long long> open;
    std::string what, task;
    long long ns;
    while (in >> what >> task >> ns) {
      if (what == "start") {
        open[task] = ns;
      } else if (open.count(task)) {
        out.emplace(task, std::make_pair(open[task], ns));
        open.erase(task);
      }
    }
    for (const auto& [task, at] : open) out.emplace(task, std::make_pair(at, 0LL));
    return out;
  }
  bool agent_running() const {
    for (const auto& [task, span] : runs())
      if (span.second == 0) return true;
    return false;
  }
  ~Machine() {
    if (pid > 0 && !exited()) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

class Multihost : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = NetnsLab::unavailable_reason();
    const char* ci = std::getenv("CI");
    if (!why.empty() && ci != nullptr && std::string(ci) == "true") FAIL() << "CI runs the multihost label: " << why;
    if (!why.empty()) GTEST_SKIP() << why;
    if (std::string reason = LabPostgres::unavailable_reason(); !reason.empty()) GTEST_SKIP() << reason;
    lab_.emplace(3);
    postgres_.emplace(*lab_, std::filesystem::temp_directory_path() / ("drover-multihost-pg-" + std::to_string(::getpid())),
                      std::string(DROVER_SOURCE_DIR) + "/scripts");
  }
  std::string storage_yaml() const {
    std::random_device rd;
    return "storage: { plugin: postgres, config: { url: \"" + LabPostgres::url() + "\", schema: multihost_" +
           std::to_string(rd() % 1000000) + ", network_timeout: 3 } }";
  }
  // `drover <args>` on machine i (inside its namespace), in its clone.
  CommandResult cli(int i, const Machine& m, std::vector<std::string> args) const {
    args.insert(args.begin(), DROVER_BINARY);
    return run_command(NetnsLab::in(lab_->executor_ns(i), args), m.project.repo(), {{"NO_COLOR", "1"}});
  }

  std::optional<NetnsLab> lab_;
  std::optional<LabPostgres> postgres_;  // after the lab: stopped before it goes
};

TEST_F(Multihost, ThreeMachinesLandEveryTaskOnceThroughAKilledAndAPartitionedMachine) {
  const std::string storage = storage_yaml();
  const std::string common =
      "vcs: { plugin: git, config: { remote: origin, network_timeout: 3 } }\nlease: { duration: 3s }\n";
  Machine a(1, storage, common), b(2, storage, common), c(3, storage, common);
  // b's verify of a merged result hangs (a marker says it began): b is killed
  // there, holding committed work that only the remote has.
  std::ofstream(b.project.repo() + "/drover.yaml", std::ios::app)
      << "verify: { command: [\"bash\", \"-c\", \"touch '" << b.project.dir() << "/verifying'; sleep 120\"] }\n";

  // The remote: a's history, served by a git daemon in the server namespace.
  const std::string served = a.project.dir() + "/served";
  ASSERT_EQ(run_command({"git", "clone", "-q", "--bare", a.project.repo(), served + "/shared.git"}).exit_code, 0);
  const LabGitDaemon daemon(*lab_, served, "shared.git");
  const std::string url = LabGitDaemon::url("shared.git");
  for (Machine* m : {&a, &b, &c}) {
    if (m != &a) {
      ASSERT_EQ(m->project.git({"fetch", "-q", served + "/shared.git", "main"}).exit_code, 0);
      ASSERT_EQ(m->project.git({"reset", "-q", "--hard", "FETCH_HEAD"}).exit_code, 0);
    }
    ASSERT_EQ(m->project.git({"remote", "add", "origin", url}).exit_code, 0);
  }

  // 30 tasks: six chains of three, two diamonds, four on their own.
  std::vector<std::string> ids;
  auto add = [&](const std::string& title, const std::vector<std::string>& blockers = {}) {
    std::vector<std::string> args = {"add", title};
    if (!blockers.empty()) {
      std::string list;
      for (const auto& b : blockers) list += (list.empty() ? "" : ",") + b;
      args.insert(args.end(), {"--blocked-by", list});
    }
    auto r = cli(1, a, args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::string id = r.out;
    while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
    ids.push_back(id);
    return id;
  };
  for (int chain = 1; chain <= 6; ++chain) {
    std::string prev;
    for (int step = 1; step <= 3; ++step)
      prev = add("Chain " + std::to_string(chain) + " step " + std::to_string(step),
                 prev.empty() ? std::vector<std::string>{} : std::vector<std::string>{prev});
  }
  for (int d = 1; d <= 2; ++d) {
    const std::string top = add("Diamond " + std::to_string(d) + " top");
    const std::string l = add("Diamond " + std::to_string(d) + " left", {top});
    const std::string r = add("Diamond " + std::to_string(d) + " right", {top});
    add("Diamond " + std::to_string(d) + " bottom", {l, r});
  }
  for (int i = 1; i <= 4; ++i) add("Alone " + std::to_string(i));
  ASSERT_EQ(ids.size(), 30u);
  ASSERT_TRUE(std::set<std::string>(ids.begin(), ids.end()).count("") == 0);

  const auto started = Clock::now();
  for (Machine* m : {&a, &b, &c}) m->start(*lab_);

  // b dies while it verifies a landing: its committed work is on the remote.
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(b.project.dir() + "/verifying"); }, std::chrono::seconds(90)))
      << "machine b never began landing\n" << b.output();
  auto saved = run_command({"git", "--git-dir", served + "/shared.git", "for-each-ref", "--format=%(refname:lstrip=3)",
                            "refs/drover/tasks/"});
  lab_->kill_machine(2);
  const long long b_killed_ns = wall_ns();
  const auto killed_at = Clock::now();
  b.exited();
  std::set<std::string> b_saved;  // b's tasks whose committed work the remote held when b died
  {
    std::set<std::string> b_ran;
    for (const auto& [task, span] : b.runs()) b_ran.insert(task);
    std::istringstream in(saved.out);
    for (std::string t; std::getline(in, t);)
      if (b_ran.count(t)) b_saved.insert(t);
  }
  EXPECT_FALSE(b_saved.empty()) << "b held committed work on the remote when it died: " << saved.out;

  // c is cut off while one of its agents works.
  ASSERT_TRUE(wait_for([&] { return c.agent_running() || c.exited(); }, std::chrono::seconds(60)));
  ASSERT_FALSE(c.exited()) << "c ended before it could be cut off\n" << c.output();
  lab_->drop(3);
  const auto cut_at = Clock::now();

  // a (and c's leases running out) take over b's and c's work; a ends when
  // every task is done.
  std::optional<double> takeover_s;
  ASSERT_TRUE(wait_for(
      [&] {
        if (!takeover_s) {
          bool all_done = true;
          auto st = cli(1, a, {"status", "--json"});
          if (st.exit_code != 0) return a.exited();
          const json status = json::parse(st.out);  // kept alive: the loop refers into it
          for (const auto& t : status["tasks"])
            if (b_saved.count(t["id"].get<std::string>())) all_done &= t["status"] == "completed";
          if (all_done) takeover_s = std::chrono::duration<double>(Clock::now() - killed_at).count();
        }
        return a.exited();
      },
      std::chrono::seconds(300)))
      << "a did not finish\n" << a.output();
  EXPECT_EQ(a.exit_code, 0) << a.output();
  // c comes back: it finds its fenced tasks finished by others and ends.
  std::this_thread::sleep_for(std::max(std::chrono::milliseconds(0),
                                       std::chrono::milliseconds(8000) -
                                           std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - cut_at)));
  lab_->restore(3);
  const auto healed_at = Clock::now();
  // Its store connection and any git operation in flight failed within
  // their network_timeout (3 s) while it was cut off, so it does not wait on
  // a dead connection's retransmissions now.
  ASSERT_TRUE(wait_for([&] { return c.exited(); }, std::chrono::seconds(45)))
      << "c did not end within 45 s of the network coming back\n" << c.output();
  EXPECT_EQ(c.exit_code, 0) << c.output();
  EXPECT_NE(c.output().find("could not be renewed"), std::string::npos) << "c fenced its leases while cut off\n" << c.output();
  const double total_s = std::chrono::duration<double>(Clock::now() - started).count();
  const double c_back_s = std::chrono::duration<double>(Clock::now() - healed_at).count();

  // Every task landed exactly once on the remote's main, nothing saved left.
  auto states = cli(1, a, {"status", "--json"});
  ASSERT_EQ(states.exit_code, 0) << states.err;
  const json final_status = json::parse(states.out);
  ASSERT_EQ(final_status["tasks"].size(), ids.size());
  for (const auto& t : final_status["tasks"]) EXPECT_EQ(t["status"], "completed") << t["id"];
  std::map<std::string, int> landed = landed_tasks(served + "/shared.git");
  for (const auto& id : ids) EXPECT_EQ(landed[id], 1) << "task " << id << " on the remote's main";
  EXPECT_EQ(landed.size(), ids.size());
  EXPECT_EQ(run_command({"git", "--git-dir", served + "/shared.git", "for-each-ref", "refs/drover/"}).out, "");

  // No task's agent ran on two machines at once; b's agents ended when it died.
  std::multimap<std::string, std::pair<long long, long long>> all;
  std::map<std::string, std::set<int>> machines_of;
  for (Machine* m : {&a, &b, &c})
    for (auto [task, span] : m->runs()) {
      if (span.second == 0) span.second = m == &b ? b_killed_ns : wall_ns();
      all.emplace(task, span);
      machines_of[task].insert(m->index);
    }
  for (const auto& id : ids) {
    auto [lo, hi] = all.equal_range(id);
    EXPECT_NE(lo, hi) << id << " was never run";
    for (auto x = lo; x != hi; ++x)
      for (auto y = std::next(x); y != hi; ++y)
        EXPECT_TRUE(x->second.second <= y->second.first || y->second.second <= x->second.first)
            << id << ": two agents ran at once (" << x->second.first << ".." << x->second.second << " and "
            << y->second.first << ".." << y->second.second << ")";
  }
  // b's committed work was continued, not redone: its agent ran once in all.
  for (const auto& t : b_saved) EXPECT_EQ(all.count(t), 1u) << t << "'s agent ran again after b died";

  int on[4] = {0, 0, 0, 0};
  for (const auto& [task, ms] : machines_of)
    for (int i : ms) ++on[i];
  std::cout << "multihost: 30 tasks in " << total_s << " s; agents ran on a " << on[1] << ", b " << on[2] << ", c " << on[3]
            << " tasks; b killed -9 holding " << b_saved.size() << " committed task(s), taken over and landed "
            << (takeover_s ? std::to_string(*takeover_s) : std::string("?")) << " s after the kill (lease 3 s); c cut off "
            << "for 8 s, ended " << c_back_s << " s after its link came back\n";
  if (std::getenv("DROVER_MULTIHOST_SHOW_RUNS") != nullptr)
    for (Machine* m : {&a, &b, &c}) std::cout << "--- machine " << m->index << "\n" << m->output();
}

}  // namespace
}  // namespace drover::testing
