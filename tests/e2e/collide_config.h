// The drover.yaml of a project whose only agent is collide_agent.sh (every
// task appends to shared.txt): the merge-queue e2e and chaos tests and the
// merge-queue bench write it alike.
#ifndef DROVER_TESTS_E2E_COLLIDE_CONFIG_H
#define DROVER_TESTS_E2E_COLLIDE_CONFIG_H

#include <string>

namespace drover::testing {

// agent_script: collide_agent.sh; e2e_dir: where the agent counts its runs
// (and may write); extra_yaml: tasks/merge/verify sections; agent_env: more
// `, NAME: "value"` pairs for the agent's environment.
inline std::string collide_config(const std::string& agent_script, const std::string& e2e_dir, int workers,
                                  const std::string& extra_yaml, const std::string& agent_env = "") {
  return "workers: " + std::to_string(workers) +
         "\ntarget_branch: main\nstorage: { plugin: sqlite }\nvcs: { plugin: git }\n"
         "default_agent: collide\nagents:\n  collide:\n    plugin: exec\n    config:\n"
         "      command: [\"bash\", \"" + agent_script + "\"]\n"
         "      env: { E2E_DIR: \"" + e2e_dir + "\"" + agent_env + " }\n"
         "    sandbox: { write_paths: [\"" + e2e_dir + "\"] }\n" + extra_yaml;
}

}  // namespace drover::testing

#endif
