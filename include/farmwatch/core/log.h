#pragma once
// Logging is passed in, never written to std::cout from library code.
#include <functional>
#include <string>

namespace farmwatch {

enum class LogLevel { debug = 0, info = 1, warning = 2, error = 3 };

/// A named logger; messages go to a sink chosen by the program (stderr in the CLI).
class Log {
 public:
  using Sink = std::function<void(LogLevel, const std::string&)>;
  Log() = default;
  Log(Sink sink, LogLevel min_level, std::string prefix = {})
      : sink_(std::move(sink)), min_(min_level), prefix_(std::move(prefix)) {}
  /// A logger for a stage: messages are prefixed with "[name] ".
  Log child(const std::string& name) const { return Log(sink_, min_, name); }
  void debug(const std::string& m) const { emit(LogLevel::debug, m); }
  void info(const std::string& m) const { emit(LogLevel::info, m); }
  void warn(const std::string& m) const { emit(LogLevel::warning, m); }
  void error(const std::string& m) const { emit(LogLevel::error, m); }
  LogLevel level() const { return min_; }

 private:
  void emit(LogLevel l, const std::string& m) const {
    if (sink_ && l >= min_) sink_(l, prefix_.empty() ? m : "[" + prefix_ + "] " + m);
  }
  Sink sink_;
  LogLevel min_ = LogLevel::warning;
  std::string prefix_;
};

}  // namespace farmwatch
