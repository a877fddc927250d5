// The one map's tiles (farmwatch tiles) on class rasters the tests generate: each grid's deepest
// level against an exact warp, parents against their children, MBTiles, TileJSON and the
// TileMatrixSet documents, incremental updates, determinism, and bad input.
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogr_spatialref.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "farmwatch/core/log.h"
#include "farmwatch/pipeline/tile_sets.h"
#include "test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace farmwatch;

namespace {

const std::array<std::array<int, 3>, 6> kColors = {
    {{0, 0, 0}, {242, 209, 107}, {31, 122, 31}, {58, 143, 217}, {230, 30, 30}, {181, 224, 140}}};

/// A class raster of rectangular fields (codes 1..5), a nodata strip (255), colour table,
/// EPSG:32650 at 10 m near 32°N. `edit` changes a square of fields afterwards.
struct ClassRaster {
  int width = 700, height = 600;
  std::vector<std::uint8_t> codes;
  double x0 = 500000, y0 = 3550000, res = 10;
  std::string epsg = "EPSG:32650";
};

ClassRaster make_fields(unsigned seed, int width = 700, int height = 600) {
  ClassRaster r;
  r.width = width, r.height = height;
  r.codes.assign(static_cast<std::size_t>(r.width) * r.height, 1);
  std::mt19937 rng(seed);
  for (int k = 0; k < width * height / 1000; ++k) {
    const int w = 5 + static_cast<int>(rng() % 40), h = 5 + static_cast<int>(rng() % 40);
    const int c0 = static_cast<int>(rng() % r.width), r0 = static_cast<int>(rng() % r.height);
    const auto code = static_cast<std::uint8_t>(1 + rng() % 5);
    for (int y = r0; y < std::min(r.height, r0 + h); ++y)
      for (int x = c0; x < std::min(r.width, c0 + w); ++x) r.codes[y * r.width + x] = code;
  }
  for (int y = 0; y < r.height; ++y)
    for (int x = 0; x < 12; ++x) r.codes[y * r.width + x] = 255;
  return r;
}

/// A tiled GeoTIFF of `bands` Byte bands on the raster's grid (DEFLATE).
GDALDatasetUniquePtr create_like(const ClassRaster& r, const std::string& path, int bands) {
  GDALAllRegister();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* opts[] = {"TILED=YES", "COMPRESS=DEFLATE", nullptr};
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), r.width, r.height, bands, GDT_Byte,
                                      const_cast<char**>(opts)));
  OGRSpatialReference srs;
  srs.SetFromUserInput(r.epsg.c_str());
  ds->SetSpatialRef(&srs);
  double gt[6] = {r.x0, r.res, 0, r.y0, 0, -r.res};
  ds->SetGeoTransform(gt);
  return ds;
}

void write(const ClassRaster& r, const std::string& path, bool colour_table = true) {
  GDALDatasetUniquePtr ds = create_like(r, path, 1);
  GDALRasterBand* b = ds->GetRasterBand(1);
  b->SetNoDataValue(255);
  if (colour_table) {
    GDALColorTable ct;
    for (int i = 0; i < static_cast<int>(kColors.size()); ++i) {
      const GDALColorEntry e{static_cast<short>(kColors[i][0]), static_cast<short>(kColors[i][1]),
                             static_cast<short>(kColors[i][2]), 255};
      ct.SetColorEntry(i, &e);
    }
    b->SetColorTable(&ct);
  }
  ASSERT_EQ(b->RasterIO(GF_Write, 0, 0, r.width, r.height, const_cast<std::uint8_t*>(r.codes.data()),
                        r.width, r.height, GDT_Byte, 0, 0, nullptr),
            CE_None);
}

