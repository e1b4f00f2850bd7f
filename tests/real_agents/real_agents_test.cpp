// The real agent CLIs (Claude Code, Codex, opencode at the versions pinned in
// package-lock.json, installed by scripts/install-real-agents.sh) driven by
// `drover run` against tests/real_agents/model_server.js, our scripted model
// API on 127.0.0.1. Label `real-agents`; the CLIs' directory comes in
// DROVER_REAL_AGENTS_BIN. What the model does is scripted by a
// `drover-script:` word in the task's title (see model_server.js).
//
// Each test prints one line "real-agents: <agent> <case>: <outcome>, <n>
// attempt(s), <wall time>" for the figures of issue 14.
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <iostream>

#include "e2e_project.h"

namespace {

using drover::testing::CommandResult;
using drover::testing::E2EProject;
using drover::testing::read_text;
using nlohmann::json;

std::string text_of(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}
int number_of(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number_integer() ? j[key].get<int>() : -1;
}

std::string bin_dir() {
  const char* d = std::getenv("DROVER_REAL_AGENTS_BIN");
  return d != nullptr ? d : "";
}

// The scripted model server, for one test.
class ModelServer {
 public:
  explicit ModelServer(const std::string& dir) : port_file_(dir + "/server.port"), log_(dir + "/server.log") {
    int fd = ::open((dir + "/server.out").c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    pid_ = drover::testing::spawn_process({"node", DROVER_MODEL_SERVER, port_file_, log_}, dir, {}, fd, fd);
    ::close(fd);
    for (int i = 0; i < 200 && port_.empty(); ++i) {
      port_ = read_text(port_file_);
      if (port_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_FALSE(port_.empty()) << "the model server did not start: " << read_text(dir + "/server.out");
  }
  ~ModelServer() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  std::string url() const { return "http://127.0.0.1:" + port_; }
  // The requests it answered, in order.
  std::vector<json> requests() const {
    std::vector<json> out;
    std::istringstream in(read_text(log_));
    for (std::string line; std::getline(in, line);)
      if (json j = json::parse(line, nullptr, false); j.is_object() && j.contains("api")) out.push_back(j);
    return out;
  }

 private:
  std::string port_file_, log_, port_;
  pid_t pid_ = -1;
};

// A project whose agents are the three real CLIs, each with a private HOME
// and its base URL on the model server.
class RealProject {
 public:
  // quota_yaml: the `quota:` line (short pauses by default, so limits take seconds).
  explicit RealProject(const std::string& extra_agent_config = "", const std::string& extra_yaml = "",
                       const std::string& quota_yaml = "quota: { backoff: { initial: 1s, max: 4s } }\n")
      : server_(p_.dir()) {
    const std::string d = p_.dir();
    const std::string bin = bin_dir();
    std::filesystem::create_directories(d + "/home");
    std::filesystem::create_directories(d + "/codex");
    std::filesystem::create_directories(d + "/xdg/config/opencode");
    std::ofstream(d + "/codex/config.toml")
        << "model = \"fake-model\"\nmodel_provider = \"scripted\"\n"
        << "[model_providers.scripted]\nname = \"scripted\"\nbase_url = \"" << server_.url() << "/v1\"\n"
        << "env_key = \"SCRIPTED_API_KEY\"\nwire_api = \"responses\"\nrequest_max_retries = 0\nstream_max_retries = 0\n";
    std::ofstream(d + "/xdg/config/opencode/opencode.json")
        << json{{"autoupdate", false},
                {"share", "disabled"},
                {"provider",
                 {{"scripted",
                   {{"npm", "@ai-sdk/openai-compatible"},
                    {"name", "Scripted"},
                    {"options", {{"baseURL", server_.url() + "/v1"}, {"apiKey", "k"}}},
                    {"models", {{"fake-model", {{"name", "Fake model"}}}}}}}}}}
               .dump(2);
    // Shared across tests so opencode's first-run setup is paid once.
    const char* shared_cache = std::getenv("DROVER_REAL_AGENTS_CACHE");
    const std::string cache = shared_cache != nullptr ? shared_cache : d + "/xdg/cache";
    const std::string home = "HOME: \"" + d + "/home\"";
    std::ofstream(p_.repo() + "/drover.yaml")
        << "workers: 3\ntarget_branch: main\nstorage: { plugin: sqlite }\nvcs: { plugin: git }\n"
        << "default_agent: claude\n"
        << "agents:\n"
        << "  claude:\n    plugin: claude\n    config:\n      binary: \"" << bin << "/claude\"\n"
        << "      resume: true\n" << extra_agent_config
        << "      env: { " << home << ", ANTHROPIC_BASE_URL: \"" << server_.url()
        << "\", ANTHROPIC_API_KEY: sk-test, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: \"1\", DISABLE_AUTOUPDATER: \"1\", "
           "CLAUDE_CODE_MAX_RETRIES: \"2\" }\n"
        // Codex's own sandbox (bwrap) cannot set up its user namespace inside
        // drover-agent-box: its commands would fail; Drover's box contains it.
        << "  codex:\n    plugin: codex\n    config:\n      binary: \"" << bin << "/codex\"\n      resume: true\n"
        << "      dangerously_bypass: true\n"
        << "      env: { " << home << ", CODEX_HOME: \"" << d << "/codex\", SCRIPTED_API_KEY: k }\n"
        << "  opencode:\n    plugin: opencode\n    config:\n      binary: \"" << bin << "/opencode\"\n"
        << "      model: scripted/fake-model\n      auto: true\n      resume: true\n"
        << "      env: { " << home << ", XDG_CONFIG_HOME: \"" << d << "/xdg/config\", XDG_DATA_HOME: \"" << d
        << "/xdg/data\", XDG_STATE_HOME: \"" << d << "/xdg/state\", XDG_CACHE_HOME: \"" << cache
        << "\", OPENCODE_DISABLE_MODELS_FETCH: \"1\", OPENCODE_DISABLE_AUTOUPDATE: \"1\", "
           "OPENCODE_DISABLE_LSP_DOWNLOAD: \"1\", OPENCODE_DISABLE_DEFAULT_PLUGINS: \"1\", OPENCODE_DISABLE_SHARE: \"1\" }\n"
        << "    sandbox: { write_paths: [\"" << cache << "\"] }\n"
        << "tasks: { timeout: 3m, max_attempts: 3, backoff: { initial: 1s, max: 4s } }\n"
        << quota_yaml << replace_dir(extra_yaml, d);
  }

  // "{dir}" in extra drover.yaml text is the test's directory.
  static std::string replace_dir(std::string text, const std::string& dir) {
    for (std::size_t p = text.find("{dir}"); p != std::string::npos; p = text.find("{dir}", p + dir.size()))
      text.replace(p, 5, dir);
    return text;
  }

  E2EProject& project() { return p_; }
  ModelServer& server() { return server_; }

  std::string add(const std::string& agent, const std::string& script, const std::vector<std::string>& after = {}) {
    std::vector<std::string> args = {"Task for " + agent + " drover-script:" + script, "--agent", agent};
    std::string blockers;
    for (const std::string& a : after) blockers += (blockers.empty() ? "" : ",") + a;
    if (!blockers.empty()) args.insert(args.end(), {"--blocked-by", blockers});
    return p_.add(args);
  }

  // `drover run`, timed; prints the figures line for each task.
  CommandResult run(const std::string& label) {
    auto t0 = std::chrono::steady_clock::now();
    CommandResult r = p_.drover({"run"});
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const json status = p_.status_json();  // kept alive: the loop refers into it
    for (const auto& t : status["tasks"]) {
      json task = this->task(text_of(t, "id"));
      std::cout << "real-agents: " << label << " " << text_of(t, "id") << " (" << text_of(task, "agent")
                << "): " << text_of(task, "status") << ", " << number_of(task, "attempts") << " attempt(s), run "
                << seconds_ << " s; " << text_of(task, "last_error") << "\n";
    }
    return r;
  }
  double seconds() const { return seconds_; }

  json task(const std::string& id) {
    auto info = json::parse(p_.drover({"info", id, "--json"}).out, nullptr, false);
    return info.is_object() ? info["task"] : json::object();
  }

 private:
  E2EProject p_;
  ModelServer server_;
  double seconds_ = 0;
};

class RealAgents : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(bin_dir().empty()) << "DROVER_REAL_AGENTS_BIN is not set; run scripts/install-real-agents.sh";
    for (const char* cli : {"claude", "codex", "opencode"})
      ASSERT_TRUE(std::filesystem::exists(bin_dir() + "/" + cli)) << cli << " is not installed in " << bin_dir();
  }
};

TEST_F(RealAgents, ADependencyGraphAcrossTheThreeAgents) {
  RealProject rp;
  std::string a = rp.add("claude", "write:out/a.txt");
  std::string b = rp.add("codex", "write:out/b.txt", {a});
  std::string c = rp.add("opencode", "write:out/c.txt", {a});
  std::string d = rp.add("claude", "write:out/d.txt", {b, c});
  CommandResult r = rp.run("graph");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const std::string& id : {a, b, c, d}) EXPECT_EQ(rp.project().task_states()[id], "completed") << id << r.out;
  for (const char* f : {"a", "b", "c", "d"})
    EXPECT_TRUE(std::filesystem::exists(rp.project().repo() + "/out/" + f + ".txt")) << f;
  EXPECT_TRUE(rp.project().built_on(d, b));
  EXPECT_TRUE(rp.project().built_on(d, c));
}

TEST_F(RealAgents, AFixRoundResumesTheAgentsSession) {
  // The verify gate fails once on the merged result; the fix round (no
  // attempt used) resumes the agent's session, so its first request already
  // carries the work round's tool result.
  RealProject rp("", "verify: { command: [\"bash\", \"-c\", \"test -e {dir}/gate || { touch {dir}/gate; exit 1; }\"] }\n");
  std::string a = rp.add("claude", "write:out/resumed.txt");
  CommandResult r = rp.run("resume");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(number_of(rp.task(a), "attempts"), 1);
  std::vector<json> reqs = rp.server().requests();
  ASSERT_GE(reqs.size(), 3u);
  EXPECT_EQ(reqs[2]["turn"], 1) << "the fix round's first request continues the work round's session";
}

TEST_F(RealAgents, APermanent400FailsAtOnceForEveryAgent) {
  RealProject rp;
  std::vector<std::string> ids;
  for (const char* agent : {"claude", "codex", "opencode"}) ids.push_back(rp.add(agent, "status:400"));
  CommandResult r = rp.run("permanent-400");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const std::string& id : ids) {
    json t = rp.task(id);
    EXPECT_EQ(text_of(t, "status"), "failed") << id;
    EXPECT_EQ(number_of(t, "attempts"), 1) << id << ": " << t.dump();
    EXPECT_NE(text_of(t, "last_error").find("permanent"), std::string::npos) << t.dump();
  }
}

