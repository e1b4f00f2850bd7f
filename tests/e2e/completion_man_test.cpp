// `drover completion bash|zsh|fish` and the man pages come from the same
// command definitions as the parser: every command is in them, the hidden
// `__man` is not, and the bash script completes what the parser accepts.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "e2e_project.h"

namespace drover::testing {
namespace {

namespace fs = std::filesystem;

const char* const kCommands[] = {"init", "add",    "epic",     "reset",  "retry",  "cancel", "run",
                                 "resume", "status", "info",   "logs",   "config", "plugins", "worktree",
                                 "import", "export", "dep",    "help",   "completion"};

CommandResult drover(std::vector<std::string> args, const std::string& cwd) {
  args.insert(args.begin(), DROVER_BINARY);
  return run_command(args, cwd, {{"NO_COLOR", "1"}});
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("drover-docs-" + std::to_string(std::random_device{}()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    if (!::testing::Test::HasFailure()) fs::remove_all(path);
  }
};

// What the bash script offers after `words` (the last one is being typed).
std::string bash_complete(const fs::path& script, const std::vector<std::string>& words) {
  std::string program = "source \"$1\"; shift; COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1)); _drover; echo \"${COMPREPLY[*]}\"";
  std::vector<std::string> argv{"bash", "-c", program, "complete", script.string()};
  argv.insert(argv.end(), words.begin(), words.end());
  auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(Completion, BashCompletesCommandsOptionsAndValues) {
  TempDir tmp;
  auto r = drover({"completion", "bash"}, tmp.path.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path script = tmp.path / "drover.bash";
  std::ofstream(script) << r.out;
  ASSERT_EQ(run_command({"bash", "-n", script.string()}).exit_code, 0) << "the script is not valid bash";
  EXPECT_EQ(bash_complete(script, {"drover", "wor"}), "worktree");
  EXPECT_EQ(bash_complete(script, {"drover", "worktree", ""}), "list prune");
  EXPECT_EQ(bash_complete(script, {"drover", "--config", "x.yaml", "stat"}), "status");
  EXPECT_EQ(bash_complete(script, {"drover", "run", "--on-disk-full", ""}), "wait stop");
  EXPECT_EQ(bash_complete(script, {"drover", "run", "--epic", "e1", "--on"}), "--on-disk-full");
  EXPECT_EQ(bash_complete(script, {"drover", "worktree", "prune", "--f"}), "--force");
  EXPECT_EQ(bash_complete(script, {"drover", "completion", ""}), "bash zsh fish");
  EXPECT_EQ(bash_complete(script, {"drover", "__"}), "") << "hidden commands are not offered";
}

TEST(Completion, ZshAndFishScriptsNameEveryCommand) {
  TempDir tmp;
  auto zsh = drover({"completion", "zsh"}, tmp.path.string());
  auto fish = drover({"completion", "fish"}, tmp.path.string());
  ASSERT_EQ(zsh.exit_code, 0) << zsh.err;
  ASSERT_EQ(fish.exit_code, 0) << fish.err;
  EXPECT_EQ(zsh.out.rfind("#compdef drover\n", 0), 0u);
  for (const char* c : kCommands) {
    EXPECT_NE(zsh.out.find(std::string(" '") + c + ":"), std::string::npos) << c;
    EXPECT_NE(fish.out.find(std::string("-a '") + c + "'"), std::string::npos) << c;
  }
  EXPECT_NE(fish.out.find("complete -c drover -n '__drover_at worktree prune' -l 'force'"), std::string::npos);
  EXPECT_EQ(fish.out.find("__man"), std::string::npos);
  EXPECT_EQ(zsh.out.find("__man"), std::string::npos);
}

// zsh and fish are optional on a developer's machine (scripts/install-deps.sh
// installs both, so CI runs this): where a shell is missing, the test says so
// and skips.
TEST(Completion, ZshScriptCompletesInZsh) {
  if (run_command({"sh", "-c", "command -v zsh"}).exit_code != 0) GTEST_SKIP() << "zsh is not installed";
  TempDir tmp;
  auto zsh = drover({"completion", "zsh"}, tmp.path.string());
  ASSERT_EQ(zsh.exit_code, 0) << zsh.err;
  const fs::path script = tmp.path / "_drover";
  std::ofstream(script) << zsh.out;
  ASSERT_EQ(run_command({"zsh", "-n", script.string()}).exit_code, 0) << "the script is not valid zsh";
  // Outside a completion widget: compadd, _describe and _files print what they were given.
  const std::string harness =
      "compadd() { while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -r -- \"ADD $*\"; }\n"
      "_describe() { print -r -- \"DESCRIBE ${(@P)2}\"; }\n"
      "_files() { print FILES; }\n"
      "source \"$1\" >/dev/null\n"
      "shift; words=(\"$@\"); CURRENT=$#; _drover\n";
  auto complete = [&](std::vector<std::string> words) {
    std::vector<std::string> argv{"zsh", "-f", "-c", harness, "zsh", script.string()};
    argv.insert(argv.end(), words.begin(), words.end());
    auto r = run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(complete({"drover", "worktree", ""}),
            "DESCRIBE list:Every task worktree with its task, state and size prune:Remove worktrees of merged or "
            "abandoned tasks (never unmerged work unless --force)\n");
  EXPECT_EQ(complete({"drover", "run", "--on-disk-full", ""}), "ADD wait stop\n");
  EXPECT_EQ(complete({"drover", "worktree", "prune", "--f"}), "ADD -h --help --force\n");
  EXPECT_EQ(complete({"drover", "--config", ""}), "FILES\n");
}

TEST(Completion, FishScriptCompletesInFish) {
  if (run_command({"sh", "-c", "command -v fish"}).exit_code != 0) GTEST_SKIP() << "fish is not installed";
  TempDir tmp;
  auto fish = drover({"completion", "fish"}, tmp.path.string());
  ASSERT_EQ(fish.exit_code, 0) << fish.err;
  const fs::path script = tmp.path / "drover.fish";
  std::ofstream(script) << fish.out;
  ASSERT_EQ(run_command({"fish", "--no-execute", script.string()}).exit_code, 0) << "the script is not valid fish";
  auto complete = [&](const std::string& line) {
    auto r = run_command({"fish", "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", script.string(), line},
                         "", {{"HOME", tmp.path.string()}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(complete("drover wor"), "worktree\tTask worktrees under .drover/worktrees\n");
  const std::string values = complete("drover run --on-disk-full ");
  EXPECT_NE(values.find("stop\t"), std::string::npos) << values;
  EXPECT_NE(values.find("wait\t"), std::string::npos) << values;
  EXPECT_NE(complete("drover worktree prune --").find("--force\t"), std::string::npos);
}

TEST(Completion, AnUnknownShellIsAUsageError) {
  TempDir tmp;
  auto r = drover({"completion", "tcsh"}, tmp.path.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("drover: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("tcsh"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bash,zsh,fish"), std::string::npos) << r.err;
}

TEST(ManPages, OnePagePerCommandInRoff) {
  TempDir tmp;
  auto r = drover({"__man", (tmp.path / "man1").string()}, tmp.path.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string top = read_text((tmp.path / "man1" / "drover.1").string());
  EXPECT_EQ(top.rfind(".TH DROVER 1 ", 0), 0u) << top.substr(0, 80);
  EXPECT_NE(top.find("SIGHUP"), std::string::npos) << "the signals section covers a closed terminal";
  for (const char* c : kCommands) {
    const fs::path page = tmp.path / "man1" / (std::string("drover-") + c + ".1");
    ASSERT_TRUE(fs::exists(page)) << page;
    EXPECT_NE(top.find(std::string(".BR drover\\-") + c + " (1)"), std::string::npos) << c;
  }
  EXPECT_FALSE(fs::exists(tmp.path / "man1" / "drover-__man.1"));
  const std::string prune = read_text((tmp.path / "man1" / "drover-worktree.1").string());
  EXPECT_NE(prune.find(".SS drover worktree prune"), std::string::npos) << prune;
  EXPECT_NE(prune.find("\\fB\\-\\-force\\fR"), std::string::npos) << prune;
  const std::string run = read_text((tmp.path / "man1" / "drover-run.1").string());
  EXPECT_NE(run.find("(one of: wait, stop)"), std::string::npos) << run;
  // Where man is installed, every page renders without a warning.
  if (run_command({"sh", "-c", "command -v man"}).exit_code == 0) {
    for (const auto& entry : fs::directory_iterator(tmp.path / "man1")) {
      auto rendered = run_command({"man", "--warnings", "-l", entry.path().string()}, "", {{"MANPAGER", "cat"}, {"MANWIDTH", "80"}});
      EXPECT_EQ(rendered.exit_code, 0) << entry.path();
      EXPECT_EQ(rendered.err, "") << entry.path();
    }
  }
}

TEST(ManPages, HiddenCommandIsNotInHelpNorInTheCommandList) {
  TempDir tmp;
  auto help = drover({"--help"}, tmp.path.string());
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out.find("__man"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("completion"), std::string::npos) << help.out;
  auto bare = drover({}, tmp.path.string());
  EXPECT_EQ(bare.exit_code, 2);
  EXPECT_NE(bare.err.find("completion  Print a shell completion script"), std::string::npos) << bare.err;
  EXPECT_EQ(bare.err.find("__man"), std::string::npos) << bare.err;
}

}  // namespace
}  // namespace drover::testing
