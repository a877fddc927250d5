#pragma once
// New buildings between two very-high-resolution RGB images of one place (aerial or satellite
// photos at about 0.3-1 m, drone mosaics resampled to that): the case where reflectance-based
// change tests have nothing to hold on to (three visible bands, no calibration, different sun,
// a few pixels of misregistration).
//
// A pixel is a candidate where, over a window of a few metres, the gradient field has changed
// (the local correlation of the two dates' gradient vectors is low) and either the later image
// is less saturated than the earlier one once its histogram is matched to it (a grey or dark
// roof replacing soil, grass or crops) or it has many times the earlier one's edges (new
// structure on smooth ground: a grey roof on a grey lot, which saturation does not see). A
// third test looks for the opposite of the first: a bright roof of saturated colour (the
// red or blue colour-coated steel of sheds and factories, 彩钢房) that gained saturation.
// Candidates form objects (small ones dropped, holes filled). An object is kept only if the
// earlier image lacks the edges that outline it in the later one, allowing a shift of about a
// metre: a building already there, seen under another sun or colour balance, has its outline
// in both dates and is dropped. An object found by the edge cue alone may be its outline and
// shadow without the roof's smooth inside.
//
// Every threshold is a property of the method, the same for every pair; sizes are in metres
// and follow the pixel size.
#include <cstdint>
#include <vector>

#include "farmwatch/core/change_rules.h"

namespace farmwatch {

struct BuildingChangeParams {
  double pixel_size_m = 0.5;
  double window_m = 4.5;          ///< averaging window of the two tests
  double saturation_drop = 0.03;  ///< mean drop of (max-min)/max over the window
  double structure_change = 0.6;  ///< 1 - correlation of the gradient vectors
  /// The second candidate cue, where saturation says nothing (a grey roof on a grey lot): the
  /// later date's gradient energy over the window at least this many times (the earlier's +
  /// a quarter of the earlier image's mean), new structure on smooth ground (the earlier's over
  /// the later's for a demolished building), with saturation not gained by more than
  /// `saturation_drop` (grass over a pulled-down roof has new texture too). Such objects are
  /// new or demolished buildings, never converted ground (which lost its colour). 0:
  /// saturation alone.
  double edge_gain = 8.0;
  double min_area_m2 = 20;        ///< smaller objects are dropped
  double tolerance_m = 1.0;       ///< misregistration allowed when matching outlines
  /// Edge strength along an object's outline in the date without it over the date with it
  /// (the earlier over the later for a new building): below it, the outline is new.
  double max_edge_support = 1.5;
  bool demolished = true;         ///< also report demolished buildings (the test reversed)
  bool ground_converted = true;   ///< also report ground converted (see VhrChangeKind)
  /// Smallest ground-converted object a test finds by itself: 1 亩, the mapping unit (a
  /// development block's gaps follow `min_area_m2`).
  double ground_min_area_m2 = 667;
  /// Largest mean saturation of converted ground in the later date over that date's median
  /// (own colours): hardened or bare ground is greyer than the scene's typical surface; grass
  /// dried by the season is not.
  double max_ground_saturation = 0.0;
  /// Largest mean excess green (2g - r - b) / (r + g + b) of an object, over the median of the
  /// date that shows the building or the converted ground, in that date's own colours (before
  /// histogram matching): above it, vegetation.
  double max_excess_green = 0.02;
  /// Smallest sharpness of a demolished building's outline in the earlier date: the strongest
  /// gradient within half a window of each outline pixel, averaged along the outline, over the
  /// same local maximum averaged over the image. A building has a sharp outline, bare ground or
  /// grass does not.
  double min_outline_contrast = 2.0;
  /// Coloured roofs (colour-coated steel sheds, 彩钢房; glazed tiles) gain saturation where
  /// the first cue wants a loss. A pixel is a coloured-roof candidate where the gradient field
  /// changed, the window gained `saturation_drop` of saturation, and the pixel itself, in the
  /// later date's own colours, is at least this much more saturated than that date's median,
  /// was not in the earlier date, and has the hue of colour-coated steel (red to orange, under
  /// 40° or over 330°; blue, 185° to 265°: not the yellows of rapeseed and straw or the greens
  /// of crops). Its objects are new buildings where they are at least `min_roof_brightness`
  /// bright and not green (`max_excess_green`). 0: not looked for.
  double min_roof_saturation = 0.15;
  /// Brightness (the largest band: a red roof is bright in its red) over the later date's
  /// median, as a share of it: a roof is at least as bright as the scene's typical surface;
  /// the dark, saturated water of a new pond is not.
  double min_roof_brightness = 0.0;
  /// `max_edge_support` for coloured roofs. Looser, because the window's saturation gain
  /// already rules out a roof that stood in both dates (its colour was there before); the
  /// outline check only has to reject a colour that moved, on ground whose own texture
  /// (furrows along a roof's side) gives the new outline some support.
  double max_roof_edge_support = 2.0;
  /// An object of the first test (saturation lost) that is, in the date that shows it, more
  /// saturated than that date's median and darker than this (brightness over the median, as
  /// a share of it) is water, not a building or converted ground: a new pond's dark water,
  /// matched onto the earlier date's colours, lands on its shadows and looks greyer.
  double max_water_brightness = -0.3;
  /// Development blocks. A new estate or compound is its buildings and the yards, lanes and
  /// hardened ground between them, all taken from the land: the ground between new buildings
  /// and converted ground less than twice this apart (a morphological closing with a
  /// Euclidean disc of this radius, rounded to whole pixels), and the holes of up to
  /// `max_block_hole_m2` such a block encloses, are converted ground too, as objects of their
  /// own (at least `min_area_m2`, not `ground_min_area_m2`; BuildingObject::block_gap).
  /// Demolished buildings do not join blocks; with `ground_converted` off there are none.
  /// 0 (or under half a pixel): objects alone, no holes filled.
  double block_gap_m = 6.0;
  /// Largest hole (m²) a closed block encloses that is filled; a hole reaching the image's
  /// border is never filled. 0: none; infinity: every enclosed hole.
  double max_block_hole_m2 = 2000;
  /// Smallest mean change-vector magnitude (CVA, Malila 1980: the distance between the two
  /// dates' red, green and blue, each band z-scored over its own date's valid pixels) over a
  /// region of change (the 4-connected pixels of every kind, blocks included). A region whose
  /// colours changed less, relative to each scene's spread, is dropped: a roof standing in
  /// both dates whose outline moved, a field in another season that lost some saturation.
  /// 0: every region kept.
  double min_change_magnitude = 1.2;
  /// Roofs filled out (hysteresis on the change magnitude, Canny 1986, seeded by the new
  /// buildings). A grey roof on grey ground is found by its new outline and shadow, not by its
  /// smooth inside. Each new building of the first test whose own mean change magnitude is at
  /// least `min_change_magnitude` grows, before the development blocks are closed, into the
  /// pixels it reaches in at most `grow_distance_m` of 8-connected steps through pixels that no
  /// other object took, valid, not green (`max_excess_green`), not water (as the first test
  /// tells it) and whose change magnitude (as `min_change_magnitude`), averaged over
  /// `grow_window_m`, is at least this; each grown pixel joins the building that reached it
  /// first. 0: no growth. On the 20 VHR pairs of issue 15, pooled F1 0.334 without, 0.344 with
  /// these values (0.341 at 20 m, 0.345 at 45 m).
  double grow_magnitude = 2.0;
  double grow_distance_m = 30.0;
  double grow_window_m = 1.5;
};

/// An RGB image as three row-major planes; `valid` (optional, same size) is 0 where there is
/// no data.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<float> red, green, blue;
  std::vector<std::uint8_t> valid;
};

