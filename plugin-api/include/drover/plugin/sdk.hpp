// Header-only C++ layer over the Drover plugin C ABI.
//
// A plugin author writes an ordinary C++ class and one macro line:
//
//   class MyStore : public drover::sdk::Storage {
//    public:
//     static void check_config(std::string_view yaml);            // throw to reject
//     MyStore(std::string_view config_yaml, std::string_view context_json);
//     std::string create_task(std::string_view request) override;   // JSON in, JSON out
//     ...
//   };
//   DROVER_STORAGE_PLUGIN(MyStore, "mystore", "1.0.0")
//
// The macro defines the one exported entry point; the templates below build the
// descriptor and vtable whose trampolines catch every exception and turn it into
// a status code plus an error message for the host. Throw drover::sdk::Error to
// choose the status code; any other exception becomes DROVER_ERROR.
#ifndef DROVER_PLUGIN_SDK_HPP
#define DROVER_PLUGIN_SDK_HPP

#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "drover/plugin/abi.h"
#include "drover/plugin/agent.h"
#include "drover/plugin/storage.h"
#include "drover/plugin/vcs.h"

namespace drover::sdk {

// An expected failure with a status code (DROVER_NOT_FOUND, DROVER_CONFLICT, ...).
class Error : public std::runtime_error {
 public:
  Error(drover_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  drover_status code() const { return code_; }

 private:
  drover_status code_;
};

inline std::string_view view(drover_str s) { return s.size == 0 ? std::string_view() : std::string_view(s.data, s.size); }
inline drover_str str(std::string_view s) { return drover_str{s.data(), s.size()}; }

namespace detail {
struct PluginGlobals {
  const drover_host_api* host = nullptr;
  const char* name = "";
};
inline PluginGlobals& globals() {
  static PluginGlobals g;
  return g;
}
inline void set_error(drover_error* error, std::string_view message) {
  const drover_host_api* host = globals().host;
  if (host != nullptr && error != nullptr) host->set_error(error, str(message));
}
inline void append(drover_buffer* buffer, std::string_view data) {
  const drover_host_api* host = globals().host;
  if (host != nullptr && buffer != nullptr) host->buffer_append(buffer, str(data));
}

// Runs fn, converting every exception into a status and an error message.
template <class Fn>
drover_status guarded(drover_error* error, Fn&& fn) noexcept {
  try {
    fn();
    return DROVER_OK;
  } catch (const Error& e) {
    set_error(error, e.what());
    return e.code() == DROVER_OK ? DROVER_ERROR : e.code();
  } catch (const std::bad_alloc&) {
    set_error(error, std::string(globals().name) + ": out of memory");
    return DROVER_ERROR;
  } catch (const std::exception& e) {
    set_error(error, e.what());
    return DROVER_ERROR;
  } catch (...) {
    set_error(error, std::string(globals().name) + ": unknown exception");
    return DROVER_ERROR;
  }
}

inline const char* build_info() {
#if defined(__VERSION__)
  return "Drover plugin SDK 1.0, compiler " __VERSION__;
#else
  return "Drover plugin SDK 1.0";
#endif
}

template <class Vtable>
const drover_plugin_descriptor* make_descriptor(const drover_host_api* host, drover_plugin_kind kind,
                                                const char* name, const char* version, const char* schema,
                                                const Vtable* vtable) {
  globals().host = host;
  globals().name = name;
  static drover_plugin_descriptor d;
  d.struct_size = sizeof(drover_plugin_descriptor);
  d.abi_major = DROVER_PLUGIN_ABI_MAJOR;
  d.abi_minor = DROVER_PLUGIN_ABI_MINOR;
  d.kind = kind;
  d.vtable_size = sizeof(Vtable);
  d.name = name;
  d.version = version;
  d.build_info = build_info();
  d.config_schema = schema;
  d.vtable = vtable;
  return &d;
}
}  // namespace detail

// Logs through the host's logger, tagged with the plugin's name.
inline void log(drover_log_level level, std::string_view message) {
  const drover_host_api* host = detail::globals().host;
  if (host != nullptr && host->log != nullptr) host->log(level, str(detail::globals().name), str(message));
}

// ---------------------------------------------------------------- storage

class Storage {
 public:
  virtual ~Storage() = default;
  virtual std::string describe(std::string_view request) = 0;
  virtual std::string create_epic(std::string_view request) = 0;
  virtual std::string list_epics(std::string_view request) = 0;
  virtual std::string create_task(std::string_view request) = 0;
  virtual std::string get_task(std::string_view request) = 0;
  virtual std::string list_tasks(std::string_view request) = 0;
  virtual std::string add_dependency(std::string_view request) = 0;
  virtual std::string update_task(std::string_view request) = 0;
  virtual std::string claim_task(std::string_view request) = 0;
  virtual std::string renew_leases(std::string_view request) = 0;
  virtual std::string release_task(std::string_view request) = 0;
  virtual std::string complete_task(std::string_view request) = 0;
  virtual std::string fail_task(std::string_view request) = 0;
  virtual std::string reset_task(std::string_view request) = 0;
  virtual std::string start_workflow(std::string_view request) = 0;
  virtual std::string get_workflow(std::string_view request) = 0;
  virtual std::string finish_workflow(std::string_view request) = 0;
  virtual std::string record_step(std::string_view request) = 0;
  virtual std::string append_event(std::string_view request) = 0;
  virtual std::string list_events(std::string_view request) = 0;
  virtual std::string summary(std::string_view request) = 0;
  // ABI 1.2, optional: a plugin that does not override them answers
  // "unsupported" and the host says the command needs a newer plugin.
  virtual std::string edit_task(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "edit_task is not implemented by this storage plugin");
  }
  virtual std::string remove_task(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "remove_task is not implemented by this storage plugin");
  }
  virtual std::string remove_dependency(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "remove_dependency is not implemented by this storage plugin");
  }
  virtual std::string set_paused(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "set_paused is not implemented by this storage plugin");
  }
  // ABI 1.3, optional.
  virtual std::string review_task(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "review_task is not implemented by this storage plugin");
  }
  // ABI 1.4, optional: executors and agent output in the store.
  virtual std::string beat_executor(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "beat_executor is not implemented by this storage plugin");
  }
  virtual std::string list_executors(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "list_executors is not implemented by this storage plugin");
  }
  virtual std::string append_log(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "append_log is not implemented by this storage plugin");
  }
  virtual std::string read_log(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "read_log is not implemented by this storage plugin");
  }
  // ABI 1.5, optional: several claims in one transaction (the host claims one by one without it).
  virtual std::string claim_tasks(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "claim_tasks is not implemented by this storage plugin");
  }
  // ABI 1.6, optional: several writes in one transaction (the host makes them one by one without it).
  virtual std::string apply_writes(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "apply_writes is not implemented by this storage plugin");
  }
};

