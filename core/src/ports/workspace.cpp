#include "drover/ports/workspace.h"

#include "drover/common/enum_names.h"

namespace drover {
namespace {

constexpr EnumNames<MergeKind, 5> kMergeNames{{
    {MergeKind::kMerged, "merged"},
    {MergeKind::kAlreadyMerged, "already_merged"},
    {MergeKind::kConflict, "conflict"},
    {MergeKind::kLocalChanges, "local_changes"},
    {MergeKind::kNothingToMerge, "nothing_to_merge"},
}};

}  // namespace

std::string_view to_string(MergeKind kind) { return name_of(kMergeNames, kind); }

std::optional<MergeKind> parse_merge_kind(std::string_view text) { return value_named(kMergeNames, text); }

Result<DiffPatch> Workspace::diff_commit(const std::string&, uint64_t) {
  return Status(StatusCode::kUnsupported, "this VCS plugin cannot show diffs (it predates plugin ABI 1.3)");
}

Result<DiffPatch> Workspace::diff_worktree(const WorktreeKey&, const std::string&, uint64_t) {
  return Status(StatusCode::kUnsupported, "this VCS plugin cannot show diffs (it predates plugin ABI 1.3)");
}

}  // namespace drover