struct BuildingObject {
  int id = 0;  ///< value in BuildingChange::labels
  VhrChangeKind kind = VhrChangeKind::new_building;
  std::int64_t pixels = 0;
  int col_min = 0, row_min = 0, col_max = 0, row_max = 0;  ///< inclusive bounding box
  double centroid_col = 0, centroid_row = 0;               ///< pixel-centre coordinates
  /// Mean over the object of the saturation lost from the date without the building to the
  /// date with it (earlier to later for a new building and converted ground, later to earlier
  /// for a demolished building): positive, but for an object found by its new edges alone,
  /// and negative (a gain, in each date's own colours) for a coloured roof.
  double saturation_drop = 0;
  /// Outline edge strength in the date without the object / in the date with it (new and
  /// demolished buildings: < max_edge_support, coloured roofs < max_roof_edge_support;
  /// ground converted: any).
  double edge_support = 0;
  bool coloured_roof = false;  ///< found by the coloured-roof test (a new building)
  /// Found by a learned change model (core/vhr_change_model.h): the mean share of its trees
  /// that voted change over the object's pixels (holes it filled included), 0-1; -1 for the
  /// building method's objects.
  double votes = -1;
  /// Ground between a development block's objects (BuildingChangeParams::block_gap_m): a
  /// ground_converted object no test found by itself. Its saturation_drop is its own pixels'
  /// (of any sign), its edge_support 0 (not measured), and its confidence `block_confidence`:
  /// the confidence of the block's other objects, weighted by their pixels (0-1).
  bool block_gap = false;
  double block_confidence = 0;
};

/// An object's confidence, 0..1. A block's gap: its block_confidence. New and demolished
/// buildings: how far the outline support of the date without the object stays below the
/// largest kept (1 - edge_support / max_edge_support, or max_roof_edge_support for a coloured
/// roof, clamped). Ground converted:
/// its saturation drop over four times the candidate threshold (clamped). An object of a learned model: its `votes`.
double vhr_change_confidence(const BuildingObject& o, const BuildingChangeParams& params);

struct BuildingChange {
  /// Per pixel: 0 none, else the id of the object (ids 1..n in row-major order of first pixel).
  std::vector<std::int32_t> labels;
  std::vector<BuildingObject> objects;
};

/// `before` and `after` (taken by value: move them in to save a copy) must have the same size. Rows
/// run in parallel (oneTBB); the result is the same for any thread count.
BuildingChange detect_building_change(RgbImage before, RgbImage after,
                                      const BuildingChangeParams& params = {});

}  // namespace farmwatch
