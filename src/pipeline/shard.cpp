#include "farmwatch/pipeline/shard.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <type_traits>

#include "farmwatch/core/error.h"
#include "farmwatch/io/mosaic.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/run_context.h"
#include "farmwatch/version.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// A SeasonalSoil as JSON, and back (soil_of).
json soil_json(const SeasonalSoil& s) {
  json modes = json::array();
  for (const auto& m : s.modes)
    modes.push_back({{"median", m.median}, {"spread", m.spread}, {"pixels", m.pixels}});
  return {{"modes", modes}, {"features", s.features}, {"pixels", s.pixels}};
}
SeasonalSoil soil_of(const json& j) {
  SeasonalSoil s;
  for (const auto& m : j.at("modes"))
    s.modes.push_back({m.at("median").get<std::array<float, 4>>(),
                       m.at("spread").get<std::array<float, 4>>(),
                       m.at("pixels").get<std::int64_t>()});
  s.features = j.at("features").get<std::array<bool, 4>>();
  s.pixels = j.at("pixels").get<std::int64_t>();
  return s;
}

/// The per-pixel pass's outputs a shard keeps, as ctx.job names them (empty names skipped).
template <typename Job, typename Path = std::conditional_t<std::is_const_v<Job>, const std::string,
                                                           std::string>>
std::vector<Path*> job_outputs(Job& job) {
  std::vector<Path*> out;
  for (auto* list : {&job.landuse_out, &job.source_out, &job.rgb_out})
    for (auto& p : *list) out.push_back(&p);
  for (auto* p : {&job.change_out, &job.candidates_out, &job.evidence_out, &job.delta_out,
                  &job.class_confidence_out})
    out.push_back(p);
  out.erase(std::remove_if(out.begin(), out.end(), [](Path* p) { return p->empty(); }), out.end());
  return out;
}

/// The size and modification time of a file, or of every file in a folder (a product folder);
/// by absolute, normal path, so a merge that spells a path differently finds the same inputs.
json file_stamp(const std::string& path) {
  std::error_code ec;
  const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  auto stamp = [](const fs::path& f) {
    std::error_code e;
    const auto size = fs::file_size(f, e);
    if (e) return json{{"path", f.string()}};
    return json{{"path", f.string()},
                {"bytes", size},
                {"modified", fs::last_write_time(f, e).time_since_epoch().count()}};
  };
  if (!fs::is_directory(p, ec)) return stamp(p);
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(p, ec))
    if (e.is_regular_file(ec)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  json all = json::array();
  for (const auto& f : files) all.push_back(stamp(f));
  return {{"path", p.string()}, {"files", all}};
}

/// What the calibrations fitted before the per-pixel pass left in ctx (each scene's shift and
/// DN-to-reflectance rule, the reports, the spectral test), for the merge to take as they were.
json calibration_record(const RunContext& ctx) {
  json dates = json::array();
  for (const auto& date : ctx.images) {
    json scenes = json::array();
    for (const auto& sc : date.scenes) {
      json cal = json::array();
      for (const auto& c : sc.calibration) cal.push_back({c.mult, c.add});
      scenes.push_back({{"shift", {sc.shift_x, sc.shift_y}}, {"calibration", cal}});
    }
    dates.push_back(scenes);
  }
  json j = {{"dates", dates},
            {"coregistration", ctx.coregistration},
            {"normalisation", ctx.normalisation},
            {"spectral_report", ctx.spectral_report}};
  if (const auto& t = ctx.spectral) {
    json roles = json::array();
    for (BandRole r : t->roles) roles.push_back(static_cast<int>(r));
    j["spectral_test"] = {{"p", t->mad.p},
                          {"mean_x", t->mad.mean_x},
                          {"mean_y", t->mad.mean_y},
                          {"a", t->mad.a},
                          {"b", t->mad.b},
                          {"weight", t->mad.weight},
                          {"roles", roles},
                          {"false_alarm", t->false_alarm},
                          {"seed_false_alarm", t->seed_false_alarm},
                          {"vegetation_ndvi", t->vegetation_ndvi},
                          {"soil_nir_red", t->soil_nir_red},
                          {"seasonal_soil", soil_json(t->soil)},
                          {"shift_px", t->shift_px}};
  }
  return j;
}

}  // namespace