/// RGBA of every pixel of a tile (palette expanded).
std::vector<std::array<std::uint8_t, 4>> tile_rgba(const fs::path& png) {
  GDALDatasetUniquePtr ds(GDALDataset::Open(png.c_str(), GDAL_OF_RASTER));
  EXPECT_TRUE(ds) << png;
  std::vector<std::array<std::uint8_t, 4>> out(256 * 256);
  if (!ds) return out;
  GDALRasterBand* b = ds->GetRasterBand(1);
  EXPECT_EQ(ds->GetRasterCount(), 1) << png << ": class tiles are palette PNGs";
  std::vector<std::uint8_t> idx(256 * 256);
  EXPECT_EQ(b->RasterIO(GF_Read, 0, 0, 256, 256, idx.data(), 256, 256, GDT_Byte, 0, 0, nullptr),
            CE_None);
  const GDALColorTable* ct = b->GetColorTable();
  for (std::size_t i = 0; i < idx.size(); ++i) {
    const GDALColorEntry* e = ct->GetColorEntry(idx[i]);
    out[i] = {static_cast<std::uint8_t>(e->c1), static_cast<std::uint8_t>(e->c2),
              static_cast<std::uint8_t>(e->c3), static_cast<std::uint8_t>(e->c4)};
  }
  return out;
}

/// The class code a tile pixel shows (255: transparent).
int code_of(const std::array<std::uint8_t, 4>& px) {
  if (px[3] == 0) return 255;
  for (int i = 0; i < static_cast<int>(kColors.size()); ++i)
    if (px[0] == kColors[i][0] && px[1] == kColors[i][1] && px[2] == kColors[i][2]) return i;
  return -1;
}

struct TileGrid {
  const char* id;
  const char* crs;
  double origin_x, origin_y, span0;
  int first_level;
};
const TileGrid kWebMercator{"webmercator", "EPSG:3857", -20037508.342789244, 20037508.342789244,
                        2 * 20037508.342789244, 0};
const TileGrid kTiandituC{"tianditu-c", "EPSG:4490", -180, 90, 180, 1};

std::vector<fs::path> pngs(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".png") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class MapTiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir;
    raster_ = make_fields(7);
    write(raster_, *dir_ / "fields.tif");
    const auto r = test::run_cli({"tiles", "--in", *dir_ / "fields.tif", "--out", *dir_ / "t"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  static void TearDownTestSuite() { delete dir_; }
  static fs::path layer(const TileGrid& g) { return fs::path(*dir_ / "t") / g.id / "fields"; }
  static json tilejson(const TileGrid& g) {
    return json::parse(test::read_text((layer(g) / "tilejson.json").string()));
  }

  /// Every pixel of every deepest tile against the class under its centre, transformed
  /// exactly (no interpolation) into the raster.
  static void expect_deepest_level_is_an_exact_warp(const TileGrid& g) {
    const int z = tilejson(g)["maxzoom"];
    OGRSpatialReference from, to;
    from.SetFromUserInput(g.crs);
    to.SetFromUserInput(raster_.epsg.c_str());
    from.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    to.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> ct(OGRCreateCoordinateTransformation(&from, &to));
    const double size = g.span0 / std::ldexp(1.0, z - g.first_level);
    std::size_t agree = 0, total = 0, tiles = 0;
    for (const auto& png : pngs(layer(g) / std::to_string(z))) {
      const int tx = std::stoi(png.parent_path().filename().string());
      const int ty = std::stoi(png.stem().string());
      const auto px = tile_rgba(png);
      ++tiles;
      for (int r = 0; r < 256; ++r)
        for (int c = 0; c < 256; ++c) {
          double x = g.origin_x + tx * size + (c + 0.5) * size / 256;
          double y = g.origin_y - ty * size - (r + 0.5) * size / 256;
          ASSERT_TRUE(ct->Transform(1, &x, &y));
          const double col = (x - raster_.x0) / raster_.res, row = (raster_.y0 - y) / raster_.res;
          int want = 255;
          if (col >= 0 && row >= 0 && col < raster_.width && row < raster_.height)
            want = raster_.codes[static_cast<std::size_t>(row) * raster_.width +
                                 static_cast<std::size_t>(col)];
          agree += code_of(px[r * 256 + c]) == want;
          ++total;
        }
    }
    ASSERT_GT(tiles, 4u);
    // Only a pixel centre within ~1/1000 of a pixel of a cell edge may fall on the other side.
    EXPECT_GE(static_cast<double>(agree), 0.9995 * static_cast<double>(total))
        << agree << " of " << total << " pixels agree";
  }

  /// Every pixel of each tile one level up is the most frequent class of the 2 x 2 pixels
  /// under it (no data aside; ties: the lower code).
  static void expect_parents_are_the_mode_of_children(const TileGrid& g) {
    const int z = tilejson(g)["maxzoom"].get<int>() - 1;
    std::size_t checked = 0;
    for (const auto& png : pngs(layer(g) / std::to_string(z))) {
      const int tx = std::stoi(png.parent_path().filename().string());
      const int ty = std::stoi(png.stem().string());
      const auto parent = tile_rgba(png);
      for (int q = 0; q < 4; ++q) {
        const fs::path child = layer(g) / std::to_string(z + 1) /
                               std::to_string(2 * tx + (q & 1)) /
                               (std::to_string(2 * ty + (q >> 1)) + ".png");
        std::vector<std::array<std::uint8_t, 4>> kid(256 * 256, {0, 0, 0, 0});
        if (fs::exists(child)) kid = tile_rgba(child);
        for (int r = 0; r < 128; ++r)
          for (int c = 0; c < 128; ++c) {
            std::map<int, int> n;
            for (int k = 0; k < 4; ++k) {
              const int code = code_of(kid[(2 * r + k / 2) * 256 + 2 * c + k % 2]);
              if (code != 255) ++n[code];
            }
            int want = 255, best = 0;
            for (const auto& [code, count] : n)
              if (count > best) want = code, best = count;
            const int pr = (q >> 1) * 128 + r, pc = (q & 1) * 128 + c;
            ASSERT_EQ(code_of(parent[pr * 256 + pc]), want)
                << png << " pixel " << pr << "," << pc;
            ++checked;
          }
      }
    }
    EXPECT_GT(checked, 10000u);
  }

  static test::TempDir* dir_;
  static ClassRaster raster_;
};
test::TempDir* MapTiles::dir_ = nullptr;
ClassRaster MapTiles::raster_;

}  // namespace

