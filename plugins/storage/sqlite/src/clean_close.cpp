#include "clean_close.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "drover/plugin/private_files.hpp"

namespace drover::sqlite_storage {

namespace {
// "dev ino size mtime_s mtime_ns" of the file, or nothing if it cannot be read.
std::optional<std::string> fingerprint(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  std::ostringstream out;
  out << st.st_dev << ' ' << st.st_ino << ' ' << st.st_size << ' ' << st.st_mtim.tv_sec << ' ' << st.st_mtim.tv_nsec;
  return out.str();
}

bool has_wal(const std::string& db_path) { return ::access((db_path + "-wal").c_str(), F_OK) == 0; }
}  // namespace

std::string clean_close_mark_path(const std::string& db_path) { return db_path + "-closed"; }

bool take_clean_close_mark(const std::string& db_path) {
  const std::string mark = clean_close_mark_path(db_path);
  std::ifstream in(mark);
  std::string recorded;
  bool have = static_cast<bool>(std::getline(in, recorded));
  in.close();
  std::remove(mark.c_str());
  std::optional<std::string> now = fingerprint(db_path);
  // A WAL left beside the file means some process did not close it cleanly
  // after the mark was written (the mark only fingerprints the file itself).
  return have && now && *now == recorded && !has_wal(db_path);
}

void leave_clean_close_mark(const std::string& db_path) {
  if (has_wal(db_path)) return;
  std::optional<std::string> now = fingerprint(db_path);
  if (!now) return;
  drover::sdk::write_private_file(clean_close_mark_path(db_path), *now + "\n");
}

}  // namespace drover::sqlite_storage
