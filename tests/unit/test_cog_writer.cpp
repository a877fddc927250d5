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

/// Cells of `cell` pixels over the raster, dealt round-robin to `count` stores, each encoded
/// from a copy of `src` (or of `provisional`, named as the stores' sources) whose pixels
/// outside its cells are wrong (as a shard's rasters are), then assembled: what shards and a
/// merge do.
io::CogTileStores write_sharded(const std::string& src, const CogFormat& format, int width,
                                int height, int cell, int count, const TempDir& dir,
                                const std::string& dst, const std::string& provisional = "") {
  io::CogTileStores stores;
  stores.layer = "src.tif";  // as a shard's raster is named as the merge's
  stores.cell = cell;
  stores.cells.resize(static_cast<std::size_t>(count));
  int k = 0;
  for (int r = 0; r < height; r += cell)
    for (int c = 0; c < width; c += cell)
      stores.cells[static_cast<std::size_t>(k++ % count)].push_back(
          {c, r, std::min(cell, width - c), std::min(cell, height - r)});
  for (int s = 0; s < count; ++s) {
    std::filesystem::create_directories(dir / ("shard" + std::to_string(s)));
    const std::string mine = dir / ("shard" + std::to_string(s) + "/src.tif");
    std::filesystem::copy_file(provisional.empty() ? src : provisional, mine,
                               std::filesystem::copy_options::overwrite_existing);
    if (!provisional.empty()) stores.sources.push_back(mine);
    {
      GDALDatasetUniquePtr ds(GDALDataset::Open(mine.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
      for (int b = 1; b <= ds->GetRasterCount(); ++b) {
        std::vector<std::uint8_t> v(static_cast<std::size_t>(width) * height);
        EXPECT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Read, 0, 0, width, height, v.data(), width,
                                                 height, GDT_Byte, 0, 0, nullptr),
                  CE_None);
        for (int y = 0; y < height; ++y)
          for (int x = 0; x < width; ++x) {
            bool own = false;
            for (const Window& c : stores.cells[static_cast<std::size_t>(s)])
              own =
                  own || (x >= c.col && x < c.col + c.width && y >= c.row && y < c.row + c.height);
            if (!own)
              v[static_cast<std::size_t>(y) * width + x] =
                  static_cast<std::uint8_t>(x * 7 + y * 13 + b);
          }
        EXPECT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, width, height, v.data(), width,
                                                 height, GDT_Byte, 0, 0, nullptr),
                  CE_None);
      }
    }
    stores.paths.push_back(dir / ("shard" + std::to_string(s) + ".cogtiles"));
    io::encode_cog_tiles(mine, format, stores.cells[static_cast<std::size_t>(s)], cell,
                         stores.paths.back());
  }
  io::assemble_cog(src, format, stores, dst);
  return stores;
}

/// `dir`/src.tif (write_source) written as `dir`/cog.tif by one process, opened.
GDALDatasetUniquePtr cog_of_source(const TempDir& dir, int w, int h, bool imagery) {
  write_source(dir / "src.tif", w, h, imagery);
  io::write_cog_of(dir / "src.tif", imagery ? io::kImageryCog : io::kClassMapCog, dir / "cog.tif");
  return GDALDatasetUniquePtr(GDALDataset::Open((dir / "cog.tif").c_str(), GDAL_OF_RASTER));
}

TEST(CogWriter, ClassMapReadsBackAsGdalCogWithItsDescription) {
  TempDir dir;
  const int w = 2900, h = 1700;
  const GDALDatasetUniquePtr cog = cog_of_source(dir, w, h, false);
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
  const GDALDatasetUniquePtr cog = cog_of_source(dir, w, h, true);
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
  const int w = 2300, h = 1901;  // an odd size at every level
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
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))  // scratch removed
      EXPECT_EQ(e.path().string().find(".level"), std::string::npos) << e.path();
  }
}

/// `src` copied to `dst` with the pixels of a few small squares changed: across a tile's
/// corner, on the raster's last rows, one pixel in a cell's far corner.
void write_changed_copy(const std::string& src, const std::string& dst, int width, int height) {
  std::filesystem::copy_file(src, dst, std::filesystem::copy_options::overwrite_existing);
  GDALDatasetUniquePtr ds(GDALDataset::Open(dst.c_str(), GDAL_OF_RASTER | GDAL_OF_UPDATE));
  ASSERT_TRUE(ds);
  for (const Window& w : {Window{508, 508, 8, 8}, Window{1500, height - 3, 40, 3},
                          Window{2047, 1023, 1, 1}, Window{width - 5, 700, 5, 9}})
    for (int b = 1; b <= ds->GetRasterCount(); ++b) {
      std::vector<std::uint8_t> v(static_cast<std::size_t>(w.pixels()));
      ASSERT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Read, w.col, w.row, w.width, w.height, v.data(),
                                               w.width, w.height, GDT_Byte, 0, 0, nullptr),
                CE_None);
      for (auto& p : v) p = static_cast<std::uint8_t>(p == 3 ? 5 : 3);
      ASSERT_EQ(ds->GetRasterBand(b)->RasterIO(GF_Write, w.col, w.row, w.width, w.height, v.data(),
                                               w.width, w.height, GDT_Byte, 0, 0, nullptr),
                CE_None);
    }
}

