#!/usr/bin/env node
// Writes a small but complete farmwatch output folder (the viewer's data contract) for
// developing and testing the viewer:
//
//   node test/make_fixture.mjs OUTDIR [--dist DIR]
//
// --dist DIR: the built bundle (farmwatch-viewer.js/.css) to copy; without it the bundle is
// built first (node build.mjs into a temporary folder).
//
// Contents: index.html, viewer/, map.js, raster tiles for both grids (webmercator z 13..15 and
// tianditu-c levels 13..15) of two imagery dates, one land-use layer and the change layer,
// parcels and patches in vector chunks, chips, vectors/search.js. The class tiles are painted
// from the same polygons as the vectors, so a misplaced grid shows as outlines not matching fills.
// Plain node, no dependencies; the same input gives the same bytes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {execFileSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {encodePNG} from './png.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const viewerDir = path.resolve(here, '..');

// ---------------------------------------------------------------------------------------------
// arguments

const args = process.argv.slice(2);
let outDir = null;
let distDir = null;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--dist') distDir = args[++i];
  else if (!outDir && !args[i].startsWith('-')) outDir = args[i];
  else usage(`unknown argument ${args[i]}`);
}
if (!outDir) usage('OUTDIR is missing');

function usage(message) {
  console.error(`${message}\nusage: node test/make_fixture.mjs OUTDIR [--dist DIR]`);
  process.exit(2);
}

outDir = path.resolve(outDir);
if (fs.existsSync(outDir) && fs.readdirSync(outDir).length && !fs.existsSync(path.join(outDir, 'map.js'))) {
  console.error(`${outDir} is not empty and holds no map.js: not writing a fixture into it`);
  process.exit(2);
}
for (const sub of ['tiles', 'vectors', 'chips', 'viewer']) fs.rmSync(path.join(outDir, sub), {recursive: true, force: true});
fs.mkdirSync(outDir, {recursive: true});

// ---------------------------------------------------------------------------------------------
// the area, parcels and patches (lon/lat degrees)

const BOUNDS = [117.0, 31.835, 117.04, 31.865];
const CHUNK = 0.05;
const LEVELS = [13, 14, 15];

const rect = (w, s, e, n) => [[[w, s], [e, s], [e, n], [w, n], [w, s]]];

const parcels = [];
{
  const cols = [117.003, 117.012, 117.021, 117.03];
  const rows = [31.838, 31.847, 31.856];
  let k = 0;
  for (const lat of rows) {
    for (const lon of cols) {
      k++;
      const id = `3203-${String(k).padStart(4, '0')}`;
      parcels.push({
        id,
        name: k % 2 ? `西岗村 ${k} 号地块` : undefined,
        rings: rect(lon, lat, lon + 0.008, lat + 0.008),
      });
    }
  }
}

const patches = [
  {
    patch_id: 'FW20240820-0001', category: 'non_agricultural', category_label: '非农化',
    class_before: '耕地', class_after: '建设用地', parcels: '3203-0005', unit_name: '西岗村',
    status: 'new', status_label: '新发现', confidence: 0.93,
    rings: rect(117.005, 31.849, 117.009, 31.852), chips: true,
  },
  {
    // an L: its bounding-box centre lies outside it
    patch_id: 'FW20240820-0002', category: 'non_grain', category_label: '非粮化',
    class_before: '耕地', class_after: '园地', parcels: '3203-0007', unit_name: '南圩村',
    status: 'persisting', status_label: '持续存在', confidence: 0.81,
    rings: [[[117.022, 31.848], [117.028, 31.848], [117.028, 31.8505], [117.0245, 31.8505],
      [117.0245, 31.854], [117.022, 31.854], [117.022, 31.848]]], chips: true,
  },
  {
    patch_id: 'FW20240820-0003', category: 'other_change', category_label: '其他变化',
    class_before: '耕地', class_after: '水域', parcels: '3203-0010,3203-0011', unit_name: '南圩村',
    status: 'new', status_label: '新发现', confidence: null,
    rings: [[[117.016, 31.858], [117.024, 31.8585], [117.0235, 31.8615], [117.019, 31.862],
      [117.016, 31.858]]], chips: false,
  },
];

const CATEGORIES = {
  non_agricultural: {label: '非农化', color: '#e61e1e', value: 1, landuse: 5, after: [150, 150, 156]},
  non_grain: {label: '非粮化', color: '#ffa000', value: 2, landuse: 2, after: [52, 104, 44]},
  other_change: {label: '其他变化', color: '#286ee6', value: 3, landuse: 4, after: [62, 112, 196]},
};

