// The one check of text written into a task or an epic: titles, descriptions
// and ids (a task's own, and those it names: epic, parent, blockers). Every
// writer goes through it: the store adapter before each create (drover add,
// epic add, dep add, import), and plan validation, which runs it per record
// first so an import is refused whole with the line of each problem.
#ifndef DROVER_MODEL_TASK_TEXT_H
#define DROVER_MODEL_TASK_TEXT_H

#include <string>
#include <string_view>

#include "drover/ports/task_store.h"
#include "drover/status.h"

namespace drover {

// OK iff text holds no NUL byte and no control character other than newline
// and tab. Else InvalidArgument: "<field> contains <the character> at byte N;
// remove it (only newline and tab are allowed)".
Status check_task_text(std::string_view field, std::string_view text);

// check_task_text over a new task's title, description and the ids it names.
Status check_new_task(const NewTask& task);

}  // namespace drover

#endif
