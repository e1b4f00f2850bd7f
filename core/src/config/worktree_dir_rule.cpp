#include "worktree_dir_rule.h"

#include <filesystem>

#include "drover/plugin/vcs.h"

namespace drover {
namespace {

namespace fs = std::filesystem;

fs::path resolved(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  if (ec) c = p.lexically_normal();
  return c.has_filename() ? c : c.parent_path();
}

// True iff inner is outer or lies below it.
bool within(const fs::path& inner, const fs::path& outer) {
  fs::path rel = inner.lexically_relative(outer);
  return !rel.empty() && rel.native().rfind("..", 0) != 0;
}

}  // namespace

std::string worktree_dir_problem(const std::string& value, const std::string& project_root) {
  const fs::path root = resolved(fs::absolute(project_root));
  fs::path p(value);
  if (p.is_relative()) p = root / p;
  const fs::path dir = resolved(p);
  const std::string named = "'" + value + "'" + (value == dir.string() ? "" : " (" + dir.string() + ")");
  const std::string fix = "; name a new or empty directory for task worktrees, or leave the default .drover/worktrees";
  if (dir == dir.root_path()) return named + " is the filesystem root" + fix;
  if (dir == root) return named + " is the project root" + fix;
  if (within(root, dir)) return named + " contains the project" + fix;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return "";
  if (!fs::is_directory(dir, ec)) return named + " exists and is not a directory" + fix;
  if (fs::exists(dir / DROVER_WORKTREE_DIR_MARKER, ec) || fs::is_empty(dir, ec)) return "";
  if (within(dir, root / ".drover")) return "";  // Drover's own directory (worktrees of earlier versions)
  return named + " already holds files Drover did not create (it has no " DROVER_WORKTREE_DIR_MARKER " file)" + fix;
}

}  // namespace drover