TEST_F(MapTiles, WebMercatorDeepestLevelEqualsAnExactWarp) {
  expect_deepest_level_is_an_exact_warp(kWebMercator);
}

TEST_F(MapTiles, TiandituDeepestLevelEqualsAnExactWarp) {
  expect_deepest_level_is_an_exact_warp(kTiandituC);
}

TEST_F(MapTiles, ParentTilesAreTheModeOfTheirChildren) {
  expect_parents_are_the_mode_of_children(kWebMercator);
  expect_parents_are_the_mode_of_children(kTiandituC);
}

TEST_F(MapTiles, LevelsFollowTheRasterResolutionAndEachGridsNumbering) {
  // 10 m pixels at 32°N: Web Mercator z14 (8.1 m on the ground there), Tianditu level 14
  // (9.55 m along a meridian); seven levels down to z8.
  EXPECT_EQ(tilejson(kWebMercator)["maxzoom"], 14);
  EXPECT_EQ(tilejson(kWebMercator)["minzoom"], 8);
  EXPECT_EQ(tilejson(kTiandituC)["maxzoom"], 14);
  for (const TileGrid& g : {kWebMercator, kTiandituC}) {
    const json tj = tilejson(g);
    EXPECT_EQ(tj["tilejson"], "3.0.0");
    EXPECT_EQ(tj["tiles"][0], "{z}/{x}/{y}.png");
    EXPECT_EQ(tj["scheme"], "xyz");
    const auto& b = tj["bounds"];
    EXPECT_NEAR(b[0].get<double>(), 117.0, 0.1);  // EPSG:32650 x 500000 is 117°E
    EXPECT_NEAR(b[1].get<double>(), 32.0, 0.1);
    ASSERT_EQ(tj["farmwatch:legend"].size(), 5u);  // the codes the raster holds
    for (int z = tj["minzoom"]; z <= tj["maxzoom"]; ++z)
      EXPECT_TRUE(fs::exists(layer(g) / std::to_string(z))) << g.id << " level " << z;
    EXPECT_FALSE(fs::exists(layer(g) / std::to_string(tj["maxzoom"].get<int>() + 1)));
  }
  // Tianditu counts columns from -180° and rows from 90°: at level 14 a tile is
  // 180 / 2^13 degrees, so 117.0°E is in column 13516.
  EXPECT_TRUE(fs::exists(layer(kTiandituC) / "14" / "13516"));
}

