// Test harness for agent plugins: loads a plugin file through the raw C ABI
// (tests/support/abi_plugin.h), creates an agent from YAML, and runs attempts
// through the real ProcessRunner with run_agent_attempt, the agent CLI replaced
// by tests/agents/fake/fake_agent.py replaying captured output.
#ifndef DROVER_TESTS_AGENTS_AGENT_HARNESS_H
#define DROVER_TESTS_AGENTS_AGENT_HARNESS_H

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "abi_plugin.h"
#include "drover/agent/agent_attempt.h"

#include "temp_dir.h"

namespace drover::testing {

namespace fs = std::filesystem;
using nlohmann::json;

inline std::string fixture(const std::string& name) { return std::string(DROVER_TEST_FIXTURE_DIR) + "/" + name; }
inline std::string fake_agent() { return DROVER_TEST_FAKE_AGENT; }

// YAML double-quoted scalar (JSON string syntax is valid YAML).
inline std::string q(const std::string& s) { return json(s).dump(); }

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


// Plugins are loaded once and never unloaded, like the real host does.
inline AbiPlugin& plugin(const std::string& name) {
  static std::map<std::string, std::unique_ptr<AbiPlugin>> loaded;
  auto& slot = loaded[name];
  if (!slot) slot = std::make_unique<AbiPlugin>(std::string(DROVER_TEST_PLUGIN_DIR) + "/libdrover-agent-" + name + ".so");
  return *slot;
}

inline const drover_agent_vtable_v1& agent_vtable(const std::string& name) {
  return plugin(name).vtable<drover_agent_vtable_v1>();
}

// check_config through the ABI.
inline CallResult check_config(const std::string& name, const std::string& yaml) {
  drover_error err;
  CallResult r;
  r.status = agent_vtable(name).check_config(to_str(yaml), &err);
  r.error = err.message;
  return r;
}

// One configured agent.
class Agent {
 public:
  Agent(const std::string& name, const std::string& yaml) : vtable_(&agent_vtable(name)) {
    drover_error err;
    std::string context = json{{"project_root", "/tmp"}, {"agent_name", name}}.dump();
    status_ = vtable_->create(to_str(yaml), to_str(context), &agent_, &err);
    error_ = err.message;
  }
  ~Agent() {
    if (agent_ != nullptr) vtable_->destroy(agent_);
  }
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  bool ok() const { return status_ == DROVER_OK; }
  drover_status status() const { return status_; }
  const std::string& error() const { return error_; }
  const drover_agent_vtable_v1& vtable() const { return *vtable_; }
  drover_agent* handle() const { return agent_; }

  CallResult build_command(const json& request) const {
    return call_op(vtable_->build_command, agent_, request.dump());
  }
  // The build_command response, parsed; fails the test on an error.
  json command(const json& request) const {
    CallResult r = build_command(request);
    EXPECT_TRUE(r.ok()) << r.error;
    return r.ok() ? json::parse(r.output) : json();
  }

 private:
  const drover_agent_vtable_v1* vtable_;
  drover_agent* agent_ = nullptr;
  drover_status status_ = DROVER_ERROR;
  std::string error_;
};

inline json attempt_request(const std::string& prompt = "do it", const std::string& session_id = "") {
  return json{{"task_id", "T-7"},
              {"attempt", 2},
              {"prompt", prompt},
              {"prompt_file", "/w/.drover/prompts/T-7/2.md"},
              {"worktree", "/w/.drover/worktrees/T-7"},
              {"session_id", session_id.empty() ? json() : json(session_id)},
              {"log_file", "/w/.drover/logs/T-7/2.log"}};
}

// How the fake agent should behave.
struct Scenario {
  std::string fixture;      // file name under tests/agents/fixtures
  std::string mode;         // FAKE_MODE
  int exit_code = 0;
  std::string stderr_text;  // FAKE_STDERR
  std::string status_line;  // FAKE_STATUS

