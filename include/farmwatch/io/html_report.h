#pragma once
// report.html: the run's change report for people, one self-contained page that opens from the
// output folder with no server: summary tables per category and administrative unit, a map of
// the patches over the farmland parcels (inline SVG), and before/after chips of every patch.
#include <string>
#include <vector>

#include "farmwatch/io/farmland.h"
#include "farmwatch/io/patch_writer.h"

namespace farmwatch::io {

struct HtmlReportInput {
  ReportContext context;
  std::string title;
  std::string image_before, image_after;  ///< imagery for the chips; empty: no chips
  /// The images are the run's imagery_<date>.tif, stretched once for the whole scene.
  bool images_scene_stretched = false;
  /// Chips for at most this many patches: 非农化 and 非粮化 first, larger ones first; every
  /// patch stays in the tables and in the viewer (index.html).
  int max_chips = 300;
  int page_size = 500;       ///< patch rows per page (report.html, then report/page-NNN.html)
  /// The one map's viewer (index.html) is written beside the report: linked from it, and named
  /// where a patch has no chips. A run without tiles writes none.
  bool viewer = true;
  std::string generated;     ///< when the run started, UTC
  std::string version;       ///< farmwatch's
  const std::vector<Patch>* patches = nullptr;
  const FarmlandLayer* farmland = nullptr;  ///< drawn under the patches when present
  Box extent;                               ///< the analysis grid's extent (map frame)
};

/// Writes `dir`/report.html (title, dates, generation time, version and CRS; summary per
/// category and unit; a map with legend, scale bar and north arrow; the first page of
/// patches), `dir`/report/page-NNN.html for the other pages, and the chips in
/// `dir`/chips/<patch id>_{before,after}.png. Per patch: id, category, classes, area in m² and
/// 亩, centroid lon/lat and CGCS2000 3-degree Gauss-Kruger X (north) / Y (east, zone prefix),
/// parcels, unit, status, confidence. Printable on A4 (print stylesheet). Returns the files
/// written, relative to `dir`.
std::vector<std::string> write_html_report(const std::string& dir, const HtmlReportInput& in);

}  // namespace farmwatch::io