namespace detail {
template <std::string (Storage::*Method)(std::string_view)>
drover_status storage_op(drover_storage* store, drover_str request, drover_buffer* response,
                         drover_error* error) noexcept {
  return guarded(error, [&] {
    auto* self = reinterpret_cast<Storage*>(store);
    append(response, (self->*Method)(view(request)));
  });
}

template <class C>
const drover_plugin_descriptor* storage_descriptor(const drover_host_api* host, const char* name,
                                                   const char* version, const char* schema) {
  static const drover_storage_vtable_v1 vtable = {
      sizeof(drover_storage_vtable_v1),
      [](drover_str config, drover_error* error) noexcept {
        return guarded(error, [&] { C::check_config(view(config)); });
      },
      [](drover_str config, drover_str context, drover_storage** out, drover_error* error) noexcept {
        return guarded(error, [&] {
          std::unique_ptr<Storage> store = std::make_unique<C>(view(config), view(context));
          *out = reinterpret_cast<drover_storage*>(store.release());
        });
      },
      [](drover_storage* store) noexcept {
        try {
          delete reinterpret_cast<Storage*>(store);
        } catch (...) {
        }
      },
      &storage_op<&Storage::describe>,
      &storage_op<&Storage::create_epic>,
      &storage_op<&Storage::list_epics>,
      &storage_op<&Storage::create_task>,
      &storage_op<&Storage::get_task>,
      &storage_op<&Storage::list_tasks>,
      &storage_op<&Storage::add_dependency>,
      &storage_op<&Storage::update_task>,
      &storage_op<&Storage::claim_task>,
      &storage_op<&Storage::renew_leases>,
      &storage_op<&Storage::release_task>,
      &storage_op<&Storage::complete_task>,
      &storage_op<&Storage::fail_task>,
      &storage_op<&Storage::reset_task>,
      &storage_op<&Storage::start_workflow>,
      &storage_op<&Storage::get_workflow>,
      &storage_op<&Storage::finish_workflow>,
      &storage_op<&Storage::record_step>,
      &storage_op<&Storage::append_event>,
      &storage_op<&Storage::list_events>,
      &storage_op<&Storage::summary>,
      &storage_op<&Storage::edit_task>,
      &storage_op<&Storage::remove_task>,
      &storage_op<&Storage::remove_dependency>,
      &storage_op<&Storage::set_paused>,
      &storage_op<&Storage::review_task>,
      &storage_op<&Storage::beat_executor>,
      &storage_op<&Storage::list_executors>,
      &storage_op<&Storage::append_log>,
      &storage_op<&Storage::read_log>,
      &storage_op<&Storage::claim_tasks>,
      &storage_op<&Storage::apply_writes>,
  };
  return make_descriptor(host, DROVER_KIND_STORAGE, name, version, schema, &vtable);
}
}  // namespace detail

