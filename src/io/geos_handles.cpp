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

std::vector<std::uint8_t> geos_to_wkb(const GeosContext& ctx, const GEOSGeometry* g) {
  GEOSWKBWriter* w = GEOSWKBWriter_create_r(ctx.get());
  std::size_t n = 0;
  unsigned char* buf = GEOSWKBWriter_write_r(ctx.get(), w, g, &n);
  std::vector<std::uint8_t> wkb(buf, buf + n);
  GEOSFree_r(ctx.get(), buf);
  GEOSWKBWriter_destroy_r(ctx.get(), w);
  return wkb;
}

}  // namespace farmwatch::io
