// Inspecting an image: band roles, DN-to-reflectance rule, quality layer.
#include <gdal_utils.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/image_source.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"
#include "image_bands.h"
#include "product.h"

namespace farmwatch::io {

BandMap BandMap::parse(const std::string& text) {
  BandMap m;
  if (text.empty() || text.back() == ',')
    throw ConfigError("band mapping '" + text +
                      "': expected role=number items, separated by commas");
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos)
      throw ConfigError("band mapping '" + text + "': expected role=number, got '" + item + "'");
    const auto role = parse_role(item.substr(0, eq));
    if (!role)
      throw ConfigError("band mapping '" + text + "': unknown band role '" + item.substr(0, eq) +
                        "' (known: blue, green, red, nir, swir1, swir2)");
    int n = 0;
    const std::string number = item.substr(eq + 1);
    try {
      std::size_t used = 0;
      n = std::stoi(number, &used);
      if (used != number.size()) n = 0;  // "3x", "2.5": not a band number
    } catch (const std::exception&) {
      n = 0;
    }
    if (n < 1) throw ConfigError("band mapping '" + text + "': bad band number in '" + item + "'");
    if (m[*role])
      throw ConfigError("band mapping '" + text + "': band role '" + item.substr(0, eq) +
                        "' given twice");
    m[*role] = n;
  }
  return m;
}

