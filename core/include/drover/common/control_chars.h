// Control characters in text that users and agents write (titles,
// descriptions, ids, messages). A terminal acts on them: ESC starts a sequence
// that can clear the screen or retitle the window, CR overwrites the line,
// BEL rings. Writers refuse them where text is stored (model/task_text.h);
// the CLI shows what slipped in earlier, or comes from agents, escaped.
//
// Control characters here: C0 (bytes 0x00-0x1f), DEL (0x7f) and C1 (U+0080 to
// U+009F, written in UTF-8 as 0xc2 0x80-0x9f; some terminals read U+009B as ESC[).
#ifndef DROVER_COMMON_CONTROL_CHARS_H
#define DROVER_COMMON_CONTROL_CHARS_H

#include <string>
#include <string_view>

namespace drover {

// The byte offset of the first control character in text that is not in
// allowed (e.g. "\n\t"), or std::string_view::npos when there is none.
size_t find_control_char(std::string_view text, std::string_view allowed = "");

// text with every control character not in keep written as a visible escape:
// \n, \r, \t, \e, \0 for the common ones, else \xNN per byte. Backslashes are
// left alone, so plain text prints as it is.
std::string escape_control_chars(std::string_view text, std::string_view keep = "");

}  // namespace drover

#endif