TEST_F(RealAgents, ARateLimitWithoutAResetPausesThenCompletes) {
  RealProject rp;
  std::string a = rp.add("codex", "failfirst:codexrl:1:ratelimit:none");
  CommandResult r = rp.run("rate-limit-no-reset");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json t = rp.task(a);
  EXPECT_EQ(text_of(t, "status"), "completed");
  EXPECT_EQ(number_of(t, "attempts"), 1) << "a quota pause uses no attempt";
  EXPECT_NE(r.out.find("usage limit"), std::string::npos) << r.out;
}

TEST_F(RealAgents, ARateLimitThatStaysBacksOffThenGivesUp) {
  // Every request is a 429 without a reset time: the agent is paused for a
  // growing time (1 s, 2 s, 4 s, 4 s ... nominal), and once its next try
  // would come more than quota.give_up_after past its first limit the run
  // ends, exit code 1, naming the agent (issue 14: relaunched for ever).
  RealProject rp("", "", "quota: { backoff: { initial: 1s, max: 4s }, give_up_after: 12s }\n");
  std::string a = rp.add("codex", "ratelimit:none");
  CommandResult r = rp.run("rate-limit-give-up");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("gave up on agent 'codex'"), std::string::npos) << r.out;
  EXPECT_LT(rp.seconds(), 60) << "it neither waited for ever nor for long";
  json t = rp.task(a);
  EXPECT_EQ(text_of(t, "status"), "ready") << "left for the next run";
  EXPECT_EQ(number_of(t, "attempts"), 1) << "no limit used an attempt";
  std::vector<int64_t> at;
  for (const json& q : rp.server().requests())
    if (q.value("status", 0) == 429) at.push_back(q.value("at", int64_t{0}));
  ASSERT_GE(at.size(), 4u) << "a few launches";
  EXPECT_LE(at.size(), 12u) << "never a relaunch storm";
  EXPECT_GT(at.back() - at[at.size() - 2], at[1] - at[0]) << "the pauses grew";
  const std::string status = rp.project().drover({"status"}).out;
  EXPECT_NE(status.find("agent codex"), std::string::npos) << status;
  EXPECT_NE(status.find("rate limit"), std::string::npos) << status;
}

