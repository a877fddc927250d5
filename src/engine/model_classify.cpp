#include "farmwatch/engine/model_classify.h"

#include <tbb/enumerable_thread_specific.h>

#include <algorithm>
#include <array>
#include <numeric>
#include <optional>
#include <random>

#include "farmwatch/core/error.h"
#include "farmwatch/engine/landuse_change.h"
#include "farmwatch/io/class_table_io.h"
#include "farmwatch/io/raster_writer.h"

namespace farmwatch::engine {
namespace {

/// Every band of every date, one reader per date. One per thread.
class StackReader {
 public:
  StackReader(const Grid& grid, const std::vector<io::ImageInfo>& dates)
      : grid_(grid), dates_(dates) {
    for (const auto& d : dates) readers_.emplace_back(d, grid, io::Resampling::reflectance);
  }

  /// The dates of window `w`, with their local context (read with a halo, then cropped, so it
  /// does not depend on the blocks).
  void read(const Window& w, std::vector<DateBands>& out) {
    const int h = kContextHalo;
    const int c0 = std::max(0, w.col - h), r0 = std::max(0, w.row - h);
    const Window big{c0, r0, std::min(grid_.width, w.col + w.width + h) - c0,
                     std::min(grid_.height, w.row + w.height + h) - r0};
    read_window(big, out);
    for (auto& d : out) {
      add_context(d, big.width, big.height);
      for (auto& b : d.bands) crop(big, w, b);
      for (auto* v : {&d.ndvi_mean, &d.ndvi_std, &d.nir_std}) crop(big, w, *v);
    }
  }

 private:
  static void crop(const Window& from, const Window& to, std::vector<float>& v) {
    if (v.empty() || from == to) return;
    std::vector<float> o(static_cast<std::size_t>(to.pixels()));
    for (int y = 0; y < to.height; ++y) {
      const auto src = v.begin() + static_cast<std::ptrdiff_t>(y + to.row - from.row) * from.width +
                       (to.col - from.col);
      std::copy(src, src + to.width, o.begin() + static_cast<std::ptrdiff_t>(y) * to.width);
    }
    v = std::move(o);
  }

  void read_window(const Window& w, std::vector<DateBands>& out) {
    out.resize(dates_.size());
    for (std::size_t d = 0; d < dates_.size(); ++d) {
      const io::ImageInfo& info = dates_[d];
      // Roles through the reflectance reader, for its quality mask; all bands raw, with the
      // image's DN rule (the rule of its first mapped band for bands without a role).
      readers_[d].read_reflectance(w, roles_, &state_);
      io::Calibration cal;
      for (std::size_t r = 0; r < kRoleCount; ++r)
        if (info.bands.index[r]) {
          cal = info.calibration[r];
          break;
        }
      DateBands& db = out[d];
      db.bands.resize(static_cast<std::size_t>(info.band_count));
      for (std::size_t r = 0; r < kRoleCount; ++r) db.role_band[r] = info.bands.index[r];
      for (int b = 1; b <= info.band_count; ++b) {
        auto& plane = db.bands[static_cast<std::size_t>(b - 1)];
        // A role band is already read, calibrated and masked: not read again.
        const auto role = std::find(info.bands.index.begin(), info.bands.index.end(), b);
        if (role != info.bands.index.end()) {
          plane = roles_.planes[static_cast<std::size_t>(role - info.bands.index.begin())];
          continue;
        }
        readers_[d].read_raw(w, b, plane);
        const auto m = static_cast<float>(cal.mult), a = static_cast<float>(cal.add);
        for (std::size_t i = 0; i < plane.size(); ++i)
          plane[i] = state_[i] == PixelState::clear ? plane[i] * m + a : kNaN;
      }
    }
  }

