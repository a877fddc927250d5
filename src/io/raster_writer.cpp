#include "farmwatch/io/raster_writer.h"

#include <filesystem>
#include <tbb/global_control.h>

#include <gdal_alg.h>
#include <gdal_utils.h>
#include <gdal_vrt.h>

#include <algorithm>
#include <cmath>

#include "farmwatch/core/error.h"
#include "farmwatch/io/image_source.h"
#include "farmwatch/io/spatial_ref.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {

struct BlockRasterWriter::Impl {
  DatasetPtr ds;
  std::string path;
  GDALDataType type = GDT_Byte;
  std::vector<double> nodata;  // per band: what NaN is written as
  std::vector<float> scratch;

  /// Writes out and drops from GDAL's block cache the blocks of `band` that `w` completes (it
  /// reaches their last row and column): written blocks are not read again, and left in the
  /// cache they would push out the input blocks other threads still need.
  void release_completed(const Window& w, int band) {
    CPLErrorReset();
    GDALRasterBand* b = ds->GetRasterBand(band);
    int bw = 0, bh = 0;
    b->GetBlockSize(&bw, &bh);
    const int width = ds->GetRasterXSize(), height = ds->GetRasterYSize();
    for (int by = w.row / bh; by * bh < w.row + w.height; ++by) {
      if (std::min(height, (by + 1) * bh) > w.row + w.height) continue;
      for (int bx = w.col / bw; bx * bw < w.col + w.width; ++bx)
        if (std::min(width, (bx + 1) * bw) <= w.col + w.width &&
            b->FlushBlock(bx, by, TRUE) != CE_None)
          throw ProcessingError("cannot write to raster '" + path + "': " + gdal_last_error());
    }
  }
};

