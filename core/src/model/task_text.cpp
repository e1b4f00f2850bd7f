#include "drover/model/task_text.h"

#include "drover/common/control_chars.h"

namespace drover {

Status check_task_text(std::string_view field, std::string_view text) {
  size_t at = find_control_char(text, "\n\t");
  if (at == std::string_view::npos) return Status::Ok();
  size_t len = static_cast<unsigned char>(text[at]) == 0xc2 ? 2 : 1;
  std::string what = text[at] == '\0' ? "a NUL byte" : "the control character " + escape_control_chars(text.substr(at, len));
  return Status::InvalidArgument(std::string(field) + " contains " + what + " at byte " + std::to_string(at) +
                                 "; remove it (only newline and tab are allowed in task text)");
}

Status check_new_task(const NewTask& task) {
  Status st = check_task_text("title", task.title);
  if (st.ok()) st = check_task_text("description", task.description);
  if (st.ok() && task.epic) st = check_task_text("epic id", *task.epic);
  if (st.ok() && task.parent) st = check_task_text("parent id", *task.parent);
  if (st.ok() && task.agent) st = check_task_text("agent", *task.agent);
  for (const auto& id : task.blocked_by)
    if (st.ok()) st = check_task_text("blocked-by id", id);
  return st;
}

}  // namespace drover
