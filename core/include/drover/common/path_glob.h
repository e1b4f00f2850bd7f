// Path globs, as tasks declare what they expect to touch ("src/parser/**",
// "docs/*.md"). Paths are relative to the repository root, '/'-separated.
//
//   *    any run of characters within one path segment (not '/')
//   ?    one character that is not '/'
//   **   a whole segment: any number of segments, none included
//        ("src/**" matches "src/a" and "src/a/b"; "a/**/b" matches "a/b")
//
// Anything else matches itself; there are no character classes or escapes,
// so a learned path (an exact path from a merge conflict) is a glob that
// matches exactly itself unless it holds one of the wildcards.
#ifndef DROVER_COMMON_PATH_GLOB_H
#define DROVER_COMMON_PATH_GLOB_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drover {

// True iff text has a wildcard ('*' or '?').
bool has_wildcard(std::string_view text);

// True iff path matches the glob.
bool glob_matches(std::string_view glob, std::string_view path);

// True if some path could match both globs. Conservative (it may answer true
// for globs that share no path, never false for globs that do): two globs
// without wildcards must be equal, a glob without one must match the other,
// and two with wildcards are compared by their literal prefixes up to the
// first wildcard (one a prefix of the other: they may overlap).
bool globs_may_overlap(std::string_view a, std::string_view b);

// Why a touches list is not acceptable, or nullopt: an empty pattern, an
// absolute path, a ".." segment, a control character. `what` names the list
// in the message ("--touches").
std::optional<std::string> touches_problem(const std::vector<std::string>& patterns, const std::string& what);

// "src/a/**, docs/x.md" split at commas, each trimmed, empty ones dropped.
std::vector<std::string> split_touches(std::string_view text);

}  // namespace drover

#endif
