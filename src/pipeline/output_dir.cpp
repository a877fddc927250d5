#include "farmwatch/pipeline/output_dir.h"

#include <unistd.h>

#include <fstream>
#include <optional>

#include "farmwatch/core/error.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;

namespace {

/// This machine's name as it appears in staging folders' names ('/' replaced); empty if unknown.
std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return {};
  std::string h = host;
  for (char& c : h)
    if (c == '/') c = '_';
  return h;
}

/// This process's tag in the names of its staging folders: `<host>-<pid>`. The host makes the
/// names unique on a file system shared by several machines (cluster nodes), where process ids
/// repeat, and tells a later run whether it can check that the process is gone.
std::string process_tag() {
  const std::string host = host_name();
  return (host.empty() ? "" : host + "-") + std::to_string(::getpid());
}

/// The process id in a staging folder's tag when that process ran on this machine, and so can
/// be looked up in /proc; nullopt for a tag of another host (its process may be alive there)
/// or no tag at all. A tag without a host (`<pid>`, as earlier builds wrote) counts as this
/// machine's.
std::optional<std::string> local_pid(const std::string& tag) {
  const auto dash = tag.rfind('-');
  const std::string pid = dash == std::string::npos ? tag : tag.substr(dash + 1);
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  if (dash != std::string::npos && tag.substr(0, dash) != host_name()) return std::nullopt;
  return pid;
}

/// Folders left by runs of this machine that were killed (their process is gone): staging and
/// scratch are removed; a "previous" folder whose swap never finished is put back as the
/// outputs. Folders of runs on other machines are left alone: their process cannot be checked
/// from here.
void recover_after_killed_runs(const fs::path& target) {
  std::error_code ec;
  const std::string stem = target.filename().string();
  for (const auto& e : fs::directory_iterator(target.parent_path(), ec)) {
    const std::string name = e.path().filename().string();
    for (const std::string kind : {".partial-", ".scratch-", ".previous-"}) {
      if (name.rfind(stem + kind, 0) != 0) continue;
      const auto pid = local_pid(name.substr(stem.size() + kind.size()));
      if (!pid || fs::exists("/proc/" + *pid)) continue;
      if (kind == ".previous-" && !fs::exists(target))
        fs::rename(e.path(), target, ec);
      else
        fs::remove_all(e.path(), ec);
    }
  }
}

/// Whether `dir` holds what marks a farmwatch output folder: a summary.json that farmwatch
/// wrote (it names farmwatch_version: a run, change or merge), a shard's shard.json,
/// evaluate's accuracy.json, a tile set of tiles, or, one level down, shard results (a
/// --shard-dir inside the output folder, before its first merge).
bool has_output_marks(const fs::path& dir) {
  std::error_code ec;
  const auto summary = read_json_file(dir / "summary.json");
  if (summary.is_object() && summary.contains("farmwatch_version")) return true;
  for (const char* mark : {"shard.json", "accuracy.json", "webmercator", "tianditu-c"})
    if (fs::exists(dir / mark, ec)) return true;
  for (const auto& child : fs::directory_iterator(dir, ec)) {
    if (!child.is_directory(ec)) continue;
    for (const auto& shard : fs::directory_iterator(child.path(), ec))
      if (shard.is_directory(ec) && fs::exists(shard.path() / "shard.json", ec)) return true;
  }
  return false;
}

}  // namespace

