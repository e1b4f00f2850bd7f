#include "drover/engine/signal_watcher.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <thread>

namespace drover {
namespace {

// True iff the process was started with `sig` ignored (nohup ignores SIGHUP):
// that choice is kept, so a nohup'd run goes on when its terminal closes.
bool ignored_at_start(int sig) {
  struct sigaction now {};
  return sigaction(sig, nullptr, &now) == 0 && now.sa_handler == SIG_IGN;
}

}  // namespace

struct SignalWatcher::Impl {
  boost::asio::io_context io;
  boost::asio::signal_set signals{io, SIGINT, SIGTERM};
  std::function<void(int)> on_signal;
  int count = 0;
  std::thread thread;

  void arm() {
    signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      on_signal(++count);
      arm();
    });
  }
};

SignalWatcher::SignalWatcher(std::function<void(int)> on_signal) : impl_(std::make_unique<Impl>()) {
  impl_->on_signal = std::move(on_signal);
  // A closed terminal (SIGHUP) counts like Ctrl-C; its default would end
  // drover at once, leaving running agents without their supervisor.
  if (!ignored_at_start(SIGHUP)) impl_->signals.add(SIGHUP);
  impl_->arm();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

SignalWatcher::~SignalWatcher() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace drover
