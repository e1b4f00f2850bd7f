#include "drover/sandbox/landlock.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace drover {
namespace {

// Spelled out here: the build machine's <linux/landlock.h> may be older than
// the kernel Drover runs on.
constexpr uint64_t kWriteFile = 1ULL << 1;
constexpr uint64_t kRemoveDir = 1ULL << 4;
constexpr uint64_t kRemoveFile = 1ULL << 5;
constexpr uint64_t kMakeChar = 1ULL << 6;
constexpr uint64_t kMakeDir = 1ULL << 7;
constexpr uint64_t kMakeReg = 1ULL << 8;
constexpr uint64_t kMakeSock = 1ULL << 9;
constexpr uint64_t kMakeFifo = 1ULL << 10;
constexpr uint64_t kMakeBlock = 1ULL << 11;
constexpr uint64_t kMakeSym = 1ULL << 12;
constexpr uint64_t kRefer = 1ULL << 13;
constexpr uint64_t kTruncate = 1ULL << 14;
// Rights that make sense on a file (the rest apply to directories only).
constexpr uint64_t kFileRights = kWriteFile | kTruncate;

constexpr unsigned kCreateRulesetVersion = 1U << 0;
constexpr int kRulePathBeneath = 1;

struct RulesetAttr {
  uint64_t handled_access_fs;
};

struct __attribute__((packed)) PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

long create_ruleset(const RulesetAttr* attr, size_t size, unsigned flags) {
  return ::syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

int landlock_abi_version(std::string* why) {
  long abi = create_ruleset(nullptr, 0, kCreateRulesetVersion);
  if (abi > 0) return static_cast<int>(abi);
  if (why != nullptr) {
    *why = errno == ENOSYS       ? "this kernel has no Landlock (Linux 5.13 or later with CONFIG_SECURITY_LANDLOCK)"
           : errno == EOPNOTSUPP ? "Landlock is disabled on this machine (add landlock to the lsm= boot parameter)"
                                 : "probing Landlock failed: " + errno_text(errno);
  }
  return 0;
}

uint64_t landlock_write_rights(int abi) {
  if (abi <= 0) return 0;
  uint64_t rights = kWriteFile | kRemoveDir | kRemoveFile | kMakeChar | kMakeDir | kMakeReg | kMakeSock | kMakeFifo |
                    kMakeBlock | kMakeSym;
  if (abi >= 2) rights |= kRefer;
  if (abi >= 3) rights |= kTruncate;
  return rights;
}

Status restrict_writes_to(const std::vector<std::string>& write_paths, int abi) {
  const uint64_t handled = landlock_write_rights(abi);
  if (handled == 0) return Status::Unavailable("cannot sandbox: Landlock ABI " + std::to_string(abi) + " is unusable");
  RulesetAttr attr{handled};
  int ruleset = static_cast<int>(create_ruleset(&attr, sizeof attr, 0));
  if (ruleset < 0) return Status::Unavailable("cannot create a Landlock ruleset: " + errno_text(errno));
  for (const std::string& path : write_paths) {
    int fd = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) continue;  // not there: nothing to allow
    struct stat st {};
    ::fstat(fd, &st);
    PathBeneathAttr rule{S_ISDIR(st.st_mode) ? handled : (handled & kFileRights), fd};
    long rc = ::syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &rule, 0);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
      ::close(ruleset);
      return Status::Unavailable("cannot allow writes to " + path + " in the Landlock ruleset: " + errno_text(err));
    }
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    int err = errno;
    ::close(ruleset);
    return Status::Unavailable("cannot set no_new_privs for the sandbox: " + errno_text(err));
  }
  long rc = ::syscall(SYS_landlock_restrict_self, ruleset, 0);
  int err = errno;
  ::close(ruleset);
  if (rc != 0) return Status::Unavailable("cannot enforce the Landlock ruleset: " + errno_text(err));
  return Status::Ok();
}

}  // namespace drover
