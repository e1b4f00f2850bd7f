// drover.yaml: every error names file:line:column, the key and what was expected.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "drover/config/config.h"

namespace drover {
namespace {

Status parse_error(const std::string& yaml) {
  auto r = parse_config(yaml, "drover.yaml", "/repo");
  EXPECT_FALSE(r.ok()) << "parsed but should not have:\n" << yaml;
  return r.ok() ? Status::Ok() : r.status();
}

TEST(Config, FullExampleParses) {
  auto r = parse_config(R"(
workers: 6
target_branch: develop
default_agent: claude
storage:
  plugin: postgres
  config: { url: "postgresql://drover@127.0.0.1:5432/drover" }
vcs:
  plugin: git
  config: { worktree_dir: .drover/worktrees, merge_strategy: squash }
agents:
  claude:
    plugin: claude
    config: { binary: claude, model: sonnet, max_turns: 50 }
  script:
    plugin: exec
    config: { command: ["./tools/agent.sh", "{prompt_file}"] }
tasks: { timeout: 45m, max_attempts: 4, backoff: { initial: 5s, max: 2m } }
verify: { command: ["ctest", "--output-on-failure"], timeout: 20m }
plugin_dirs: [plugins, /opt/drover/plugins]
budget_usd: 12.5
)",
                        "drover.yaml", "/repo");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Config& c = r.value();
  EXPECT_EQ(c.workers, 6);
  EXPECT_EQ(c.target_branch, "develop");
  EXPECT_EQ(c.storage.plugin, "postgres");
  EXPECT_NE(c.storage.config_yaml.find("postgresql://drover@127.0.0.1:5432/drover"), std::string::npos);
  EXPECT_EQ(c.agents.size(), 2u);
  EXPECT_NE(c.agents.at("script").config_yaml.find("{prompt_file}"), std::string::npos);
  EXPECT_EQ(c.task_timeout, std::chrono::minutes(45));
  EXPECT_EQ(c.max_attempts, 4);
  EXPECT_EQ(c.backoff_initial, std::chrono::seconds(5));
  EXPECT_EQ(c.backoff_max, std::chrono::minutes(2));
  ASSERT_TRUE(c.verify.has_value());
  EXPECT_EQ(c.verify->command.size(), 2u);
  EXPECT_EQ(c.plugin_dirs.at(0), "/repo/plugins");
  EXPECT_EQ(c.plugin_dirs.at(1), "/opt/drover/plugins");
  EXPECT_DOUBLE_EQ(*c.budget_usd, 12.5);
}

TEST(Config, EmptyFileMeansDefaults) {
  auto r = parse_config("", "drover.yaml", "/repo");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().storage.plugin, "sqlite");
  EXPECT_EQ(r.value().vcs.plugin, "git");
  EXPECT_EQ(r.value().workers, 4);
}

TEST(Config, BadYamlSyntaxNamesLineAndColumn) {
  Status st = parse_error("workers: 4\nstorage: {plugin: sqlite\n");
  EXPECT_EQ(st.code(), StatusCode::kInvalidConfig);
  EXPECT_EQ(st.message().rfind("drover.yaml:3:1: invalid YAML: ", 0), 0u) << st.message();
}

TEST(Config, UnknownKeySuggestsTheClosestKnownOne) {
  Status st = parse_error("workers: 4\nworkres: 3\n");
  EXPECT_EQ(st.message(), "drover.yaml:2:1: workres: unknown key; did you mean 'workers'?");
  st = parse_error("tasks:\n  max_atempts: 3\n");
  EXPECT_EQ(st.message(), "drover.yaml:2:3: tasks.max_atempts: unknown key; did you mean 'tasks.max_attempts'?");
}

TEST(Config, WrongTypesSayWhatWasExpected) {
  EXPECT_EQ(parse_error("workers: many\n").message(), "drover.yaml:1:10: workers: expected a whole number, got 'many'");
  EXPECT_EQ(parse_error("workers: 0\n").message(), "drover.yaml:1:10: workers: expected a number from 1 to 256");
  EXPECT_EQ(parse_error("tasks: { timeout: soon }\n").message(),
            "drover.yaml:1:19: tasks.timeout: 'soon' is not a duration; write it like 500ms, 10s, 30m or 2h");
  EXPECT_EQ(parse_error("tasks:\n  timeout: 3000000h\n").message(),
            "drover.yaml:2:12: tasks.timeout: '3000000h' is too long; a duration may be at most 365d (8760h)");
  EXPECT_EQ(parse_error("lease: { duration: 99999999999999999999 }\n").message(),
            "drover.yaml:1:20: lease.duration: '99999999999999999999' is too long; a duration may be at most 365d (8760h)");
  EXPECT_EQ(parse_error("verify: { command: make }\n").message(),
            "drover.yaml:1:20: verify.command: expected a list of strings, e.g. [\"ctest\", \"--output-on-failure\"]");
  EXPECT_EQ(parse_error("storage: sqlite\n").message(), "drover.yaml:1:10: storage: expected a mapping (key: value lines)");
}

