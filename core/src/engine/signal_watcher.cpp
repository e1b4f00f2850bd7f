#include "drover/engine/signal_watcher.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <thread>

namespace drover {

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
  impl_->arm();
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

SignalWatcher::~SignalWatcher() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace drover
