// Shared pieces of the VCS conformance suite: temporary repositories built with
// the git CLI (fork/exec with an argv, never a shell), and a thin client that
// drives a VCS plugin through the C ABI only (tests/support/abi_plugin.h).
//
// The suite runs against any VCS plugin file: set DROVER_VCS_PLUGIN to its path
// (default: the in-tree git plugin).
#ifndef DROVER_TESTS_VCS_TEST_SUPPORT_H
#define DROVER_TESTS_VCS_TEST_SUPPORT_H

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "abi_plugin.h"
#include "temp_dir.h"

namespace drover::vcs_tests {

using nlohmann::json;
namespace fs = std::filesystem;

// Temporary repositories for the VCS suite ("drover-vcs-" prefix by default).
class TempDir : public testing::TempDir {
 public:
  TempDir() : testing::TempDir("drover-vcs-") {}
};

// The outcome of a git CLI run.
struct GitRun {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `git <args>` in dir (fork + execvp, no shell). Deterministic identity
// and no user/system config.
GitRun git_run(const fs::path& dir, const std::vector<std::string>& args);
// Like git_run but fails the current test on a non-zero exit; returns stdout
// without its trailing newline.
std::string git(const fs::path& dir, const std::vector<std::string>& args);

void write_file(const fs::path& path, const std::string& text);
std::string read_file(const fs::path& path);
// Writes an executable `#!/bin/sh` hook `name` with body into a bare repository.
void write_hook(const fs::path& bare, const std::string& name, const std::string& body);


// Creates a repository at dir on branch `branch` with one commit holding
// README.md and src/file<i>.txt for i in [0, files).
void init_repo(const fs::path& dir, const std::string& branch = "main", int files = 8);

// A VCS plugin instance opened through the ABI.
class VcsClient {
 public:
  // Opens the plugin on project_root with the given YAML config; fails the test on error.
  explicit VcsClient(const fs::path& project_root, const std::string& config_yaml = "");
  ~VcsClient();
  VcsClient(const VcsClient&) = delete;
  VcsClient& operator=(const VcsClient&) = delete;

  // Calls an operation; returns the raw result.
  testing::CallResult call(drover_vcs_op drover_vcs_vtable_v1::*op, const json& request) const;
  testing::CallResult call_raw(drover_vcs_op drover_vcs_vtable_v1::*op, std::string_view request) const;
  // Calls an operation that must succeed and returns its parsed response.
  json ok(drover_vcs_op drover_vcs_vtable_v1::*op, const json& request) const;

  // Conveniences for the common flow.
  json prepare(const std::string& task, const std::string& target = "main") const;
  json commit(const std::string& task, const std::string& message) const;
  json merge(const std::string& task, const std::string& target = "main", const std::string& strategy = "") const;

  static const drover_vcs_vtable_v1& vtable();
  // Tries open(); returns the status and error message.
  static testing::CallResult try_open(const fs::path& project_root, const std::string& config_yaml = "");
  static testing::CallResult check_config(const std::string& config_yaml);

 private:
  drover_vcs* vcs_ = nullptr;
};

// The path of a task's worktree under the default worktree dir.
inline fs::path worktree_of(const fs::path& root, const std::string& task) {
  return root / ".drover" / "worktrees" / task;
}

// Every file path (relative, sorted) under dir, excluding .git.
std::vector<std::string> list_tree(const fs::path& dir);

}  // namespace drover::vcs_tests

#endif
