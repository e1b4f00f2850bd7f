#include "drover/engine/agent_verdict.h"

#include <gtest/gtest.h>

namespace drover {
namespace {

TEST(AgentVerdict, ReadsDoneAndBlockedFromTheLastVerdictLine) {
  EXPECT_EQ(read_verdict("Changed the parser.\nDROVER-RESULT: done").kind, VerdictKind::kDone);
  AgentVerdict b = read_verdict("I tried.\nDROVER-RESULT: blocked: the staging DATABASE_URL\n");
  EXPECT_EQ(b.kind, VerdictKind::kBlocked);
  EXPECT_EQ(b.reason, "the staging DATABASE_URL");
  // The last one counts: an agent quoting the instruction earlier is not a verdict.
  EXPECT_EQ(read_verdict("use `DROVER-RESULT: blocked: x` if...\nDROVER-RESULT: done").kind, VerdictKind::kDone);
}

TEST(AgentVerdict, IgnoresMarkdownAndCase) {
  EXPECT_EQ(read_verdict("**DROVER-RESULT: done**").kind, VerdictKind::kDone);
  EXPECT_EQ(read_verdict("`drover-result: Done.`").kind, VerdictKind::kDone);
  EXPECT_EQ(read_verdict("- DROVER-RESULT: BLOCKED:   need a key  ").reason, "need a key");
  EXPECT_EQ(read_verdict("DROVER-RESULT: blocked").reason, "the agent did not say what it needs");
}

TEST(AgentVerdict, NoVerdictOrAnUnreadableOneIsNone) {
  EXPECT_EQ(read_verdict("").kind, VerdictKind::kNone);
  EXPECT_EQ(read_verdict("All done!").kind, VerdictKind::kNone);
  EXPECT_EQ(read_verdict("DROVER-RESULT: maybe").kind, VerdictKind::kNone);
  EXPECT_EQ(read_verdict("The DROVER-RESULT: done line is asked for").kind, VerdictKind::kNone);
}

TEST(AgentVerdict, FirstLineSkipsBlankLinesAndTheVerdict) {
  EXPECT_EQ(first_line("\n  \nAdded a flag.\nAnd a test."), "Added a flag.");
  EXPECT_EQ(first_line("DROVER-RESULT: done\nNothing else."), "Nothing else.");
  EXPECT_EQ(first_line(std::string(300, 'x'), 10), std::string(10, 'x') + "…");
  EXPECT_EQ(first_line("é" + std::string(10, 'y'), 1), "…") << "never half a UTF-8 character";
}

}  // namespace
}  // namespace drover
