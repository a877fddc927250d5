#include "product.h"

#include <gdal_utils.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <regex>

#include "farmwatch/core/error.h"
#include "farmwatch/io/sensor_profile.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace fs = std::filesystem;

namespace {

/// One band file found in the folder, with the pixel size its name says (0: unknown).
struct BandFile {
  std::string path;
  int metres = 0;
};

struct Layout {
  std::string kind;                           ///< "Sentinel-2 L2A", "Landsat 8/9 C2 L2", ...
  std::array<std::string, kRoleCount> codes;  ///< the product's band code per role
  std::map<std::string, BandFile> bands;      ///< band code -> file
  std::string quality, metadata;
  Profile profile = Profile::automatic;
};

/// Keeps the finest file per band code.
void keep(std::map<std::string, BandFile>& bands, const std::string& code, BandFile f) {
  auto it = bands.find(code);
  if (it == bands.end() || (f.metres && (!it->second.metres || f.metres < it->second.metres)))
    bands[code] = std::move(f);
}

std::optional<Layout> sentinel2(const fs::path& dir) {
  // L1C: GRANULE/*/IMG_DATA/T50RQT_..._B02.jp2; L2A: .../IMG_DATA/R10m/T50RQT_..._B02_10m.jp2.
  static const std::regex band(R"(_(B0[1-9]|B1[0-2]|B8A|SCL)(_(10|20|60)m)?\.(jp2|tif|tiff)$)",
                               std::regex::icase);
  Layout l;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    std::smatch m;
    if (name.rfind("MTD_MSIL", 0) == 0 && e.path().extension() == ".xml") l.metadata = e.path();
    if (!e.is_regular_file() || !std::regex_search(name, m, band)) continue;
    std::string code = m[1].str();
    std::transform(code.begin(), code.end(), code.begin(), ::toupper);
    keep(l.bands, code, {e.path().string(), m[3].matched ? std::stoi(m[3].str()) : 0});
  }
  if (l.metadata.empty() && l.bands.empty()) return std::nullopt;
  l.kind = l.bands.count("SCL") ? "Sentinel-2 L2A" : "Sentinel-2 L1C";
  if (auto it = l.bands.find("SCL"); it != l.bands.end()) {
    l.quality = it->second.path;
    l.bands.erase(it);
  }
  l.codes = {"B02", "B03", "B04", "B08", "B11", "B12"};
  l.profile = Profile::sentinel2;
  return l;
}

std::optional<Layout> landsat(const fs::path& dir) {
  // LC09_L2SP_..._SR_B4.TIF (Level-2) or LC08_L1TP_..._B4.TIF (Level-1), *_QA_PIXEL.TIF, *_MTL.txt
  static const std::regex band(R"(^(L[COTE]0[4-9])_.*?_(SR_)?B([0-9]+)\.TIF$)", std::regex::icase);
  Layout l;
  std::string mission;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    std::smatch m;
    if (name.size() > 8 && name.compare(name.size() - 8, 8, "_MTL.txt") == 0) l.metadata = e.path();
    if (name.find("QA_PIXEL") != std::string::npos) l.quality = e.path();
    if (!e.is_regular_file() || !std::regex_search(name, m, band)) continue;
    mission = m[1].str();
    keep(l.bands, "B" + m[3].str(), {e.path().string(), 30});
  }
  if (mission.empty()) return std::nullopt;
  const bool oli = mission == "LC08" || mission == "LC09" || mission == "LO08" || mission == "LO09";
  l.kind = oli ? "Landsat 8/9" : "Landsat 4-7";
  l.codes = oli ? std::array<std::string, kRoleCount>{"B2", "B3", "B4", "B5", "B6", "B7"}
                : std::array<std::string, kRoleCount>{"B1", "B2", "B3", "B4", "B5", "B7"};
  l.profile = Profile::landsat;
  return l;
}

/// The multispectral file of a Gaofen scene: `path` itself if it is a file with its scene XML
/// beside it, else the folder's file whose XML names a GF satellite (the MSS/WFV one, never
/// PAN). Empty if none.
std::string gaofen_image(const fs::path& path) {
  if (fs::is_regular_file(path)) return find_gaofen_xml(path.string()).empty() ? "" : path.string();
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(path)) {
    const std::string ext = e.path().extension().string();
    const std::string name = e.path().filename().string();
    if ((ext == ".tif" || ext == ".tiff" || ext == ".TIF" || ext == ".TIFF") &&
        name.find("PAN") == std::string::npos && !find_gaofen_xml(e.path().string()).empty())
      found.push_back(e.path().string());
  }
  std::sort(found.begin(), found.end());
  return found.empty() ? "" : found.front();
}

/// A VRT at `vrt` over all of `src`, to describe its bands without touching the file.
DatasetPtr translate_to_vrt(GDALDataset& src, const std::string& vrt, const std::string& path) {
  char of[] = "-of", fmt[] = "VRT";
  char* argv[] = {of, fmt, nullptr};
  GDALTranslateOptions* opts = GDALTranslateOptionsNew(argv, nullptr);
  int usage = 0;
  CPLErrorReset();
  GDALDatasetH out = GDALTranslate(vrt.c_str(), GDALDataset::ToHandle(&src), opts, &usage);
  GDALTranslateOptionsFree(opts);
  if (!out) throw InputError("cannot read raster '" + path + "': " + gdal_last_error());
  return DatasetPtr(GDALDataset::FromHandle(out));
}

