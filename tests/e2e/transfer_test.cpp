// End to end: `drover import`, `drover export` and `drover dep add` with the
// real binary and store.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "e2e_project.h"

namespace drover::testing {
namespace {

std::string write_file(const E2EProject& p, const std::string& name, const std::string& text) {
  std::string path = p.dir() + "/" + name;  // outside the repository: the checkout stays clean
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

json epics_json(const E2EProject& p) {
  auto r = p.drover({"epic", "list", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

// The graph with ids replaced by titles (titles are unique in these tests),
// one line per task, sorted: what export followed by import must keep.
std::set<std::string> graph_shape(const E2EProject& p) {
  std::map<std::string, std::string> epic_title, task_title;
  for (const auto& e : epics_json(p)) epic_title[e["id"]] = e["title"];
  const json tasks = p.status_json()["tasks"];
  for (const auto& t : tasks) task_title[t["id"]] = t["title"];
  std::set<std::string> shape;
  for (const auto& t : tasks) {
    std::set<std::string> blockers;
    for (const auto& b : t["blocked_by"]) blockers.insert(task_title[b]);
    std::string line = t["title"].get<std::string>() + " | epic " +
                       (t["epic"].is_string() ? epic_title[t["epic"]] : "-") + " | parent " +
                       (t["parent"].is_string() ? task_title[t["parent"]] : "-") + " #" +
                       std::to_string(t["sequence"].get<int>()) + " | priority " + std::to_string(t["priority"].get<int>()) +
                       " | agent " + (t["agent"].is_string() ? t["agent"].get<std::string>() : "-") + " | attempts " +
                       std::to_string(t["max_attempts"].get<int>()) + " | timeout " +
                       std::to_string(t["timeout_ms"].get<long long>()) + " | " + t["status"].get<std::string>() +
                       " | after";
    for (const auto& b : blockers) line += " " + b;
    shape.insert(line);
  }
  for (const auto& e : epics_json(p)) shape.insert("epic " + e["title"].get<std::string>() + " | " + e["description"].get<std::string>());
  return shape;
}

std::string lines(const std::set<std::string>& s) {
  std::string out;
  for (const auto& l : s) out += l + "\n";
  return out;
}

const char* kYamlPlan = R"(# A small plan: an epic, a chain, a parent with sub-tasks.
epics:
  - key: backend
    title: Backend
    description: Server side
tasks:
  - key: api
    title: Build the API
    epic: backend
    priority: high
    agent: test
    max_attempts: 2
    timeout: 5m
    blocked_by: [db]
    subtasks:
      - key: routes
        title: Routes
      - key: handlers
        title: Handlers
        blocked_by: [db]
  - key: db
    title: Schema
    epic: backend
    priority: critical
  - key: docs
    title: "Docs: how to use it"
    description: |
      Two lines
      of description
    blocked_by: [api]
)";

TEST(Transfer, ImportYamlThenRunCompletesAll) {
  E2EProject p;
  std::string plan = write_file(p, "plan.yaml", kYamlPlan);
  auto imp = p.drover({"import", plan, "--json"});
  ASSERT_EQ(imp.exit_code, 0) << imp.out << imp.err;
  json ids = json::parse(imp.out);
  ASSERT_EQ(ids["epics"]["backend"], "e1");
  const std::string db = ids["tasks"]["db"], api = ids["tasks"]["api"], routes = ids["tasks"]["routes"],
                    handlers = ids["tasks"]["handlers"], docs = ids["tasks"]["docs"];
  EXPECT_EQ(db, "t1") << "a blocker is created before its dependents";
  EXPECT_EQ(routes, api + ".1");
  EXPECT_EQ(handlers, api + ".2");

  std::map<std::string, json> by_id;
  const json st = p.status_json();
  for (const auto& t : st["tasks"]) by_id[t["id"]] = t;
  ASSERT_EQ(by_id.size(), 5u);
  EXPECT_EQ(by_id[api]["priority"], 2);
  EXPECT_EQ(by_id[api]["agent"], "test");
  EXPECT_EQ(by_id[api]["max_attempts"], 2);
  EXPECT_EQ(by_id[api]["timeout_ms"], 300000);
  EXPECT_EQ(by_id[api]["epic"], "e1");
  EXPECT_EQ(by_id[routes]["epic"], "e1") << "a sub-task takes its parent's epic";
  EXPECT_EQ(by_id[db]["priority"], 3);
  EXPECT_EQ(by_id[docs]["description"], "Two lines\nof description\n");
  EXPECT_EQ(by_id[docs]["blocked_by"], json::array({api}));
  EXPECT_EQ(by_id[handlers]["blocked_by"], json::array({db, routes}));

  auto run = p.drover({"run"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  for (const auto& [id, state] : p.task_states()) EXPECT_EQ(state, "completed") << id;
  auto order = p.merged_task_order();
  ASSERT_EQ(order.size(), 5u);
  auto pos = [&](const std::string& id) { return std::find(order.begin(), order.end(), id) - order.begin(); };
  EXPECT_LT(pos(db), pos(api));
  EXPECT_LT(pos(db), pos(handlers));
  EXPECT_LT(pos(routes), pos(handlers));
  EXPECT_LT(pos(handlers), pos(api));
  EXPECT_LT(pos(api), pos(docs));
}

TEST(Transfer, ImportJsonLinesWithComments) {
  E2EProject p;
  std::string plan = write_file(p, "plan.jsonl",
                                "# The original design's format.\n"
                                "{\"type\": \"epic\", \"id\": \"E1\", \"title\": \"Frontend\", \"description\": \"UI\"}\n"
                                "\n"
                                "# A story is a parent task; its tasks are sub-tasks, in line order.\n"
                                "{\"type\": \"story\", \"id\": \"S1\", \"title\": \"Login page\", \"epic_id\": \"E1\", \"priority\": \"high\"}\n"
                                "{\"type\": \"task\", \"id\": \"T1\", \"title\": \"Form\", \"story_id\": \"S1\"}\n"
                                "{\"type\": \"task\", \"id\": \"T2\", \"title\": \"Validation\", \"story_id\": \"S1\", \"agent\": \"test\"}\n"
                                "   # an indented comment\n"
                                "{\"type\": \"task\", \"id\": \"T3\", \"title\": \"Release notes\", \"priority\": 0, \"blocked_by\": [\"S1\", \"T0\"]}\n"
                                "{\"type\": \"task\", \"id\": \"T0\", \"title\": \"Design system\", \"epic_id\": \"E1\", \"priority\": 5}\n");
  auto imp = p.drover({"import", plan});
  ASSERT_EQ(imp.exit_code, 0) << imp.out << imp.err;
  EXPECT_NE(imp.out.find("imported 1 epic and 5 tasks"), std::string::npos) << imp.out;
  EXPECT_NE(imp.out.find("S1 -> t"), std::string::npos) << imp.out;

  std::set<std::string> expected = {
      "epic Frontend | UI",
      "Design system | epic Frontend | parent - #0 | priority 5 | agent - | attempts 0 | timeout 0 | ready | after",
      "Login page | epic Frontend | parent - #0 | priority 2 | agent - | attempts 0 | timeout 0 | waiting | after Form Validation",
      "Form | epic Frontend | parent Login page #1 | priority 1 | agent - | attempts 0 | timeout 0 | ready | after",
      "Validation | epic Frontend | parent Login page #2 | priority 1 | agent test | attempts 0 | timeout 0 | waiting | after Form",
      "Release notes | epic - | parent - #0 | priority 0 | agent - | attempts 0 | timeout 0 | waiting | after Design system Login page",
  };
  EXPECT_EQ(lines(graph_shape(p)), lines(expected));
}

// A graph made with add, epic add and dep add, including a parent that waits
// for a task which waits for one of the parent's own sub-tasks (importing it
// needs a dependency added after the tasks exist).
void build_graph(E2EProject& p) {
  ASSERT_EQ(p.drover({"epic", "add", "Backend", "-d", "Server side"}).exit_code, 0);
  ASSERT_EQ(p.drover({"epic", "add", "Empty epic"}).exit_code, 0);
  std::string schema = p.add({"Schema", "--epic", "e1", "--priority", "critical"});
  std::string api = p.add({"API", "--epic", "e1", "--blocked-by", schema, "--agent", "test", "--max-attempts", "3",
                           "--timeout", "45m", "-d", "line one\n  indented: yes\n"});
  p.add({"Routes", "--parent", api});
  p.add({"Handlers", "--parent", api, "--blocked-by", schema, "--priority", "low"});
  std::string docs = p.add({"Docs", "--priority", "7"});
  auto dep = p.drover({"dep", "add", schema, docs});  // a blocker with a later id
  ASSERT_EQ(dep.exit_code, 0) << dep.err;
  std::string parent = p.add({"Parent"});
  std::string sub = p.add({"Sub", "--parent", parent});
  std::string x = p.add({"X", "--blocked-by", sub});
  dep = p.drover({"dep", "add", parent, x});
  ASSERT_EQ(dep.exit_code, 0) << dep.err;
}

TEST(Transfer, ExportThenImportIntoAFreshProjectGivesTheSameGraph) {
  E2EProject original;
  build_graph(original);
  const auto shape = graph_shape(original);
  ASSERT_EQ(shape.size(), 10u) << lines(shape);
  for (const char* format : {"yaml", "jsonl"}) {
    SCOPED_TRACE(format);
    std::string file = original.dir() + "/export." + format;
    auto exp = original.drover({"export", "--format", format, "-o", file});
    ASSERT_EQ(exp.exit_code, 0) << exp.err;
    EXPECT_NE(exp.err.find("exported 2 epics and 8 tasks"), std::string::npos) << exp.err;
    E2EProject copy;
    auto imp = copy.drover({"import", file});
    ASSERT_EQ(imp.exit_code, 0) << imp.out << imp.err << read_file(file);
    EXPECT_EQ(lines(graph_shape(copy)), lines(shape)) << read_file(file);
    // Exporting the copy gives the same file again when ids line up.
    auto again = copy.drover({"export", "--format", format});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    E2EProject third;
    std::string file2 = write_file(third, std::string("again.") + format, again.out);
    ASSERT_EQ(third.drover({"import", file2}).exit_code, 0);
    EXPECT_EQ(lines(graph_shape(third)), lines(shape));
  }
  // Standard output is the default.
  auto out = original.drover({"export"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_NE(out.out.find("subtasks:"), std::string::npos) << out.out;
}

struct BadInput {
  const char* name;      // file name (its extension picks the format)
  const char* text;
  int line;              // where the problem is reported
  const char* fragment;  // part of the message
};

TEST(Transfer, BadInputIsRefusedWithFileLineAndNothingIsWritten) {
  const BadInput cases[] = {
      {"unknown-field.yaml", "epics:\n  - {key: e, title: E}\ntasks:\n  - key: a\n    title: A\n    priorty: high\n", 6,
       "unknown field 'priorty' in task 'a' (did you mean 'priority'?)"},
      {"duplicate.yaml", "tasks:\n  - {key: a, title: A}\n  - {key: b, title: B}\n  - {key: a, title: Again}\n", 4,
       "key 'a' is used again (first at line 2)"},
      {"unknown-ref.yaml", "tasks:\n  - {key: db, title: DB}\n  - key: api\n    title: API\n    blocked_by: [dbb]\n", 5,
       "task 'api' is blocked by 'dbb', which is not a task in the file (did you mean 'db'?)"},
      {"unknown-epic.yaml", "epics:\n  - {key: backend, title: B}\ntasks:\n  - {key: a, title: A, epic: front}\n", 4,
       "names epic 'front', which is not in the file"},
      {"cycle.yaml", "tasks:\n  - {key: a, title: A, blocked_by: [c]}\n  - {key: b, title: B, blocked_by: [a]}\n"
                     "  - {key: c, title: C, blocked_by: [b]}\n", 2, "dependency cycle: a -> c -> b -> a"},
      {"priority.yaml", "tasks:\n  - key: a\n    title: A\n    priority: urgent\n", 4,
       "priority of task 'a': 'urgent' is not a priority"},
      {"nested.yaml", "tasks:\n  - key: p\n    title: P\n    subtasks:\n      - key: s\n        title: S\n"
                      "        subtasks:\n          - {key: x, title: X}\n", 8, "a sub-task cannot have sub-tasks"},
      {"agent.yaml", "tasks:\n  - {key: a, title: A, agent: tset}\n", 2, "agent 'tset', which drover.yaml does not configure"},
      {"syntax.yaml", "tasks:\n  - key: a\n    title: A\n  - key: b\n    title: [unclosed\n  - key: c\n", 6,
       "not valid YAML"},
      {"bad-json.jsonl", "# comment\n{\"type\": \"epic\", \"id\": \"E\", \"title\": \"E\"}\n{\"type\": \"task\", \"id\": \"a\"\n", 3,
       "not valid JSON"},
      {"nested.jsonl", "{\"type\": \"story\", \"id\": \"S\", \"title\": \"S\"}\n"
                       "{\"type\": \"task\", \"id\": \"T\", \"title\": \"T\", \"story_id\": \"S\"}\n"
                       "\n{\"type\": \"task\", \"id\": \"U\", \"title\": \"U\", \"story_id\": \"T\"}\n", 4,
       "which is a task, not a story"},
      {"cycle.jsonl", "{\"type\": \"task\", \"id\": \"a\", \"title\": \"A\", \"blocked_by\": [\"b\"]}\n"
                      "# comment\n{\"type\": \"task\", \"id\": \"b\", \"title\": \"B\", \"blocked_by\": [\"a\"]}\n", 1,
       "dependency cycle: a -> b -> a"},
      {"priority.jsonl", "{\"type\": \"task\", \"id\": \"a\", \"title\": \"A\", \"priority\": \"asap\"}\n", 1,
       "'asap' is not a priority"},
  };
  E2EProject p;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::string path = write_file(p, c.name, c.text);
    auto r = p.drover({"import", path});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    std::string where = c.line > 0 ? path + ":" + std::to_string(c.line) + ": " : path + ":";
    EXPECT_NE(r.err.find(where), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.fragment), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("nothing was imported"), std::string::npos) << r.err;
    EXPECT_EQ(p.status_json()["tasks"].size(), 0u) << "nothing may be written";
    EXPECT_EQ(epics_json(p).size(), 0u) << "nothing may be written";
  }
  auto missing = p.drover({"import", p.dir() + "/no-such-plan.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cannot read"), std::string::npos) << missing.err;
}

TEST(Transfer, DepAddRefusesACycleAndAddsNothing) {
  E2EProject p;
  std::string a = p.add({"A"});
  std::string b = p.add({"B", "--blocked-by", a});
  std::string c = p.add({"C", "--blocked-by", b});
  std::string d = p.add({"D"});
  // d is fine, c is not: the whole command is refused.
  auto r = p.drover({"dep", "add", a, d, c});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("dependency cycle: " + a + " -> " + c + " -> " + b + " -> " + a), std::string::npos) << r.err;
  auto states = p.status_json();
  for (const auto& t : states["tasks"])
    if (t["id"] == a) {
      EXPECT_TRUE(t["blocked_by"].empty()) << t.dump();
    }

  auto ok = p.drover({"dep", "add", d, a, c});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(d + " is blocked by " + a + ", " + c + " (waiting)"), std::string::npos) << ok.out;

  // The implicit ordering of sub-tasks counts too.
  std::string parent = p.add({"Parent"});
  std::string s1 = p.add({"S1", "--parent", parent});
  std::string s2 = p.add({"S2", "--parent", parent});
  auto sub = p.drover({"dep", "add", s1, s2});
  EXPECT_EQ(sub.exit_code, 2);
  EXPECT_NE(sub.err.find("dependency cycle: " + s1 + " -> " + s2 + " -> " + s1), std::string::npos) << sub.err;

  auto unknown = p.drover({"dep", "add", a, "t99"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no task 't99'"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace drover::testing
