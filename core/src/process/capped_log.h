// CappedLog: a process's log file that keeps at most a given size of output,
// its head and its tail, with one line between them saying how many bytes were
// cut (logs.max_size).
//
// Memory stays constant (one 64 KiB copy buffer): output is written to the file
// as it comes; once the file passes the cap by half the cap, the newest half
// is copied back to follow the head and the cut line, and the file truncated.
// So while the process runs the file may reach 1.5 x the cap, and close() cuts
// it back to the cap exactly. Copying is amortised: each byte kept is copied
// at most once per half-cap of new output.
#ifndef DROVER_PROCESS_CAPPED_LOG_H
#define DROVER_PROCESS_CAPPED_LOG_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "drover/status.h"

namespace drover {

class CappedLog {
 public:
  // The smallest cap: room for a head, a tail and the cut line.
  static constexpr uint64_t kMinCap = 4096;

  // Opens path for appending, creating it 0600 (and missing directories 0700).
  // max_bytes 0 means no cap; a smaller cap than kMinCap is raised to it.
  static Result<std::unique_ptr<CappedLog>> open(const std::string& path, uint64_t max_bytes);
  CappedLog(const CappedLog&) = delete;
  CappedLog& operator=(const CappedLog&) = delete;
  ~CappedLog();

  // Appends n bytes. False (errno set) if the file could not be written.
  bool append(const char* p, std::size_t n);
  // Cuts the file back to the cap and closes it. False (errno set) on error.
  bool close();

 private:
  CappedLog(int fd, uint64_t size, uint64_t max_bytes);
  bool write_at(uint64_t offset, const char* p, std::size_t n);
  bool cut();

  int fd_;
  uint64_t end_;           // the file's size
  uint64_t max_;           // 0 = no cap
  uint64_t head_ = 0;      // bytes kept from the start
  uint64_t tail_ = 0;      // bytes kept from the end
  bool cut_ = false;       // the cut line is in place after the head
  uint64_t cut_bytes_ = 0;
};

}  // namespace drover

#endif
