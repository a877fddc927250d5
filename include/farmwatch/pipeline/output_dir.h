#pragma once
// Outputs are written to a staging folder beside the target and swapped in only on success,
// so a failed run never leaves half-written files where the last good outputs were.
#include <filesystem>
#include <string>

namespace farmwatch::pipeline {

class StagedDir {
 public:
  /// Creates `<target>.partial-<pid>` (and a scratch folder for intermediate files), after
  /// cleaning up what killed runs left beside the target.
  explicit StagedDir(const std::filesystem::path& target);
  /// Removes the staging and scratch folders unless commit() succeeded.
  ~StagedDir();
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;

  const std::filesystem::path& staging() const { return staging_; }
  /// Intermediate files that never become outputs.
  const std::filesystem::path& scratch() const { return scratch_; }
  const std::filesystem::path& target() const { return target_; }
  /// Replaces the target with the staged outputs (previous outputs are kept until the new
  /// ones are in place, then removed).
  void commit();

 private:
  std::filesystem::path target_, staging_, scratch_;
  bool committed_ = false;
};

/// Writes `text` to `path` through a temporary file and a rename.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

}  // namespace farmwatch::pipeline
