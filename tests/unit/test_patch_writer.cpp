// The change table's workbook (io/patch_writer.h) as a spreadsheet reads it: text stays text,
// and text Excel or XML cannot hold (over 32,767 characters, the noncharacters U+FFFE and
// U+FFFF) is made fit instead of breaking the file or the run.
#include <gtest/gtest.h>

#include <ogrsf_frmts.h>

#include "farmwatch/io/patch_writer.h"
#include "test_support.h"

using namespace farmwatch;

TEST(PatchWorkbook, OddParcelIdsStillGiveAWorkbookThatOpens) {
  test::TempDir dir;
  ClassTable classes;
  classes.add({1, "crop", "耕地", "0103", "旱地", {}, true});
  classes.add({7, "built", "建设用地", "05", "", {}, true});
  io::ReportContext ctx;
  ctx.classes = &classes;
  ctx.date_before = "2024-03-15";
  ctx.date_after = "2024-08-20";
  Patch p;
  p.id = "FW20240820-0001";
  p.category = ChangeCategory::non_agricultural;
  p.class_before = 1;
  p.class_after = 7;
  p.area_m2 = 1200;
  const std::string longest(40000, 'L');  // a patch over thousands of parcels joins to this much
  const std::string nonchars = "a\xEF\xBF\xBE" "b\xEF\xBF\xBF";  // U+FFFE, U+FFFF
  p.parcel_ids = {longest, nonchars, "0103"};
  const std::string path = dir / "changes.xlsx";
  io::write_patches_xlsx(path, {p}, ctx);
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds) << "the workbook does not open";
  OGRLayer* layer = ds->GetLayer(0);
  std::unique_ptr<OGRFeature> row(layer->GetNextFeature());
  ASSERT_TRUE(row);
  const std::string ids = row->GetFieldAsString(layer->GetLayerDefn()->GetFieldIndex("parcel_ids"));
  EXPECT_EQ(ids.substr(0, 100), longest.substr(0, 100));
  EXPECT_LT(ids.size(), 32768u * 3);
  EXPECT_EQ(ids.substr(ids.size() - 3), "\xE2\x80\xA6") << "cut text ends with an ellipsis";
  EXPECT_EQ(std::string(row->GetFieldAsString(
                layer->GetLayerDefn()->GetFieldIndex("gbt_before"))),
            "0103");
  // The noncharacters alone: written as U+FFFD.
  p.parcel_ids = {nonchars};
  io::write_patches_xlsx(path, {p}, ctx);
  ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR));
  ASSERT_TRUE(ds) << "the workbook does not open";
  row.reset(ds->GetLayer(0)->GetNextFeature());
  ASSERT_TRUE(row);
  EXPECT_EQ(std::string(row->GetFieldAsString(
                ds->GetLayer(0)->GetLayerDefn()->GetFieldIndex("parcel_ids"))),
            "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}