std::string BandMap::to_string() const {
  std::string s;
  for (std::size_t r = 0; r < kRoleCount; ++r)
    if (index[r]) {
      if (!s.empty()) s += ",";
      s += std::string(role_name(static_cast<BandRole>(r))) + "=" + std::to_string(index[r]);
    }
  return s;
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// Role named by a band description or colour interpretation. Descriptions are read as words:
/// a role name ("B04 red (665 nm)", "B5 nir") wins over a Sentinel-2 band code ("B08 (842 nm)");
/// "red edge" is not red.
std::optional<BandRole> role_of_band(GDALRasterBand& band) {
  std::vector<std::string> words;
  std::string w;
  for (char ch : lower(band.GetDescription()) + " ") {
    if (std::isalnum(static_cast<unsigned char>(ch))) {
      w += ch;
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  const bool edge = std::find(words.begin(), words.end(), "edge") != words.end();
  for (const auto& word : words)
    if (auto r = parse_role(word); r && !edge) return r;
  static const std::pair<const char*, BandRole> s2_codes[] = {
      {"b02", BandRole::blue}, {"b03", BandRole::green}, {"b04", BandRole::red},
      {"b08", BandRole::nir},  {"b11", BandRole::swir1}, {"b12", BandRole::swir2}};
  for (const auto& word : words)
    for (const auto& [code, role] : s2_codes)
      if (word == code) return role;
  switch (band.GetColorInterpretation()) {
    case GCI_BlueBand:
      return BandRole::blue;
    case GCI_GreenBand:
      return BandRole::green;
    case GCI_RedBand:
      return BandRole::red;
    default:
      return std::nullopt;
  }
}

/// The sensor band number in a description ("B4 red" -> 4), or 0.
int band_number(const std::string& description) {
  if (description.size() < 2 || (description[0] != 'B' && description[0] != 'b')) return 0;
  int n = 0;
  std::size_t i = 1;
  for (; i < description.size() && std::isdigit(static_cast<unsigned char>(description[i])); ++i)
    n = n * 10 + (description[i] - '0');
  return (i > 1 &&
          (i == description.size() || !std::isalnum(static_cast<unsigned char>(description[i]))))
             ? n
             : 0;
}

/// The DN-to-reflectance rule of every mapped band: explicit scale/offset, else the sensor
/// profile's (from the product metadata), else the bands' own scale/offset metadata; integer
/// DNs with none of these are refused rather than guessed.
using MappedBands = std::vector<std::pair<std::size_t, int>>;  // (role, file band)

/// A product's per-band rule given to the roles mapped to those bands.
void apply(const ProductCalibration& cal, const MappedBands& mapped, ImageInfo& info) {
  for (auto [r, b] : mapped) info.calibration[r] = cal.bands.at(b);
  info.calibration_source = cal.source;
}

/// The sensor profile to use: the request's, or for `auto` the one its metadata says (a Landsat
/// MTL or Gaofen XML beside the image, else the bands' own metadata). `metadata` is set to the
/// file found.
Profile resolve_profile(const ImageRequest& req, std::string& metadata) {
  metadata = req.metadata;
  if (req.profile != Profile::automatic) return req.profile;
  if (metadata.empty()) metadata = find_landsat_mtl(req.path);
  const bool mtl = metadata.size() > 8 && metadata.compare(metadata.size() - 8, 8, "_MTL.txt") == 0;
  if (metadata.empty()) metadata = find_gaofen_xml(req.path);
  return mtl                            ? Profile::landsat
         : metadata.empty()             ? Profile::generic
         : is_gaofen_metadata(metadata) ? Profile::gaofen
                                        : Profile::sentinel2;
}

void calibrate_gaofen(GDALDataset& ds, const ImageRequest& req, std::string metadata,
                      const MappedBands& mapped, ImageInfo& info) {
  if (metadata.empty()) metadata = find_gaofen_xml(req.path);
  if (metadata.empty())
    throw InputError("raster '" + req.path + "': no Gaofen scene XML beside it (same name, " +
                     ".xml); name it with metadata: in the pipeline file");
  std::map<int, int> sensor_band;
  for (auto [r, b] : mapped) {
    const int n = band_number(ds.GetRasterBand(b)->GetDescription());
    sensor_band[b] = n ? n : b;  // a stack without descriptions: file band = sensor band
  }
  const auto cal = gaofen_calibration(metadata, sensor_band, req.calibration_table);
  apply(cal, mapped, info);
}

void calibrate_landsat(GDALDataset& ds, const ImageRequest& req, std::string metadata,
                       const MappedBands& mapped, ImageInfo& info) {
  if (metadata.empty()) metadata = find_landsat_mtl(req.path);
  if (metadata.empty())
    throw InputError("raster '" + req.path + "': no Landsat *_MTL.txt beside it; name it " +
                     "with metadata: in the pipeline file");
  std::map<int, int> sensor_band;
  for (auto [r, b] : mapped) {
    const int n = band_number(ds.GetRasterBand(b)->GetDescription());
    if (!n)
      throw InputError("raster '" + req.path + "': band " + std::to_string(b) +
                       " has no Landsat band number in its description (e.g. 'B4 red')");
    sensor_band[b] = n;
  }
  const auto cal = landsat_calibration(metadata, sensor_band);
  apply(cal, mapped, info);
}

/// Without a sensor rule: the bands' scale/offset metadata, floats as reflectance, or (for
/// change only) DN / type maximum; InputError for integer DNs otherwise.
void calibrate_from_bands(GDALDataset& ds, const ImageRequest& req, const MappedBands& mapped,
                          ImageInfo& info) {
  for (auto [r, b] : mapped) {
    GDALRasterBand* band = ds.GetRasterBand(b);
    int has_scale = 0, has_offset = 0;
    const double scale = band->GetScale(&has_scale), offset = band->GetOffset(&has_offset);
    if (has_scale && scale != 1.0) {
      info.calibration[r] = {scale, has_offset ? offset : 0.0};
      info.calibration_source = "band scale/offset metadata";
    } else if (GDALDataTypeIsFloating(band->GetRasterDataType())) {
      info.calibration[r] = {1.0, has_offset ? offset : 0.0};
      info.calibration_source = "floating-point data taken as reflectance";
    } else if (req.allow_relative) {
      const GDALDataType t = band->GetRasterDataType();
      const double max = t == GDT_Byte ? 255.0 : t == GDT_UInt16 ? 65535.0 : 32767.0;
      info.calibration[r] = {1.0 / max, 0.0};
      info.relative = true;
      info.calibration_source =
          "no DN-to-reflectance rule: relative brightness (DN / type maximum); land-use "
          "classes unreliable, change from the spectral test (or, on very-high-resolution "
          "RGB, the building method)";
    } else {
      throw InputError("raster '" + req.path + "' holds integer DNs (" + info.data_type +
                       ") but gives no rule to reflectance: give --scale and --offset "
                       "(reflectance = DN x scale + offset; scale/offset in a pipeline file), "
                       "e.g. scale 0.0001 and offset -0.1 for Sentinel-2 from processing "
                       "baseline 04.00 on, offset 0 before it, or a sensor profile with its "
                       "metadata");
    }
  }
}

void calibrate(GDALDataset& ds, const ImageRequest& req, ImageInfo& info) {
  MappedBands mapped;
  for (std::size_t r = 0; r < kRoleCount; ++r)
    if (info.bands.index[r]) mapped.emplace_back(r, info.bands.index[r]);
  if (req.scale || req.offset) {
    for (auto [r, b] : mapped)
      info.calibration[r] = {req.scale.value_or(1.0), req.offset.value_or(0.0)};
    info.calibration_source = "scale/offset given";
    return;
  }
  std::string metadata;
  const Profile profile = resolve_profile(req, metadata);
  if (profile == Profile::gaofen) return calibrate_gaofen(ds, req, metadata, mapped, info);
  if (profile == Profile::landsat) return calibrate_landsat(ds, req, metadata, mapped, info);
  if (profile == Profile::drone) {
    for (auto [r, b] : mapped) {
      const GDALDataType t = ds.GetRasterBand(b)->GetRasterDataType();
      const double max = t == GDT_Byte ? 255.0 : t == GDT_UInt16 ? 65535.0 : 1.0;
      info.calibration[r] = {1.0 / max, 0.0};
    }
    info.calibration_source =
        "drone camera: DN / type maximum (relative brightness, not reflectance)";
    return;
  }
  if (profile == Profile::sentinel2) {
    const char* baseline = ds.GetMetadataItem("PROCESSING_BASELINE");
    const auto cal = sentinel2_calibration(info.band_count, baseline ? baseline : "", metadata);
    apply(cal, mapped, info);
    return;
  }
  calibrate_from_bands(ds, req, mapped, info);
}

/// The quality layer: what the request names (a file, "spectral", "none"), else a band of the
/// image whose description says SCL, QA_PIXEL or cloud mask.
void find_quality_layer(GDALDataset& ds, const ImageRequest& req, ImageInfo& info) {
  const bool spectral = req.quality == "spectral" || req.quality_kind == QualityKind::spectral;
  if (spectral) {
    for (BandRole r : {BandRole::blue, BandRole::green, BandRole::red})
      if (!info.bands[r])
        throw InputError("raster '" + req.path + "': the spectral cloud test needs blue, green " +
                         "and red, and no band is mapped to '" + role_name(r) + "'");
    info.quality_kind = QualityKind::spectral;
    return;
  }
  if (req.quality == "none" || req.quality_kind == QualityKind::none) return;
  if (!req.quality.empty()) {
    auto q = open_raster(req.quality);
    const int band = req.quality_band ? req.quality_band : 1;
    if (band < 1 || band > q->GetRasterCount())
      throw InputError("quality layer '" + req.quality + "' has " +
                       std::to_string(q->GetRasterCount()) + " bands; band " +
                       std::to_string(band) + " does not exist");
    auto kind = req.quality_kind;
    if (!kind) kind = detect_quality(std::filesystem::path(req.quality).filename().string());
    if (!kind) kind = detect_quality(q->GetRasterBand(band)->GetDescription());
    if (const char* content = q->GetMetadataItem("CONTENT"); !kind && content)
      kind = detect_quality(content);
    if (!kind)
      throw InputError("quality layer '" + req.quality + "': neither its name nor its band " +
                       "description says SCL (Sentinel-2), QA_PIXEL (Landsat) or cloud mask; " +
                       "name its kind (scl, qa_pixel, cloud_mask): in a pipeline file "
                       "quality: {path: " +
                       req.quality +
                       ", kind: cloud_mask}, on the "
                       "command line --quality-kind");
    if (grid_of(*q).crs_wkt.empty())
      throw InputError("quality layer '" + req.quality + "' has no coordinate reference system");
    info.quality_kind = *kind;
    info.quality_path = req.quality;
    info.quality_band = band;
    return;
  }
  for (int i = 1; i <= info.band_count; ++i)
    if (auto kind = detect_quality(ds.GetRasterBand(i)->GetDescription())) {
      info.quality_kind = *kind;
      info.quality_path = req.path;
      info.quality_band = i;
      return;
    }
}

}  // namespace

BandMap band_roles(GDALDataset& ds, const std::string& path,
                   const std::optional<BandMap>& explicit_bands) {
  // Band descriptions first; an explicit mapping overrides the roles it names.
  BandMap bands;
  const int count = ds.GetRasterCount();
  for (int i = 1; i <= count; ++i)
    if (auto role = role_of_band(*ds.GetRasterBand(i)); role && !bands[*role]) bands[*role] = i;
  if (explicit_bands)
    for (std::size_t r = 0; r < kRoleCount; ++r) {
      const int b = explicit_bands->index[r];
      if (!b) continue;
      if (b > count)
        throw InputError("raster '" + path + "' has " + std::to_string(count) + " bands; band " +
                         std::to_string(b) + " for role '" + role_name(static_cast<BandRole>(r)) +
                         "' does not exist");
      bands.index[r] = b;
    }
  return bands;
}

ImageInfo inspect_image(const ImageRequest& request, const std::set<BandRole>& required) {
  const auto product = resolve_product(request, required);
  const ImageRequest& req = product ? *product : request;
  auto ds = open_raster(req.path);
  ImageInfo info;
  info.path = req.path;
  info.file_grid = grid_of(*ds);
  info.band_count = ds->GetRasterCount();
  GDALRasterBand* b1 = ds->GetRasterBand(1);
  info.data_type = GDALGetDataTypeName(b1->GetRasterDataType());
  const bool transform = has_geotransform(*ds);
  if (info.file_grid.crs_wkt.empty() && !transform)
    throw InputError("raster '" + req.path +
                     "' has no georeference (neither a coordinate reference system nor a "
                     "geotransform)" +
                     (ds->GetGCPCount() > 0 ? ", only ground control points: warp it first "
                                              "(e.g. gdalwarp)"
                                            : ": it cannot be placed on a map"));
  if (info.file_grid.crs_wkt.empty())
    throw InputError("raster '" + req.path +
                     "' has no coordinate reference system: assign one (e.g. gdal_edit.py -a_srs)");
  if (!transform)
    throw InputError("raster '" + req.path +
                     "' has a coordinate reference system but no geotransform: it cannot be "
                     "placed on a map");
  if (!info.file_grid.transform.invertible())
    throw InputError("raster '" + req.path + "' has a degenerate geotransform (zero pixel area)");
  // South-up and rotated rasters are read onto a north-up grid through GDAL's warper.
  info.grid = info.file_grid.north_up();
  // In degrees, a raster reaching beyond the poles has a geotransform in other units (metres
  // under a geographic CRS): its areas would be nonsense. Half a pixel is allowed (a global grid
  // registered on pixel centres).
  if (is_geographic(info.grid.crs_wkt)) {
    const Box e = info.grid.extent();
    const double half = 0.5 * std::fabs(info.grid.transform.res_y());
    if (e.ymin < -90 - half || e.ymax > 90 + half) {
      std::ostringstream lat;
      lat << (e.ymin < -90 - half ? e.ymin : e.ymax);
      throw InputError("raster '" + req.path + "' has a geographic coordinate reference system " +
                       "but reaches latitude " + lat.str() + "°, beyond the poles: its " +
                       "geotransform is not in degrees of that system (assign the right one, " +
                       "e.g. gdal_edit.py -a_srs)");
    }
  }
  probe_readable(*ds, req.path);

  const char* kind = ds->GetMetadataItem("FARMWATCH_LAYER");
  info.is_class_map = info.band_count == 1 && b1->GetRasterDataType() == GDT_Byte &&
                      ((kind && std::string(kind) == "landuse") ||
                       b1->GetColorInterpretation() == GCI_PaletteIndex);
  if (info.is_class_map) {
    info.classes = class_table_from_metadata(ds->GetMetadataItem("FARMWATCH_CLASSES"));
    return info;
  }

  info.bands = band_roles(*ds, req.path, req.bands);
  for (BandRole r : required)
    if (!info.bands[r]) {
      // Each band's description, or else its colour interpretation (an RGB photo's bands say
      // red, green, blue, alpha there and nothing else).
      std::string descs;
      for (int i = 1; i <= info.band_count; ++i) {
        GDALRasterBand* band = ds->GetRasterBand(i);
        std::string d = band->GetDescription();
        const GDALColorInterp ci = band->GetColorInterpretation();
        if (d.empty() && ci != GCI_Undefined && ci != GCI_GrayIndex)
          d = GDALGetColorInterpretationName(ci);
        descs += (i > 1 ? ", " : "") + std::to_string(i) + "='" + d + "'";
      }
      // A colour photo (drone orthomosaic, aerial image) has no near-infrared band to map: the
      // way on is rules that need red, green and blue only.
      const bool rgb_photo = r == BandRole::nir && info.bands[BandRole::red] &&
                             info.bands[BandRole::green] && info.bands[BandRole::blue] &&
                             info.band_count <= 4;
      if (rgb_photo)
        throw InputError("raster '" + req.path + "' has red, green and blue (bands: " + descs +
                         ") but no near-infrared band (role 'nir'), which these classification "
                         "rules need: "
                         "classify RGB imagery (drone orthomosaics, aerial photos) with the RGB "
                         "rules, --rules pipelines/rules/landuse_rules_rgb.yaml, and --profile "
                         "drone for 8-bit photos (in a pipeline: classification: that file, "
                         "profile: drone); if the file does have a near-infrared band, map it "
                         "with --bands, e.g. red=1,green=2,blue=3,nir=4");
      throw InputError("raster '" + req.path + "' has no band for role '" + role_name(r) +
                       "' (bands: " + descs + "); map bands explicitly, e.g. " +
                       "blue=1,green=2,red=3,nir=4");
    }

  calibrate(*ds, req, info);
  find_quality_layer(*ds, req, info);
  return info;
}

std::string describe_bands(const ImageInfo& image) {
  auto ds = open_raster(image.path);
  std::string s = std::to_string(image.band_count) + " bands " + image.data_type + ":";
  for (int b = 1; b <= ds->GetRasterCount(); ++b) {
    const std::string d = ds->GetRasterBand(b)->GetDescription();
    s += " " + (d.empty() ? "band" + std::to_string(b) : d.substr(0, d.find(' ')));
  }
  return s;
}

}  // namespace farmwatch::io
