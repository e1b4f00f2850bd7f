#include "command_words.h"

#include <algorithm>

#include "drover/config/config.h"

namespace drover::cli {
namespace {

// The subcommands a user is told about: hidden ones (an empty help group,
// like the build's `__man`) still run but are never listed or suggested.
std::vector<const CLI::App*> visible_subcommands(const CLI::App& command) {
  return command.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}

std::vector<std::string> subcommand_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* sub : visible_subcommands(command)) names.push_back(sub->get_name());
  return names;
}

// The option of `command` (or of its parents) that `word` names, if any.
const CLI::Option* option_named(const CLI::App& command, const std::string& word) {
  const std::string name = word.substr(0, word.find('='));
  for (const CLI::App* c = &command; c != nullptr; c = c->get_parent())
    for (const CLI::Option* o : c->get_options())
      if (o->check_name(name)) return o;
  return nullptr;
}

// The words of args that are neither options nor option values, in order.
// Options are looked up in the command the words so far lead to, so that a
// value ("--config x") is not taken for a command.
std::vector<std::string> plain_words(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> words;
  CLI::App* command = &app;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word == "--") break;
    if (word.size() > 1 && word[0] == '-') {
      const CLI::Option* o = option_named(*command, word);
      if (o != nullptr && o->get_expected_max() > 0 && word.find('=') == std::string::npos && word.rfind("--", 0) == 0)
        ++i;
      continue;
    }
    words.push_back(word);
    try {
      command = command->get_subcommand(word);
    } catch (const CLI::OptionNotFound&) {
    }
  }
  return words;
}

}  // namespace

std::string command_text(const std::vector<std::string>& path) {
  std::string out = "drover";
  for (const auto& w : path) out += " " + w;
  return out;
}

CLI::App* command_of(CLI::App& app, const std::vector<std::string>& args, std::vector<std::string>& path) {
  CLI::App* command = &app;
  for (const auto& word : plain_words(app, args)) {
    try {
      command = command->get_subcommand(word);
    } catch (const CLI::OptionNotFound&) {
      break;
    }
    path.push_back(word);
  }
  return command;
}

std::string subcommand_list(const CLI::App& command) {
  std::string out;
  size_t width = 0;
  for (const auto& n : subcommand_names(command)) width = std::max(width, n.size());
  for (const CLI::App* sub : visible_subcommands(command)) {
    std::string name = sub->get_name();
    out += "  " + name + std::string(width - name.size() + 2, ' ') + sub->get_description() + "\n";
  }
  return out;
}

std::optional<std::string> command_word_error(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> path;
  CLI::App* command = command_of(app, args, path);
  if (command->get_subcommands([](const CLI::App*) { return true; }).empty()) return std::nullopt;
  // The first plain word after the command path.
  const std::vector<std::string> words = plain_words(app, args);
  std::optional<std::string> next;
  if (words.size() > path.size()) next = words[path.size()];
  const std::string where = command_text(path);
  if (next) {
    std::string hint = closest_match(*next, subcommand_names(*command));
    return "unknown command '" + *next + "' for `" + where + "`" +
           (hint.empty() ? "" : "; did you mean '" + hint + "'?") + " (`" + where + " --help` lists them)";
  }
  for (const auto& a : args)
    if (a == "-h" || a == "--help" || a == "-V" || a == "--version") return std::nullopt;
  if (command->get_require_subcommand_min() == 0) return std::nullopt;
  return "`" + where + "` needs a command:\n" + subcommand_list(*command);
}

std::optional<std::string> unknown_option_error(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> path;
  CLI::App* command = command_of(app, args, path);
  for (const auto& word : args) {
    if (word == "--") break;
    if (word.rfind("--", 0) != 0 || word.size() < 3 || option_named(*command, word) != nullptr) continue;
    std::vector<std::string> names;
    for (const CLI::App* c = command; c != nullptr; c = c->get_parent())
      for (const CLI::Option* o : c->get_options())
        for (const auto& n : o->get_lnames()) names.push_back("--" + n);
    const std::string name = word.substr(0, word.find('='));
    std::string hint = closest_match(name, names);
    return "unknown option '" + name + "' for `" + command_text(path) + "`" +
           (hint.empty() ? "" : "; did you mean '" + hint + "'?");
  }
  return std::nullopt;
}

}  // namespace drover::cli
