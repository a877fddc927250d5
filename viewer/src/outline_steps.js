// farmwatch writes the viewer's outlines (Polygon and MultiPolygon rings, marked q: 1) as flat
// arrays of integer steps of 1e-7 degree: the first point absolute, each next one its
// difference from the previous (io::wkb_to_viewer_json). Shared by the viewer and its test.

/** One ring of steps as GeoJSON positions [[lon, lat], ...]. */
export function decodeSteps(flat) {
  const ring = [];
  let x = 0, y = 0;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    x += flat[i];
    y += flat[i + 1];
    ring.push([x / 1e7, y / 1e7]);
  }
  return ring;
}

/** A geometry with positions: as given unless it is marked q: 1. */
export function decodeGeometry(g) {
  if (!g || !g.q) return g;
  const polygon = (rings) => rings.map(decodeSteps);
  return {type: g.type,
          coordinates: g.type === 'Polygon' ? polygon(g.coordinates) : g.coordinates.map(polygon)};
}
