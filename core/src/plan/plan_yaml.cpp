#include "drover/plan/plan_yaml.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "drover/common/duration.h"
#include "drover/common/path_glob.h"
#include "drover/config/config.h"

namespace drover::plan {
namespace {

const std::vector<std::string> kTopFields = {"epics", "tasks"};
const std::vector<std::string> kEpicFields = {"key", "title", "description"};
const std::vector<std::string> kTaskFields = {"key",   "title",        "description", "epic",       "priority",
                                              "agent", "max_attempts", "timeout",     "blocked_by", "subtasks",
                                              "touches"};

std::string field_list(const std::vector<std::string>& fields) {
  std::string text;
  for (const auto& f : fields) text += (text.empty() ? "" : ", ") + f;
  return text;
}

class YamlPlanReader {
 public:
  ParsedPlan read(const std::string& text) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      add(e.mark.line + 1, "not valid YAML: " + e.msg + "; fix the syntax (indentation, quotes, colons)");
      return std::move(out_);
    }
    if (root.IsNull()) return std::move(out_);  // an empty file is an empty plan
    if (!root.IsMap()) {
      add(line(root), "a plan is a mapping with `epics:` and `tasks:` lists; see `drover export --format yaml`");
      return std::move(out_);
    }
    for_each_field(root, "the plan", kTopFields, [&](const std::string& name, const YAML::Node& value) {
      if (value.IsNull()) return;
      if (!value.IsSequence()) {
        add(line(value), "`" + name + ":` must be a list (entries starting with `- `)");
        return;
      }
      for (const auto& entry : value) {
        if (name == "epics") read_epic(entry);
        else read_task(entry, nullptr);
      }
    });
    return std::move(out_);
  }

 private:
  void add(int line, std::string message) { out_.issues.push_back({line, std::move(message)}); }
  static int line(const YAML::Node& n) { return n.Mark().is_null() ? 0 : n.Mark().line + 1; }

