#include "farmwatch/io/cog_writer.h"

#include <gdal_utils.h>
#include <jpeglib.h>
#include <libdeflate.h>
#include <tbb/parallel_for.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

#include "farmwatch/core/error.h"
#include "gdal_error.h"
#include "gdal_handles.h"

namespace farmwatch::io {
namespace {

constexpr int kTile = 512;
constexpr char kStoreMagic[8] = {'F', 'W', 'C', 'O', 'G', 'T', '0', '1'};
enum : std::uint8_t { kEnd = 0, kTileRecord = 1, kPixelsRecord = 2 };
enum : std::uint8_t { kImagePart = 0, kMaskPart = 1 };

int ceil_half(int n) { return (n + 1) / 2; }

/// k of a cell of 512 x 2^k pixels (it holds whole tiles of levels 0..k above its own);
/// std::invalid_argument for any other size.
int cell_levels(int cell) {
  int k = 0;
  while ((kTile << k) < cell) ++k;
  if ((kTile << k) != cell) throw std::invalid_argument("COG cells are 512 x 2^k pixels");
  return k;
}

/// The pixels of a window of one pyramid level, bands interleaved: the image bands' samples,
/// then the mask (0 or 255) when the layer has one; `channels` bytes a pixel.
struct Pixels {
  int col = 0, row = 0, width = 0, height = 0, channels = 1;
  std::vector<std::uint8_t> v;
  std::uint8_t* at(int x, int y) {
    return v.data() + (static_cast<std::size_t>(y) * width + x) * channels;
  }
  const std::uint8_t* at(int x, int y) const {
    return v.data() + (static_cast<std::size_t>(y) * width + x) * channels;
  }
};

/// What the source's bands are: `image_bands` of `type`, and a mask from its last band when
/// that is an 8-bit alpha band.
struct BandLayout {
  int image_bands = 1;
  bool mask = false;
  GDALDataType type = GDT_Byte;
  int sample_bytes() const { return GDALGetDataTypeSizeBytes(type); }
  /// Bytes of a pixel's image samples, and of a pixel with its mask.
  int image_bytes() const { return image_bands * sample_bytes(); }
  int channels() const { return image_bytes() + (mask ? 1 : 0); }
  /// The raster's bands: the image's and the mask's (an alpha band).
  int bands() const { return image_bands + (mask ? 1 : 0); }
};

BandLayout band_layout(GDALDataset& ds, const CogFormat& format, const std::string& path) {
  const int n = ds.GetRasterCount();
  BandLayout b;
  b.mask = n >= 2 && ds.GetRasterBand(n)->GetColorInterpretation() == GCI_AlphaBand;
  b.image_bands = n - (b.mask ? 1 : 0);
  b.type = ds.GetRasterBand(1)->GetRasterDataType();
  if (b.mask && b.type != GDT_Byte)
    throw ProcessingError("cannot write '" + path + "' as a COG: an alpha band takes 8 bits");
  for (int i = 1; i <= n; ++i)
    if (ds.GetRasterBand(i)->GetRasterDataType() != b.type || GDALDataTypeIsComplex(b.type))
      throw ProcessingError("cannot write '" + path + "' as a COG: bands of several types");
  if ((format.codec == CogCodec::jpeg || format.resampling == CogResampling::average) &&
      b.type != GDT_Byte)
    throw ProcessingError("cannot write '" + path + "' as a COG: JPEG and averages take 8 bits");
  if (format.codec == CogCodec::jpeg ? b.image_bands != 3 : b.image_bands != 1)
    throw ProcessingError("cannot write '" + path + "' as a COG: " +
                          std::to_string(b.image_bands) + " image band(s) for " +
                          (format.codec == CogCodec::jpeg ? "JPEG (3)" : "DEFLATE (1)"));
  return b;
}

Pixels read_pixels(GDALDataset& ds, const Window& w, const BandLayout& b, const std::string& path) {
  Pixels p{w.col, w.row, w.width, w.height, b.channels(), {}};
  p.v.resize(static_cast<std::size_t>(w.pixels()) * p.channels);
  CPLErrorReset();
  if (ds.RasterIO(GF_Read, w.col, w.row, w.width, w.height, p.v.data(), w.width, w.height, b.type,
                  b.bands(), nullptr, p.channels, std::int64_t(p.channels) * w.width,
                  b.sample_bytes(), nullptr) != CE_None)
    throw ProcessingError("cannot read window " + std::to_string(w.col) + "," +
                          std::to_string(w.row) + " of '" + path + "': " + gdal_last_error());
  if (b.mask)
    for (std::size_t k = p.channels - 1; k < p.v.size(); k += p.channels) p.v[k] = p.v[k] ? 255 : 0;
  return p;
}

/// The next level of `in` (its origin even): each pixel from its 2 x 2 parents.
Pixels downsample(const Pixels& in, const CogFormat& format, const BandLayout& b) {
  Pixels out{in.col / 2, in.row / 2, ceil_half(in.width), ceil_half(in.height), in.channels, {}};
  out.v.assign(static_cast<std::size_t>(out.width) * out.height * out.channels, 0);
  const int ch = in.channels;
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x) {
      std::uint8_t* o = out.at(x, y);
      if (format.resampling == CogResampling::nearest) {
        std::memcpy(o, in.at(2 * x, 2 * y), static_cast<std::size_t>(ch));
        continue;
      }
      int sum[4] = {0, 0, 0, 0}, n = 0;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          if (2 * x + dx >= in.width || 2 * y + dy >= in.height) continue;
          const std::uint8_t* p = in.at(2 * x + dx, 2 * y + dy);
          if (b.mask && !p[ch - 1]) continue;
          for (int c = 0; c < b.image_bands; ++c) sum[c] += p[c];
          ++n;
        }
      if (!n) continue;
      for (int c = 0; c < b.image_bands; ++c) o[c] = static_cast<std::uint8_t>((sum[c] + n / 2) / n);
      if (b.mask) o[ch - 1] = 255;
    }
  return out;
}

