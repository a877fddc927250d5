#include "test_support.h"

#include <ogrsf_frmts.h>
#include <unistd.h>

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
  ds->SetGeoTransform(gt);
  if (!s.epsg.empty()) {
    OGRSpatialReference srs;
    srs.SetFromUserInput(s.epsg.c_str());
    ds->SetSpatialRef(&srs);
  }
  for (size_t b = 0; b < s.bands.size(); ++b) {
    GDALRasterBand* band = ds->GetRasterBand(static_cast<int>(b) + 1);
    std::vector<double> v = s.bands[b];
    if (band->RasterIO(GF_Write, 0, 0, s.width, s.height, v.data(), s.width, s.height, GDT_Float64,
                       0, 0, nullptr) != CE_None)
      throw std::runtime_error("cannot write " + path);
    if (b < s.descriptions.size()) band->SetDescription(s.descriptions[b].c_str());
    if (s.has_nodata) band->SetNoDataValue(s.nodata);
    if (s.scale != 1) band->SetScale(s.scale);
  }
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
                      << "  - {date: 2024-03-15, image: '" << sample("sample_20240315.tif") << "'}\n"
                      << "  - {date: 2024-08-20, image: '" << later_image << "'}\n"
                      << "farmland: {path: '" << sample("farmland.gpkg") << "', id_field: 地块编号}\n"
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