const LANDUSE = [
  {value: 1, color: '#f2d16bff', label: '耕地'},
  {value: 2, color: '#a3d65cff', label: '园地'},
  {value: 3, color: '#2f7d32ff', label: '林地'},
  {value: 4, color: '#3d8fe0ff', label: '水域'},
  {value: 5, color: '#b4464bff', label: '建设用地'},
];
const CHANGE = Object.values(CATEGORIES).map((c) => ({value: c.value, color: `${c.color}ff`, label: c.label}));

// ---------------------------------------------------------------------------------------------
// geometry helpers

function insideRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function bbox(rings) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const ring of rings) for (const [x, y] of ring) {
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
  }
  return b;
}

function areaM2(ring) {
  // small polygons: local equirectangular projection
  const lat0 = (ring[0][1] * Math.PI) / 180;
  const kx = 111320 * Math.cos(lat0), ky = 110574;
  let a = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    a += ring[i][0] * kx * ring[i + 1][1] * ky - ring[i + 1][0] * kx * ring[i][1] * ky;
  }
  return Math.abs(a) / 2;
}

function centroid(ring) {
  let a = 0, cx = 0, cy = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x0, y0] = ring[i], [x1, y1] = ring[i + 1];
    const f = x0 * y1 - x1 * y0;
    a += f; cx += (x0 + x1) * f; cy += (y0 + y1) * f;
  }
  return [cx / (3 * a), cy / (3 * a)];
}

for (const p of patches) p.bbox = bbox(p.rings);

function patchAt(lon, lat) {
  for (const p of patches) {
    const b = p.bbox;
    if (lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3]) continue;
    if (insideRing(lon, lat, p.rings[0])) return p;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// what each raster layer shows at a point: [r, g, b, a]

function hash(i, j) {
  let h = (Math.imul(i, 374761393) + Math.imul(j, 668265263)) | 0;
  h = Math.imul(h ^ (h >>> 13), 1274126177);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

function inBounds(lon, lat) {
  return lon >= BOUNDS[0] && lon <= BOUNDS[2] && lat >= BOUNDS[1] && lat <= BOUNDS[3];
}

function isRoad(lon, lat) {
  const fx = ((lon - 117) / 0.01) % 1;
  const fy = ((lat - 31.8) / 0.01) % 1;
  return fx < 0.012 || fy < 0.012;
}

function field(lon, lat) {
  return hash(Math.floor((lon - 117) / 0.0025), Math.floor((lat - 31.8) / 0.002));
}

const TRANSPARENT = [0, 0, 0, 0];

const painters = {
  'imagery_2024-03-15'(lon, lat) {
    if (!inBounds(lon, lat)) return TRANSPARENT;
    if (isRoad(lon, lat)) return [186, 182, 172, 255];
    const h = field(lon, lat);
    if (h > 0.85) return [34, 84, 40, 255];
    return [78 + 40 * h, 126 + 50 * h, 58 + 20 * h, 255];
  },
  'imagery_2024-08-20'(lon, lat) {
    if (!inBounds(lon, lat)) return TRANSPARENT;
    const p = patchAt(lon, lat);
    if (p) return [...CATEGORIES[p.category].after, 255];
    if (isRoad(lon, lat)) return [186, 182, 172, 255];
    const h = field(lon, lat);
    if (h > 0.85) return [40, 96, 46, 255];
    return [170 + 40 * h, 158 + 30 * h, 72 + 20 * h, 255];
  },
  'landuse_2024-08-20'(lon, lat) {
    if (!inBounds(lon, lat)) return TRANSPARENT;
    const p = patchAt(lon, lat);
    let v = 1;
    if (p) v = CATEGORIES[p.category].landuse;
    else if (isRoad(lon, lat)) v = 5;
    else if (field(lon, lat) > 0.85) v = 3;
    return hexRGBA(LANDUSE[v - 1].color);
  },
  change(lon, lat) {
    const p = patchAt(lon, lat);
    return p ? hexRGBA(`${CATEGORIES[p.category].color}ff`) : TRANSPARENT;
  },
};

function hexRGBA(hex) {
  const n = hex.replace('#', '');
  return [0, 2, 4, 6].map((i) => (i < n.length ? parseInt(n.slice(i, i + 2), 16) : 255));
}

// ---------------------------------------------------------------------------------------------
// grids

const R = 6378137;
const HALF = Math.PI * R;
const GRIDS = {
  webmercator: {
    res: (z) => (2 * HALF) / 256 / 2 ** z,
    tileOf(lon, lat, z) {
      const n = 2 ** z;
      const x = Math.floor(((lon + 180) / 360) * n);
      const s = Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
      const y = Math.floor(((1 - s / Math.PI) / 2) * n);
      return [x, y];
    },
    lonLatOf(z, x, y, px, py) {
      const res = this.res(z);
      const mx = -HALF + (x * 256 + px) * res;
      const my = HALF - (y * 256 + py) * res;
      return [(mx / R) * (180 / Math.PI), (2 * Math.atan(Math.exp(my / R)) - Math.PI / 2) * (180 / Math.PI)];
    },
  },
  'tianditu-c': {
    res: (level) => 0.703125 / 2 ** (level - 1),
    tileOf(lon, lat, level) {
      const span = 256 * this.res(level);
      return [Math.floor((lon + 180) / span), Math.floor((90 - lat) / span)];
    },
    lonLatOf(level, x, y, px, py) {
      const res = this.res(level);
      return [-180 + (x * 256 + px) * res, 90 - (y * 256 + py) * res];
    },
  },
};

function renderTile(paint, grid, z, x, y, size = 256) {
  const rgba = new Uint8Array(size * size * 4);
  let any = false;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const [lon, lat] = grid.lonLatOf(z, x, y, (px + 0.5) * (256 / size), (py + 0.5) * (256 / size));
      const c = paint(lon, lat);
      const o = (py * size + px) * 4;
      rgba[o] = c[0]; rgba[o + 1] = c[1]; rgba[o + 2] = c[2]; rgba[o + 3] = c[3];
      if (c[3]) any = true;
    }
  }
  return any ? encodePNG(size, size, rgba) : null;
}

