// The socket libgit2 connects through for git:// and http(s):// remotes, with
// network timeouts. libgit2 1.5 has none (GIT_OPT_SET_SERVER_TIMEOUT came in
// 1.7): a remote cut off by a partition holds a connect for ~2 minutes (SYN
// retries) and an open connection for ~15 (retransmissions), while the
// executor's leases tick on.
//
// Behaviour worth knowing:
//  - Registered as libgit2's GIT_STREAM_STANDARD stream, which the git:// and
//    http:// transports use directly and the TLS stream of https:// (mbedTLS on
//    Debian, OpenSSL elsewhere) creates its socket with: one stream covers
//    all three. The registration is process-wide and permanent, made once.
//  - Connect: each address of the host gets network_timeout seconds.
//  - Open connection: keepalive probes after a quarter of network_timeout idle,
//    three of them a quarter apart, and TCP_USER_TIMEOUT = network_timeout, so
//    a peer that stops answering (its acknowledgements or its keepalive
//    replies) fails the read or write with ETIMEDOUT after about
//    network_timeout. There is deliberately no idle timeout on reads: a server
//    running a slow pre-receive hook sends nothing for minutes, but its kernel
//    answers the probes, and that must not fail.
//  - Failures come back to libgit2 as a GIT_ERROR_NET error naming host:port
//    and the timeout, so the remote operation fails (DROVER_UNAVAILABLE) and
//    the host retries later.
//  - Not for ssh: libgit2 1.5's ssh transport takes the file descriptor out of
//    the stream by casting it to its own socket struct, so the stream is only
//    registered for remotes not reached over ssh, and ssh keeps libgit2's
//    behaviour (no timeouts). As a safety net, should a process that
//    registered the stream reach an ssh URL anyway (the remote's URL changed
//    under a running drover), the stream starts with the same fields as
//    libgit2 1.5's socket stream, so the ssh transport finds its descriptor.
//  - Name resolution (getaddrinfo) is bounded by the resolver's own timeouts
//    (resolv.conf), not by network_timeout.
#ifndef DROVER_VCS_GIT_SOCKET_STREAM_H
#define DROVER_VCS_GIT_SOCKET_STREAM_H

#include <string_view>

namespace drover::vcs_git {

// Makes libgit2 connect through the stream described above, with this timeout
// in seconds (≥ 1). The first call registers the stream; every call sets the
// timeout for the connections opened after it (one value per process: the
// last plugin instance opened decides).
void use_socket_stream_with_timeouts(int network_timeout_s);

// True iff libgit2 1.5 would reach url over ssh: ssh://, ssh+git://, git+ssh://,
// or any URL of no known scheme with a ':' (scp-like user@host:path).
bool is_ssh_url(std::string_view url);

}  // namespace drover::vcs_git

#endif
