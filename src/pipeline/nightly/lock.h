#pragma once
// The area's lock: flock(2) on a file in the state folder, which the kernel releases when the
// process dies, even by SIGKILL (operations.md). Not reliable on NFS: keep `state` local.
#include <filesystem>

namespace farmwatch::pipeline::nightly {

class AreaLock {
 public:
  /// Takes the lock; without `wait`, LockHeldError at once (naming the file and the holder's
  /// pid) when another process holds it. ProcessingError if the file cannot be created.
  AreaLock(const std::filesystem::path& file, bool wait);
  ~AreaLock();
  AreaLock(const AreaLock&) = delete;
  AreaLock& operator=(const AreaLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace farmwatch::pipeline::nightly