json spec_file_stamps(const PipelineSpec& spec) {
  json files = json::array();
  for (const auto& p :
       {spec.file, spec.classifier_source, spec.change_source, spec.model, spec.change_model})
    if (!p.empty() && fs::is_regular_file(p)) files.push_back(file_stamp(p));
  if (spec.farmland) files.push_back(file_stamp(spec.farmland->path));
  if (spec.admin) files.push_back(file_stamp(spec.admin->path));
  for (const auto& e : spec.exemptions) files.push_back(file_stamp(e.layer.path));
  return files;
}

fs::path shard_results_dir(const RunContext& ctx) {
  if (!ctx.options.shard_dir.empty()) return folder_path(ctx.options.shard_dir);
  return folder_path(ctx.options.out_dir.value_or(ctx.spec.outputs.dir)).string() + ".shards";
}

std::vector<Window> ShardPlan::windows(int index, int block) const {
  std::vector<Window> mine;
  for (std::size_t c = 0; c < cells.size(); ++c)
    if (owner[c] == index) mine.push_back(cells[c]);
  return shard_windows(mine, block);
}

ShardPlan plan_shards(const RunContext& ctx, int count) {
  ShardPlan plan;
  plan.cell = shard_cell_size(ctx.grid, count);
  plan.cells = shard_cells(ctx.grid, plan.cell);
  std::vector<std::int64_t> weight(plan.cells.size(), 0);
  for (const auto& date : ctx.images)
    for (const auto& scene : date.scenes) {
      const Window f = io::footprint_on(scene, ctx.grid);
      for (std::size_t c = 0; c < plan.cells.size(); ++c)
        weight[c] += plan.cells[c].intersect(f).pixels();
    }
  if (!ctx.job.parcels.empty()) {
    io::BlockRasterReader parcels(ctx.job.parcels);
    std::vector<std::uint32_t> v;
    for (std::size_t c = 0; c < plan.cells.size(); ++c) {
      v.resize(static_cast<std::size_t>(plan.cells[c].pixels()));
      parcels.read(plan.cells[c], 1, io::PixelType::u32, v.data());
      weight[c] += std::count_if(v.begin(), v.end(), [](std::uint32_t p) { return p != 0; });
    }
  }
  plan.owner = deal_cells(weight, (ctx.grid.width + plan.cell - 1) / plan.cell, count);
  return plan;
}

json shard_inputs(const RunContext& ctx, int count) {
  const Grid& g = ctx.grid;
  const json grid = {
      {"width", g.width}, {"height", g.height}, {"transform", g.transform.c}, {"crs", g.crs_wkt}};
  // The COG tiles' codecs with farmwatch's version: another build of them may encode other bytes.
  json inputs = {{"farmwatch_version", kVersion},
                 {"codecs", io::cog_codec_versions()},
                 {"shards", count},
                 {"cell", shard_cell_size(g, count)},
                 {"dealing", "hilbert-runs"},
                 {"grid", grid}};
  if (!ctx.options.shard_key.is_null()) {
    inputs["key"] = ctx.options.shard_key;
    return inputs;
  }
  json files = spec_file_stamps(ctx.spec);
  // Every scene named, as named (before screening drops the cloudy ones: a shard checks
  // whether its result is complete right after validation).
  for (const auto& date : ctx.spec.dates)
    for (const auto& scene : date.scenes) {
      files.push_back(file_stamp(scene.image.path));
      if (!scene.image.quality.empty()) files.push_back(file_stamp(scene.image.quality));
      if (!scene.image.metadata.empty()) files.push_back(file_stamp(scene.image.metadata));
    }
  inputs["files"] = files;
  return inputs;
}

namespace {
/// Shard `id`'s shard.json if its result is complete and from these inputs; null otherwise.
json complete_result(const fs::path& dir, const ShardId& id, const json& inputs) {
  json j = read_json_file(dir / id.name() / "shard.json");
  if (j.is_object() && j.value("complete", false) && j["inputs"] == inputs) return j;
  return nullptr;
}
}  // namespace

bool shard_complete(const fs::path& dir, const ShardId& id, const json& inputs) {
  return !complete_result(dir, id, inputs).is_null();
}