// ---------------------------------------------------------------- vcs

class Vcs {
 public:
  virtual ~Vcs() = default;
  virtual std::string repo_info(std::string_view request) = 0;
  virtual std::string prepare_worktree(std::string_view request) = 0;
  virtual std::string commit(std::string_view request) = 0;
  virtual std::string merge(std::string_view request) = 0;
  virtual std::string remove_worktree(std::string_view request) = 0;
  virtual std::string list_worktrees(std::string_view request) = 0;
  virtual std::string diff_summary(std::string_view request) = 0;
  // ABI 1.1, optional: a plugin that does not override them answers "unsupported"
  // and the host goes without the checks they serve.
  virtual std::string checkout_state(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "checkout_state is not implemented by this VCS plugin");
  }
  virtual std::string target_moves(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "target_moves is not implemented by this VCS plugin");
  }
  virtual std::string reset_worktree(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "reset_worktree is not implemented by this VCS plugin");
  }
  // ABI 1.2, optional: the merge queue (see vcs.h).
  virtual std::string build_landing(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "build_landing is not implemented by this VCS plugin");
  }
  virtual std::string publish_landing(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "publish_landing is not implemented by this VCS plugin");
  }
  virtual std::string sync_worktree(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "sync_worktree is not implemented by this VCS plugin");
  }
  virtual std::string scratch_worktree(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "scratch_worktree is not implemented by this VCS plugin");
  }
  // ABI 1.3, optional.
  virtual std::string diff_patch(std::string_view) {
    throw Error(DROVER_UNSUPPORTED, "diff_patch is not implemented by this VCS plugin");
  }
};

