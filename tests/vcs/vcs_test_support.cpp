#include "vcs_test_support.h"

#include <poll.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace drover::vcs_tests {

namespace {

// Reads both pipes until EOF without deadlocking on a full one.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? out : err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
}

}  // namespace

GitRun git_run(const fs::path& dir, const std::vector<std::string>& args) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) return {};
  std::vector<std::string> argv_storage = {"git"};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    ::setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
    ::setenv("GIT_AUTHOR_NAME", "Test Author", 1);
    ::setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
    ::setenv("GIT_COMMITTER_NAME", "Test Author", 1);
    ::setenv("GIT_COMMITTER_EMAIL", "author@example.com", 1);
    ::setenv("GIT_TERMINAL_PROMPT", "0", 1);
    ::execvp("git", argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  GitRun run;
  drain(out_pipe[0], err_pipe[0], run.out, run.err);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

std::string git(const fs::path& dir, const std::vector<std::string>& args) {
  GitRun run = git_run(dir, args);
  std::string cmd = "git";
  for (const auto& a : args) cmd += " " + a;
  EXPECT_EQ(run.exit_code, 0) << cmd << " in " << dir << " failed: " << run.err;
  while (!run.out.empty() && run.out.back() == '\n') run.out.pop_back();
  return run.out;
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

void write_hook(const fs::path& bare, const std::string& name, const std::string& body) {
  const fs::path hook = bare / "hooks" / name;
  write_file(hook, "#!/bin/sh\n" + body);
  ::chmod(hook.c_str(), 0755);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void init_repo(const fs::path& dir, const std::string& branch, int files) {
  fs::create_directories(dir);
  git(dir, {"init", "-q", "-b", branch});
  git(dir, {"config", "user.name", "Repo User"});
  git(dir, {"config", "user.email", "user@example.com"});
  write_file(dir / "README.md", "# test repository\n");
  for (int i = 0; i < files; ++i) {
    std::string text;
    for (int line = 0; line < 10; ++line) text += "file " + std::to_string(i) + " line " + std::to_string(line) + "\n";
    write_file(dir / "src" / ("file" + std::to_string(i) + ".txt"), text);
  }
  git(dir, {"add", "-A"});
  git(dir, {"commit", "-q", "-m", "initial"});
}

std::vector<std::string> list_tree(const fs::path& dir) {
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->path().filename() == ".git") {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_directory()) out.push_back(fs::relative(it->path(), dir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---------------------------------------------------------------- VcsClient

namespace {

testing::AbiPlugin& plugin() {
  static testing::AbiPlugin p([] {
    const char* env = std::getenv("DROVER_VCS_PLUGIN");
    return std::string(env != nullptr ? env : DROVER_VCS_GIT_PLUGIN);
  }());
  return p;
}

json parse_or_fail(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "response is not JSON: " << text;
  return j;
}

}  // namespace

const drover_vcs_vtable_v1& VcsClient::vtable() {
  const auto& d = plugin().descriptor();
  EXPECT_EQ(d.kind, static_cast<drover_plugin_kind>(DROVER_KIND_VCS));
  EXPECT_GE(d.vtable_size, sizeof(drover_vcs_vtable_v1));
  return plugin().vtable<drover_vcs_vtable_v1>();
}

testing::CallResult VcsClient::check_config(const std::string& config_yaml) {
  drover_error err;
  testing::CallResult r;
  r.status = vtable().check_config(testing::to_str(config_yaml), &err);
  r.error = err.message;
  return r;
}

testing::CallResult VcsClient::try_open(const fs::path& project_root, const std::string& config_yaml) {
  std::string context = json{{"project_root", project_root.string()}, {"drover_dir", (project_root / ".drover").string()}}.dump();
  drover_error err;
  drover_vcs* vcs = nullptr;
  testing::CallResult r;
  r.status = vtable().open(testing::to_str(config_yaml), testing::to_str(context), &vcs, &err);
  r.error = err.message;
  if (vcs != nullptr) vtable().close(vcs);
  return r;
}

VcsClient::VcsClient(const fs::path& project_root, const std::string& config_yaml) {
  std::string context = json{{"project_root", project_root.string()}, {"drover_dir", (project_root / ".drover").string()}}.dump();
  drover_error err;
  drover_status s = vtable().open(testing::to_str(config_yaml), testing::to_str(context), &vcs_, &err);
  EXPECT_EQ(s, DROVER_OK) << err.message;
}

VcsClient::~VcsClient() {
  if (vcs_ != nullptr) vtable().close(vcs_);
}

testing::CallResult VcsClient::call_raw(drover_vcs_op drover_vcs_vtable_v1::*op, std::string_view request) const {
  if (vcs_ == nullptr) return testing::CallResult{DROVER_ERROR, "", "plugin not open"};
  return testing::call_op(vtable().*op, vcs_, request);
}

testing::CallResult VcsClient::call(drover_vcs_op drover_vcs_vtable_v1::*op, const json& request) const {
  return call_raw(op, request.dump());
}

json VcsClient::ok(drover_vcs_op drover_vcs_vtable_v1::*op, const json& request) const {
  testing::CallResult r = call(op, request);
  EXPECT_EQ(r.status, DROVER_OK) << request.dump() << " -> " << r.error;
  if (!r.ok()) return json();
  return parse_or_fail(r.output);
}

json VcsClient::prepare(const std::string& task, const std::string& target) const {
  return ok(&drover_vcs_vtable_v1::prepare_worktree, {{"task_id", task}, {"target_branch", target}});
}

json VcsClient::commit(const std::string& task, const std::string& message) const {
  return ok(&drover_vcs_vtable_v1::commit, {{"task_id", task}, {"message", message}});
}

json VcsClient::merge(const std::string& task, const std::string& target, const std::string& strategy) const {
  json req = {{"task_id", task}, {"target_branch", target}, {"message", "Merge task " + task + "\n\nDrover-Task: " + task + "\n"}};
  if (!strategy.empty()) req["strategy"] = strategy;
  return ok(&drover_vcs_vtable_v1::merge, req);
}

}  // namespace drover::vcs_tests