void write_shard_result(const RunContext& ctx, const ShardId& id, const ShardPlan& plan) {
  const auto& st = ctx.pixels;
  json outputs = json::array();
  for (const auto* p : job_outputs(ctx.job))
    if (fs::exists(*p)) outputs.push_back(fs::path(*p).filename().string());
  for (const auto& p : ctx.imagery)  // the imagery layers' pieces (stages/imagery.h)
    if (!p.empty() && fs::exists(p)) outputs.push_back(fs::path(p).filename().string());
  for (std::size_t i = 0, n = outputs.size(); i < n; ++i) {  // their COG tiles (in staging)
    const std::string tiles = cog_tiles_path(outputs[i].get<std::string>());
    if (fs::exists(ctx.out->staging() / tiles)) outputs.push_back(tiles);
  }
  for (const std::string& table : std::vector<std::string>{
           kCellSkyFile, kCellPatchesFile, kCellChangeFile, cog_tiles_path(kCellChangeFile)})
    if (fs::exists(ctx.out->staging() / table)) outputs.push_back(table);
  json cells = json::array();
  for (std::size_t c = 0; c < plan.cells.size(); ++c)
    if (plan.owner[c] == id.index) {
      const Window& w = plan.cells[c];
      cells.push_back({w.col, w.row, w.width, w.height});
    }
  const json j = {{"shard", id.index},
                  {"shards", id.count},
                  {"inputs", shard_inputs(ctx, id.count)},
                  {"cells", cells},
                  {"outputs", outputs},
                  {"class_pixels", st.class_pixels},
                  {"change_pixels", st.change_pixels},
                  {"source_pixels", st.source_pixels},
                  {"cloud_pixels", st.cloud_pixels},
                  {"warped", st.warped},
                  {"calibration", calibration_record(ctx)},
                  {"complete", true}};
  write_file_atomically(ctx.out->staging() / "shard.json", j.dump() + "\n");
}

namespace {

/// Every shard's complete result from these inputs; InputError naming the missing ones.
std::vector<json> complete_results(const RunContext& ctx, int count) {
  const fs::path dir = shard_results_dir(ctx);
  const json inputs = shard_inputs(ctx, count);
  std::vector<json> results;
  std::string missing;
  for (int k = 0; k < count; ++k) {
    results.push_back(complete_result(dir, ShardId{k, count}, inputs));
    if (results.back().is_null()) missing += (missing.empty() ? "" : ", ") + std::to_string(k);
  }
  if (!missing.empty())
    throw ShardResultError("'" + dir.string() + "': no complete result of shard(s) " + missing + " of " +
                     std::to_string(count) +
                     " from these inputs (not run yet, failed, or made from other inputs or "
                     "another farmwatch): run each of them (`--shard i/" +
                     std::to_string(count) + "`), then merge again");
  return results;
}

/// The cells the shards recorded doing, checked to cover the grid's cells exactly once (a
/// shard's dealing cannot silently leave a cell unassembled).
ShardCells cells_of(const RunContext& ctx, const std::vector<json>& results) {
  const int count = static_cast<int>(results.size());
  ShardCells sc;
  for (int k = 0; k < count; ++k)
    for (const auto& c : results[static_cast<std::size_t>(k)]["cells"]) {
      sc.cells.push_back({c[0].get<int>(), c[1].get<int>(), c[2].get<int>(), c[3].get<int>()});
      sc.owner.push_back(k);
    }
  const int cell = shard_cell_size(ctx.grid, count);
  auto expected = shard_cells(ctx.grid, cell);
  auto got = sc.cells;
  auto by_position = [](const Window& a, const Window& b) {
    return a.row != b.row ? a.row < b.row : a.col < b.col;
  };
  std::sort(expected.begin(), expected.end(), by_position);
  std::sort(got.begin(), got.end(), by_position);
  if (got != expected)
    throw ShardResultError("'" + shard_results_dir(ctx).string() +
                     "': the shards' cells do not cover the grid once (" +
                     std::to_string(got.size()) + " cells recorded, " +
                     std::to_string(expected.size()) +
                     " expected): run the shards again with the same farmwatch");
  return sc;
}

}  // namespace

ShardCells recorded_cells(const RunContext& ctx, int count) {
  return cells_of(ctx, complete_results(ctx, count));
}