TEST(CogWriter, TilesOfAnotherSourceAreEncodedAgainWhereItDiffers) {
  // What a merge does with change.tif: the shards encoded their provisional change, the
  // merge's sieve changed a few pixels; the tiles over those are encoded again.
  TempDir dir;
  const int w = 2300, h = 1901;
  for (const bool imagery : {false, true}) {
    const CogFormat format = imagery ? io::kImageryCog : io::kClassMapCog;
    write_source(dir / "src.tif", w, h, imagery);
    io::write_cog_of(dir / "src.tif", format, dir / "one.tif");
    const std::string one = bytes_of(dir / "one.tif");
    write_changed_copy(dir / "src.tif", dir / "provisional.tif", w, h);
    for (const auto& [cell, stores] : {std::pair{512, 3}, std::pair{1024, 2}, std::pair{2048, 5}}) {
      const auto st = write_sharded(dir / "src.tif", format, w, h, cell, stores, dir,
                                    dir / "merged.tif", dir / "provisional.tif");
      EXPECT_TRUE(bytes_of(dir / "merged.tif") == one)
          << (imagery ? "imagery" : "class map") << ", cells of " << cell;
      // Without the sources named, the provisional tiles are taken: another raster.
      io::CogTileStores taken = st;
      taken.sources.clear();
      io::assemble_cog(dir / "src.tif", format, taken, dir / "taken.tif");
      EXPECT_FALSE(bytes_of(dir / "taken.tif") == one) << "cells of " << cell;
    }
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))  // scratch removed
      EXPECT_EQ(e.path().string().find(".redone"), std::string::npos) << e.path();
  }
}

TEST(CogWriter, DamagedOrMissingStoreIsNamed) {
  TempDir dir;
  const int w = 1200, h = 1100;
  write_source(dir / "src.tif", w, h, false);
  const io::CogTileStores stores =
      write_sharded(dir / "src.tif", io::kClassMapCog, w, h, 512, 2, dir, dir / "merged.tif");
  const std::string second = stores.paths[1];
  auto expect_blamed = [&](const io::CogTileStores& given, const char* why) {
    try {
      io::assemble_cog(dir / "src.tif", io::kClassMapCog, given, dir / "again.tif");
      ADD_FAILURE() << why << ": no error";
    } catch (const DamagedFileError& e) {
      EXPECT_EQ(e.file(), second) << why << ": " << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "again.tif")) << why;
  };
  const std::string intact = bytes_of(second);
  auto damaged = [&](std::size_t at) {
    std::string b = intact;
    b[at] = static_cast<char>(b[at] ^ 0x5a);
    std::ofstream(second, std::ios::binary) << b;
  };
  // Magic (8), the layer's name with its length and CRC (8 + 7), then the first record, a
  // tile: kind, level, column, row, part, size, CRC (22).
  const std::size_t first = 8 + 8 + 7;
  damaged(first + 22 + 10);
  expect_blamed(stores, "a changed byte inside a tile");
  damaged(first + 1);
  expect_blamed(stores, "a changed byte in a tile's level");
  damaged(8 + 8 + 2);
  expect_blamed(stores, "a changed byte in the layer's name");
  damaged(intact.size() - 20);
  expect_blamed(stores, "a changed byte in the kept pixels");
  std::ofstream(second, std::ios::binary) << intact.substr(0, intact.size() - 100);
  expect_blamed(stores, "cut short");
  // Another layer's tiles (a store of the same cells from another raster).
  std::filesystem::copy_file(dir / "src.tif", dir / "other.tif");
  io::encode_cog_tiles(dir / "other.tif", io::kClassMapCog, stores.cells[1], 512, second);
  expect_blamed(stores, "another layer");
  // Tiles of another store's cell, or of fewer cells than it was given.
  io::encode_cog_tiles(dir / "src.tif", io::kClassMapCog, stores.cells[0], 512, second);
  expect_blamed(stores, "another store's cells");
  io::encode_cog_tiles(dir / "src.tif", io::kClassMapCog, {stores.cells[1][0]}, 512, second);
  expect_blamed(stores, "fewer cells");
  // Cell lists that do not cover the raster: the caller's error, no store to blame.
  std::ofstream(second, std::ios::binary) << intact;
  io::CogTileStores partial = stores;
  partial.cells[1].pop_back();
  EXPECT_THROW(io::assemble_cog(dir / "src.tif", io::kClassMapCog, partial, dir / "again.tif"),
               ProcessingError);
  // Intact again: the same bytes, and no scratch file left.
  io::assemble_cog(dir / "src.tif", io::kClassMapCog, stores, dir / "again.tif");
  EXPECT_TRUE(bytes_of(dir / "again.tif") == bytes_of(dir / "merged.tif"));
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().string().find(".level"), std::string::npos) << e.path();
}