fs::path folder_path(const fs::path& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

fs::path resolved_folder(const fs::path& dir) {
  fs::path p = folder_path(dir);
  std::error_code ec;
  if (fs::is_symlink(p, ec)) {
    const fs::path real = fs::canonical(p, ec);
    if (!ec) p = real;
  }
  return p;
}

void check_output_folder(const fs::path& dir, const std::vector<std::string>& inputs) {
  const fs::path target = resolved_folder(dir);
  auto refuse = [&](const std::string& why) {
    throw ParamError("output folder '" + target.string() + "' " + why +
                     ": farmwatch replaces its output folder as a whole; give a new or empty "
                     "folder, or one a farmwatch run wrote, apart from the inputs");
  };
  std::error_code ec;
  // The inputs: none may be the folder or lie in it (`tiles --in out/change.tif --out out`),
  // both paths compared with their symbolic links resolved.
  const fs::path real_target = fs::weakly_canonical(target, ec);
  for (const std::string& input : inputs) {
    if (input.empty() || ec) break;
    std::error_code e;
    const fs::path in = fs::weakly_canonical(fs::absolute(input), e);
    if (e) continue;
    const auto rel = in.lexically_relative(real_target);
    if (!rel.empty() && *rel.begin() != "..") refuse("holds the input '" + input + "'");
  }
  const auto status = fs::symlink_status(target, ec);
  if (ec || !fs::exists(status)) return;
  if (fs::is_symlink(status)) refuse("is a symbolic link to no folder");
  if (!fs::is_directory(status)) refuse("exists and is not a folder");
  // The working folder or one holding it, through symbolic links too.
  for (fs::path p = fs::current_path(ec); !ec && !p.empty(); p = p.parent_path()) {
    std::error_code eq;
    if (fs::equivalent(p, target, eq)) refuse("is the working folder or holds it");
    if (p == p.root_path()) break;
  }
  if (fs::is_empty(target, ec) || has_output_marks(target)) return;
  refuse("holds files that are not a farmwatch run's outputs");
}

StagedDir::StagedDir(const fs::path& target) : target_(resolved_folder(target)) {
  const std::string tag = process_tag();
  staging_ = target_.string() + ".partial-" + tag;
  scratch_ = target_.string() + ".scratch-" + tag;
  std::error_code ec;
  if (fs::is_directory(target_.parent_path(), ec)) recover_after_killed_runs(target_);
  check_output_folder(target_);
  fs::create_directories(target_.parent_path(), ec);
  fs::remove_all(staging_, ec);
  fs::remove_all(scratch_, ec);
  if (!fs::create_directories(staging_, ec) || !fs::create_directories(scratch_, ec))
    throw ProcessingError("cannot create output folder '" + staging_.string() +
                          "': " + ec.message());
}

StagedDir::~StagedDir() {
  std::error_code ec;
  fs::remove_all(scratch_, ec);
  if (!committed_) fs::remove_all(staging_, ec);
}

void StagedDir::commit() {
  std::error_code ec;
  const fs::path previous = target_.string() + ".previous-" + process_tag();
  const bool had = fs::exists(target_);
  if (had) {
    fs::rename(target_, previous, ec);
    if (ec)
      throw ProcessingError("cannot move previous outputs '" + target_.string() +
                            "' aside: " + ec.message());
  }
  fs::rename(staging_, target_, ec);
  if (ec) {
    std::error_code ec2;
    if (had) fs::rename(previous, target_, ec2);
    throw ProcessingError("cannot move outputs into '" + target_.string() + "': " + ec.message());
  }
  committed_ = true;
  if (had) fs::remove_all(previous, ec);
}

StagedFile::StagedFile(const fs::path& target)
    : target_(fs::absolute(target).lexically_normal()) {
  staging_ = target_.parent_path() /
             (".partial-" + process_tag() + "-" + target_.filename().string());
  std::error_code ec;
  fs::create_directories(target_.parent_path(), ec);
  fs::remove(staging_, ec);
}

StagedFile::~StagedFile() {
  std::error_code ec;
  if (!committed_) fs::remove(staging_, ec);
}

void StagedFile::commit() {
  std::error_code ec;
  fs::rename(staging_, target_, ec);
  if (ec) throw ProcessingError("cannot write '" + target_.string() + "': " + ec.message());
  committed_ = true;
}

nlohmann::json read_json_file(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json() : j;
}

void write_file_atomically(const fs::path& path, const std::string& text) {
  StagedFile file(path);
  {
    std::ofstream out(file.path(), std::ios::binary);
    out << text;
    if (!out) throw ProcessingError("cannot write '" + file.path().string() + "'");
  }
  file.commit();
}

}  // namespace farmwatch::pipeline