namespace {
void restore_calibration_from(RunContext& ctx, const json& j) {
  const json dates = j.is_object() ? j.value("dates", json()) : json();
  bool fits = dates.is_array() && dates.size() == ctx.images.size();
  for (std::size_t d = 0; fits && d < ctx.images.size(); ++d)
    fits = dates[d].size() == ctx.images[d].scenes.size();
  if (!fits)
    throw ShardResultError("'" + shard_results_dir(ctx).string() +
                     "': the shards' calibration does not fit this pipeline's scenes: run the "
                     "shards again with the same farmwatch");
  for (std::size_t d = 0; d < ctx.images.size(); ++d)
    for (std::size_t k = 0; k < ctx.images[d].scenes.size(); ++k) {
      auto& sc = ctx.images[d].scenes[k];
      const json& r = dates.at(d).at(k);
      sc.shift_x = r.at("shift").at(0).get<double>();
      sc.shift_y = r.at("shift").at(1).get<double>();
      for (std::size_t b = 0; b < sc.calibration.size(); ++b)
        sc.calibration[b] = {r.at("calibration").at(b).at(0).get<double>(),
                             r.at("calibration").at(b).at(1).get<double>()};
    }
  ctx.coregistration = j.at("coregistration");
  ctx.normalisation = j.at("normalisation");
  ctx.spectral_report = j.at("spectral_report");
  if (j.contains("spectral_test")) {
    const json& t = j.at("spectral_test");
    SpectralChangeTest test;
    test.mad.p = t.at("p").get<int>();
    test.mad.mean_x = t.at("mean_x").get<std::vector<double>>();
    test.mad.mean_y = t.at("mean_y").get<std::vector<double>>();
    test.mad.a = t.at("a").get<std::vector<double>>();
    test.mad.b = t.at("b").get<std::vector<double>>();
    test.mad.weight = t.at("weight").get<std::vector<double>>();
    for (const auto& r : t.at("roles")) test.roles.push_back(static_cast<BandRole>(r.get<int>()));
    test.false_alarm = t.at("false_alarm").get<double>();
    test.seed_false_alarm = t.at("seed_false_alarm").get<double>();
    test.vegetation_ndvi = t.at("vegetation_ndvi").get<float>();
    test.soil_nir_red = t.at("soil_nir_red").get<float>();
    test.soil = soil_of(t.at("seasonal_soil"));
    test.shift_px = t.at("shift_px").get<int>();
    ctx.spectral = test;
  }
}
}  // namespace

void restore_calibration(RunContext& ctx, int count) {
  const std::vector<json> results = complete_results(ctx, count);
  const json j = results[0].value("calibration", json());
  // Every shard fitted them on the same sample windows: the same numbers, unless the shards ran
  // different builds or libraries (the seasonal soils' k-means, the IR-MAD's eigenvectors).
  for (std::size_t k = 1; k < results.size(); ++k)
    if (results[k].value("calibration", json()) != j)
      throw InputError("'" + shard_results_dir(ctx).string() + "': shards 0 and " +
                       std::to_string(k) +
                       " fitted different calibrations from the same samples (different "
                       "farmwatch builds or libraries on their nodes?): run every shard with "
                       "the same installation, then merge");
  try {
    restore_calibration_from(ctx, j);
  } catch (const json::exception& e) {
    throw ShardResultError("'" + shard_results_dir(ctx).string() + "': shard 0's calibration " +
                           "record is damaged (" + e.what() +
                           "): run the shards again with the same farmwatch");
  }
}