std::vector<std::uint8_t> deflate(const std::uint8_t* data, std::size_t n) {
  struct Free {
    void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
  };
  // libdeflate's level 7: the size of zlib's level 6 (GDAL's default) on class maps, in 3/4 of
  // its time. One compressor per thread.
  thread_local std::unique_ptr<libdeflate_compressor, Free> c(libdeflate_alloc_compressor(7));
  std::vector<std::uint8_t> out(libdeflate_zlib_compress_bound(c.get(), n));
  out.resize(libdeflate_zlib_compress(c.get(), data, n, out.data(), out.size()));
  if (out.empty()) throw ProcessingError("cannot DEFLATE-compress a COG tile");
  return out;
}

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};

/// A JPEG tile of 512 x 512 RGB pixels as an abbreviated stream (no quantisation tables, its
/// own optimised Huffman tables), or with `tables_only` the quantisation tables alone (TIFF's
/// JPEGTables): libtiff's JPEGTABLESMODE 1, as GDAL writes JPEG tiles.
std::vector<std::uint8_t> jpeg(const std::uint8_t* rgb, bool tables_only) {
  jpeg_compress_struct c{};
  JpegError err{};
  c.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = [](j_common_ptr info) {
    std::longjmp(reinterpret_cast<JpegError*>(info->err)->jump, 1);
  };
  unsigned char* mem = nullptr;
  unsigned long size = 0;
  if (setjmp(err.jump)) {
    jpeg_destroy_compress(&c);
    std::free(mem);
    throw ProcessingError("cannot JPEG-compress a COG tile");
  }
  jpeg_create_compress(&c);
  jpeg_mem_dest(&c, &mem, &size);
  c.image_width = kTile;
  c.image_height = kTile;
  c.input_components = 3;
  c.in_color_space = JCS_RGB;
  jpeg_set_defaults(&c);  // YCbCr, luma sampled 2 x 2
  jpeg_set_quality(&c, 75, TRUE);
  c.write_JFIF_header = FALSE;
  c.write_Adobe_marker = FALSE;
  if (tables_only) {
    for (int i = 0; i < NUM_HUFF_TBLS; ++i)
      for (JHUFF_TBL* t : {c.dc_huff_tbl_ptrs[i], c.ac_huff_tbl_ptrs[i]})
        if (t) t->sent_table = TRUE;
    jpeg_write_tables(&c);
  } else {
    c.optimize_coding = TRUE;  // the Huffman tables it makes are written with the tile
    jpeg_suppress_tables(&c, TRUE);
    jpeg_start_compress(&c, FALSE);
    while (c.next_scanline < c.image_height) {
      JSAMPROW row = const_cast<JSAMPROW>(rgb + std::size_t(c.next_scanline) * kTile * 3);
      jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
  }
  std::vector<std::uint8_t> out(mem, mem + size);
  jpeg_destroy_compress(&c);
  std::free(mem);
  return out;
}

const std::vector<std::uint8_t>& jpeg_tables() {
  static const std::vector<std::uint8_t> tables = jpeg(nullptr, true);
  return tables;
}

/// One encoded tile of a store, or where it lies in one.
struct TileKey {
  int level = 0, tx = 0, ty = 0, part = kImagePart;
  auto operator<=>(const TileKey&) const = default;
};
struct EncodedTile {
  TileKey key;
  std::vector<std::uint8_t> bytes;
};

/// Tiles of one level by their column and row in it.
using TileSet = std::set<std::pair<int, int>>;

/// The tiles of `p` (a window of pyramid level `level`, aligned with its tiles) encoded; with
/// `only`, only those among them.
void encode_tiles(const Pixels& p, int level, const CogFormat& format, const BandLayout& b,
                  std::vector<EncodedTile>& out, const TileSet* only = nullptr) {
  const int nb = b.image_bytes(), ch = p.channels;
  std::vector<std::uint8_t> image(std::size_t(kTile) * kTile * nb), mask(kTile / 8 * kTile);
  for (int ty = 0; ty * kTile < p.height; ++ty)
    for (int tx = 0; tx * kTile < p.width; ++tx) {
      if (only && !only->count({p.col / kTile + tx, p.row / kTile + ty})) continue;
      std::fill(image.begin(), image.end(), 0);
      std::fill(mask.begin(), mask.end(), 0);
      const int w = std::min(kTile, p.width - tx * kTile), h = std::min(kTile, p.height - ty * kTile);
      for (int y = 0; y < h; ++y) {
        const std::uint8_t* src = p.at(tx * kTile, ty * kTile + y);
        std::uint8_t* dst = image.data() + std::size_t(y) * kTile * nb;
        if (ch == nb) {
          std::memcpy(dst, src, std::size_t(w) * nb);
          continue;
        }
        for (int x = 0; x < w; ++x) {
          std::memcpy(dst + std::size_t(x) * nb, src + std::size_t(x) * ch, std::size_t(nb));
          if (src[std::size_t(x) * ch + nb])
            mask[std::size_t(y) * (kTile / 8) + x / 8] |= std::uint8_t(0x80 >> (x % 8));
        }
      }
      // JPEG blocks across the raster's edge: the edge pixels repeated (as GDAL pads), not
      // black bled into the last pixels' colours.
      if (format.codec == CogCodec::jpeg && (w < kTile || h < kTile)) {
        const std::size_t row = std::size_t(kTile) * nb;
        for (int y = 0; y < h; ++y) {
          std::uint8_t* r = image.data() + std::size_t(y) * row;
          for (int x = w; x < kTile; ++x)
            std::memcpy(r + std::size_t(x) * nb, r + std::size_t(w - 1) * nb, std::size_t(nb));
        }
        for (int y = h; y < kTile; ++y)
          std::memcpy(image.data() + std::size_t(y) * row, image.data() + std::size_t(h - 1) * row,
                      row);
      }
      const TileKey key{level, p.col / kTile + tx, p.row / kTile + ty, kImagePart};
      out.push_back({key, format.codec == CogCodec::jpeg ? jpeg(image.data(), false)
                                                         : deflate(image.data(), image.size())});
      if (b.mask)
        out.push_back({{key.level, key.tx, key.ty, kMaskPart}, deflate(mask.data(), mask.size())});
    }
}

// --- Tile stores -------------------------------------------------------------------------

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

/// zlib's CRC-32 of `n` bytes continued from `crc` (zlib's crc32 of no bytes starts over).
std::uint32_t crc_of(const void* data, std::size_t n, std::uint32_t crc = 0) {
  return n ? static_cast<std::uint32_t>(
                 crc32(crc, static_cast<const Bytef*>(data), static_cast<uInt>(n)))
           : crc;
}

class StoreWriter {
 public:
  /// A store of the tiles of the raster named `layer` (its file name).
  StoreWriter(std::string path, const std::string& layer)
      : path_(std::move(path)), f_(path_, std::ios::binary) {
    std::string h(kStoreMagic, sizeof kStoreMagic);
    put<std::uint32_t>(h, static_cast<std::uint32_t>(layer.size()));
    put<std::uint32_t>(h, crc_of(layer.data(), layer.size()));
    h += layer;
    f_.write(h.data(), static_cast<std::streamsize>(h.size()));
    check();
  }
  void tile(const EncodedTile& t) {
    std::string h;
    put<std::uint8_t>(h, kTileRecord);
    put<std::int32_t>(h, t.key.level);
    put<std::int32_t>(h, t.key.tx);
    put<std::int32_t>(h, t.key.ty);
    put<std::uint8_t>(h, static_cast<std::uint8_t>(t.key.part));
    body(h, t.bytes);
  }
  void pixels(int level, const Pixels& p) {
    std::string h;
    put<std::uint8_t>(h, kPixelsRecord);
    for (int v : {level, p.col, p.row, p.width, p.height}) put<std::int32_t>(h, v);
    body(h, p.v);
  }
  void close() {
    std::string h;
    put<std::uint8_t>(h, kEnd);
    put<std::uint64_t>(h, records_);
    f_.write(h.data(), static_cast<std::streamsize>(h.size()));
    f_.close();
    check();
  }

 private:
  /// The record's header, its size, the CRC-32 of both and its bytes, then its bytes.
  void body(std::string& h, const std::vector<std::uint8_t>& bytes) {
    put<std::uint32_t>(h, static_cast<std::uint32_t>(bytes.size()));
    put<std::uint32_t>(h, crc_of(bytes.data(), bytes.size(), crc_of(h.data(), h.size())));
    f_.write(h.data(), static_cast<std::streamsize>(h.size()));
    f_.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    ++records_;
    check();
  }
  void check() {
    if (!f_) throw ProcessingError("cannot write '" + path_ + "'");
  }
  std::string path_;
  std::ofstream f_;
  std::uint64_t records_ = 0;
};

/// Where a record's bytes lie in a store, and the CRC-32 they must have, continued from its
/// header's.
struct Span {
  std::size_t store = 0;
  std::uint64_t offset = 0;
  std::uint32_t size = 0, crc = 0, header_crc = 0;
};
struct PixelsRecord {
  int level = 0;
  Window window;
  Span span;
};

/// Every store's records, read once (their bytes are read when used and checked then). A
/// store that is not as written (cut short, damaged: its bytes or CRCs disagree) is a
/// DamagedFileError naming it; one that cannot be read at all (an I/O error, too many open
/// files) a ProcessingError, which blames no shard.
struct StoreIndex {
  std::vector<std::string> paths;
  std::vector<std::string> layers;  ///< per store, the file name of the raster it encoded
  std::vector<std::unique_ptr<std::ifstream>> files;
  std::map<TileKey, Span> tiles;
  std::vector<PixelsRecord> pixels;

  /// Indexes the store at `path`; its records' positions are kept by its index in `paths`.
  /// With `replaces`, its tiles and pixels take the place of those indexed before.
  std::size_t add(const std::string& path, bool replaces = false) {
    const std::size_t id = paths.size();
    paths.push_back(path);
    std::error_code ec;
    const std::uint64_t bytes = std::filesystem::file_size(path, ec);
    files.push_back(std::make_unique<std::ifstream>(path, std::ios::binary));
    std::ifstream& f = *files.back();
    if (ec || !f) throw ProcessingError("cannot read tile store '" + path + "'");
    auto get = [&](auto& v) {
      if (f.read(reinterpret_cast<char*>(&v), sizeof v)) return;
      if (f.eof()) throw DamagedFileError(path, "is cut short");
      throw ProcessingError("cannot read tile store '" + path + "'");
    };
    char magic[sizeof kStoreMagic];
    get(magic);
    if (std::memcmp(magic, kStoreMagic, sizeof magic) != 0)
      throw DamagedFileError(path, "is not a farmwatch tile store");
    std::uint32_t length = 0, crc = 0;
    get(length);
    get(crc);
    if (length > 4096) throw DamagedFileError(path, "is damaged (its layer's name)");
    std::string layer(length, '\0');
    for (char& c : layer) get(c);
    if (crc_of(layer.data(), layer.size()) != crc)
      throw DamagedFileError(path, "is damaged (its layer's name)");
    layers.push_back(layer);
    std::uint64_t records = 0;
    for (;;) {
      std::string header;
      std::uint8_t kind = 0;
      get(kind);
      put(header, kind);
      if (kind == kEnd) {
        std::uint64_t n = 0;
        get(n);
        if (n != records) throw DamagedFileError(path, "is damaged (its record count)");
        break;
      }
      std::int32_t a[5] = {0, 0, 0, 0, 0};
      std::uint8_t part = 0;
      if (kind == kTileRecord) {
        for (int k = 0; k < 3; ++k) get(a[k]), put(header, a[k]);
        get(part);
        put(header, part);
      } else if (kind == kPixelsRecord) {
        for (auto& v : a) get(v), put(header, v);
      } else {
        throw DamagedFileError(path, "is damaged (an unknown record)");
      }
      Span sp{id, 0, 0, 0, 0};
      get(sp.size);
      put(header, sp.size);
      get(sp.crc);
      sp.header_crc = crc_of(header.data(), header.size());
      sp.offset = static_cast<std::uint64_t>(f.tellg());
      if (sp.offset + sp.size > bytes) throw DamagedFileError(path, "is cut short");
      f.seekg(sp.size, std::ios::cur);
      ++records;
      if (kind == kTileRecord) {
        if (part > kMaskPart) throw DamagedFileError(path, "is damaged (an unknown part)");
        const TileKey key{a[0], a[1], a[2], part};
        if (replaces)
          tiles[key] = sp;
        else if (!tiles.emplace(key, sp).second)
          throw DamagedFileError(path, "is damaged (a tile twice)");
      } else {
        const PixelsRecord r{a[0], Window{a[1], a[2], a[3], a[4]}, sp};
        if (replaces)
          std::erase_if(pixels, [&](const PixelsRecord& o) {
            return o.level == r.level && o.window == r.window;
          });
        pixels.push_back(r);
      }
    }
    return id;
  }

  /// A record's bytes, their CRC-32 checked.
  std::vector<std::uint8_t> read(const Span& sp) const {
    const std::string& path = paths[sp.store];
    std::ifstream& f = *files[sp.store];
    std::vector<std::uint8_t> bytes(sp.size);
    f.clear();
    f.seekg(static_cast<std::streamoff>(sp.offset));
    if (!f.read(reinterpret_cast<char*>(bytes.data()), sp.size))
      throw ProcessingError("cannot read tile store '" + path + "'");
    if (crc_of(bytes.data(), bytes.size(), sp.header_crc) != sp.crc)
      throw DamagedFileError(path, "is damaged (a record's CRC-32)");
    return bytes;
  }
};

/// The pyramid's level sizes, 0 = full resolution.
std::vector<std::pair<int, int>> level_sizes(int width, int height) {
  std::vector<std::pair<int, int>> s{{width, height}};
  for (int l = cog_overview_count(width, height); l > 0; --l)
    s.emplace_back(ceil_half(s.back().first), ceil_half(s.back().second));
  return s;
}

/// Encodes `cells` of `src` (pyramid level `base`), cells of `cell` = 512 x 2^k pixels of that
/// level: levels base..base+k (at most `top`), those from `first` on encoded, the last one's
/// pixels kept. With `only` (one per cell: tiles of level `base`), only the tiles of each level
/// over those. In chunks of cells, each written in cell order once encoded.
void encode_cells(const std::string& src, const CogFormat& format, int base, int first, int top,
                  const std::vector<Window>& cells, int cell, const std::string& store,
                  const std::vector<TileSet>* only = nullptr) {
  const int last = std::min(base + cell_levels(cell), top);
  BandLayout bands;
  {
    DatasetPtr ds = open_raster(src);
    bands = band_layout(*ds, format, src);
  }
  StoreWriter out(store, std::filesystem::path(src).filename().string());
  struct Encoded {
    std::vector<EncodedTile> tiles;
    Pixels kept;
  };
  constexpr std::size_t kChunk = 16;
  for (std::size_t c0 = 0; c0 < cells.size(); c0 += kChunk) {
    const std::size_t n = std::min(kChunk, cells.size() - c0);
    std::vector<Encoded> done(n);
    tbb::parallel_for(std::size_t(0), n, [&](std::size_t i) {
      DatasetPtr ds = open_raster(src);
      Pixels p = read_pixels(*ds, cells[c0 + i], bands, src);
      for (int l = base;; ++l) {
        TileSet over;  // the tiles of level l over `only`'s
        if (only)
          for (const auto& [tx, ty] : (*only)[c0 + i]) over.insert({tx >> (l - base), ty >> (l - base)});
        if (l >= first) encode_tiles(p, l, format, bands, done[i].tiles, only ? &over : nullptr);
        if (l == last) break;
        p = downsample(p, format, bands);
      }
      done[i].kept = std::move(p);
    });
    for (const Encoded& e : done) {
      for (const EncodedTile& t : e.tiles) out.tile(t);
      out.pixels(last, e.kept);
    }
  }
  out.close();
}

/// Writes the level-`level` pixels of every record into a scratch GeoTIFF (no
/// georeference; the mask as an alpha band) for the next round of encode_cells.
void write_level(const StoreIndex& index, int level, int width, int height,
                 const BandLayout& bands, const std::string& path) {
  GDALDriver* drv = GetGDALDriverManager()->GetDriverByName("GTiff");
  CPLStringList co;
  co.SetNameValue("TILED", "YES");
  co.SetNameValue("BLOCKXSIZE", "512");
  co.SetNameValue("BLOCKYSIZE", "512");
  co.SetNameValue("BIGTIFF", "IF_SAFER");
  CPLErrorReset();
  const int count = bands.bands();
  DatasetPtr ds(drv->Create(path.c_str(), width, height, count, bands.type, co.List()));
  if (!ds) throw ProcessingError("cannot create '" + path + "': " + gdal_last_error());
  if (bands.mask) ds->GetRasterBand(count)->SetColorInterpretation(GCI_AlphaBand);
  for (const PixelsRecord& r : index.pixels) {
    if (r.level != level) continue;
    std::vector<std::uint8_t> v = index.read(r.span);
    const Window& w = r.window;
    CPLErrorReset();
    if (ds->RasterIO(GF_Write, w.col, w.row, w.width, w.height, v.data(), w.width, w.height,
                     bands.type, count, nullptr, bands.channels(),
                     std::int64_t(bands.channels()) * w.width, bands.sample_bytes(),
                     nullptr) != CE_None)
      throw ProcessingError("cannot write '" + path + "': " + gdal_last_error());
  }
  close_or_throw(ds, path);
}

// --- The TIFF file -----------------------------------------------------------------------

/// One IFD entry: its type, count and value bytes (little-endian).
struct Entry {
  std::uint16_t tag = 0, type = 0;
  std::uint64_t count = 0;
  std::string value;
  /// A value too long for the entry that is written after all the IFDs (tile offsets and
  /// sizes, as GDAL places them, so that a reader's first request holds every IFD), at `at`.
  bool deferred = false;
  std::uint64_t at = 0;
};

std::size_t type_size(std::uint16_t type) {
  switch (type) {
    case 3: case 8: return 2;                       // SHORT, SSHORT
    case 4: case 9: case 11: case 13: return 4;     // LONG, SLONG, FLOAT, IFD
    case 5: case 10: case 12: case 16: case 17: case 18: return 8;  // RATIONAL, DOUBLE, LONG8..
    default: return 1;                              // BYTE, ASCII, UNDEFINED, ...
  }
}

template <class T>
Entry entry(std::uint16_t tag, std::uint16_t type, const std::vector<T>& values) {
  Entry e{tag, type, values.size(), {}};
  for (T v : values) put<T>(e.value, v);
  return e;
}
Entry short_entry(std::uint16_t tag, std::vector<std::uint16_t> v) { return entry(tag, 3, v); }
Entry long_entry(std::uint16_t tag, std::uint32_t v) {
  return entry<std::uint32_t>(tag, 4, {v});
}
Entry size_entry(std::uint16_t tag, int v) {
  return v <= 65535 ? short_entry(tag, {static_cast<std::uint16_t>(v)})
                    : long_entry(tag, static_cast<std::uint32_t>(v));
}

/// The tags GDAL writes of a raster's georeferencing and description, read from a one-pixel
/// GeoTIFF that GDAL writes of `src` (its first `image_bands` bands).
std::map<std::uint16_t, Entry> gdal_tags(const std::string& src, int image_bands) {
  DatasetPtr in = open_raster(src);
  std::vector<std::string> args = {"-of", "GTiff", "-srcwin", "0", "0", "1", "1"};
  for (int b = 1; b <= image_bands; ++b) args.insert(args.end(), {"-b", std::to_string(b)});
  CPLStringList argv;
  for (const auto& a : args) argv.AddString(a.c_str());
  GDALTranslateOptions* opts = GDALTranslateOptionsNew(argv.List(), nullptr);
  static std::atomic<int> serial{0};
  const std::string mem = "/vsimem/farmwatch_cog_tags_" + std::to_string(serial++) + ".tif";
  CPLErrorReset();
  GDALDatasetH t = GDALTranslate(mem.c_str(), GDALDataset::ToHandle(in.get()), opts, nullptr);
  GDALTranslateOptionsFree(opts);
  if (!t) throw ProcessingError("cannot describe '" + src + "' for its COG: " + gdal_last_error());
  GDALClose(t);
  vsi_l_offset n = 0;
  GByte* buf = VSIGetMemFileBuffer(mem.c_str(), &n, FALSE);
  std::string bytes(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  VSIUnlink(mem.c_str());
  auto u16 = [&](std::size_t at) {
    std::uint16_t v = 0;
    std::memcpy(&v, bytes.data() + at, 2);
    return v;
  };
  auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  if (bytes.size() < 8 || bytes.compare(0, 4, std::string("II*\0", 4)) != 0)
    throw ProcessingError("GDAL wrote an unexpected GeoTIFF describing '" + src + "'");
  std::map<std::uint16_t, Entry> out;
  const std::size_t ifd = u32(4);
  for (std::size_t i = 0, count = u16(ifd); i < count; ++i) {
    const std::size_t at = ifd + 2 + 12 * i;
    Entry e{u16(at), u16(at + 2), u32(at + 4), {}};
    switch (e.tag) {
      case 320: case 33550: case 33922: case 34264: case 34735: case 34736: case 34737:
      case 42112: case 42113: break;
      default: continue;
    }
    const std::size_t size = type_size(e.type) * e.count;
    e.value = bytes.substr(size <= 4 ? at + 8 : u32(at + 8), size);
    out[e.tag] = e;
  }
  return out;
}

/// Serialises IFDs, each followed by its values too long for their entries except the deferred
/// ones (Entry::deferred); the next-IFD links chain them in order.
class TiffWriter {
 public:
  explicit TiffWriter(bool big) : big_(big) {}
  std::size_t ifd_size(const std::vector<Entry>& entries) const {
    std::size_t n = big_ ? 8 + 20 * entries.size() + 8 : 2 + 12 * entries.size() + 4;
    for (const Entry& e : entries)
      if (out_of_line(e) && !e.deferred) n += (e.value.size() + 1) & ~std::size_t(1);
    return n;
  }
  bool out_of_line(const Entry& e) const { return e.value.size() > inline_size(); }
  void ifd(std::string& out, std::vector<Entry> entries, std::uint64_t next) const {
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.tag < b.tag; });
    const std::uint64_t start = out.size();
    std::uint64_t data = start + (big_ ? 8 + 20 * entries.size() + 8 : 2 + 12 * entries.size() + 4);
    std::string tail;
    if (big_) put<std::uint64_t>(out, entries.size());
    else put<std::uint16_t>(out, static_cast<std::uint16_t>(entries.size()));
    for (const Entry& e : entries) {
      put<std::uint16_t>(out, e.tag);
      put<std::uint16_t>(out, e.type);
      if (big_) put<std::uint64_t>(out, e.count);
      else put<std::uint32_t>(out, static_cast<std::uint32_t>(e.count));
      std::string field;
      if (!out_of_line(e)) {
        field = e.value;
      } else {
        const std::uint64_t at = e.deferred ? e.at : data + tail.size();
        if (big_)
          put<std::uint64_t>(field, at);
        else
          put<std::uint32_t>(field, static_cast<std::uint32_t>(at));
        if (!e.deferred) {
          tail += e.value;
          if (tail.size() % 2) tail += '\0';
        }
      }
      field.resize(inline_size(), '\0');
      out += field;
    }
    if (big_) put<std::uint64_t>(out, next);
    else put<std::uint32_t>(out, static_cast<std::uint32_t>(next));
    out += tail;
  }

 private:
  std::size_t inline_size() const { return big_ ? 8 : 4; }
  bool big_;
};