// ---------------------------------------------------------------------------------------------
// write

function write(rel, data) {
  const file = path.join(outDir, rel);
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, data);
}

const layerDefs = [
  {id: 'imagery_2024-03-15', title: '影像 2024-03-15', kind: 'imagery', date: '2024-03-15', visible: false},
  {id: 'imagery_2024-08-20', title: '影像 2024-08-20', kind: 'imagery', date: '2024-08-20', visible: true},
  {id: 'landuse_2024-08-20', title: '土地利用 2024-08-20', kind: 'classes', date: '2024-08-20', visible: false, legend: LANDUSE},
  {id: 'change', title: '变化', kind: 'classes', visible: true, legend: CHANGE},
];

let tileCount = 0;
for (const def of layerDefs) {
  def.tiles = {};
  for (const [gridId, grid] of Object.entries(GRIDS)) {
    def.tiles[gridId] = {url: `tiles/${gridId}/${def.id}/{z}/{x}/{y}.png`, minzoom: LEVELS[0], maxzoom: LEVELS[LEVELS.length - 1]};
    for (const z of LEVELS) {
      const [x0, y0] = grid.tileOf(BOUNDS[0], BOUNDS[3], z);
      const [x1, y1] = grid.tileOf(BOUNDS[2], BOUNDS[1], z);
      for (let x = x0; x <= x1; x++) {
        for (let y = y0; y <= y1; y++) {
          const png = renderTile(painters[def.id], grid, z, x, y);
          if (!png) continue; // empty tiles are absent, as farmwatch writes them
          write(`tiles/${gridId}/${def.id}/${z}/${x}/${y}.png`, png);
          tileCount++;
        }
      }
    }
  }
}

// chips: 64 x 64 before/after views of each patch's neighbourhood
function chip(paint, b) {
  const size = 64;
  const pad = 0.0015;
  const w = b[0] - pad, e = b[2] + pad, s = b[1] - pad, n = b[3] + pad;
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const lon = w + ((px + 0.5) / size) * (e - w);
      const lat = n - ((py + 0.5) / size) * (n - s);
      const c = paint(lon, lat);
      rgba.set([c[0], c[1], c[2], 255], (py * size + px) * 4);
    }
  }
  return encodePNG(size, size, rgba);
}

// vector chunks: a feature goes into every chunk its bounding box touches
function chunkKeys(b) {
  const keys = [];
  for (let i = Math.floor(b[0] / CHUNK); i <= Math.floor(b[2] / CHUNK); i++) {
    for (let j = Math.floor(b[1] / CHUNK); j <= Math.floor(b[3] / CHUNK); j++) keys.push(`${i}_${j}`);
  }
  return keys;
}

const round = (v) => Math.round(v * 1e7) / 1e7;
const geom = (rings) => ({type: 'Polygon', coordinates: rings.map((r) => r.map(([x, y]) => [round(x), round(y)]))});

