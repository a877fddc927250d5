// Cloud-Optimised GeoTIFF from encoded tiles (io/cog_writer.h): what GDAL reads back, and the
// same bytes whether one process or several shards encoded the tiles.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "farmwatch/core/error.h"
#include "farmwatch/io/cog_writer.h"
#include "test_support.h"

namespace farmwatch::test {
namespace {

using io::CogFormat;

/// An 8-bit raster: a class map (one band, no data 255, a colour table) or RGB + alpha, with
/// a pattern that differs at every pixel and a transparent corner.
void write_source(const std::string& path, int width, int height, bool imagery) {
  GDALAllRegister();
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const char* co[] = {"TILED=YES", nullptr};
  GDALDatasetUniquePtr ds(drv->Create(path.c_str(), width, height, imagery ? 4 : 1, GDT_Byte,
                                      const_cast<char**>(co)));
  ASSERT_TRUE(ds);
  const double gt[6] = {500000, 10, 0, 3500000, 0, -10};
  ds->SetGeoTransform(const_cast<double*>(gt));
  OGRSpatialReference srs;
  srs.importFromEPSG(32650);
  ds->SetSpatialRef(&srs);
  ds->SetMetadataItem("FARMWATCH_LAYER", imagery ? "imagery" : "landuse");
  std::vector<std::uint8_t> v(static_cast<std::size_t>(width) * height);
  for (int b = 1; b <= ds->GetRasterCount(); ++b) {
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        auto& p = v[static_cast<std::size_t>(y) * width + x];
        if (!imagery) p = static_cast<std::uint8_t>((x / 7 + y / 5) % 9 == 8 ? 255 : (x / 7 + y / 5) % 9);
        else if (b < 4) p = static_cast<std::uint8_t>(128 + 100 * std::sin((x * b + y) / 40.0));
        else p = x + y < 300 ? 0 : 255;
      }
    GDALRasterBand* band = ds->GetRasterBand(b);
    ASSERT_EQ(band->RasterIO(GF_Write, 0, 0, width, height, v.data(), width, height, GDT_Byte, 0,
                             0, nullptr),
              CE_None);
    if (imagery) {
      band->SetColorInterpretation(
          b == 4 ? GCI_AlphaBand : static_cast<GDALColorInterp>(GCI_RedBand + b - 1));
      band->SetDescription(("band " + std::to_string(b)).c_str());
    }
  }
  if (!imagery) {
    GDALRasterBand* band = ds->GetRasterBand(1);
    band->SetNoDataValue(255);
    GDALColorTable ct;
    for (int c = 0; c < 9; ++c) {
      const GDALColorEntry e{static_cast<short>(c * 20), 100, static_cast<short>(200 - c * 20), 255};
      ct.SetColorEntry(c, &e);
    }
    band->SetColorTable(&ct);
  }
}

/// GDAL's own COG validator (python3-gdal, installed by set-up), with its check of every
/// tile's leader and trailer: its verdict line.
std::string gdal_cog_verdict(const std::string& path) {
  const std::string cmd = "/usr/bin/python3 -m osgeo_utils.samples.validate_cloud_optimized_geotiff "
                          "--full-check=yes '" + path + "' 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  return out;
}

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

/// Cells of `cell` pixels over the raster, dealt round-robin to `stores` stores, then
/// assembled: what shards and a merge do.
void write_sharded(const std::string& src, const CogFormat& format, int width, int height,
                   int cell, int stores, const TempDir& dir, const std::string& dst) {
  std::vector<std::vector<Window>> dealt(static_cast<std::size_t>(stores));
  int k = 0;
  for (int r = 0; r < height; r += cell)
    for (int c = 0; c < width; c += cell)
      dealt[static_cast<std::size_t>(k++ % stores)].push_back(
          {c, r, std::min(cell, width - c), std::min(cell, height - r)});
  std::vector<std::string> paths;
  for (int s = 0; s < stores; ++s) {
    paths.push_back(dir / ("shard" + std::to_string(s) + ".cogtiles"));
    io::encode_cog_tiles(src, format, dealt[static_cast<std::size_t>(s)], cell, paths.back());
  }
  io::assemble_cog(src, format, paths, dst);
}

TEST(CogWriter, ClassMapReadsBackAsGdalCogWithItsDescription) {
  TempDir dir;
  const int w = 2900, h = 1700;
  write_source(dir / "src.tif", w, h, false);
  io::write_cog_of(dir / "src.tif", io::kClassMapCog, dir / "cog.tif");
  GDALDatasetUniquePtr src(GDALDataset::Open((dir / "src.tif").c_str(), GDAL_OF_RASTER));
  GDALDatasetUniquePtr cog(GDALDataset::Open((dir / "cog.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(cog);
  EXPECT_STREQ(cog->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  EXPECT_NE(gdal_cog_verdict(dir / "cog.tif").find("is a valid cloud optimized GeoTIFF"),
            std::string::npos)
      << gdal_cog_verdict(dir / "cog.tif");
  EXPECT_STREQ(cog->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"), "DEFLATE");
  EXPECT_STREQ(cog->GetMetadataItem("FARMWATCH_LAYER"), "landuse");
  double gt[6];
  ASSERT_EQ(cog->GetGeoTransform(gt), CE_None);
  EXPECT_EQ(gt[0], 500000);
  EXPECT_EQ(gt[1], 10);
  EXPECT_EQ(gt[3], 3500000);
  ASSERT_TRUE(cog->GetSpatialRef());
  EXPECT_STREQ(cog->GetSpatialRef()->GetAuthorityCode(nullptr), "32650");
  GDALRasterBand* band = cog->GetRasterBand(1);
  int has = 0;
  EXPECT_EQ(band->GetNoDataValue(&has), 255);
  EXPECT_TRUE(has);
  ASSERT_TRUE(band->GetColorTable());
  EXPECT_EQ(band->GetColorTable()->GetColorEntry(3)->c1, 60);
  int bw = 0, bh = 0;
  band->GetBlockSize(&bw, &bh);
  EXPECT_EQ(bw, 512);
  EXPECT_EQ(bh, 512);
  const auto a = read_band(dir / "src.tif"), b = read_band(dir / "cog.tif");
  EXPECT_EQ(a, b);
  // Overviews halve (rounded up) down to 256 pixels; each pixel the top-left of its 2 x 2.
  ASSERT_EQ(band->GetOverviewCount(), io::cog_overview_count(w, h));
  EXPECT_EQ(band->GetOverviewCount(), 4);
  GDALRasterBand* ov = band->GetOverview(1);
  EXPECT_EQ(ov->GetXSize(), 725);
  EXPECT_EQ(ov->GetYSize(), 425);
  std::vector<std::uint8_t> o(725 * 425);
  ASSERT_EQ(ov->RasterIO(GF_Read, 0, 0, 725, 425, o.data(), 725, 425, GDT_Byte, 0, 0, nullptr),
            CE_None);
  for (int y = 0; y < 425; y += 37)
    for (int x = 0; x < 725; x += 41)
      ASSERT_EQ(o[static_cast<std::size_t>(y) * 725 + x], a[static_cast<std::size_t>(4 * y) * w + 4 * x]);
  // The smallest overview's tiles come first, full resolution last (COG order).
  const auto offset = [](GDALRasterBand* of, int x, int y) {
    const std::string key = "BLOCK_OFFSET_" + std::to_string(x) + "_" + std::to_string(y);
    return std::stoll(of->GetMetadataItem(key.c_str(), "TIFF"));
  };
  EXPECT_LT(offset(band->GetOverview(3), 0, 0), offset(band->GetOverview(0), 0, 0));
  EXPECT_LT(offset(band->GetOverview(0), 2, 1), offset(band, 0, 0));
  EXPECT_LT(offset(band, 5, 0), offset(band, 0, 1));
}

TEST(CogWriter, ImageryHasItsAlphaAsMaskAndAveragedOverviews) {
  TempDir dir;
  const int w = 1500, h = 1300;
  write_source(dir / "src.tif", w, h, true);
  io::write_cog_of(dir / "src.tif", io::kImageryCog, dir / "cog.tif");
  GDALDatasetUniquePtr cog(GDALDataset::Open((dir / "cog.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(cog);
  ASSERT_EQ(cog->GetRasterCount(), 3);
  EXPECT_STREQ(cog->GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE"), "COG");
  EXPECT_STREQ(cog->GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE"), "YCbCr JPEG");
  EXPECT_NE(gdal_cog_verdict(dir / "cog.tif").find("is a valid cloud optimized GeoTIFF"),
            std::string::npos)
      << gdal_cog_verdict(dir / "cog.tif");
  EXPECT_STREQ(cog->GetRasterBand(2)->GetDescription(), "band 2");
  EXPECT_EQ(cog->GetRasterBand(1)->GetMaskFlags(), GMF_PER_DATASET);
  const auto alpha = read_band(dir / "src.tif", 4);
  for (int b = 1; b <= 3; ++b) {
    const auto a = read_band(dir / "src.tif", b), c = read_band(dir / "cog.tif", b);
    double err = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < a.size(); ++k)
      if (alpha[k]) err += std::abs(a[k] - c[k]), ++n;
    EXPECT_LT(err / static_cast<double>(n), 2.0) << "band " << b;  // JPEG quality 75 on a smooth image
  }
  std::vector<std::uint8_t> m(static_cast<std::size_t>(w) * h);
  GDALRasterBand* mask = cog->GetRasterBand(1)->GetMaskBand();
  ASSERT_EQ(mask->RasterIO(GF_Read, 0, 0, w, h, m.data(), w, h, GDT_Byte, 0, 0, nullptr), CE_None);
  for (std::size_t k = 0; k < m.size(); ++k) ASSERT_EQ(m[k], alpha[k] ? 255 : 0) << k;
  // The first overview's mask: valid where any of its 2 x 2 is.
  GDALRasterBand* ov_mask = cog->GetRasterBand(1)->GetOverview(0)->GetMaskBand();
  std::uint8_t corner[4];
  ASSERT_EQ(ov_mask->RasterIO(GF_Read, 74, 74, 2, 2, corner, 2, 2, GDT_Byte, 0, 0, nullptr), CE_None);
  EXPECT_EQ(corner[0], 0);    // pixels 148-149: x + y < 300 for all four
  EXPECT_EQ(corner[3], 255);  // 150-151: 150 + 150 = 300 is valid
}

TEST(CogWriter, ShardedTilesGiveTheBytesOfOneProcess) {
  TempDir dir;
  const int w = 2300, h = 1900;  // odd sizes at every level
  for (const bool imagery : {false, true}) {
    const CogFormat format = imagery ? io::kImageryCog : io::kClassMapCog;
    write_source(dir / "src.tif", w, h, imagery);
    io::write_cog_of(dir / "src.tif", format, dir / "one.tif");
    const std::string one = bytes_of(dir / "one.tif");
    for (const auto& [cell, stores] : {std::pair{512, 3}, std::pair{1024, 2}, std::pair{2048, 5}}) {
      write_sharded(dir / "src.tif", format, w, h, cell, stores, dir, dir / "merged.tif");
      EXPECT_TRUE(bytes_of(dir / "merged.tif") == one)
          << (imagery ? "imagery" : "class map") << ", cells of " << cell;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "merged.tif.level1.tif"));  // scratch removed
  }
}

TEST(CogWriter, DamagedOrMissingStoreIsNamed) {
  TempDir dir;
  const int w = 1200, h = 1100;
  write_source(dir / "src.tif", w, h, false);
  write_sharded(dir / "src.tif", io::kClassMapCog, w, h, 512, 2, dir, dir / "merged.tif");
  const std::string second = dir / "shard1.cogtiles";
  const std::vector<std::string> stores = {dir / "shard0.cogtiles", second};
  auto expect_blamed = [&](const std::string& store, const char* why) {
    try {
      io::assemble_cog(dir / "src.tif", io::kClassMapCog, stores, dir / "again.tif");
      ADD_FAILURE() << why << ": no error";
    } catch (const DamagedFileError& e) {
      EXPECT_EQ(e.file(), store) << why << ": " << e.what();
    }
  };
  // A byte changed inside a tile.
  std::string b = bytes_of(second);
  const std::string intact = b;
  b[b.size() / 2] = static_cast<char>(b[b.size() / 2] ^ 0x5a);
  std::ofstream(second, std::ios::binary) << b;
  expect_blamed(second, "changed byte");
  // Cut short.
  std::ofstream(second, std::ios::binary) << intact.substr(0, intact.size() - 100);
  expect_blamed(second, "cut short");
  // A store of a cell another store holds.
  io::encode_cog_tiles(dir / "src.tif", io::kClassMapCog, {{0, 0, 512, 512}}, 512, second);
  expect_blamed(second, "a cell twice");
  // A store of fewer cells: no store to blame, the merge's own error.
  io::encode_cog_tiles(dir / "src.tif", io::kClassMapCog, {{512, 0, 512, 512}}, 512, second);
  EXPECT_THROW(io::assemble_cog(dir / "src.tif", io::kClassMapCog, stores, dir / "again.tif"),
               ProcessingError);
  EXPECT_FALSE(std::filesystem::exists(dir / "again.tif.level0.tif"));
}

}  // namespace
}  // namespace farmwatch::test