/// One IFD of the COG: a level's image or mask.
struct Ifd {
  int level = 0, part = kImagePart, width = 0, height = 0, tiles_x = 0, tiles_y = 0;
  std::vector<std::uint64_t> offsets;
  std::vector<std::uint32_t> sizes;
};

/// The IFD entries of one image or mask of the COG, its tile offsets as given.
std::vector<Entry> entries_of(const Ifd& d, const CogFormat& format, const BandLayout& bands,
                              const std::map<std::uint16_t, Entry>& gdal, bool big) {
  std::vector<Entry> e;
  const bool mask = d.part == kMaskPart;
  const auto nb = static_cast<std::uint16_t>(mask ? 1 : bands.image_bands);
  // NewSubfileType: 1 reduced resolution, 4 transparency mask.
  const std::uint32_t subfile = (d.level > 0 ? 1u : 0u) | (mask ? 4u : 0u);
  if (subfile) e.push_back(long_entry(254, subfile));
  e.push_back(size_entry(256, d.width));
  e.push_back(size_entry(257, d.height));
  e.push_back(short_entry(
      258, std::vector<std::uint16_t>(nb, static_cast<std::uint16_t>(mask ? 1 : 8 * bands.sample_bytes()))));
  const bool jpeg = !mask && format.codec == CogCodec::jpeg;
  e.push_back(short_entry(259, {static_cast<std::uint16_t>(jpeg ? 7 : 8)}));
  // Photometric: transparency mask, YCbCr, palette, or grey.
  e.push_back(short_entry(262, {static_cast<std::uint16_t>(mask ? 4 : jpeg ? 6 : gdal.count(320) ? 3 : 1)}));
  e.push_back(short_entry(277, {nb}));
  e.push_back(short_entry(284, {1}));
  if (!jpeg) e.push_back(short_entry(317, {1}));
  e.push_back(short_entry(322, {kTile}));
  e.push_back(short_entry(323, {kTile}));
  if (big) e.push_back(entry<std::uint64_t>(324, 16, d.offsets));
  else e.push_back(entry<std::uint32_t>(324, 4, std::vector<std::uint32_t>(d.offsets.begin(), d.offsets.end())));
  e.push_back(entry<std::uint32_t>(325, 4, d.sizes));
  e[e.size() - 2].deferred = e.back().deferred = true;
  // SampleFormat: unsigned, signed, or IEEE floating point.
  const std::uint16_t sample_format = mask || !GDALDataTypeIsSigned(bands.type) ? 1
                                      : GDALDataTypeIsFloating(bands.type)      ? 3
                                                                                : 2;
  e.push_back(short_entry(339, std::vector<std::uint16_t>(nb, sample_format)));
  if (jpeg) {
    const auto& t = jpeg_tables();
    e.push_back({347, 7, t.size(), std::string(t.begin(), t.end())});
    e.push_back(short_entry(530, {2, 2}));
    e.push_back(entry<std::uint32_t>(532, 5, {0, 1, 255, 1, 128, 1, 255, 1, 128, 1, 255, 1}));
    e.back().count = 6;
  }
  if (mask) return e;
  for (const auto& [tag, g] : gdal)
    if (d.level == 0 || tag == 320 || tag == 42113) e.push_back(g);
  return e;
}

