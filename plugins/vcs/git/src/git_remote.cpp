#include "git_remote.h"

#include <strings.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <utility>

#include "drover/plugin/sdk.hpp"
#include "libgit2_handles.h"
#include "repo_lock.h"
#include "repo_queries.h"
#include "socket_stream.h"
#include "task_id.h"

namespace drover::vcs_git {

namespace {

using RemotePtr = GitPtr<git_remote, git_remote_free>;

constexpr const char* kTasksPrefix = "refs/drover/tasks/";
constexpr const char* kSharedPrefix = "refs/drover/shared/";
constexpr const char* kPushPrefix = "refs/drover/push/";

// What the callbacks of one connection learn.
struct CallState {
  int credential_tries = 0;
  std::string cas_ref;           // the ref whose old value must be cas_expected
  git_oid cas_expected{};
  bool moved = false;            // the remote's cas_ref was not at cas_expected
  git_oid remote_now{};          // what it was at
  std::string rejected;          // the remote's reason for refusing an update
};

// ssh: the keys of the running ssh-agent; http(s): what the URL carries, else
// the platform's default (Negotiate/NTLM). Asked once: a second call means the
// first answer was refused, and asking again would loop.
int credentials(git_credential** out, const char* /*url*/, const char* user_from_url, unsigned int allowed,
                void* payload) {
  auto* st = static_cast<CallState*>(payload);
  if (++st->credential_tries > 1) return GIT_PASSTHROUGH;
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) != 0)
    return git_credential_ssh_key_from_agent(out, user_from_url != nullptr ? user_from_url : "git");
  if ((allowed & GIT_CREDENTIAL_USERNAME) != 0)
    return git_credential_username_new(out, user_from_url != nullptr ? user_from_url : "git");
  if ((allowed & GIT_CREDENTIAL_DEFAULT) != 0) return git_credential_default_new(out);
  return GIT_PASSTHROUGH;
}

int check_negotiation(const git_push_update** updates, size_t len, void* payload) {
  auto* st = static_cast<CallState*>(payload);
  for (size_t i = 0; i < len; ++i) {
    if (st->cas_ref.empty() || st->cas_ref != updates[i]->dst_refname) continue;
    if (!git_oid_equal(&updates[i]->src, &st->cas_expected)) {
      st->moved = true;
      st->remote_now = updates[i]->src;
      return GIT_EUSER;  // nothing is sent: the landing is built again on the new tip
    }
  }
  return 0;
}

int note_rejection(const char* /*refname*/, const char* status, void* payload) {
  auto* st = static_cast<CallState*>(payload);
  if (status != nullptr && st->rejected.empty()) st->rejected = status;
  return 0;
}

git_remote_callbacks callbacks_for(CallState& st) {
  git_remote_callbacks cb;
  git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
  cb.credentials = credentials;
  cb.push_negotiation = check_negotiation;
  cb.push_update_reference = note_rejection;
  cb.payload = &st;
  return cb;
}

std::string remote_lock_path(const std::string& common_dir) { return common_dir + "drover-remote.lock"; }

void set_ref(git_repository* repo, const std::string& name, const git_oid& oid, const std::string& why) {
  git_reference* raw = nullptr;
  check(git_reference_create(&raw, repo, name.c_str(), &oid, 1, why.c_str()), "vcs git: cannot update " + name);
  git_reference_free(raw);
}

void delete_ref(git_repository* repo, const std::string& name) {
  git_reference* raw = nullptr;
  if (git_reference_lookup(&raw, repo, name.c_str()) != 0) return;
  RefPtr ref(raw);
  (void)git_reference_delete(ref.get());
}

std::optional<git_oid> ref_target(git_repository* repo, const std::string& name) {
  git_oid oid;
  if (git_reference_name_to_id(&oid, repo, name.c_str()) != 0) return std::nullopt;
  return oid;
}

bool have_object(git_repository* repo, const git_oid& oid) {
  git_odb* raw = nullptr;
  if (git_repository_odb(&raw, repo) != 0) return false;
  const bool has = git_odb_exists(raw, &oid) == 1;
  git_odb_free(raw);
  return has;
}

