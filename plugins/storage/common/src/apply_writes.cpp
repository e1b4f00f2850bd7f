// apply_writes (storage ABI 1.6): several write operations in one transaction.
//
// Each operation runs exactly as it does alone — the same request checks,
// rules, events and answer — but its write() joins the transaction
// apply_writes opened instead of opening one of its own (StateStore::write).
// The requests are taken from the one parsed request and the answers joined
// as text, so a write costs no more JSON work than its own call.
#include <string>
#include <utility>

#include "request.h"
#include "state_store.h"

namespace drover::storage {

namespace {

using drover::sdk::Error;

constexpr size_t kMaxWrites = 64;

// The transaction apply_writes holds open on this thread, and whose it is.
struct OpenTransaction {
  const StateStore* store = nullptr;
  StoreTables* tables = nullptr;
};
thread_local OpenTransaction open_transaction;

// Makes the store's writes on this thread join tables until it goes out of scope.
class JoinedWrites {
 public:
  JoinedWrites(const StateStore* store, StoreTables& tables) : saved_(open_transaction) {
    open_transaction = OpenTransaction{store, &tables};
  }
  ~JoinedWrites() { open_transaction = saved_; }
  JoinedWrites(const JoinedWrites&) = delete;
  JoinedWrites& operator=(const JoinedWrites&) = delete;

 private:
  OpenTransaction saved_;
};

// The operations apply_writes takes: plain writes of one workflow's progress.
// (A claim, a completion or a release answers with what it changed and
// decides what happens next: those stay calls of their own.)
enum class Op { kRecordStep, kUpdateTask, kAppendEvent, kFinishWorkflow };

std::optional<Op> op_named(const std::string& op) {
  if (op == "record_step") return Op::kRecordStep;
  if (op == "update_task") return Op::kUpdateTask;
  if (op == "append_event") return Op::kAppendEvent;
  if (op == "finish_workflow") return Op::kFinishWorkflow;
  return std::nullopt;
}

struct Write {
  std::string name;
  Op op;
  Request request;
};

}  // namespace

std::string StateStore::write(const Body& body) {
  if (open_transaction.store == this) return body(*open_transaction.tables);
  return run_write(body);
}

std::string StateStore::apply_writes(std::string_view request) {
  Request req("apply_writes", request);
  const nlohmann::json* list = req.value("writes");
  if (list == nullptr || !list->is_array()) req.invalid("writes", "must be an array of {\"op\", \"request\"}");
  if (list->empty() || list->size() > kMaxWrites) {
    req.invalid("writes", "holds " + std::to_string(list->size()) + " writes; send 1 to " +
                              std::to_string(kMaxWrites));
  }
  std::vector<Write> writes;
  writes.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    const nlohmann::json& w = (*list)[i];
    const std::string field = "writes[" + std::to_string(i) + "]";
    if (!w.is_object() || !w.contains("op") || !w["op"].is_string() || !w.contains("request") ||
        !w["request"].is_object()) {
      req.invalid(field, "must be {\"op\": string, \"request\": object}");
    }
    std::string name = w["op"].get<std::string>();
    std::optional<Op> op = op_named(name);
    if (!op) req.invalid(field, "has op '" + name + "'; use record_step, update_task, append_event or finish_workflow");
    Request one(name, w["request"]);
    writes.push_back(Write{std::move(name), *op, std::move(one)});
  }

  return run_write([&](StoreTables& tables) {
    JoinedWrites joined(this, tables);
    std::string results = "{\"results\":[";
    for (size_t i = 0; i < writes.size(); ++i) {
      const Write& w = writes[i];
      try {
        if (i > 0) results += ',';
        switch (w.op) {
          case Op::kRecordStep: results += record_step_from(w.request); break;
          case Op::kUpdateTask: results += update_task_from(w.request); break;
          case Op::kAppendEvent: results += append_event_from(w.request); break;
          case Op::kFinishWorkflow: results += finish_workflow_from(w.request); break;
        }
      } catch (const Error& e) {
        // Thrown out of the transaction: every write before this one is undone too.
        throw Error(e.code(), "apply_writes: writes[" + std::to_string(i) + "] (" + w.name + "): " + e.what());
      }
    }
    return results + "]}";
  });
}

}  // namespace drover::storage
