// Finding and identifying the scenes of a nightly inbox (io/scene_inbox.h), on folders,
// archives and GeoTIFFs the tests make.
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "farmwatch/core/error.h"
#include "farmwatch/io/scene_inbox.h"
#include "test_support.h"

namespace farmwatch::test {
namespace fs = std::filesystem;

namespace {

void touch(const fs::path& p, const std::string& text = "x") {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

RasterSpec tiny(std::vector<std::pair<std::string, std::string>> metadata = {}) {
  RasterSpec s;
  s.width = s.height = 2;
  s.bands = {{1, 2, 3, 4}};
  s.metadata = std::move(metadata);
  return s;
}

const io::SceneCandidate* find(const std::vector<io::SceneCandidate>& v, const std::string& id) {
  for (const auto& s : v)
    if (s.product_id == id) return &s;
  return nullptr;
}

/// A zip written through GDAL's /vsizip/ (no zip tool needed).
void write_zip(const std::string& zip, const std::string& entry, const std::string& text) {
  const std::string path = "/vsizip/" + zip + "/" + entry;
  VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  VSIFWriteL(text.data(), 1, text.size(), f);
  VSIFCloseL(f);
}

}  // namespace

TEST(SceneInbox, EveryKindIsFoundAndDated) {
  TempDir dir;
  const fs::path in = dir.path() / "inbox";
  // Sentinel-2 SAFE folder, Landsat folder, Gaofen folder.
  const std::string safe = "S2B_MSIL2A_20240702T030529_N0510_R075_T50SMA_20240702T070000";
  touch(in / (safe + ".SAFE") / "MTD_MSIL2A.xml");
  const std::string ls = "LC09_L2SP_121038_20240611_20240612_02_T1";
  touch(in / "landsat" / ls / (ls + "_MTL.txt"), "GROUP = L1_METADATA_FILE\nEND\n");
  const fs::path gf = in / "GF1_WFV1_E117.0_N31.9_20240520_L2A0001234567";
  fs::create_directories(gf);
  write_raster((in / "landsat" / ls / (ls + "_SR_B4.TIF")).string(), tiny());
  write_raster((gf / "GF1_WFV1_E117.0_N31.9_20240520_L2A0001234567.tiff").string(), tiny());
  touch(gf / "GF1_WFV1_E117.0_N31.9_20240520_L2A0001234567.xml",
        "<ProductMetaData><SatelliteID>GF1</SatelliteID><SensorID>WFV1</SensorID></ProductMetaData>");
  // GeoTIFF stacks dated three ways.
  write_raster((in / "a.tif").string(), tiny({{"ACQUISITION_DATE", "2024-08-20"}}));
  write_raster((in / "b.tif").string(), tiny({{"TIFFTAG_DATETIME", "2024:09:01 02:48:00"}}));
  write_raster((in / "drone_2024-10-03_ortho.tif").string(), tiny());
  write_raster((in / "undated.tif").string(), tiny());
  // Copies in progress and hidden files are left for later.
  write_raster((in / "c.tif.part").string(), tiny({{"ACQUISITION_DATE", "2024-08-21"}}));
  write_raster((in / ".d.tif").string(), tiny({{"ACQUISITION_DATE", "2024-08-21"}}));
  // A SAFE zip and a zip cut short.
  const std::string safe2 = "S2A_MSIL2A_20240712T030521_N0510_R075_T50SMA_20240712T060000";
  write_zip((in / (safe2 + ".zip")).string(), safe2 + ".SAFE/MTD_MSIL2A.xml", "<xml/>");
  {
    std::ofstream bad(in / "S2A_broken.zip", std::ios::binary);
    bad << "PK\x03\x04 cut short";
  }

  const auto found = io::discover_scenes({in.string()});
  const auto* s2 = find(found, safe);
  ASSERT_NE(s2, nullptr);
  EXPECT_EQ(s2->kind, "sentinel2_safe");
  EXPECT_EQ(s2->acquired, "2024-07-02");
  EXPECT_EQ(s2->checksum.size(), 64u);
  const auto* l = find(found, ls);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->kind, "landsat");
  EXPECT_EQ(l->acquired, "2024-06-11");  // acquisition, not processing date
  const auto* g = find(found, gf.filename().string());
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->kind, "gaofen");
  EXPECT_EQ(g->acquired, "2024-05-20");
  EXPECT_EQ(find(found, "a")->acquired, "2024-08-20");
  EXPECT_EQ(find(found, "b")->acquired, "2024-09-01");
  EXPECT_EQ(find(found, "drone_2024-10-03_ortho")->acquired, "2024-10-03");
  EXPECT_NE(find(found, "undated")->error.find("no acquisition date"), std::string::npos);
  EXPECT_EQ(find(found, "c"), nullptr);
  EXPECT_EQ(find(found, ".d"), nullptr);
  const auto* z = find(found, safe2);
  ASSERT_NE(z, nullptr);
  EXPECT_EQ(z->kind, "sentinel2_zip");
  EXPECT_EQ(z->acquired, "2024-07-12");
  EXPECT_TRUE(z->error.empty()) << z->error;
  const auto* broken = find(found, "S2A_broken");
  ASSERT_NE(broken, nullptr);
  EXPECT_NE(broken->error.find("cannot list the archive"), std::string::npos) << broken->error;
  EXPECT_FALSE(broken->checksum.empty());  // so it is retried only when its bytes change
  // Oldest first.
  for (std::size_t i = 1; i < found.size(); ++i)
    EXPECT_LE(found[i - 1].acquired, found[i].acquired);
  // The zip unpacked to its SAFE folder.
  const std::string readable = io::readable_scene(*z, dir.path() / "unpacked");
  EXPECT_TRUE(fs::exists(fs::path(readable) / "MTD_MSIL2A.xml")) << readable;
  EXPECT_EQ(fs::path(readable).filename().string(), safe2 + ".SAFE");
}

