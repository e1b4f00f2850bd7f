#include "command_tree.h"

namespace drover::cli {
namespace {

// CLI11 keeps the values an IsMember check accepts only in the check's text,
// "{wait,stop}"; the definitions here give that text, so it is read back once.
std::vector<std::string> choices_of(const CLI::Option& o) {
  std::vector<std::string> out;
  const std::string text = o.get_type_name();
  const auto open = text.find('{');
  const auto close = text.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return out;
  std::string cur;
  for (char c : text.substr(open + 1, close - open - 1)) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string value_name(const CLI::Option& o) {
  // "TEXT:{wait,stop}" or "INT:INT in [1 - 256]": the type comes first.
  std::string t = o.get_type_name();
  t = t.substr(0, t.find(':'));
  return t.empty() ? "VALUE" : t;
}

CommandDoc walk(const CLI::App& command, std::vector<std::string> path) {
  CommandDoc doc;
  doc.path = path;
  doc.description = command.get_description();
  doc.needs_subcommand = command.get_require_subcommand_min() > 0;
  for (const CLI::Option* o : command.get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    if (o->nonpositional()) {
      OptionDoc od;
      od.short_names = o->get_snames();
      od.long_names = o->get_lnames();
      if (o->get_expected_max() != 0) {  // a flag expects no value
        od.value_name = value_name(*o);
        od.choices = choices_of(*o);
      }
      od.description = o->get_description();
      doc.options.push_back(std::move(od));
    } else {
      ArgumentDoc a;
      a.name = o->get_name();
      a.description = o->get_description();
      a.required = o->get_required();
      a.repeated = o->get_items_expected_max() > 1;
      a.choices = choices_of(*o);
      doc.arguments.push_back(std::move(a));
    }
  }
  for (const CLI::App* sub : command.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;  // hidden, e.g. __man
    std::vector<std::string> sub_path = path;
    sub_path.push_back(sub->get_name());
    doc.subcommands.push_back(walk(*sub, sub_path));
  }
  return doc;
}

}  // namespace

std::string CommandDoc::text() const {
  std::string out = "drover";
  for (const auto& w : path) out += " " + w;
  return out;
}

CommandDoc command_tree(const CLI::App& app) { return walk(app, {}); }

}  // namespace drover::cli
