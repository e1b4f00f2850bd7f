// Durable workflows and their step checkpoints, the event log, summary() and describe().
#include "records.h"
#include "request.h"
#include "state_store.h"
#include "text_rules.h"

namespace drover::storage {

namespace {
using drover::sdk::Error;
}  // namespace

std::string StateStore::describe(std::string_view request) {
  Request req("describe", request);
  StoreIdentity id = identity();
  return nlohmann::json{{"backend", id.backend}, {"schema_version", id.schema_version}, {"location", id.location}}
      .dump();
}

std::string StateStore::start_workflow(std::string_view request) {
  Request req("start_workflow", request);
  std::string id = req.text("id", kMaxNameBytes);
  std::string name = req.text("name", kMaxNameBytes);
  std::string executor = req.text("executor", kMaxNameBytes);
  std::string input = req.stored_json("input").value_or("null");
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    // Exactly one of several concurrent starters of an id creates it.
    bool created = tables.insert_workflow(id, name, input, executor, now);
    if (!created) tables.set_workflow_executor(id, executor);
    nlohmann::json workflow = *tables.workflow(id);
    workflow["created"] = created;
    return workflow.dump();
  });
}

std::string StateStore::get_workflow(std::string_view request) {
  Request req("get_workflow", request);
  std::string id = req.text("id", kMaxNameBytes);
  return read([&](StoreTables& tables) {
    std::optional<nlohmann::json> workflow = tables.workflow(id);
    if (!workflow) throw Error(DROVER_NOT_FOUND, "get_workflow: workflow '" + id + "' does not exist");
    (*workflow)["steps"] = tables.steps(id);
    return workflow->dump();
  });
}

std::string StateStore::finish_workflow(std::string_view request) {
  return finish_workflow_from(Request("finish_workflow", request));
}

std::string StateStore::finish_workflow_from(const Request& req) {
  std::string id = req.text("id", kMaxNameBytes);
  std::string status = req.text("status", kMaxNameBytes);
  if (status != "running" && status != "succeeded" && status != "failed" && status != "cancelled") {
    req.invalid("status", "is '" + status + "'; use succeeded, failed, cancelled or running");
  }
  std::optional<std::string> output = req.stored_json("output");
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    std::optional<nlohmann::json> workflow = tables.finish_workflow(id, status, output, now);
    if (!workflow) throw Error(DROVER_NOT_FOUND, "finish_workflow: workflow '" + id + "' does not exist");
    return workflow->dump();
  });
}

std::string StateStore::record_step(std::string_view request) {
  return record_step_from(Request("record_step", request));
}

std::string StateStore::record_step_from(const Request& req) {
  std::string workflow_id = req.text("workflow_id", kMaxNameBytes);
  int64_t step = req.integer("step");
  if (step < 0) req.invalid("step", "must be 0 or more");
  std::string name = req.text("name", kMaxNameBytes);
  std::optional<std::string> outcome = req.stored_json("outcome");
  std::optional<std::string> error = req.optional_text("error", kMaxTextBytes);
  int64_t now = req.now_ms();
  // ABI 1.6: the caller knows what it recorded; it needs the record back only
  // when someone else recorded the step first.
  const bool quiet = req.boolean_or("quiet", false);
  return write([&](StoreTables& tables) {
    bool recorded = tables.insert_step(workflow_id, step, name, outcome, error, now);
    if (recorded && quiet) return nlohmann::json{{"recorded", true}}.dump();
    std::optional<nlohmann::json> out = tables.step(workflow_id, step);
    if (!out) {
      throw Error(DROVER_NOT_FOUND, "record_step: workflow '" + workflow_id + "' does not exist; start it first");
    }
    (*out)["recorded"] = recorded;
    return out->dump();
  });
}

std::string StateStore::append_event(std::string_view request) {
  return append_event_from(Request("append_event", request));
}

std::string StateStore::append_event_from(const Request& req) {
  std::optional<std::string> task_id = req.optional_text("task_id", kMaxNameBytes);
  std::string kind = req.text("kind", kMaxNameBytes);
  std::string message = req.text("message", kMaxTextBytes);
  std::optional<std::string> data = req.stored_json("data");
  int64_t now = req.now_ms();
  return write([&](StoreTables& tables) {
    if (task_id && !tables.task_state(*task_id, false)) {
      throw Error(DROVER_NOT_FOUND, "append_event: task " + *task_id +
                                        " (field 'task_id') does not exist; list_tasks shows the ids");
    }
    return tables.insert_event(task_id, kind, message, data, now).dump();
  });
}

std::string StateStore::list_events(std::string_view request) {
  Request req("list_events", request);
  std::optional<std::string> task_id = req.optional_text("task_id", kMaxNameBytes);
  int64_t after_id = req.optional_integer("after_id").value_or(0);
  std::optional<int64_t> limit = req.optional_integer("limit");
  if (limit && *limit < 0) req.invalid("limit", "must be 0 or more (leave it out for no limit)");
  return read([&](StoreTables& tables) { return tables.events(task_id, after_id, limit).dump(); });
}

std::string StateStore::summary(std::string_view request) {
  Request req("summary", request);
  std::optional<std::string> epic = req.optional_text("epic", kMaxNameBytes);
  return read([&](StoreTables& tables) {
    nlohmann::json counts = zero_status_counts();
    StatusTotals total;
    // One statement, so the total always equals the sum of the counts.
    for (const StatusTotals& s : tables.status_totals(epic)) {
      counts[s.status] = s.tasks;
      total.tasks += s.tasks;
      total.cost_usd += s.cost_usd;
      total.tokens_in += s.tokens_in;
      total.tokens_out += s.tokens_out;
    }
    return nlohmann::json{{"counts", counts},
                          {"total", total.tasks},
                          {"cost_usd", total.cost_usd},
                          {"tokens_in", total.tokens_in},
                          {"tokens_out", total.tokens_out}}
        .dump();
  });
}

}  // namespace drover::storage