/// The COG's bytes: header, GDAL's ghost area, the IFDs, then every tile from the stores.
void write_file(const std::string& dst, const std::string& src, const CogFormat& format,
                const BandLayout& bands, const StoreIndex& index,
                const std::vector<std::pair<int, int>>& sizes) {
  const int top = static_cast<int>(sizes.size()) - 1;
  const auto gdal = gdal_tags(src, bands.image_bands);
  std::vector<Ifd> ifds;
  auto add = [&](int level, int part) {
    Ifd d{level, part, sizes[level].first, sizes[level].second, 0, 0, {}, {}};
    d.tiles_x = (d.width + kTile - 1) / kTile;
    d.tiles_y = (d.height + kTile - 1) / kTile;
    for (int ty = 0; ty < d.tiles_y; ++ty)
      for (int tx = 0; tx < d.tiles_x; ++tx)
        d.sizes.push_back(index.tiles.at({level, tx, ty, part}).size);
    d.offsets.assign(d.sizes.size(), 0);
    ifds.push_back(std::move(d));
  };
  // GDAL's order: full resolution, its mask, the overviews, their masks.
  add(0, kImagePart);
  if (bands.mask) add(0, kMaskPart);
  for (int l = 1; l <= top; ++l) add(l, kImagePart);
  if (bands.mask)
    for (int l = 1; l <= top; ++l) add(l, kMaskPart);
  std::string ghost =
      "LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n"
      "BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ";
  if (bands.mask) ghost += "MASK_INTERLEAVED_WITH_IMAGERY=YES\n";
  char size_line[64];
  std::snprintf(size_line, sizeof size_line, "GDAL_STRUCTURAL_METADATA_SIZE=%06d bytes\n",
                static_cast<int>(ghost.size()));
  ghost = size_line + ghost;
  std::uint64_t data_bytes = 0;
  for (const Ifd& d : ifds)
    for (std::uint32_t s : d.sizes) data_bytes += s + 8;
  // BigTIFF only when the classic format's 32-bit offsets cannot reach the last tile.
  for (const bool big : {false, true}) {
    const TiffWriter tiff(big);
    std::uint64_t pos = (big ? 16 : 8) + ghost.size();
    std::vector<std::uint64_t> at;
    for (const Ifd& d : ifds) {
      pos += pos % 2;
      at.push_back(pos);
      pos += tiff.ifd_size(entries_of(d, format, bands, gdal, big));
    }
    // Every IFD's deferred values after the last IFD, in IFD order: where they go.
    const std::uint64_t deferred_start = pos;
    auto placed = [&](const Ifd& d, std::uint64_t& next) {
      std::vector<Entry> e = entries_of(d, format, bands, gdal, big);
      for (Entry& x : e)
        if (x.deferred && tiff.out_of_line(x)) {
          next += next % 2;
          x.at = next;
          next += x.value.size();
        }
      return e;
    };
    for (const Ifd& d : ifds) placed(d, pos);
    pos += pos % 2;
    if (!big && pos + data_bytes >= 0xFFFFFFFFull) continue;
    // The tiles: smallest overview first, row-major, each mask tile after its image tile.
    auto each_tile = [&](auto&& visit) {
      for (int l = top; l >= 0; --l) {
        std::vector<Ifd*> level;  // its image, then its mask
        for (Ifd& d : ifds)
          if (d.level == l) level.push_back(&d);
        for (std::size_t t = 0; t < level.front()->sizes.size(); ++t)
          for (Ifd* d : level) visit(*d, t);
      }
    };
    std::uint64_t cur = pos;
    each_tile([&](Ifd& d, std::size_t t) {
      d.offsets[t] = cur + 4;
      cur += 8 + d.sizes[t];
    });
    std::string head;
    if (big) {
      head.append("II+\0", 4);
      put<std::uint16_t>(head, 8);
      put<std::uint16_t>(head, 0);
      put<std::uint64_t>(head, at[0]);
    } else {
      head.append("II*\0", 4);
      put<std::uint32_t>(head, static_cast<std::uint32_t>(at[0]));
    }
    head += ghost;
    std::uint64_t next = deferred_start;
    std::vector<std::vector<Entry>> entries;
    for (const Ifd& d : ifds) entries.push_back(placed(d, next));
    for (std::size_t i = 0; i < ifds.size(); ++i) {
      head.resize(at[i], '\0');
      tiff.ifd(head, entries[i], i + 1 < ifds.size() ? at[i + 1] : 0);
    }
    for (const auto& list : entries)
      for (const Entry& x : list)
        if (x.deferred && tiff.out_of_line(x)) {
          head.resize(x.at, '\0');
          head += x.value;
        }
    head.resize(pos, '\0');
    std::ofstream out(dst, std::ios::binary | std::ios::trunc);
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    each_tile([&](const Ifd& d, std::size_t t) {
      const int tx = static_cast<int>(t) % d.tiles_x, ty = static_cast<int>(t) / d.tiles_x;
      const std::vector<std::uint8_t> bytes = index.read(index.tiles.at({d.level, tx, ty, d.part}));
      std::string leader;
      put<std::uint32_t>(leader, static_cast<std::uint32_t>(bytes.size()));
      out.write(leader.data(), 4);
      out.write(reinterpret_cast<const char*>(bytes.data()),
                static_cast<std::streamsize>(bytes.size()));
      out.write(reinterpret_cast<const char*>(bytes.data() + bytes.size() - 4), 4);
    });
    out.close();
    if (!out) throw ProcessingError("cannot write Cloud-Optimised GeoTIFF '" + dst + "'");
    return;
  }
}