TEST(SceneInbox, LandsatTarIsFoundAndUnpacked) {
  TempDir dir;
  const std::string ls = "LC08_L2SP_121038_20240425_20240426_02_T1";
  touch(dir.path() / "src" / (ls + "_MTL.txt"), "GROUP = L1_METADATA_FILE\nEND\n");
  touch(dir.path() / "src" / (ls + "_SR_B4.TIF"), "not really a tif");
  fs::create_directories(dir.path() / "inbox");
  const std::string tar = (dir.path() / "inbox" / (ls + ".tar")).string();
  ASSERT_EQ(std::system(("tar -cf '" + tar + "' -C '" + (dir.path() / "src").string() + "' .").c_str()), 0);
  const auto found = io::discover_scenes({(dir.path() / "inbox" / "*.tar").string()});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].kind, "landsat_tar");
  EXPECT_EQ(found[0].product_id, ls);
  EXPECT_EQ(found[0].acquired, "2024-04-25");
  const fs::path readable = io::readable_scene(found[0], dir.path() / "unpacked");
  EXPECT_TRUE(fs::exists(readable / (ls + "_MTL.txt")));
  EXPECT_EQ(read_text((readable / (ls + "_SR_B4.TIF")).string()), "not really a tif");
}

TEST(SceneInbox, ChecksumFollowsTheBytesNotTheName) {
  TempDir dir;
  write_raster(dir / "x_20240101.tif", tiny());
  fs::copy_file(dir / "x_20240101.tif", dir / "y_20240101.tif");
  EXPECT_EQ(io::sha256_of_path(dir / "x_20240101.tif"), io::sha256_of_path(dir / "y_20240101.tif"));
  touch(dir.path() / "y_20240101.tif", "other bytes");
  EXPECT_NE(io::sha256_of_path(dir / "x_20240101.tif"), io::sha256_of_path(dir / "y_20240101.tif"));
  // The SHA-256 of "abc" (FIPS 180-2 example).
  touch(dir.path() / "abc", "abc");
  EXPECT_EQ(io::sha256_of_path(dir / "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SceneInbox, AMissingInboxFolderIsAConfigurationError) {
  TempDir dir;
  EXPECT_THROW(io::discover_scenes({(dir.path() / "missing").string()}), ConfigError);
  EXPECT_THROW(io::discover_scenes({(dir.path() / "missing" / "*.zip").string()}), ConfigError);
  EXPECT_TRUE(io::discover_scenes({(dir.path() / "*.zip").string()}).empty());  // a quiet night
  EXPECT_TRUE(io::discover_scenes({dir.path().string()}).empty());
}

}  // namespace farmwatch::test