TEST_F(MapTiles, TileMatrixSetDocumentsDescribeBothGrids) {
  const json wm = json::parse(test::read_text(*dir_ / "t/webmercator/tilematrixset.json"));
  EXPECT_EQ(wm["id"], "WebMercatorQuad");
  EXPECT_EQ(wm["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
  EXPECT_NEAR(wm["tileMatrices"][0]["scaleDenominator"].get<double>(), 559082264.0287178, 1e-3);
  EXPECT_EQ(wm["tileMatrices"][0]["matrixWidth"], 1);
  const json c = json::parse(test::read_text(*dir_ / "t/tianditu-c/tilematrixset.json"));
  EXPECT_EQ(c["crs"], "http://www.opengis.net/def/crs/EPSG/0/4490");
  EXPECT_EQ(c["tileMatrices"][0]["id"], "1");
  EXPECT_DOUBLE_EQ(c["tileMatrices"][0]["cellSize"].get<double>(), 0.703125);
  EXPECT_EQ(c["tileMatrices"][0]["matrixWidth"], 2);
  EXPECT_EQ(c["tileMatrices"][0]["matrixHeight"], 1);
  EXPECT_EQ(c["tileMatrices"][0]["pointOfOrigin"], json::array({90.0, -180.0}));  // lat, lon
}

TEST_F(MapTiles, MbtilesHoldEveryWebMercatorTileInTmsRows) {
  const std::string path = *dir_ / "t/webmercator/fields.mbtiles";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  std::map<std::string, std::string> meta;
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT name, value FROM metadata", -1, &st, nullptr),
            SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW)
    meta[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] =
        reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  EXPECT_EQ(meta["format"], "png");
  EXPECT_EQ(meta["name"], "fields");
  EXPECT_EQ(meta["minzoom"], "8");
  EXPECT_EQ(meta["maxzoom"], "14");
  EXPECT_FALSE(meta["bounds"].empty());
  const auto files = pngs(layer(kWebMercator));
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM tiles", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(static_cast<std::size_t>(sqlite3_column_int(st, 0)), files.size());
  sqlite3_finalize(st);
  // A tile's row counts from the south: y = 2^z - 1 - tile_row.
  const fs::path f = files[files.size() / 2];
  const int z = std::stoi(f.parent_path().parent_path().filename().string());
  const int x = std::stoi(f.parent_path().filename().string()), y = std::stoi(f.stem().string());
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT tile_data FROM tiles WHERE zoom_level = ? AND "
                               "tile_column = ? AND tile_row = ?",
                               -1, &st, nullptr),
            SQLITE_OK);
  sqlite3_bind_int(st, 1, z);
  sqlite3_bind_int(st, 2, x);
  sqlite3_bind_int(st, 3, (1 << z) - 1 - y);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const std::string blob(static_cast<const char*>(sqlite3_column_blob(st, 0)),
                         static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
  EXPECT_EQ(blob, bytes_of(f));
  sqlite3_finalize(st);
  sqlite3_close(db);
  // GDAL's MBTiles driver (what QGIS uses) opens it as a georeferenced raster.
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(ds);
  EXPECT_GT(ds->GetRasterXSize(), 256);
}

