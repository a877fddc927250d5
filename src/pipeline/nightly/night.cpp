// One night of an area: find the scenes, compare each new one with the state of each place,
// record, move the state on, publish (see nightly.h).
#include <chrono>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <set>

#include "farmwatch/core/error.h"
#include "farmwatch/io/area_geometry.h"
#include "farmwatch/io/raster_writer.h"
#include "farmwatch/io/scene_inbox.h"
#include "farmwatch/io/spatial_ref.h"
#include "farmwatch/pipeline/nightly.h"
#include "farmwatch/pipeline/output_dir.h"
#include "farmwatch/pipeline/shard.h"
#include "farmwatch/pipeline/run.h"
#include "farmwatch/pipeline/run_context.h"
#include "lock.h"
#include "plan.h"
#include "publish.h"
#include "state.h"
#include "farmwatch/version.h"

namespace farmwatch::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace nightly;

namespace {

/// A scene that saw too little of the area clear: recorded as cloudy, not compared.
struct SceneCloudy : std::runtime_error {
  explicit SceneCloudy(const std::string& why) : std::runtime_error(why) {}
};

std::string hex_of(const std::vector<std::uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::round(
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 100) /
         100;
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", s);
  return buf;
}

class Night {
 public:
  Night(const AreaSpec& area, const NightlyOptions& opts, const Log& log, std::string run_id)
      : area_(area), opts_(opts), log_(log), run_id_(std::move(run_id)), st_{area.state} {}

  NightResult run() {
    const auto t0 = std::chrono::steady_clock::now();
    const auto found = io::discover_scenes(area_.inbox);
    if (opts_.dry_run) return dry_run(found);
    if (opts_.shard) return run_shard(found);
    AreaLock lock(st_.lock(), opts_.wait);
    db_ = io::MonitoringDb::open(area_.pipeline.database, true);
    gen_ = current_generation();
    st_.clean(gen_);
    if (gen_ == 0 && !area_.baseline.empty()) start_from_baseline();
    const Plan plan = plan_night(found, db_->scenes());
    // Scenes to compare are recorded with their outcome (in the comparison's transaction);
    // what is settled at sight (duplicates, unidentifiable deliveries) at once.
    if (!plan.settled.empty()) {
      io::NightRecord n;
      n.scenes = plan.settled;
      db_->write_night(n);
    }
    json scenes = json::array();
    int failed = 0;
    for (const auto& s : plan.settled) {
      if (s.status == "failed") ++failed;
      log_.child("discover").warn("scene " + s.product_id + " (" + s.path + "): " + s.status +
                                  ": " + s.reason);
      scenes.push_back({{"product_id", s.product_id}, {"path", s.path}, {"status", s.status},
                        {"reason", s.reason}});
    }
    // A merge records the one scene its shards compared; the next ones need shards of their own.
    const std::size_t count =
        opts_.merge_shards ? std::min<std::size_t>(1, plan.process.size()) : plan.process.size();
    for (std::size_t k = 0; k < count; ++k) {
      const auto& c = plan.process[k];
      if (opts_.progress) opts_.progress(k, count, c.product_id);
      json r = process(c);
      if (r["status"] == "failed") ++failed;
      scenes.push_back(std::move(r));
    }
    if (opts_.progress) opts_.progress(count, count, "");
    // What shards kept for scenes recorded since (by this night, or an unsharded one) or gone
    // from the inbox is spent; the scenes still to compare keep theirs (shards take no lock,
    // and may be running for the next one).
    std::set<std::string> left;
    for (std::size_t k = count; k < plan.process.size(); ++k) left.insert(plan.process[k].product_id);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(st_.root / "shards", ec))
      if (!left.count(e.path().filename().string())) fs::remove_all(e.path(), ec);
    fs::remove(st_.root / "shards", ec);  // when empty
    NightResult result;
    if (count < plan.process.size()) {
      // The night's summary, published by the merge of its last scene, lists every round's.
      json rounds = read_rounds();
      for (const auto& line : scenes) rounds.push_back(line);
      write_file_atomically(rounds_journal(), rounds.dump() + "\n");
      result.scenes_left = plan.process.size() - count;
      log_.info(std::to_string(result.scenes_left) +
                " scene(s) left to compare: run the shards again, then merge; publish/current "
                "unchanged until the last one is recorded");
      result.exit_code = failed ? kExitPartial : kExitOk;
      result.summary = {{"run_id", run_id_}, {"scenes", scenes},
                        {"scenes_left", result.scenes_left}};
      return result;
    }
    const std::string published = published_generation(area_.publish);
    if (plan.process.empty() && published == std::to_string(gen_)) {
      log_.info("nothing new: " + std::to_string(found.size()) +
                " scenes in the inbox, all handled before; publish/current unchanged");
      result.nothing_new = true;
      result.exit_code = failed ? kExitPartial : kExitOk;
      result.summary = {{"run_id", run_id_}, {"nothing_new", true}, {"scenes", scenes}};
      return result;
    }
    if (gen_ == 0) {
      log_.warn("no clear view of the area yet: nothing to publish");
      result.exit_code = failed ? kExitPartial : kExitOk;
      result.summary = {{"run_id", run_id_}, {"scenes", scenes}};
      return result;
    }
    // Scenes the earlier rounds of a sharded night recorded, before this one's.
    if (json earlier = read_rounds(); !earlier.empty()) {
      for (const auto& line : earlier)
        if (line.value("status", "") == "failed") ++failed;
      for (auto& line : scenes) earlier.push_back(std::move(line));
      scenes = std::move(earlier);
    }
    json summary = {{"run_id", run_id_},
                    {"area", area_.pipeline.name},
                    {"area_file", area_.file},
                    {"state_generation", gen_},
                    {"scenes", scenes},
                    {"failed_scenes", failed}};
    const auto tp = std::chrono::steady_clock::now();
    summary = publish_night(area_, st_.generation(gen_), *db_, summary, run_id_, log_.child("publish"));
    log_.child("publish").info("published run " + run_id_ + " in " +
                               seconds_text(seconds_since(tp)) + " s");
    summary["seconds"] = seconds_since(t0);
    fs::remove(rounds_journal(), ec);
    result.exit_code = failed ? kExitPartial : kExitOk;
    result.summary = summary;
    return result;
  }

