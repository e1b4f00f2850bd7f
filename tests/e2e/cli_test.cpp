// The command line's promises: clear errors with exit code 2 that write
// nothing, machine-readable --json, `config check`, and the README demo.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "e2e_project.h"

namespace drover::testing {
namespace {

void expect_usage_error(const CommandResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(message), std::string::npos) << "stderr was: " << r.err;
  EXPECT_EQ(r.out, "") << "errors go to stderr only";
}

TEST(Cli, AddRefusesBadInputAndWritesNothing) {
  E2EProject p;
  std::string t1 = p.add({"First"});
  std::string sub = p.add({"A sub-task", "--parent", t1});
  ASSERT_EQ(sub, t1 + ".1");
  expect_usage_error(p.drover({"add", "Waits on a ghost", "--blocked-by", "t99"}), "t99");
  expect_usage_error(p.drover({"add", "Nested", "--parent", sub}), sub);
  expect_usage_error(p.drover({"add", "Urgent", "--priority", "urgent"}),
                     "--priority: 'urgent' is not a priority; use a number or critical, high, normal, low");
  expect_usage_error(p.drover({"add", "Agentless", "--agent", "tset"}), "--agent: no agent named 'tset'");
  expect_usage_error(p.drover({"add", "Slow", "--timeout", "soon"}), "--timeout: 'soon' is not a duration");
  expect_usage_error(p.drover({"add", "Epic-less", "--epic", "e9"}), "e9");
  EXPECT_EQ(p.task_states().size(), 2u) << "a refused add must write nothing";
  expect_usage_error(p.drover({"info", "t42"}), "t42");
  auto no_args = p.drover({"add"});
  EXPECT_EQ(no_args.exit_code, 2);
  EXPECT_NE(no_args.err.find("title is required"), std::string::npos) << no_args.err;
}

// A NUL byte in an imported title was accepted and every attempt then failed
// at commit. NUL and control characters other than newline and tab are
// refused by every writer, with exit 2, and nothing is written.
TEST(Cli, ControlCharactersInTaskTextAreRefusedAndWriteNothing) {
  E2EProject p;
  std::string t1 = p.add({"First"});
  auto no_raw_control = [](const CommandResult& r) {
    EXPECT_EQ(r.err.find_first_of(std::string("\x1b\a\r\0", 4)), std::string::npos) << "printed raw: " << r.err;
  };
  auto esc = p.drover({"add", "before\x1b[2Jafter"});
  expect_usage_error(esc, "title contains the control character \\e at byte 6; remove it");
  no_raw_control(esc);
  expect_usage_error(p.drover({"add", "Bell", "-d", "ring\a"}), "description contains the control character \\x07");
  expect_usage_error(p.drover({"add", "Blocked", "--blocked-by", t1 + "\r"}), "blocked-by id contains the control character \\r");
  expect_usage_error(p.drover({"epic", "add", "Epic\r"}), "title contains the control character \\r");
  auto dep = p.drover({"dep", "add", t1, "t9\x1b[2J"});
  EXPECT_EQ(dep.exit_code, 2) << dep.err;
  no_raw_control(dep);

  const std::string plan = p.dir() + "/plan.jsonl";
  std::ofstream(plan) << "{\"type\": \"task\", \"id\": \"a\", \"title\": \"fine\"}\n"
                         "{\"type\": \"task\", \"id\": \"b\", \"title\": \"before\\u0000after\"}\n";
  auto imp = p.drover({"import", plan});
  expect_usage_error(imp, plan + ":2: task 'b': title contains a NUL byte at byte 6; remove it");
  EXPECT_NE(imp.err.find("nothing was imported"), std::string::npos) << imp.err;
  EXPECT_EQ(p.task_states().size(), 1u) << "a refused write must write nothing";
  EXPECT_EQ(p.drover({"epic", "list", "--json"}).out.find("Epic"), std::string::npos);
  EXPECT_EQ(p.add({"Two\tcolumns", "-d", "line 1\nline 2"}), "t2") << "newline and tab stay allowed";
}

// Titles with ESC[2J, BEL and CR were printed raw by `run` and `status
// --tree`. A store written before they were refused can still hold them;
// every human output escapes them, JSON keeps the text as it is.
TEST(Cli, ControlCharactersArePrintedEscaped) {
  E2EProject p;
  std::string id = p.add({"Title [blocked]"});
  std::string e = p.drover({"epic", "add", "Epic"}).out;
  const std::string db = p.repo() + "/.drover/drover.db";
  auto sql = run_command({"sqlite3", db,
                          "UPDATE tasks SET title = 'A' || char(27) || '[2J' || char(7) || 'B' || char(13) || 'C [blocked]';"
                          "UPDATE epics SET title = 'E' || char(27) || ']0;pwned' || char(7);"});
  ASSERT_EQ(sql.exit_code, 0) << sql.err;
  const std::string shown = "A\\e[2J\\x07B\\rC [blocked]";
  auto no_raw_control = [](const CommandResult& r) {
    EXPECT_EQ(r.out.find_first_of("\x1b\a\r"), std::string::npos) << "printed raw: " << r.out;
  };
  auto run = p.drover({"run"});
  EXPECT_NE(run.out.find(id + ": started: " + shown), std::string::npos) << run.out;
  no_raw_control(run);
  for (std::vector<std::string> args : {std::vector<std::string>{"status", "--tree"}, {"info", id}, {"epic", "list"}}) {
    auto r = p.drover(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    no_raw_control(r);
    if (args[0] != "epic") EXPECT_NE(r.out.find(shown), std::string::npos) << r.out;
    else EXPECT_NE(r.out.find("E\\e]0;pwned\\x07"), std::string::npos) << r.out;
  }
  auto j = p.drover({"status", "--json"});
  EXPECT_NE(j.out.find("A\\u001b[2J\\u0007B\\rC"), std::string::npos) << "JSON is escaped by the JSON writer: " << j.out;
}

TEST(Cli, InitOutsideAGitRepositoryIsAClearError) {
  auto dir = std::filesystem::temp_directory_path() / ("drover-nogit-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  auto r = run_command({DROVER_BINARY, "init"}, dir.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not inside a git repository"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "drover.yaml"));
  auto s = run_command({DROVER_BINARY, "status"}, dir.string());
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_NE(s.err.find("no drover.yaml in"), std::string::npos) << s.err;
  EXPECT_NE(s.err.find("run `drover init`"), std::string::npos) << s.err;
  std::filesystem::remove_all(dir);
}

TEST(Cli, InitTwiceIsHarmlessAndKeepsDroverOutOfGit) {
  E2EProject p;
  auto again = p.drover({"init"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("already exists; left as it is"), std::string::npos) << again.out;
  std::ifstream exclude(p.repo() + "/.git/info/exclude");
  std::stringstream ss;
  ss << exclude.rdbuf();
  int lines = 0;
  std::istringstream in(ss.str());
  for (std::string line; std::getline(in, line);) lines += line == "/.drover/";
  EXPECT_EQ(lines, 1) << ss.str();
  EXPECT_EQ(p.git({"status", "--porcelain", "--", ".drover"}).out, "");
}

TEST(Cli, ConfigCheckNamesEachProblem) {
  E2EProject p;
  auto ok = p.drover({"config", "check"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(": OK (storage sqlite, vcs git, 1 agent)"), std::string::npos) << ok.out;

  auto write = [&](const std::string& text) { std::ofstream(p.repo() + "/drover.yaml") << text; };
  write("storage: { plugin: sqlite, config: { path: x.db, pth: y } }\n");
  auto rejected = p.drover({"config", "check"});
  EXPECT_EQ(rejected.exit_code, 2);
  EXPECT_NE(rejected.err.find("drover.yaml:1:10: storage.config:"), std::string::npos) << rejected.err;
  EXPECT_NE(rejected.err.find("pth"), std::string::npos) << rejected.err;

  write("storage: { plugin: sqlitee }\n");
  auto missing = p.drover({"config", "check"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no storage plugin named 'sqlitee'"), std::string::npos) << missing.err;

  write("workers: [1, 2]\n");
  auto type = p.drover({"config", "check"});
  EXPECT_EQ(type.exit_code, 2);
  EXPECT_NE(type.err.find("drover.yaml:1:10: workers: expected a whole number"), std::string::npos) << type.err;

  write("workers: 2\nvsc: { plugin: git }\n");
  auto unknown = p.drover({"run"});
  EXPECT_EQ(unknown.exit_code, 2) << "a run with a broken config is a usage error";
  EXPECT_NE(unknown.err.find("drover.yaml:2:1: vsc: unknown key; did you mean 'vcs'?"), std::string::npos) << unknown.err;
}

// `worktree_dir: ..` and `/` passed config check; the run renamed the user's
// sibling directories (one a separate git repository) to .interrupted-*, and
// with `/` the agent ran in /t1. Every command refuses them before running.
TEST(Cli, WorktreeDirOutsideWhatDroverOwnsIsRefused) {
  E2EProject p;
  std::string id = p.add({"Work"});
  const std::string sibling = p.dir() + "/" + id;  // a repository next to the project, named like the task
  std::filesystem::create_directories(sibling);
  run_command({"git", "init", "-q", sibling});
  std::ofstream(sibling + "/mine.txt") << "mine\n";
  std::string config;
  {
    std::ifstream in(p.repo() + "/drover.yaml");
    std::stringstream ss;
    ss << in.rdbuf();
    config = ss.str();
  }
  for (const std::string& value : {std::string(".."), std::string("/"), std::string(".")}) {
    std::string text = config;
    text.replace(text.find("vcs: { plugin: git }"), 20, "vcs: { plugin: git, config: { worktree_dir: " + value + " } }");
    std::ofstream(p.repo() + "/drover.yaml") << text;
    const int line = static_cast<int>(std::count(text.begin(), text.begin() + text.find("worktree_dir"), '\n')) + 1;
    const std::string where = "drover.yaml:" + std::to_string(line) + ":45: vcs.config.worktree_dir: '" + value + "'";
    for (std::vector<std::string> args : {std::vector<std::string>{"config", "check"}, {"run"}, {"status"}}) {
      auto r = p.drover(args);
      EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.out << r.err;
      EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
      EXPECT_NE(r.err.find("name a new or empty directory for task worktrees"), std::string::npos) << r.err;
    }
  }
  EXPECT_TRUE(std::filesystem::exists(sibling + "/mine.txt"));
  EXPECT_TRUE(std::filesystem::is_directory(sibling + "/.git"));
  EXPECT_FALSE(std::filesystem::exists("/" + id));
  for (const auto& e : std::filesystem::directory_iterator(p.dir()))
    EXPECT_EQ(e.path().filename().string().rfind(".interrupted-", 0), std::string::npos) << e.path();
}

TEST(Cli, JsonOutputsParse) {
  E2EProject p;
  auto e = p.drover({"epic", "add", "Parsing"});
  std::string epic = e.out.substr(0, e.out.find('\n'));
  auto added = p.drover({"add", "Tokenizer", "--epic", epic, "--priority", "high", "--json"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  json task = json::parse(added.out);
  EXPECT_EQ(task["title"], "Tokenizer");
  EXPECT_EQ(task["priority"], 2);
  EXPECT_EQ(task["epic"], epic);
  EXPECT_EQ(task["status"], "ready");
  p.add({"Parser", "--blocked-by", task["id"].get<std::string>()});
  json st = p.status_json();
  EXPECT_EQ(st["summary"]["total"], 2);
  EXPECT_EQ(st["summary"]["counts"]["ready"], 1);
  EXPECT_EQ(st["summary"]["counts"]["waiting"], 1);
  auto info = p.drover({"info", "t2", "--json"});
  json i = json::parse(info.out);
  EXPECT_EQ(i["task"]["blocked_by"], json::array({"t1"}));
  EXPECT_TRUE(i["events"].is_array());
  auto epics = json::parse(p.drover({"epic", "list", "--json"}).out);
  EXPECT_EQ(epics[0]["id"], epic);
  auto plain = p.drover({"epic", "list"});
  EXPECT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.out.find("0/1 completed"), std::string::npos) << plain.out;
  auto plugins = json::parse(p.drover({"plugins", "list", "--json"}).out);
  std::set<std::string> names;
  for (const auto& pl : plugins) names.insert(pl["name"].get<std::string>());
  for (const char* n : {"sqlite", "postgres", "git", "exec", "claude", "codex", "amp", "opencode"})
    EXPECT_TRUE(names.count(n)) << n << " not listed";
  auto version = p.drover({"--version"});
  EXPECT_NE(version.out.find("plugin ABI 1.6"), std::string::npos) << version.out;
}

TEST(Cli, MissingAndMisspeltCommandsGetTheListOrASuggestion) {
  E2EProject p;
  auto bare = p.drover({});
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("drover: `drover` needs a command:"), std::string::npos) << bare.err;
  EXPECT_NE(bare.err.find("  status "), std::string::npos) << bare.err;
  auto worktree = p.drover({"worktree"});
  EXPECT_EQ(worktree.exit_code, 2);
  EXPECT_NE(worktree.err.find("`drover worktree` needs a command:"), std::string::npos) << worktree.err;
  EXPECT_NE(worktree.err.find("  prune "), std::string::npos) << worktree.err;
  auto typo = p.drover({"stauts"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("drover: unknown command 'stauts' for `drover`; did you mean 'status'?"), std::string::npos)
      << typo.err;
  auto sub_typo = p.drover({"--config", p.repo() + "/drover.yaml", "worktree", "prnue"});
  EXPECT_NE(sub_typo.err.find("did you mean 'prune'?"), std::string::npos) << sub_typo.err;
  auto extra = p.drover({"status", "--bogus"});
  EXPECT_EQ(extra.exit_code, 2);
  EXPECT_EQ(extra.err.rfind("drover: ", 0), 0u) << "usage errors carry the drover: prefix: " << extra.err;
  EXPECT_NE(extra.err.find("`drover status --help`"), std::string::npos) << extra.err;
  auto option_typo = p.drover({"add", "x", "--prioity", "high"});
  EXPECT_EQ(option_typo.exit_code, 2);
  EXPECT_NE(option_typo.err.find("drover: unknown option '--prioity' for `drover add`; did you mean '--priority'?"),
            std::string::npos)
      << option_typo.err;
  EXPECT_EQ(p.status_json()["summary"]["total"], 0) << "the refused add created nothing";
}

TEST(Cli, HelpAndVersionTheUsualWays) {
  E2EProject p;
  auto help_run = p.drover({"help", "run"});
  EXPECT_EQ(help_run.exit_code, 0) << help_run.err;
  EXPECT_NE(help_run.out.find("--workers"), std::string::npos) << help_run.out;
  auto help_prune = p.drover({"help", "worktree", "prune"});
  EXPECT_EQ(help_prune.exit_code, 0) << help_prune.err;
  EXPECT_NE(help_prune.out.find("--force"), std::string::npos) << help_prune.out;
  auto help_typo = p.drover({"help", "rnu"});
  EXPECT_EQ(help_typo.exit_code, 2);
  EXPECT_NE(help_typo.err.find("did you mean 'run'?"), std::string::npos) << help_typo.err;
  auto version = p.drover({"-V"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("plugin ABI 1.6"), std::string::npos) << version.out;
}

TEST(Cli, TheReadmeDemoRunsToTheEnd) {
  auto r = run_command({"bash", std::string(DROVER_SOURCE_DIR) + "/scripts/demo.sh"}, DROVER_SOURCE_DIR,
                       {{"DROVER_BIN", DROVER_BINARY}, {"NO_COLOR", "1"}, {"DROVER_DEMO_CLEANUP", "1"}});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("completed: 10   failed: 0   blocked: 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Merge task t8: Prepare the release notes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("demo: done"), std::string::npos);
}

}  // namespace
}  // namespace drover::testing
