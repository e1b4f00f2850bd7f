#include "drover/plugin_host/plugin_host.h"

#include <algorithm>
#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>

#include <filesystem>
#include <cstdlib>
#include <iostream>

#include "drover/plugin/agent.h"
#include "drover/plugin/storage.h"
#include "drover/plugin/vcs.h"
#include "drover/plugin_host/abi_objects.h"
#include "drover/plugin_host/elf_symbols.h"

namespace drover {
namespace fs = std::filesystem;

namespace {

bool debug_enabled() {
  const char* v = std::getenv("DROVER_DEBUG_PLUGINS");
  return v != nullptr && std::string(v) != "" && std::string(v) != "0";
}

void debug(const std::string& message) {
  if (debug_enabled()) std::cerr << "drover: plugins: " << message << "\n";
}

std::string abi_string(int major, int minor) { return std::to_string(major) + "." + std::to_string(minor); }

// "an agent", "a storage"
std::string with_article(const std::string& kind) { return (kind == "agent" ? "an " : "a ") + kind; }

std::string cstr(const char* s) { return s == nullptr ? std::string() : std::string(s); }

uint32_t min_vtable_size(drover_plugin_kind kind) {
  switch (kind) {
    case DROVER_KIND_AGENT: return DROVER_AGENT_VTABLE_V1_0_SIZE;  // later entries are probed
    case DROVER_KIND_STORAGE: return DROVER_STORAGE_VTABLE_V1_0_SIZE;  // later entries are probed
    case DROVER_KIND_VCS: return DROVER_VCS_VTABLE_V1_0_SIZE;  // later entries are probed
    default: return 0;
  }
}

// Libraries are never unloaded: plugins may leave threads or static state behind.
std::vector<boost::dll::shared_library>& loaded_libraries() {
  static auto* libs = new std::vector<boost::dll::shared_library>();
  return *libs;
}

}  // namespace

std::string kind_name(drover_plugin_kind kind) {
  switch (kind) {
    case DROVER_KIND_AGENT: return "agent";
    case DROVER_KIND_STORAGE: return "storage";
    case DROVER_KIND_VCS: return "vcs";
    default: return "unknown(" + std::to_string(kind) + ")";
  }
}

drover_plugin_kind kind_from_name(const std::string& name) {
  if (name == "agent") return DROVER_KIND_AGENT;
  if (name == "storage") return DROVER_KIND_STORAGE;
  if (name == "vcs") return DROVER_KIND_VCS;
  return 0;
}

PluginHost::PluginHost(std::vector<std::string> search_dirs) : dirs_(std::move(search_dirs)) {
  std::string def = default_plugin_dir();
  if (!def.empty() && std::find(dirs_.begin(), dirs_.end(), def) == dirs_.end()) dirs_.push_back(def);
}

std::string PluginHost::default_plugin_dir() {
  if (const char* env = std::getenv("DROVER_PLUGIN_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  fs::path exe = boost::dll::program_location(ec);
  if (ec) return "";
  return (exe.parent_path().parent_path() / "lib" / "drover" / "plugins").lexically_normal().string();
}

Result<const LoadedPlugin*> PluginHost::load(drover_plugin_kind kind, const std::string& name) {
  std::string file = "libdrover-" + kind_name(kind) + "-" + name + ".so";
  for (const auto& dir : dirs_) {
    fs::path candidate = fs::path(dir) / file;
    std::error_code ec;
    if (fs::exists(candidate, ec)) {
      debug("found " + kind_name(kind) + " plugin '" + name + "' at " + candidate.string());
      auto r = load_file(candidate.string(), kind);
      if (r.ok() && r.value()->info.name != name) {
        return Status::InvalidConfig("plugin file " + candidate.string() + " calls itself '" + r.value()->info.name +
                                     "', not '" + name + "'; rename the file or fix the plugin's name");
      }
      return r;
    }
    debug("no " + file + " in " + dir);
  }
  std::string where;
  for (const auto& d : dirs_) where += (where.empty() ? "" : ", ") + d;
  return Status::NotFound("no " + kind_name(kind) + " plugin named '" + name + "' (looked for " + file + " in " +
                          where + "); check the name in drover.yaml or add its directory to plugin_dirs");
}

Result<const LoadedPlugin*> PluginHost::load_file(const std::string& path, drover_plugin_kind expected_kind) {
  std::error_code ec;
  fs::path p = fs::canonical(fs::path(path), ec);
  if (ec) return Status::NotFound("plugin file " + path + " does not exist");
  const std::string canonical = p.string();

  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = loaded_.find(canonical); it != loaded_.end()) {
    const LoadedPlugin* lp = it->second.get();
    if (expected_kind != 0 && lp->info.kind != expected_kind) {
      return Status::InvalidConfig("plugin '" + lp->info.name + "' (" + path + ") is " + with_article(kind_name(lp->info.kind)) +
                                   " plugin, but it is configured as a " + kind_name(expected_kind) + " plugin");
    }
    return lp;
  }

  // Look before loading: a file that does not export the entry point is never dlopen'ed.
  auto exported = elf_exports_symbol(canonical, DROVER_PLUGIN_ENTRY_SYMBOL);
  if (!exported.ok()) {
    debug("refused " + path + ": " + exported.status().message());
    return Status::InvalidArgument("'" + path + "' is not a Drover plugin: not a loadable shared library (" +
                                   exported.status().message() + ")");
  }
  if (!exported.value()) {
    debug("refused " + path + ": no " DROVER_PLUGIN_ENTRY_SYMBOL);
    return Status::InvalidArgument("'" + path + "' is not a Drover plugin: it does not export " +
                                   DROVER_PLUGIN_ENTRY_SYMBOL +
                                   " (was it built with drover_add_plugin() against this SDK?)");
  }

  boost::dll::shared_library lib;
  {
    // dlopen directly for the loader's own message (missing symbol or library).
    void* probe = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (probe == nullptr) {
      const char* loader = dlerror();
      std::string why = loader != nullptr ? loader : "unknown loader error";
    debug("refused " + path + ": load failed: " + why);
    return Status::InvalidArgument("plugin " + path + " could not be loaded: " + why +
                                   " (a library or symbol it needs is missing; rebuild it against this drover or "
                                   "install what it links to)");
    }
  }
  std::error_code load_ec;
  lib.load(p, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, load_ec);
  if (load_ec) return Status::InvalidArgument("plugin " + path + " could not be loaded: " + load_ec.message());
  auto entry = lib.get<const drover_plugin_descriptor*(const drover_host_api*)>(DROVER_PLUGIN_ENTRY_SYMBOL);
  loaded_libraries().push_back(lib);

  const drover_plugin_descriptor* d = nullptr;
  try {
    d = entry(host_api());
  } catch (...) {
    return Status::Error("plugin " + path + " threw an exception from its entry point; it is broken");
  }
  if (d == nullptr) return Status::InvalidArgument("plugin " + path + " returned no descriptor from its entry point");

  // The two version fields sit at fixed offsets in every generation: check them
  // before trusting anything else in the struct.
  const std::string host_abi = abi_string(DROVER_PLUGIN_ABI_MAJOR, DROVER_PLUGIN_ABI_MINOR);
  const std::string plugin_abi = abi_string(d->abi_major, d->abi_minor);
  const std::string host_range = DROVER_PLUGIN_ABI_MINOR == 0 ? host_abi : "1.0–" + host_abi;
  if (d->abi_major != DROVER_PLUGIN_ABI_MAJOR) {
    debug("refused " + path + ": ABI major " + std::to_string(d->abi_major));
    return Status(StatusCode::kUnsupported,
                  "plugin at " + path + " was built for plugin ABI " + plugin_abi + "; this drover supports ABI " +
                      host_range + ". Rebuild it against this SDK or use a drover that supports ABI " + plugin_abi);
  }
  if (d->struct_size < sizeof(drover_plugin_descriptor)) {
    return Status::InvalidArgument("plugin at " + path + " has a descriptor of " + std::to_string(d->struct_size) +
                                   " bytes, smaller than ABI 1.0's " + std::to_string(sizeof(drover_plugin_descriptor)) +
                                   "; rebuild it against this SDK");
  }
  const std::string name = cstr(d->name);
  if (d->abi_minor > DROVER_PLUGIN_ABI_MINOR) {
    debug("refused " + path + ": ABI minor " + std::to_string(d->abi_minor));
    return Status(StatusCode::kUnsupported, "plugin '" + name + "' (" + path + ") was built for plugin ABI " +
                                                plugin_abi + "; this drover supports ABI " + host_range +
                                                ". Rebuild it against this SDK or upgrade drover");
  }
  if (min_vtable_size(d->kind) == 0) {
    return Status::InvalidArgument("plugin '" + name + "' (" + path + ") declares unknown kind " +
                                   std::to_string(d->kind) + "; expected agent, storage or vcs");
  }
  if (expected_kind != 0 && d->kind != expected_kind) {
    debug("refused " + path + ": kind " + kind_name(d->kind));
    return Status::InvalidConfig("plugin '" + name + "' (" + path + ") is " + with_article(kind_name(d->kind)) +
                                 " plugin, but it is configured as a " + kind_name(expected_kind) + " plugin");
  }
  if (d->vtable == nullptr || d->vtable_size < min_vtable_size(d->kind)) {
    return Status::InvalidArgument("plugin '" + name + "' (" + path + ") has a " + kind_name(d->kind) +
                                   " vtable of " + std::to_string(d->vtable_size) + " bytes; ABI " + plugin_abi +
                                   " needs at least " + std::to_string(min_vtable_size(d->kind)) +
                                   ". Rebuild it against this SDK");
  }
  if (*static_cast<const uint32_t*>(d->vtable) < min_vtable_size(d->kind)) {
    return Status::InvalidArgument("plugin '" + name + "' (" + path + ") has a vtable whose struct_size is too "
                                   "small for its kind; rebuild it against this SDK");
  }

  auto lp = std::make_unique<LoadedPlugin>();
  lp->descriptor = d;
  lp->info.path = canonical;
  lp->info.name = name;
  lp->info.kind = d->kind;
  lp->info.version = cstr(d->version);
  lp->info.abi_major = d->abi_major;
  lp->info.abi_minor = d->abi_minor;
  lp->info.build_info = cstr(d->build_info);
  lp->info.config_schema = cstr(d->config_schema);
  lp->info.vtable_size = d->vtable_size;
  debug("loaded " + kind_name(d->kind) + " plugin '" + name + "' " + lp->info.version + " (ABI " + plugin_abi +
        ") from " + canonical);
  const LoadedPlugin* raw = lp.get();
  loaded_.emplace(canonical, std::move(lp));
  return raw;
}

std::vector<PluginHost::Listing> PluginHost::list() {
  std::vector<std::string> files;
  for (const auto& dir : dirs_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> here;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::string fname = it->path().filename().string();
      if (fname.rfind("libdrover-", 0) == 0 && it->path().extension() == ".so") here.push_back(it->path().string());
    }
    std::sort(here.begin(), here.end());
    files.insert(files.end(), here.begin(), here.end());
  }
  std::vector<Listing> out;
  for (const auto& f : files) out.push_back(Listing{f, load_file(f, 0)});
  return out;
}

}  // namespace drover
