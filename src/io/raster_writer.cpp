#include "farmwatch/io/raster_writer.h"

#include <gdal_utils.h>

#include <algorithm>

#include "farmwatch/core/error.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

struct BlockRasterWriter::Impl {
  DatasetPtr ds;
  GDALDataType type = GDT_Byte;
};

BlockRasterWriter::BlockRasterWriter(const std::string& path, const RasterLayout& layout)
    : impl_(std::make_unique<Impl>()), path_(path) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const std::string bs = std::to_string(layout.block_size);
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", bs.c_str());
  co.SetNameValue("BLOCKYSIZE", bs.c_str());
  co.SetNameValue("COMPRESS", layout.compress.c_str());
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  switch (layout.type) {
    case PixelType::u8:
      impl_->type = GDT_Byte;
      break;
    case PixelType::u16:
      impl_->type = GDT_UInt16;
      break;
    case PixelType::i16:
      impl_->type = GDT_Int16;
      break;
    case PixelType::u32:
      impl_->type = GDT_UInt32;
      break;
    case PixelType::f32:
      impl_->type = GDT_Float32;
      break;
  }
  if (layout.bands > 1) co.SetNameValue("INTERLEAVE", "BAND");
  if (layout.compress == "DEFLATE" && layout.type != PixelType::f32)
    co.SetNameValue("PREDICTOR", "2");
  CPLErrorReset();
  impl_->ds.reset(drv->Create(path.c_str(), layout.grid.width, layout.grid.height, layout.bands,
                              impl_->type, co.List()));
  if (!impl_->ds)
    throw ProcessingError("cannot create raster '" + path + "': " + gdal_last_error());
  auto& ds = *impl_->ds;
  double gt[6];
  std::copy(layout.grid.transform.c.begin(), layout.grid.transform.c.end(), gt);
  if (layout.georeferenced) ds.SetGeoTransform(gt);
  if (!layout.grid.crs_wkt.empty()) {
    auto srs = srs_from_wkt(layout.grid.crs_wkt);
    ds.SetSpatialRef(&srs);
  }
  for (const auto& [k, v] : layout.metadata) ds.SetMetadataItem(k.c_str(), v.c_str());
  for (int b = 2; b <= layout.bands && layout.nodata; ++b)
    ds.GetRasterBand(b)->SetNoDataValue(*layout.nodata);
  GDALRasterBand* band = ds.GetRasterBand(1);
  if (layout.nodata) band->SetNoDataValue(*layout.nodata);
  if (!layout.description.empty()) band->SetDescription(layout.description.c_str());
  if (!layout.colors.empty()) {
    GDALColorTable ct;
    for (const auto& [code, c] : layout.colors) {
      GDALColorEntry e{c.r, c.g, c.b, c.a};
      ct.SetColorEntry(code, &e);
    }
    band->SetColorTable(&ct);
    band->SetColorInterpretation(GCI_PaletteIndex);
  }
}

BlockRasterWriter::~BlockRasterWriter() = default;
BlockRasterWriter::BlockRasterWriter(BlockRasterWriter&&) noexcept = default;

void BlockRasterWriter::write(const Window& w, const void* data, int band) {
  CPLErrorReset();
  if (impl_->ds->GetRasterBand(band)->RasterIO(GF_Write, w.col, w.row, w.width, w.height,
                                               const_cast<void*>(data), w.width, w.height,
                                               impl_->type, 0, 0, nullptr) != CE_None)
    throw ProcessingError("cannot write to raster '" + path_ + "': " + gdal_last_error());
}

void BlockRasterWriter::write_floats(const Window& w, const float* data, int band) {
  CPLErrorReset();
  if (impl_->ds->GetRasterBand(band)->RasterIO(GF_Write, w.col, w.row, w.width, w.height,
                                               const_cast<float*>(data), w.width, w.height,
                                               GDT_Float32, 0, 0, nullptr) != CE_None)
    throw ProcessingError("cannot write to raster '" + path_ + "': " + gdal_last_error());
}

void BlockRasterWriter::close() { close_or_throw(impl_->ds, path_); }

void write_cog(const std::string& src, const std::string& dst,
               const std::string& overview_resampling) {
  auto in = open_raster(src);
  // Overviews down to about one 256-pixel tile, so GIS tools draw any zoom quickly; at least
  // one level for anything larger than a tile.
  int levels = 0;
  for (int size = std::max(in->GetRasterXSize(), in->GetRasterYSize()); size > 256; size /= 2)
    ++levels;
  const std::string rs = "OVERVIEW_RESAMPLING=" + overview_resampling;
  const std::string count = "OVERVIEW_COUNT=" + std::to_string(levels);
  const char* argv[] = {"-of",  "COG",
                        "-co",  "COMPRESS=DEFLATE",
                        "-co",  "BLOCKSIZE=512",
                        "-co",  rs.c_str(),
                        "-co",  count.c_str(),
                        "-co",  "OVERVIEW_COMPRESS=DEFLATE",
                        "-co",  "BIGTIFF=IF_SAFER",
                        nullptr};
  GDALTranslateOptions* opts = GDALTranslateOptionsNew(const_cast<char**>(argv), nullptr);
  int usage_error = 0;
  CPLErrorReset();
  GDALDatasetH out =
      GDALTranslate(dst.c_str(), GDALDataset::ToHandle(in.get()), opts, &usage_error);
  GDALTranslateOptionsFree(opts);
  if (!out)
    throw ProcessingError("cannot write Cloud-Optimised GeoTIFF '" + dst +
                          "': " + gdal_last_error());
  DatasetPtr written(GDALDataset::FromHandle(out));
  close_or_throw(written, dst);
}

}  // namespace farmwatch::io
