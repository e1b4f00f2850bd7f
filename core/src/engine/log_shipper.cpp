#include "drover/engine/log_shipper.h"

#include <vector>

namespace drover {
namespace {

bool continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the valid UTF-8 sequence at text[i], or 0.
size_t sequence_length(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c == 0) return 0;
  if (c < 0x80) return 1;
  size_t n = 0;
  unsigned char min2 = 0x80, max2 = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) min2 = 0xA0;  // overlong
    if (c == 0xED) max2 = 0x9F;  // surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) min2 = 0x90;
    if (c == 0xF4) max2 = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  const auto second = static_cast<unsigned char>(text[i + 1]);
  if (second < min2 || second > max2) return 0;
  for (size_t k = 2; k < n; ++k)
    if (!continuation(static_cast<unsigned char>(text[i + k]))) return 0;
  return n;
}

// The longest prefix of at most max bytes that ends on a sequence boundary.
size_t cut_before(const std::string& text, size_t max) {
  if (text.size() <= max) return text.size();
  size_t cut = max;
  while (cut > 0 && continuation(static_cast<unsigned char>(text[cut]))) --cut;
  return cut == 0 ? max : cut;
}

}  // namespace

std::string valid_log_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = sequence_length(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.data() + i, n);
      i += n;
    }
  }
  return out;
}

void LogShipper::Round::write(std::string_view line) {
  std::string text = valid_log_text(line);
  text += '\n';
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  waiting_ += text;
  if (buffer_max_ > 0 && waiting_.size() > buffer_max_) {
    // The store has been away for long: drop the oldest waiting bytes (the
    // store records the gap), from a line's start where one is near.
    size_t cut = waiting_.size() - buffer_max_;
    const size_t nl = waiting_.find('\n', cut);
    cut = nl != std::string::npos && nl - cut < 4096 ? nl + 1 : cut;
    while (cut < waiting_.size() && continuation(static_cast<unsigned char>(waiting_[cut]))) ++cut;
    waiting_.erase(0, cut);
    waiting_at_ += static_cast<int64_t>(cut);
  }
}

void LogShipper::Round::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  finished_ = true;
}

LogShipper::LogShipper(TaskStore& store, Clock& clock, Options options)
    : store_(store), clock_(clock), opts_(options) {
  thread_ = std::thread([this] { loop(); });
}

LogShipper::~LogShipper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!(opts_.store_down && opts_.store_down())) flush(std::chrono::milliseconds(2000));
}

std::shared_ptr<LogShipper::Round> LogShipper::open(const StoredLogKey& key) {
  auto round = std::make_shared<Round>(key);
  round->buffer_max_ = opts_.buffer_max;
  std::lock_guard<std::mutex> lock(mu_);
  if (!unsupported_) rounds_.push_back(round);
  return round;
}

bool LogShipper::send_due(bool everything) {
  std::lock_guard<std::mutex> sending(send_mu_);
  std::vector<std::shared_ptr<Round>> rounds;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (unsupported_) return true;
    rounds.assign(rounds_.begin(), rounds_.end());
  }
  bool all_sent = true;
  for (const auto& r : rounds) {
    while (true) {
      LogChunkWrite chunk;
      size_t taken = 0;
      {
        std::lock_guard<std::mutex> lock(r->mu_);
        if (r->final_sent_) break;
        const int64_t now = clock_.now_ms();
        const bool due = everything || r->finished_ || r->waiting_.size() >= opts_.chunk_bytes ||
                         now - r->last_sent_ms_ >= opts_.flush_every.count();
        if (!due || (r->waiting_.empty() && !r->finished_)) break;
        taken = cut_before(r->waiting_, opts_.chunk_bytes);
        chunk.key = r->key_;
        chunk.offset = r->waiting_at_;
        chunk.data = r->waiting_.substr(0, taken);
        chunk.final = r->finished_ && taken == r->waiting_.size();
        chunk.max_bytes = opts_.store_max_bytes;
        chunk.now_ms = now;
      }
      auto sent = store_.append_log(chunk);
      if (!sent.ok()) {
        const StatusCode code = sent.status().code();
        if (code == StatusCode::kUnsupported) {
          std::lock_guard<std::mutex> lock(mu_);
          unsupported_ = true;  // a storage plugin older than ABI 1.4
          rounds_.clear();
          return true;
        }
        if (code == StatusCode::kNotFound || code == StatusCode::kConflict) {
          // The task was removed, or the round is finished in the store already.
          std::lock_guard<std::mutex> lock(r->mu_);
          r->final_sent_ = true;
          break;
        }
        return false;  // unreachable (or failing): try again later, all rounds
      }
      std::lock_guard<std::mutex> lock(r->mu_);
      // The buffer may have dropped its oldest bytes meanwhile: remove what was sent.
      const int64_t sent_end = chunk.offset + static_cast<int64_t>(taken);
      if (sent_end > r->waiting_at_) {
        const auto n = static_cast<size_t>(sent_end - r->waiting_at_);
        r->waiting_.erase(0, std::min(n, r->waiting_.size()));
        r->waiting_at_ = sent_end;
      }
      r->last_sent_ms_ = chunk.now_ms;
      if (chunk.final) {
        r->final_sent_ = true;
        break;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  rounds_.remove_if([](const std::shared_ptr<Round>& r) {
    std::lock_guard<std::mutex> round_lock(r->mu_);
    return r->final_sent_;
  });
  for (const auto& r : rounds_) {
    std::lock_guard<std::mutex> round_lock(r->mu_);
    if (!r->waiting_.empty()) all_sent = false;
  }
  return everything ? all_sent : true;
}

void LogShipper::flush(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!send_due(true)) {
    if (std::chrono::steady_clock::now() >= deadline) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void LogShipper::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return done_; });
    if (done_) break;
    if (opts_.store_down && opts_.store_down()) continue;  // kept until the store answers
    lock.unlock();
    const bool ok = send_due(false);
    lock.lock();
    // A store that did not answer is tried again a second later.
    if (!ok) cv_.wait_for(lock, std::chrono::milliseconds(1000), [this] { return done_; });
  }
}

LogShipment::LogShipment(LogShipper* shipper, const StoredLogKey& key) {
  if (shipper != nullptr) round_ = shipper->open(key);
}

LogShipment::~LogShipment() {
  if (round_) round_->finish();
}

std::function<void(std::string_view)> LogShipment::sink() const {
  if (!round_) return {};
  return [round = round_](std::string_view line) { round->write(line); };
}

}  // namespace drover
