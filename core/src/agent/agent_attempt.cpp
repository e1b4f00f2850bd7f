// run_agent_attempt: the host side of the agent plugin contract (agent.h).
//
// Contract additions used here (JSON is extensible; documented in agent.h's
// spirit and in the plugins):
//   build_command response  "pass_env": [name, ...]  names of Drover's own
//       environment variables the agent needs (API keys and the like). They are
//       added to the allow-list, so secrets travel by name and never appear in
//       configuration files or logs.
//   build_command response  "write_paths": [dir, ...], "write_files": [file, ...]
//       where the agent's CLI keeps its own state (~/.claude, $CODEX_HOME, ...):
//       writable under the sandbox (directories created when missing, files
//       only when they exist). See docs/agent-sandbox.md.
//   run_finish request      "cancelled": bool  the run was stopped by Drover
//       (cancel / second Ctrl-C), not by a timeout; "stop_requested": bool
//       the plugin's run_should_stop (ABI 1.2) asked for the stop.
#include "drover/agent/agent_attempt.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <spdlog/spdlog.h>

#include "common/json_fields.h"
#include "drover/agent/agent_entries.h"
#include "drover/plugin/private_files.hpp"
#include "drover/plugin_host/abi_objects.h"

namespace drover {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxAgentLineBytes = 4 << 20;

AgentAttemptResult crashed(const AgentAttemptRequest& request, std::string reason) {
  AgentAttemptResult r;
  r.outcome = AttemptOutcome::kCrashed;
  r.reason = std::move(reason);
  r.log_file = request.log_file;
  return r;
}

std::string where(const AgentAttemptRequest& request) {
  return "task " + request.task_id + " attempt " + std::to_string(request.attempt);
}

Status write_prompt_file(const AgentAttemptRequest& request) {
  if (request.prompt_file.empty()) return Status::Ok();
  std::filesystem::path path(request.prompt_file);
  if (path.has_parent_path()) sdk::create_private_directories(path.parent_path().string());
  if (int err = sdk::write_private_file(request.prompt_file, request.prompt); err != 0) {
    return Status::Unavailable("cannot write the prompt file '" + request.prompt_file + "': " + std::strerror(err) +
                               "; check the directory's permissions");
  }
  return Status::Ok();
}

// The parts of a build_command response the host uses.
struct AgentCommand {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::vector<std::string> pass_env;
  bool prompt_on_stdin = false;
  std::string cwd;
  PluginWritePaths write;
};

Status absolute_paths(const json& j, const char* key, std::vector<std::string>& out) {
  if (!j.contains(key) || j[key].is_null()) return Status::Ok();
  if (!j[key].is_array()) return Status::InvalidArgument(std::string("build_command returned \"") + key + "\" that is not a list");
  for (const json& p : j[key]) {
    if (!p.is_string() || p.get<std::string>().empty() || p.get<std::string>()[0] != '/')
      return Status::InvalidArgument(std::string("build_command returned a \"") + key + "\" entry that is not an absolute path");
    out.push_back(p.get<std::string>());
  }
  return Status::Ok();
}

// "<dir>/3.log" -> "<dir>/3.box.json": the box's report beside the log.
std::string box_report_path(const std::string& log_file, const std::string& fallback_dir, int attempt) {
  if (log_file.empty()) return fallback_dir + "/" + std::to_string(attempt) + ".box.json";
  std::string base = log_file;
  if (base.size() > 4 && base.compare(base.size() - 4, 4, ".log") == 0) base.resize(base.size() - 4);
  return base + ".box.json";
}

Result<AgentCommand> parse_command(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Status::InvalidArgument("build_command returned something that is not a JSON object");
  AgentCommand c;
  const json& argv = j.value("argv", json());
  if (!argv.is_array() || argv.empty()) return Status::InvalidArgument("build_command returned no \"argv\" list");
  for (const json& a : argv) {
    if (!a.is_string()) return Status::InvalidArgument("build_command returned a non-string argv element");
    c.argv.push_back(a.get<std::string>());
  }
  if (j.contains("env") && !j["env"].is_null()) {
    if (!j["env"].is_object()) return Status::InvalidArgument("build_command returned \"env\" that is not an object");
    for (auto& [k, v] : j["env"].items()) {
      if (!v.is_string()) return Status::InvalidArgument("build_command returned a non-string value for env " + k);
      c.env[k] = v.get<std::string>();
    }
  }
  if (j.contains("pass_env") && j["pass_env"].is_array()) {
    for (const json& n : j["pass_env"])
      if (n.is_string()) c.pass_env.push_back(n.get<std::string>());
  }
  std::string in = j.contains("stdin") && j["stdin"].is_string() ? j["stdin"].get<std::string>() : "null";
  if (in != "null" && in != "prompt")
    return Status::InvalidArgument("build_command returned stdin \"" + in + "\"; expected \"null\" or \"prompt\"");
  c.prompt_on_stdin = in == "prompt";
  if (j.contains("cwd") && j["cwd"].is_string()) c.cwd = j["cwd"].get<std::string>();
  if (Status st = absolute_paths(j, "write_paths", c.write.dirs); !st.ok()) return st;
  if (Status st = absolute_paths(j, "write_files", c.write.files); !st.ok()) return st;
  return c;
}

// An agent's text goes into the store, which refuses NUL characters (they
// end C strings in SQL drivers): an agent that prints one must not make its
// task impossible to complete.
std::string without_nul(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), '\0'), text.end());
  return text;
}

