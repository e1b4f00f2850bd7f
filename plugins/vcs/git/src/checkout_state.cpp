#include "checkout_state.h"

#include <sys/stat.h>

#include "libgit2_handles.h"
#include "repo_queries.h"

namespace drover::vcs_git {
namespace {

// The file's kind, size, mode, inode and change times: any write changes it.
std::string file_signature(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return "absent";
  return std::to_string(st.st_mode) + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec);
}

std::string index_signature(const git_diff_delta* staged) {
  if (staged == nullptr) return "-";
  return oid_hex(staged->new_file.id) + "/" + std::to_string(staged->new_file.mode);
}

}  // namespace

nlohmann::json checkout_state(git_repository* repo, const std::string& root, const std::string& target_branch) {
  nlohmann::json out = {{"head_ref", nullptr}, {"head_commit", nullptr}, {"target_tip", nullptr}};
  git_reference* raw_head = nullptr;
  if (git_reference_lookup(&raw_head, repo, "HEAD") == 0) {
    RefPtr head(raw_head);
    if (git_reference_type(head.get()) == GIT_REFERENCE_SYMBOLIC) out["head_ref"] = git_reference_symbolic_target(head.get());
  }
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo, "HEAD") == 0) out["head_commit"] = oid_hex(oid);
  if (auto tip = branch_tip(repo, target_branch)) out["target_tip"] = oid_hex(*tip);

  nlohmann::json entries = nlohmann::json::object();
  if (!git_repository_is_bare(repo)) {
    git_status_options opts = GIT_STATUS_OPTIONS_INIT;
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
                 GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
    git_status_list* raw = nullptr;
    check(git_status_list_new(&raw, repo, &opts), "vcs git: cannot read the status of " + root);
    StatusListPtr list(raw);
    const size_t n = git_status_list_entrycount(list.get());
    for (size_t i = 0; i < n; ++i) {
      const git_status_entry* e = git_status_byindex(list.get(), i);
      if (e == nullptr || e->status == GIT_STATUS_CURRENT) continue;
      const git_diff_delta* d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;
      if (d == nullptr) continue;
      const char* p = d->new_file.path ? d->new_file.path : d->old_file.path;
      if (p == nullptr) continue;
      const std::string path = p;
      entries[path] = std::to_string(e->status) + "|" + index_signature(e->head_to_index) + "|" +
                      file_signature(root + "/" + path);
    }
  }
  out["entries"] = std::move(entries);
  return out;
}

}  // namespace drover::vcs_git
