// The verdict line an agent ends its final message with, so that "I could not
// do it" is not mistaken for "done, nothing to change":
//
//   DROVER-RESULT: done
//   DROVER-RESULT: blocked: <what it needs>
//
// Drover's default prompt asks for it; a custom prompt or an exec agent may
// print it (docs/configuration.md). The last such line counts; markdown
// decoration around it (`**`, backticks, a list dash) is ignored, and the key
// is matched without regard to case.
#ifndef DROVER_ENGINE_AGENT_VERDICT_H
#define DROVER_ENGINE_AGENT_VERDICT_H

#include <string>
#include <string_view>

namespace drover {

enum class VerdictKind {
  kNone,     // no verdict line (or one Drover cannot read)
  kDone,     // the agent says the task is done
  kBlocked,  // the agent says it cannot go on; reason says why
};

struct AgentVerdict {
  VerdictKind kind = VerdictKind::kNone;
  std::string reason;  // kBlocked: what the agent says it needs
};

AgentVerdict read_verdict(std::string_view final_message);

// The first line of a message with text on it, cut at max_chars bytes (on a
// UTF-8 boundary) with "…" — what `run` and `show` print of an agent's
// final words. A verdict line is not a first line.
std::string first_line(std::string_view message, size_t max_chars = 160);

}  // namespace drover

#endif