const patchFeatures = patches.map((p) => {
  const m2 = Math.round(areaM2(p.rings[0]) * 100) / 100;
  const chips = p.chips ? [`chips/${p.patch_id}_before.png`, `chips/${p.patch_id}_after.png`] : [];
  if (p.chips) {
    write(chips[0], chip(painters['imagery_2024-03-15'], p.bbox));
    write(chips[1], chip(painters['imagery_2024-08-20'], p.bbox));
  }
  return {
    type: 'Feature',
    properties: {
      patch_id: p.patch_id, category: p.category, category_label: p.category_label,
      class_before: p.class_before, class_after: p.class_after,
      area_m2: m2, area_mu: Math.round((m2 / (10000 / 15)) * 100) / 100,
      parcels: p.parcels, unit_name: p.unit_name, status: p.status, status_label: p.status_label,
      confidence: p.confidence, chips,
    },
    geometry: geom(p.rings),
    bbox: p.bbox,
  };
});
const parcelFeatures = parcels.map((p) => ({
  type: 'Feature',
  properties: p.name ? {parcel_id: p.id, name: p.name} : {parcel_id: p.id},
  geometry: geom(p.rings),
  bbox: bbox(p.rings),
}));

function writeChunks(layerId, features) {
  const byChunk = new Map();
  for (const f of features) {
    for (const key of chunkKeys(f.bbox)) {
      if (!byChunk.has(key)) byChunk.set(key, []);
      byChunk.get(key).push({type: 'Feature', properties: f.properties, geometry: f.geometry});
    }
  }
  const keys = [...byChunk.keys()].sort();
  for (const key of keys) {
    const fc = {type: 'FeatureCollection', features: byChunk.get(key)};
    write(`vectors/${layerId}/${key}.js`, `farmwatchChunk(${JSON.stringify(layerId)}, ${JSON.stringify(key)}, ${JSON.stringify(fc)});\n`);
  }
  return keys;
}

const vectors = [
  {id: 'farmland', title: '永久基本农田', kind: 'parcels', count: parcelFeatures.length, chunk_size_deg: CHUNK,
    chunks: writeChunks('farmland', parcelFeatures), path: 'vectors/farmland/{chunk}.js'},
  {id: 'patches', title: '变化图斑', kind: 'patches', count: patchFeatures.length, chunk_size_deg: CHUNK,
    chunks: writeChunks('patches', patchFeatures), path: 'vectors/patches/{chunk}.js'},
];

const searchEntries = [
  ...patches.map((p) => [p.patch_id, 'patch', ...centroid(p.rings[0]).map(round)]),
  ...parcels.map((p) => [p.id, 'parcel', ...centroid(p.rings[0]).map(round)]),
];
write('vectors/search.js', `farmwatchSearch(${JSON.stringify(searchEntries)});\n`);

const mapDoc = {
  title: 'farmwatch: fixture',
  generated: '2026-11-29T12:00:00Z',
  version: '0.9.0',
  bounds: BOUNDS,
  grids: Object.keys(GRIDS),
  layers: layerDefs,
  swipe: {before: 'imagery_2024-03-15', after: 'imagery_2024-08-20'},
  categories: Object.fromEntries(Object.entries(CATEGORIES).map(([k, c]) => [k, {label: c.label, color: c.color}])),
  vectors,
  search: 'vectors/search.js',
};
write('map.js', `window.FARMWATCH_MAP = ${JSON.stringify(mapDoc, null, 1)};\n`);

// page and bundle
fs.copyFileSync(path.join(viewerDir, 'index.html'), path.join(outDir, 'index.html'));
let bundleDir = distDir ? path.resolve(distDir) : null;
let tmp = null;
if (!bundleDir) {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'farmwatch-viewer-'));
  execFileSync(process.execPath, [path.join(viewerDir, 'build.mjs'), tmp], {stdio: ['ignore', 'ignore', 'inherit']});
  bundleDir = tmp;
}
fs.mkdirSync(path.join(outDir, 'viewer'), {recursive: true});
for (const f of ['farmwatch-viewer.js', 'farmwatch-viewer.css']) {
  const src = path.join(bundleDir, f);
  if (!fs.existsSync(src)) {
    console.error(`bundle file missing: ${src} (build it with: node build.mjs DIR)`);
    process.exit(1);
  }
  fs.copyFileSync(src, path.join(outDir, 'viewer', f));
}
if (tmp) fs.rmSync(tmp, {recursive: true, force: true});

console.log(`fixture written to ${outDir}: ${tileCount} tiles, ${parcelFeatures.length} parcels, ${patchFeatures.length} patches`);
