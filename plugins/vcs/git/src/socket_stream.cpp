#include "socket_stream.h"

#include <fcntl.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "drover/plugin/sdk.hpp"

namespace drover::vcs_git {

namespace {

// The timeout of the connections opened from now on (seconds).
std::atomic<int> g_network_timeout_s{20};

// libgit2 calls these through C function pointers: nothing here throws.
struct SocketStream {
  git_stream parent;  // first: libgit2 talks to this
  // From here, the fields of libgit2 1.5's git_socket_stream, in its order
  // (socket_stream.h: the ssh safety net). GIT_SOCKET is an int on POSIX.
  char* host;
  char* port;
  int fd;
  // Ours.
  int timeout_s;
  // The first failure of the connection: later calls report it again, not
  // its consequence (the flush libgit2 sends while disconnecting after a
  // timed-out read fails with EPIPE, and that message would replace the
  // reason).
  const char* failed_what;
  int failed_errno;
};

SocketStream* self(git_stream* stream) { return reinterpret_cast<SocketStream*>(stream); }

// "<host>:<port>: <what>: <strerror>", and "(no answer within N s)" when the
// peer went silent: the message libgit2 passes up to the remote operation.
void set_net_error(const SocketStream* st, const char* what, int err) {
  char silent[96] = "";
  if (err == ETIMEDOUT)
    std::snprintf(silent, sizeof silent, " (no answer within %d s: vcs.config.network_timeout)", st->timeout_s);
  char text[512];
  std::snprintf(text, sizeof text, "%s:%s: %s: %s%s", st->host, st->port, what, std::strerror(err), silent);
  git_error_set_str(GIT_ERROR_NET, text);
}

// Keepalive probes after a quarter of the timeout idle, three of them a
// quarter apart, and unacknowledged data (or probes) for the whole timeout
// drop the connection. Best effort: a kernel without one of these options
// still connects, as libgit2's own socket would.
void bound_silence(int fd, int timeout_s) {
  const int on = 1;
  const int quarter = std::clamp(timeout_s / 4, 1, 32767);  // the kernel's TCP_KEEPIDLE maximum
  const int probes = 3;
  const unsigned int user_timeout_ms = static_cast<unsigned int>(timeout_s) * 1000U;
  (void)::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &quarter, sizeof quarter);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &quarter, sizeof quarter);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

// Waits for a non-blocking connect on fd to finish: 0, or the errno it failed
// with (ETIMEDOUT when nothing answered within timeout_s).
int finish_connect(int fd, int timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return ETIMEDOUT;
    pollfd p{fd, POLLOUT, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000LL * 3600)));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) continue;  // the deadline check above decides
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
  }
}