TEST_F(MapTiles, SameBytesWhateverTheThreadCount) {
  const auto r = test::run_cli(
      {"tiles", "--in", *dir_ / "fields.tif", "--out", *dir_ / "t1", "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* grid : {"webmercator", "tianditu-c"}) {
    const auto a = pngs(fs::path(*dir_ / "t") / grid), b = pngs(fs::path(*dir_ / "t1") / grid);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(bytes_of(a[i]), bytes_of(b[i])) << a[i];
  }
  EXPECT_EQ(bytes_of(*dir_ / "t/webmercator/fields.mbtiles"),
            bytes_of(*dir_ / "t1/webmercator/fields.mbtiles"));
}

// A new map that differs in one corner re-renders the tiles over that corner (and their
// parents) only; the updated set is byte for byte the set a full render of the new map gives.
TEST(MapTilesUpdate, OnlyTilesOverChangedPixelsAreRenderedAgain) {
  test::TempDir d;
  ClassRaster before = make_fields(11, 2500, 2000), after = before;
  for (int y = 1500; y < 1560; ++y)
    for (int x = 2000; x < 2080; ++x) after.codes[y * after.width + x] = 4;
  write(before, d / "landuse.tif");
  ASSERT_EQ(test::run_cli({"tiles", "--in", d / "landuse.tif", "--out", d / "live"}).exit_code, 0);
  fs::rename(d / "landuse.tif", d / "landuse_before.tif");
  write(after, d / "landuse.tif");
  const auto up = test::run_cli({"tiles", "--in", d / "landuse.tif", "--out", d / "live",
                                 "--previous", d / "landuse_before.tif"});
  ASSERT_EQ(up.exit_code, 0) << up.output;
  const auto full = test::run_cli({"tiles", "--in", d / "landuse.tif", "--out", d / "full"});
  ASSERT_EQ(full.exit_code, 0) << full.output;
  for (const char* grid : {"webmercator", "tianditu-c"}) {
    const auto a = pngs(fs::path(d / "live") / grid), b = pngs(fs::path(d / "full") / grid);
    ASSERT_EQ(a.size(), b.size()) << grid;
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(fs::relative(a[i], d / "live"), fs::relative(b[i], d / "full"));
      ASSERT_EQ(bytes_of(a[i]), bytes_of(b[i])) << a[i];
    }
  }
  EXPECT_EQ(bytes_of(d / "live/webmercator/landuse.mbtiles"),
            bytes_of(d / "full/webmercator/landuse.mbtiles"));
  // "N tiles (R rendered)": the update rendered a small part of the set.
  std::size_t pos = 0;
  int lines = 0;
  while ((pos = up.output.find(" tiles (", pos)) != std::string::npos) {
    const std::size_t start = up.output.rfind('\n', pos) + 1;
    const int total = std::stoi(up.output.substr(start, pos - start));
    const int rendered = std::stoi(up.output.substr(pos + 8));
    EXPECT_LT(rendered * 10, total) << up.output;
    ++pos, ++lines;
  }
  EXPECT_EQ(lines, 2) << up.output;
}

/// An RGBA image of a class raster: each class's colour with a pixel-to-pixel ripple, alpha 0
/// where it has no data.
void write_rgba(const ClassRaster& r, const std::string& path) {
  GDALDatasetUniquePtr ds = create_like(r, path, 4);
  const std::size_t n = r.codes.size();
  std::vector<std::uint8_t> px(4 * n);
  for (std::size_t i = 0; i < n; ++i) {
    const int code = r.codes[i];
    for (int b = 0; b < 3; ++b)
      px[b * n + i] = static_cast<std::uint8_t>(
          code == 255 ? 0 : (code == 9 ? (b == 1 ? 0 : 255) : kColors[code % 6][b] / 2 + i % 97));
    px[3 * n + i] = code == 255 ? 0 : 255;
  }
  ASSERT_EQ(ds->RasterIO(GF_Write, 0, 0, r.width, r.height, px.data(), r.width, r.height, GDT_Byte,
                         4, nullptr, 0, 0, 0, nullptr),
            CE_None);
}

/// Every tile file (PNG or JPEG) under `dir`.
std::vector<fs::path> tile_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().extension() == ".png" || e.path().extension() == ".jpg") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

/// `raster` cut into cells of `cell` pixels, each dealt at random (`seed`) to one of `shards`.
io::TileShards random_cells(const ClassRaster& raster, int cell, int shards, unsigned seed) {
  io::TileShards cells;
  cells.cell = cell;
  cells.cols = (raster.width + cell - 1) / cell;
  cells.rows = (raster.height + cell - 1) / cell;
  std::mt19937 rng(seed);
  for (int c = 0; c < cells.cols * cells.rows; ++c)
    cells.owner.push_back(static_cast<int>(rng() % shards));
  return cells;
}

