#pragma once
// Move-only RAII over a GEOS context and its geometries (GEOS's re-entrant C API).
#include <geos_c.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace farmwatch::io {

/// One GEOS context; use it from one thread at a time.
class GeosContext {
 public:
  GeosContext();
  ~GeosContext();
  GeosContext(const GeosContext&) = delete;
  GeosContext& operator=(const GeosContext&) = delete;
  GEOSContextHandle_t get() const { return h_; }
  /// The last message GEOS reported on this context.
  const std::string& last_message() const { return message_; }

 private:
  static void on_message(const char* msg, void* self);
  GEOSContextHandle_t h_;
  std::string message_;
};

struct GeosGeometryDeleter {
  GEOSContextHandle_t ctx = nullptr;
  void operator()(GEOSGeometry* g) const { GEOSGeom_destroy_r(ctx, g); }
};
using GeosGeometryPtr = std::unique_ptr<GEOSGeometry, GeosGeometryDeleter>;

/// Geometry from WKB; nullptr-free: throws std::runtime_error with GEOS's message.
GeosGeometryPtr geos_from_wkb(const GeosContext& ctx, const std::vector<std::uint8_t>& wkb);
/// A geometry's WKB.
std::vector<std::uint8_t> geos_to_wkb(const GeosContext& ctx, const GEOSGeometry* g);

}  // namespace farmwatch::io
