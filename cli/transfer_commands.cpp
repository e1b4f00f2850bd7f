// drover import / drover export: a whole task graph to and from a plan file
// (YAML or JSON Lines; the formats are described in core/include/drover/plan/).
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli_support.h"
#include "user_terms.h"
#include "drover/plan/plan_file.h"
#include "drover/plan/plan_import.h"
#include "drover/plan/plan_records.h"
#include "drover/plan/plan_validation.h"

namespace drover::cli {
namespace {


struct ImportOptions {
  std::string path, format = "auto";
  bool json_out = false, dry_run = false;
};

struct ExportOptions {
  std::string format = "yaml", output;
};

// "-" is standard input, so `drover export | drover import -` copies a graph.
std::string read_file(const std::string& path) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(kExitUsage, "cannot read " + path + ": " + std::strerror(errno) + "; check the path");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string plural(size_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

std::string mapping_text(const std::vector<plan::CreatedRecord>& created, const std::string& separator) {
  std::string text;
  for (const auto& c : created) text += (text.empty() ? "" : separator) + c.key + " -> " + c.id;
  return text;
}

void run_import(const GlobalOptions& g, const ImportOptions& o) {
  auto project = open_project(g);
  const std::string text = read_file(o.path);
  const std::string source = o.path == "-" ? "<stdin>" : o.path;  // how messages name the file
  const plan::PlanFormat format = o.format == "auto" ? plan::guess_plan_format(o.path, text)
                                                     : unwrap(plan::parse_plan_format(o.format), "--format");
  plan::ParsedPlan parsed = plan::read_plan(text, format);
  plan::ValidationOptions checks;
  for (const auto& [name, agent] : project->config().agents) checks.known_agents.push_back(name);
  auto more = plan::validate_plan(parsed.plan, checks);
  parsed.issues.insert(parsed.issues.end(), more.begin(), more.end());
  if (!parsed.issues.empty()) {
    fail(kExitUsage, plan::describe_issues(source, parsed.issues) + "\nnothing was imported; fix " +
                         (parsed.issues.size() == 1 ? "this" : "these " + std::to_string(parsed.issues.size()) + " problems") +
                         " and run the import again");
  }
  const plan::Plan& p = parsed.plan;
  size_t subtasks = 0;
  for (const auto& t : p.tasks) subtasks += t.parent ? 1 : 0;
  if (o.dry_run) {
    std::cout << source << " is valid (" << format_name(format) << "): " << plural(p.epics.size(), "epic", "epics")
              << ", " << plural(p.tasks.size(), "task", "tasks") << " (" << subtasks << " of them sub-tasks); nothing was written\n";
    return;
  }

  plan::ImportOutcome outcome = plan::import_plan(p, open_store(*project), wall_ms());
  if (!outcome.status.ok()) {
    fail(kExitUsage, "import of " + source + " stopped: " + in_user_terms(outcome.status.message()) + "\n" +
                         (outcome.created.empty()
                              ? std::string("nothing was created")
                              : "created before it stopped (these were kept; re-importing the file would create them "
                                "again): " + mapping_text(outcome.created, ", ")));
  }
  if (o.json_out) {
    json out{{"source", source}, {"epics", json::object()}, {"tasks", json::object()}};
    for (const auto& c : outcome.created) out[c.is_epic ? "epics" : "tasks"][c.key] = c.id;
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "imported " << plural(p.epics.size(), "epic", "epics") << " and " << plural(p.tasks.size(), "task", "tasks")
            << " from " << source << "\n";
  for (const auto& c : outcome.created) std::cout << "  " << c.key << " -> " << c.id << "\n";
}

void run_export(const GlobalOptions& g, const ExportOptions& o) {
  const plan::PlanFormat format = unwrap(plan::parse_plan_format(o.format), "--format");
  auto project = open_project(g);
  // Read-only: export is how users save what a damaged store still holds.
  TaskStore& store = open_store(*project, Project::StoreAccess::kReadOnly);
  std::vector<Epic> epics = unwrap(store.list_epics());
  std::vector<Task> tasks = unwrap(store.list_tasks(TaskFilter{}));
  const std::string text = plan::write_plan(plan::plan_from_records(epics, tasks), format);
  if (o.output.empty() || o.output == "-") {
    std::cout << text;
    return;
  }
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) fail(kExitUsage, "cannot write " + o.output + ": " + std::strerror(errno) + "; check the directory exists and is writable");
  std::cerr << "exported " << plural(epics.size(), "epic", "epics") << " and " << plural(tasks.size(), "task", "tasks")
            << " to " << o.output << "\n";
}

}  // namespace

void add_transfer_commands(CLI::App& app, GlobalOptions& g) {
  auto* io = new ImportOptions();
  auto* imp = app.add_subcommand("import", "Create epics and tasks from a plan file (YAML or JSON Lines), all or nothing");
  imp->add_option("file", io->path, "the plan file (- for standard input)")->required();
  imp->add_option("--format", io->format, "auto (by extension or content), yaml or jsonl")
      ->check(CLI::IsMember({"auto", "yaml", "jsonl"}));
  imp->add_flag("--json", io->json_out, "print the key -> id mapping as JSON");
  imp->add_flag("--dry-run", io->dry_run, "only check the file; create nothing");
  imp->callback([&g, io] { run_import(g, *io); });

  auto* eo = new ExportOptions();
  auto* exp = app.add_subcommand("export", "Write every epic and task (with dependencies and sub-tasks) as a plan file");
  exp->add_option("--format", eo->format, "yaml (default) or jsonl")->check(CLI::IsMember({"yaml", "jsonl"}));
  exp->add_option("-o,--output", eo->output, "file to write (default: standard output)");
  exp->callback([&g, eo] { run_export(g, *eo); });
}

}  // namespace drover::cli
