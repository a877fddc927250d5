#include "lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "farmwatch/core/error.h"

namespace farmwatch::pipeline::nightly {

AreaLock::AreaLock(const std::filesystem::path& file, bool wait) {
  std::filesystem::create_directories(file.parent_path());
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw ProcessingError("cannot create the lock file '" + file.string() +
                          "': " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
    const int err = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw LockHeldError("another night holds the lock '" + file.string() + "'" +
                          (n > 0 ? " (pid " + std::string(holder, static_cast<std::size_t>(n)) +
                                       ")"
                                 : std::string()) +
                          "; try later, or give --wait");
    throw ProcessingError("cannot lock '" + file.string() + "': " + std::strerror(err));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t w = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

AreaLock::~AreaLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace farmwatch::pipeline::nightly
