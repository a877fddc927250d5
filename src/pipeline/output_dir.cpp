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

/// Refuses, naming it, an output folder that replacing would lose what farmwatch did not
/// write: a path that is not a folder (an input image given as --out), the working folder or a
/// folder holding it, or a folder with contents but none of the files that mark farmwatch's
/// outputs (summary.json of a run, change or merge; shard.json of a shard's result;
/// accuracy.json of evaluate; a tile set of tiles). A missing or empty folder is fine.
void check_replaceable(const fs::path& target) {
  std::error_code ec;
  const auto status = fs::symlink_status(target, ec);
  if (ec || !fs::exists(status)) return;
  auto refuse = [&](const std::string& why) {
    throw ParamError("output folder '" + target.string() + "' " + why +
                     ": farmwatch replaces its output folder as a whole; give a new or empty "
                     "folder, or one a farmwatch run wrote");
  };
  if (!fs::is_directory(status)) refuse("exists and is not a folder");
  const fs::path cwd = fs::current_path(ec).lexically_normal();
  if (!ec) {
    const auto rel = cwd.lexically_relative(target);
    if (!rel.empty() && *rel.begin() != "..") refuse("is the working folder or holds it");
  }
  if (fs::is_empty(target, ec)) return;
  for (const char* mark : {"summary.json", "shard.json", "accuracy.json", "webmercator",
                           "tianditu-c"})
    if (fs::exists(target / mark, ec)) return;
  refuse("holds files that are not a farmwatch run's outputs");
}

}  // namespace

fs::path folder_path(const fs::path& dir) {
  fs::path p = fs::absolute(dir).lexically_normal();
  if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

StagedDir::StagedDir(const fs::path& target) : target_(folder_path(target)) {
  const std::string tag = process_tag();
  staging_ = target_.string() + ".partial-" + tag;
  scratch_ = target_.string() + ".scratch-" + tag;
  std::error_code ec;
  fs::create_directories(target_.parent_path(), ec);
  recover_after_killed_runs(target_);
  check_replaceable(target_);
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
