// Recognising limit messages and their reset times (plugins/agents/common/quota_text.h).
#include "quota_text.h"

#include <gtest/gtest.h>

#include <ctime>

namespace drover::agents {
namespace {

constexpr int64_t kNow = 1795671966000;  // 2026-11-26T02:26:06Z

TEST(QuotaText, RecognisesLimitMessages) {
  EXPECT_TRUE(mentions_quota("Claude AI usage limit reached|1795680000"));
  EXPECT_TRUE(mentions_quota("API Error: 429 {\"type\":\"rate_limit_error\"}"));
  EXPECT_TRUE(mentions_quota("You've hit your usage limit. Try again in 2 hours."));
  EXPECT_TRUE(mentions_quota("insufficient_quota"));
  EXPECT_TRUE(mentions_quota("HTTP 429 Too Many Requests"));
  EXPECT_TRUE(mentions_quota("5-hour limit reached ∙ resets 3pm"));
  EXPECT_FALSE(mentions_quota("API Error: 400 scripted failure from fake server"));
  EXPECT_FALSE(mentions_quota("processed 14290 files"));
  EXPECT_FALSE(mentions_quota("Reached maximum number of turns (1)"));
}

TEST(QuotaText, ResetTimes) {
  EXPECT_EQ(quota_reset_ms("Claude AI usage limit reached|1795680000", kNow), 1795680000000);
  EXPECT_EQ(quota_reset_ms("limit|1795680000123", kNow), 1795680000123);
  EXPECT_EQ(quota_reset_ms("try again in 2 hours 5 minutes.", kNow), kNow + (2 * 3600 + 5 * 60) * 1000);
  EXPECT_EQ(quota_reset_ms("Please try again in 1h30m", kNow), kNow + 90 * 60 * 1000);
  EXPECT_EQ(quota_reset_ms("Rate limited. Retry after 20.5 seconds", kNow), kNow + 20500);
  EXPECT_EQ(quota_reset_ms("try again in 3 days", kNow), kNow + 3 * 86400000LL);
  EXPECT_EQ(quota_reset_ms("limit resets at 2026-11-27T08:00:00Z", kNow), 1795766400000);
  EXPECT_EQ(quota_reset_ms("resets at 2026-11-27T10:00:00.5+02:00", kNow), 1795766400000);
  EXPECT_EQ(quota_reset_ms("429 Too Many Requests", kNow), std::nullopt);
  EXPECT_EQ(quota_reset_ms("try again later", kNow), std::nullopt);
  EXPECT_EQ(quota_reset_ms("resets 3pm (Europe/Berlin)", kNow), std::nullopt);  // foreign zone: unknown
}

TEST(QuotaText, ClockTimeIsTheNextOccurrence) {
  auto at = quota_reset_ms("5-hour limit reached - resets 3pm", kNow);
  ASSERT_TRUE(at);
  EXPECT_GT(*at, kNow);
  EXPECT_LE(*at, kNow + 86400000);
  auto at2 = quota_reset_ms("resets at 14:30", kNow);
  ASSERT_TRUE(at2);
  EXPECT_GT(*at2, kNow);
  // A minute-rounded time means the end of that minute, plus a margin.
  EXPECT_EQ(((*at2 - 5000) / 60000) % 60, 31);
}

// Local Unix milliseconds of today's hh:mm:ss, whatever the machine's zone.
int64_t local_today(int hour, int minute, int second) {
  std::time_t t = static_cast<std::time_t>(kNow / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(std::mktime(&tm)) * 1000;
}

TEST(QuotaText, ARoundedClockTimeReachedEarlyIsNotTomorrow) {
  // Codex printed "11:08 PM" for a reset at 23:08:50; Drover came back at
  // 23:08:00 and saw the same message. That is seconds away, not a day.
  const int64_t now = local_today(23, 8, 0);
  auto at = quota_reset_ms("You've hit your usage limit. Upgrade to Pro or try again at 11:08 PM.", now);
  ASSERT_TRUE(at);
  EXPECT_GT(*at, local_today(23, 8, 59));
  EXPECT_LT(*at, now + 2 * 60000);
}

TEST(QuotaText, AClockTimeJustPassedStaysInThePast) {
  const int64_t now = local_today(23, 20, 0);
  auto at = quota_reset_ms("try again at 11:08 PM.", now);
  ASSERT_TRUE(at);
  EXPECT_LE(*at, now) << "the engine backs off from a passed time; it does not wait a day";
  // Long gone: the next day's.
  auto tomorrow = quota_reset_ms("try again at 9:00 AM.", local_today(23, 20, 0));
  ASSERT_TRUE(tomorrow);
  EXPECT_GT(*tomorrow, now);
}

TEST(QuotaText, CodexKeepsTryAgainInFromTheBodyOfItsRetryLimitMessage) {
  // Codex 0.169 ends a 429 with "exceeded retry limit, last status: 429 ...";
  // when the response body follows, its "try again in 20s" is the reset.
  std::string message =
      "exceeded retry limit, last status: 429 Too Many Requests, body: {\"error\": {\"message\": \"Rate limit "
      "reached for gpt-5 on requests per min (RPM): Limit 3, Used 3. Please try again in 20s.\", \"type\": "
      "\"requests\", \"code\": \"rate_limit_exceeded\"}}";
  EXPECT_TRUE(mentions_quota(message));
  EXPECT_EQ(quota_reset_ms(message, kNow), kNow + 20000);
}

TEST(QuotaText, ExactResetDataWinsOverAMinuteRoundedClockTime) {
  // Codex's usage-limit body carries resets_in_seconds / resets_at; the text
  // it prints keeps only the clock time rounded down to the minute.
  EXPECT_EQ(quota_reset_ms("try again at 11:08 PM. {\"error\":{\"type\":\"usage_limit_reached\",\"resets_in_seconds\": 3170}}",
                           kNow),
            kNow + 3170000);
  EXPECT_EQ(quota_reset_ms("try again at 11:08 PM. {\\\"resets_at\\\":1795680000}", kNow), 1795680000000);
  // opencode reports the response headers too: the latest reset wins.
  EXPECT_EQ(quota_reset_ms("Please try again in 20s. {\"retry-after\":\"2\",\"server\":\"x\"}", kNow), kNow + 20000);
  EXPECT_EQ(quota_reset_ms("{\"retry-after\":\"45\"} Too Many Requests", kNow), kNow + 45000);
  // Numbers that are not resets stay unread.
  EXPECT_EQ(quota_reset_ms("{\"retry-after\":\"Wed, 21 Oct 2026 07:28:00 GMT\"} 429", kNow), std::nullopt);
  EXPECT_EQ(quota_reset_ms("\"resets_at\": 12", kNow), std::nullopt);
}

}  // namespace
}  // namespace drover::agents
