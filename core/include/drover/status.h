// Status and Result<T>: how core reports expected errors (bad config, a plugin
// that refuses, a missing task) without exceptions. Exceptions from third-party
// libraries are caught at module edges and turned into a Status.
#ifndef DROVER_STATUS_H
#define DROVER_STATUS_H

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace drover {

enum class StatusCode {
  kOk = 0,
  kError,            // unexpected failure
  kInvalidArgument,  // bad user input
  kNotFound,
  kConflict,
  kUnavailable,
  kUnsupported,
  kInvalidConfig,
  kCorrupt,  // stored data is damaged: stop, write nothing more, tell the user how to recover
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Error(std::string m) { return Status(StatusCode::kError, std::move(m)); }
  static Status InvalidArgument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
  static Status Conflict(std::string m) { return Status(StatusCode::kConflict, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(StatusCode::kUnavailable, std::move(m)); }
  static Status InvalidConfig(std::string m) { return Status(StatusCode::kInvalidConfig, std::move(m)); }
  static Status Corrupt(std::string m) { return Status(StatusCode::kCorrupt, std::move(m)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<prefix>: <message>".
  Status WithContext(const std::string& prefix) const {
    return ok() ? *this : Status(code_, prefix + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace drover

#define DROVER_RETURN_IF_ERROR(expr)       \
  do {                                     \
    ::drover::Status _st = (expr);         \
    if (!_st.ok()) return _st;             \
  } while (0)

#endif
