#include "drover/engine/lease_book.h"

#include <algorithm>

namespace drover {

LeaseBook::LeaseBook(std::chrono::milliseconds lease)
    : lease_(lease), margin_(std::max(std::chrono::milliseconds(300), lease / 3)) {}

void LeaseBook::claimed(const std::string& id, int64_t sent_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  held_[id] = Held{sent_ms + lease_.count(), false};
}

void LeaseBook::renewed(int64_t sent_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, held] : held_)
    if (!held.fenced) held.good_until_ms = std::max(held.good_until_ms, sent_ms + lease_.count());
}

void LeaseBook::dropped(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  held_.erase(id);
}

std::vector<std::string> LeaseBook::fence_due(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (auto& [id, held] : held_) {
    if (held.fenced || now_ms < held.good_until_ms - margin_.count()) continue;
    held.fenced = true;
    out.push_back(id);
  }
  return out;
}

bool LeaseBook::fenced(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = held_.find(id);
  return it != held_.end() && it->second.fenced;
}

bool LeaseBook::holds(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return held_.count(id) > 0;
}

}  // namespace drover
