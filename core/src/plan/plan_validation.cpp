#include "drover/plan/plan_validation.h"

#include <algorithm>
#include <iterator>
#include <map>

#include "drover/common/path_glob.h"
#include "drover/config/config.h"
#include "drover/model/task_text.h"
#include "drover/plan/plan_graph.h"

namespace drover::plan {
namespace {

// The store's limits (storage.h): checked here so an import is refused whole
// rather than stopping halfway.
constexpr size_t kMaxTitleBytes = 1000;
constexpr size_t kMaxDescriptionBytes = 1 << 20;

// Well-formed UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates,
// nothing past U+10FFFF (what the store and the JSON layer accept).
bool valid_utf8(const std::string& s) {
  const size_t n = s.size();
  auto in = [&](size_t k, unsigned lo, unsigned hi) {
    return k < n && static_cast<unsigned char>(s[k]) >= lo && static_cast<unsigned char>(s[k]) <= hi;
  };
  size_t i = 0;
  while (i < n) {
    const unsigned c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return false;
    if (len > 1 && !in(i + 1, lo, hi)) return false;
    for (size_t k = 2; k < len; ++k)
      if (!in(i + k, 0x80, 0xBF)) return false;
    i += len;
  }
  return true;
}

std::string hint(const std::string& word, const std::vector<std::string>& candidates) {
  std::string m = closest_match(word, candidates);
  return m.empty() ? "" : " (did you mean '" + m + "'?)";
}

class Validator {
 public:
  Validator(const Plan& plan, const ValidationOptions& options) : plan_(plan), options_(options) {}

  std::vector<PlanIssue> run() {
    collect_keys();
    for (const auto& e : plan_.epics) check_text("epic '" + e.key + "'", e.line, e.title, e.description);
    for (const auto& t : plan_.tasks) {
      check_text("task '" + t.key + "'", t.line, t.title, t.description);
      check_references(t);
      check_touches(t);
    }
    check_cycles();
    return std::move(issues_);
  }

 private:
  void add(int line, std::string message) { issues_.push_back({line, std::move(message)}); }

  void collect_keys() {
    // Epic and task keys share one namespace, so a reference is never ambiguous.
    auto claim = [&](const std::string& key, int line, const char* what) {
      if (key.empty()) {
        add(line, std::string(what) + " has an empty key; give every record a unique key");
        return;
      }
      if (Status st = check_task_text("key", key); !st.ok()) add(line, std::string(what) + ": " + st.message());
      auto [it, fresh] = first_line_.emplace(key, line);
      if (!fresh) {
        add(line, "key '" + key + "' is used again (first at line " + std::to_string(it->second) +
                      "); keys must be unique in the file, rename one of them");
      }
    };
    for (const auto& e : plan_.epics) {
      claim(e.key, e.line, "an epic");
      epics_.emplace(e.key, &e);
      epic_keys_.push_back(e.key);
    }
    for (const auto& t : plan_.tasks) {
      claim(t.key, t.line, "a task");
      tasks_.emplace(t.key, &t);
      task_keys_.push_back(t.key);
    }
  }

  void check_text(const std::string& what, int line, const std::string& title, const std::string& description) {
    if (title.empty()) add(line, what + " has no title; add `title: ...`");
    if (title.size() > kMaxTitleBytes)
      add(line, what + " has a title of " + std::to_string(title.size()) + " bytes; the limit is 1000, move details "
                "into the description");
    if (description.size() > kMaxDescriptionBytes)
      add(line, what + " has a description over 1 MiB; shorten it or point to a file in the repository");
    if (!valid_utf8(title) || !valid_utf8(description))
      add(line, what + " has text that is not valid UTF-8; save the file as UTF-8");
    for (Status st : {check_task_text("title", title), check_task_text("description", description)})
      if (!st.ok()) add(line, what + ": " + st.message());
  }