// The configured remote; DROVER_INVALID_CONFIG saying how to add it when the
// repository has none of that name.
RemotePtr lookup_remote(git_repository* repo, const std::string& name, const std::string& root) {
  git_remote* raw = nullptr;
  int rc = git_remote_lookup(&raw, repo, name.c_str());
  if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC)
    throw sdk::Error(DROVER_INVALID_CONFIG, "vcs git: vcs.config.remote " + quote_text(name) + " is not a remote of " +
                                                root + "; add it with `git remote add " + name +
                                                " <url>` or remove the key to land locally");
  check(rc, "vcs git: cannot read remote " + quote_text(name));
  return RemotePtr(raw);
}

// The URL the remote is reached at in that direction ("" when it has none).
std::string remote_url(git_remote* remote, git_direction direction) {
  if (direction == GIT_DIRECTION_PUSH && git_remote_pushurl(remote) != nullptr) return git_remote_pushurl(remote);
  return git_remote_url(remote) != nullptr ? git_remote_url(remote) : "";
}

// "remote 'origin' (<url>)", for messages.
std::string remote_text(const std::string& name, const std::string& url) {
  return "remote " + quote_text(name) + (url.empty() ? "" : " (" + url + ")");
}

// libgit2's local transport (a path or file:// remote) checks a push's
// fast-forward against the refs it listed at connect, then writes the ref
// unconditionally: two pushers at once could both pass the check and the
// second overwrite the first's landing, or meet on the ref's lock file
// ("failed to lock file … for writing"). So Drover's pushers to one path take
// turns on a lock file in that repository; null for other transports, whose
// server (receive-pack) updates refs with a compare-and-swap.
std::unique_ptr<RepoLock> lock_local_remote(const std::string& url) {
  if (is_ssh_url(url)) return nullptr;
  for (const char* scheme : {"git://", "http://", "https://"})
    if (::strncasecmp(url.c_str(), scheme, std::strlen(scheme)) == 0) return nullptr;
  const std::string dir = ::strncasecmp(url.c_str(), "file://", 7) == 0 ? url.substr(7) : url;
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return nullptr;  // the push says what is wrong
  return std::make_unique<RepoLock>((std::filesystem::path(dir) / "drover-push.lock").string());
}

// Pushes the refspecs, the callbacks reporting into st; libgit2's return code.
int push_specs(git_remote* remote, const std::vector<std::string>& specs, CallState& st) {
  const std::unique_ptr<RepoLock> turn = lock_local_remote(remote_url(remote, GIT_DIRECTION_PUSH));
  std::vector<const char*> raw_specs;
  for (const auto& spec : specs) raw_specs.push_back(spec.c_str());
  git_strarray list{const_cast<char**>(raw_specs.data()), raw_specs.size()};
  git_push_options po;
  git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
  po.callbacks = callbacks_for(st);
  return git_remote_push(remote, &list, &po);
}

}  // namespace

TargetRemote::TargetRemote(std::string name, std::string common_dir, std::string root)
    : name_(std::move(name)), common_dir_(std::move(common_dir)), root_(std::move(root)) {}

std::string TargetRemote::tracking_ref(const std::string& target) const { return "refs/remotes/" + name_ + "/" + target; }

std::string TargetRemote::task_ref(const std::string& task_id) { return kTasksPrefix + task_id; }

