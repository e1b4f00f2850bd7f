#include "drover/engine/lease_book.h"

#include <algorithm>

namespace drover {

LeaseBook::LeaseBook(std::chrono::milliseconds lease)
    : lease_(lease), margin_(std::max(std::chrono::milliseconds(300), lease / 3)) {}

void LeaseBook::claimed(const std::string& id, int64_t sent_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  held_[id] = Held{sent_ms + lease_.count(), State::kHeld, false};
}

void LeaseBook::renewed(int64_t sent_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, held] : held_)
    if (held.state == State::kHeld) held.good_until_ms = std::max(held.good_until_ms, sent_ms + lease_.count());
}

void LeaseBook::dropped(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  held_.erase(id);
}

std::vector<std::string> LeaseBook::fence_due(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (auto& [id, held] : held_) {
    if (held.state != State::kHeld || now_ms < held.good_until_ms - margin_.count()) continue;
    held.state = State::kFenced;
    held.ever_fenced = true;
    out.push_back(id);
  }
  return out;
}

std::vector<std::string> LeaseBook::fenced_tasks() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, held] : held_)
    if (held.state == State::kFenced) out.push_back(id);
  return out;
}

void LeaseBook::regained(const std::string& id, int64_t sent_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(id);
  if (it == held_.end() || it->second.state != State::kFenced) return;
  it->second.state = State::kHeld;
  it->second.good_until_ms = sent_ms + lease_.count();
}

void LeaseBook::lost(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(id);
  if (it != held_.end()) it->second.state = State::kLost;
}

LeaseBook::State LeaseBook::state(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(id);
  return it == held_.end() ? State::kNone : it->second.state;
}

bool LeaseBook::assured(const std::string& id, int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(id);
  if (it == held_.end()) return true;
  return it->second.state == State::kHeld && now_ms < it->second.good_until_ms - margin_.count();
}

bool LeaseBook::ever_fenced(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(id);
  return it != held_.end() && it->second.ever_fenced;
}

}  // namespace drover
