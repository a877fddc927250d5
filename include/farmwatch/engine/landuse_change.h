#pragma once
// The per-pixel stage of a run: classify each date and compare them, in one pass over blocks.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "farmwatch/core/change_kernel.h"
#include "farmwatch/core/classifier.h"
#include "farmwatch/core/log.h"
#include "farmwatch/core/spectral_change.h"
#include "farmwatch/engine/block_engine.h"
#include "farmwatch/io/mosaic.h"

namespace farmwatch::engine {

struct LanduseChangeJob {
  Grid grid;                                   ///< the analysis grid
  std::vector<io::Mosaic> images;              ///< one (classify only) or two dates (before, after)
  const RuleClassifier* classifier = nullptr;  ///< for images that are not class maps
  std::vector<std::string> landuse_out;        ///< one tiled GeoTIFF per image
  /// Per date, where to write which scene each pixel came from (empty: not written).
  std::vector<std::string> source_out;
  /// Per date, where to write its true colour: red, green, blue reflectance x 10000 as
  /// UInt16 (0: no data), for the one map's imagery layer (empty: not written).
  std::vector<std::string> rgb_out;
  /// Change outputs (only with two images and a kernel).
  const ChangeKernel* change = nullptr;
  /// The spectral change test (both dates reflectance); null: class comparison alone.
  const SpectralChangeTest* spectral = nullptr;
  bool classes_reliable = true;  ///< false: no DN-to-reflectance rule (see ChangeInputs)
  std::string parcels;           ///< parcel index raster on the grid; empty = whole area watched
  std::string change_out;        ///< categories 0..3, 255 nodata
  /// Categories 1..3, 0 elsewhere, and on changed pixels the bits io::sieve_change reads:
  /// io::kSeedBit on the spectral test's seeds, the sky bits (io::kSkyShift) and
  /// io::kPatternKeptBit for its cloud screening, and on pixels with no sky bit the same bit as
  /// io::kSeasonalBit for its seasonal exclusion. The sieve rewrites it to the categories
  /// alone, the patches' input.
  std::string candidates_out;
  std::string evidence_out;      ///< spectral change evidence 0..100
  /// The very-high-resolution method's change kind per pixel (VhrChangeKind code, 0 none);
  /// written by write_change_kinds only, read by the patches for their change_kind.
  std::string change_kinds_out;
  /// The change vector: after minus before reflectance (0-1) of each band role both dates
  /// have, one Float32 band per role in BandRole order, NaN where either date has no clear
  /// value; uncompressed scratch for patch boundary refinement, which then reads the
  /// reflectance the classification read, decompressed once. Empty: not written (also
  /// when either date is a class map).
  std::string delta_out;
  /// Per date, a learned model's votes on the grid (4 bands, run_model_classify's votes_out):
  /// its most likely class replaces the rules' and its probabilities weigh the change. Empty:
  /// the rules classify.
  std::vector<std::string> votes;
  /// With votes: the probability (percent) of each pixel's reported transition.
  std::string class_confidence_out;
};

struct LanduseChangeStats {
  std::vector<std::array<std::int64_t, 256>> class_pixels;  ///< per image, per class code
  std::array<std::int64_t, 256> change_pixels{};            ///< per change code
  /// Per date, pixels each scene gave (index 0: none clear) and pixels lost to cloud.
  std::vector<std::vector<std::int64_t>> source_pixels;
  std::vector<std::int64_t> cloud_pixels;
  bool warped = false;  ///< whether any image was resampled onto the grid
};

/// A block's true colour as LanduseChangeJob::rgb_out holds it: red, green and blue
/// reflectance x 10000 (UInt16 planes one after the other, 1..65535; 0 where a band is not
/// valid); without a blue band, green stands in for it. Empty without red or green.
void true_colour(const ReflectanceBlock& b, std::vector<std::uint16_t>& out);

/// Colour table of a land-use raster; of change.tif.
std::vector<std::pair<std::uint8_t, Rgba>> landuse_colors(const ClassTable& t);
std::vector<std::pair<std::uint8_t, Rgba>> change_colors();

/// The band roles of the change vector (LanduseChangeJob::delta_out), in its band order: those
/// both dates have, in BandRole order; none when either date is a class map.
std::vector<BandRole> change_vector_roles(const LanduseChangeJob& job);

/// Classifies and compares every block of job.grid, or only opt.windows (a shard's: its
/// outputs are then sparse GeoTIFFs, io::RasterLayout::sparse, and its stats count only them).
LanduseChangeStats run_landuse_change(const LanduseChangeJob& job, const EngineOptions& opt,
                                      const Log& log);

/// Replaces the change rasters run_landuse_change wrote for `job` (change_out, candidates_out,
/// evidence_out) with a change another method found on the whole of job.grid (the building
/// method on very-high-resolution RGB, pipeline/stages/buildings.cpp). Both vectors are per
/// pixel of job.grid, row-major: `change` 0 none, 1..3 a ChangeCategory, 255 no data;
/// `evidence` 0..100, 255 none. Returns the pixels at each change code. std::invalid_argument
/// if a vector is not the grid's size; ProcessingError if a raster cannot be written.
std::array<std::int64_t, 256> write_change(const LanduseChangeJob& job,
                                           const std::vector<std::uint8_t>& change,
                                           const std::vector<std::uint8_t>& evidence);

/// Writes job.change_kinds_out: `kinds` per pixel of job.grid, row-major, a VhrChangeKind code
/// or 0. std::invalid_argument if the vector is not the grid's size; ProcessingError if the
/// raster cannot be written.
void write_change_kinds(const LanduseChangeJob& job, const std::vector<std::uint8_t>& kinds);

/// Replaces date `date`'s land-use raster (job.landuse_out) with `classes` (class codes per
/// pixel of job.grid, row-major; kNodataCode where none): new buildings the building method
/// found are built-up land in the later date's map, demolished ones in the earlier date's.
/// std::invalid_argument if there is no such date or the size differs from the grid's;
/// ProcessingError if it cannot be written.
void write_landuse(const LanduseChangeJob& job, std::size_t date,
                   const std::vector<std::uint8_t>& classes);

}  // namespace farmwatch::engine
