#include "test_support.h"

#include <ogrsf_frmts.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace farmwatch::test {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("farmwatch-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {
std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}
}  // namespace

CliResult run_cli(const std::vector<std::string>& args, const std::string& env) {
  std::string cmd = env + (env.empty() ? "" : " ") + quote(FARMWATCH_EXE);
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " 2>&1";
  CliResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string source_dir() { return FARMWATCH_SOURCE_DIR; }
std::string sample(const std::string& name) { return source_dir() + "/sample-tiles/" + name; }

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<double> read_band(const std::string& path, int band) {
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
  if (!ds) throw std::runtime_error("cannot open " + path);
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  std::vector<double> v(static_cast<size_t>(w) * h);
  if (ds->GetRasterBand(band)->RasterIO(GF_Read, 0, 0, w, h, v.data(), w, h, GDT_Float64, 0, 0,
                                        nullptr) != CE_None)
    throw std::runtime_error("cannot read " + path);
  return v;
}

void write_raster(const std::string& path, const RasterSpec& s) {
  GDALAllRegister();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), s.width, s.height,
                                      static_cast<int>(s.bands.size()), s.type, nullptr));
  double gt[6] = {s.origin_x, s.res, 0, s.origin_y, 0, -s.res};
  if (s.south_up) {
    gt[3] = s.origin_y - s.height * s.res;
    gt[5] = s.res;
  }
  if (!s.no_geotransform) ds->SetGeoTransform(gt);
  for (const auto& [k, v] : s.metadata) ds->SetMetadataItem(k.c_str(), v.c_str());
  if (!s.epsg.empty()) {
    OGRSpatialReference srs;
    srs.SetFromUserInput(s.epsg.c_str());
    ds->SetSpatialRef(&srs);
  }
  for (size_t b = 0; b < s.bands.size(); ++b) {
    GDALRasterBand* band = ds->GetRasterBand(static_cast<int>(b) + 1);
    std::vector<double> v = s.bands[b];
    if (s.south_up)
      for (int r = 0; r < s.height; ++r)
        std::copy(s.bands[b].begin() + static_cast<std::ptrdiff_t>(r) * s.width,
                  s.bands[b].begin() + static_cast<std::ptrdiff_t>(r + 1) * s.width,
                  v.begin() + static_cast<std::ptrdiff_t>(s.height - 1 - r) * s.width);
    if (band->RasterIO(GF_Write, 0, 0, s.width, s.height, v.data(), s.width, s.height, GDT_Float64,
                       0, 0, nullptr) != CE_None)
      throw std::runtime_error("cannot write " + path);
    if (b < s.descriptions.size()) band->SetDescription(s.descriptions[b].c_str());
    if (s.has_nodata) band->SetNoDataValue(s.nodata);
    if (s.scale != 1) band->SetScale(s.scale);
    if (s.offset != 0) band->SetOffset(s.offset);
  }
}

void write_vector(const std::string& path, const VectorSpec& spec) {
  GDALAllRegister();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName(spec.driver.c_str());
  if (!drv) throw std::runtime_error("no OGR driver " + spec.driver);
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw std::runtime_error("cannot create " + path);
  OGRSpatialReference srs;
  if (spec.epsg) srs.importFromEPSG(spec.epsg);
  CPLStringList options;
  for (const auto& o : spec.layer_options) options.AddString(o.c_str());
  OGRLayer* l =
      ds->CreateLayer(spec.layer.c_str(), spec.epsg ? &srs : nullptr, wkbUnknown, options.List());
  if (!l) throw std::runtime_error("cannot create layer in " + path);
  for (const auto& name : spec.fields) {
    OGRFieldDefn f(name.c_str(), OFTString);
    if (l->CreateField(&f) != OGRERR_NONE) throw std::runtime_error("cannot create a field");
  }
  // Raw bytes that are not UTF-8 make OGR warn; they are what the test wants written.
  CPLPushErrorHandler(CPLQuietErrorHandler);
  for (const auto& [values, wkt] : spec.features) {
    OGRFeature feat(l->GetLayerDefn());
    for (std::size_t i = 0; i < values.size(); ++i)
      feat.SetField(static_cast<int>(i), values[i].c_str());
    OGRGeometry* g = nullptr;
    if (OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g) != OGRERR_NONE)
      throw std::runtime_error("bad WKT " + wkt);
    feat.SetGeometryDirectly(g);
    if (l->CreateFeature(&feat) != OGRERR_NONE) throw std::runtime_error("cannot write " + path);
  }
  CPLPopErrorHandler();
}

RasterSpec vhr_ortho(const VhrPair& pair, bool after) {
  RasterSpec s;
  s.width = pair.width;
  s.height = pair.height;
  s.res = 0.5;
  s.type = GDT_Byte;
  s.bands = after ? pair.after : pair.before;
  s.descriptions = {"red", "green", "blue"};
  return s;
}

