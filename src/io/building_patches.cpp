#include "farmwatch/io/building_patches.h"

#include <cstdio>

#include "farmwatch/core/error.h"
#include "farmwatch/core/units.h"
#include "farmwatch/io/area_geometry.h"
#include "farmwatch/io/geodesic.h"
#include "gdal_handles.h"

namespace farmwatch::io {

std::vector<Patch> building_patches(const BuildingChange& change, const Grid& grid,
                                    std::uint8_t built_class, const std::string& id_prefix,
                                    const BuildingChangeParams& params) {
  std::vector<Patch> out;
  if (change.objects.empty()) return out;
  const EllipsoidalArea area(grid.crs_wkt);
  auto to_lonlat = make_transform(srs_from_wkt(grid.crs_wkt), wgs84_lonlat());
  for (const BuildingObject& o : change.objects) {
    // The object's pixels in its bounding box, outlined on that part of the grid.
    const Window w{o.col_min, o.row_min, o.col_max - o.col_min + 1, o.row_max - o.row_min + 1};
    std::vector<std::uint8_t> mask(static_cast<std::size_t>(w.pixels()), 0);
    for (int r = 0; r < w.height; ++r)
      for (int c = 0; c < w.width; ++c)
        mask[static_cast<std::size_t>(r) * w.width + c] =
            change.labels[static_cast<std::size_t>(w.row + r) * grid.width + w.col + c] == o.id;
    Patch p;
    char number[16];
    std::snprintf(number, sizeof number, "%04d", o.id);
    p.id = id_prefix + number;
    p.kind = o.kind;
    p.category = vhr_change_category(o.kind);
    const bool demolished = o.kind == VhrChangeKind::demolished_building;
    p.class_before = demolished ? built_class : 0;
    p.class_after = demolished ? 0 : built_class;
    p.pixels = o.pixels;
    p.wkb = mask_outline(mask, grid.subgrid(w));
    GeometryPtr g = from_wkb(p.wkb);
    p.area_m2 = area.area_m2(p.wkb);
    p.area_mu = m2_to_mu(p.area_m2);
    OGRPoint centroid;
    g->Centroid(&centroid);
    p.centroid_x = centroid.getX();
    p.centroid_y = centroid.getY();
    if (centroid.transform(to_lonlat.get()) != OGRERR_NONE ||
        g->transform(to_lonlat.get()) != OGRERR_NONE)
      throw ProcessingError("cannot transform the outline of patch " + p.id + " to lon/lat");
    p.centroid_lon = centroid.getX();
    p.centroid_lat = centroid.getY();
    p.wkb_lonlat = to_wkb(*g);
    p.confidence = vhr_change_confidence(o, params);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace farmwatch::io