 private:
  int current_generation() const {
    const std::string g = db_->meta("state_generation");
    return g.empty() ? 0 : std::stoi(g);
  }

  /// Generation 1 from the baseline map: what the first scenes are compared with.
  void start_from_baseline() {
    const Grid g = write_baseline(st_.generation(1));
    io::NightRecord n;
    n.meta = {{"state_generation", "1"},
              {"area_lonlat_wkb_hex", hex_of(io::box_lonlat(g.extent(), g.crs_wkt))}};
    db_->write_night(n);
    gen_ = 1;
    log_.child("baseline").info("state generation 1 from the baseline map " + area_.baseline +
                                " of " + area_.baseline_date);
  }

  /// Whether the area's GeoPackage has been made (an empty file is a creation killed before its
  /// first write, which the next night redoes: nothing is known from it).
  bool database_made() const {
    std::error_code ec;
    return fs::is_regular_file(area_.pipeline.database, ec) &&
           fs::file_size(area_.pipeline.database, ec) > 0;
  }

  /// The state the baseline map gives, written into `dir` on the area's grid (returned), with
  /// the bands the classification needs (no reflectance yet).
  Grid write_baseline(const fs::path& dir) const {
    const GridSpec& gs = area_.pipeline.grid;
    const Grid g = Grid::snapped(*gs.extent, *gs.resolution, io::crs_from_user(*gs.crs));
    std::vector<BandRole> roles;
    for (BandRole r : area_.pipeline.classifier->required_roles()) roles.push_back(r);
    if (roles.empty()) roles = {BandRole::blue, BandRole::green, BandRole::red, BandRole::nir};
    write_baseline_state(area_.baseline, epoch_days(area_.baseline_date), g, roles,
                         area_.pipeline.classifier->classes(), dir);
    return g;
  }