  // Calls fn(name, value) for each field of a mapping, reporting unknown and
  // repeated field names (yaml-cpp would silently keep one of the repeats).
  template <class Fn>
  void for_each_field(const YAML::Node& map, const std::string& what, const std::vector<std::string>& known, Fn fn) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const int at = line(it->first);
      if (!it->first.IsScalar()) {
        add(at, what + " has a field name that is not text");
        continue;
      }
      const std::string name = it->first.Scalar();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        std::string m = closest_match(name, known);
        add(at, "unknown field '" + name + "' in " + what + (m.empty() ? "" : " (did you mean '" + m + "'?)") +
                    "; the fields are " + field_list(known));
        continue;
      }
      if (!seen.insert(name).second) {
        add(at, "field '" + name + "' appears twice in " + what + "; keep one");
        continue;
      }
      fn(name, it->second);
    }
  }

  // Text from a scalar; null (`title:` with nothing) is empty text.
  std::string text(const YAML::Node& value, const std::string& name, const std::string& what) {
    if (value.IsNull()) return "";
    if (!value.IsScalar()) {
      add(line(value), "`" + name + "` of " + what + " must be text, not a list or mapping");
      return "";
    }
    return value.Scalar();
  }

  std::string what_is(const char* kind, const std::string& key) {
    return key.empty() ? std::string("a ") + kind : std::string(kind) + " '" + key + "'";
  }

  // The key first, so messages about the other fields can name the record.
  std::string key_of(const YAML::Node& node) {
    const YAML::Node k = node["key"];
    return k && k.IsScalar() ? k.Scalar() : "";
  }

  void read_epic(const YAML::Node& node) {
    if (!node.IsMap()) {
      add(line(node), "each entry under `epics:` must be a mapping like {key: backend, title: Backend}");
      return;
    }
    PlanEpic e;
    e.line = line(node);
    const std::string what = what_is("epic", key_of(node));
    for_each_field(node, what, kEpicFields, [&](const std::string& name, const YAML::Node& v) {
      if (name == "key") e.key = text(v, name, what);
      else if (name == "title") e.title = text(v, name, what);
      else if (name == "description") e.description = text(v, name, what);
    });
    out_.plan.epics.push_back(std::move(e));
  }

  void read_task(const YAML::Node& node, const PlanTask* parent) {
    if (!node.IsMap()) {
      add(line(node), std::string("each entry under `") + (parent ? "subtasks" : "tasks") +
                          ":` must be a mapping like {key: api, title: Build the API}");
      return;
    }
    PlanTask t;
    t.line = line(node);
    if (parent != nullptr) t.parent = Located{parent->key, t.line};
    const std::string what = what_is(parent ? "sub-task" : "task", key_of(node));
    YAML::Node subtasks;
    for_each_field(node, what, kTaskFields, [&](const std::string& name, const YAML::Node& v) {
      const int at = line(v);
      if (name == "key") t.key = text(v, name, what);
      else if (name == "title") t.title = text(v, name, what);
      else if (name == "description") t.description = text(v, name, what);
      else if (name == "epic") t.epic = Located{text(v, name, what), at};
      else if (name == "agent") t.agent = Located{text(v, name, what), at};
      else if (name == "priority") read_priority(v, what, t);
      else if (name == "max_attempts") read_max_attempts(v, what, t);
      else if (name == "timeout") read_timeout(v, what, t);
      else if (name == "blocked_by") read_blockers(v, what, t);
      else if (name == "touches") read_touches(v, what, t);
      else if (name == "subtasks") subtasks = v;
    });
    out_.plan.tasks.push_back(t);
    if (!subtasks || subtasks.IsNull()) return;
    if (parent != nullptr) {
      add(line(subtasks), what + " has sub-tasks, but a sub-task cannot have sub-tasks; list them under '" +
                              parent->key + "' instead, or make " + what + " a task of its own");
      return;
    }
    if (!subtasks.IsSequence()) {
      add(line(subtasks), "`subtasks` of " + what + " must be a list (entries starting with `- `)");
      return;
    }
    for (const auto& sub : subtasks) read_task(sub, &t);
  }

  void read_priority(const YAML::Node& v, const std::string& what, PlanTask& t) {
    auto p = parse_priority(text(v, "priority", what));
    if (p.ok()) t.priority = *p;
    else add(line(v), "priority of " + what + ": " + p.status().message());
  }

  void read_max_attempts(const YAML::Node& v, const std::string& what, PlanTask& t) {
    int n = 0;
    if (!v.IsScalar() || !YAML::convert<int>::decode(v, n) || n < 1 || n > 100) {
      add(line(v), "max_attempts of " + what + " must be a whole number from 1 to 100");
      return;
    }
    t.max_attempts = n;
  }

  void read_timeout(const YAML::Node& v, const std::string& what, PlanTask& t) {
    auto d = parse_duration(text(v, "timeout", what));
    if (!d.ok() || d->count() <= 0) {
      add(line(v), "timeout of " + what + ": " +
                       (d.ok() ? "must be longer than 0" : d.status().message()));
      return;
    }
    t.timeout_ms = d->count();
  }

  // A list of scalars, each with its line; `kind` ("task keys") and
  // `example` ("[db, schema]") are for the errors.
  void read_scalars(const YAML::Node& v, const std::string& field, const std::string& what, const std::string& kind,
                    const std::string& example, std::vector<Located>& out) {
    if (!v.IsSequence()) {
      add(line(v), field + " of " + what + " must be a list of " + kind + ", like " + example);
      return;
    }
    for (const auto& b : v) {
      if (b.IsScalar()) out.push_back({b.Scalar(), line(b)});
      else add(line(b), field + " of " + what + " must list " + kind + ", not lists or mappings");
    }
  }

  void read_blockers(const YAML::Node& v, const std::string& what, PlanTask& t) {
    if (v.IsNull()) return;
    if (v.IsScalar()) {  // `blocked_by: db` is taken as a list of one
      t.blocked_by.push_back({v.Scalar(), line(v)});
      return;
    }
    read_scalars(v, "blocked_by", what, "task keys", "[db, schema]", t.blocked_by);
  }

  // `touches: [src/parser/**, docs/cli.md]`, or one string ("a/**, b.md").
  void read_touches(const YAML::Node& v, const std::string& what, PlanTask& t) {
    if (v.IsNull()) return;
    if (v.IsScalar()) {
      for (auto& p : split_touches(v.Scalar())) t.touches.push_back({std::move(p), line(v)});
      return;
    }
    read_scalars(v, "touches", what, "paths or globs", "[src/parser/**, docs/cli.md]", t.touches);
  }

  ParsedPlan out_;
};

