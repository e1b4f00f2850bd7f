#include "man_page.h"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace drover::cli {
namespace {

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

std::string page_name(const CommandDoc& c) {
  std::string name = "drover";
  for (const auto& w : c.path) name += "-" + w;
  return name;
}

// "\fB\-d\fR, \fB\-\-description\fR \fITEXT\fR"
std::string option_term(const OptionDoc& o) {
  std::string out;
  for (const auto& s : o.short_names) out += (out.empty() ? "" : ", ") + std::string("\\fB\\-") + roff_escape(s) + "\\fR";
  for (const auto& l : o.long_names) out += (out.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff_escape(l) + "\\fR";
  if (!o.value_name.empty()) out += " \\fI" + roff_escape(o.value_name) + "\\fR";
  return out;
}

std::string synopsis(const CommandDoc& c) {
  std::string out = ".B " + roff_escape(c.text()) + "\n";
  std::string rest;
  if (!c.options.empty()) rest += "[\\fIOPTIONS\\fR]";
  for (const auto& a : c.arguments) {
    std::string arg = "\\fI" + roff_escape(a.name) + "\\fR" + (a.repeated ? "..." : "");
    rest += (rest.empty() ? "" : " ") + (a.required ? arg : "[" + arg + "]");
  }
  if (!c.subcommands.empty()) rest += std::string(rest.empty() ? "" : " ") + "\\fICOMMAND\\fR";
  return rest.empty() ? out : out + rest + "\n";
}

void options_section(std::ostringstream& o, const CommandDoc& c, const char* heading) {
  if (c.options.empty() && c.arguments.empty()) return;
  o << heading;
  for (const auto& a : c.arguments)
    o << ".TP\n\\fI" << roff_escape(a.name) << "\\fR\n" << roff_escape(a.description) << (a.required ? "" : " (optional)")
      << "\n";
  for (const auto& opt : c.options) {
    o << ".TP\n" << option_term(opt) << "\n" << roff_escape(opt.description);
    if (!opt.choices.empty()) {
      std::string list;
      for (const auto& v : opt.choices) list += (list.empty() ? "" : ", ") + v;
      o << " (one of: " << roff_escape(list) << ")";
    }
    o << "\n";
  }
}

// A subcommand of a command page, and its own subcommands, as sections.
void subcommand_sections(std::ostringstream& o, const CommandDoc& c) {
  for (const auto& sub : c.subcommands) {
    o << ".SS " << roff_escape(sub.text()) << "\n" << synopsis(sub) << ".PP\n" << roff_escape(sub.description) << "\n";
    options_section(o, sub, "");
    subcommand_sections(o, sub);
  }
}

std::string header(const std::string& name, const std::string& version) {
  return ".TH " + roff_escape(upper(name)) + " 1 \"\" \"drover " + roff_escape(version) + "\" \"Drover Manual\"\n";
}

std::string command_page(const CommandDoc& c, const std::string& version) {
  std::ostringstream o;
  o << header(page_name(c), version) << ".SH NAME\n"
    << roff_escape(page_name(c)) << " \\- " << roff_escape(c.description) << "\n.SH SYNOPSIS\n"
    << synopsis(c) << ".SH DESCRIPTION\n" << roff_escape(c.description) << ".\n";
  if (c.needs_subcommand) o << ".PP\nThis command needs one of the subcommands below.\n";
  options_section(o, c, ".SH OPTIONS\n");
  if (!c.subcommands.empty()) {
    o << ".SH COMMANDS\n";
    subcommand_sections(o, c);
  }
  o << ".SH SEE ALSO\n.BR drover (1)\n";
  return o.str();
}

std::string program_page(const CommandDoc& root, const std::string& version) {
  // The app's description reads "drover: drives ..."; the NAME line wants what follows.
  std::string what = root.description;
  if (what.rfind("drover: ", 0) == 0) what = what.substr(8);
  std::ostringstream o;
  o << header("drover", version) << ".SH NAME\ndrover \\- " << roff_escape(what)
    << "\n.SH SYNOPSIS\n.B drover\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n.SH DESCRIPTION\n"
    << "Drover " << roff_escape(what) << ".\n.PP\n"
    << "Every command has its own page, \\fBdrover\\-\\fR\\fIcommand\\fR(1), and its own \\fB\\-\\-help\\fR.\n";
  options_section(o, root, ".SH OPTIONS\n");
  o << ".SH COMMANDS\n";
  for (const auto& c : root.subcommands)
    o << ".TP\n.BR " << roff_escape(page_name(c)) << " (1)\n" << roff_escape(c.description) << "\n";
  o << ".SH EXIT STATUS\n"
    << ".TP\n0\nsuccess\n"
    << ".TP\n1\na run ended with failed, blocked or unfinished tasks\n"
    << ".TP\n2\na usage, configuration or input error (the message says what to do)\n"
    << ".SH ENVIRONMENT\n"
    << ".TP\nDROVER_CONFIG\npath to drover.yaml when \\fB\\-\\-config\\fR is not given\n"
    << ".TP\nDROVER_LOG_LEVEL\nlog level when \\fB\\-\\-log\\-level\\fR is not given\n"
    << ".TP\nDROVER_PLUGIN_DIR\nthe plugin directory (default: lib/drover/plugins beside the bin directory of drover)\n"
    << ".TP\nNO_COLOR\nno colours and no live progress line\n"
    << ".SH SIGNALS\n"
    << "The first SIGINT (Ctrl\\-C), SIGTERM or SIGHUP (the terminal was closed) drains a run: no new task starts "
    << "and running agents finish. A second one stops the agents. Either way \\fBdrover resume\\fR continues later.\n"
    << ".SH SEE ALSO\n\\fBgit\\fR(1), \\fBgit\\-worktree\\fR(1)\n";
  return o.str();
}

}  // namespace

std::string roff_escape(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    line_start = c == '\n';
  }
  return out;
}

std::vector<ManPage> man_pages(const CommandDoc& root, const std::string& version) {
  std::vector<ManPage> pages{{"drover.1", program_page(root, version)}};
  for (const auto& c : root.subcommands) pages.push_back({page_name(c) + ".1", command_page(c, version)});
  return pages;
}

}  // namespace drover::cli