// A run cut into shards (io::TileShards): each shard renders the tiles over its own cells from
// a copy of the rasters where every other cell holds what the merge's rasters lack there (a
// class, a magenta), the merge renders the rest from the whole rasters and the parents across
// shards from the quarters the shards kept; together, byte for byte the set one call writes,
// MBTiles included, for a class layer and an imagery layer. Where the deepest level would read
// an overview, the merge does all.
TEST(MapTilesShards, ShardsAndTheMergeWriteWhatOneCallWrites) {
  test::TempDir d;
  const ClassRaster whole = make_fields(13, 2600, 2100);
  write(whole, d / "landuse.tif");
  write_rgba(whole, d / "imagery.tif");
  constexpr int kCell = 256, kShards = 3;
  const io::TileShards cells = random_cells(whole, kCell, kShards, 5);
  const Log quiet;  // no sink
  const std::vector<pipeline::TileLayerSource> both = {
      {d / "landuse.tif", "landuse", "", "", ""}, {d / "imagery.tif", "imagery", "", "", ""}};
  // The default levels; a deepest level with a pixel over 2 of the raster's (z12, 32 m); the
  // coarsest level below the super tiles' (16 x 16 deepest tiles).
  for (const auto& [min_zoom, max_zoom] : std::vector<std::pair<int, int>>{{-1, -1}, {-1, 12}, {13, -1}}) {
    const std::string tag = std::to_string(min_zoom) + std::to_string(max_zoom);
    pipeline::TileSetOptions opt;
    opt.min_zoom = min_zoom;
    opt.max_zoom = max_zoom;
    pipeline::write_tile_sets(both, d / ("full" + tag), opt, quiet);
    std::map<std::string, std::size_t> by_shards;
    for (int k = 0; k < kShards; ++k) {
      ClassRaster mine = whole, garbage = whole;
      for (int y = 0; y < whole.height; ++y)
        for (int x = 0; x < whole.width; ++x)
          if (cells.owner[(y / kCell) * cells.cols + x / kCell] != k)
            mine.codes[y * whole.width + x] = 4, garbage.codes[y * whole.width + x] = 9;
      const std::string id = tag + "_" + std::to_string(k);
      write(mine, d / ("landuse" + id + ".tif"));
      write_rgba(garbage, d / ("imagery" + id + ".tif"));
      pipeline::TileSetOptions s = opt;
      s.shards = cells;
      s.shards->index = k;
      const std::string root = d / ("shard" + id);
      pipeline::write_tile_sets({{d / ("landuse" + id + ".tif"), "landuse", "", "", ""},
                                 {d / ("imagery" + id + ".tif"), "imagery", "", "", ""}},
                                root, s, quiet);
      for (const char* grid : {"webmercator", "tianditu-c"})
        for (const char* layer : {"landuse", "imagery"})
          by_shards[layer] += tile_files(fs::path(root) / grid / layer).size();
      opt.shard_roots.push_back(root);
      EXPECT_FALSE(fs::exists(fs::path(root) / "webmercator/landuse.mbtiles"));
    }
    for (const char* layer : {"landuse", "imagery"}) {
      if (max_zoom != 12)
        EXPECT_GT(by_shards[layer], 50u) << layer << ": the shards render the tiles in their cells";
      else
        EXPECT_EQ(by_shards[layer], 0u) << layer << ": the deepest level reads an overview";
    }
    opt.shards = cells;
    opt.shards->index = -1;
    const json merged = pipeline::write_tile_sets(both, d / ("merged" + tag), opt, quiet);
    for (const char* grid : {"webmercator", "tianditu-c"})
      for (const char* layer : {"landuse", "imagery"}) {
        const fs::path a = fs::path(d / ("full" + tag)) / grid / layer,
                       b = fs::path(d / ("merged" + tag)) / grid / layer;
        const auto fa = tile_files(a), fb = tile_files(b);
        ASSERT_EQ(fa.size(), fb.size()) << grid << " " << layer << " z.." << tag;
        for (std::size_t i = 0; i < fa.size(); ++i) {
          ASSERT_EQ(fs::relative(fa[i], a), fs::relative(fb[i], b));
          ASSERT_EQ(bytes_of(fa[i]), bytes_of(fb[i])) << fb[i];
        }
        EXPECT_EQ(bytes_of(a / "tilejson.json"), bytes_of(b / "tilejson.json"));
        EXPECT_EQ(merged[grid][layer]["tiles"].get<std::size_t>(), fb.size());
      }
    for (const char* layer : {"landuse", "imagery"})
      EXPECT_EQ(bytes_of(d / ("full" + tag + "/webmercator/" + layer + ".mbtiles")),
                bytes_of(d / ("merged" + tag + "/webmercator/" + layer + ".mbtiles")));
  }
}

