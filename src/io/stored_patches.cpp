#include "farmwatch/io/stored_patches.h"

#include <gdal_priv.h>
#include <gdal_utils.h>

#include "farmwatch/core/change_rules.h"
#include "farmwatch/core/error.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"

namespace farmwatch::io {

namespace {

const std::vector<std::string> kColumns = {
    "patch_id",   "category",  "status", "class_before", "class_after", "area_m2",
    "first_seen", "last_seen", "unit",   "parcels",      "reasonable",  "confidence"};

std::string category_text(const std::string& key) {
  for (auto c :
       {ChangeCategory::non_agricultural, ChangeCategory::non_grain, ChangeCategory::other})
    if (key == category_key(c)) return category_label(c);
  return key;
}

std::vector<std::string> row(const StoredPatch& p) {
  return {p.id,          category_text(p.category), p.status,     p.class_before,
          p.class_after, csv_number(p.area_m2, 1),  p.first_seen, p.last_seen,
          p.unit_name,   p.parcel_ids,              p.exempt_by,  csv_number(p.confidence, 2)};
}

}  // namespace

CsvTable stored_patch_table(const std::vector<StoredPatch>& patches) {
  CsvTable t;
  t.header = kColumns;
  for (const auto& p : patches) t.rows.push_back(row(p));
  return t;
}

nlohmann::json stored_patch_geojson(const std::vector<StoredPatch>& patches) {
  nlohmann::json fc = {{"type", "FeatureCollection"}, {"features", nlohmann::json::array()}};
  for (const auto& sp : patches) {
    nlohmann::json props;
    const auto r = row(sp);
    for (std::size_t k = 0; k < kColumns.size(); ++k) props[kColumns[k]] = r[k];
    props["area_m2"] = sp.area_m2;
    props["confidence"] = sp.confidence;
    props["status_label"] = patch_status_label(sp.status);
    fc["features"].push_back(
        {{"type", "Feature"},
         {"properties", props},
         {"geometry", sp.wkb_lonlat.empty() ? nlohmann::json()
                                            : nlohmann::json::parse(wkb_to_geojson(sp.wkb_lonlat))}});
  }
  return fc;
}

void write_geojson_gpkg(const nlohmann::json& geojson, const std::string& path,
                        const std::string& layer) {
  const std::string mem = "/vsimem/farmwatch_patches_" + std::to_string(reinterpret_cast<std::uintptr_t>(&geojson)) + ".geojson";
  const std::string text = geojson.dump();
  VSIFCloseL(VSIFileFromMemBuffer(mem.c_str(), reinterpret_cast<GByte*>(const_cast<char*>(text.data())),
                                  static_cast<vsi_l_offset>(text.size()), FALSE));
  CPLErrorReset();
  GDALDatasetH src = GDALOpenEx(mem.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
  if (!src) {
    VSIUnlink(mem.c_str());
    throw ProcessingError("cannot write '" + path + "': " + gdal_last_error());
  }
  const char* argv[] = {"-f", "GPKG", "-nln", layer.c_str(), "-a_srs", "EPSG:4326", nullptr};
  GDALVectorTranslateOptions* opts =
      GDALVectorTranslateOptionsNew(const_cast<char**>(argv), nullptr);
  int usage = 0;
  GDALDatasetH out = GDALVectorTranslate(path.c_str(), nullptr, 1, &src, opts, &usage);
  GDALVectorTranslateOptionsFree(opts);
  GDALClose(src);
  VSIUnlink(mem.c_str());
  if (!out) throw ProcessingError("cannot write '" + path + "': " + gdal_last_error());
  GDALClose(out);
}

}  // namespace farmwatch::io