/// Windows of `cell` pixels covering a width x height level, row-major (edge cells clipped).
std::vector<Window> cells_over(int width, int height, int cell) {
  Grid level;
  level.width = width;
  level.height = height;
  return level.blocks(cell, cell);
}

/// Whether the store `id` of `index` is what a shard wrote for `cells`: of `layer` (when
/// given), exactly its cells' tiles of levels 0..kept and their level-`kept` pixels, each once.
/// DamagedFileError naming it otherwise.
void check_store(const StoreIndex& index, std::size_t id, const std::string& layer,
                 const std::vector<Window>& cells, int kept,
                 const std::vector<std::pair<int, int>>& sizes, const BandLayout& bands) {
  const std::string& path = index.paths[id];
  if (!layer.empty() && index.layers[id] != layer)
    throw DamagedFileError(path,
                           "holds the tiles of '" + index.layers[id] + "', not of '" + layer + "'");
  // A cell's window at level l (edge cells: up to the level's edge).
  auto at_level = [&](const Window& c, int l) {
    const auto& size = sizes[static_cast<std::size_t>(l)];
    const int c0 = c.col >> l, r0 = c.row >> l;
    const int c1 = std::min((c.col + c.width + (1 << l) - 1) >> l, size.first);
    const int r1 = std::min((c.row + c.height + (1 << l) - 1) >> l, size.second);
    return Window{c0, r0, c1 - c0, r1 - r0};
  };
  std::set<TileKey> expected;
  std::map<std::pair<int, int>, Window> kept_windows;  ///< by origin at level `kept`
  for (const Window& c : cells) {
    for (int l = 0; l <= kept; ++l) {
      const Window w = at_level(c, l);
      for (int ty = w.row / kTile; ty * kTile < w.row + w.height; ++ty)
        for (int tx = w.col / kTile; tx * kTile < w.col + w.width; ++tx) {
          expected.insert({l, tx, ty, kImagePart});
          if (bands.mask) expected.insert({l, tx, ty, kMaskPart});
        }
    }
    const Window w = at_level(c, kept);
    kept_windows.emplace(std::pair{w.col, w.row}, w);
  }
  for (const auto& [key, span] : index.tiles)
    if (span.store == id && !expected.erase(key))
      throw DamagedFileError(path, "holds tiles outside its cells");
  if (!expected.empty()) throw DamagedFileError(path, "lacks tiles of its cells");
  for (const PixelsRecord& r : index.pixels) {
    if (r.span.store != id) continue;
    const auto it = kept_windows.find({r.window.col, r.window.row});
    if (r.level != kept || it == kept_windows.end() || !(it->second == r.window) ||
        std::uint64_t(r.span.size) != std::uint64_t(r.window.pixels()) * bands.channels())
      throw DamagedFileError(path, "holds pixels outside its cells");
    kept_windows.erase(it);
  }
  if (!kept_windows.empty()) throw DamagedFileError(path, "lacks the pixels of its cells");
}