namespace {

// One connection to the remote, opened on construction.
class Connection {
 public:
  Connection(git_repository* repo, const std::string& name, const std::string& root, git_direction direction)
      : name_(name), cb_(callbacks_for(st_)), remote_(lookup_remote(repo, name, root)) {
    url_ = remote_url(remote_.get(), direction);
    if (int c = git_remote_connect(remote_.get(), direction, &cb_, nullptr, nullptr); c != 0) fail(c, "reach");
  }
  ~Connection() {
    if (remote_) git_remote_disconnect(remote_.get());
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The refs the remote advertised, by name.
  std::map<std::string, git_oid> refs() {
    const git_remote_head** heads = nullptr;
    size_t n = 0;
    if (int rc = git_remote_ls(&heads, &n, remote_.get()); rc != 0) fail(rc, "list the refs of");
    std::map<std::string, git_oid> out;
    for (size_t i = 0; i < n; ++i) out[heads[i]->name] = heads[i]->oid;
    return out;
  }

  // Downloads what the fetch refspecs name, unless every commit they want is
  // here already: one exchange for all of them.
  void download(git_repository* repo, const std::vector<std::pair<std::string, git_oid>>& spec_and_want) {
    std::vector<const char*> specs;
    for (const auto& [spec, want] : spec_and_want)
      if (!have_object(repo, want)) specs.push_back(spec.c_str());
    if (specs.empty()) return;
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    fo.callbacks = cb_;
    fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
    fo.update_fetchhead = 0;
    git_strarray list{const_cast<char**>(specs.data()), specs.size()};
    if (int rc = git_remote_download(remote_.get(), &list, &fo); rc != 0) fail(rc, "fetch from");
  }

  // A failed exchange with the remote: whatever broke it, a later try may
  // work (the network, the server, a reply that never came), except refused
  // credentials or certificates, which need the user.
  [[noreturn]] void fail(int rc, const std::string& verb) const {
    const std::string why = last_git_error();
    const std::string where = remote_text(name_, url_);
    if (rc == GIT_EAUTH || rc == GIT_ECERTIFICATE)
      throw sdk::Error(DROVER_CONFLICT, "vcs git: cannot " + verb + " " + where + ": " + why +
                                            "; check the credentials (ssh-agent for ssh URLs) and retry");
    throw sdk::Error(DROVER_UNAVAILABLE, "vcs git: cannot " + verb + " " + where + ": " + why);
  }

 private:
  std::string name_;
  std::string url_;
  CallState st_;
  git_remote_callbacks cb_;
  RemotePtr remote_;
};

}  // namespace

TargetRemote::Fetched TargetRemote::fetch(git_repository* repo, const std::string& target,
                                          const std::string& task_id) const {
  const std::string want = "refs/heads/" + target;
  Fetched out{};
  {
    Connection c(repo, name_, root_, GIT_DIRECTION_FETCH);
    const std::map<std::string, git_oid> refs = c.refs();
    auto it = refs.find(want);
    if (it == refs.end())
      throw sdk::Error(DROVER_NOT_FOUND, "vcs git: target branch " + quote_text(target) + " does not exist on remote " +
                                             quote_text(name_) + "; push it there first (git push " + name_ + " " +
                                             target + ")");
    out.tip = it->second;
    std::vector<std::pair<std::string, git_oid>> downloads = {{"+" + want + ":" + tracking_ref(target), out.tip}};
    if (!task_id.empty())
      if (auto saved = refs.find(task_ref(task_id)); saved != refs.end()) {
        out.saved = saved->second;
        downloads.emplace_back("+" + task_ref(task_id) + ":" + kSharedPrefix + task_id, saved->second);
      }
    c.download(repo, downloads);
  }
  RepoLock lock(remote_lock_path(common_dir_));
  set_ref(repo, tracking_ref(target), out.tip, "drover: fetch " + target);
  if (out.saved) set_ref(repo, kSharedPrefix + task_id, *out.saved, "drover: fetch the work of task " + task_id);
  return out;
}

void TargetRemote::check_configured(git_repository* repo) const { (void)lookup_remote(repo, name_, root_); }

void TargetRemote::limit_network_waits(git_repository* repo, int network_timeout_s) const {
  RemotePtr remote = lookup_remote(repo, name_, root_);
  for (git_direction d : {GIT_DIRECTION_FETCH, GIT_DIRECTION_PUSH})
    if (const std::string url = remote_url(remote.get(), d); is_ssh_url(url)) {
      sdk::log(DROVER_LOG_INFO, "vcs git: " + remote_text(name_, url) +
                                    " is reached over ssh, where vcs.config.network_timeout does not apply "
                                    "(libgit2 1.5's ssh transport has no timeouts): a partitioned remote holds an "
                                    "operation until the kernel gives up on the connection");
      return;
    }
  use_socket_stream_with_timeouts(network_timeout_s);
}

std::optional<git_oid> TargetRemote::known_tip(git_repository* repo, const std::string& target) const {
  return ref_target(repo, tracking_ref(target));
}

TargetRemote::Pushed TargetRemote::push_target(git_repository* repo, const std::string& target, const git_oid& expected,
                                               const git_oid& commit) const {
  const std::string dst = "refs/heads/" + target;
  const std::string src = kPushPrefix + target;
  set_ref(repo, src, commit, "drover: publish on " + target);
  CallState st;
  st.cas_ref = dst;
  st.cas_expected = expected;
  RemotePtr remote = lookup_remote(repo, name_, root_);
  const std::string url = remote_url(remote.get(), GIT_DIRECTION_PUSH);
  // Never forced: the remote refuses anything but a fast-forward.
  const int rc = push_specs(remote.get(), {src + ":" + dst}, st);
  const std::string why = rc != 0 ? last_git_error() : std::string();
  delete_ref(repo, src);
  const std::string where = remote_text(name_, url);
  // Moved (seen at negotiation, or a commit there that is not here and so
  // cannot be fast-forwarded): nothing was sent. Fetch what is there now.
  if (st.moved || rc == GIT_ENONFASTFORWARD) {
    (void)fetch_target(repo, target);
    return Pushed::kMoved;
  }
  if (rc == GIT_EAUTH || rc == GIT_ECERTIFICATE)
    throw sdk::Error(DROVER_CONFLICT, "vcs git: cannot push to " + where + ": " + why +
                                          "; check the credentials (ssh-agent for ssh URLs) and retry");
  // Anything else may be a push that landed and whose reply was lost: the
  // caller tries again later and finds its commit on the remote.
  if (rc != 0) throw sdk::Error(DROVER_UNAVAILABLE, "vcs git: cannot push " + target + " to " + where + ": " + why);
  if (!st.rejected.empty()) {
    // Refused. A race with another pusher between the negotiation and the
    // update looks like this too: then the target moved, and that is all.
    const git_oid now = fetch_target(repo, target);
    if (!git_oid_equal(&now, &expected)) return Pushed::kMoved;
    throw sdk::Error(DROVER_CONFLICT, "vcs git: " + where + " refused the update of " + target + " to " +
                                          oid_hex(commit) + ": " + st.rejected +
                                          "; Drover does not retry this: allow the push (hooks, permissions, branch "
                                          "protection) and retry the task");
  }
  RepoLock lock(remote_lock_path(common_dir_));
  set_ref(repo, tracking_ref(target), commit, "drover: published on " + target);
  return Pushed::kPushed;
}

void TargetRemote::push_task(git_repository* repo, const std::string& task_id, const git_oid& commit) const {
  const std::string local = kSharedPrefix + task_id;
  if (auto at = ref_target(repo, local); at && git_oid_equal(&*at, &commit)) return;  // the remote has it already
  set_ref(repo, local, commit, "drover: save the work of task " + task_id);
  CallState st;
  RemotePtr remote = lookup_remote(repo, name_, root_);
  const int rc = push_specs(remote.get(), {"+" + local + ":" + task_ref(task_id)}, st);
  if (rc != 0 || !st.rejected.empty()) {
    const std::string why = rc != 0 ? last_git_error() : st.rejected;
    delete_ref(repo, local);  // not known to be there: the next commit pushes again
    throw sdk::Error(rc == GIT_EAUTH || !st.rejected.empty() ? DROVER_CONFLICT : DROVER_UNAVAILABLE,
                     "vcs git: cannot save the work of task " + quote_text(task_id) + " on remote " + quote_text(name_) +
                         " as " + task_ref(task_id) + ": " + why);
  }
}

void TargetRemote::forget_tasks(git_repository* repo, const std::vector<std::string>& task_ids) const {
  if (task_ids.empty()) return;
  try {
    std::map<std::string, git_oid> refs;
    {
      Connection c(repo, name_, root_, GIT_DIRECTION_PUSH);
      refs = c.refs();
    }
    std::vector<std::string> deletes;
    for (const auto& id : task_ids)
      if (refs.count(task_ref(id)) != 0) deletes.push_back(":" + task_ref(id));
    if (!deletes.empty()) {
      CallState st;
      RemotePtr remote = lookup_remote(repo, name_, root_);
      check(push_specs(remote.get(), deletes, st), "vcs git: cannot push", DROVER_UNAVAILABLE);
      if (!st.rejected.empty()) throw sdk::Error(DROVER_CONFLICT, st.rejected);
    }
    for (const auto& id : task_ids) delete_ref(repo, kSharedPrefix + id);
  } catch (const sdk::Error& e) {
    sdk::log(DROVER_LOG_WARN, "vcs git: could not delete the saved work of landed tasks from remote " +
                                  quote_text(name_) + " (" + e.what() + "); the next landing or removal tries again");
  }
}

}  // namespace drover::vcs_git
