#include "geos_handles.h"

#include <stdexcept>

namespace farmwatch::io {

GeosContext::GeosContext() : h_(GEOS_init_r()) {
  GEOSContext_setErrorMessageHandler_r(h_, &GeosContext::on_message, this);
}

GeosContext::~GeosContext() { GEOS_finish_r(h_); }

void GeosContext::on_message(const char* msg, void* self) {
  static_cast<GeosContext*>(self)->message_ = msg ? msg : "";
}

GeosGeometryPtr geos_from_wkb(const GeosContext& ctx, const std::vector<std::uint8_t>& wkb) {
  GEOSGeometry* g = GEOSGeomFromWKB_buf_r(ctx.get(), wkb.data(), wkb.size());
  if (!g) throw std::runtime_error("GEOS cannot read geometry: " + ctx.last_message());
  return GeosGeometryPtr(g, GeosGeometryDeleter{ctx.get()});
}

}  // namespace farmwatch::io