/// Per cell of `cells`, the level-0 tiles over which `a` and `b` (rasters of one size and
/// `bands`) hold different pixels. ProcessingError naming a raster that cannot be read;
/// DamagedFileError naming `b` when it is not of `a`'s size and bands.
std::vector<TileSet> differing_tiles(const std::string& a, const std::string& b,
                                     const std::vector<Window>& cells, const CogFormat& format,
                                     const BandLayout& bands) {
  {
    DatasetPtr da = open_raster(a), db = open_raster(b);
    BandLayout lb;
    try {
      lb = band_layout(*db, format, b);
    } catch (const ProcessingError&) {
      lb.image_bands = -1;  // not bands a COG of this format takes: not the source's
    }
    if (da->GetRasterXSize() != db->GetRasterXSize() ||
        da->GetRasterYSize() != db->GetRasterYSize() || lb.bands() != bands.bands() ||
        lb.type != bands.type || lb.mask != bands.mask)
      throw DamagedFileError(b, "is not of the size and bands of '" + a + "'");
  }
  std::vector<TileSet> out(cells.size());
  tbb::parallel_for(std::size_t(0), cells.size(), [&](std::size_t c) {
    DatasetPtr da = open_raster(a), db = open_raster(b);
    const Window& cell = cells[c];
    for (int r = cell.row; r < cell.row + cell.height; r += kTile) {
      const Window band{cell.col, r, cell.width, std::min(kTile, cell.row + cell.height - r)};
      const Pixels pa = read_pixels(*da, band, bands, a), pb = read_pixels(*db, band, bands, b);
      const std::size_t row_bytes = static_cast<std::size_t>(band.width) * pa.channels;
      for (int x = 0; x < band.width; x += kTile) {
        const std::size_t o = static_cast<std::size_t>(x) * pa.channels;
        const std::size_t n = static_cast<std::size_t>(std::min(kTile, band.width - x)) * pa.channels;
        for (int y = 0; y < band.height; ++y)
          if (std::memcmp(pa.v.data() + y * row_bytes + o, pb.v.data() + y * row_bytes + o, n)) {
            out[c].insert({(band.col + x) / kTile, band.row / kTile});
            break;
          }
      }
    }
  });
  return out;
}

}  // namespace