  const Grid& grid_;
  const std::vector<io::ImageInfo>& dates_;
  std::vector<io::GridReader> readers_;
  ReflectanceBlock roles_;
  std::vector<PixelState> state_;
};

}  // namespace

FeatureLayout feature_layout(const std::vector<io::ImageInfo>& dates) {
  FeatureLayout l;
  for (const auto& d : dates) {
    l.bands_per_date.push_back(d.band_count);
    l.roles_per_date.push_back(d.bands.index);
  }
  return l;
}

TrainingSet collect_samples(const Grid& grid, const std::vector<io::ImageInfo>& dates,
                            const std::vector<std::uint8_t>& labels, std::int64_t max_per_class,
                            int interior) {
  TrainingSet set;
  set.per_class.assign(256, 0);
  std::vector<std::vector<std::size_t>> where(256), edge(256);
  // Pixels on the rim of a labelled area mix it with its neighbours: with `interior`, only
  // pixels whose neighbours within that distance carry the same label train, unless that
  // leaves a class under a quarter of its pixels (or 50), as with narrow or tiny areas.
  const int erode = interior;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == 0 || labels[i] == 255) continue;
    const int x = static_cast<int>(i % grid.width), y = static_cast<int>(i / grid.width);
    bool inner = true;
    for (int dy = -erode; dy <= erode && inner; ++dy)
      for (int dx = -erode; dx <= erode && inner; ++dx) {
        const int xx = x + dx, yy = y + dy;
        inner = xx >= 0 && yy >= 0 && xx < grid.width && yy < grid.height &&
                labels[static_cast<std::size_t>(yy) * grid.width + xx] == labels[i];
      }
    (inner ? where : edge)[labels[i]].push_back(i);
  }
  for (int c = 1; c < 255; ++c) {
    auto& in = where[static_cast<std::size_t>(c)];
    auto& rim = edge[static_cast<std::size_t>(c)];
    if (in.size() < std::max<std::size_t>(50, (in.size() + rim.size()) / 4)) {
      in.insert(in.end(), rim.begin(), rim.end());
      std::sort(in.begin(), in.end());
    }
  }
  std::vector<std::size_t> chosen;
  std::mt19937_64 rng(20141101);  // fixed: the same labels give the same samples
  for (int c = 1; c < 255; ++c) {
    auto& v = where[static_cast<std::size_t>(c)];
    set.per_class[static_cast<std::size_t>(c)] = static_cast<std::int64_t>(v.size());
    if (static_cast<std::int64_t>(v.size()) > max_per_class) {
      std::shuffle(v.begin(), v.end(), rng);
      v.resize(static_cast<std::size_t>(max_per_class));
    }
    chosen.insert(chosen.end(), v.begin(), v.end());
  }
  std::sort(chosen.begin(), chosen.end());
  if (chosen.empty()) throw InputError("no labelled pixel on the images' grid");
  const FeatureLayout layout = feature_layout(dates);
  const std::size_t nf = layout.size();
  StackReader reader(grid, dates);
  std::vector<DateBands> block;
  // Row strips holding chosen pixels, read once each.
  constexpr int kRows = 64;
  std::size_t k = 0;
  for (int row = 0; row < grid.height && k < chosen.size(); row += kRows) {
    const Window w{0, row, grid.width, std::min(kRows, grid.height - row)};
    const std::size_t end = static_cast<std::size_t>(row + w.height) * grid.width;
    if (chosen[k] >= end) continue;
    reader.read(w, block);
    for (; k < chosen.size() && chosen[k] < end; ++k) {
      const std::size_t i = chosen[k] - static_cast<std::size_t>(row) * grid.width;
      const std::size_t at = set.features.size();
      set.features.resize(at + nf);
      pixel_features(layout, block, i, set.features.data() + at);
      if (set.features[at + nf - 1] == 0) {  // no date observed it (cloud, no data)
        set.features.resize(at);
        continue;
      }
      set.labels.push_back(labels[chosen[k]]);
    }
  }
  if (set.labels.empty()) throw InputError("every labelled pixel is cloud or no data");
  return set;
}

void check_model_fits(const RandomForest& model, const std::string& model_path,
                      const std::vector<io::ImageInfo>& dates) {
  const auto& mi = model.info();
  if (dates.size() != mi.layout.bands_per_date.size())
    throw InputError("model '" + model_path + "' was trained on " +
                     std::to_string(mi.layout.bands_per_date.size()) + " date(s); " +
                     std::to_string(dates.size()) + " given");
  for (std::size_t d = 0; d < dates.size(); ++d)
    if (dates[d].band_count != mi.layout.bands_per_date[d] ||
        dates[d].bands.index != mi.layout.roles_per_date[d])
      throw InputError("image '" + dates[d].path + "' (" + io::describe_bands(dates[d]) +
                       ") does not fit model '" + model_path + "', trained on date " +
                       std::to_string(d + 1) + " with " + mi.date_descriptions[d]);
}