// `worktree_dir: ..` passed config check and the run renamed the user's
// sibling directories (one a git repository) to .interrupted-*; with `/` the
// agent ran in /t1. Task worktrees go in a directory Drover owns.
TEST(Config, WorktreeDirMustBeADirectoryDroverOwns) {
  namespace fs = std::filesystem;
  const fs::path base = fs::canonical(fs::temp_directory_path()) / ("drover-config-" + std::to_string(std::random_device{}()));
  const fs::path root = base / "proj";
  fs::create_directories(root / ".drover" / "worktrees" / "t1");  // worktrees of an earlier version, unmarked
  fs::create_directories(root / "src");
  std::ofstream(root / "src" / "main.c") << "int main() {}\n";
  fs::create_directories(base / "sibling" / ".git");
  fs::create_directories(base / "empty");
  fs::create_directories(base / "marked" / "t1");
  std::ofstream(base / "marked" / ".drover-worktrees") << "";
  std::ofstream(base / "file") << "";
  auto check = [&](const std::string& value) {
    auto r = parse_config("vcs:\n  plugin: git\n  config:\n    worktree_dir: " + value + "\n", "drover.yaml", root.string());
    return r.ok() ? std::string("OK") : r.status().message();
  };
  const std::string fix = "; name a new or empty directory for task worktrees, or leave the default .drover/worktrees";
  const std::string at = "drover.yaml:4:19: vcs.config.worktree_dir: ";
  EXPECT_EQ(check("/"), at + "'/' is the filesystem root" + fix);
  EXPECT_EQ(check("."), at + "'.' (" + root.string() + ") is the project root" + fix);
  EXPECT_EQ(check(".."), at + "'..' (" + base.string() + ") contains the project" + fix);
  EXPECT_EQ(check("../.."), at + "'../..' (" + base.parent_path().string() + ") contains the project" + fix);
  EXPECT_EQ(check("src"), at + "'src' (" + (root / "src").string() +
                              ") already holds files Drover did not create (it has no .drover-worktrees file)" + fix);
  EXPECT_EQ(check("../sibling"), at + "'../sibling' (" + (base / "sibling").string() +
                                     ") already holds files Drover did not create (it has no .drover-worktrees file)" + fix);
  EXPECT_EQ(check((base / "file").string()), at + "'" + (base / "file").string() + "' exists and is not a directory" + fix);
  EXPECT_EQ(check(".drover/worktrees"), "OK");
  EXPECT_EQ(check("../empty"), "OK");
  EXPECT_EQ(check("../marked"), "OK");
  EXPECT_EQ(check("../new/trees"), "OK");
  EXPECT_EQ(check((base / "empty").string()), "OK");
  fs::remove_all(base);
}

TEST(Config, LogsMaxSizeIsASize) {
  EXPECT_EQ(parse_config("", "drover.yaml", "/repo").value().log_max_bytes, uint64_t{64} << 20);
  EXPECT_EQ(parse_config("logs: { max_size: 512KiB }\n", "drover.yaml", "/repo").value().log_max_bytes, 512u << 10);
  EXPECT_EQ(parse_config("logs: { max_size: 2GB }\n", "drover.yaml", "/repo").value().log_max_bytes, 2000000000u);
  EXPECT_EQ(parse_config("logs: { max_size: 0 }\n", "drover.yaml", "/repo").value().log_max_bytes, 0u);
  EXPECT_EQ(parse_error("logs: { max_size: big }\n").message(),
            "drover.yaml:1:19: logs.max_size: 'big' is not a size; write it like 4096, 512KiB, 64MiB or 1GB");
  EXPECT_EQ(parse_error("logs: { max_size: 100 }\n").message(),
            "drover.yaml:1:19: logs.max_size: must be 0 (no cap) or at least 4KiB");
  EXPECT_NE(parse_error("logs: { max_size: 99999999999TiB }\n").message().find("too large"), std::string::npos);
}

TEST(Config, OnInterruptedIsRestartOrContinue) {
  EXPECT_TRUE(parse_config("", "drover.yaml", "/repo").value().restart_interrupted) << "restart is the default";
  EXPECT_TRUE(parse_config("tasks: { on_interrupted: restart }\n", "drover.yaml", "/repo").value().restart_interrupted);
  EXPECT_FALSE(parse_config("tasks: { on_interrupted: continue }\n", "drover.yaml", "/repo").value().restart_interrupted);
  auto bad = parse_config("tasks:\n  on_interrupted: contnue\n", "drover.yaml", "/repo");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "drover.yaml:2:19: tasks.on_interrupted: expected restart or continue, got 'contnue'; did you mean 'continue'?");
}

TEST(Config, MissingPluginIsNamed) {
  EXPECT_EQ(parse_error("storage:\n  config: {}\n").message(),
            "drover.yaml:2:3: storage.plugin: missing; name the plugin to use");
}

