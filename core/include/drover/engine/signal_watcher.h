// SignalWatcher: SIGINT, SIGTERM and SIGHUP (the terminal was closed) handled
// on a Boost.Asio loop of its own, so the handler runs as ordinary code (not in
// signal context). The callback gets how many signals arrived so far, of any
// of the three: 1 = drain, 2 = stop. SIGHUP is left alone when the process
// started with it ignored (`nohup drover run`).
#ifndef DROVER_ENGINE_SIGNAL_WATCHER_H
#define DROVER_ENGINE_SIGNAL_WATCHER_H

#include <functional>
#include <memory>

namespace drover {

class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int count)> on_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drover

#endif