  void check_touches(const PlanTask& t) {
    for (const auto& p : t.touches)
      if (auto problem = touches_problem({p.value}, "touches of task '" + t.key + "'")) add(p.line, *problem);
  }

  void check_references(const PlanTask& t) {
    const std::string who = "task '" + t.key + "'";
    if (t.epic && !epics_.count(t.epic->value)) {
      add(t.epic->line, who + " names epic '" + t.epic->value + "', which is not in the file" +
                            (tasks_.count(t.epic->value) ? " ('" + t.epic->value + "' is a task)" : hint(t.epic->value, epic_keys_)) +
                            "; add the epic under `epics:` or fix the key");
    }
    if (t.parent) {
      auto p = tasks_.find(t.parent->value);
      if (p == tasks_.end()) {
        add(t.parent->line, who + " is a sub-task of '" + t.parent->value + "', which is not a task in the file" +
                                hint(t.parent->value, task_keys_) + "; fix the key");
      } else if (p->second->parent) {
        add(t.parent->line, who + " is a sub-task of '" + t.parent->value + "', which is itself a sub-task of '" +
                                p->second->parent->value + "'; a sub-task cannot have sub-tasks, make '" + t.key +
                                "' a sub-task of '" + p->second->parent->value + "' or a task of its own");
      }
    }
    for (const auto& b : t.blocked_by) {
      if (b.value == t.key) {
        add(b.line, who + " is blocked by itself; remove '" + b.value + "' from its blocked_by");
      } else if (epics_.count(b.value) && !tasks_.count(b.value)) {
        add(b.line, who + " is blocked by '" + b.value + "', which is an epic; blocked_by lists task keys");
      } else if (!tasks_.count(b.value)) {
        std::vector<std::string> others;  // a task's own key is no useful hint
        std::copy_if(task_keys_.begin(), task_keys_.end(), std::back_inserter(others),
                     [&](const std::string& k) { return k != t.key; });
        add(b.line, who + " is blocked by '" + b.value + "', which is not a task in the file" + hint(b.value, others) +
                        "; add that task or fix the key");
      }
    }
    if (t.agent && !options_.known_agents.empty() &&
        std::find(options_.known_agents.begin(), options_.known_agents.end(), t.agent->value) ==
            options_.known_agents.end()) {
      add(t.agent->line, who + " names agent '" + t.agent->value + "', which drover.yaml does not configure" +
                             hint(t.agent->value, options_.known_agents) + "; use one of the agents under `agents:`");
    }
  }

  void check_cycles() {
    std::vector<std::string> cycle = find_cycle(plan_graph(plan_));
    if (cycle.empty()) return;
    // Point at the first explicit blocked_by entry on the cycle; the other
    // edges may be the implicit sub-task ordering.
    int line = 0;
    bool implicit = false;
    for (size_t i = 0; i + 1 < cycle.size(); ++i) {
      const PlanTask& t = *tasks_.at(cycle[i]);
      auto b = std::find_if(t.blocked_by.begin(), t.blocked_by.end(), [&](const Located& l) { return l.value == cycle[i + 1]; });
      if (b == t.blocked_by.end()) implicit = true;
      else if (line == 0) line = b->line;
    }
    add(line, "dependency cycle: " + cycle_text(cycle) + " (each waits for the next" +
                  (implicit ? "; a parent waits for its sub-tasks, and each sub-task for the one before it" : "") +
                  "); remove one of these blocked_by entries");
  }

  const Plan& plan_;
  const ValidationOptions& options_;
  std::vector<PlanIssue> issues_;
  std::map<std::string, int> first_line_;
  std::map<std::string, const PlanEpic*> epics_;
  std::map<std::string, const PlanTask*> tasks_;
  std::vector<std::string> epic_keys_, task_keys_;
};

}  // namespace

std::vector<PlanIssue> validate_plan(const Plan& plan, const ValidationOptions& options) {
  return Validator(plan, options).run();
}

}  // namespace drover::plan