int cog_overview_count(int width, int height) {
  int levels = 0;
  for (int size = std::max(width, height); size > 256; size = ceil_half(size)) ++levels;
  return levels;
}

void encode_cog_tiles(const std::string& src, const CogFormat& format,
                      const std::vector<Window>& cells, int cell, const std::string& store) {
  DatasetPtr ds = open_raster(src);
  const int top = cog_overview_count(ds->GetRasterXSize(), ds->GetRasterYSize());
  ds.reset();
  encode_cells(src, format, 0, 0, top, cells, cell, store);
}

void assemble_cog(const std::string& src, const CogFormat& format, const CogTileStores& stores,
                  const std::string& dst) {
  if (stores.paths.empty() || stores.paths.size() != stores.cells.size() ||
      (!stores.sources.empty() && stores.sources.size() != stores.paths.size()))
    throw std::invalid_argument(
        "assemble_cog: no tile store, or not one cell list (and source, if any) per store");
  BandLayout bands;
  int width = 0, height = 0;
  {
    DatasetPtr ds = open_raster(src);
    bands = band_layout(*ds, format, src);
    width = ds->GetRasterXSize();
    height = ds->GetRasterYSize();
  }
  const auto sizes = level_sizes(width, height);
  const int top = static_cast<int>(sizes.size()) - 1;
  // The level whose pixels the stores kept; they encoded every level up to it.
  const int kept = std::min(cell_levels(stores.cell), top);
  // The cells: each a cell of the grid, all of them once.
  const std::vector<Window> grid_cells = cells_over(width, height, stores.cell);
  std::vector<std::uint8_t> seen(grid_cells.size(), 0);
  const int per_row = (width + stores.cell - 1) / stores.cell;
  for (const auto& list : stores.cells)
    for (const Window& c : list) {
      const std::size_t at =
          static_cast<std::size_t>(c.row / stores.cell) * per_row + c.col / stores.cell;
      if (c.col % stores.cell || c.row % stores.cell || c.col >= width || c.row >= height ||
          !(grid_cells[at] == c) || seen[at]++)
        throw ProcessingError("the tile stores of '" + dst + "' do not cover its raster once");
    }
  if (std::find(seen.begin(), seen.end(), 0) != seen.end())
    throw ProcessingError("the tile stores of '" + dst + "' do not cover its raster once");
  StoreIndex index;
  for (std::size_t i = 0; i < stores.paths.size(); ++i)
    check_store(index, index.add(stores.paths[i]), stores.layer, stores.cells[i], kept, sizes,
                bands);
  // The levels above, each round from the last level made, in cells of 4096 pixels.
  std::vector<std::string> scratch;
  auto clean = [&] {
    std::error_code ec;
    for (const auto& f : scratch) std::filesystem::remove(f, ec);
  };
  try {
    if (!stores.sources.empty()) {
      // The tiles over pixels where `src` is not what a store encoded, encoded again from it,
      // with the pixels their cells keep.
      std::vector<Window> cells;
      std::vector<TileSet> differ;
      for (std::size_t i = 0; i < stores.paths.size(); ++i) {
        const auto d = differing_tiles(src, stores.sources.at(i), stores.cells[i], format, bands);
        for (std::size_t c = 0; c < d.size(); ++c)
          if (!d[c].empty()) cells.push_back(stores.cells[i][c]), differ.push_back(d[c]);
      }
      if (!cells.empty()) {
        const std::string redone = dst + ".redone.tiles";
        scratch.push_back(redone);
        encode_cells(src, format, 0, 0, top, cells, stores.cell, redone, &differ);
        index.add(redone, /*replaces=*/true);
      }
    }
    for (int level = kept; level < top; level = std::min(level + 3, top)) {
      const std::string base = dst + ".level" + std::to_string(level);
      scratch.push_back(base + ".tif");
      scratch.push_back(base + ".tiles");
      write_level(index, level, sizes[level].first, sizes[level].second, bands, base + ".tif");
      encode_cells(base + ".tif", format, level, level + 1, top,
                   cells_over(sizes[level].first, sizes[level].second, 4096), 4096, base + ".tiles");
      index.add(base + ".tiles");
    }
    write_file(dst, src, format, bands, index, sizes);
  } catch (...) {
    scratch.push_back(dst);
    clean();
    throw;
  }
  clean();
}