  NightResult dry_run(const std::vector<io::SceneCandidate>& found) {
    std::vector<io::SceneRecord> known;
    const bool pg = area_.pipeline.database.rfind("PG:", 0) == 0;
    if (pg || database_made())
      known = io::MonitoringDb::open_read_only(area_.pipeline.database).scenes();
    const Plan plan = plan_night(found, known);
    NightResult r;
    r.nothing_new = plan.process.empty();
    r.summary = {{"run_id", run_id_}, {"dry_run", true}, {"scenes", plan.listing}};
    return r;
  }

  /// The two-date pipeline comparing scene `c` (acquired `day`) with state generation `prev`
  /// (none: the scene is the first view), with archives unpacked and any copy of the state
  /// made in `work`.
  PipelineSpec scene_spec(const io::SceneCandidate& c, const fs::path& prev, int day,
                          const fs::path& work) const {
    PipelineSpec spec = area_.pipeline;
    spec.file = area_.file;
    DateSpec after;
    after.date = c.acquired;
    after.sensor = c.sensor;
    after.max_cloud = area_.max_cloud;
    io::ImageRequest req;
    req.path = io::readable_scene(c, work / "unpacked");
    after.scenes.push_back({req, c.acquired, c.sensor});
    spec.dates.clear();
    if (!prev.empty()) {
      DateSpec before;
      const BeforeImage image = before_image(prev, day, work);
      before.date = date_of_epoch_days(std::min(image.newest_day, day - 1));
      before.sensor = "state: the latest clear view of each place";
      io::ImageRequest b;
      b.path = image.path;
      before.scenes.push_back({b, before.date, before.sensor});
      spec.dates.push_back(before);
    }
    spec.dates.push_back(after);
    spec.outputs.dir = (st_.work() / ("scene-" + c.product_id)).string();
    spec.outputs.tiles = false;
    spec.outputs.reports = false;  // the night publishes its own, from the state and database
    spec.outputs.rasters = false;
    return spec;
  }

  /// The summary lines of the scenes a sharded night's rounds recorded so far (a merge leaves
  /// them for the one that publishes; a merge killed between recording its scene and writing
  /// here leaves that line out of the published summary, not out of the database).
  fs::path rounds_journal() const { return st_.root / "rounds.json"; }
  json read_rounds() const {
    json j = read_json_file(rounds_journal());
    return j.is_array() ? j : json::array();
  }

  /// Where the shards of scene `c` keep their results for the merge (state/shards/<id>).
  fs::path scene_shards(const io::SceneCandidate& c) const {
    return st_.root / "shards" / c.product_id;
  }

  /// What the shards' results of scene `c` depend on besides the grid: the delivery, the state
  /// generation it is compared with (1 for a baseline map not yet recorded), and the area file
  /// and every file it names (rules, model, farmland...: size and modification time).
  json shard_key(const io::SceneCandidate& c) const {
    PipelineSpec spec = area_.pipeline;
    spec.file = area_.file;
    const int gen = gen_ == 0 && !area_.baseline.empty() ? 1 : gen_;
    return {{"product_id", c.product_id},
            {"checksum", c.checksum},
            {"state_generation", gen},
            {"files", spec_file_stamps(spec)}};
  }

