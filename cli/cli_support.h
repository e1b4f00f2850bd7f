// Shared pieces of the `drover` command line: global options, exit codes,
// opening the project, and output helpers (data on stdout, errors on stderr,
// colour only on a TTY without NO_COLOR).
#ifndef DROVER_CLI_CLI_SUPPORT_H
#define DROVER_CLI_CLI_SUPPORT_H

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "drover/common/control_chars.h"  // escape_control_chars for user and agent text in human output
#include "drover/project.h"
#include "drover/status.h"
#include "preflight.h"

namespace drover::cli {

enum ExitCode { kExitOk = 0, kExitRunIncomplete = 1, kExitUsage = 2 };

struct GlobalOptions {
  std::string config_path;
  std::string log_level;
};

// Thrown by command code to end with a message and exit code; caught in main.
struct CommandError {
  int exit_code;
  std::string message;
};

[[noreturn]] void fail(int exit_code, const std::string& message);
// Fails with exit code 2 unless st is OK. This is where every error a command
// meets becomes its exit code, a damaged store (StatusCode::kCorrupt) included:
// its message, naming the file and how to recover, is printed unchanged.
void check(const Status& st, const std::string& context = "");
template <class T>
T unwrap(Result<T> r, const std::string& context = "") {
  if (!r.ok()) check(r.status(), context);
  return std::move(r.value());
}

std::unique_ptr<Project> open_project(const GlobalOptions& g);
// Loads every configured plugin and asks it to check its config, then runs the
// preflight (cli/preflight.h: the agents the work needs can start, the target
// branch exists); fails with exit code 2 listing every problem, one per line.
// `drover run` passes kRunnableTasks; `drover config check` checks
// default_agent too.
void check_plugin_configs(Project& p, PreflightScope scope = PreflightScope::kDefaultAgentAndTasks);
TaskStore& open_store(Project& p, Project::StoreAccess access = Project::StoreAccess::kReadWrite);
Workspace& open_workspace(Project& p);
// The task, or exit 2 saying it does not exist and where the ids are.
Task get_task_or_fail(TaskStore& store, const std::string& id);
// Exits 2 unless the epic exists ("--epic: there is no epic 'e7'...").
void require_epic(TaskStore& store, const std::string& id, const std::string& option = "--epic");
// Exits 2 unless drover.yaml has an agent of that name ("<option>: no agent
// named 'x' in <file>; did you mean 'y'?" then `more`).
void require_agent(const Config& config, const std::string& name, const std::string& option,
                   const std::string& more = "");
// The target branch: drover.yaml's target_branch, else the checked-out branch.
std::string target_branch(Project& p);

// Destructive bulk commands (reset --all, rm --cascade): true with --yes; on
// a terminal, asks "<what>; continue? [y/N]" on stderr and reads stdin;
// otherwise exits 2 saying to pass --yes. `command` names the command.
void confirm_or_fail(const std::string& command, const std::string& what, bool yes);
// A comma-separated --touches value, checked (exit 2 naming the option).
std::vector<std::string> touches_option(const std::string& text, const std::string& option = "--touches");

bool stdout_is_tty();
bool color_enabled();
std::string paint(const std::string& text, const char* ansi_code);
std::string status_color(const std::string& status);
int64_t wall_ms();
std::string format_time(int64_t ms);
std::string money(double v);  // "$0.0123"

// Registration functions, one per command group.
void add_init_command(CLI::App& app, GlobalOptions& g);
void add_task_commands(CLI::App& app, GlobalOptions& g);
void add_run_commands(CLI::App& app, GlobalOptions& g);
void add_status_commands(CLI::App& app, GlobalOptions& g);
void add_plugin_commands(CLI::App& app, GlobalOptions& g);
void add_worktree_commands(CLI::App& app, GlobalOptions& g);
void add_transfer_commands(CLI::App& app, GlobalOptions& g);
void add_dep_commands(CLI::App& app, GlobalOptions& g);
void add_steer_commands(CLI::App& app, GlobalOptions& g);
void add_review_commands(CLI::App& app, GlobalOptions& g);
void add_show_commands(CLI::App& app, GlobalOptions& g);
void add_executor_commands(CLI::App& app, GlobalOptions& g);
// `completion` and the hidden `__man`: register last, they describe the others.
void add_doc_commands(CLI::App& app);

}  // namespace drover::cli

#endif