TEST(Config, DefaultAgentMustExist) {
  Status st = parse_error("default_agent: clade\nagents:\n  claude: { plugin: claude }\n  codex: { plugin: codex }\n");
  EXPECT_EQ(st.message(), "drover.yaml:1:16: default_agent: no agent named 'clade' is configured under agents; did you mean 'claude'?");
  st = parse_error("agents:\n  claude: { plugin: claude }\n  codex: { plugin: codex }\n");
  EXPECT_NE(st.message().find("default_agent: missing; several agents are configured"), std::string::npos);
}

TEST(Config, ClosestMatch) {
  EXPECT_EQ(closest_match("wrokers", {"workers", "vcs"}), "workers");
  EXPECT_EQ(closest_match("zzzzzzzz", {"workers", "vcs"}), "");
}

TEST(Config, DefaultConfigTextParses) {
  auto r = parse_config(default_config_text("trunk"), "drover.yaml", "/repo");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().target_branch, "trunk");
  EXPECT_EQ(r.value().default_agent, "claude");
}

}  // namespace
}  // namespace drover

namespace drover {
namespace {

TEST(Config, SandboxModeScalarOrMapping) {
  EXPECT_FALSE(parse_config("", "drover.yaml", "/repo").value().sandbox_mode.has_value())
      << "absent: enforce where Landlock exists, else detect (decided at run start)";
  EXPECT_EQ(parse_config("sandbox: detect\n", "drover.yaml", "/repo").value().sandbox_mode, SandboxMode::kDetect);
  EXPECT_EQ(parse_config("sandbox: off\n", "drover.yaml", "/repo").value().sandbox_mode, SandboxMode::kOff);
  setenv("HOME", "/home/me", 1);
  auto r = parse_config("sandbox:\n  mode: enforce\n  write_paths: [\"~/.cache/pip\", build/out, /opt/cache]\n",
                        "drover.yaml", "/repo");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r.value().sandbox_mode, SandboxMode::kEnforce);
  EXPECT_EQ(r.value().sandbox_write_paths,
            (std::vector<std::string>{"/home/me/.cache/pip", "/repo/build/out", "/opt/cache"}));
  EXPECT_EQ(r.value().sandbox_where, "drover.yaml:2:3");
}

TEST(Config, SandboxMistakesAreNamed) {
  EXPECT_EQ(parse_error("sandbox: strict\n").message(),
            "drover.yaml:1:10: sandbox: expected enforce, detect or off, got 'strict'");
  EXPECT_EQ(parse_error("sandbox: { mode: enforce, write_path: [a] }\n").message(),
            "drover.yaml:1:27: sandbox.write_path: unknown key; did you mean 'sandbox.write_paths'?");
  EXPECT_EQ(parse_error("sandbox: { write_paths: ~/.cache }\n").message(),
            "drover.yaml:1:25: sandbox.write_paths: expected a list of paths, e.g. [\"~/.cache/pip\"]");
}

TEST(Config, AgentSandboxPathsAndLimits) {
  setenv("HOME", "/home/me", 1);
  auto r = parse_config(
      "agents:\n"
      "  claude:\n"
      "    plugin: claude\n"
      "    sandbox: { write_paths: [\"~/.config/gh\"] }\n"
      "    limits: { processes: 200, memory: 4GiB }\n",
      "drover.yaml", "/repo");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const AgentContainment& c = r.value().agent_containment.at("claude");
  EXPECT_EQ(c.write_paths, std::vector<std::string>{"/home/me/.config/gh"});
  EXPECT_EQ(c.limits.processes, 200);
  EXPECT_EQ(c.limits.memory, uint64_t{4} << 30);
  EXPECT_EQ(parse_config("agents: { x: { plugin: exec } }\n", "drover.yaml", "/repo").value().agent_containment.at("x").limits.processes, 0);
}

TEST(Config, AgentLimitMistakesAreNamed) {
  EXPECT_EQ(parse_error("agents:\n  x:\n    plugin: exec\n    limits: { process: 3 }\n").message(),
            "drover.yaml:4:15: agents.x.limits.process: unknown key; did you mean 'agents.x.limits.processes'?");
  EXPECT_EQ(parse_error("agents:\n  x:\n    plugin: exec\n    limits: { processes: 0 }\n").message(),
            "drover.yaml:4:26: agents.x.limits.processes: expected a number from 1 to 1000000");
  EXPECT_EQ(parse_error("agents:\n  x:\n    plugin: exec\n    limits: { memory: 10KiB }\n").message(),
            "drover.yaml:4:23: agents.x.limits.memory: must be at least 1MiB");
  EXPECT_EQ(parse_error("agents:\n  x:\n    plugin: exec\n    sandboxx: {}\n").message(),
            "drover.yaml:4:5: agents.x.sandboxx: unknown key; did you mean 'agents.x.sandbox'?");
}

}  // namespace
}  // namespace drover