VhrPair make_vhr_pair(int shift_px) {
  VhrPair p;
  const int w = p.width, h = p.height;
  auto paint = [&](std::uint32_t seed, double gain, double offset, bool built, int shift) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0, 9);
    std::vector<std::vector<double>> bands(3, std::vector<double>(std::size_t(w) * h));
    const double grass[3] = {72, 104, 52}, roof = 150, shadow = 28;
    auto inside = [](const std::array<int, 4>& r, int c, int row) {
      return c >= r[0] && c < r[0] + r[2] && row >= r[1] && row < r[1] + r[3];
    };
    auto in_shadow = [&](const std::array<int, 4>& r, int c, int row) {  // 4 px to the south-east
      return !inside(r, c, row) && c >= r[0] + 4 && c < r[0] + r[2] + 4 && row >= r[1] + 4 &&
             row < r[1] + r[3] + 4;
    };
    for (int row = 0; row < h; ++row)
      for (int c = 0; c < w; ++c) {
        const int sc = c - shift;  // content moved east by `shift`
        const double n = noise(rng);
        for (int b = 0; b < 3; ++b) {
          double v = grass[b] + n * (b == 1 ? 1.2 : 1.0);
          for (const auto* r : {&p.existing, &p.built}) {
            if (r == &p.built && !built) continue;
            if (in_shadow(*r, sc, row)) v = shadow + n / 3;
            if (inside(*r, sc, row)) v = roof + n / 3;
          }
          bands[b][std::size_t(row) * w + c] = std::clamp(gain * v + offset, 0.0, 255.0);
        }
      }
    return bands;
  };
  p.before = paint(1, 1.0, 0, false, 0);
  p.after = paint(2, 0.8, 25, true, shift_px);
  return p;
}

void write_png(const std::string& path, int width, int height,
               const std::vector<std::vector<double>>& bands) {
  GDALAllRegister();
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDatasetUniquePtr ds(
      mem->Create("", width, height, static_cast<int>(bands.size()), GDT_Byte, nullptr));
  for (std::size_t b = 0; b < bands.size(); ++b) {
    std::vector<double> v = bands[b];
    if (ds->GetRasterBand(static_cast<int>(b) + 1)
            ->RasterIO(GF_Write, 0, 0, width, height, v.data(), width, height, GDT_Float64, 0, 0,
                       nullptr) != CE_None)
      throw std::runtime_error("cannot write " + path);
  }
  if (bands.size() == 4) ds->GetRasterBand(4)->SetColorInterpretation(GCI_AlphaBand);
  GDALDriver* png = GetGDALDriverManager()->GetDriverByName("PNG");
  GDALDatasetUniquePtr out(
      png->CreateCopy(path.c_str(), ds.get(), FALSE, nullptr, nullptr, nullptr));
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_parcels(const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& id_wkt, int epsg) {
  GDALAllRegister();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  if (!ds) throw std::runtime_error("cannot create " + path);
  OGRSpatialReference srs;
  if (epsg) srs.importFromEPSG(epsg);
  OGRLayer* l = ds->CreateLayer("农田", epsg ? &srs : nullptr, wkbPolygon, nullptr);
  OGRFieldDefn f("地块编号", OFTString);
  if (l->CreateField(&f) != OGRERR_NONE) throw std::runtime_error("cannot create field");
  for (const auto& [id, wkt] : id_wkt) {
    OGRFeature feat(l->GetLayerDefn());
    feat.SetField(0, id.c_str());
    OGRGeometry* g = nullptr;
    OGRGeometryFactory::createFromWkt(wkt.c_str(), nullptr, &g);
    feat.SetGeometryDirectly(g);
    if (l->CreateFeature(&feat) != OGRERR_NONE) throw std::runtime_error("cannot write " + path);
  }
}

std::string write_sample_pipeline(const TempDir& dir, const std::string& later_image) {
  const std::string rules = source_dir() + "/pipelines/rules/";
  const std::string path = dir / "p.yaml";
  std::ofstream(path) << "dates:\n"
                      << "  - {date: 2024-03-15, image: '" << sample("sample_20240315.tif")
                      << "'}\n"
                      << "  - {date: 2024-08-20, image: '" << later_image << "'}\n"
                      << "farmland: {path: '" << sample("farmland.gpkg")
                      << "', id_field: 地块编号}\n"
                      << "grid: {crs: 'EPSG:4527', resolution: 10}\n"
                      << "classification: " << rules << "landuse_rules.yaml\n"
                      << "change_rules: " << rules << "change_rules.yaml\n"
                      << "outputs: {dir: '" << (dir / "out") << "', tiles: false}\n";
  return path;
}

std::string shared_data_dir() {
  const fs::path p = fs::path(source_dir()).parent_path() / "shared" / "data";
  return fs::exists(p / "MANIFEST.md") ? p.string() : std::string();
}

}  // namespace farmwatch::test
