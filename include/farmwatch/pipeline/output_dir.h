#pragma once
// Outputs are written to a staging folder beside the target and swapped in only on success,
// so a failed run never leaves half-written files where the last good outputs were.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace farmwatch::pipeline {

class StagedDir {
 public:
  /// Creates `<target>.partial-<pid>` (and a scratch folder for intermediate files), after
  /// cleaning up what killed runs left beside the target (a symbolic link: beside the folder it
  /// points to). Throws ParamError (naming the target) when check_output_folder(target) does.
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

/// One output file, written under a temporary name in the target's folder (same extension, so
/// GDAL picks the same driver) and renamed into place by commit(): a reader never sees half a
/// file, and a failed step leaves the previous file as it was. Removed unless committed.
class StagedFile {
 public:
  explicit StagedFile(const std::filesystem::path& target);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  /// Where to write.
  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& target() const { return target_; }
  /// rename(2) onto the target; ProcessingError naming it on failure.
  void commit();

 private:
  std::filesystem::path target_, staging_;
  bool committed_ = false;
};

/// A folder's absolute, normal path without a trailing separator ("out/" and "out" are the same
/// folder, so parent_path() is the folder it sits in, not the folder itself).
std::filesystem::path folder_path(const std::filesystem::path& dir);

/// folder_path(dir), and when that is a symbolic link the folder it points to (outputs are
/// staged and swapped there, the link kept).
std::filesystem::path resolved_folder(const std::filesystem::path& dir);

/// Throws ParamError naming `dir` when it is an output folder farmwatch must not replace as a
/// whole: one that holds (or is) one of `inputs`, a file, a symbolic link to no folder, the
/// working folder or a folder holding it, or a folder with contents but no farmwatch output's
/// marks (a summary.json naming farmwatch_version, shard.json, accuracy.json, a tile set,
/// shard results one level down). A missing or empty folder passes. StagedDir checks without
/// inputs; commands that know theirs check first, before any work.
void check_output_folder(const std::filesystem::path& dir,
                         const std::vector<std::string>& inputs = {});

/// Writes `text` to `path` through a temporary file and a rename.
void write_file_atomically(const std::filesystem::path& path, const std::string& text);

/// The JSON document in a file farmwatch wrote (shard results, journals): null when the file
/// is missing or not JSON. Throws nothing.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace farmwatch::pipeline