RandomForest load_model(const std::string& path) {
  try {
    return RandomForest::load(path);
  } catch (const std::runtime_error& e) {
    throw InputError(e.what());
  }
}

std::vector<std::int64_t> run_model_classify(const Grid& grid,
                                             const std::vector<io::ImageInfo>& dates,
                                             const RandomForest& model, const std::string& out,
                                             const EngineOptions& opt, const Log& log,
                                             const std::string& votes_out) {
  const FeatureLayout layout = feature_layout(dates);
  if (layout.names() != model.info().layout.names())
    throw InputError("the model was trained on other input: it expects " +
                     std::to_string(model.info().layout.bands_per_date.size()) +
                     " date(s) with features " + std::to_string(model.info().layout.size()) +
                     ", these images give " + std::to_string(layout.size()));
  tbb::enumerable_thread_specific<StackReader> readers([&] { return StackReader(grid, dates); });
  io::RasterLayout l;
  l.grid = grid;
  l.nodata = 255;
  l.description = "land use (codes of the training labels)";
  l.compress = "NONE";
  l.sparse = opt.windows.has_value();  // a shard writes only its windows
  l.metadata["FARMWATCH_LAYER"] = "landuse";
  const ClassTable classes = model_class_table(model.info().classes);
  l.metadata["FARMWATCH_CLASSES"] = io::class_table_metadata(classes);
  l.colors = landuse_colors(classes);
  std::optional<io::BlockRasterWriter> writer;
  if (!out.empty()) writer.emplace(out, l);
  std::optional<io::BlockRasterWriter> votes_writer;
  if (!votes_out.empty()) {
    io::RasterLayout vl;
    vl.grid = grid;
    vl.bands = 4;
    vl.nodata = 255;
    vl.compress = "NONE";
    vl.sparse = opt.windows.has_value();
    vl.description = "forest votes: class, share %, runner-up, share %";
    votes_writer.emplace(votes_out, vl);
  }
  std::vector<std::int64_t> counts(256, 0);
  const std::size_t nf = layout.size();
  struct Out {
    std::vector<std::uint8_t> codes;
    std::array<std::vector<std::uint8_t>, 4> votes;  // first, p_first, second, p_second
  };
  for_each_block(
      grid, opt,
      [&](const Window& w) {
        std::vector<DateBands> block;
        readers.local().read(w, block);
        const auto n = static_cast<std::size_t>(w.pixels());
        std::vector<float> f(n * nf);
        for (std::size_t i = 0; i < n; ++i) pixel_features(layout, block, i, f.data() + i * nf);
        Out o;
        if (writer) {
          o.codes.resize(n);
          model.predict(f.data(), n, o.codes.data());
        }
        if (votes_writer) {
          std::vector<ClassVotes> v(n);
          model.predict_votes(f.data(), n, v.data());
          for (auto& plane : o.votes) plane.resize(n);
          for (std::size_t i = 0; i < n; ++i) {
            o.votes[0][i] = v[i].first;
            o.votes[1][i] = v[i].p_first;
            o.votes[2][i] = v[i].second;
            o.votes[3][i] = v[i].p_second;
          }
          if (!writer) o.codes = o.votes[0];  // the forest is asked once
        }
        return o;
      },
      [&](const Window& w, Out&& o) {
        if (writer) writer->write(w, o.codes.data());
        for (auto c : o.codes) ++counts[c];
        if (votes_writer)
          for (int b = 0; b < 4; ++b) votes_writer->write(w, o.votes[b].data(), b + 1);
      });
  if (writer) writer->close();
  if (votes_writer) votes_writer->close();
  log.debug("mapped " + std::to_string(grid.width) + " x " + std::to_string(grid.height));
  return counts;
}

}  // namespace farmwatch::engine
