#include "man_page.h"

#include <gtest/gtest.h>

namespace drover::cli {
namespace {

// A small command line shaped like drover's: a group with subcommands, an
// option with fixed values, a positional argument, and a hidden command.
struct SampleApp {
  CLI::App app{"drover: drives a software project to completion"};
  std::string mode, id;
  bool force = false;
  SampleApp() {
    auto* wt = app.add_subcommand("worktree", "Task worktrees");
    wt->require_subcommand(1);
    wt->add_subcommand("prune", "Remove worktrees")->add_flag("--force", force, "also unmerged work");
    auto* run = app.add_subcommand("run", "Run every ready task");
    run->add_option("--on-disk-full", mode, "wait or stop")->check(CLI::IsMember({"wait", "stop"}));
    app.add_subcommand("info", "One task")->add_option("id", id, "task id")->required();
    app.add_subcommand("__man", "hidden")->group("");
  }
};

const ManPage* find(const std::vector<ManPage>& pages, const std::string& name) {
  for (const auto& p : pages)
    if (p.file_name == name) return &p;
  return nullptr;
}

TEST(ManPage, OnePageForTheProgramAndOnePerCommandHiddenOnesLeftOut) {
  SampleApp s;
  auto pages = man_pages(command_tree(s.app), "9.9.9");
  ASSERT_EQ(pages.size(), 4u);
  ASSERT_NE(find(pages, "drover.1"), nullptr);
  EXPECT_EQ(find(pages, "drover-__man.1"), nullptr);
  const std::string& top = find(pages, "drover.1")->text;
  EXPECT_EQ(top.rfind(".TH DROVER 1 \"\" \"drover 9.9.9\" \"Drover Manual\"\n", 0), 0u) << top;
  EXPECT_NE(top.find("drover \\- drives a software project to completion"), std::string::npos) << top;
  EXPECT_NE(top.find(".BR drover\\-worktree (1)\nTask worktrees"), std::string::npos) << top;

  const std::string& wt = find(pages, "drover-worktree.1")->text;
  EXPECT_NE(wt.find(".SS drover worktree prune\n.B drover worktree prune\n[\\fIOPTIONS\\fR]"), std::string::npos) << wt;
  EXPECT_NE(wt.find("\\fB\\-\\-force\\fR\nalso unmerged work"), std::string::npos) << wt;
  EXPECT_NE(wt.find("This command needs one of the subcommands below."), std::string::npos);

  const std::string& run = find(pages, "drover-run.1")->text;
  EXPECT_NE(run.find("\\fB\\-\\-on\\-disk\\-full\\fR \\fITEXT\\fR\nwait or stop (one of: wait, stop)"), std::string::npos)
      << run;
  const std::string& info = find(pages, "drover-info.1")->text;
  EXPECT_NE(info.find(".B drover info\n[\\fIOPTIONS\\fR] \\fIid\\fR\n"), std::string::npos) << info;
}

TEST(ManPage, RoffEscapeKeepsTextFromBecomingRequests) {
  EXPECT_EQ(roff_escape("--force"), "\\-\\-force");
  EXPECT_EQ(roff_escape("a\\b"), "a\\eb");
  EXPECT_EQ(roff_escape(".drover/ holds logs"), "\\&.drover/ holds logs");
  EXPECT_EQ(roff_escape("first\n'quoted"), "first\n\\&'quoted");
  EXPECT_EQ(roff_escape("in .drover/"), "in .drover/") << "only a line's first character matters";
}

}  // namespace
}  // namespace drover::cli
