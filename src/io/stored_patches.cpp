#include "farmwatch/io/stored_patches.h"

#include <gdal_priv.h>

#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

namespace {

const std::vector<std::string> kColumns = {
    "patch_id",   "category",  "status", "class_before", "class_after", "area_m2",
    "first_seen", "last_seen", "unit",   "parcels",      "reasonable",  "confidence"};

std::vector<std::string> row(const StoredPatch& p) {
  return {p.id,          patch_category_label(p.category), p.status,     p.class_before,
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

namespace {

nlohmann::json feature(const StoredPatch& sp) {
  nlohmann::json props;
  const auto r = row(sp);
  for (std::size_t k = 0; k < kColumns.size(); ++k) props[kColumns[k]] = r[k];
  props["area_m2"] = sp.area_m2;
  props["confidence"] = sp.confidence;
  props["status_label"] = patch_status_label(sp.status);
  return {{"type", "Feature"},
          {"properties", props},
          {"geometry", sp.wkb_lonlat.empty() ? nlohmann::json()
                                             : nlohmann::json::parse(wkb_to_geojson(sp.wkb_lonlat))}};
}

/// A GeoPackage layer of lon/lat multipolygons with `columns`, ready for features.
struct GpkgLayer {
  DatasetPtr ds;
  OGRLayer* layer = nullptr;
  std::string path;

  GpkgLayer(const std::string& p, const std::string& name, const std::vector<LayerColumn>& columns)
      : path(p) {
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
    CPLErrorReset();
    ds.reset(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) fail();
    auto srs = wgs84_lonlat();
    layer = ds->CreateLayer(name.c_str(), &srs, wkbMultiPolygon, nullptr);
    if (!layer) fail();
    for (const auto& c : columns) {
      OGRFieldDefn fd(c.name.c_str(), c.numeric ? OFTReal : OFTString);
      if (layer->CreateField(&fd) != OGRERR_NONE) fail();
    }
    if (ds->StartTransaction() != OGRERR_NONE) fail();
  }
  [[noreturn]] void fail() const {
    throw ProcessingError("cannot write '" + path + "': " + gdal_last_error());
  }
  void add(OGRFeature& f) {
    if (layer->CreateFeature(&f) != OGRERR_NONE) fail();
  }
  void close() {
    if (ds->CommitTransaction() != OGRERR_NONE) fail();
    close_or_throw(ds, path);
  }
};

}  // namespace

nlohmann::json stored_patch_geojson(const std::vector<StoredPatch>& patches) {
  nlohmann::json fc = {{"type", "FeatureCollection"}, {"features", nlohmann::json::array()}};
  for (const auto& sp : patches) fc["features"].push_back(feature(sp));
  return fc;
}

void write_stored_patches(const std::vector<StoredPatch>& patches, const std::string& geojson_path,
                          const std::string& gpkg_path) {
  std::ofstream out(geojson_path, std::ios::binary);
  out << "{\"type\":\"FeatureCollection\",\"features\":[";
  const auto columns = stored_patch_columns();
  GpkgLayer gpkg(gpkg_path, "patches", columns);
  for (std::size_t i = 0; i < patches.size(); ++i) {
    const StoredPatch& sp = patches[i];
    out << (i ? "," : "") << feature(sp).dump();
    OGRFeature f(gpkg.layer->GetLayerDefn());
    const auto r = row(sp);
    for (std::size_t k = 0; k < kColumns.size(); ++k)
      if (!columns[k].numeric) f.SetField(kColumns[k].c_str(), r[k].c_str());
    f.SetField("area_m2", sp.area_m2);
    f.SetField("confidence", sp.confidence);
    f.SetField("status_label", patch_status_label(sp.status).c_str());
    if (!sp.wkb_lonlat.empty())
      f.SetGeometryDirectly(OGRGeometryFactory::forceToMultiPolygon(from_wkb(sp.wkb_lonlat).release()));
    gpkg.add(f);
  }
  out << "]}\n";
  out.close();
  if (!out) throw ProcessingError("cannot write '" + geojson_path + "' (disk full?)");
  gpkg.close();
}

std::vector<LayerColumn> stored_patch_columns() {
  std::vector<LayerColumn> out;
  for (const auto& c : kColumns) out.push_back({c, c == "area_m2" || c == "confidence"});
  out.push_back({"status_label", false});
  return out;
}

void write_geojson_gpkg(const nlohmann::json& geojson, const std::string& path,
                        const std::string& layer, const std::vector<LayerColumn>& columns) {
  GpkgLayer gpkg(path, layer, columns);
  for (const auto& feature : geojson.at("features")) {
    OGRFeature f(gpkg.layer->GetLayerDefn());
    const auto& props = feature.at("properties");
    for (const auto& c : columns) {
      if (!props.contains(c.name) || props[c.name].is_null()) continue;
      if (c.numeric)
        f.SetField(c.name.c_str(), props[c.name].get<double>());
      else
        f.SetField(c.name.c_str(), props[c.name].is_string() ? props[c.name].get<std::string>().c_str()
                                                             : props[c.name].dump().c_str());
    }
    if (!feature["geometry"].is_null()) {
      OGRGeometry* g = OGRGeometryFactory::createFromGeoJson(feature["geometry"].dump().c_str());
      if (!g) gpkg.fail();
      f.SetGeometryDirectly(OGRGeometryFactory::forceToMultiPolygon(g));
    }
    gpkg.add(f);
  }
  gpkg.close();
}

}  // namespace farmwatch::io
