#include "drover/ports/workspace.h"

namespace drover {

std::string_view to_string(MergeKind kind) {
  switch (kind) {
    case MergeKind::kMerged: return "merged";
    case MergeKind::kAlreadyMerged: return "already_merged";
    case MergeKind::kConflict: return "conflict";
    case MergeKind::kLocalChanges: return "local_changes";
    case MergeKind::kNothingToMerge: return "nothing_to_merge";
  }
  return "merged";
}

std::optional<MergeKind> parse_merge_kind(std::string_view text) {
  for (MergeKind k : {MergeKind::kMerged, MergeKind::kAlreadyMerged, MergeKind::kConflict, MergeKind::kLocalChanges,
                      MergeKind::kNothingToMerge})
    if (to_string(k) == text) return k;
  return std::nullopt;
}

}  // namespace drover
