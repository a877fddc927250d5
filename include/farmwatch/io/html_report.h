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
  const std::vector<Patch>* patches = nullptr;
  const FarmlandLayer* farmland = nullptr;  ///< drawn under the patches when present
  Box extent;                               ///< the analysis grid's extent (map frame)
};

/// Writes `dir`/report.html and its chips in `dir`/chips/<patch id>_{before,after}.png.
/// Returns the files written, relative to `dir`.
std::vector<std::string> write_html_report(const std::string& dir, const HtmlReportInput& in);

}  // namespace farmwatch::io
