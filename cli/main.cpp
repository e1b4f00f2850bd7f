// The `drover` executable: parses the command line and dispatches to the
// command groups. Exit codes: 0 success, 1 a run ended with failed or blocked
// tasks, 2 usage, configuration or input errors.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>

#include "cli_support.h"
#include "command_words.h"
#include "drover/version.h"

int main(int argc, char** argv) {
  using namespace drover::cli;
  CLI::App app{"drover: drives a software project to completion with parallel AI coding agents"};
  app.require_subcommand(1);
  app.set_version_flag("-V,--version", drover::version_string());
  GlobalOptions g;
  app.add_option("--config", g.config_path, "path to drover.yaml (default: $DROVER_CONFIG, else found upwards)");
  auto set_level = [](const std::string& level) {
    auto l = spdlog::level::from_str(level);
    if (l == spdlog::level::off && level != "off") throw CLI::ValidationError("unknown level '" + level + "'; use trace, debug, info, warn, error, critical or off");
    spdlog::set_level(l);
  };
  app.add_option("--log-level", g.log_level, "trace|debug|info|warn|error|critical|off (default: $DROVER_LOG_LEVEL or warn)")
      ->each(set_level);

  add_init_command(app, g);
  add_task_commands(app, g);
  add_run_commands(app, g);
  add_status_commands(app, g);
  add_plugin_commands(app, g);
  add_worktree_commands(app, g);
  add_transfer_commands(app, g);
  add_dep_commands(app, g);
  add_steer_commands(app, g);
  add_review_commands(app, g);
  add_show_commands(app, g);
  add_executor_commands(app, g);

  auto* help_words = new std::vector<std::string>();
  auto* help = app.add_subcommand("help", "Show the help of drover or of a command (drover help worktree prune)");
  help->add_option("command", *help_words, "a command and its subcommands");
  help->callback([&app, help_words] {
    std::vector<std::string> path;
    CLI::App* command = command_of(app, *help_words, path);
    if (path.size() < help_words->size()) {
      auto error = command_word_error(app, *help_words);
      fail(kExitUsage, error ? *error : "unknown command '" + (*help_words)[path.size()] + "'");
    }
    std::cout << command->help();
  });
  add_doc_commands(app);

  const std::vector<std::string> args(argv + 1, argv + argc);

  auto logger = spdlog::stderr_color_mt("drover");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^drover: %l:%$ %v");
  spdlog::set_level(spdlog::level::warn);
  if (const char* env = std::getenv("DROVER_LOG_LEVEL"); env != nullptr && *env != '\0') {
    auto l = spdlog::level::from_str(env);
    if (l == spdlog::level::off && std::string(env) != "off") {
      std::cerr << "drover: DROVER_LOG_LEVEL='" << env << "' is not a level; use trace, debug, info, warn, error, critical or off\n";
      return kExitUsage;
    }
    spdlog::set_level(l);
  }
  // A missing or misspelt command is answered with the list or a suggestion.
  if (auto error = command_word_error(app, args)) {
    std::cerr << "drover: " << *error << (error->back() == '\n' ? "" : "\n");
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::vector<std::string> path;
    command_of(app, args, path);
    auto unknown = unknown_option_error(app, args);
    std::cerr << "drover: " << (unknown ? *unknown : std::string(e.what())) << " (`" << command_text(path)
              << " --help` shows its usage)\n";
    return kExitUsage;
  } catch (const CommandError& e) {
    if (!e.message.empty()) std::cerr << "drover: " << drover::escape_control_chars(e.message, "\n") << "\n";
    return e.exit_code;
  } catch (const std::exception& e) {
    std::cerr << "drover: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
  return kExitOk;
}
