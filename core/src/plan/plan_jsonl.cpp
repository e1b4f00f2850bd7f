#include "drover/plan/plan_jsonl.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "drover/common/duration.h"
#include "drover/config/config.h"

namespace drover::plan {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kEpicFields = {"type", "id", "title", "description"};
const std::vector<std::string> kStoryFields = {"type",     "id",         "title", "description",  "priority",
                                               "epic_id",  "blocked_by", "agent", "max_attempts", "timeout",
                                               "touches"};
const std::vector<std::string> kTaskFields = {"type",       "id",    "title",        "description", "priority", "epic_id",
                                              "blocked_by", "agent", "max_attempts", "timeout",     "story_id",
                                              "touches"};

std::string field_list(const std::vector<std::string>& fields) {
  std::string text;
  for (const auto& f : fields) text += (text.empty() ? "" : ", ") + f;
  return text;
}

class JsonlPlanReader {
 public:
  ParsedPlan read(const std::string& text) {
    std::istringstream in(text);
    int number = 0;
    for (std::string raw; std::getline(in, raw);) {
      ++number;
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      auto first = raw.find_first_not_of(" \t");
      if (first == std::string::npos || raw[first] == '#') continue;
      read_line(raw, number);
    }
    check_stories();
    return std::move(out_);
  }

 private:
  void add(int line, std::string message) { out_.issues.push_back({line, std::move(message)}); }

  void read_line(const std::string& raw, int line) {
    json record;
    try {
      record = json::parse(raw);
    } catch (const json::parse_error& e) {
      // The parser counts lines within this one line; keep only its column and reason.
      std::string why = e.what();
      if (auto at = why.find("column "); at != std::string::npos) why = why.substr(at);
      add(line, "not valid JSON at " + why + "; each line must be one JSON object");
      return;
    }
    if (!record.is_object()) {
      add(line, "each line must be a JSON object like {\"type\": \"task\", \"id\": \"T1\", \"title\": \"...\"}");
      return;
    }
    auto type_it = record.find("type");
    const std::string type = type_it != record.end() && type_it->is_string() ? type_it->get<std::string>() : "";
    if (type != "epic" && type != "story" && type != "task") {
      add(line, std::string("\"type\" must be \"epic\", \"story\" or \"task\"") +
                    (type_it == record.end() ? " (it is missing)" : ", not " + type_it->dump()));
      return;
    }
    const std::string key = id_text(record, "id", line, type).value_or("");
    const std::string what = type + (key.empty() ? "" : " '" + key + "'");
    check_fields(record, type, what, line);  // reported; the rest of the record is still read
    types_[key] = type;

    if (type == "epic") {
      PlanEpic e;
      e.key = key;
      e.line = line;
      e.title = text(record, "title", what, line);
      e.description = text(record, "description", what, line);
      out_.plan.epics.push_back(std::move(e));
      return;
    }
    PlanTask t;
    t.key = key;
    t.line = line;
    t.title = text(record, "title", what, line);
    t.description = text(record, "description", what, line);
    if (auto epic = id_text(record, "epic_id", line, what)) t.epic = Located{*epic, line};
    if (type == "task")
      if (auto story = id_text(record, "story_id", line, what)) t.parent = Located{*story, line};
    if (record.contains("agent")) t.agent = Located{text(record, "agent", what, line), line};
    read_priority(record, what, line, t);
    read_max_attempts(record, what, line, t);
    read_timeout(record, what, line, t);
    read_blockers(record, what, line, t);
    read_touches(record, what, line, t);
    out_.plan.tasks.push_back(std::move(t));
  }

  // Unknown fields are refused: a misspelt field would otherwise be dropped.
  void check_fields(const json& record, const std::string& type, const std::string& what, int line) {
    const auto& known = type == "epic" ? kEpicFields : type == "story" ? kStoryFields : kTaskFields;
    for (const auto& [name, value] : record.items()) {
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      if (type == "story" && name == "story_id") {
        add(line, what + " has a story_id, but a story cannot belong to a story (a sub-task cannot have "
                         "sub-tasks); make it a \"task\" with that story_id, or drop story_id");
        continue;
      }
      std::string m = closest_match(name, known);
      add(line, "unknown field \"" + name + "\" in " + what + (m.empty() ? "" : " (did you mean \"" + m + "\"?)") +
                    "; the fields of a " + type + " are " + field_list(known));
    }
  }

