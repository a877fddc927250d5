#pragma once
// Exceptions by kind of failure; main() maps each kind to one documented exit code.
#include <stdexcept>
#include <string>

namespace farmwatch {

/// The command line or pipeline/rule file is wrong (syntax, unknown key, missing value).
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A step's parameters contradict each other or are missing (e.g. --crs without --resolution):
/// on the command line a usage error (exit 2).
class ParamError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

/// An input file cannot be used (missing, no CRS, missing band, no overlap, invalid geometry).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Processing or writing failed after validation passed.
class ProcessingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A file farmwatch wrote earlier (a shard's result) is not as it wrote it: `file` names it.
/// An InputError (exit 4); a merge removes the shard result that holds it.
class DamagedFileError : public InputError {
 public:
  DamagedFileError(std::string file, const std::string& what)
      : InputError("'" + file + "' " + what), file_(std::move(file)) {}
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

/// Another process holds a lock that this one needs (a night already running on the area).
class LockHeldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Exit codes, one per kind of failure (documented in README.md).
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,
  kExitUsage = 2,
  kExitConfig = 3,
  kExitInput = 4,
  kExitProcessing = 5,
  /// The run finished and wrote its outputs, but some scenes could not be used (each one and
  /// why is in summary.json); a nightly job should alert on it, not retry.
  kExitPartial = 6,
  /// Another night holds the area's lock: try later (sysexits' EX_TEMPFAIL).
  kExitLockHeld = 75,
};

}  // namespace farmwatch
