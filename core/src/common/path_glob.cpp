#include "drover/common/path_glob.h"

#include "drover/common/control_chars.h"

namespace drover {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      return out;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

// One segment against one glob segment ('*' and '?' only), iteratively with
// the usual backtrack to the last star: linear enough for path segments.
bool segment_matches(std::string_view glob, std::string_view text) {
  size_t g = 0, t = 0, star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (g < glob.size() && glob[g] == '*') {
      star = g++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

bool match_from(const std::vector<std::string_view>& glob, size_t gi, const std::vector<std::string_view>& path,
                size_t pi) {
  while (gi < glob.size()) {
    if (glob[gi] == "**") {
      // Consecutive "**" are one; "**" last matches whatever is left.
      while (gi + 1 < glob.size() && glob[gi + 1] == "**") ++gi;
      if (gi + 1 == glob.size()) return true;
      for (size_t skip = pi; skip <= path.size(); ++skip)
        if (match_from(glob, gi + 1, path, skip)) return true;
      return false;
    }
    if (pi >= path.size() || !segment_matches(glob[gi], path[pi])) return false;
    ++gi;
    ++pi;
  }
  return pi == path.size();
}

std::string_view literal_prefix(std::string_view glob) {
  size_t at = glob.find_first_of("*?");
  return at == std::string_view::npos ? glob : glob.substr(0, at);
}

std::string_view trim(std::string_view s) {
  const char* space = " \t\r\n";
  size_t b = s.find_first_not_of(space);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(space) - b + 1);
}

}  // namespace

bool has_wildcard(std::string_view text) { return text.find_first_of("*?") != std::string_view::npos; }

bool glob_matches(std::string_view glob, std::string_view path) {
  return match_from(segments(glob), 0, segments(path), 0);
}

bool globs_may_overlap(std::string_view a, std::string_view b) {
  const bool wild_a = has_wildcard(a), wild_b = has_wildcard(b);
  if (!wild_a && !wild_b) return a == b;
  if (!wild_a) return glob_matches(b, a);
  if (!wild_b) return glob_matches(a, b);
  std::string_view pa = literal_prefix(a), pb = literal_prefix(b);
  return pa.substr(0, pb.size()) == pb.substr(0, pa.size());
}

std::optional<std::string> touches_problem(const std::vector<std::string>& patterns, const std::string& what) {
  for (const auto& p : patterns) {
    if (p.empty()) return what + ": an empty path pattern; give paths relative to the repository root, e.g. 'src/parser/**'";
    if (find_control_char(p) != std::string_view::npos)
      return what + ": '" + escape_control_chars(p) + "' holds a control character; write the path without it";
    if (p[0] == '/')
      return what + ": '" + p + "' is absolute; give paths relative to the repository root, e.g. '" +
             std::string(trim(std::string_view(p).substr(1))) + "'";
    for (std::string_view s : segments(p)) {
      if (s == "..") return what + ": '" + p + "' leaves the repository ('..'); name paths inside it";
      if (s.empty()) return what + ": '" + p + "' has an empty segment ('//' or a trailing '/'); write 'dir/**' for a whole directory";
    }
  }
  return std::nullopt;
}

std::vector<std::string> split_touches(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view part = trim(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (!part.empty()) out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace drover
