// Control characters: found where task text is written, escaped where the CLI prints.
#include <gtest/gtest.h>

#include "drover/common/control_chars.h"
#include "drover/model/task_text.h"

namespace drover {
namespace {

TEST(ControlChars, FindsC0DelAndC1ButNotUtf8Text) {
  EXPECT_EQ(find_control_char("plain caf\xC3\xA9 \xE2\x9C\x93"), std::string_view::npos);
  EXPECT_EQ(find_control_char("a\x1b[2J"), 1u);
  EXPECT_EQ(find_control_char(std::string_view("ab\0c", 4)), 2u);
  EXPECT_EQ(find_control_char("x\x7f"), 1u);
  EXPECT_EQ(find_control_char("x\xC2\x9B" "2J"), 1u) << "U+009B is a one-character CSI on some terminals";
  EXPECT_EQ(find_control_char("two\nlines\tand tab", "\n\t"), std::string_view::npos);
  EXPECT_EQ(find_control_char("two\nlines\r", "\n\t"), 9u);
}

// Titles with ESC[2J, BEL and CR were printed raw by `run` and `status --tree`.
TEST(ControlChars, EscapesForOneTerminalLine) {
  EXPECT_EQ(escape_control_chars("before\x1b[2Jafter\a\r!"), "before\\e[2Jafter\\x07\\r!");
  EXPECT_EQ(escape_control_chars(std::string_view("a\0b\nc\td\xC2\x9B", 9)), "a\\0b\\nc\\td\\xc2\\x9b");
  EXPECT_EQ(escape_control_chars("a\\n stays, caf\xC3\xA9 too"), "a\\n stays, caf\xC3\xA9 too");
  EXPECT_EQ(escape_control_chars("line 1\nline\r2\n", "\n"), "line 1\nline\\r2\n");
}

TEST(TaskText, RefusesNulAndControlCharactersButNotNewlineOrTab) {
  EXPECT_TRUE(check_task_text("title", "Fix the\tparser\nsecond line").ok());
  Status st = check_task_text("title", std::string("before\0after", 12));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "title contains a NUL byte at byte 6; remove it (only newline and tab are allowed in task text)");
  EXPECT_EQ(check_task_text("description", "x\x1b[2J").message(),
            "description contains the control character \\e at byte 1; remove it (only newline and tab are allowed in "
            "task text)");
  NewTask t;
  t.title = "ok";
  t.blocked_by = {"t1", "t2\a"};
  EXPECT_NE(check_new_task(t).message().find("blocked-by id contains the control character \\x07"), std::string::npos);
}

}  // namespace
}  // namespace drover