TEST(CogWriter, TinyAndThinRastersReadBack) {
  TempDir dir;
  for (const auto& [w, h] : {std::pair{1, 1}, std::pair{256, 256}, std::pair{257, 3},
                             std::pair{1030, 1}, std::pair{2, 700}}) {
    for (const bool imagery : {false, true}) {
      const std::string name = std::to_string(w) + "x" + std::to_string(h) + (imagery ? "i" : "c");
      write_source(dir / (name + ".tif"), w, h, imagery);
      io::write_cog_of(dir / (name + ".tif"), imagery ? io::kImageryCog : io::kClassMapCog,
                       dir / (name + "_cog.tif"));
      GDALDatasetUniquePtr cog(
          GDALDataset::Open((dir / (name + "_cog.tif")).c_str(), GDAL_OF_RASTER));
      ASSERT_TRUE(cog) << name;
      EXPECT_EQ(cog->GetRasterXSize(), w);
      EXPECT_EQ(cog->GetRasterYSize(), h);
      EXPECT_EQ(cog->GetRasterBand(1)->GetOverviewCount(), io::cog_overview_count(w, h)) << name;
      if (!imagery) {
        EXPECT_EQ(read_band(dir / (name + ".tif")), read_band(dir / (name + "_cog.tif")));
      }
      EXPECT_NE(gdal_cog_verdict(dir / (name + "_cog.tif")).find("is a valid cloud optimized"),
                std::string::npos)
          << name << ": " << gdal_cog_verdict(dir / (name + "_cog.tif"));
    }
  }
}

TEST(CogWriter, OtherSampleTypesKeepTheirValues) {
  TempDir dir;
  GDALAllRegister();
  const int w = 700, h = 300;
  GDALDatasetUniquePtr ds(GetGDALDriverManager()->GetDriverByName("GTiff")->Create(
      (dir / "days.tif").c_str(), w, h, 1, GDT_UInt32, nullptr));
  std::vector<std::uint32_t> v(static_cast<std::size_t>(w) * h);
  for (std::size_t i = 0; i < v.size(); ++i)
    v[i] = 20240000u + static_cast<std::uint32_t>(i % 1231);
  ASSERT_EQ(ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, w, h, v.data(), w, h, GDT_UInt32, 0, 0,
                                           nullptr),
            CE_None);
  ds.reset();
  io::write_cog_of(dir / "days.tif", io::kClassMapCog, dir / "cog.tif");
  GDALDatasetUniquePtr cog(GDALDataset::Open((dir / "cog.tif").c_str(), GDAL_OF_RASTER));
  ASSERT_TRUE(cog);
  GDALRasterBand* band = cog->GetRasterBand(1);
  EXPECT_EQ(band->GetRasterDataType(), GDT_UInt32);
  std::vector<std::uint32_t> back(v.size());
  ASSERT_EQ(band->RasterIO(GF_Read, 0, 0, w, h, back.data(), w, h, GDT_UInt32, 0, 0, nullptr),
            CE_None);
  EXPECT_TRUE(back == v);
  ASSERT_EQ(band->GetOverviewCount(), 2);
  std::uint32_t o = 0;
  ASSERT_EQ(
      band->GetOverview(1)->RasterIO(GF_Read, 3, 2, 1, 1, &o, 1, 1, GDT_UInt32, 0, 0, nullptr),
      CE_None);
  EXPECT_EQ(o, v[static_cast<std::size_t>(4 * 2) * w + 4 * 3]);
  EXPECT_NE(gdal_cog_verdict(dir / "cog.tif").find("is a valid cloud optimized GeoTIFF"),
            std::string::npos);
}

}  // namespace
}  // namespace farmwatch::test