/// A Gaofen scene as farmwatch reads it: a VRT over its file with bands described "B1 blue" ..
/// "B4 nir" and DN 0 (the fill around the scene) as nodata.
ImageRequest gaofen(const ImageRequest& req, const std::string& image) {
  if (req.bands)
    throw InputError("Gaofen scene '" + req.path + "': its bands are known (1 blue, 2 green, " +
                     "3 red, 4 nir); remove the band mapping");
  auto src = open_raster(image);
  if (src->GetRasterCount() < 4)
    throw InputError("Gaofen scene '" + image + "' has " + std::to_string(src->GetRasterCount()) +
                     " band(s); farmwatch reads the 4-band multispectral file (MSS, WFV), not PAN");
  double gt[6];
  if (src->GetSpatialRef() == nullptr || src->GetGeoTransform(gt) != CE_None)
    throw InputError("Gaofen scene '" + image + "' has no map grid: a Level-1A scene carries " +
                     "RPCs, not a map grid; orthorectify it first (gdalwarp -rpc -to " +
                     "RPC_DEM=dem.tif ...) or use the Level-2 (ortho) product");
  const std::string vrt =
      "/vsimem/farmwatch" + fs::absolute(image).lexically_normal().string() + ".vrt";
  DatasetPtr ds = translate_to_vrt(*src, vrt, image);
  static const char* const names[] = {"blue", "green", "red", "nir"};
  for (int b = 1; b <= ds->GetRasterCount(); ++b) {
    GDALRasterBand* band = ds->GetRasterBand(b);
    std::string d = "B" + std::to_string(b);
    if (b <= 4) d += std::string(" ") + names[b - 1];
    band->SetDescription(d.c_str());
    if (int has = 0; (band->GetNoDataValue(&has), !has)) band->SetNoDataValue(0);
  }
  ds->SetMetadataItem("FARMWATCH_PRODUCT", ("Gaofen " + image).c_str());
  close_or_throw(ds, vrt);
  ImageRequest out = req;
  out.path = vrt;
  if (out.metadata.empty()) out.metadata = find_gaofen_xml(image);
  if (out.profile == Profile::automatic) out.profile = Profile::gaofen;
  return out;
}

}  // namespace

std::optional<ImageRequest> resolve_product(const ImageRequest& req,
                                            const std::set<BandRole>& required) {
  fs::path dir(req.path);
  if (fs::exists(dir))
    if (const std::string gf = gaofen_image(dir); !gf.empty()) return gaofen(req, gf);
  if (fs::is_regular_file(dir) && dir.filename().string().rfind("MTD_MSIL", 0) == 0)
    dir = dir.parent_path();
  else if (!fs::is_directory(dir))
    return std::nullopt;
  if (req.bands)
    throw InputError("product '" + req.path + "': its bands are found by their file names; " +
                     "remove the band mapping");
  std::optional<Layout> l = sentinel2(dir);
  if (!l) l = landsat(dir);
  if (!l)
    throw InputError("folder '" + req.path + "' is not a product folder farmwatch knows: no " +
                     "Sentinel-2 band files (*_B02.jp2, *_B02_10m.jp2) or Landsat band files " +
                     "(*_SR_B4.TIF, *_B4.TIF) in it");
  // Roles to stack: the required ones must exist; the others are taken when present.
  std::vector<std::pair<BandRole, BandFile>> stack;
  for (std::size_t r = 0; r < kRoleCount; ++r) {
    const auto role = static_cast<BandRole>(r);
    const auto it = l->bands.find(l->codes[r]);
    if (it != l->bands.end())
      stack.emplace_back(role, it->second);
    else if (required.count(role))
      throw InputError(l->kind + " product '" + req.path + "' has no file for band " + l->codes[r] +
                       " (" + role_name(role) + "): the product is incomplete");
  }
  if (stack.empty())
    throw InputError(l->kind + " product '" + req.path + "' has none of the bands " +
                     "blue, green, red, nir, swir1, swir2");
  // The stack: every band at the finest pixel size among them (20 m bands of Sentinel-2
  // resampled bilinearly to 10 m), as GDAL reads a VRT: lazily, block by block.
  std::vector<std::string> files;
  for (const auto& [role, f] : stack) files.push_back(f.path);
  std::vector<const char*> names;
  for (const auto& f : files) names.push_back(f.c_str());
  std::vector<std::string> args = {"-separate", "-resolution", "highest", "-r", "bilinear"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  GDALBuildVRTOptions* opts = GDALBuildVRTOptionsNew(argv.data(), nullptr);
  const std::string vrt =
      "/vsimem/farmwatch" + fs::absolute(dir).lexically_normal().string() + "/bands.vrt";
  int usage = 0;
  CPLErrorReset();
  GDALDatasetH h = GDALBuildVRT(vrt.c_str(), static_cast<int>(names.size()), nullptr, names.data(),
                                opts, &usage);
  GDALBuildVRTOptionsFree(opts);
  if (!h)
    throw InputError("product '" + req.path + "': cannot stack its bands: " + gdal_last_error());
  DatasetPtr ds(GDALDataset::FromHandle(h));
  for (std::size_t i = 0; i < stack.size(); ++i)
    ds->GetRasterBand(static_cast<int>(i) + 1)
        ->SetDescription(
            (l->codes[static_cast<std::size_t>(stack[i].first)] + " " + role_name(stack[i].first))
                .c_str());
  ds->SetMetadataItem("FARMWATCH_PRODUCT", (l->kind + " " + req.path).c_str());
  close_or_throw(ds, vrt);

  ImageRequest out = req;
  out.path = vrt;
  if (out.quality.empty() && !l->quality.empty()) out.quality = l->quality;
  if (out.metadata.empty()) out.metadata = l->metadata;
  if (out.profile == Profile::automatic) out.profile = l->profile;
  return out;
}

}  // namespace farmwatch::io
