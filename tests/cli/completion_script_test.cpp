#include "completion_script.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

struct SampleApp {
  CLI::App app{"drover: sample"};
  std::string mode, config, shell;
  bool force = false;
  SampleApp() {
    app.add_option("--config", config, "path");
    auto* wt = app.add_subcommand("worktree", "Task worktrees");
    wt->add_subcommand("prune", "Remove worktrees")->add_flag("--force", force, "also unmerged work");
    app.add_subcommand("run", "Run it's tasks")
        ->add_option("-m,--on-disk-full", mode, "wait or stop")
        ->check(CLI::IsMember({"wait", "stop"}));
    app.add_subcommand("completion", "A script")
        ->add_option("shell", shell, "the shell")
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    app.add_subcommand("__man", "hidden")->group("");
  }
};

TEST(CompletionScript, BashTablesFollowTheDefinitions) {
  SampleApp s;
  auto script = completion_script(command_tree(s.app), "bash");
  ASSERT_TRUE(script);
  EXPECT_NE(script->find("    '') echo 'worktree run completion' ;;\n"), std::string::npos) << *script;
  EXPECT_NE(script->find("    'worktree') echo 'prune' ;;\n"), std::string::npos);
  EXPECT_NE(script->find("    'completion') echo 'bash zsh fish' ;;\n"), std::string::npos) << "argument values";
  EXPECT_NE(script->find("    'worktree prune') echo '-h --help --force' ;;\n"), std::string::npos);
  // Only options that take a value are skipped with their value.
  EXPECT_NE(script->find("    'run') echo '-m --on-disk-full' ;;\n"), std::string::npos) << *script;
  EXPECT_NE(script->find("    'run --on-disk-full') echo 'wait stop' ;;\n"), std::string::npos);
  EXPECT_NE(script->find("    'run -m') echo 'wait stop' ;;\n"), std::string::npos);
  EXPECT_EQ(script->find("__man"), std::string::npos);
  EXPECT_NE(script->find("complete -o default -F _drover drover\n"), std::string::npos);
}

TEST(CompletionScript, DescriptionsAreQuotedForEachShell) {
  SampleApp s;
  auto zsh = completion_script(command_tree(s.app), "zsh");
  auto fish = completion_script(command_tree(s.app), "fish");
  ASSERT_TRUE(zsh && fish);
  EXPECT_NE(zsh->find("'run:Run it'\\''s tasks'"), std::string::npos) << *zsh;
  EXPECT_NE(fish->find("-a 'run' -d 'Run it\\'s tasks'"), std::string::npos) << *fish;
  EXPECT_NE(fish->find("complete -c drover -n '__drover_at run' -s 'm' -l 'on-disk-full' -x -a 'wait stop'"),
            std::string::npos)
      << *fish;
}

TEST(CompletionScript, OnlyKnownShells) {
  SampleApp s;
  EXPECT_EQ(completion_shells(), (std::vector<std::string>{"bash", "zsh", "fish"}));
  EXPECT_FALSE(completion_script(command_tree(s.app), "tcsh"));
}

}  // namespace
}  // namespace drover::cli
