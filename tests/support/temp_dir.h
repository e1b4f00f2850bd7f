// A fresh directory under the system temp dir, removed with everything in it
// (kept when DROVER_KEEP_TEST_DIRS is set, for inspecting a failure).
#ifndef DROVER_TESTS_SUPPORT_TEMP_DIR_H
#define DROVER_TESTS_SUPPORT_TEMP_DIR_H

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace drover::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "drover-test-") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = std::filesystem::canonical(tmpl);
  }
  ~TempDir() {
    if (std::getenv("DROVER_KEEP_TEST_DIRS") != nullptr) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace drover::testing

#endif
