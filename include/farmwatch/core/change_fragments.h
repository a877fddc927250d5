#pragma once
// Fragments of one change category inside another's change. Per-pixel classes flicker between
// close covers within one change: new urban land on 30 m pixels is built-up land in one pixel
// and bare soil in the next, so a development is 非农化 (cropland to built-up) in some pixels
// and other change in others. Each flicker is a patch of its own (patches are 4-connected
// pixels of one category), and those under their category's minimum area were dropped: holes
// in the development, and on generated 30 m scenes where 40 % of the land was built up the
// reason farmwatch's recall stayed at 0.94-0.95 (0.97 with no minimum areas at all), under
// CVA+Otsu's F1 in 3 of 13 draws. A fragment is taken into the change it lies in instead, as
// GDAL's sieve filter (gdal_sieve.py) merges small polygons into a neighbour, but only into the
// changed neighbours, never into unchanged land, and only where the fragment could not be
// reported by itself.
#include <array>
#include <cstdint>

namespace farmwatch {

/// Rewrites fragments in the rows [`core_begin`, `core_end`) of `window` (row-major, `width` x
/// `rows` change categories: 1 非农化, 2 非粮化, 3 other change; any other value is no change
/// and is left alone) into `out` (the core rows only, a copy of them on entry).
///
/// A fragment is a 4-connected component of one category c with fewer pixels than
/// `below[c]` (the category's minimum area in pixels of the grid; index 0 unused). A fragment
/// of other change or 非粮化 that touches (4-adjacent) pixels of a category before its own,
/// 非农化 first, takes the one most of those pixels hold (ties to 非农化): a speck of other
/// change inside a development joins its 非农化, never the reverse, so that a mixture of two
/// categories, where both are in pieces, comes out as the more serious one instead of as two
/// sets of specks. A 非农化 fragment, or one touching nothing before it, stays as it is.
/// Decided from `window` as given, in one pass.
///
/// `window` must hold whole every fragment with a pixel in the core, and the pixels around it:
/// rows of the grid above and below the core of at least the largest `below`, unless the
/// window's first (last) row is the grid's (`top_is_edge`, `bottom_is_edge`). A component that
/// touches a window row that is not the grid's edge is never a fragment (with such margins it
/// is too large to be one). Cut into any bands this way, a raster gives the same result as in
/// one window. Returns the pixels rewritten. std::invalid_argument when the rows do not agree.
std::int64_t adopt_change_fragments(const std::uint8_t* window, int width, int rows, int core_begin,
                                    int core_end, bool top_is_edge, bool bottom_is_edge,
                                    const std::array<double, 4>& below, std::uint8_t* out);

}  // namespace farmwatch