// Tries one address: the connected, blocking socket, or -1 with *err set.
int connect_one(const addrinfo* a, int timeout_s, int* err) {
  const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  bound_silence(fd, timeout_s);
  int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
  *err = rc == 0 ? 0 : errno;
  if (rc != 0 && (*err == EINPROGRESS || *err == EINTR)) *err = finish_connect(fd, timeout_s);
  if (*err == 0) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) *err = errno;
  }
  if (*err != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int stream_connect(git_stream* stream) {
  SocketStream* st = self(stream);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* info = nullptr;
  if (const int rc = ::getaddrinfo(st->host, st->port, &hints, &info); rc != 0) {
    char text[512];
    std::snprintf(text, sizeof text, "failed to resolve address for %s: %s", st->host, ::gai_strerror(rc));
    git_error_set_str(GIT_ERROR_NET, text);
    return -1;
  }
  // Each address gets the whole timeout: a dead IPv6 route does not use up
  // the IPv4 address's chance.
  int err = EHOSTUNREACH;
  for (const addrinfo* a = info; a != nullptr; a = a->ai_next) {
    const int fd = connect_one(a, st->timeout_s, &err);
    if (fd >= 0) {
      st->fd = fd;
      ::freeaddrinfo(info);
      return 0;
    }
  }
  ::freeaddrinfo(info);
  set_net_error(st, "cannot connect", err);
  return -1;
}

// Records the connection's first failure and reports it (the first again on
// a later call); -1.
ssize_t fail(SocketStream* st, const char* what, int err) {
  if (st->failed_errno == 0) {
    st->failed_what = what;
    st->failed_errno = err;
  }
  set_net_error(st, st->failed_what, st->failed_errno);
  return -1;
}

ssize_t stream_read(git_stream* stream, void* data, size_t len) {
  SocketStream* st = self(stream);
  if (st->failed_errno != 0) return fail(st, "", 0);
  for (;;) {
    const ssize_t n = ::recv(st->fd, data, len, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return fail(st, "error receiving data", errno);
  }
}

ssize_t stream_write(git_stream* stream, const char* data, size_t len, int flags) {
  SocketStream* st = self(stream);
  if (st->failed_errno != 0) return fail(st, "", 0);
  size_t done = 0;
  while (done < len) {
    const ssize_t n = ::send(st->fd, data + done, len - done, flags | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(st, "error sending data", errno);
    }
    done += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(len);
}

int stream_certificate(git_cert** /*out*/, git_stream* /*stream*/) {
  git_error_set_str(GIT_ERROR_NET, "a plain socket has no certificate");
  return -1;
}

int stream_set_proxy(git_stream* /*stream*/, const git_proxy_options* /*opts*/) {
  // libgit2 1.5's http transport speaks to proxies itself (CONNECT over this
  // stream); a stream-level proxy is never asked of a plain socket.
  git_error_set_str(GIT_ERROR_NET, "the socket stream does not support proxies");
  return -1;
}

int stream_close(git_stream* stream) {
  SocketStream* st = self(stream);
  const int rc = st->fd >= 0 ? ::close(st->fd) : 0;
  st->fd = -1;
  return rc;
}

void stream_free(git_stream* stream) {
  SocketStream* st = self(stream);
  if (st->fd >= 0) ::close(st->fd);
  std::free(st->host);
  std::free(st->port);
  delete st;
}

int new_stream(git_stream** out, const char* host, const char* port) {
  auto* st = new (std::nothrow) SocketStream{};
  if (st == nullptr) {
    git_error_set_oom();
    return -1;
  }
  st->parent.version = GIT_STREAM_VERSION;
  st->parent.encrypted = 0;
  st->parent.proxy_support = 0;
  st->parent.connect = stream_connect;
  st->parent.certificate = stream_certificate;
  st->parent.set_proxy = stream_set_proxy;
  st->parent.read = stream_read;
  st->parent.write = stream_write;
  st->parent.close = stream_close;
  st->parent.free = stream_free;
  st->host = ::strdup(host);
  st->port = ::strdup(port);
  st->fd = -1;
  st->timeout_s = g_network_timeout_s.load();
  if (st->host == nullptr || st->port == nullptr) {
    stream_free(&st->parent);
    git_error_set_oom();
    return -1;
  }
  *out = &st->parent;
  return 0;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ::strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

void use_socket_stream_with_timeouts(int network_timeout_s) {
  g_network_timeout_s.store(std::max(1, network_timeout_s));
  static std::once_flag once;
  std::call_once(once, [] {
    static git_stream_registration registration{GIT_STREAM_VERSION, new_stream, nullptr};
    if (git_stream_register(GIT_STREAM_STANDARD, &registration) != 0)
      sdk::log(DROVER_LOG_WARN, std::string("vcs git: cannot install network timeouts (") +
                                    (git_error_last() != nullptr ? git_error_last()->message : "unknown error") +
                                    "); a partitioned remote may hold an operation until the kernel gives up");
  });
}

bool is_ssh_url(std::string_view url) {
  // As libgit2 1.5's transport_find_fn picks the transport.
  for (std::string_view p : {"ssh://", "ssh+git://", "git+ssh://"})
    if (starts_with_nocase(url, p)) return true;
  for (std::string_view p : {"git://", "http://", "https://", "file://"})
    if (starts_with_nocase(url, p)) return false;
  return url.find(':') != std::string_view::npos;
}

}  // namespace drover::vcs_git