  Scenario& with_fixture(std::string v) { fixture = std::move(v); return *this; }
  Scenario& with_mode(std::string v) { mode = std::move(v); return *this; }
  Scenario& with_exit(int v) { exit_code = v; return *this; }
  Scenario& with_stderr(std::string v) { stderr_text = std::move(v); return *this; }
  Scenario& with_status(std::string v) { status_line = std::move(v); return *this; }
};
inline Scenario replay(std::string fixture_name, std::string mode = "", int exit_code = 0) {
  return Scenario().with_fixture(std::move(fixture_name)).with_mode(std::move(mode)).with_exit(exit_code);
}

// A workspace for one attempt: worktree, prompt file, log and the fake's record.
class AttemptWorkspace {
 public:
  AttemptWorkspace() {
    fs::create_directories(worktree());
    fs::create_directories(record());
  }
  fs::path worktree() const { return dir_.path() / "worktree"; }
  fs::path record() const { return dir_.path() / "record"; }
  fs::path log() const { return dir_.path() / "logs" / "T-1" / "1.log"; }
  fs::path prompt_file() const { return dir_.path() / "prompts" / "T-1" / "1.md"; }

  // The `env:` block that steers the fake agent.
  std::string env_yaml(const Scenario& s, const std::map<std::string, std::string>& extra = {}) const {
    std::string y = "env:\n  FAKE_RECORD: " + q(record().string()) + "\n";
    if (!s.fixture.empty()) y += "  FAKE_FIXTURE: " + q(fixture(s.fixture)) + "\n";
    if (!s.mode.empty()) y += "  FAKE_MODE: " + q(s.mode) + "\n";
    y += "  FAKE_EXIT: " + q(std::to_string(s.exit_code)) + "\n";
    if (!s.stderr_text.empty()) y += "  FAKE_STDERR: " + q(s.stderr_text) + "\n";
    if (!s.status_line.empty()) y += "  FAKE_STATUS: " + q(s.status_line) + "\n";
    for (const auto& [k, v] : extra) y += "  " + k + ": " + q(v) + "\n";
    return y;
  }

  AgentAttemptResult run(const Agent& agent, const std::string& prompt = "Write hello.txt",
                         std::chrono::milliseconds timeout = std::chrono::seconds(30), const std::string& session = "") {
    AgentAttemptRequest req;
    req.task_id = "T-1";
    req.attempt = 1;
    req.prompt = prompt;
    req.prompt_file = prompt_file().string();
    req.worktree = worktree().string();
    req.session_id = session;
    req.log_file = log().string();
    req.timeout = timeout;
    req.kill_grace = std::chrono::milliseconds(500);
    ProcessRunner runner;
    Result<AgentAttemptResult> r = run_agent_attempt(agent.vtable(), agent.handle(), req, runner);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? r.value() : AgentAttemptResult{};
  }

  json recorded_argv() const { return json::parse(slurp(record() / "argv.json")); }
  std::string recorded_stdin() const { return slurp(record() / "stdin.txt"); }
  json recorded_env() const { return json::parse(slurp(record() / "env.json")); }

 private:
  TempDir dir_;
};

// Config for an agent CLI plugin whose `binary` is the fake agent.
inline std::string binary_yaml(const AttemptWorkspace& ws, const Scenario& s, const std::string& extra = "") {
  return "binary: " + q(fake_agent()) + "\n" + ws.env_yaml(s) + extra;
}

// True once pid is gone (or a zombie waiting for init to reap it).
inline bool process_gone(pid_t pid, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    std::size_t close = stat.rfind(')');
    if (close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// A prompt full of shell metacharacters.
inline std::string tricky_prompt() {
  return "Fix \"the bug\" in 'main.c'; then $(rm -rf /) and `id` && echo $HOME\nsecond line\n\ttabbed {prompt_file} \\n";
}

// About 1 MB of tricky text.
inline std::string huge_prompt() {
  std::string p;
  while (p.size() < (1 << 20)) p += tricky_prompt();
  return p;
}

}  // namespace drover::testing

#endif