namespace detail {
template <std::string (Vcs::*Method)(std::string_view)>
drover_status vcs_op(drover_vcs* vcs, drover_str request, drover_buffer* response, drover_error* error) noexcept {
  return guarded(error, [&] {
    auto* self = reinterpret_cast<Vcs*>(vcs);
    append(response, (self->*Method)(view(request)));
  });
}

template <class C>
const drover_plugin_descriptor* vcs_descriptor(const drover_host_api* host, const char* name, const char* version,
                                               const char* schema) {
  static const drover_vcs_vtable_v1 vtable = {
      sizeof(drover_vcs_vtable_v1),
      [](drover_str config, drover_error* error) noexcept {
        return guarded(error, [&] { C::check_config(view(config)); });
      },
      [](drover_str config, drover_str context, drover_vcs** out, drover_error* error) noexcept {
        return guarded(error, [&] {
          std::unique_ptr<Vcs> vcs = std::make_unique<C>(view(config), view(context));
          *out = reinterpret_cast<drover_vcs*>(vcs.release());
        });
      },
      [](drover_vcs* vcs) noexcept {
        try {
          delete reinterpret_cast<Vcs*>(vcs);
        } catch (...) {
        }
      },
      &vcs_op<&Vcs::repo_info>,
      &vcs_op<&Vcs::prepare_worktree>,
      &vcs_op<&Vcs::commit>,
      &vcs_op<&Vcs::merge>,
      &vcs_op<&Vcs::remove_worktree>,
      &vcs_op<&Vcs::list_worktrees>,
      &vcs_op<&Vcs::diff_summary>,
      &vcs_op<&Vcs::checkout_state>,
      &vcs_op<&Vcs::target_moves>,
      &vcs_op<&Vcs::reset_worktree>,
      &vcs_op<&Vcs::build_landing>,
      &vcs_op<&Vcs::publish_landing>,
      &vcs_op<&Vcs::sync_worktree>,
      &vcs_op<&Vcs::scratch_worktree>,
      &vcs_op<&Vcs::diff_patch>,
  };
  return make_descriptor(host, DROVER_KIND_VCS, name, version, schema, &vtable);
}
}  // namespace detail

// ---------------------------------------------------------------- agent

// Parser state for one agent run.
class AgentRun {
 public:
  virtual ~AgentRun() = default;
  // One output line without its newline; stream 1 = stdout, 2 = stderr.
  virtual void line(int stream, std::string_view text) = 0;
  // Classifies the finished run; request/response as documented in agent.h.
  virtual std::string finish(std::string_view request) = 0;
  // ABI 1.2: true once the run should be stopped now (asked after each line).
  virtual bool should_stop() { return false; }
};

class Agent {
 public:
  virtual ~Agent() = default;
  virtual std::string build_command(std::string_view request) = 0;
  virtual std::unique_ptr<AgentRun> begin_run(std::string_view request) = 0;
  // ABI 1.2: what the agent needs to start (agent.h `requirements`); the
  // default says nothing beyond what build_command's argv[0] tells.
  virtual std::string requirements(std::string_view /*request*/) { return "{}"; }
};

namespace detail {
template <class C>
const drover_plugin_descriptor* agent_descriptor(const drover_host_api* host, const char* name, const char* version,
                                                 const char* schema) {
  static const drover_agent_vtable_v1 vtable = {
      sizeof(drover_agent_vtable_v1),
      [](drover_str config, drover_error* error) noexcept {
        return guarded(error, [&] { C::check_config(view(config)); });
      },
      [](drover_str config, drover_str context, drover_agent** out, drover_error* error) noexcept {
        return guarded(error, [&] {
          std::unique_ptr<Agent> agent = std::make_unique<C>(view(config), view(context));
          *out = reinterpret_cast<drover_agent*>(agent.release());
        });
      },
      [](drover_agent* agent) noexcept {
        try {
          delete reinterpret_cast<Agent*>(agent);
        } catch (...) {
        }
      },
      [](drover_agent* agent, drover_str request, drover_buffer* response, drover_error* error) noexcept {
        return guarded(error, [&] {
          append(response, reinterpret_cast<Agent*>(agent)->build_command(view(request)));
        });
      },
      [](drover_agent* agent, drover_str request, drover_agent_run** out, drover_error* error) noexcept {
        return guarded(error, [&] {
          std::unique_ptr<AgentRun> run = reinterpret_cast<Agent*>(agent)->begin_run(view(request));
          *out = reinterpret_cast<drover_agent_run*>(run.release());
        });
      },
      [](drover_agent_run* run, int32_t stream, drover_str line, drover_error* error) noexcept {
        return guarded(error, [&] { reinterpret_cast<AgentRun*>(run)->line(stream, view(line)); });
      },
      [](drover_agent_run* run, drover_str request, drover_buffer* response, drover_error* error) noexcept {
        return guarded(error, [&] { append(response, reinterpret_cast<AgentRun*>(run)->finish(view(request))); });
      },
      [](drover_agent_run* run) noexcept {
        try {
          delete reinterpret_cast<AgentRun*>(run);
        } catch (...) {
        }
      },
      [](drover_agent_run* run) noexcept -> int32_t {
        try {
          return reinterpret_cast<AgentRun*>(run)->should_stop() ? 1 : 0;
        } catch (...) {
          return 0;
        }
      },
      [](drover_agent* agent, drover_str request, drover_buffer* response, drover_error* error) noexcept {
        return guarded(error, [&] {
          append(response, reinterpret_cast<Agent*>(agent)->requirements(view(request)));
        });
      },
  };
  return make_descriptor(host, DROVER_KIND_AGENT, name, version, schema, &vtable);
}
}  // namespace detail

}  // namespace drover::sdk

