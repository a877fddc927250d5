#include "farmwatch/pipeline/steps/zonal.h"

#include <filesystem>

#include "farmwatch/core/units.h"
#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/image_source.h"
#include "farmwatch/io/csv_writer.h"
#include "farmwatch/io/farmland.h"
#include "farmwatch/io/parcel_stats.h"
#include "farmwatch/pipeline/output_dir.h"

namespace farmwatch::pipeline {

const ParamSet& ZonalParams::params() {
  using P = ZonalParams;
  static const ParamSet set =
      Params<P>("zonal")
          .path("classes", &P::classes, "class map (one Byte band), e.g. landuse_<date>.tif", true)
          .path("parcels", &P::parcels, "parcel polygons", true)
          .text("id_field", &P::id_field, "parcel-id attribute", true)
          .text("layer", &P::layer, "layer name")
          .path("out", &P::out, "CSV to write: parcel_id, class, area_m2, share", true)
          .set();
  return set;
}

ZonalResult zonal(const ZonalParams& p, const StepEnv& env) {
  const engine::ThreadLimit threads(env.threads);
  io::ImageRequest req;
  req.path = p.classes;
  req.scale = 1.0;
  const auto info = io::inspect_image(req, {});
  io::FarmlandRequest parcels;
  parcels.path = p.parcels;
  parcels.id_field = p.id_field;
  parcels.layer = p.layer;
  const auto layer = io::FarmlandLayer::load(parcels, info.grid.crs_wkt);
  const auto stats = io::parcel_class_areas(layer, p.classes);
  io::CsvTable csv;
  csv.header = {"parcel_id", "class", "area_m2", "share"};
  for (std::size_t i = 0; i < stats.size(); ++i) {
    double total = 0;
    for (const auto& c : stats[i]) total += c.area_m2;
    for (const auto& c : stats[i])
      csv.rows.push_back({layer.parcel_id(i), std::to_string(c.code),
                          io::csv_number(round_area_m2(c.area_m2), 2),
                          io::csv_number(area_share(c.area_m2, total), 4)});
  }
  write_file_atomically(p.out, csv.text());
  return {std::filesystem::absolute(p.out).string(), stats.size()};
}

}  // namespace farmwatch::pipeline