TEST_F(RealAgents, AStopAtTheTurnLimitGetsOneContinuationRound) {
  // --max-turns 1: a task needing one tool call and an answer stops at the
  // limit, then finishes in its continuation round (its session resumed); a
  // task needing five tool calls stops there again and fails, one attempt used.
  RealProject rp("      max_turns: 1\n");
  std::string fits = rp.add("claude", "write:out/turns.txt");
  std::string too_long = rp.add("claude", "steps:5:out/steps.txt");
  CommandResult r = rp.run("max-turns");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("continuing after the turn limit"), std::string::npos) << r.out;
  json ok = rp.task(fits);
  EXPECT_EQ(text_of(ok, "status"), "completed") << ok.dump();
  EXPECT_EQ(number_of(ok, "attempts"), 1);
  json failed = rp.task(too_long);
  EXPECT_EQ(text_of(failed, "status"), "failed") << failed.dump();
  EXPECT_EQ(number_of(failed, "attempts"), 1) << "not retried";
  EXPECT_NE(text_of(failed, "last_error").find("turn limit"), std::string::npos) << failed.dump();
  EXPECT_NE(text_of(failed, "last_error").find("again after 1 continuation round"), std::string::npos) << failed.dump();
  bool resumed = false;
  for (const json& q : rp.server().requests())
    resumed = resumed || (q.value("script", std::string()) == "write:out/turns.txt" && q.value("turn", 0) == 1);
  EXPECT_TRUE(resumed) << "the continuation's request carries the first round's tool result";
}

