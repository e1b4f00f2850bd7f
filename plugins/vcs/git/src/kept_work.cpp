#include "kept_work.h"

#include "libgit2_handles.h"
#include "repo_queries.h"
#include "task_id.h"

namespace drover::vcs_git {

namespace {

constexpr const char* kPrefix = "refs/drover/";

// "refs/drover/<kind>/<key>/<rest>" -> "<key>", or "" when the name has no such shape.
std::string key_of(const std::string& ref) {
  if (ref.rfind(kPrefix, 0) != 0) return "";
  const size_t kind_end = ref.find('/', std::string(kPrefix).size());
  if (kind_end == std::string::npos) return "";
  const size_t key_end = ref.find('/', kind_end + 1);
  if (key_end == std::string::npos) return "";
  return ref.substr(kind_end + 1, key_end - kind_end - 1);
}

}  // namespace

nlohmann::json list_kept_work(git_repository* repo) {
  nlohmann::json out = nlohmann::json::array();
  git_reference_iterator* raw_it = nullptr;
  if (git_reference_iterator_glob_new(&raw_it, repo, "refs/drover/*") != 0) return out;
  for (git_reference* raw = nullptr; git_reference_next(&raw, raw_it) == 0; raw = nullptr) {
    RefPtr ref(raw);
    const std::string name = git_reference_name(ref.get());
    const std::string key = key_of(name);
    const git_oid* target = git_reference_target(ref.get());
    if (key.empty() || target == nullptr) continue;
    std::string summary;
    git_commit* raw_commit = nullptr;
    if (git_commit_lookup(&raw_commit, repo, target) == 0) {
      CommitPtr c(raw_commit);
      if (const char* s = git_commit_summary(c.get())) summary = s;
    }
    out.push_back({{"task_id", key}, {"kept_ref", name}, {"head", oid_hex(*target)}, {"summary", summary}});
  }
  git_reference_iterator_free(raw_it);
  return out;
}

bool drop_kept_work(git_repository* repo, const std::string& task_id, const std::string& ref) {
  if (key_of(ref) != task_id || git_reference_is_valid_name(ref.c_str()) != 1)
    throw sdk::Error(DROVER_INVALID_ARGUMENT, "vcs git: " + quote_text(ref) + " is not work kept for task " +
                                                  quote_text(task_id) + " (refs/drover/<kind>/" + task_id + "/...)");
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, ref.c_str()) != 0) return false;
  RefPtr r(raw);
  check(git_reference_delete(r.get()), "vcs git: cannot delete " + ref);
  return true;
}

}  // namespace drover::vcs_git