void emit_text_field(YAML::Emitter& out, const char* name, const std::string& value) {
  out << YAML::Key << name << YAML::Value;
  // Double quotes keep text exactly where a plain scalar would not: newlines,
  // edge spaces, and words a reader takes for null.
  const bool plain_ok = !value.empty() && value.find('\n') == std::string::npos && !std::isspace(static_cast<unsigned char>(value.front())) &&
                        !std::isspace(static_cast<unsigned char>(value.back())) && value != "~" && value != "null" && value != "Null" && value != "NULL";
  if (!plain_ok) out << YAML::DoubleQuoted;
  out << value;
}

using SubtaskMap = std::map<std::string, std::vector<const PlanTask*>>;

void emit_task(YAML::Emitter& out, const SubtaskMap& subtasks, const PlanTask& t) {
  out << YAML::BeginMap;
  out << YAML::Key << "key" << YAML::Value << t.key;
  emit_text_field(out, "title", t.title);
  if (!t.description.empty()) emit_text_field(out, "description", t.description);
  if (t.epic) out << YAML::Key << "epic" << YAML::Value << t.epic->value;
  if (t.priority != kPriorityNormal) out << YAML::Key << "priority" << YAML::Value << priority_name(t.priority);
  if (t.agent) out << YAML::Key << "agent" << YAML::Value << t.agent->value;
  if (t.max_attempts > 0) out << YAML::Key << "max_attempts" << YAML::Value << t.max_attempts;
  if (t.timeout_ms > 0) out << YAML::Key << "timeout" << YAML::Value << exact_duration(t.timeout_ms);
  if (!t.blocked_by.empty()) {
    out << YAML::Key << "blocked_by" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& b : t.blocked_by) out << b.value;
    out << YAML::EndSeq;
  }
  if (!t.touches.empty()) {
    out << YAML::Key << "touches" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& p : t.touches) out << YAML::DoubleQuoted << p.value;
    out << YAML::EndSeq;
  }
  auto subs = subtasks.find(t.key);
  if (!t.parent && subs != subtasks.end()) {
    out << YAML::Key << "subtasks" << YAML::Value << YAML::BeginSeq;
    for (const PlanTask* s : subs->second) emit_task(out, subtasks, *s);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
}

}  // namespace

ParsedPlan read_yaml_plan(const std::string& text) { return YamlPlanReader().read(text); }

std::string write_yaml_plan(const Plan& plan) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "epics" << YAML::Value << YAML::BeginSeq;
  for (const auto& e : plan.epics) {
    out << YAML::BeginMap << YAML::Key << "key" << YAML::Value << e.key;
    emit_text_field(out, "title", e.title);
    if (!e.description.empty()) emit_text_field(out, "description", e.description);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "tasks" << YAML::Value << YAML::BeginSeq;
  const SubtaskMap subtasks = subtasks_by_parent(plan);
  for (const auto& t : plan.tasks)
    if (!t.parent) emit_task(out, subtasks, t);
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string("# Drover plan: `drover import <this file>` recreates these epics and tasks.\n") + out.c_str() + "\n";
}

}  // namespace drover::plan
