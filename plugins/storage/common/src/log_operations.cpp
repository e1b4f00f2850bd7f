// Agent output in the store (storage ABI 1.4): append_log and read_log.
//
// A log is one round's output as a byte stream of UTF-8 text, kept as chunks
// at their stream offsets. Appends are idempotent by offset (a retried chunk
// is not stored twice); the cap keeps the chunks holding the first and the
// last half of max_bytes and drops whole chunks between, so appending costs
// one insert and at most one delete, never a rewrite. A reader asking for a
// dropped part, or a gap the host left, gets the next bytes kept and sees from
// "offset" where they start.
#include "request.h"
#include "state_store.h"
#include "text_rules.h"

namespace drover::storage {

namespace {
using drover::sdk::Error;

constexpr int64_t kDefaultReadBytes = 64 * 1024;
constexpr int64_t kMaxReadBytes = 1024 * 1024;

bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// Where the UTF-8 sequence holding byte i of text starts at or after i.
size_t next_boundary(const std::string& text, size_t i) {
  while (i < text.size() && continuation(text[i])) ++i;
  return i;
}

// The longest prefix of text of at most max bytes that ends on a sequence
// boundary; at least one whole sequence when text is not empty.
size_t cut_before(const std::string& text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t cut = max;
  while (cut > 0 && continuation(text[cut])) --cut;
  if (cut == 0) cut = next_boundary(text, 1);
  return cut;
}

int64_t at_least(const Request& req, const char* key, int64_t min) {
  int64_t v = req.integer(key);
  if (v < min) req.invalid(key, "must be " + std::to_string(min) + " or more");
  return v;
}

std::optional<int64_t> optional_at_least(const Request& req, const char* key, int64_t min) {
  std::optional<int64_t> v = req.optional_integer(key);
  if (v && *v < min) req.invalid(key, "must be " + std::to_string(min) + " or more");
  return v;
}

std::string log_name(const LogKey& key) {
  return "task " + key.task_id + " generation " + std::to_string(key.generation) + " attempt " +
         std::to_string(key.attempt) + " round " + std::to_string(key.round);
}

void require_task(StoreTables& tables, const std::string& op, const std::string& id) {
  if (!tables.task_state(id, false))
    throw Error(DROVER_NOT_FOUND, op + ": task " + id + " (field 'task_id') does not exist; list_tasks shows the ids");
}
}  // namespace

std::string StateStore::append_log(std::string_view request) {
  Request req("append_log", request);
  LogKey key;
  key.task_id = req.text("task_id", kMaxNameBytes);
  key.generation = at_least(req, "generation", 0);
  key.attempt = at_least(req, "attempt", 1);
  key.round = at_least(req, "round", 1);
  const int64_t offset = at_least(req, "offset", 0);
  const std::string data = req.text("data", kMaxTextBytes);
  const bool final = req.boolean_or("final", false);
  const int64_t max_bytes = at_least(req, "max_bytes", 0);
  const int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    require_task(tables, "append_log", key.task_id);
    LogHead head = tables.log_head(key, true).value_or(LogHead{});
    const int64_t end = offset + static_cast<int64_t>(data.size());
    if (head.finished) {
      if (end > head.size)
        throw Error(DROVER_CONFLICT, "append_log: the log of " + log_name(key) + " is finished (" +
                                         std::to_string(head.size) + " bytes); nothing more is appended to it");
    } else {
      if (end > head.size) {
        // Bytes below the size were stored by an earlier call (a retry).
        const size_t skip = offset < head.size ? next_boundary(data, static_cast<size_t>(head.size - offset)) : 0;
        if (skip < data.size()) {
          tables.insert_log_chunk(key, offset + static_cast<int64_t>(skip), data.substr(skip));
          head.kept += static_cast<int64_t>(data.size() - skip);
        }
        head.size = end;
        if (max_bytes > 0 && head.kept > max_bytes) {
          const int64_t head_bytes = max_bytes / 2, tail_bytes = max_bytes - head_bytes;
          head.kept -= tables.drop_log_chunks(key, head_bytes, head.size - tail_bytes);
        }
      }
      head.finished = final;
      tables.put_log_head(key, head, now);
    }
    return nlohmann::json{{"size", head.size}, {"kept", head.kept}, {"finished", head.finished}}.dump();
  });
}

std::string StateStore::read_log(std::string_view request) {
  Request req("read_log", request);
  const std::string task_id = req.text("task_id", kMaxNameBytes);
  const std::optional<int64_t> generation = optional_at_least(req, "generation", 0);
  const std::optional<int64_t> attempt = optional_at_least(req, "attempt", 1);
  const std::optional<int64_t> round = optional_at_least(req, "round", 1);
  const int64_t from = optional_at_least(req, "offset", 0).value_or(0);
  const int64_t max_bytes = optional_at_least(req, "max_bytes", 1).value_or(kDefaultReadBytes);
  if (max_bytes > kMaxReadBytes) req.invalid("max_bytes", "must be at most 1 MiB (1048576)");
  return read([&](StoreTables& tables) {
    require_task(tables, "read_log", task_id);
    std::optional<LogKey> key = tables.latest_log(task_id, generation, attempt, round);
    if (!key) {
      std::string which = attempt ? " attempt " + std::to_string(*attempt) : std::string();
      if (round) which += " round " + std::to_string(*round);
      throw Error(DROVER_NOT_FOUND, "read_log: no log is stored for task " + task_id + which);
    }
    const LogHead head = tables.log_head(*key, false).value_or(LogHead{});
    std::string data;
    int64_t start = std::max(from, head.size);
    std::vector<LogChunk> chunks = tables.log_chunks(*key, from, max_bytes);
    if (!chunks.empty()) {
      start = std::max(from, chunks.front().offset);
      int64_t at = start;
      for (const LogChunk& c : chunks) {
        if (c.offset > at) break;  // bytes the cap dropped: the next read starts after them
        const int64_t end = c.offset + static_cast<int64_t>(c.data.size());
        if (end <= at) continue;
        data.append(c.data, static_cast<size_t>(at - c.offset), std::string::npos);
        at = end;
        if (static_cast<int64_t>(data.size()) >= max_bytes) break;
      }
      // Never start or end inside a UTF-8 sequence (a reader may ask any offset).
      const size_t lead = next_boundary(data, 0);
      data.erase(0, lead);
      start += static_cast<int64_t>(lead);
      data.resize(cut_before(data, static_cast<size_t>(max_bytes)));
    }
    const int64_t next = start + static_cast<int64_t>(data.size());
    return nlohmann::json{{"generation", key->generation},
                          {"attempt", key->attempt},
                          {"round", key->round},
                          {"offset", start},
                          {"data", data},
                          {"next_offset", next},
                          {"size", head.size},
                          {"finished", head.finished},
                          {"eof", next >= head.size}}
        .dump();
  });
}

}  // namespace drover::storage