engine::LanduseChangeStats merge_shard_results(RunContext& ctx, int count) {
  const fs::path dir = shard_results_dir(ctx);
  const std::vector<json> results = complete_results(ctx, count);
  const ShardCells sc = cells_of(ctx, results);
  const auto& cells = sc.cells;
  const auto& owner = sc.owner;
  // The COG tiles the shards encoded of a layer's raster `file`, now read at `raster`.
  auto take_cog_tiles = [&](const std::string& raster, const std::string& file) {
    const std::string tiles = cog_tiles_path(file);
    const auto& listed = results[0]["outputs"];
    if (std::find(listed.begin(), listed.end(), tiles) == listed.end()) return;
    io::CogTileStores& stores = ctx.cog_tiles[raster];
    stores.layer = file;
    stores.cell = shard_cell_size(ctx.grid, count);
    stores.cells.assign(static_cast<std::size_t>(count), {});
    for (std::size_t c = 0; c < cells.size(); ++c)
      stores.cells[static_cast<std::size_t>(owner[c])].push_back(cells[c]);
    for (int k = 0; k < count; ++k)
      stores.paths.push_back((dir / ShardId{k, count}.name() / tiles).string());
  };
  for (std::string* name : job_outputs(ctx.job)) {
    const std::string file = fs::path(*name).filename().string();
    const auto& listed = results[0]["outputs"];
    if (std::find(listed.begin(), listed.end(), file) == listed.end()) continue;
    std::vector<std::string> sources;
    for (int k = 0; k < count; ++k)
      sources.push_back((dir / ShardId{k, count}.name() / file).string());
    if (name == &ctx.job.change_out || name == &ctx.job.candidates_out) {
      // The sieve and the patches write them.
      io::assemble_windows(sources, ctx.grid, cells, owner, *name);
      // change.tif's COG from the tiles the shards encoded of the change their cells alone
      // give, those over pixels the merge changes encoded again.
      if (name == &ctx.job.change_out) {
        take_cog_tiles(*name, kCellChangeFile);
        if (auto it = ctx.cog_tiles.find(*name); it != ctx.cog_tiles.end())
          for (int k = 0; k < count; ++k)
            it->second.sources.push_back((dir / ShardId{k, count}.name() / kCellChangeFile).string());
      }
    } else {
      // Read only from here on: a virtual raster over the shards' files, which stay until the
      // merge has published.
      *name = fs::path(*name).replace_extension(".vrt").string();
      io::write_windows_vrt(sources, ctx.grid, cells, owner, *name);
      take_cog_tiles(*name, file);
    }
  }
  // The imagery layers, where the shards made their pieces (else the rasters stage makes them
  // from rgb_out).
  for (std::string& path : ctx.imagery) {
    const std::string file = fs::path(path).filename().string();
    const auto& listed = results[0]["outputs"];
    if (path.empty() || std::find(listed.begin(), listed.end(), file) == listed.end()) continue;
    std::vector<std::string> sources;
    for (int k = 0; k < count; ++k)
      sources.push_back((dir / ShardId{k, count}.name() / file).string());
    path = fs::path(path).replace_extension(".vrt").string();
    io::write_windows_vrt(sources, ctx.grid, cells, owner, path);
    take_cog_tiles(path, file);
  }
  engine::LanduseChangeStats st;
  for (const json& r : results) {
    const auto class_pixels = r["class_pixels"].get<std::vector<std::array<std::int64_t, 256>>>();
    const auto source_pixels = r["source_pixels"].get<std::vector<std::vector<std::int64_t>>>();
    const auto cloud_pixels = r["cloud_pixels"].get<std::vector<std::int64_t>>();
    const auto change_pixels = r["change_pixels"].get<std::array<std::int64_t, 256>>();
    for (std::size_t c = 0; c < 256; ++c) st.change_pixels[c] += change_pixels[c];
    if (st.class_pixels.empty()) {
      st.class_pixels.assign(class_pixels.size(), {});
      st.source_pixels = source_pixels;
      for (auto& v : st.source_pixels) std::fill(v.begin(), v.end(), 0);
      st.cloud_pixels.assign(cloud_pixels.size(), 0);
    }
    for (std::size_t i = 0; i < class_pixels.size(); ++i)
      for (std::size_t c = 0; c < 256; ++c) st.class_pixels[i][c] += class_pixels[i][c];
    for (std::size_t i = 0; i < source_pixels.size(); ++i)
      for (std::size_t s = 0; s < source_pixels[i].size(); ++s)
        st.source_pixels[i][s] += source_pixels[i][s];
    for (std::size_t i = 0; i < cloud_pixels.size(); ++i) st.cloud_pixels[i] += cloud_pixels[i];
    st.warped = st.warped || r["warped"].get<bool>();
  }
  return st;
}