  /// A shard (NightlyOptions::shard): its cells of the first scene to compare.
  NightResult run_shard(const std::vector<io::SceneCandidate>& found) {
    const ShardId id = *opts_.shard;
    const auto& target = area_.pipeline.database;
    std::vector<io::SceneRecord> known;
    if (target.rfind("PG:", 0) == 0 || database_made()) {
      db_ = io::MonitoringDb::open_read_only(target);
      known = db_->scenes();
      gen_ = current_generation();
    }
    const Plan plan = plan_night(found, known);
    NightResult result;
    if (plan.process.empty()) {
      log_.info("shard " + id.label() + ": no scene to compare");
      result.nothing_new = true;
      result.summary = {{"run_id", run_id_}, {"shard", id.name()}, {"scenes", json::array()}};
      return result;
    }
    const io::SceneCandidate& c = plan.process.front();
    const Log log = log_.child("scene " + c.product_id);
    const fs::path dir = scene_shards(c);
    const fs::path work = dir / ("work-" + id.name());
    const fs::path failed = dir / ("failed-" + id.name() + ".json");
    const json key = shard_key(c);
    std::error_code ec;
    fs::remove(failed, ec);
    json line = {{"product_id", c.product_id}, {"path", c.path}, {"acquired", c.acquired}};
    try {
      const int day = epoch_days(c.acquired);
      fs::path prev = gen_ > 0 ? st_.generation(gen_) : fs::path();
      if (gen_ == 0 && !area_.baseline.empty()) {
        // What the merge starts from before recording this scene (start_from_baseline).
        prev = work / "baseline";
        write_baseline(prev);
      }
      RunOptions o;
      o.threads = opts_.threads;
      o.building_method = false;
      o.shard = id;
      o.shard_dir = dir.string();
      o.shard_key = key;
      o.after_shard_pass = [&](const RunContext& ctx, const ShardPlan& cells) {
        write_state_piece(ctx, ctx.spec.dates.size() - 1, prev, ctx.out->staging() / "next_state",
                          day, cells.windows(id.index, kBlockSize));
      };
      const json s = run_pipeline(scene_spec(c, prev, day, work), o, log);
      line["status"] = "compared";
      line["shard"] = s;
    } catch (const InputError& e) {
      record_shard_failure(failed, key, e.what(), line, log);
    } catch (const ProcessingError& e) {
      if (!names_scene(e.what(), c, work)) {
        fs::remove_all(work, ec);
        throw;
      }
      record_shard_failure(failed, key, e.what(), line, log);
    }
    fs::remove_all(work, ec);
    result.summary = {{"run_id", run_id_}, {"shard", id.name()}, {"scenes", json::array({line})}};
    return result;
  }

  /// A shard that found the scene itself unusable says so for the merge, which settles the
  /// scene as an unsharded night would (failed, or cloudy); the shard itself succeeded.
  void record_shard_failure(const fs::path& file, const json& key, const std::string& why,
                            json& line, const Log& log) {
    write_file_atomically(file, json{{"key", key}, {"reason", why}}.dump() + "\n");
    line["status"] = "failed";
    line["reason"] = why;
    log.warn("the scene cannot be compared; the merge will record it as such: " + why);
  }

  /// The merge's view of scene `c`'s shards: the reason one of them gave for not comparing it
  /// (empty: none did). InputError, before anything is recorded, when a shard has neither a
  /// complete result nor a failure from this delivery and state (not run, or still running).
  std::string shards_verdict(const io::SceneCandidate& c) const {
    const fs::path dir = scene_shards(c);
    const json key = shard_key(c);
    std::string why, missing;
    for (int k = 0; k < opts_.merge_shards; ++k) {
      const ShardId id{k, opts_.merge_shards};
      const json f = read_json_file(dir / ("failed-" + id.name() + ".json"));
      if (f.is_object() && f.value("key", json()) == key) {
        if (why.empty()) why = f.value("reason", std::string("the shard could not compare it"));
        continue;
      }
      const json r = read_json_file(dir / id.name() / "shard.json");
      const json inputs = r.is_object() ? r.value("inputs", json()) : json();
      if (!(r.is_object() && r.value("complete", false) && inputs.is_object() &&
            inputs.value("key", json()) == key &&
            inputs.value("farmwatch_version", std::string()) == kVersion))
        missing += (missing.empty() ? "" : ", ") + std::to_string(k);
    }
    if (!missing.empty())
      throw ShardResultError("'" + dir.string() + "': no result of shard(s) " + missing + " of " +
                       std::to_string(opts_.merge_shards) + " for scene " + c.product_id +
                       " against state generation " + std::to_string(gen_) +
                       " (not run yet, failed, or made from another delivery, state generation, "
                       "area file or file it names, or farmwatch): "
                       "run `farmwatch nightly AREA --shard i/" +
                       std::to_string(opts_.merge_shards) + "` for each, then merge again");
    return why;
  }