// Shards that render a layer from rasters of their own (a shard's change.tif of its cells
// alone, io::TileShards::sources) which differ from the merge's in a few patches, on cell
// edges and corners among them: the merge renders again the shards' tiles over those pixels
// and their parents, and takes every other tile of theirs as it is (hard-linked); together,
// byte for byte the set one call writes. With the super tiles' level above the coarsest too.
TEST(MapTilesShards, TheMergeRendersAgainOnlyTheShardsTilesOverPixelsItHasOtherwise) {
  test::TempDir d;
  const ClassRaster whole = make_fields(17, 2600, 2100);
  write(whole, d / "change.tif");
  constexpr int kShards = 3;
  const Log quiet;
  const std::vector<pipeline::TileLayerSource> layer = {{d / "change.tif", "change", "", "", ""}};
  // Small cells: most parents are the merge's; large ones: most are a shard's, whose other
  // children the merge takes from that shard's tiles.
  for (const auto& [kCell, min_zoom, max_zoom] :
       std::vector<std::array<int, 3>>{{256, -1, -1}, {256, 13, -1}, {1024, -1, -1}}) {
    const io::TileShards cells = random_cells(whole, kCell, kShards, 11);
    const std::string tag =
        std::to_string(kCell) + "_" + std::to_string(min_zoom) + std::to_string(max_zoom);
    pipeline::TileSetOptions opt;
    opt.min_zoom = min_zoom;
    opt.max_zoom = max_zoom;
    pipeline::write_tile_sets(layer, d / ("full" + tag), opt, quiet);
    std::vector<std::string> sources;
    std::vector<Window> differ;  // pixels where a shard's raster is not the merge's
    for (int k = 0; k < kShards; ++k) {
      ClassRaster mine = whole;
      for (int y = 0; y < whole.height; ++y)
        for (int x = 0; x < whole.width; ++x)
          if (cells.owner[(y / kCell) * cells.cols + x / kCell] != k)
            mine.codes[y * whole.width + x] = 9;
      // In three of its cells: a patch inside, one on the cell's right edge, one in its
      // bottom-right corner.
      int made = 0;
      for (int c = 0; c < cells.cols * cells.rows && made < 3; ++c) {
        if (cells.owner[c] != k || (c % cells.cols + 1) * kCell > whole.width ||
            (c / cells.cols + 1) * kCell > whole.height)
          continue;
        const int x0 = (c % cells.cols) * kCell, y0 = (c / cells.cols) * kCell;
        const Window w = made == 0   ? Window{x0 + 100, y0 + 90, 12, 9}
                         : made == 1 ? Window{x0 + kCell - 3, y0 + 40, 3, 20}
                                     : Window{x0 + kCell - 1, y0 + kCell - 1, 1, 1};
        for (int y = w.row; y < w.row + w.height; ++y)
          for (int x = w.col; x < w.col + w.width; ++x) {
            auto& v = mine.codes[y * whole.width + x];
            v = v == 2 ? 3 : 2;
          }
        differ.push_back(w);
        ++made;
      }
      const std::string id = tag + "_" + std::to_string(k);
      sources.push_back(d / ("change" + id + ".tif"));
      write(mine, sources.back());
      pipeline::TileSetOptions s = opt;
      s.shards = cells;
      s.shards->index = k;
      const std::string root = d / ("shard" + id);
      pipeline::write_tile_sets({{sources.back(), "change", "", "", ""}}, root, s, quiet);
      opt.shard_roots.push_back(root);
    }
    ASSERT_GE(differ.size(), 3u);
    opt.shards = cells;
    opt.shards->index = -1;
    opt.shard_sources["change"] = sources;
    pipeline::write_tile_sets(layer, d / ("merged" + tag), opt, quiet);
    for (const char* grid : {"webmercator", "tianditu-c"}) {
      const fs::path a = fs::path(d / ("full" + tag)) / grid / "change",
                     b = fs::path(d / ("merged" + tag)) / grid / "change";
      const auto fa = tile_files(a), fb = tile_files(b);
      ASSERT_EQ(fa.size(), fb.size()) << grid << " z.." << tag;
      for (std::size_t i = 0; i < fa.size(); ++i) {
        ASSERT_EQ(fs::relative(fa[i], a), fs::relative(fb[i], b));
        ASSERT_EQ(bytes_of(fa[i]), bytes_of(fb[i])) << fb[i];
      }
      EXPECT_EQ(bytes_of(d / ("full" + tag + "/webmercator/change.mbtiles")),
                bytes_of(d / ("merged" + tag + "/webmercator/change.mbtiles")));
      // Most of the shards' deepest tiles are taken as they are; those over a patch are not.
      int deepest = 0;
      for (const auto& e : fs::directory_iterator(b))
        if (e.is_directory()) deepest = std::max(deepest, std::stoi(e.path().filename().string()));
      std::size_t theirs = 0, linked = 0;
      for (const std::string& root : opt.shard_roots)
        if (fs::exists(fs::path(root) / grid / "change" / std::to_string(deepest)))
          theirs += tile_files(fs::path(root) / grid / "change" / std::to_string(deepest)).size();
      for (const auto& f : tile_files(b / std::to_string(deepest)))
        linked += fs::hard_link_count(f) > 1;
      EXPECT_GT(linked * 4, theirs * 3)
          << grid << " z.." << tag << ": " << linked << " of " << theirs;
      EXPECT_LT(linked, theirs) << grid << " z.." << tag
                                << ": the tiles over the patches are rendered again";
    }
  }
}