// Owns the plugin's parser state for one run.
struct RunHandle {
  const drover_agent_vtable_v1* vtable = nullptr;
  drover_agent_run* run = nullptr;
  ~RunHandle() {
    if (run != nullptr && vtable->run_end != nullptr) vtable->run_end(run);
  }
};

AgentAttemptResult attempt(const drover_agent_vtable_v1& vtable, drover_agent* agent,
                           const AgentAttemptRequest& request, ProcessRunner& runner,
                           const std::function<void(ProcessRunner::RunId)>& on_started) {
  if (Status st = write_prompt_file(request); !st.ok()) return crashed(request, st.message() + " (" + where(request) + ")");

  const std::string request_json = agent_command_request_json(request);
  drover_buffer command_text;
  drover_error error;
  drover_status code = vtable.build_command(agent, to_abi(request_json), &command_text, &error);
  if (code != DROVER_OK) {
    return crashed(request, "the agent plugin could not build the command for " + where(request) + ": " +
                                status_from_abi(code, error.message).message());
  }
  Result<AgentCommand> command = parse_command(command_text.data);
  if (!command.ok()) return crashed(request, "agent plugin error for " + where(request) + ": " + command.status().message());

  std::vector<std::string> allow = request.env_allow_list;
  allow.insert(allow.end(), command->pass_env.begin(), command->pass_env.end());
  ProcessSpec spec;
  spec.argv = command->argv;
  spec.env = build_child_environment(allow, command->env);
  spec.env["DROVER_TASK_ID"] = request.task_id;
  spec.env["DROVER_ATTEMPT"] = std::to_string(request.attempt);
  spec.env["DROVER_ROUND"] = request.round;
  spec.env["DROVER_WORKTREE"] = request.worktree;
  spec.env["DROVER_PROMPT_FILE"] = request.prompt_file;
  spec.cwd = command->cwd.empty() ? request.worktree : command->cwd;
  if (command->prompt_on_stdin) spec.stdin_data = request.prompt;
  spec.timeout = request.timeout;
  spec.inactivity_timeout = request.inactivity_timeout;
  spec.kill_grace = request.kill_grace;
  spec.log_path = request.log_file;
  spec.log_max_bytes = request.log_max_bytes;
  spec.process_file = request.process_file;
  std::optional<BoxedAttempt> boxed;
  if (request.box) {
    auto prepared = prepare_boxed_attempt(*request.box, request.task_id + "." + std::to_string(request.attempt),
                                          request.worktree,
                                          box_report_path(request.log_file, request.worktree, request.attempt),
                                          command->write);
    if (!prepared.ok()) return crashed(request, prepared.status().message() + " (" + where(request) + ")");
    boxed = std::move(prepared.value());
    for (const auto& [k, v] : boxed->env) spec.env[k] = v;
    spec.wrapper = boxed->wrapper;
    spec.process_note = boxed->process_note;
    for (const std::string& note : boxed->notes) spdlog::info("{}: {}", where(request), note);
  }
  // Agents print whole JSON events per line; give large ones (a long final
  // message, a big tool result) room before they are cut into pieces.
  spec.max_line_bytes = kMaxAgentLineBytes;

  RunHandle parser;
  parser.vtable = &vtable;
  error.message.clear();
  code = vtable.run_begin(agent, to_abi(request_json), &parser.run, &error);
  if (code != DROVER_OK) {
    parser.run = nullptr;
    return crashed(request, "the agent plugin could not start parsing " + where(request) + ": " +
                                status_from_abi(code, error.message).message());
  }

  // Lines arrive on the runner's loop thread one at a time, so the plugin's
  // parser is never entered concurrently.
  drover_agent_run* run = parser.run;
  bool warned = false;
  // The plugin may ask to stop the run (ABI 1.2 run_should_stop) before start()
  // has returned the id: the request is kept and honoured once the id is known.
  const auto should_stop = run_should_stop_entry(vtable);
  std::atomic<bool> stop_requested{false};
  std::atomic<ProcessRunner::RunId> started_id{0};
  LineHandler on_line = [&vtable, run, &warned, should_stop, &stop_requested, &started_id, &runner, &request](
                            int stream, std::string_view line) {
    if (request.on_output) request.on_output(line);
    drover_error line_error;
    drover_status st = vtable.run_line(run, stream, to_abi(line), &line_error);
    if (st != DROVER_OK && !warned) {
      warned = true;
      spdlog::debug("agent parser rejected an output line: {}", line_error.message);
    }
    if (should_stop != nullptr && !stop_requested.load() && should_stop(run) != 0) {
      stop_requested = true;
      if (ProcessRunner::RunId id = started_id.load(); id != 0) runner.cancel(id);
    }
  };
  std::promise<ProcessResult> done;
  std::future<ProcessResult> finished = done.get_future();
  Result<ProcessRunner::RunId> id = runner.start(std::move(spec), std::move(on_line), std::move(done));
  if (!id.ok()) {
    if (boxed) finish_boxed_attempt(*boxed, *request.box);
    return crashed(request, id.status().message() + " (" + where(request) + ")");
  }
  started_id = *id;
  if (stop_requested.load()) runner.cancel(*id);
  if (on_started) {
    try {  // the process runs and uses `run` whatever the callback does
      on_started(*id);
    } catch (const std::exception& e) {
      spdlog::error("run_agent_attempt: on_started threw: {}", e.what());
    }
  }
  ProcessResult process = finished.get();
  BoxOutcome box;
  if (boxed) {
    box = finish_boxed_attempt(*boxed, *request.box);
    if (!request.log_file.empty() && (!box.leftovers.empty() || !boxed->notes.empty())) {
      std::ofstream log(request.log_file, std::ios::app);
      for (const std::string& note : boxed->notes) log << "drover: " << note << "\n";
      if (!box.leftovers.empty()) {
        log << "drover: ended what the agent left running:";
        for (const std::string& l : box.leftovers) log << " " << l;
        log << "\n";
      }
    }
  }

  json finish{{"exit_code", process.exit_code ? json(*process.exit_code) : json()},
              {"signal", process.signal ? json(*process.signal) : json()},
              {"timed_out", process.timed_out},
              {"inactive", process.inactive},
              {"cancelled", process.cancelled && !stop_requested.load()},
              {"stop_requested", stop_requested.load()},
              {"duration_ms", process.duration_ms}};
  drover_buffer result_text;
  error.message.clear();
  code = vtable.run_finish(run, to_abi(finish.dump()), &result_text, &error);

  AgentAttemptResult r;
  r.exit_code = process.exit_code;
  r.signal = process.signal;
  r.timed_out = process.timed_out;
  r.inactive = process.inactive;
  r.cancelled = process.cancelled && !stop_requested.load();  // the plugin's stop is not the user's cancel
  r.duration_ms = process.duration_ms;
  r.log_file = request.log_file;
  r.leftovers = box.leftovers;
  // The box's own verdicts come before the plugin's reading of the output.
  if (!box.error.empty()) {
    r.outcome = AttemptOutcome::kCrashed;
    r.reason = "drover-agent-box could not run " + where(request) + ": " + box.error;
    return r;
  }
  if (!box.limit_reason.empty()) {
    r.outcome = AttemptOutcome::kFailure;
    r.reason = box.limit_reason;
    return r;
  }
  if (code != DROVER_OK) {
    r.outcome = AttemptOutcome::kCrashed;
    r.reason = "the agent plugin could not classify " + where(request) + ": " +
               status_from_abi(code, error.message).message();
    return r;
  }
  json j = json::parse(result_text.data, nullptr, false);
  std::string outcome = j.is_object() && j.contains("outcome") && j["outcome"].is_string() ? j["outcome"].get<std::string>() : "";
  std::optional<AttemptOutcome> parsed = parse_attempt_outcome(outcome);
  if (!parsed) {
    r.outcome = AttemptOutcome::kCrashed;
    r.reason = "the agent plugin returned no valid outcome for " + where(request) + " (got \"" + outcome + "\")";
    return r;
  }
  r.outcome = *parsed;
  r.reason = without_nul(optional_field<std::string>(j, "reason").value_or(""));
  r.summary = without_nul(optional_field<std::string>(j, "summary").value_or(""));
  r.session_id = optional_field<std::string>(j, "session_id");
  if (r.session_id && r.session_id->empty()) r.session_id.reset();
  r.turns = optional_field<int64_t>(j, "turns");
  r.tokens_in = optional_field<int64_t>(j, "tokens_in");
  r.tokens_out = optional_field<int64_t>(j, "tokens_out");
  r.cost_usd = optional_field<double>(j, "cost_usd");
  r.reset_at_ms = optional_field<int64_t>(j, "reset_at_ms");
  r.stop_reason = field_or<std::string>(j, "stop_reason", "");
  return r;
}

}  // namespace

std::string agent_command_request_json(const AgentAttemptRequest& request) {
  json j{{"task_id", request.task_id},
         {"attempt", request.attempt},
         {"round", request.round},
         {"prompt", request.prompt},
         {"prompt_file", request.prompt_file},
         {"worktree", request.worktree},
         {"session_id", request.session_id.empty() ? json() : json(request.session_id)},
         {"log_file", request.log_file}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<AgentAttemptResult> run_agent_attempt(const drover_agent_vtable_v1& vtable, drover_agent* agent,
                                             const AgentAttemptRequest& request, ProcessRunner& runner,
                                             std::function<void(ProcessRunner::RunId)> on_started) {
  if (agent == nullptr || vtable.build_command == nullptr || vtable.run_begin == nullptr ||
      vtable.run_line == nullptr || vtable.run_finish == nullptr) {
    return Status::InvalidArgument("run_agent_attempt: no agent or an incomplete agent vtable (" + where(request) + ")");
  }
  try {
    return attempt(vtable, agent, request, runner, on_started);
  } catch (const std::exception& e) {
    return crashed(request, std::string("unexpected error while running ") + where(request) + ": " + e.what());
  } catch (...) {
    return crashed(request, "unexpected error while running " + where(request));
  }
}

}  // namespace drover