  /// Compares one scene with the state; returns its line of the summary.
  json process(const io::SceneCandidate& c) {
    const auto t0 = std::chrono::steady_clock::now();
    const Log log = log_.child("scene " + c.product_id);
    const fs::path prev = gen_ > 0 ? st_.generation(gen_) : fs::path();
    const fs::path next = st_.generation(gen_ + 1);
    json line = {{"product_id", c.product_id}, {"path", c.path}, {"acquired", c.acquired}};
    io::NightRecord night;
    std::vector<Patch> kept;
    const bool merge = opts_.merge_shards > 0;
    std::error_code ec;
    try {
      if (merge) {
        if (const std::string why = shards_verdict(c); !why.empty()) throw InputError(why);
      }
      const int day = epoch_days(c.acquired);
      RunOptions o;
      o.threads = opts_.threads;
      o.building_method = false;  // the earlier date is the state: a composite, reflectance
      if (merge) {
        o.merge_shards = opts_.merge_shards;
        o.shard_dir = scene_shards(c).string();
        o.shard_key = shard_key(c);
      }
      o.before_database_write = [&](const RunContext& ctx, io::RunWrite* w) {
        record_comparison(ctx, w, c, prev, next, day, night, kept, line);
      };
      const json s = run_pipeline(scene_spec(c, prev, day, st_.work()), o, log);
      gen_ += 1;
      st_.clean(gen_);
      line["status"] = "processed";
      if (s.contains("changes")) line["patches"] = s["changes"]["patches"];
      line["revisited"] = night.revisits.size();
      log.info("processed in " + seconds_text(seconds_since(t0)) + " s (state generation " +
               std::to_string(gen_) + ")");
    } catch (const SceneCloudy& e) {
      settle(c, "cloudy", e.what(), line, log);
    } catch (const ShardResultError&) {
      discard(next);  // a shard's result to redo: nothing recorded
      throw;
    } catch (const InputError& e) {
      const std::string why = e.what();
      settle(c, why.find("cloudy") != std::string::npos ? "cloudy" : "failed", why, line, log);
    } catch (const ProcessingError& e) {
      // Pixels of the scene that cannot be read fail the scene; anything else (a write that
      // failed for want of room...) fails the night, and the scene is tried again next night.
      if (!names_scene(e.what(), c, st_.work())) {
        discard(next);
        throw;
      }
      settle(c, "failed", e.what(), line, log);
    } catch (...) {
      discard(next);
      throw;
    }
    if (merge) fs::remove_all(scene_shards(c), ec);  // recorded: the shards' results are spent
    line["seconds"] = seconds_since(t0);
    return line;
  }