namespace {

/// A scratch file, removed when this goes out of scope, whether the work succeeded or threw.
struct RemovedOnExit {
  std::string path;
  ~RemovedOnExit() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

}  // namespace

void write_cog_of(const std::string& src, const CogFormat& format, const std::string& dst) {
  CogTileStores stores;
  stores.cell = 4096;
  {
    DatasetPtr ds = open_raster(src);
    stores.cells = {cells_over(ds->GetRasterXSize(), ds->GetRasterYSize(), stores.cell)};
  }
  stores.paths = {dst + ".tiles"};
  stores.layer = std::filesystem::path(src).filename().string();
  const RemovedOnExit store{stores.paths[0]};
  encode_cog_tiles(src, format, stores.cells[0], stores.cell, stores.paths[0]);
  assemble_cog(src, format, stores, dst);
}

void write_cog_of_pixels(const RasterLayout& layout, const void* pixels, const CogFormat& format,
                         const std::string& dst) {
  const RemovedOnExit scratch{dst + ".scratch.tif"};
  RasterLayout l = layout;
  l.compress = "NONE";
  {
    BlockRasterWriter w(scratch.path, l);
    w.write({0, 0, l.grid.width, l.grid.height}, pixels);
    w.close();
  }
  write_cog_of(scratch.path, format, dst);
}

std::string cog_codec_versions() {
  return std::string("libdeflate ") + LIBDEFLATE_VERSION_STRING + ", libjpeg-turbo " +
         std::to_string(LIBJPEG_TURBO_VERSION_NUMBER);
}

}  // namespace farmwatch::io