  // A key or reference: a string or an integer (written as text).
  std::optional<std::string> id_text(const json& record, const char* name, int line, const std::string& what) {
    auto it = record.find(name);
    if (it == record.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    add(line, std::string("\"") + name + "\" of " + what + " must be a string or an integer");
    return std::nullopt;
  }

  std::string text(const json& record, const char* name, const std::string& what, int line) {
    auto it = record.find(name);
    if (it == record.end() || it->is_null()) return "";
    if (it->is_string()) return it->get<std::string>();
    add(line, std::string("\"") + name + "\" of " + what + " must be a string");
    return "";
  }

  void read_priority(const json& record, const std::string& what, int line, PlanTask& t) {
    auto it = record.find("priority");
    if (it == record.end() || it->is_null()) return;
    if (it->is_number_integer()) {
      t.priority = it->get<int>();
      return;
    }
    auto p = it->is_string() ? parse_priority(it->get<std::string>())
                             : Result<int>(Status::InvalidArgument(it->dump() + " is not a priority; use a whole "
                                                                   "number or critical, high, normal, low"));
    if (p.ok()) t.priority = *p;
    else add(line, "\"priority\" of " + what + ": " + p.status().message());
  }

  void read_max_attempts(const json& record, const std::string& what, int line, PlanTask& t) {
    auto it = record.find("max_attempts");
    if (it == record.end() || it->is_null()) return;
    if (!it->is_number_integer() || it->get<long long>() < 1 || it->get<long long>() > 100) {
      add(line, "\"max_attempts\" of " + what + " must be a whole number from 1 to 100");
      return;
    }
    t.max_attempts = it->get<int>();
  }

  void read_timeout(const json& record, const std::string& what, int line, PlanTask& t) {
    auto it = record.find("timeout");
    if (it == record.end() || it->is_null()) return;
    Result<std::chrono::milliseconds> d = Status::InvalidArgument(it->dump() + " is not a duration; write it like \"30m\"");
    if (it->is_string()) d = parse_duration(it->get<std::string>());
    else if (it->is_number_unsigned()) d = parse_duration(std::to_string(it->get<unsigned long long>()));
    if (!d.ok() || d->count() <= 0) {
      add(line, "\"timeout\" of " + what + ": " + (d.ok() ? "must be longer than 0" : d.status().message()));
      return;
    }
    t.timeout_ms = d->count();
  }

  void read_blockers(const json& record, const std::string& what, int line, PlanTask& t) {
    auto it = record.find("blocked_by");
    if (it == record.end() || it->is_null()) return;
    if (!it->is_array()) {
      add(line, "\"blocked_by\" of " + what + " must be a list of ids, like [\"T1\", \"T2\"]");
      return;
    }
    for (const auto& b : *it) {
      if (b.is_string()) t.blocked_by.push_back({b.get<std::string>(), line});
      else if (b.is_number_integer()) t.blocked_by.push_back({std::to_string(b.get<long long>()), line});
      else add(line, "\"blocked_by\" of " + what + " must list ids (strings or integers), not " + b.dump());
    }
  }

  void read_touches(const json& record, const std::string& what, int line, PlanTask& t) {
    auto it = record.find("touches");
    if (it == record.end() || it->is_null()) return;
    if (!it->is_array()) {
      add(line, "\"touches\" of " + what + " must be a list of paths or globs, like [\"src/parser/**\", \"docs/cli.md\"]");
      return;
    }
    for (const auto& p : *it) {
      if (p.is_string()) t.touches.push_back({p.get<std::string>(), line});
      else add(line, "\"touches\" of " + what + " must list paths or globs (strings), not " + p.dump());
    }
  }

  // "story_id" must name a story: a task cannot hold tasks (Drover's sub-tasks
  // cannot have sub-tasks), and an epic is named with "epic_id".
  void check_stories() {
    for (const auto& t : out_.plan.tasks) {
      if (!t.parent) continue;
      auto it = types_.find(t.parent->value);
      if (it == types_.end() || it->second == "story") continue;  // unknown ids are validate_plan's to report
      if (it->second == "epic") {
        add(t.line, "task '" + t.key + "' has story_id '" + t.parent->value + "', which is an epic; use "
                    "\"epic_id\" for epics");
      } else {
        add(t.line, "task '" + t.key + "' has story_id '" + t.parent->value + "', which is a task, not a story; "
                    "only a story can hold tasks (a sub-task cannot have sub-tasks): make '" + t.parent->value +
                    "' a \"story\"");
      }
    }
    // validate_plan() would report these again as unknown parents.
    for (auto& t : out_.plan.tasks) {
      if (!t.parent) continue;
      auto it = types_.find(t.parent->value);
      if (it != types_.end() && it->second != "story") t.parent.reset();
    }
  }

  ParsedPlan out_;
  std::map<std::string, std::string> types_;  // id -> record type
};

// ordered_json keeps the fields in a readable order (type and id first).
nlohmann::ordered_json task_record(const PlanTask& t, const char* type) {
  nlohmann::ordered_json r = {{"type", type}, {"id", t.key}, {"title", t.title}};
  if (!t.description.empty()) r["description"] = t.description;
  if (t.priority != kPriorityNormal) r["priority"] = t.priority;
  if (t.epic) r["epic_id"] = t.epic->value;
  if (t.parent) r["story_id"] = t.parent->value;
  if (!t.blocked_by.empty()) {
    nlohmann::ordered_json ids = nlohmann::ordered_json::array();
    for (const auto& b : t.blocked_by) ids.push_back(b.value);
    r["blocked_by"] = ids;
  }
  if (t.agent) r["agent"] = t.agent->value;
  if (t.max_attempts > 0) r["max_attempts"] = t.max_attempts;
  if (t.timeout_ms > 0) r["timeout"] = exact_duration(t.timeout_ms);
  if (!t.touches.empty()) {
    nlohmann::ordered_json paths = nlohmann::ordered_json::array();
    for (const auto& p : t.touches) paths.push_back(p.value);
    r["touches"] = paths;
  }
  return r;
}

}  // namespace

ParsedPlan read_jsonl_plan(const std::string& text) { return JsonlPlanReader().read(text); }

std::string write_jsonl_plan(const Plan& plan) {
  std::string out = "# Drover plan (JSON Lines): `drover import <this file>` recreates these epics and tasks.\n";
  for (const auto& e : plan.epics) {
    nlohmann::ordered_json r = {{"type", "epic"}, {"id", e.key}, {"title", e.title}};
    if (!e.description.empty()) r["description"] = e.description;
    out += r.dump() + "\n";
  }
  const auto subtasks = subtasks_by_parent(plan);
  for (const auto& t : plan.tasks) {
    if (t.parent) continue;
    auto subs = subtasks.find(t.key);
    out += task_record(t, subs == subtasks.end() ? "task" : "story").dump() + "\n";
    if (subs == subtasks.end()) continue;
    for (const PlanTask* s : subs->second) out += task_record(*s, "task").dump() + "\n";
  }
  return out;
}

}  // namespace drover::plan