TEST_F(RealAgents, ATimedOutAgentLeavesNoProcessItStartedInANewSession) {
  // Claude Code's shell tool starts `sleep <n>` under setsid (its own session
  // and process group); then the model does not answer, and the task timeout
  // ends the attempt, and with it the escaped sleeper.
  RealProject rp("      allowed_tools: [\"Bash\"]\n");
  const int secs = 4000 + static_cast<int>(::getpid() % 4000);
  std::string a = rp.project().add({"Task for claude drover-script:spawn:" + std::to_string(secs), "--agent", "claude",
                                    "--timeout", "8s", "--max-attempts", "1"});
  CommandResult r = rp.run("timeout-setsid");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json t = rp.task(a);
  EXPECT_EQ(text_of(t, "status"), "failed") << t.dump();
  EXPECT_NE(text_of(t, "last_error").find("timeout"), std::string::npos) << t.dump();
  const std::string pid = read_text(rp.project().repo() + "/.drover/worktrees/" + a + "/out/spawned.pid");
  EXPECT_FALSE(pid.empty()) << "the tool call ran and started the sleeper";
  std::vector<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string cmdline = read_text(e.path().string() + "/cmdline");
    if (cmdline.rfind(std::string("sleep") + '\0' + std::to_string(secs), 0) == 0) left.push_back(e.path().filename());
  }
  for (const std::string& p : left) ::kill(std::atoi(p.c_str()), SIGKILL);
  EXPECT_TRUE(left.empty()) << "still running after the timeout: sleep " << secs << " (pid " << pid << ")";
}