TEST(MapTilesInput, AClassRasterWithoutColourTableGetsColoursOfItsOwn) {
  test::TempDir d;
  write(make_fields(3), d / "plain.tif", false);
  const auto r = test::run_cli({"tiles", "--in", d / "plain.tif", "--out", d / "t", "--grid",
                                "webmercator"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(pngs(d / "t/webmercator/plain").empty());
  EXPECT_FALSE(fs::exists(d / "t/tianditu-c"));
}

TEST(MapTilesInput, BadInputGetsOneMessageAndLeavesThePreviousTiles) {
  test::TempDir d;
  ClassRaster polar = make_fields(5);
  polar.epsg = "EPSG:4326";
  polar.x0 = 10, polar.y0 = 89.5, polar.res = 0.0001;
  write(polar, d / "polar.tif");
  auto r = test::run_cli({"tiles", "--in", d / "polar.tif", "--out", d / "t", "--grid",
                          "webmercator"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("polar.tif"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("85.05"), std::string::npos) << r.output;
  // The same place in the geographic grid is fine.
  r = test::run_cli({"tiles", "--in", d / "polar.tif", "--out", d / "t", "--grid", "tianditu-c",
                     "--max-zoom", "12"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto before = pngs(d / "t");
  ASSERT_FALSE(before.empty());

  // Levels outside a grid's range: a usage error naming the level.
  r = test::run_cli({"tiles", "--in", d / "polar.tif", "--out", d / "t", "--grid", "tianditu-c",
                     "--min-zoom", "0"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("min_zoom 0"), std::string::npos) << r.output;
  r = test::run_cli({"tiles", "--in", d / "polar.tif", "--out", d / "t", "--max-zoom", "30"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  // With both grids, level 0 is Web Mercator's; 天地图 "c" starts at its level 1.
  ClassRaster small = make_fields(9);
  write(small, d / "small.tif");
  r = test::run_cli({"tiles", "--in", d / "small.tif", "--out", d / "both", "--min-zoom", "0",
                     "--max-zoom", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(d / "both/webmercator/small/0"));
  EXPECT_TRUE(fs::exists(d / "both/tianditu-c/small/1"));

  // Not a class raster nor an RGB image.
  test::RasterSpec f;
  f.bands = {std::vector<double>(16, 0.5)};
  test::write_raster(d / "float.tif", f);
  r = test::run_cli({"tiles", "--in", d / "float.tif", "--out", d / "t"});
  EXPECT_EQ(r.exit_code, 4) << r.output;
  EXPECT_NE(r.output.find("float.tif"), std::string::npos) << r.output;

  // An output folder that cannot be written.
  std::ofstream(d / "file") << "x";
  r = test::run_cli({"tiles", "--in", d / "polar.tif", "--out", d / "file/t", "--grid",
                     "tianditu-c"});
  EXPECT_EQ(r.exit_code, 5) << r.output;

  // None of the failures touched the tiles written before.
  const auto after = pngs(d / "t");
  ASSERT_EQ(before.size(), after.size());
  EXPECT_TRUE(std::equal(before.begin(), before.end(), after.begin()));
}
