#pragma once
// Process-wide GDAL set-up: drivers, cache size, and GDAL's messages routed into a Log.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "farmwatch/core/log.h"

namespace farmwatch::io {

/// Registers drivers, bounds GDAL's block cache (MB, unless GDAL_CACHEMAX is set) and routes CPL
/// errors/warnings into `log`. Call once, from main(); `log` must outlive all GDAL use.
void setup_gdal(const Log* log, int cache_mb = 64);

/// GDAL's block cache set to `bytes` for a scope, then restored; left alone when the user set
/// GDAL_CACHEMAX. The cache is process-wide: set it from one thread.
class ScopedBlockCache {
 public:
  explicit ScopedBlockCache(std::int64_t bytes);
  ~ScopedBlockCache();
  ScopedBlockCache(const ScopedBlockCache&) = delete;
  ScopedBlockCache& operator=(const ScopedBlockCache&) = delete;
  /// The cache's size now, bytes.
  static std::int64_t current();
  /// The size for a stage that needs `bytes` of cache (the block rows it reads over and over):
  /// never below current(), at most 4 GB unless current() is larger already.
  static std::int64_t grown_to(std::int64_t bytes);

 private:
  std::int64_t before_;
};

/// Uncompressed GeoTIFFs opened to read within the scope are mapped into memory instead of
/// read block by block (GDAL's GTIFF_VIRTUAL_MEM_IO=IF_ENOUGH_RAM): for stages that read
/// many small windows in turn (the patches, the sieve's change vector), where each window
/// otherwise costs a whole block's read() copy and fresh pages in GDAL's block cache. Not for
/// whole-raster passes: every page read counts in the resident size until the dataset closes,
/// and the merge's COGs took 1.6 s mapped against 1.3 s read. Left alone when the option is
/// set already (by the user, or by an enclosing scope). The option is process-wide: set it
/// from one thread.
class ScopedMappedReads {
 public:
  ScopedMappedReads();
  ~ScopedMappedReads();
  ScopedMappedReads(const ScopedMappedReads&) = delete;
  ScopedMappedReads& operator=(const ScopedMappedReads&) = delete;

 private:
  bool set_ = false;  ///< this scope set the option (and unsets it)
};

/// The time outputs show as UTC seconds since 1970: SOURCE_DATE_EPOCH (the reproducible-builds
/// convention) when it is set, so that the same inputs give the same bytes, else now.
std::int64_t shown_epoch();
/// shown_epoch() as ISO 8601 UTC: 2026-03-15T02:10:00Z.
std::string shown_utc();

/// When SOURCE_DATE_EPOCH is set (reproducible builds convention), GeoPackage timestamps use
/// it instead of the clock, so identical inputs give identical files.
void honour_source_date_epoch();
/// The versions of the libraries linked in: {"GDAL": "3.6.2", "PROJ": "9.1.1"}.
std::vector<std::pair<std::string, std::string>> library_versions();

}  // namespace farmwatch::io
