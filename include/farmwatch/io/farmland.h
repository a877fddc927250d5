#pragma once
// The protected-farmland layer (永久基本农田): validated parcels on the analysis CRS.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "farmwatch/core/coverage.h"
#include "farmwatch/core/geo.h"

namespace farmwatch::io {

struct FarmlandRequest {
  FarmlandRequest() = default;
  FarmlandRequest(std::string path_, std::string layer_, std::string id_field_)
      : path(std::move(path_)), layer(std::move(layer_)), id_field(std::move(id_field_)) {}
  std::string path;
  std::string layer;       ///< empty: the dataset's only (or first) layer
  std::string id_field;    ///< parcel-id attribute, e.g. "DKBH" or "地块编号"; empty: the FID
  std::string name_field;  ///< optional attribute kept per feature (e.g. a unit's name)
  /// How messages name the layer ("farmland layer", "admin layer", ...).
  std::string kind = "farmland layer";
};

/// The part of a layer feature a geometry covers.
struct Overlap {
  std::size_t index = 0;  ///< feature index in the layer
  double area_m2 = 0;     ///< of the intersection, on the ellipsoid
};

class FarmlandLayer {
 public:
  /// Opens and validates the layer (text decoded to UTF-8, CRS, id field present and unique,
  /// polygon geometries; curved ones made linear) and reprojects it to `target_crs_wkt`.
  /// Geometries GEOS finds invalid are repaired (MakeValid, polygonal part kept) and listed by
  /// repaired(). InputError naming the file on any other problem.
  static FarmlandLayer load(const FarmlandRequest& req, const std::string& target_crs_wkt);
  ~FarmlandLayer();
  FarmlandLayer(FarmlandLayer&&) noexcept;
  FarmlandLayer& operator=(FarmlandLayer&&) noexcept;

  const std::string& path() const;
  /// "id: reason" of each parcel whose geometry was repaired.
  const std::vector<std::string>& repaired() const;
  /// The encoding the attribute text was decoded from: "UTF-8", the code page a shapefile's
  /// .cpg or .dbf header names (e.g. "CP936"), or "GB18030" for a GBK shapefile detected
  /// without one (see open_vector_decoded in src/io/vector_reader.h).
  const std::string& encoding() const;
  std::size_t size() const;
  /// Parcels are held sorted by id; index i has raster value i + 1.
  const std::string& parcel_id(std::size_t i) const;
  /// Value of the request's name field (empty without one).
  const std::string& parcel_name(std::size_t i) const;
  /// Parcel i's geometry (WKB, target CRS).
  const std::vector<std::uint8_t>& parcel_wkb(std::size_t i) const;
  /// Extent in the target CRS.
  Box extent() const;
  /// Writes a UInt32 raster on `grid`: parcel index + 1 where a pixel centre is in a parcel.
  void rasterize(const Grid& grid, const std::string& out_path) const;
  /// Parcel i's polygons as rings in the target CRS (outer ring first, then holes).
  std::vector<PolygonRings> parcel_rings(std::size_t i) const;
  /// Ids of the parcels intersecting a geometry (WKB, target CRS), sorted.
  std::vector<std::string> parcels_intersecting(const std::vector<std::uint8_t>& wkb) const;
  /// Features whose interiors a geometry (WKB, target CRS) overlaps, with the ellipsoidal area
  /// of each intersection; by feature index.
  std::vector<Overlap> overlaps(const std::vector<std::uint8_t>& wkb) const;

  /// The layer's data (opaque; farmland.cpp). Named here so that the loader's helpers can fill it.
  struct Impl;

 private:
  FarmlandLayer();
  std::unique_ptr<Impl> impl_;
};

}  // namespace farmwatch::io
