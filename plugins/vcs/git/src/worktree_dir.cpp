#include "worktree_dir.h"

#include <filesystem>
#include <fstream>

#include "drover/plugin/sdk.hpp"

namespace drover::vcs_git {

namespace fs = std::filesystem;

namespace {

fs::path canonical_or_absolute(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
  if (ec) c = fs::absolute(p).lexically_normal();
  return c.has_filename() ? c : c.parent_path();  // "a/b/" and "a/b" are the same directory
}

bool is_inside(const fs::path& path, const fs::path& dir) {
  fs::path rel = canonical_or_absolute(path).lexically_relative(canonical_or_absolute(dir));
  return !rel.empty() && rel.native().rfind("..", 0) != 0;
}

}  // namespace

bool is_claimed_worktree_dir(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / DROVER_WORKTREE_DIR_MARKER, ec);
}

void claim_worktree_dir(const std::string& dir, const std::string& drover_dir) {
  if (is_claimed_worktree_dir(dir)) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw sdk::Error(DROVER_ERROR, "vcs git: cannot create the worktree directory " + dir + ": " + ec.message());
  const bool empty = fs::is_empty(dir, ec) && !ec;
  if (!empty && (drover_dir.empty() || !is_inside(dir, drover_dir)))
    throw sdk::Error(DROVER_CONFLICT, "vcs git: the worktree directory " + dir +
                                          " holds files Drover did not create (it has no " DROVER_WORKTREE_DIR_MARKER
                                          " file); set vcs.config.worktree_dir to a new or empty directory");
  std::ofstream out(fs::path(dir) / DROVER_WORKTREE_DIR_MARKER, std::ios::trunc);
  out << "Drover keeps task worktrees here; it renames and deletes only what it created.\n";
  if (!out) throw sdk::Error(DROVER_ERROR, "vcs git: cannot write the marker file in " + dir);
}

bool is_checkout_of(const std::string& path, const std::string& admin_dir) {
  std::ifstream in(fs::path(path) / ".git", std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind("gitdir: ", 0) != 0) return false;
  fs::path points_to = line.substr(8);
  if (points_to.is_relative()) points_to = fs::path(path) / points_to;
  return canonical_or_absolute(points_to) == canonical_or_absolute(admin_dir);
}

bool is_unwritten_worktree(const std::string& path) {
  std::error_code ec;
  fs::directory_iterator it(path, ec), end;
  if (ec || it == end || it->path().filename() != ".git") return false;
  const fs::file_status st = it->symlink_status(ec);
  if (ec || !fs::is_regular_file(st) || fs::file_size(it->path(), ec) != 0 || ec) return false;
  return ++it == end;
}

}  // namespace drover::vcs_git
