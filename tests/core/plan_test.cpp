// Plans: reading YAML and JSON Lines, validation, writing, store records and
// the import order, without a store (a fake one records the calls).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "drover/plan/plan_file.h"
#include "drover/plan/plan_graph.h"
#include "drover/plan/plan_import.h"
#include "drover/plan/plan_jsonl.h"
#include "drover/plan/plan_records.h"
#include "drover/plan/plan_validation.h"
#include "drover/plan/plan_yaml.h"

namespace drover::plan {
namespace {

// Every issue of reading and validating, as "line: message" for matching.
std::vector<std::string> problems(const ParsedPlan& parsed, const ValidationOptions& options = {}) {
  auto issues = parsed.issues;
  auto more = validate_plan(parsed.plan, options);
  issues.insert(issues.end(), more.begin(), more.end());
  std::stable_sort(issues.begin(), issues.end(), [](const PlanIssue& a, const PlanIssue& b) { return a.line < b.line; });
  std::vector<std::string> out;
  for (const auto& i : issues) out.push_back(std::to_string(i.line) + ": " + i.message);
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

// True if exactly one problem is reported, at that line, containing every fragment.
::testing::AssertionResult one_problem(const std::vector<std::string>& got, int line,
                                       std::initializer_list<std::string> fragments) {
  if (got.size() != 1) return ::testing::AssertionFailure() << "expected one problem, got:\n" << joined(got);
  if (got[0].rfind(std::to_string(line) + ": ", 0) != 0)
    return ::testing::AssertionFailure() << "expected line " << line << ", got: " << got[0];
  for (const auto& f : fragments)
    if (got[0].find(f) == std::string::npos) return ::testing::AssertionFailure() << "missing '" << f << "' in: " << got[0];
  return ::testing::AssertionSuccess();
}

const PlanTask* find(const Plan& p, const std::string& key) {
  for (const auto& t : p.tasks)
    if (t.key == key) return &t;
  return nullptr;
}

std::vector<std::string> keys(const std::vector<Located>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.value);
  return out;
}

const char* kYamlPlan = R"(epics:
  - key: backend
    title: Backend
    description: Server side
tasks:
  - key: db
    title: Schema
    epic: backend
    priority: critical
  - key: api
    title: Build the API
    description: |
      REST endpoints
    epic: backend
    priority: 3
    agent: claude
    max_attempts: 2
    timeout: 30m
    blocked_by: [db]
    subtasks:
      - key: routes
        title: Routes
      - {key: handlers, title: Handlers, priority: low, blocked_by: db}
  - key: docs
    title: Docs
    blocked_by:
      - api
)";

TEST(PlanYaml, ReadsEpicsTasksAndSubtasksWithLines) {
  ParsedPlan parsed = read_yaml_plan(kYamlPlan);
  ASSERT_TRUE(parsed.issues.empty()) << joined(problems(parsed));
  EXPECT_TRUE(problems(parsed).empty()) << joined(problems(parsed));
  const Plan& p = parsed.plan;
  ASSERT_EQ(p.epics.size(), 1u);
  EXPECT_EQ(p.epics[0].key, "backend");
  EXPECT_EQ(p.epics[0].description, "Server side");
  EXPECT_EQ(p.epics[0].line, 2);
  ASSERT_EQ(p.tasks.size(), 5u);
  // Sub-tasks follow their parent, in order.
  EXPECT_EQ(p.tasks[1].key, "api");
  EXPECT_EQ(p.tasks[2].key, "routes");
  EXPECT_EQ(p.tasks[3].key, "handlers");
  const PlanTask& api = *find(p, "api");
  EXPECT_EQ(api.line, 10);
  EXPECT_EQ(api.description, "REST endpoints\n");
  EXPECT_EQ(api.priority, kPriorityCritical);
  ASSERT_TRUE(api.agent);
  EXPECT_EQ(api.agent->value, "claude");
  EXPECT_EQ(api.max_attempts, 2);
  EXPECT_EQ(api.timeout_ms, 30 * 60 * 1000);
  EXPECT_EQ(keys(api.blocked_by), std::vector<std::string>{"db"});
  EXPECT_EQ(api.blocked_by[0].line, 19);
  EXPECT_EQ(find(p, "db")->priority, kPriorityCritical);
  const PlanTask& handlers = *find(p, "handlers");
  ASSERT_TRUE(handlers.parent);
  EXPECT_EQ(handlers.parent->value, "api");
  EXPECT_EQ(handlers.priority, kPriorityLow);
  EXPECT_EQ(keys(handlers.blocked_by), std::vector<std::string>{"db"});
  EXPECT_FALSE(find(p, "routes")->epic);  // inherited from the parent by the store
  EXPECT_EQ(find(p, "docs")->priority, kPriorityNormal);
  EXPECT_EQ(keys(find(p, "docs")->blocked_by), std::vector<std::string>{"api"});
}

TEST(PlanYaml, EmptyFileIsAnEmptyPlan) {
  ParsedPlan parsed = read_yaml_plan("");
  EXPECT_TRUE(parsed.issues.empty());
  EXPECT_TRUE(parsed.plan.tasks.empty());
}

TEST(PlanYaml, SyntaxErrorHasItsLine) {
  auto got = problems(read_yaml_plan("tasks:\n  - key: a\n    title: [unclosed\n"));
  ASSERT_EQ(got.size(), 1u) << joined(got);
  EXPECT_NE(got[0].find("not valid YAML"), std::string::npos) << got[0];
}

TEST(PlanYaml, UnknownFieldIsReportedWithAHint) {
  auto got = problems(read_yaml_plan("tasks:\n  - key: a\n    title: A\n    blocked-by: [b]\n"));
  EXPECT_TRUE(one_problem(got, 4, {"unknown field 'blocked-by'", "did you mean 'blocked_by'"}));
}

TEST(PlanYaml, UnknownTopLevelField) {
  auto got = problems(read_yaml_plan("task:\n  - key: a\n    title: A\n"));
  EXPECT_TRUE(one_problem(got, 1, {"unknown field 'task'", "did you mean 'tasks'"}));
}

TEST(PlanYaml, RepeatedFieldIsReported) {
  auto got = problems(read_yaml_plan("tasks:\n  - key: a\n    title: A\n    title: B\n"));
  EXPECT_TRUE(one_problem(got, 4, {"field 'title' appears twice", "task 'a'"}));
}

TEST(PlanYaml, BadPriorityMaxAttemptsAndTimeout) {
  auto got = problems(read_yaml_plan("tasks:\n  - key: a\n    title: A\n    priority: urgent\n"
                                     "  - key: b\n    title: B\n    max_attempts: 0\n"
                                     "  - key: c\n    title: C\n    timeout: soon\n"));
  ASSERT_EQ(got.size(), 3u) << joined(got);
  EXPECT_NE(got[0].find("4: priority of task 'a': 'urgent' is not a priority"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("7: max_attempts of task 'b' must be a whole number from 1 to 100"), std::string::npos) << got[1];
  EXPECT_NE(got[2].find("10: timeout of task 'c': 'soon' is not a duration"), std::string::npos) << got[2];
}

TEST(PlanYaml, SubtaskOfSubtaskIsRefused) {
  auto got = problems(read_yaml_plan("tasks:\n  - key: p\n    title: P\n    subtasks:\n"
                                     "      - key: s\n        title: S\n        subtasks:\n"
                                     "          - {key: x, title: X}\n"));
  EXPECT_TRUE(one_problem(got, 8, {"sub-task 's' has sub-tasks", "cannot have sub-tasks", "under 'p'"}));
}

TEST(PlanYaml, EntriesMustBeMappings) {
  auto got = problems(read_yaml_plan("tasks:\n  - just a title\n"));
  EXPECT_TRUE(one_problem(got, 2, {"must be a mapping"}));
}

TEST(PlanValidation, DuplicateKeysNameBothLines) {
  auto got = problems(read_yaml_plan("epics:\n  - {key: a, title: Epic}\ntasks:\n  - {key: b, title: B}\n  - {key: a, title: A}\n"));
  EXPECT_TRUE(one_problem(got, 5, {"key 'a' is used again (first at line 2)", "unique"}));
}

TEST(PlanValidation, UnknownReferences) {
  auto got = problems(read_yaml_plan("epics:\n  - {key: backend, title: Backend}\n"
                                     "tasks:\n  - {key: db, title: DB, epic: backnd}\n"
                                     "  - key: api\n    title: API\n    blocked_by: [dbb, backend]\n"
                                     "  - {key: me, title: Me, blocked_by: [me]}\n"));
  ASSERT_EQ(got.size(), 4u) << joined(got);
  EXPECT_NE(got[0].find("4: task 'db' names epic 'backnd', which is not in the file (did you mean 'backend'?)"),
            std::string::npos) << got[0];
  EXPECT_NE(got[1].find("7: task 'api' is blocked by 'dbb', which is not a task in the file (did you mean 'db'?)"),
            std::string::npos) << got[1];
  EXPECT_NE(got[2].find("7: task 'api' is blocked by 'backend', which is an epic"), std::string::npos) << got[2];
  EXPECT_NE(got[3].find("8: task 'me' is blocked by itself"), std::string::npos) << got[3];
}

TEST(PlanValidation, MissingTitleAndKey) {
  auto got = problems(read_yaml_plan("tasks:\n  - {key: a}\n  - {title: No key}\n"));
  ASSERT_EQ(got.size(), 2u) << joined(got);
  EXPECT_NE(got[0].find("2: task 'a' has no title"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("3: a task has an empty key"), std::string::npos) << got[1];
}

TEST(PlanValidation, UnknownAgentWhenAgentsAreKnown) {
  ParsedPlan parsed = read_yaml_plan("tasks:\n  - key: a\n    title: A\n    agent: claud\n");
  EXPECT_TRUE(problems(parsed).empty());
  auto got = problems(parsed, ValidationOptions{{"claude", "codex"}});
  EXPECT_TRUE(one_problem(got, 4, {"agent 'claud'", "did you mean 'claude'"}));
}

TEST(PlanValidation, InvalidUtf8IsRefused) {
  auto got = problems(read_yaml_plan("tasks:\n  - {key: a, title: \"bad \xC3\x28 text\"}\n"));
  EXPECT_TRUE(one_problem(got, 2, {"not valid UTF-8"}));
  EXPECT_TRUE(problems(read_yaml_plan("tasks:\n  - {key: a, title: \"caf\xC3\xA9 \xE2\x9C\x93\"}\n")).empty());
}

// {"title":"before\u0000after"} was imported, and every attempt then failed
// at commit. NUL and control characters other than newline and tab are
// refused in titles, descriptions and keys, each at its line.
TEST(PlanValidation, NulAndControlCharactersAreRefused) {
  auto got = problems(read_jsonl_plan("{\"type\": \"task\", \"id\": \"a\", \"title\": \"before\\u0000after\"}\n"
                                      "{\"type\": \"task\", \"id\": \"b\", \"title\": \"B\", \"description\": \"x\\u001b[2J\"}\n"
                                      "{\"type\": \"task\", \"id\": \"c\\u0007\", \"title\": \"C\"}\n"
                                      "{\"type\": \"epic\", \"id\": \"e\", \"title\": \"E\\r\"}\n"
                                      "{\"type\": \"task\", \"id\": \"d\", \"title\": \"D\", \"description\": \"two\\nlines\\tand a tab\"}\n"));
  ASSERT_EQ(got.size(), 4u) << joined(got);
  EXPECT_NE(got[0].find("1: task 'a': title contains a NUL byte at byte 6; remove it"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("2: task 'b': description contains the control character \\e at byte 1"), std::string::npos)
      << got[1];
  EXPECT_NE(got[2].find("3: a task: key contains the control character \\x07"), std::string::npos) << got[2];
  EXPECT_NE(got[3].find("4: epic 'e': title contains the control character \\r"), std::string::npos) << got[3];
}

TEST(PlanValidation, CycleIsReportedAtABlockedByEntry) {
  auto got = problems(read_yaml_plan("tasks:\n  - key: a\n    title: A\n    blocked_by: [c]\n"
                                     "  - {key: b, title: B, blocked_by: [a]}\n  - {key: c, title: C, blocked_by: [b]}\n"));
  EXPECT_TRUE(one_problem(got, 4, {"dependency cycle: a -> c -> b -> a", "remove one of these blocked_by entries"}));
}

TEST(PlanValidation, CycleThroughSubtaskOrderingIsFound) {
  // The first sub-task waiting for the second: the second already waits for the first.
  auto got = problems(read_yaml_plan("tasks:\n  - key: p\n    title: P\n    subtasks:\n"
                                     "      - {key: s1, title: S1, blocked_by: [s2]}\n      - {key: s2, title: S2}\n"));
  EXPECT_TRUE(one_problem(got, 5, {"dependency cycle: ", "s1 -> s2", "a parent waits for its sub-tasks"}));
  // A sub-task waiting for its own parent.
  got = problems(read_yaml_plan("tasks:\n  - key: p\n    title: P\n    subtasks:\n      - {key: s, title: S, blocked_by: [p]}\n"));
  EXPECT_TRUE(one_problem(got, 5, {"dependency cycle: ", "s -> p", "p -> s"}));
}

TEST(PlanValidation, ParentBlockedByATaskThatWaitsForItsSubtaskIsFine) {
  // p waits for x, x waits for s (a sub-task of p): no cycle, though p must be
  // created before s and x after s.
  ParsedPlan parsed = read_yaml_plan("tasks:\n  - key: p\n    title: P\n    blocked_by: [x]\n"
                                     "    subtasks:\n      - {key: s, title: S}\n"
                                     "  - {key: x, title: X, blocked_by: [s]}\n");
  EXPECT_TRUE(problems(parsed).empty()) << joined(problems(parsed));
  CreationOrder order = creation_order(parsed.plan);
  ASSERT_EQ(order.tasks.size(), 3u);
  EXPECT_EQ(order.tasks[0]->key, "p");
  EXPECT_EQ(order.tasks[1]->key, "s");
  EXPECT_EQ(order.tasks[2]->key, "x");
  EXPECT_EQ(order.deferred, (std::vector<std::pair<std::string, std::string>>{{"p", "x"}}));
}

const char* kJsonlPlan =
    "# a plan in the original format\n"
    "{\"type\": \"epic\", \"id\": \"E1\", \"title\": \"Backend\"}\n"
    "\n"
    "{\"type\": \"story\", \"id\": \"S1\", \"title\": \"API\", \"epic_id\": \"E1\", \"priority\": \"high\", \"blocked_by\": [\"T0\"]}\n"
    "  # indented comment\n"
    "{\"type\": \"task\", \"id\": \"T1\", \"title\": \"Routes\", \"story_id\": \"S1\"}\n"
    "{\"type\": \"task\", \"id\": \"T2\", \"title\": \"Handlers\", \"story_id\": \"S1\", \"agent\": \"codex\"}\n"
    "{\"type\": \"task\", \"id\": \"T0\", \"title\": \"Schema\", \"epic_id\": \"E1\", \"priority\": 3, \"timeout\": 90}\r\n"
    "{\"type\": \"task\", \"id\": 7, \"title\": \"Docs\", \"blocked_by\": [\"S1\"], \"max_attempts\": 4}\n";

TEST(PlanJsonl, MapsStoriesToParentsAndTasksToSubtasks) {
  ParsedPlan parsed = read_jsonl_plan(kJsonlPlan);
  ASSERT_TRUE(problems(parsed).empty()) << joined(problems(parsed));
  const Plan& p = parsed.plan;
  ASSERT_EQ(p.epics.size(), 1u);
  EXPECT_EQ(p.epics[0].line, 2);
  ASSERT_EQ(p.tasks.size(), 5u);
  const PlanTask& story = *find(p, "S1");
  EXPECT_EQ(story.line, 4);
  EXPECT_FALSE(story.parent);
  EXPECT_EQ(story.priority, kPriorityHigh);
  EXPECT_EQ(story.epic->value, "E1");
  auto subs = subtasks_of(p, "S1");
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[0]->key, "T1");
  EXPECT_EQ(subs[1]->key, "T2");
  EXPECT_EQ(subs[1]->agent->value, "codex");
  EXPECT_EQ(find(p, "T0")->priority, 3);
  EXPECT_EQ(find(p, "T0")->timeout_ms, 90000);
  EXPECT_EQ(find(p, "7")->max_attempts, 4);
  EXPECT_EQ(find(p, "7")->line, 9);
}

TEST(PlanJsonl, ProblemsHaveTheirLineNumbers) {
  auto got = problems(read_jsonl_plan("# comment\n"
                                      "{\"type\": \"task\", \"id\": \"a\", \"title\": \"A\"\n"
                                      "{\"type\": \"job\", \"id\": \"b\"}\n"
                                      "{\"type\": \"task\", \"id\": \"c\", \"title\": \"C\", \"blockers\": [\"a\"]}\n"
                                      "{\"type\": \"task\", \"id\": \"d\", \"title\": \"D\", \"priority\": \"asap\"}\n"
                                      "[1, 2]\n"));
  ASSERT_EQ(got.size(), 5u) << joined(got);
  EXPECT_NE(got[0].find("2: not valid JSON"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("3: \"type\" must be"), std::string::npos) << got[1];
  EXPECT_NE(got[2].find("4: unknown field \"blockers\" in task 'c'"), std::string::npos) << got[2];
  EXPECT_NE(got[3].find("5: \"priority\" of task 'd': 'asap' is not a priority"), std::string::npos) << got[3];
  EXPECT_NE(got[4].find("6: each line must be a JSON object"), std::string::npos) << got[4];
}

TEST(PlanJsonl, SubtaskOfSubtaskIsRefused) {
  auto got = problems(read_jsonl_plan("{\"type\": \"story\", \"id\": \"S\", \"title\": \"S\"}\n"
                                      "{\"type\": \"task\", \"id\": \"T\", \"title\": \"T\", \"story_id\": \"S\"}\n"
                                      "{\"type\": \"task\", \"id\": \"U\", \"title\": \"U\", \"story_id\": \"T\"}\n"));
  EXPECT_TRUE(one_problem(got, 3, {"story_id 'T', which is a task, not a story", "sub-task cannot have sub-tasks"}));
  got = problems(read_jsonl_plan("{\"type\": \"story\", \"id\": \"S\", \"title\": \"S\"}\n"
                                 "{\"type\": \"story\", \"id\": \"R\", \"title\": \"R\", \"story_id\": \"S\"}\n"));
  EXPECT_TRUE(one_problem(got, 2, {"story 'R' has a story_id", "cannot belong to a story"}));
}

TEST(PlanJsonl, UnknownReferencesAndCycles) {
  auto got = problems(read_jsonl_plan("{\"type\": \"task\", \"id\": \"a\", \"title\": \"A\", \"blocked_by\": [\"b\"]}\n"
                                      "{\"type\": \"task\", \"id\": \"b\", \"title\": \"B\", \"blocked_by\": [\"a\"]}\n"
                                      "{\"type\": \"task\", \"id\": \"c\", \"title\": \"C\", \"epic_id\": \"E9\"}\n"));
  ASSERT_EQ(got.size(), 2u) << joined(got);
  EXPECT_NE(got[0].find("1: dependency cycle: a -> b -> a"), std::string::npos) << got[0];
  EXPECT_NE(got[1].find("3: task 'c' names epic 'E9', which is not in the file"), std::string::npos) << got[1];
}

// The parts of a plan that survive writing and reading (lines do not).
std::string shape(const Plan& p) {
  std::string s;
  for (const auto& e : p.epics) s += "epic " + e.key + "|" + e.title + "|" + e.description + "\n";
  for (const auto& t : p.tasks) {
    s += "task " + t.key + "|" + t.title + "|" + t.description + "|" + (t.epic ? t.epic->value : "-") + "|" +
         (t.parent ? t.parent->value : "-") + "|" + std::to_string(t.priority) + "|" + (t.agent ? t.agent->value : "-") +
         "|" + std::to_string(t.max_attempts) + "|" + std::to_string(t.timeout_ms) + "|";
    for (const auto& b : t.blocked_by) s += b.value + ",";
    s += "\n";
  }
  return s;
}

Plan tricky_plan() {
  Plan p;
  p.epics.push_back({"e1", 0, "Epic: with colon", "two\nlines\n"});
  PlanTask a;
  a.key = "t1";
  a.title = "  leading spaces and # hash";
  a.description = "null";
  a.epic = Located{"e1", 0};
  a.priority = 7;
  a.agent = Located{"codex", 0};
  a.max_attempts = 3;
  a.timeout_ms = 1500;
  p.tasks.push_back(a);
  PlanTask b;
  b.key = "t2";
  b.title = "\"quoted\" 'text' \xE2\x9C\x93 [x] {y}";
  b.description = "ends with newline\n\n";
  b.priority = kPriorityLow;
  b.blocked_by = {{"t1", 0}};
  b.timeout_ms = 2 * 3600 * 1000;
  p.tasks.push_back(b);
  PlanTask s1;
  s1.key = "t2.1";
  s1.title = "- looks like a list";
  s1.parent = Located{"t2", 0};
  s1.epic = Located{"e1", 0};
  p.tasks.push_back(s1);
  PlanTask s2;
  s2.key = "t2.2";
  s2.title = "yes";
  s2.parent = Located{"t2", 0};
  s2.blocked_by = {{"t1", 0}};
  p.tasks.push_back(s2);
  PlanTask c;
  c.key = "t3";
  c.title = "~";
  c.priority = -2;
  c.blocked_by = {{"t2.1", 0}, {"t2", 0}};
  p.tasks.push_back(c);
  return p;
}

TEST(PlanWriters, YamlRoundTripKeepsEverything) {
  Plan p = tricky_plan();
  std::string text = write_yaml_plan(p);
  ParsedPlan back = read_yaml_plan(text);
  ASSERT_TRUE(problems(back).empty()) << joined(problems(back)) << text;
  EXPECT_EQ(shape(back.plan), shape(p)) << text;
}

TEST(PlanWriters, JsonlRoundTripKeepsEverything) {
  Plan p = tricky_plan();
  std::string text = write_jsonl_plan(p);
  ParsedPlan back = read_jsonl_plan(text);
  ASSERT_TRUE(problems(back).empty()) << joined(problems(back)) << text;
  EXPECT_EQ(shape(back.plan), shape(p)) << text;
  EXPECT_NE(text.find("{\"type\":\"story\",\"id\":\"t2\""), std::string::npos) << text;
  EXPECT_NE(text.find("{\"type\":\"task\",\"id\":\"t2.1\""), std::string::npos) << text;
}

TEST(PlanWriters, EmptyPlanRoundTrips) {
  for (PlanFormat f : {PlanFormat::kYaml, PlanFormat::kJsonl}) {
    ParsedPlan back = read_plan(write_plan(Plan{}, f), f);
    EXPECT_TRUE(back.issues.empty()) << format_name(f);
    EXPECT_TRUE(back.plan.tasks.empty() && back.plan.epics.empty());
  }
}

TEST(PlanRecords, LeavesOutImplicitSubtaskEdgesAndSortsByCreation) {
  nlohmann::json epics = nlohmann::json::parse(R"([{"id": "e1", "title": "E", "description": ""}])");
  nlohmann::json tasks = nlohmann::json::parse(R"([
    {"id": "t10", "title": "Ten", "epic": null, "parent": null, "sequence": 0, "priority": 2, "agent": "codex",
     "max_attempts": 0, "timeout_ms": 0, "blocked_by": ["t2"]},
    {"id": "t2", "title": "Two", "epic": "e1", "parent": null, "sequence": 0, "priority": 1, "agent": null,
     "max_attempts": 3, "timeout_ms": 60000, "blocked_by": ["t2.1", "t2.2", "t1"]},
    {"id": "t2.2", "title": "Two b", "epic": "e1", "parent": "t2", "sequence": 2, "priority": 1, "agent": null,
     "max_attempts": 0, "timeout_ms": 0, "blocked_by": ["t2.1", "t1"]},
    {"id": "t2.1", "title": "Two a", "epic": "e1", "parent": "t2", "sequence": 1, "priority": 1, "agent": null,
     "max_attempts": 0, "timeout_ms": 0, "blocked_by": []},
    {"id": "t1", "title": "One", "epic": null, "parent": null, "sequence": 0, "priority": 0, "agent": null,
     "max_attempts": 0, "timeout_ms": 0, "blocked_by": []}
  ])");
  std::vector<Epic> epic_records;
  for (const auto& e : epics) epic_records.push_back(epic_from_json(e));
  std::vector<Task> task_records;
  for (const auto& t : tasks) task_records.push_back(task_from_json(t));
  Plan p = plan_from_records(epic_records, task_records);
  ASSERT_EQ(p.tasks.size(), 5u);
  std::vector<std::string> order;
  for (const auto& t : p.tasks) order.push_back(t.key);
  EXPECT_EQ(order, (std::vector<std::string>{"t1", "t2", "t2.1", "t2.2", "t10"}));
  EXPECT_EQ(keys(find(p, "t2")->blocked_by), std::vector<std::string>{"t1"});
  EXPECT_EQ(keys(find(p, "t2.2")->blocked_by), std::vector<std::string>{"t1"});
  EXPECT_FALSE(find(p, "t2.1")->epic);  // same as the parent's: inherited on import
  EXPECT_EQ(find(p, "t2")->epic->value, "e1");
  EXPECT_EQ(find(p, "t2")->timeout_ms, 60000);
  EXPECT_EQ(find(p, "t10")->agent->value, "codex");
  EXPECT_TRUE(validate_plan(p).empty());

  BlockedByGraph g = graph_from_records(task_records);
  EXPECT_EQ(waiting_path(g, "t10", "t2.1"), (std::vector<std::string>{"t10", "t2", "t2.1"}));
  EXPECT_TRUE(waiting_path(g, "t1", "t10").empty());
}

TEST(PlanGraph, FindsCyclesAndPaths) {
  BlockedByGraph g;
  g.add_edge("a", "b");
  g.add_edge("b", "c");
  EXPECT_TRUE(find_cycle(g).empty());
  EXPECT_EQ(waiting_path(g, "a", "c"), (std::vector<std::string>{"a", "b", "c"}));
  g.add_edge("c", "a");
  EXPECT_EQ(cycle_text(find_cycle(g)), "a -> b -> c -> a");
  // A long chain does not exhaust the stack.
  BlockedByGraph chain;
  for (int i = 0; i < 100000; ++i) chain.add_edge("n" + std::to_string(i + 1), "n" + std::to_string(i));
  EXPECT_TRUE(find_cycle(chain).empty());
}

// A store that hands out ids like the real ones and records every call the
// importer makes (it makes no others: the rest refuse).
struct FakeStore final : TaskStore {
  struct Call {
    std::string name;
    NewTask task;                 // create_task
    std::string title;            // create_epic
    std::string dep_task, dep_blocker;  // add_dependency
    int64_t now_ms = 0;
  };
  std::vector<Call> calls;
  int epics = 0, tasks = 0;
  std::map<std::string, int> subtasks;
  std::string fail_on_title;

  Status refuse() { return Status(StatusCode::kUnsupported, "not used by the importer"); }

  Result<Epic> create_epic(const std::string& title, const std::string&, int64_t now) override {
    calls.push_back({"create_epic", {}, title, "", "", now});
    if (title == fail_on_title && !fail_on_title.empty()) return Status::InvalidArgument("disk full");
    Epic e;
    e.id = "e" + std::to_string(++epics);
    return e;
  }
  Result<Task> create_task(const NewTask& t, int64_t now) override {
    calls.push_back({"create_task", t, "", "", "", now});
    if (t.title == fail_on_title && !fail_on_title.empty()) return Status::InvalidArgument("disk full");
    Task created;
    created.id = t.parent ? *t.parent + "." + std::to_string(++subtasks[*t.parent]) : "t" + std::to_string(++tasks);
    return created;
  }
  Result<Task> add_dependency(const std::string& task, const std::string& blocker, int64_t now) override {
    calls.push_back({"add_dependency", {}, "", task, blocker, now});
    Task t;
    t.id = task;
    return t;
  }
  Result<StoreDescription> describe() override { return refuse(); }
  Result<std::vector<Epic>> list_epics() override { return refuse(); }
  Result<Task> get_task(const std::string&) override { return refuse(); }
  Result<std::vector<Task>> list_tasks(const TaskFilter&) override { return refuse(); }
  Result<Task> update_task(const std::string&, const TaskUpdate&, int64_t) override { return refuse(); }
  Result<std::optional<Task>> claim_task(const ClaimRequest&) override { return refuse(); }
  Result<int> renew_leases(const std::string&, int64_t, int64_t) override { return refuse(); }
  Result<Task> release_task(const ReleaseRequest&) override { return refuse(); }
  Result<Task> take_back(const std::string&, const std::string&, int64_t) override { return refuse(); }
  Result<Completion> complete_task(const CompleteRequest&) override { return refuse(); }
  Result<Failure> fail_task(const FailRequest&) override { return refuse(); }
  Result<ResetOutcome> reset_task(const std::string&, ResetMode, int64_t) override { return refuse(); }
  Result<WorkflowRecord> start_workflow(const std::string&, const std::string&, const nlohmann::json&, const std::string&,
                                        int64_t) override {
    return refuse();
  }
  Result<std::pair<WorkflowRecord, std::vector<StepRecord>>> get_workflow(const std::string&) override { return refuse(); }
  Status finish_workflow(const std::string&, const std::string&, const nlohmann::json&, int64_t) override { return refuse(); }
  Result<StepRecord> record_step(const std::string&, const StepRecord&, int64_t) override { return refuse(); }
  Status append_event(const NewEvent&) override { return refuse(); }
  Result<std::vector<TaskEvent>> list_events(const EventFilter&) override { return refuse(); }
  Result<StoreSummary> summary(const std::optional<std::string>&) override { return refuse(); }
};

TEST(PlanImport, CreatesEpicsThenTasksWithBlockersFirst) {
  ParsedPlan parsed = read_yaml_plan(kYamlPlan);
  FakeStore store;
  ImportOutcome out = import_plan(parsed.plan, store, 1000);
  ASSERT_TRUE(out.status.ok()) << out.status.message();
  std::vector<std::string> created;
  for (const auto& c : out.created) created.push_back(c.key + "=" + c.id);
  EXPECT_EQ(created, (std::vector<std::string>{"backend=e1", "db=t1", "api=t2", "routes=t2.1", "handlers=t2.2", "docs=t3"}));
  ASSERT_EQ(store.calls.size(), 6u);
  const NewTask& api = store.calls[2].task;
  EXPECT_EQ(api.epic, "e1");
  EXPECT_EQ(api.blocked_by, std::vector<std::string>({"t1"}));
  EXPECT_EQ(api.priority, 3);
  EXPECT_EQ(api.agent, "claude");
  EXPECT_EQ(api.max_attempts, 2);
  EXPECT_EQ(api.timeout_ms, 1800000);
  EXPECT_EQ(store.calls[2].now_ms, 1000);
  EXPECT_EQ(store.calls[3].task.parent, "t2");
  EXPECT_FALSE(store.calls[3].task.epic.has_value());
  EXPECT_EQ(store.calls[4].task.blocked_by, std::vector<std::string>({"t1"}));
}

TEST(PlanImport, BlockersLaterInTheFileAreCreatedFirst) {
  ParsedPlan parsed = read_yaml_plan("tasks:\n  - {key: c, title: C, blocked_by: [b]}\n  - {key: b, title: B, blocked_by: [a]}\n"
                                     "  - {key: a, title: A}\n  - {key: free, title: Free}\n");
  ASSERT_TRUE(problems(parsed).empty());
  FakeStore store;
  ImportOutcome out = import_plan(parsed.plan, store, 1);
  ASSERT_TRUE(out.status.ok());
  std::vector<std::string> created;
  for (const auto& c : out.created) created.push_back(c.key + "=" + c.id);
  EXPECT_EQ(created, (std::vector<std::string>{"a=t1", "b=t2", "c=t3", "free=t4"}));
}

TEST(PlanImport, DeferredDependenciesAreAddedAfterTheTasks) {
  ParsedPlan parsed = read_yaml_plan("tasks:\n  - key: p\n    title: P\n    blocked_by: [x]\n"
                                     "    subtasks:\n      - {key: s, title: S}\n"
                                     "  - {key: x, title: X, blocked_by: [s]}\n");
  FakeStore store;
  ImportOutcome out = import_plan(parsed.plan, store, 1);
  ASSERT_TRUE(out.status.ok());
  ASSERT_EQ(store.calls.size(), 4u);
  EXPECT_EQ(store.calls[3].name, "add_dependency");
  EXPECT_EQ(store.calls[3].dep_task, "t1");
  EXPECT_EQ(store.calls[3].dep_blocker, "t2");
  EXPECT_EQ(store.calls[2].task.blocked_by, std::vector<std::string>({"t1.1"}));
}

TEST(PlanImport, AStoreErrorMidwaySaysWhatWasCreated) {
  ParsedPlan parsed = read_yaml_plan(kYamlPlan);
  FakeStore store;
  store.fail_on_title = "Routes";
  ImportOutcome out = import_plan(parsed.plan, store, 1);
  EXPECT_FALSE(out.status.ok());
  EXPECT_EQ(out.status.message(), "creating task 'routes' (line 21): disk full");
  ASSERT_EQ(out.created.size(), 3u);
  EXPECT_EQ(out.created[2].key, "api");
}

TEST(PlanFile, FormatIsGuessedFromExtensionThenContent) {
  EXPECT_EQ(guess_plan_format("plan.jsonl", "epics: []"), PlanFormat::kJsonl);
  EXPECT_EQ(guess_plan_format("plan.yml", "{}"), PlanFormat::kYaml);
  EXPECT_EQ(guess_plan_format("plan", "# c\n\n{\"type\": \"epic\"}\n"), PlanFormat::kJsonl);
  EXPECT_EQ(guess_plan_format("plan", "# c\ntasks: []\n"), PlanFormat::kYaml);
  EXPECT_FALSE(parse_plan_format("xml").ok());
}

TEST(PlanFile, IssuesAreDescribedInLineOrder) {
  EXPECT_EQ(describe_issues("p.yaml", {{9, "b"}, {2, "a"}, {0, "whole"}}), "p.yaml: whole\np.yaml:2: a\np.yaml:9: b");
  EXPECT_EQ(exact_duration(1800000), "30m");
  EXPECT_EQ(exact_duration(7200000), "2h");
  EXPECT_EQ(exact_duration(90000), "90s");
  EXPECT_EQ(exact_duration(1500), "1500ms");
}

}  // namespace
}  // namespace drover::plan

namespace drover::plan {
namespace {

TEST(PlanTouches, YamlTakesAListOrOneStringAndWritesItBack) {
  ParsedPlan parsed = read_yaml_plan(
      "tasks:\n  - key: a\n    title: A\n    touches: [src/parser/**, docs/cli.md]\n"
      "  - key: b\n    title: B\n    touches: \"src/x.cc, docs/**\"\n");
  ASSERT_TRUE(parsed.issues.empty()) << describe_issues("plan.yaml", parsed.issues);
  ASSERT_EQ(parsed.plan.tasks.size(), 2u);
  ASSERT_EQ(parsed.plan.tasks[0].touches.size(), 2u);
  EXPECT_EQ(parsed.plan.tasks[0].touches[1].value, "docs/cli.md");
  EXPECT_EQ(parsed.plan.tasks[0].touches[1].line, 4);
  ASSERT_EQ(parsed.plan.tasks[1].touches.size(), 2u);
  EXPECT_EQ(parsed.plan.tasks[1].touches[0].value, "src/x.cc");
  ParsedPlan again = read_yaml_plan(write_yaml_plan(parsed.plan));
  ASSERT_TRUE(again.issues.empty());
  EXPECT_EQ(again.plan.tasks[0].touches[0].value, "src/parser/**");
  ParsedPlan jsonl = read_jsonl_plan(write_jsonl_plan(parsed.plan));
  ASSERT_TRUE(jsonl.issues.empty()) << describe_issues("plan.jsonl", jsonl.issues);
  EXPECT_EQ(jsonl.plan.tasks[1].touches[1].value, "docs/**");
}

TEST(PlanTouches, BadTouchesAreIssuesAtTheirLine) {
  ParsedPlan parsed = read_yaml_plan("tasks:\n  - key: a\n    title: A\n    touches: {src: yes}\n");
  ASSERT_EQ(parsed.issues.size(), 1u);
  EXPECT_EQ(parsed.issues[0].line, 4);
  EXPECT_NE(parsed.issues[0].message.find("touches of task 'a' must be a list of paths or globs"), std::string::npos)
      << parsed.issues[0].message;
  ParsedPlan bad_json = read_jsonl_plan("{\"type\": \"task\", \"id\": \"a\", \"title\": \"A\", \"touches\": [1]}\n");
  ASSERT_EQ(bad_json.issues.size(), 1u);
  EXPECT_NE(bad_json.issues[0].message.find("\"touches\" of task 'a' must list paths or globs"), std::string::npos)
      << bad_json.issues[0].message;
}

}  // namespace
}  // namespace drover::plan