// Each macro defines the plugin's single exported entry point. Use exactly one per library.
#define DROVER_STORAGE_PLUGIN(Class, NAME, VERSION)                                                 \
  extern "C" DROVER_PLUGIN_EXPORT const drover_plugin_descriptor* drover_plugin_entry_v1(           \
      const drover_host_api* host) {                                                                \
    return ::drover::sdk::detail::storage_descriptor<Class>(host, NAME, VERSION, nullptr);          \
  }

#define DROVER_VCS_PLUGIN(Class, NAME, VERSION)                                                     \
  extern "C" DROVER_PLUGIN_EXPORT const drover_plugin_descriptor* drover_plugin_entry_v1(           \
      const drover_host_api* host) {                                                                \
    return ::drover::sdk::detail::vcs_descriptor<Class>(host, NAME, VERSION, nullptr);              \
  }

#define DROVER_AGENT_PLUGIN(Class, NAME, VERSION)                                                   \
  extern "C" DROVER_PLUGIN_EXPORT const drover_plugin_descriptor* drover_plugin_entry_v1(           \
      const drover_host_api* host) {                                                                \
    return ::drover::sdk::detail::agent_descriptor<Class>(host, NAME, VERSION, nullptr);            \
  }

// The same, with a description of the plugin's config keys for
// `drover plugins inspect` (static text, e.g. a YAML or JSON schema).
#define DROVER_STORAGE_PLUGIN_WITH_SCHEMA(Class, NAME, VERSION, SCHEMA)                             \
  extern "C" DROVER_PLUGIN_EXPORT const drover_plugin_descriptor* drover_plugin_entry_v1(           \
      const drover_host_api* host) {                                                                \
    return ::drover::sdk::detail::storage_descriptor<Class>(host, NAME, VERSION, SCHEMA);           \
  }

#define DROVER_VCS_PLUGIN_WITH_SCHEMA(Class, NAME, VERSION, SCHEMA)                                 \
  extern "C" DROVER_PLUGIN_EXPORT const drover_plugin_descriptor* drover_plugin_entry_v1(           \
      const drover_host_api* host) {                                                                \
    return ::drover::sdk::detail::vcs_descriptor<Class>(host, NAME, VERSION, SCHEMA);               \
  }

#define DROVER_AGENT_PLUGIN_WITH_SCHEMA(Class, NAME, VERSION, SCHEMA)                               \
  extern "C" DROVER_PLUGIN_EXPORT const drover_plugin_descriptor* drover_plugin_entry_v1(           \
      const drover_host_api* host) {                                                                \
    return ::drover::sdk::detail::agent_descriptor<Class>(host, NAME, VERSION, SCHEMA);             \
  }

#endif  // DROVER_PLUGIN_SDK_HPP