BlockRasterWriter::BlockRasterWriter(const std::string& path, const RasterLayout& layout)
    : impl_(std::make_unique<Impl>()), path_(path) {
  impl_->path = path;
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  const std::string bs = std::to_string(layout.block_size);
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", bs.c_str());
  co.SetNameValue("BLOCKYSIZE", bs.c_str());
  co.SetNameValue("COMPRESS", layout.compress.c_str());
  if (layout.compress == "DEFLATE")
    co.SetNameValue("ZLEVEL", std::to_string(layout.deflate_level).c_str());
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  if (layout.sparse) co.SetNameValue("SPARSE_OK", "TRUE");
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
  impl_->nodata.assign(static_cast<std::size_t>(layout.bands), layout.nodata.value_or(0.0));
  for (std::size_t i = 0; i < layout.band_info.size() && i < impl_->nodata.size(); ++i) {
    const BandInfo& bi = layout.band_info[i];
    GDALRasterBand* b = ds.GetRasterBand(static_cast<int>(i) + 1);
    if (!bi.description.empty()) b->SetDescription(bi.description.c_str());
    if (bi.scale) b->SetScale(*bi.scale);
    if (bi.offset) b->SetOffset(*bi.offset);
    if (bi.nodata) {
      b->SetNoDataValue(*bi.nodata);
      impl_->nodata[i] = *bi.nodata;
    }
    if (!bi.color_interp.empty())
      b->SetColorInterpretation(GDALGetColorInterpretationByName(bi.color_interp.c_str()));
    for (const auto& [k, v] : bi.metadata) b->SetMetadataItem(k.c_str(), v.c_str());
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
  impl_->release_completed(w, band);
}

void BlockRasterWriter::write_floats(const Window& w, const float* data, int band) {
  const double nodata = impl_->nodata.at(static_cast<std::size_t>(band - 1));
  const std::size_t n = static_cast<std::size_t>(w.pixels());
  if (nodata != 0 && std::any_of(data, data + n, [](float v) { return std::isnan(v); })) {
    impl_->scratch.assign(data, data + n);
    for (auto& v : impl_->scratch)
      if (std::isnan(v)) v = static_cast<float>(nodata);
    data = impl_->scratch.data();
  }
  CPLErrorReset();
  if (impl_->ds->GetRasterBand(band)->RasterIO(GF_Write, w.col, w.row, w.width, w.height,
                                               const_cast<float*>(data), w.width, w.height,
                                               GDT_Float32, 0, 0, nullptr) != CE_None)
    throw ProcessingError("cannot write to raster '" + path_ + "': " + gdal_last_error());
  impl_->release_completed(w, band);
}

void BlockRasterWriter::close() { close_or_throw(impl_->ds, path_); }

RasterLayout derived_layout(const ImageInfo& image, const Grid& grid) {
  auto ds = open_raster(image.path);
  RasterLayout layout;
  layout.grid = grid;
  layout.bands = ds->GetRasterCount();
  switch (ds->GetRasterBand(1)->GetRasterDataType()) {
    case GDT_Byte:
      layout.type = PixelType::u8;
      break;
    case GDT_UInt16:
      layout.type = PixelType::u16;
      break;
    case GDT_Int16:
      layout.type = PixelType::i16;
      break;
    case GDT_UInt32:
      layout.type = PixelType::u32;
      break;
    default:
      layout.type = PixelType::f32;
  }
  layout.nodata = 0;
  for (char** md = ds->GetMetadata(); md && *md; ++md) {
    char* key = nullptr;
    const char* value = CPLParseNameValue(*md, &key);
    if (key && value && !EQUAL(key, "AREA_OR_POINT")) layout.metadata[key] = value;
    CPLFree(key);
  }
  for (int b = 1; b <= layout.bands; ++b) {
    GDALRasterBand* band = ds->GetRasterBand(b);
    BandInfo bi;
    bi.description = band->GetDescription();
    int has = 0;
    if (const double v = band->GetScale(&has); has) bi.scale = v;
    if (const double v = band->GetOffset(&has); has) bi.offset = v;
    if (const double v = band->GetNoDataValue(&has); has) bi.nodata = v;
    if (const GDALColorInterp ci = band->GetColorInterpretation(); ci != GCI_Undefined)
      bi.color_interp = GDALGetColorInterpretationName(ci);
    for (char** md = band->GetMetadata(); md && *md; ++md) {
      char* key = nullptr;
      const char* value = CPLParseNameValue(*md, &key);
      if (key && value) bi.metadata[key] = value;
      CPLFree(key);
    }
    if (b == 1)
      if (const GDALColorTable* ct = band->GetColorTable(); ct && layout.type == PixelType::u8)
        for (int k = 0; k < std::min(256, ct->GetColorEntryCount()); ++k) {
          const GDALColorEntry* e = ct->GetColorEntry(k);
          layout.colors.emplace_back(
              static_cast<std::uint8_t>(k),
              Rgba{static_cast<std::uint8_t>(e->c1), static_cast<std::uint8_t>(e->c2),
                   static_cast<std::uint8_t>(e->c3), static_cast<std::uint8_t>(e->c4)});
        }
    layout.band_info.push_back(std::move(bi));
  }
  return layout;
}

namespace {

/// A virtual raster and the sources it reads (which must outlive it: declared first, they are
/// closed last).
struct WindowsVrt {
  std::vector<DatasetPtr> in;
  DatasetPtr vrt;
};

/// A virtual raster like source 0 (every band, its colour table, nodata and metadata), named
/// `name` ("" in memory), with each window another source owns painted over it from that source.
WindowsVrt windows_vrt(const std::vector<std::string>& sources, const Grid& grid,
                       const std::vector<Window>& windows, const std::vector<int>& owner,
                       const std::string& name) {
  WindowsVrt out;
  auto& in = out.in;
  for (const auto& p : sources) {
    in.push_back(open_raster(p));
    GDALDataset& ds = *in.back();
    if (ds.GetRasterCount() != in[0]->GetRasterCount())
      throw DamagedFileError(p, "does not have the bands of '" + sources[0] + "'");
    const Grid g = grid_of(ds);
    bool same = g.width == grid.width && g.height == grid.height &&
                g.crs_wkt.empty() == grid.crs_wkt.empty() &&
                (grid.crs_wkt.empty() || same_crs(g.crs_wkt, grid.crs_wkt));
    for (int k = 0; same && k < 6; ++k)
      same = std::abs(g.transform.c[k] - grid.transform.c[k]) <=
             1e-9 * std::max(1.0, std::abs(grid.transform.c[k]));
    if (!same)
      throw DamagedFileError(p, "is not on the run's grid (its size, geotransform or CRS)");
  }
  CPLErrorReset();
  DatasetPtr vrt(GetGDALDriverManager()->GetDriverByName("VRT")->CreateCopy(
      name.c_str(), in[0].get(), FALSE, nullptr, nullptr, nullptr));
  if (!vrt) throw ProcessingError("cannot read '" + sources[0] + "': " + gdal_last_error());
  for (std::size_t k = 0; k < windows.size(); ++k) {
    const int o = owner[k];
    if (o == 0) continue;
    const Window& w = windows[k];
    for (int b = 1; b <= vrt->GetRasterCount(); ++b)
      if (VRTAddSimpleSource(vrt->GetRasterBand(b), in[o]->GetRasterBand(b), w.col, w.row,
                             w.width, w.height, w.col, w.row, w.width, w.height, nullptr,
                             VRT_NODATA_UNSET) != CE_None)
        throw ProcessingError("cannot read '" + sources[o] + "': " + gdal_last_error());
  }
  out.vrt = std::move(vrt);
  return out;
}

}  // namespace

void write_windows_vrt(const std::vector<std::string>& sources, const Grid& grid,
                       const std::vector<Window>& windows, const std::vector<int>& owner,
                       const std::string& out) {
  WindowsVrt v = windows_vrt(sources, grid, windows, owner, out);
  CPLErrorReset();
  v.vrt.reset();  // writes the XML
  if (CPLGetLastErrorType() == CE_Failure || !std::filesystem::exists(out))
    throw ProcessingError("cannot write '" + out + "': " + gdal_last_error());
}

void assemble_windows(const std::vector<std::string>& sources, const Grid& grid,
                      const std::vector<Window>& windows, const std::vector<int>& owner,
                      const std::string& out) {
  // The virtual raster, then one copy.
  WindowsVrt v = windows_vrt(sources, grid, windows, owner, "");
  const DatasetPtr& vrt = v.vrt;
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", std::to_string(kBlockSize).c_str());
  co.SetNameValue("BLOCKYSIZE", std::to_string(kBlockSize).c_str());
  co.SetNameValue("COMPRESS", "NONE");
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  if (vrt->GetRasterCount() > 1) co.SetNameValue("INTERLEAVE", "BAND");
  DatasetPtr copy(GetGDALDriverManager()->GetDriverByName("GTiff")->CreateCopy(
      out.c_str(), vrt.get(), FALSE, co.List(), nullptr, nullptr));
  if (!copy || (copy.reset(), CPLGetLastErrorType() == CE_Failure))
    throw ProcessingError("cannot write '" + out + "': " + gdal_last_error());
}

bool raster_reads_whole(const std::string& path) {
  CPLErrorReset();
  GDALDatasetH ds =
      GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  if (!ds) return false;
  bool ok = true;
  for (int b = 1; ok && b <= GDALGetRasterCount(ds); ++b) {
    GDALRasterBandH band = GDALGetRasterBand(ds, b);
    GDALChecksumImage(band, 0, 0, GDALGetRasterBandXSize(band), GDALGetRasterBandYSize(band));
    ok = CPLGetLastErrorType() != CE_Failure;
  }
  GDALClose(ds);
  CPLErrorReset();
  return ok;
}

struct BlockRasterReader::Impl {
  DatasetPtr ds;
};

BlockRasterReader::BlockRasterReader(const std::string& path)
    : impl_(std::make_unique<Impl>()), path_(path) {
  impl_->ds = open_raster(path);
}
BlockRasterReader::~BlockRasterReader() = default;
BlockRasterReader::BlockRasterReader(BlockRasterReader&&) noexcept = default;
int BlockRasterReader::bands() const { return impl_->ds->GetRasterCount(); }
Grid BlockRasterReader::grid() const { return grid_of(*impl_->ds); }

void BlockRasterReader::read(const Window& w, int band, PixelType type, void* data) {
  GDALDataType t = GDT_Byte;
  switch (type) {
    case PixelType::u8: t = GDT_Byte; break;
    case PixelType::u16: t = GDT_UInt16; break;
    case PixelType::i16: t = GDT_Int16; break;
    case PixelType::u32: t = GDT_UInt32; break;
    case PixelType::f32: t = GDT_Float32; break;
  }
  window_io(*impl_->ds->GetRasterBand(band), GF_Read, w, data, t, path_);
}

}  // namespace farmwatch::io
