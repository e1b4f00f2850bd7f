#include "drover/engine/attempt_files.h"

#include <algorithm>
#include <filesystem>
#include <optional>

namespace drover {
namespace {

namespace fs = std::filesystem;

// "12" -> 12; nullopt for anything but a positive decimal number.
std::optional<int64_t> number(const std::string& text) {
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  int64_t n = std::stoll(text);
  if (n <= 0) return std::nullopt;
  return n;
}

// "<attempt>.log" or "<attempt>.r<round>.log" -> (attempt, round).
std::optional<std::pair<int, int>> parse_log_name(const std::string& name) {
  const std::string suffix = ".log";
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return std::nullopt;
  std::string stem = name.substr(0, name.size() - suffix.size());
  int round = 1;
  if (size_t dot = stem.find(".r"); dot != std::string::npos) {
    auto r = number(stem.substr(dot + 2));
    if (!r || *r < 2) return std::nullopt;
    round = static_cast<int>(*r);
    stem = stem.substr(0, dot);
  }
  auto attempt = number(stem);  // "3.verify" and "3.prompt.md" are not logs of a round
  if (!attempt) return std::nullopt;
  return std::make_pair(static_cast<int>(*attempt), round);
}

void scan(const fs::path& dir, int64_t generation, const std::string& drover_dir, const std::string& task_id,
          std::vector<RecordedRound>& out) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto parsed = parse_log_name(it->path().filename().string());
    if (!parsed) continue;
    out.push_back(RecordedRound{generation, parsed->first, parsed->second,
                                attempt_files(drover_dir, task_id, generation, parsed->first, parsed->second)});
  }
}

}  // namespace

AttemptFiles attempt_files(const std::string& drover_dir, const std::string& task_id, int64_t generation, int attempt,
                           int round) {
  AttemptFiles f;
  f.dir = drover_dir + "/logs/" + task_id;
  if (generation > 0) f.dir += "/g" + std::to_string(generation);
  std::string stem = f.dir + "/" + std::to_string(attempt);
  if (round > 1) stem += ".r" + std::to_string(round);
  f.log = stem + ".log";
  f.prompt = stem + ".prompt.md";
  f.verify_log = stem + ".verify.log";
  f.land_log = stem + ".land.log";
  return f;
}

std::vector<RecordedRound> recorded_rounds(const std::string& drover_dir, const std::string& task_id) {
  std::vector<RecordedRound> out;
  const fs::path base = fs::path(drover_dir) / "logs" / task_id;
  scan(base, 0, drover_dir, task_id, out);
  std::error_code ec;
  for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() < 2 || name[0] != 'g' || !it->is_directory(ec)) continue;
    if (auto g = number(name.substr(1))) scan(it->path(), *g, drover_dir, task_id, out);
  }
  std::sort(out.begin(), out.end(), [](const RecordedRound& a, const RecordedRound& b) {
    return std::tie(a.generation, a.attempt, a.round) < std::tie(b.generation, b.attempt, b.round);
  });
  return out;
}

}  // namespace drover
