#include "farmwatch/engine/landuse_change.h"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>

#include "farmwatch/core/error.h"
#include "farmwatch/core/quality_mask.h"
#include "farmwatch/io/change_sieve.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/gdal_setup.h"
#include "farmwatch/io/raster_writer.h"

namespace farmwatch::engine {

std::vector<std::pair<std::uint8_t, Rgba>> landuse_colors(const ClassTable& t) {
  std::vector<std::pair<std::uint8_t, Rgba>> c;
  for (const auto& lc : t.classes()) c.emplace_back(lc.code, lc.color);
  c.emplace_back(kNodataCode, Rgba{0, 0, 0, 0});
  return c;
}

std::vector<std::pair<std::uint8_t, Rgba>> change_colors() {
  std::vector<std::pair<std::uint8_t, Rgba>> c = {{0, {0, 0, 0, 0}}};
  for (auto cat : {ChangeCategory::non_agricultural, ChangeCategory::non_grain,
                   ChangeCategory::other})
    c.emplace_back(static_cast<std::uint8_t>(cat), *Rgba::parse(category_color(cat)));
  c.emplace_back(255, Rgba{0, 0, 0, 0});
  return c;
}

namespace {

/// Readers private to one worker thread.
struct Readers {
  std::vector<io::MosaicReader> images;
  std::optional<io::GridReader> parcels;
  std::vector<std::optional<io::GridReader>> votes;  ///< per date, when a model classified it
};

/// A learned model's votes of one block: class, its probability, runner-up, its probability.
struct VotePlanes {
  std::array<std::vector<std::uint8_t>, 4> band;
  ClassProbabilities view() const { return {&band[0], &band[1], &band[2], &band[3]}; }
};

struct BlockOut {
  std::vector<std::vector<std::uint8_t>> classes;
  std::vector<std::vector<std::uint8_t>> sources;  ///< per date: scene of each pixel
  std::vector<std::vector<std::uint16_t>> rgb;     ///< per date: red, green, blue planes
  std::vector<std::int64_t> cloud;                 ///< per date: pixels lost to cloud
  ChangeOutputs change;
  std::vector<std::uint8_t> candidates;
  std::vector<float> delta;  ///< change vector planes one after the other (delta_out)
};

/// `w` grown by `px` on every side, within the grid.
Window grow(const Window& w, int px, const Grid& g) {
  const int c0 = std::max(0, w.col - px), r0 = std::max(0, w.row - px);
  return {c0, r0, std::min(g.width, w.col + w.width + px) - c0,
          std::min(g.height, w.row + w.height + px) - r0};
}

/// Keeps the part of `v` (laid out over `from`) inside `to`; empty stays empty.
template <typename T>
void crop(const Window& from, const Window& to, std::vector<T>& v) {
  if (v.empty()) return;
  std::vector<T> out(static_cast<std::size_t>(to.pixels()));
  for (int y = 0; y < to.height; ++y) {
    const auto src = v.begin() + static_cast<std::ptrdiff_t>(y + to.row - from.row) * from.width +
                     (to.col - from.col);
    std::copy(src, src + to.width, out.begin() + static_cast<std::ptrdiff_t>(y) * to.width);
  }
  v = std::move(out);
}

io::RasterLayout byte_layout(const Grid& grid, std::string description, std::uint8_t nodata) {
  io::RasterLayout l;
  l.grid = grid;
  l.nodata = nodata;
  l.description = std::move(description);
  l.compress = "NONE";  // scratch: read once more, then converted to COG or discarded
  return l;
}

/// A land-use raster's layout: class codes with their colours and the class table.
io::RasterLayout landuse_layout(const Grid& grid, const ClassTable& classes) {
  io::RasterLayout l = byte_layout(grid, "land use", kNodataCode);
  l.colors = landuse_colors(classes);
  l.metadata["FARMWATCH_LAYER"] = "landuse";
  l.metadata["FARMWATCH_CLASSES"] = io::class_table_metadata(classes);
  return l;
}

/// The change raster's layout: categories with their colours; no change transparent on maps.
io::RasterLayout change_layout(const Grid& grid) {
  io::RasterLayout l = byte_layout(grid, "change: 0 none, 1 非农化, 2 非粮化, 3 other", 255);
  l.colors = change_colors();
  l.metadata["FARMWATCH_LAYER"] = "change";
  l.metadata["FARMWATCH_TRANSPARENT_VALUES"] = "0";  // web map overlays show change only
  return l;
}

}  // namespace

namespace {
/// Bytes of one sample of a GDAL data type name (2 if unknown).
int sample_bytes(const std::string& type) {
  if (type == "Byte" || type == "Int8") return 1;
  if (type == "UInt32" || type == "Int32" || type == "Float32") return 4;
  if (type == "Float64" || type == "UInt64" || type == "Int64" || type == "CInt32" ||
      type == "CFloat32")
    return 8;
  if (type == "CFloat64") return 16;
  return 2;
}
}  // namespace

namespace {

/// The candidates value of a pixel with no change category (io::is_sky_only): its sky bits where
/// `before` or `after` is a class that is no observation (the rules' cloud) and that date
/// gained white light against the other (temporal_cloud_flags); 0 otherwise.
std::uint8_t sky_only(const ClassTable& classes, std::uint8_t before, std::uint8_t after,
                      const ReflectanceBlock& a, const ReflectanceBlock& b, std::size_t i) {
  if (before == kNodataCode || after == kNodataCode) return 0;
  if (classes.observed(before) && classes.observed(after)) return 0;
  const std::uint8_t bits = temporal_cloud_flags(a, b, i);
  if (!cloud_core(classes, before, after, bits)) return 0;
  // Its cloud bits only: a shadow's pattern test never ran here.
  return static_cast<std::uint8_t>((bits & (kCloudEarlier | kCloudLater)) << io::kSkyShift);
}

/// The mean of blue, green and red per pixel (NaN where one is missing); empty without them.
std::vector<float> visible_brightness(const ReflectanceBlock& b) {
  if (!b.has(BandRole::blue) || !b.has(BandRole::green) || !b.has(BandRole::red)) return {};
  const auto &bl = b.plane(BandRole::blue), &g = b.plane(BandRole::green),
             &r = b.plane(BandRole::red);
  std::vector<float> out(bl.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = (bl[i] + g[i] + r[i]) / 3.0f;
  return out;
}

}  // namespace

void true_colour(const ReflectanceBlock& b, std::vector<std::uint16_t>& out) {
  if (!b.has(BandRole::red) || !b.has(BandRole::green)) return;
  const BandRole roles[3] = {BandRole::red, BandRole::green,
                             b.has(BandRole::blue) ? BandRole::blue : BandRole::green};
  const std::size_t n = b.plane(BandRole::red).size();
  out.assign(3 * n, 0);
  for (std::size_t k = 0; k < n; ++k) {
    bool valid = true;
    for (const BandRole r : roles) valid = valid && std::isfinite(b.plane(r)[k]);
    if (!valid) continue;
    for (int i = 0; i < 3; ++i) {
      const float v = std::round(b.plane(roles[i])[k] * 10000.0f);
      out[i * n + k] = static_cast<std::uint16_t>(std::clamp(v, 1.0f, 65535.0f));
    }
  }
}

std::vector<BandRole> change_vector_roles(const LanduseChangeJob& job) {
  std::vector<BandRole> roles;
  if (job.images.size() != 2 || job.images[0].is_class_map() || job.images[1].is_class_map())
    return roles;
  const io::BandMap before = job.images[0].common_roles(), after = job.images[1].common_roles();
  for (std::size_t r = 0; r < kRoleCount; ++r)
    if (before.index[r] && after.index[r]) roles.push_back(static_cast<BandRole>(r));
  return roles;
}

LanduseChangeStats run_landuse_change(const LanduseChangeJob& job, const EngineOptions& opt,
                                      const Log& log) {
  const bool with_change = job.change && job.images.size() == 2;
  if (job.images.empty() || job.landuse_out.size() != job.images.size())
    throw std::logic_error("run_landuse_change: one land-use output per image");

  // Each thread reads its blocks with a halo (the spectral test's median and shifts reach a few
  // pixels across block edges), so it touches the block rows above and below, through its own
  // datasets: unless GDAL's cache holds those block rows of every image per thread, a file block
  // is decompressed up to nine times. Three block rows, and a fourth where the blocks in flight
  // span two rows. An LRU cache a little short of that evicts every block before its reuse:
  // two 21960² dates on two threads with a 1 GB cap took 106-119 s in this pass, 94 s with
  // 1.8 GB. The blocks it writes leave the cache as soon as they are complete
  // (BlockRasterWriter), so they need no room: counting a block row of every output as well
  // made the cache 504 MB instead of 392 for two 5490² dates on two threads (1.9 GB instead of
  // 1.5 at 21960²), with the pass no faster (three alternating runs at 5490², one at 21960²),
  // and the nightly's peak memory higher. GDAL_CACHEMAX wins.
  std::int64_t rows_bytes = 0;
  for (const auto& m : job.images)
    for (const auto& s : m.scenes)
      rows_bytes += std::int64_t(4) * s.grid.width * opt.block_size * s.band_count *
                    sample_bytes(s.data_type);
  // A shard reads only its cells: the most blocks it touches in one block row, as a share of
  // the grid's width (cells smaller than a block still read whole blocks).
  if (opt.windows && job.grid.width > 0 && opt.block_size > 0) {
    std::map<int, std::set<int>> touched;  // block row -> block columns
    for (const Window& w : *opt.windows)
      for (int r = w.row / opt.block_size; r <= (w.row + w.height - 1) / opt.block_size; ++r)
        for (int c = w.col / opt.block_size; c <= (w.col + w.width - 1) / opt.block_size; ++c)
          touched[r].insert(c);
    std::int64_t widest = 0;
    for (const auto& [row, cols] : touched)
      widest = std::max<std::int64_t>(widest, std::int64_t(cols.size()) * opt.block_size);
    rows_bytes = rows_bytes * std::min<std::int64_t>(widest, job.grid.width) / job.grid.width;
  }
  io::ScopedBlockCache cache(io::ScopedBlockCache::grown_to(
      rows_bytes * ThreadLimit::current() + (std::int64_t(32) << 20)));

  tbb::enumerable_thread_specific<Readers> readers([&] {
    Readers r;
    for (const auto& m : job.images)
      r.images.emplace_back(
          m, job.grid, m.is_class_map() ? io::Resampling::nearest : io::Resampling::reflectance);
    auto on_grid = [&](const std::string& path) {
      io::ImageInfo p;
      p.path = path;
      p.grid = job.grid;
      p.made_here = true;
      return io::GridReader(p, job.grid, io::Resampling::nearest);
    };
    if (with_change && !job.parcels.empty()) r.parcels.emplace(on_grid(job.parcels));
    r.votes.resize(job.images.size());
    for (std::size_t i = 0; i < job.votes.size() && i < job.images.size(); ++i)
      if (!job.votes[i].empty()) r.votes[i].emplace(on_grid(job.votes[i]));
    return r;
  });

  // Every output's layout: sparse when a shard writes only its windows.
  auto layout_of = [&](std::string description, std::uint8_t nodata) {
    io::RasterLayout l = byte_layout(job.grid, std::move(description), nodata);
    l.sparse = opt.windows.has_value();
    return l;
  };
  const ClassTable& classes = job.classifier->classes();
  std::vector<io::BlockRasterWriter> landuse;
  for (std::size_t i = 0; i < job.images.size(); ++i) {
    auto layout = landuse_layout(job.grid, classes);
    layout.sparse = opt.windows.has_value();
    landuse.emplace_back(job.landuse_out[i], layout);
  }
  std::vector<std::optional<io::BlockRasterWriter>> sources(job.images.size());
  for (std::size_t i = 0; i < job.source_out.size() && i < job.images.size(); ++i) {
    if (job.source_out[i].empty()) continue;
    auto layout = layout_of(
        "scene of each pixel: 1.." + std::to_string(job.images[i].scenes.size()) + ", 0 none clear",
        255);
    layout.metadata["FARMWATCH_LAYER"] = "source";
    for (std::size_t k = 0; k < job.images[i].scenes.size(); ++k)
      layout.metadata["FARMWATCH_SCENE_" + std::to_string(k + 1)] = job.images[i].scenes[k].path;
    sources[i].emplace(job.source_out[i], layout);
  }
  std::vector<std::optional<io::BlockRasterWriter>> rgb(job.images.size());
  for (std::size_t i = 0; i < job.rgb_out.size() && i < job.images.size(); ++i) {
    if (job.rgb_out[i].empty() || job.images[i].is_class_map()) continue;
    io::RasterLayout l = layout_of("", 0);
    l.type = io::PixelType::u16;
    l.bands = 3;
    for (const char* band : {"Red", "Green", "Blue"})
      l.band_info.push_back({std::string(band) + " reflectance x 10000", std::nullopt,
                             std::nullopt, std::nullopt, band, {}});
    rgb[i].emplace(job.rgb_out[i], l);
  }
  std::optional<io::BlockRasterWriter> change, candidates, evidence, class_confidence;
  const bool with_votes =
      with_change && job.votes.size() == 2 && !job.votes[0].empty() && !job.votes[1].empty();
  if (with_change) {
    auto cl = change_layout(job.grid);
    cl.sparse = opt.windows.has_value();
    change.emplace(job.change_out, cl);
    candidates.emplace(job.candidates_out, layout_of("change candidates", 0));
    evidence.emplace(job.evidence_out, layout_of("spectral change evidence", 255));
    if (with_votes)
      class_confidence.emplace(job.class_confidence_out,
                               layout_of("probability of the transition %", 255));
  }

  // The change vector's roles: those both dates' composites fill.
  std::vector<BandRole> delta_roles;
  std::optional<io::BlockRasterWriter> delta;
  if (with_change && !job.delta_out.empty()) {
    delta_roles = change_vector_roles(job);
    io::RasterLayout l = layout_of("", 0);
    l.nodata.reset();
    l.type = io::PixelType::f32;
    for (BandRole role : delta_roles)
      l.band_info.push_back({std::string("after - before reflectance, ") + role_name(role),
                             std::nullopt, std::nullopt, std::nullopt, "", {}});
    l.bands = static_cast<int>(delta_roles.size());
    // Read later in small windows (a patch's boundary refinement, the sieve's cloud screening
    // along cell edges): at 16 bytes a pixel, a 512² block is 4 MB read for every patch that
    // touches it. 128² blocks read a sixteenth of that; the pass writes whole blocks either way.
    l.block_size = 128;
    if (!delta_roles.empty()) delta.emplace(job.delta_out, l);
  }

  LanduseChangeStats stats;
  stats.class_pixels.resize(job.images.size());
  stats.cloud_pixels.assign(job.images.size(), 0);
  stats.source_pixels.resize(job.images.size());
  for (std::size_t i = 0; i < job.images.size(); ++i)
    stats.source_pixels[i].assign(job.images[i].scenes.size() + 1, 0);
  const bool spectral =
      with_change && job.spectral && !job.images[0].is_class_map() && !job.images[1].is_class_map();
  auto compute = [&](const Window& w) {
    Readers& r = readers.local();
    BlockOut out;
    std::vector<ReflectanceBlock> refl(job.images.size());
    out.classes.resize(job.images.size());
    out.sources.resize(job.images.size());
    out.rgb.resize(job.images.size());
    out.cloud.assign(job.images.size(), 0);
    std::vector<PixelState> state;
    // The spectral test's 3 x 3 median needs one pixel around the block, its shifts
    // job.spectral->shift_px more: read with them, test, then crop everything to the block.
    const Window rw = spectral ? grow(w, 1 + job.spectral->shift_px, job.grid) : w;
    std::vector<std::uint8_t> tested, seeds;
    for (std::size_t i = 0; i < job.images.size(); ++i) {
      if (job.images[i].is_class_map()) {
        r.images[i].read_bytes(w, out.classes[i]);
        refl[i].window = w;
      } else {
        r.images[i].read_reflectance(rw, refl[i], &out.sources[i], &state);
        if (rw != w) {
          crop(rw, w, state);
          crop(rw, w, out.sources[i]);
        }
        for (auto s : state) out.cloud[i] += s == PixelState::cloud;
      }
    }
    // Each date's mean visible brightness over the read window, for the shadow test's pattern.
    std::array<std::vector<float>, 2> brightness;
    if (spectral) {
      spectral_change_test(*job.spectral, refl[0], refl[1], rw.width, rw.height, tested, &seeds);
      crop(rw, w, tested);
      crop(rw, w, seeds);
      for (std::size_t d = 0; d < 2; ++d) brightness[d] = visible_brightness(refl[d]);
    }
    std::vector<VotePlanes> votes(job.images.size());
    for (std::size_t i = 0; i < job.images.size(); ++i) {
      if (job.images[i].is_class_map()) continue;
      if (rw != w) {
        for (auto& plane : refl[i].planes) crop(rw, w, plane);
        refl[i].window = w;
      }
      if (rgb[i]) true_colour(refl[i], out.rgb[i]);
      if (r.votes[i]) {
        for (int b = 0; b < 4; ++b) r.votes[i]->read_bytes(w, votes[i].band[b], b + 1);
        out.classes[i] = votes[i].band[0];
      } else {
        job.classifier->classify(refl[i], out.classes[i]);
      }
    }
    if (with_change) {
      std::vector<std::uint32_t> parcels;
      ChangeInputs in{&out.classes[0], &out.classes[1], nullptr, nullptr, nullptr};
      if (r.parcels) {
        r.parcels->read_u32(w, parcels);
        in.parcels = &parcels;
      }
      if (!job.images[0].is_class_map() && !job.images[1].is_class_map()) {
        in.before_refl = &refl[0];
        in.after_refl = &refl[1];
      }
      if (delta) {
        const std::size_t n = static_cast<std::size_t>(w.pixels());
        out.delta.resize(delta_roles.size() * n);
        for (std::size_t k = 0; k < delta_roles.size(); ++k) {
          const auto& a = refl[0].plane(delta_roles[k]);
          const auto& b = refl[1].plane(delta_roles[k]);
          for (std::size_t i = 0; i < n; ++i) out.delta[k * n + i] = b[i] - a[i];
        }
      }
      if (spectral) in.spectral = &tested;
      in.classes_reliable = job.classes_reliable;
      ClassProbabilities pb, pa;
      if (with_votes) {
        pb = votes[0].view();
        pa = votes[1].view();
        in.before_prob = &pb;
        in.after_prob = &pa;
      }
      job.change->compute(in, out.change);
      if (!out.change.before.empty()) {
        out.classes[0] = std::move(out.change.before);
        out.classes[1] = std::move(out.change.after);
      }
      out.candidates = out.change.category;
      // What io::sieve_change reads: the seeds and, for its cloud screening, the sky bits.
      const bool sky = spectral && in.before_refl && in.after_refl;
      for (std::size_t i = 0; i < out.candidates.size(); ++i) {
        auto& v = out.candidates[i];
        if (v == 255) {
          v = 0;
          // A pixel the rules call cloud in one date (no observation: no data in change.tif)
          // that gained white light there against the other date: the screening judges it with
          // the change regions it touches (a cloud's thin edge is change to the rules), never
          // reports it (io::is_sky_only).
          if (sky && job.classes_reliable)
            v = sky_only(classes, out.classes[0][i], out.classes[1][i], refl[0], refl[1], i);
          continue;
        }
        if (!v) continue;
        if (!seeds.empty() && seeds[i]) v |= io::kSeedBit;
        if (!sky) continue;
        const std::uint8_t bits = temporal_cloud_flags(refl[0], refl[1], i);
        v |= static_cast<std::uint8_t>(bits << io::kSkyShift);
        if (bits & (kShadowEarlier | kShadowLater)) {
          if (!brightness[0].empty() && !brightness[1].empty() &&
              ground_pattern_kept(brightness[0].data(), brightness[1].data(), rw.width, rw.height,
                                  static_cast<int>(i % w.width) + w.col - rw.col,
                                  static_cast<int>(i / w.width) + w.row - rw.row))
            v |= io::kPatternKeptBit;
        } else if (bits == 0 && (v & 0x03) == static_cast<std::uint8_t>(ChangeCategory::other) &&
                   seasonal_transition(*job.spectral, refl[0], refl[1], i)) {
          // Other change only: a transition the classes name (非农化, 非粮化) is not the season's;
          // nor a pixel that looks like cloud or shadow (the screening judges it).
          v |= io::kSeasonalBit;
        }
      }
    }
    return out;
  };
  auto write = [&](const Window& w, BlockOut&& out) {
    for (std::size_t i = 0; i < landuse.size(); ++i) {
      landuse[i].write(w, out.classes[i].data());
      for (auto v : out.classes[i]) ++stats.class_pixels[i][v];
      stats.cloud_pixels[i] += out.cloud[i];
      for (auto v : out.sources[i]) ++stats.source_pixels[i][v];
      if (sources[i] && !out.sources[i].empty()) sources[i]->write(w, out.sources[i].data());
      if (rgb[i] && !out.rgb[i].empty()) {
        const std::size_t n = static_cast<std::size_t>(w.pixels());
        for (int b = 0; b < 3; ++b) {
          const std::uint16_t* plane = out.rgb[i].data() + b * n;
          rgb[i]->write(w, plane, b + 1);
        }
      }
    }
    if (with_change) {
      change->write(w, out.change.category.data());
      candidates->write(w, out.candidates.data());
      evidence->write(w, out.change.evidence.data());
      if (class_confidence) class_confidence->write(w, out.change.class_confidence.data());
      const std::size_t n = static_cast<std::size_t>(w.pixels());
      for (std::size_t k = 0; delta && k < delta_roles.size(); ++k)
        delta->write(w, out.delta.data() + k * n, static_cast<int>(k) + 1);
      for (auto v : out.change.category) ++stats.change_pixels[v];
    }
  };
  std::size_t last_pct = 0;
  for_each_block(job.grid, opt, compute, write, [&](std::size_t done, std::size_t total) {
    const std::size_t pct = 100 * done / total;
    if (pct >= last_pct + 10 || done == total) {
      log.debug(std::to_string(pct) + "% of " + std::to_string(total) + " blocks");
      last_pct = pct;
    }
  });
  for (auto& w : landuse) w.close();
  for (auto& w : sources)
    if (w) w->close();
  for (auto& w : rgb)
    if (w) w->close();
  if (with_change) {
    change->close();
    candidates->close();
    evidence->close();
    if (class_confidence) class_confidence->close();
    if (delta) delta->close();
  }
  for (auto& r : readers)
    for (auto& g : r.images) stats.warped = stats.warped || g.warped();
  return stats;
}

namespace {
/// Writes one whole-grid Byte raster of the run's scratch (`data`: a pixel of `layout.grid`
/// each, row-major). std::invalid_argument naming `what` if the size differs.
void write_whole_grid(const std::string& path, const io::RasterLayout& layout,
                      const std::vector<std::uint8_t>& data, const char* what) {
  const Window all{0, 0, layout.grid.width, layout.grid.height};
  if (data.size() != static_cast<std::size_t>(all.pixels()))
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(data.size()) +
                                " pixels for a grid of " + std::to_string(all.pixels()));
  io::BlockRasterWriter w(path, layout);
  w.write(all, data.data());
  w.close();
}
}  // namespace

std::array<std::int64_t, 256> write_change(const LanduseChangeJob& job,
                                           const std::vector<std::uint8_t>& change,
                                           const std::vector<std::uint8_t>& evidence) {
  std::array<std::int64_t, 256> counts{};
  std::vector<std::uint8_t> candidates(change.size());
  for (std::size_t i = 0; i < change.size(); ++i) {
    ++counts[change[i]];
    candidates[i] = change[i] >= 1 && change[i] <= 3 ? change[i] : 0;
  }
  write_whole_grid(job.change_out, change_layout(job.grid), change, "write_change");
  write_whole_grid(job.candidates_out, byte_layout(job.grid, "change candidates", 0), candidates,
                   "write_change");
  write_whole_grid(job.evidence_out, byte_layout(job.grid, "change evidence", 255), evidence,
                   "write_change (evidence)");
  return counts;
}

void write_change_kinds(const LanduseChangeJob& job, const std::vector<std::uint8_t>& kinds) {
  write_whole_grid(job.change_kinds_out, byte_layout(job.grid, "change kinds", 0), kinds,
                   "write_change_kinds");
}

void write_landuse(const LanduseChangeJob& job, std::size_t date,
                   const std::vector<std::uint8_t>& classes) {
  if (date >= job.landuse_out.size())
    throw std::invalid_argument("write_landuse: no date " + std::to_string(date));
  write_whole_grid(job.landuse_out[date], landuse_layout(job.grid, job.classifier->classes()),
                   classes, "write_landuse");
}

}  // namespace farmwatch::engine