namespace {

/// Whether a file of a shard's result reads whole: present, and a raster whose every block
/// decodes or a JSON document that parses. False is a result to redo.
bool reads_whole(const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return false;
  if (file.extension() == ".json") return read_json_file(file).is_object();
  // The tiles' quarters: their size was checked against the shard's list (check_shard_tiles).
  if (file.extension() == ".bin") return true;
  // COG tiles: assemble_cog checks each record's CRC-32 (DamagedFileError).
  if (file.extension() == ".cogtiles") return true;
  return io::raster_reads_whole(file.string());
}

/// The path of the first file named in `what` under `result` (as messages quote it).
fs::path named_file(const std::string& what, const fs::path& result) {
  const std::string prefix = result.string() + "/";
  const auto at = what.find(prefix);
  if (at == std::string::npos) return {};
  const auto end = what.find_first_of("',: \"", at + prefix.size());
  return what.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

}  // namespace

namespace {
/// Removes shard `id`'s result and says why, with what to do.
[[noreturn]] void remove_and_blame(const fs::path& result, const ShardId& id,
                                   const std::string& why) {
  std::error_code ec;
  fs::remove_all(result, ec);
  throw ShardResultError("shard " + id.label() + "'s result in '" + result.string() + "' " + why +
                         ": removed it; run that shard again, then merge again");
}
}  // namespace

void with_shard_results_checked(const fs::path& dir, int count,
                                const std::function<void()>& merge) {
  // Only a file that does not read whole on its own is blamed on the shard: an error that
  // names it for another reason (too many open files, a full disk, the network) is the
  // merge's, and the result is kept.
  auto check = [&](const std::string& what) {
    for (int k = 0; k < count; ++k) {
      const fs::path result = dir / ShardId{k, count}.name();
      const fs::path file = named_file(what, result);
      if (file.empty() || reads_whole(file)) continue;
      remove_and_blame(result, ShardId{k, count},
                       "cannot be read ('" + file.string() + "' is missing or damaged: " + what +
                           ")");
    }
  };
  try {
    merge();
  } catch (const ShardResultError&) {
    throw;
  } catch (const DamagedFileError& e) {
    // A file of a shard's result that is not as the shard wrote it (its tiles' lists).
    for (int k = 0; k < count; ++k) {
      const fs::path result = dir / ShardId{k, count}.name();
      if (e.file().rfind(result.string() + "/", 0) != 0) continue;
      remove_and_blame(result, ShardId{k, count}, std::string("cannot be used (") + e.what() + ")");
    }
    throw;
  } catch (const InputError& e) {
    check(e.what());
    throw;
  } catch (const ProcessingError& e) {
    check(e.what());
    throw;
  }
}

std::string cog_tiles_path(const std::string& raster) { return raster + ".cogtiles"; }

io::TileShards tile_shards(const Grid& grid, int cell, const std::vector<Window>& cells,
                           const std::vector<int>& owner, int index) {
  io::TileShards t;
  t.cell = cell;
  t.cols = (grid.width + cell - 1) / cell;
  t.rows = (grid.height + cell - 1) / cell;
  t.owner.assign(static_cast<std::size_t>(t.cols) * t.rows, -1);
  for (std::size_t c = 0; c < cells.size(); ++c)
    t.owner.at(static_cast<std::size_t>(cells[c].row / cell) * t.cols + cells[c].col / cell) =
        owner[c];
  t.index = index;
  return t;
}

fs::path shard_tiles_root(const fs::path& result) { return result / "tiles"; }

void check_shard_tiles(const RunContext& ctx, int count) {
  // io's DamagedFileError names the file; the merge runs inside with_shard_results_checked,
  // which removes and names the shard that holds it.
  const fs::path dir = shard_results_dir(ctx);
  for (int k = 0; k < count; ++k) {
    std::error_code ec;
    for (const auto& set :
         fs::directory_iterator(shard_tiles_root(dir / ShardId{k, count}.name()), ec)) {
      std::error_code e2;
      for (const auto& layer : fs::directory_iterator(set.path(), e2))
        if (fs::exists(layer.path() / "tilejson.json", e2))
          io::check_shard_tiles(layer.path().string());
    }
  }
}

void remove_shard_results(const RunContext& ctx, int count) {
  const fs::path dir = shard_results_dir(ctx);
  std::error_code ec;
  for (int k = 0; k < count; ++k) fs::remove_all(dir / ShardId{k, count}.name(), ec);
  fs::remove(dir, ec);  // only if nothing else is in it
}

}  // namespace farmwatch::pipeline
