#include "commit_message.h"

#include <git2.h>

#include <vector>

namespace drover::vcs_git {

bool has_trailer(const char* message, std::string_view key, std::string_view value) {
  if (message == nullptr) return false;
  git_message_trailer_array arr{};
  if (git_message_trailers(&arr, message) < 0) return false;
  bool found = false;
  for (size_t i = 0; i < arr.count && !found; ++i)
    found = key == arr.trailers[i].key && value == arr.trailers[i].value;
  git_message_trailer_array_free(&arr);
  return found;
}

std::string trailer_value(const char* message, std::string_view key) {
  if (message == nullptr) return "";
  git_message_trailer_array arr{};
  if (git_message_trailers(&arr, message) < 0) return "";
  std::string value;
  for (size_t i = 0; i < arr.count && value.empty(); ++i)
    if (key == arr.trailers[i].key) value = arr.trailers[i].value;
  git_message_trailer_array_free(&arr);
  return value;
}

namespace {

// True iff line looks like "Token: value" (the shape git recognises as a trailer).
bool is_trailer_line(std::string_view line) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = line[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string with_trailer(const std::string& message, std::string_view key, std::string_view value) {
  if (has_trailer(message.c_str(), key, value)) return message;
  std::string body = message;
  while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();

  // Does the last paragraph consist only of trailer lines (and is it not the title)?
  std::vector<std::string_view> last_paragraph;
  std::string_view view(body);
  auto blank = view.rfind("\n\n");
  bool ends_with_trailers = false;
  if (blank != std::string_view::npos) {
    std::string_view para = view.substr(blank + 2);
    ends_with_trailers = !para.empty();
    size_t start = 0;
    while (start <= para.size() && ends_with_trailers) {
      size_t end = para.find('\n', start);
      std::string_view line = para.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      if (!is_trailer_line(line)) ends_with_trailers = false;
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
  }
  std::string out = body;
  out += ends_with_trailers ? "\n" : (body.empty() ? "" : "\n\n");
  out.append(key);
  out += ": ";
  out.append(value);
  out += "\n";
  return out;
}

}  // namespace drover::vcs_git
