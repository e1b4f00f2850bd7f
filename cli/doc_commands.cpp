// drover completion <shell>, and the hidden `drover __man <dir>` the build
// runs to write the man pages. Both render command_tree(), the definitions
// the parser itself uses.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli_support.h"
#include "completion_script.h"
#include "drover/version.h"
#include "man_page.h"

namespace drover::cli {

void add_doc_commands(CLI::App& app) {
  auto* shell = new std::string();
  auto* completion = app.add_subcommand("completion", "Print a shell completion script (bash, zsh or fish)");
  completion->add_option("shell", *shell, "the shell: bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember(completion_shells()));
  completion->footer(
      "Load it now:  source <(drover completion bash)\n"
      "The Debian package installs all three, so completion works in a new shell.");
  completion->callback([&app, shell] {
    auto script = completion_script(command_tree(app), *shell);
    if (!script) fail(kExitUsage, "no completion for shell '" + *shell + "'; use bash, zsh or fish");
    std::cout << *script;
  });

  auto* dir = new std::string();
  auto* man = app.add_subcommand("__man", "Write the man pages into a directory (used by the build)");
  man->group("");  // hidden: not in --help, completion or the man pages
  man->add_option("dir", *dir, "output directory")->required();
  man->callback([&app, dir] {
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    if (ec) fail(kExitUsage, "cannot create " + *dir + ": " + ec.message() + "; check the path and its permissions");
    for (const auto& page : man_pages(command_tree(app), version_string())) {
      const std::string file = (std::filesystem::path(*dir) / page.file_name).string();
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << page.text;
      out.close();
      if (!out) fail(kExitUsage, "cannot write " + file + ": " + std::strerror(errno) + "; check the disk and permissions");
    }
  });
}

}  // namespace drover::cli
