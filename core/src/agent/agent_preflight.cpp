#include "drover/agent/agent_preflight.h"

#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>

#include "drover/agent/agent_attempt.h"
#include "drover/agent/agent_entries.h"
#include "drover/plugin_host/abi_objects.h"

namespace drover {
namespace {

using nlohmann::json;

// A request like an attempt's, for plugins without `requirements`: only the
// command's argv[0] is used; nothing is started.
std::string sample_request() {
  AgentAttemptRequest r;
  r.task_id = "preflight";
  r.prompt = "preflight";
  r.worktree = "/nonexistent/preflight";
  return agent_command_request_json(r);
}

std::string fix_for(const std::string& agent_name, const AgentRequirements& needs) {
  std::string fix = needs.install_hint.empty() ? "install it" : "install it (" + needs.install_hint + ")";
  return fix + ", or give its full path with `binary:` under agents." + agent_name + ".config in drover.yaml";
}

}  // namespace

Result<AgentRequirements> agent_requirements(const drover_agent_vtable_v1& vtable, drover_agent* agent) {
  AgentRequirements needs;
  drover_buffer out;
  drover_error error;
  if (auto entry = requirements_entry(vtable); entry != nullptr) {
    drover_status code = entry(agent, to_abi(std::string("{}")), &out, &error);
    if (code != DROVER_OK) return status_from_abi(code, error.message);
    json j = json::parse(out.data, nullptr, false);
    if (!j.is_object()) return Status::InvalidArgument("requirements returned something that is not a JSON object");
    if (j.contains("binary") && j["binary"].is_string()) needs.binary = j["binary"].get<std::string>();
    if (j.contains("version_args") && j["version_args"].is_array())
      for (const json& a : j["version_args"])
        if (a.is_string()) needs.version_args.push_back(a.get<std::string>());
    if (j.contains("install_hint") && j["install_hint"].is_string()) needs.install_hint = j["install_hint"].get<std::string>();
    if (!needs.binary.empty() || j.contains("binary")) return needs;
  }
  drover_buffer command;
  drover_error command_error;
  drover_status code = vtable.build_command(agent, to_abi(sample_request()), &command, &command_error);
  if (code != DROVER_OK) return status_from_abi(code, command_error.message);
  json j = json::parse(command.data, nullptr, false);
  if (j.is_object() && j.contains("argv") && j["argv"].is_array() && !j["argv"].empty() && j["argv"][0].is_string())
    needs.binary = j["argv"][0].get<std::string>();
  return needs;
}

std::string why_agent_cannot_start(const std::string& agent_name, const AgentRequirements& needs,
                                   ProcessRunner& runner, const PreflightOptions& options) {
  if (needs.binary.empty()) return "";
  const std::string who = "agent '" + agent_name + "'";
  ProcessSpec spec;
  spec.argv = {needs.binary};
  spec.env = build_child_environment(default_environment_allow_list(), {});
  spec.cwd = options.cwd;
  Result<std::string> path = resolve_program(spec);
  if (!path.ok()) {
    std::string what = needs.binary.find('/') == std::string::npos
                           ? "its program '" + needs.binary + "' is not in PATH (" + spec.env["PATH"] + ")"
                           : "its program cannot be run (" + path.status().message() + ")";
    return who + " cannot start: " + what + "; " + fix_for(agent_name, needs);
  }
  if (needs.version_args.empty()) return "";
  spec.argv = {*path};
  spec.argv.insert(spec.argv.end(), needs.version_args.begin(), needs.version_args.end());
  spec.timeout = options.probe_timeout;
  spec.kill_grace = std::chrono::milliseconds(500);
  std::deque<std::string> tail;
  std::mutex mu;
  auto r = runner.run(spec, [&](int, std::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
    tail.emplace_back(line.substr(0, 300));
    if (tail.size() > 3) tail.pop_front();
  });
  std::string command = *path;
  for (const std::string& a : needs.version_args) command += " " + a;
  if (!r.ok()) return who + " cannot start: `" + command + "` failed: " + r.status().message() + "; " + fix_for(agent_name, needs);
  if (r.value().exit_code == 126 || r.value().exit_code == 127) {
    std::string said;
    for (const std::string& l : tail) said += (said.empty() ? "" : " | ") + l;
    return who + " cannot start: `" + command + "` exited with code " + std::to_string(*r.value().exit_code) +
           (said.empty() ? "" : " (" + said + ")") + "; " + fix_for(agent_name, needs) +
           " (a CLI installed with npm also needs node in PATH)";
  }
  return "";
}

}  // namespace drover