TEST_F(RealAgents, ClaudesOwnRetriesBecomeAQuotaPause) {
  // Every answer is a 429 with retry-after 6 s until the 3rd request: Claude
  // Code announces a 6 s retry, past stop_at_api_retry_delay (5s): the
  // attempt is stopped and the agent paused, no attempt used.
  RealProject rp("      stop_at_api_retry_delay: 5s\n");
  std::string a = rp.add("claude", "failfirst:claudeapiretry:2:ratelimit:6");
  CommandResult r = rp.run("claude-api-retry");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json t = rp.task(a);
  EXPECT_EQ(text_of(t, "status"), "completed");
  EXPECT_EQ(number_of(t, "attempts"), 1);
  EXPECT_NE(r.out.find("retried 1 time by itself"), std::string::npos) << r.out;
}

TEST_F(RealAgents, AUsageLimitWithAResetTimeResumesAfterIt) {
  // Codex prints only a clock time rounded down to the minute: the pause
  // lasts to the end of that minute plus 5 s, never a day.
  RealProject rp;
  std::string a = rp.add("codex", "failfirst:codexusage:1:usagelimit:2");
  CommandResult r = rp.run("usage-limit-reset");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_LT(rp.seconds(), 150);
  json t = rp.task(a);
  EXPECT_EQ(text_of(t, "status"), "completed");
  EXPECT_EQ(number_of(t, "attempts"), 1);
}

TEST_F(RealAgents, VerdictsAndAGiveUpAreNotCompletions) {
  // Issue 14: "I cannot proceed..." with no change ended as completed and
  // unblocked its dependents. Now a give-up with no verdict waits for a
  // person, a blocked verdict fails at once, and a done verdict completes.
  RealProject rp;
  std::string gave_up = rp.add("claude", "text:I_cannot_proceed:_I_do_not_have_the_staging_database_credentials.");
  std::string after = rp.add("claude", "write:out/after.txt", {gave_up});
  std::string blocked = rp.add("codex", "text:DROVER-RESULT:_blocked:_the_staging_DATABASE_URL");  // `_` reads as a space
  std::string done = rp.add("opencode", "text:DROVER-RESULT:_done");
  CommandResult r = rp.run("verdicts");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json g = rp.task(gave_up);
  EXPECT_EQ(text_of(g, "status"), "ready");
  ASSERT_TRUE(g["wait"].is_object()) << g.dump();
  EXPECT_EQ(text_of(g["wait"], "kind"), "review");
  EXPECT_NE(text_of(g["wait"], "detail").find("I cannot proceed"), std::string::npos) << g.dump();
  EXPECT_EQ(text_of(rp.task(after), "status"), "waiting") << "its dependent did not start";
  EXPECT_NE(r.out.find("the agent said: I cannot proceed"), std::string::npos) << r.out;
  json b = rp.task(blocked);
  EXPECT_EQ(text_of(b, "status"), "failed");
  EXPECT_EQ(number_of(b, "attempts"), 1);
  EXPECT_NE(text_of(b, "last_error").find("the agent is blocked: the staging DATABASE URL"), std::string::npos)
      << b.dump();
  EXPECT_EQ(text_of(rp.task(done), "status"), "completed");
}

}  // namespace