  /// Called by the run once the scene is compared, before the database is written: the next
  /// state generation is written; a scene that saw too little clear is refused (SceneCloudy);
  /// the scene's status, the deliveries it replaces, the state generation and the revisited
  /// patches join the run's transaction (or, for a first view with nothing to compare, are
  /// written on their own). `night` and `kept` outlive the run's write.
  void record_comparison(const RunContext& ctx, io::RunWrite* w, const io::SceneCandidate& c,
                         const fs::path& prev, const fs::path& next, int day,
                         io::NightRecord& night, std::vector<Patch>& kept, json& line) {
    const std::size_t index = ctx.spec.dates.size() - 1;
    std::vector<fs::path> pieces;
    for (int k = 0; k < opts_.merge_shards; ++k)
      pieces.push_back(scene_shards(c) / ShardId{k, opts_.merge_shards}.name() / "next_state");
    const SceneView v = opts_.merge_shards
                            ? join_state_pieces(pieces, recorded_cells(ctx, opts_.merge_shards),
                                                ctx.grid, next)
                            : write_next_state(ctx, index, prev, next, day);
    line["clear_share"] = std::round(v.clear_share() * 1e4) / 1e4;
    if (v.clear_share() < 1 - area_.max_cloud)
      throw SceneCloudy(std::to_string(std::lround(v.clear_share() * 100)) +
                        " % of what it covers seen clear (max_cloud " +
                        std::to_string(std::lround(area_.max_cloud * 100)) + " %)");
    io::SceneRecord r = record_of(c, "processed");
    r.clear_share = std::round(v.clear_share() * 1e4) / 1e4;
    r.clear_lonlat = v.clear_lonlat;
    const io::ImageInfo& im = ctx.images[index].scenes.front();
    r.footprint_lonlat = io::box_lonlat(im.grid.extent(), im.grid.crs_wkt);
    night.scenes.push_back(r);
    for (const auto& k : db_->scenes())
      if (k.product_id == c.product_id && k.checksum != c.checksum && k.status == "processed") {
        io::SceneRecord old = k;
        old.status = "replaced";
        old.reason = "a later delivery (checksum " + c.checksum.substr(0, 12) + ") replaces it";
        night.scenes.push_back(old);
      }
    night.meta = {{"state_generation", std::to_string(gen_ + 1)},
                  {"area_lonlat_wkb_hex", hex_of(io::box_lonlat(ctx.grid.extent(), ctx.grid.crs_wkt))}};
    if (ctx.admin && db_->units().empty()) night.units = units_of(ctx);
    if (w) {
      // The earlier date is the state generation compared with, whichever file of it was read
      // (a copy without newer places, or a merge's virtual raster).
      if (!prev.empty()) w->run.image_before = prev.string();
      kept = *w->patches;
      night.revisits = revisit_patches(ctx, kept);
      w->patches = &kept;
      w->night = &night;
    } else {
      db_->write_night(night);
    }
  }

  void settle(const io::SceneCandidate& c, const std::string& status, const std::string& why,
              json& line, const Log& log) {
    std::error_code ec;
    fs::remove_all(st_.generation(gen_ + 1), ec);
    st_.clean(gen_);
    io::NightRecord n;
    n.scenes.push_back(record_of(c, status, why));
    db_->write_night(n);
    line["status"] = status;
    line["reason"] = why;
    (status == "failed" ? log.error(status + ": " + why) : log.warn(status + ": " + why));
  }

  /// Removes what a failed comparison left: the unrecorded generation, the work folder.
  void discard(const fs::path& next) const {
    std::error_code ec;
    fs::remove_all(next, ec);
    fs::remove_all(st_.work(), ec);
  }

  /// Whether an error is about the scene's own files (as delivered or unpacked).
  bool names_scene(const std::string& what, const io::SceneCandidate& c,
                   const fs::path& work) const {
    const std::string unpacked = (work / "unpacked" / c.product_id).string();
    return what.find(c.path) != std::string::npos || what.find(unpacked) != std::string::npos;
  }

  std::vector<io::UnitRecord> units_of(const RunContext& ctx) const {
    std::vector<io::UnitRecord> out;
    const auto& a = *ctx.admin;
    for (std::size_t i = 0; i < a.size(); ++i)
      out.push_back({a.parcel_id(i), a.parcel_name(i),
                     io::wkb_to_lonlat(a.parcel_wkb(i), ctx.grid.crs_wkt)});
    return out;
  }

  const AreaSpec& area_;
  const NightlyOptions& opts_;
  const Log& log_;
  std::string run_id_;
  StatePaths st_;
  std::optional<io::MonitoringDb> db_;
  int gen_ = 0;
};

}  // namespace

std::string new_run_id() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

NightResult run_night(const AreaSpec& area, const NightlyOptions& opts, const Log& log) {
  Night night(area, opts, log, opts.run_id.empty() ? new_run_id() : opts.run_id);
  return night.run();
}

}  // namespace farmwatch::pipeline
