// Small engine pieces: the backoff schedule, durations, the prompt template.
#include <gtest/gtest.h>

#include "drover/common/duration.h"
#include "drover/engine/backoff.h"
#include "drover/engine/prompt.h"
#include "drover/task_fields.h"

namespace drover {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DoublesWithJitterAndCaps) {
  const milliseconds initial(1000), max(8000);
  for (uint64_t seed = 0; seed < 50; ++seed) {
    // Nominal: 1s, 2s, 4s, 8s, 8s; jitter keeps each in [nominal/2, nominal].
    long long nominal[] = {1000, 2000, 4000, 8000, 8000};
    for (int attempt = 1; attempt <= 5; ++attempt) {
      long long d = backoff_delay(attempt, initial, max, seed).count();
      EXPECT_GE(d, nominal[attempt - 1] / 2) << "attempt " << attempt;
      EXPECT_LE(d, nominal[attempt - 1]) << "attempt " << attempt;
    }
  }
  // Deterministic for one seed (replay computes the same schedule).
  EXPECT_EQ(backoff_delay(3, initial, max, 42), backoff_delay(3, initial, max, 42));
  // Different seeds spread out.
  std::set<long long> seen;
  for (uint64_t seed = 0; seed < 20; ++seed) seen.insert(backoff_delay(3, initial, max, seed).count());
  EXPECT_GT(seen.size(), 5u);
}

TEST(Duration, ParsesAndFormats) {
  EXPECT_EQ(parse_duration("500ms").value(), milliseconds(500));
  EXPECT_EQ(parse_duration("10s").value(), milliseconds(10000));
  EXPECT_EQ(parse_duration("30m").value(), milliseconds(30 * 60000));
  EXPECT_EQ(parse_duration("1h30m").value(), milliseconds(90 * 60000));
  EXPECT_EQ(parse_duration("45").value(), milliseconds(45000));
  EXPECT_FALSE(parse_duration("soon").ok());
  EXPECT_FALSE(parse_duration("10x").ok());
  EXPECT_FALSE(parse_duration("").ok());
  EXPECT_EQ(parse_duration("2d").value(), milliseconds(2 * 86400000LL));
  // One format everywhere: seconds with one decimal under a minute.
  EXPECT_EQ(format_duration(milliseconds(850)), "0.8s");
  EXPECT_EQ(format_duration(milliseconds(2002)), "2.0s");
  EXPECT_EQ(format_duration(milliseconds(59999)), "59.9s");
  EXPECT_EQ(format_duration(milliseconds(200000)), "3m20s");
  EXPECT_EQ(format_duration(milliseconds(3900000)), "1h05m");
  EXPECT_EQ(format_duration(milliseconds(-5)), "0.0s");
}

// 3000000h once parsed, then overflowed a clock's nanoseconds: every attempt
// was stopped "after 1 ms". Durations past a year, and values that would
// overflow while being added up, are refused.
TEST(Duration, RefusesWhatWouldOverflow) {
  EXPECT_EQ(parse_duration("365d").value(), kMaxDuration);
  EXPECT_EQ(parse_duration("8760h").value(), kMaxDuration);
  for (const char* text : {"3000000h", "365d1ms", "999999999999d", "9999999999999999999h", "99999999999999999999",
                           "31536001", "8000h8000h"}) {
    auto d = parse_duration(text);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_NE(d.status().message().find("is too long; a duration may be at most 365d"), std::string::npos)
        << d.status().message();
  }
  EXPECT_EQ(parse_duration("0000000000000000010s").value(), milliseconds(10000));
}

TEST(Priority, NamesAndNumbers) {
  EXPECT_EQ(parse_priority("critical").value(), 3);
  EXPECT_EQ(parse_priority("low").value(), 0);
  EXPECT_EQ(parse_priority("7").value(), 7);
  EXPECT_EQ(parse_priority("-2").value(), -2);
  EXPECT_FALSE(parse_priority("urgent").ok());
  EXPECT_EQ(priority_name(2), "high");
}

TEST(Prompt, ContainsTaskContextAndFailure) {
  PromptInput in;
  in.task = task_from_json({{"id", "t4"}, {"title", "Add {title} parsing"}, {"description", "Handle $(rm -rf) safely"}});
  in.epic_title = "Parser";
  in.guidelines = "Use C++20.";
  in.completed_blockers.push_back(task_from_json({{"id", "t1"}, {"title", "Lexer"}, {"result_summary", "wrote lexer.cpp"}}));
  in.previous_failure = "verify failed";
  std::string p = render_prompt("", in, 2);
  EXPECT_NE(p.find("task t4: Add {title} parsing"), std::string::npos) << p;
  EXPECT_NE(p.find("Handle $(rm -rf) safely"), std::string::npos);
  EXPECT_NE(p.find("Parser"), std::string::npos);
  EXPECT_NE(p.find("Use C++20."), std::string::npos);
  EXPECT_NE(p.find("- t1: Lexer — wrote lexer.cpp"), std::string::npos);
  EXPECT_NE(p.find("verify failed"), std::string::npos);
  EXPECT_EQ(render_prompt("{id}/{attempt}", in, 3), "t4/3");
}

}  // namespace
}  // namespace drover
