#!/usr/bin/env node
// End-to-end test of the farmwatch one map viewer in headless Chromium, from file://.
//
//   node viewer/test/viewer.test.mjs OUTPUT_DIR SCREENSHOT_DIR [--golden NAME] [--update-golden]
//
// OUTPUT_DIR     a farmwatch output folder (index.html, map.js, viewer/, tiles/, vectors/ ...):
//                the real one or one written by test/make_fixture.mjs.
// SCREENSHOT_DIR where page screenshots (and, on a golden mismatch, actual/diff images) go.
// --golden NAME  compare map screenshots with viewer/test/golden/NAME/*.png (without it the
//                golden comparison is skipped, and says so).
// --update-golden  write the goldens instead of comparing (needs --golden).
// --chromium PATH  browser binary (default /usr/bin/chromium).
//
// Everything the test expects is read from OUTPUT_DIR's own files (map.js, the chunk files,
// search.js), so the same test runs on the fixture and on real output.
// Exit code 0 when every check passed; the last line reads "N passed, N failed[, N skipped]".
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {decodeGeometry} from '../src/outline_steps.js';
import {chromium} from 'playwright-core';
import {decodePNG, encodePNG} from './png.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const VIEWPORT = {width: 1000, height: 700};
const BACKGROUND = [0xdf, 0xe4, 0xe8]; // .fw-map background (viewer.css)
const GOLDEN_PIXEL_DELTA = 32; // a pixel differs when any channel differs by more than this
const GOLDEN_MAX_RATIO = 0.02; // ... and at most this share of pixels may differ
const TIMEOUT_MS = 20000;
// Map screenshots hide everything drawn in HTML over the map (controls, popup, swipe labels,
// text): goldens then hold only what the canvas draws and do not depend on fonts.
const MAP_ONLY_STYLE = '#fw-map .ol-overlaycontainer, #fw-map .ol-overlaycontainer-stopevent { visibility: hidden !important; }';

// ---------------------------------------------------------------------------------------------
// arguments

const argv = process.argv.slice(2);
const positional = [];
let goldenName = null;
let updateGolden = false;
let chromiumPath = '/usr/bin/chromium';
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--update-golden') updateGolden = true;
  else if (a === '--golden') goldenName = argv[++i];
  else if (a.startsWith('--golden=')) goldenName = a.slice('--golden='.length);
  else if (a === '--chromium') chromiumPath = argv[++i];
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else positional.push(a);
}
if (positional.length !== 2) usage('OUTPUT_DIR and SCREENSHOT_DIR are needed');
if (updateGolden && !goldenName) usage('--update-golden needs --golden NAME');
if (goldenName !== null && !/^[A-Za-z0-9._-]+$/.test(goldenName || '')) usage(`bad golden name ${goldenName}`);

function usage(message) {
  console.error(`${message}\nusage: node viewer/test/viewer.test.mjs OUTPUT_DIR SCREENSHOT_DIR [--golden NAME] [--update-golden] [--chromium PATH]`);
  process.exit(2);
}

const outDir = path.resolve(positional[0]);
const shotDir = path.resolve(positional[1]);
const goldenDir = goldenName ? path.join(here, 'golden', goldenName) : null;
fs.mkdirSync(shotDir, {recursive: true});
if (updateGolden) fs.mkdirSync(goldenDir, {recursive: true});

// ---------------------------------------------------------------------------------------------
// check bookkeeping

const results = [];
const started = Date.now();

async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    if (note && note.skip) {
      results.push({name, status: 'skip'});
      console.log(`SKIP ${name}: ${note.skip}`);
    } else {
      results.push({name, status: 'pass'});
      console.log(`ok   ${name}${note ? ` (${note})` : ''} [${Date.now() - t0} ms]`);
    }
  } catch (err) {
    results.push({name, status: 'fail'});
    console.log(`FAIL ${name}: ${err && err.message ? err.message : err}`);
  }
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function finish(code) {
  const n = (s) => results.filter((r) => r.status === s).length;
  const failed = n('fail');
  console.log(`viewer test: ${((Date.now() - started) / 1000).toFixed(1)} s, screenshots in ${shotDir}`);
  console.log(`${n('pass')} passed, ${failed} failed${n('skip') ? `, ${n('skip')} skipped` : ''}`);
  process.exit(code ?? (failed ? 1 : 0));
}

function fatal(message) {
  results.push({name: 'setup', status: 'fail'});
  console.log(`FAIL ${message}`);
  finish(1);
}

// ---------------------------------------------------------------------------------------------
// the output folder's data, read the way the page reads it

function runScript(file, globals) {
  const code = fs.readFileSync(file, 'utf8');
  vm.runInNewContext(code, globals, {filename: file, timeout: 5000});
}

if (!fs.existsSync(path.join(outDir, 'index.html'))) fatal(`${outDir}/index.html does not exist`);
for (const f of ['map.js', 'viewer/farmwatch-viewer.js', 'viewer/farmwatch-viewer.css']) {
  if (!fs.existsSync(path.join(outDir, f))) fatal(`${outDir}/${f} does not exist`);
}
const win = {};
try {
  runScript(path.join(outDir, 'map.js'), {window: win});
} catch (err) {
  fatal(`map.js does not run: ${err.message}`);
}
const M = win.FARMWATCH_MAP;
if (!M || !Array.isArray(M.bounds) || !Array.isArray(M.layers)) fatal('map.js does not set window.FARMWATCH_MAP with bounds and layers');
const grids = (M.grids || []).filter((g) => g === 'webmercator' || g === 'tianditu-c');
if (!grids.length) fatal('map.js lists no known grid');

// vector features of each layer, from the chunk files
const vectorFeatures = {};
const dataProblems = []; // reported by the check 'data files run'
for (const v of M.vectors || []) {
  const byId = new Map();
  for (const chunk of v.chunks || []) {
    const file = path.join(outDir, v.path.replace('{chunk}', chunk));
    if (!fs.existsSync(file)) {
      dataProblems.push(`${v.id}: listed chunk ${chunk} has no file ${path.relative(outDir, file)}`);
      continue;
    }
    try {
      runScript(file, {
      farmwatchChunk(layer, key, fc) {
        for (const f of (fc && fc.features) || []) {
          const p = f.properties || {};
          const id = v.kind === 'patches' ? p.patch_id : v.kind === 'parcels' ? p.parcel_id : p.id;
          if (id !== undefined && !byId.has(String(id))) byId.set(String(id), f);
        }
      },
      });
    } catch (err) {
      dataProblems.push(`${path.relative(outDir, file)}: ${err.message}`);
    }
  }
  vectorFeatures[v.id] = {def: v, byId};
}
let searchEntries = null;
if (M.search) {
  try {
    runScript(path.join(outDir, M.search), {farmwatchSearch: (e) => (searchEntries = e)});
    if (!Array.isArray(searchEntries)) dataProblems.push(`${M.search} does not call farmwatchSearch([...])`);
  } catch (err) {
    dataProblems.push(`${M.search}: ${err.message}`);
  }
}

const patchLayer = Object.values(vectorFeatures).find((v) => v.def.kind === 'patches' && v.byId.size);
const parcelLayer = Object.values(vectorFeatures).find((v) => v.def.kind === 'parcels' && v.byId.size);
const patchIds = patchLayer ? [...patchLayer.byId.keys()].sort() : [];
const parcelIds = parcelLayer ? [...parcelLayer.byId.keys()].sort() : [];
const searchOf = (type, id) => (searchEntries || []).find((e) => e[1] === type && String(e[0]) === id);
// prefer a patch / parcel the search index knows
const patchId = patchIds.find((id) => searchOf('patch', id)) || patchIds[0];
const parcelId = parcelIds.find((id) => searchOf('parcel', id)) || parcelIds[0];

// tile URL templates -> regexps, to tell which layer / grid / level a request is for
const tileTemplates = [];
for (const layer of M.layers) {
  for (const [grid, spec] of Object.entries(layer.tiles || {})) {
    if (!spec || !spec.url) continue;
    const rx = spec.url
      .split(/(\{[zxy]\})/)
      .map((part) => (/^\{[zxy]\}$/.test(part) ? '(\\d+)' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/[{}]/g, '\\$&')))
      .join('');
    const order = [...spec.url.matchAll(/\{([zxy])\}/g)].map((m) => m[1]);
    tileTemplates.push({layer: layer.id, grid, spec, rx: new RegExp(`^${rx}$`), order});
  }
}
const baseUrl = pathToFileURL(outDir + path.sep).href;

function classifyTile(url) {
  if (!url.startsWith(baseUrl)) return null;
  const rel = decodeURI(url.slice(baseUrl.length).split(/[?#]/)[0]);
  for (const t of tileTemplates) {
    const m = rel.match(t.rx);
    if (!m) continue;
    const c = {};
    t.order.forEach((k, i) => (c[k] = Number(m[i + 1])));
    return {layer: t.layer, grid: t.grid, spec: t.spec, z: c.z, x: c.x, y: c.y, rel};
  }
  return null;
}

// the tile range that covers the area's bounds at a level (the URL's {z})
function tileRange(grid, z) {
  const [w, s, e, n] = M.bounds;
  if (grid === 'webmercator') {
    const k = 2 ** z;
    const tx = (lon) => Math.floor(((lon + 180) / 360) * k);
    const ty = (lat) => Math.floor(((1 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / Math.PI) / 2) * k);
    return [tx(w), ty(n), tx(e), ty(s)];
  }
  const span = 256 * (0.703125 / 2 ** (z - 1));
  return [Math.floor((w + 180) / span), Math.floor((90 - n) / span), Math.floor((e + 180) / span), Math.floor((90 - s) / span)];
}

function tileInRange(t) {
  const minz = t.spec.minzoom ?? 0;
  const maxz = t.spec.maxzoom ?? 99;
  if (t.z < minz || t.z > maxz) return `level ${t.z} outside ${minz}..${maxz}`;
  const r = tileRange(t.grid, t.z);
  // one tile of slack for bounds that lie on a tile edge
  if (t.x < r[0] - 1 || t.x > r[2] + 1 || t.y < r[1] - 1 || t.y > r[3] + 1) return `tile ${t.x}/${t.y} outside the area's tiles ${r.join(',')}`;
  return null;
}

// a point inside a (multi)polygon, in lon/lat: the ring centroid if inside, else the middle of
// the widest run of a scanline through the middle of the shape
function insideRings(lon, lat, rings) {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

function interiorPoint(geometry) {
  geometry = decodeGeometry(geometry);
  const polys = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  if (!polys.length) throw new Error(`patch geometry is ${geometry.type}, not a polygon`);
  // the largest polygon by bbox
  const bb = (rings) => rings[0].reduce((b, [x, y]) => [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)], [Infinity, Infinity, -Infinity, -Infinity]);
  const rings = polys.map((p) => ({p, b: bb(p)})).sort((a, b) => (b.b[2] - b.b[0]) * (b.b[3] - b.b[1]) - (a.b[2] - a.b[0]) * (a.b[3] - a.b[1]))[0];
  const ring = rings.p[0];
  let a = 0, cx = 0, cy = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x0, y0] = ring[i], [x1, y1] = ring[i + 1];
    const f = x0 * y1 - x1 * y0;
    a += f; cx += (x0 + x1) * f; cy += (y0 + y1) * f;
  }
  if (a) {
    const c = [cx / (3 * a), cy / (3 * a)];
    if (insideRings(c[0], c[1], rings.p)) return c;
  }
  const b = rings.b;
  let best = null;
  for (const f of [0.5, 0.3, 0.7, 0.2, 0.8]) {
    const lat = b[1] + (b[3] - b[1]) * f;
    const xs = [];
    for (const r of rings.p) {
      for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
        const [xi, yi] = r[i];
        const [xj, yj] = r[j];
        if (yi > lat !== yj > lat) xs.push(((xj - xi) * (lat - yi)) / (yj - yi) + xi);
      }
    }
    xs.sort((p, q) => p - q);
    for (let i = 0; i + 1 < xs.length; i += 2) {
      if (!best || xs[i + 1] - xs[i] > best.w) best = {w: xs[i + 1] - xs[i], p: [(xs[i] + xs[i + 1]) / 2, lat]};
    }
  }
  if (!best) throw new Error('no interior point found');
  return best.p;
}

// ---------------------------------------------------------------------------------------------
// images

function pixelStats(png) {
  const {width, height, data} = decodePNG(png);
  let nonBackground = 0;
  for (let i = 0; i < data.length; i += 4) {
    const d = Math.max(Math.abs(data[i] - BACKGROUND[0]), Math.abs(data[i + 1] - BACKGROUND[1]), Math.abs(data[i + 2] - BACKGROUND[2]));
    if (d > 24) nonBackground++;
  }
  return {width, height, ratio: nonBackground / (width * height)};
}

function compareImages(pngA, pngB) {
  const a = decodePNG(pngA);
  const b = decodePNG(pngB);
  if (a.width !== b.width || a.height !== b.height) return {sizeMismatch: `${a.width}x${a.height} vs ${b.width}x${b.height}`, ratio: 1};
  const diff = new Uint8Array(a.data.length);
  let differing = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    const d = Math.max(
      Math.abs(a.data[i] - b.data[i]),
      Math.abs(a.data[i + 1] - b.data[i + 1]),
      Math.abs(a.data[i + 2] - b.data[i + 2]),
      Math.abs(a.data[i + 3] - b.data[i + 3]),
    );
    if (d > GOLDEN_PIXEL_DELTA) {
      differing++;
      diff.set([255, 0, 0, 255], i);
    } else {
      const g = (a.data[i] + a.data[i + 1] + a.data[i + 2]) / 3;
      diff.set([g, g, g, 80], i);
    }
  }
  return {ratio: differing / (a.width * a.height), differing, diffPng: encodePNG(a.width, a.height, diff)};
}

async function golden(name, png) {
  fs.writeFileSync(path.join(shotDir, `map-${name}.png`), png);
  if (!goldenDir) return 'no golden comparison (no --golden NAME)';
  const file = path.join(goldenDir, `${name}.png`);
  if (updateGolden) {
    fs.writeFileSync(file, png);
    return `golden written: ${path.relative(process.cwd(), file)}`;
  }
  assert(fs.existsSync(file), `golden ${file} is missing (write it with --update-golden)`);
  const cmp = compareImages(png, fs.readFileSync(file));
  if (cmp.sizeMismatch) throw new Error(`screenshot size ${cmp.sizeMismatch} (golden ${file})`);
  if (cmp.ratio > GOLDEN_MAX_RATIO) {
    fs.writeFileSync(path.join(shotDir, `map-${name}-diff.png`), cmp.diffPng);
    throw new Error(`${(cmp.ratio * 100).toFixed(2)}% of pixels differ from ${file} by more than ${GOLDEN_PIXEL_DELTA} ` +
      `(limit ${GOLDEN_MAX_RATIO * 100}%); see ${shotDir}/map-${name}.png and map-${name}-diff.png`);
  }
  return `${(cmp.ratio * 100).toFixed(3)}% of pixels differ`;
}

// ---------------------------------------------------------------------------------------------
// the browser

if (!fs.existsSync(chromiumPath)) fatal(`no browser at ${chromiumPath} (apt-get install chromium)`);
let browser;
try {
  browser = await chromium.launch({executablePath: chromiumPath, headless: true});
} catch (err) {
  fatal(`cannot start ${chromiumPath}: ${err.message}`);
}
const context = await browser.newContext({viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'zh-CN', timezoneId: 'UTC'});
// no internet: anything not below file:// is refused (and reported)
const foreign = [];
await context.route((url) => !url.href.startsWith('file:'), (route) => {
  foreign.push(route.request().url());
  return route.abort();
});
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT_MS);

const consoleErrors = []; // console.error and uncaught errors
const absentTiles = []; // tile requests that failed (farmwatch leaves empty tiles out)
const badRequests = []; // any other failed request
const tileLoads = []; // succeeded tile requests
const otherLoads = new Map(); // url -> count, for chunks etc.
page.on('pageerror', (err) => consoleErrors.push(`page error: ${err.message}`));
page.on('console', (msg) => {
  if (msg.type() !== 'error') return;
  const text = msg.text();
  const url = msg.location() && msg.location().url;
  // Chromium reports every failed load as a console error; absent tiles are checked apart
  if (/^Failed to load resource/.test(text) && url && classifyTile(url)) return;
  consoleErrors.push(`console.error: ${text}${url ? ` (${url})` : ''}`);
});
page.on('requestfinished', (req) => {
  const t = classifyTile(req.url());
  if (t) tileLoads.push(t);
  else otherLoads.set(req.url(), (otherLoads.get(req.url()) || 0) + 1);
});
page.on('requestfailed', (req) => {
  const t = classifyTile(req.url());
  if (t) absentTiles.push(t);
  else if (req.url().startsWith('file:')) badRequests.push(`${req.url()}: ${req.failure() && req.failure().errorText}`);
});

function withTimeout(promise, what, ms = TIMEOUT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

const idle = (what = 'the map to finish drawing') =>
  withTimeout(page.evaluate(() => window.farmwatchViewer.idle()), what);

async function mapShot() {
  return page.locator('#fw-map').screenshot({style: MAP_ONLY_STYLE, animations: 'disabled', caret: 'hide'});
}

async function pageShot(name) {
  await page.screenshot({path: path.join(shotDir, `page-${name}.png`)});
}

/** page pixel of the map's centre, and of a lon/lat */
async function centreOffset(lon, lat) {
  return page.evaluate(([lon, lat]) => {
    const [x, y] = window.farmwatchViewer.pixelOf(lon, lat);
    const r = window.farmwatchViewer.map.getViewport().getBoundingClientRect();
    return [x - (r.left + r.width / 2), y - (r.top + r.height / 2)];
  }, [lon, lat]);
}

async function popupText() {
  const popup = page.locator('#fw-popup');
  await popup.waitFor({state: 'visible', timeout: 5000}).catch(() => {
    throw new Error('no popup is shown');
  });
  return popup.innerText();
}

function expectPopup(text, id) {
  const f = patchLayer.byId.get(id);
  const p = f.properties;
  const cat = (M.categories || {})[p.category] || {};
  const want = {
    'patch id': String(p.patch_id),
    category: String(p.category_label || cat.label || p.category),
    'area m²': `${Number(p.area_m2).toFixed(2)} m²`,
    'area 亩': `${Number(p.area_mu).toFixed(2)} 亩`,
    status: String(p.status_label || p.status),
  };
  const missing = Object.entries(want).filter(([, v]) => !text.includes(v));
  assert(!missing.length, `popup lacks ${missing.map(([k, v]) => `${k} "${v}"`).join(', ')}; popup text: ${JSON.stringify(text)}`);
}

// ---------------------------------------------------------------------------------------------
// the checks

const initialGrid = grids[0];

await check('data files run (vector chunks, search index)', async () => {
  assert(!dataProblems.length, dataProblems.join('; '));
  const n = Object.values(vectorFeatures).reduce((k, v) => k + v.byId.size, 0);
  return `${n} vector features, ${searchEntries ? searchEntries.length : 0} search entries`;
});

await check('page opens from file:// and draws', async () => {
  await page.goto(pathToFileURL(path.join(outDir, 'index.html')).href);
  const hasViewer = await page.evaluate(() => !!window.farmwatchViewer);
  assert(hasViewer, 'window.farmwatchViewer is not defined: did viewer/farmwatch-viewer.js load?');
  await withTimeout(page.evaluate(() => window.farmwatchViewer.ready), 'farmwatchViewer.ready (first rendercomplete)');
  await idle();
  await pageShot('initial');
  const header = await page.locator('.fw-title').innerText();
  assert(header.trim() === String(M.title).trim(), `header shows "${header}", map.js title is "${M.title}"`);
  assert((await page.title()) === M.title, `document title is "${await page.title()}"`);
  const grid = await page.evaluate(() => window.farmwatchViewer.grid);
  assert(grid === initialGrid, `the first grid is ${grid}, map.js lists ${initialGrid} first`);
});

await check('tiles are requested and drawn', async () => {
  const ok = tileLoads.filter((t) => t.grid === initialGrid);
  assert(ok.length > 0, `no tile of grid ${initialGrid} loaded (failed: ${absentTiles.length})`);
  // rasters only: every raster layer of this grid on, the vector layers off, for one frame
  const turnedOn = [];
  for (const layer of M.layers) {
    const box = page.locator(`#fw-layers input[data-layer-id="${layer.id}"]:not([disabled])`);
    if ((await box.count()) === 1 && !(await box.isChecked())) {
      await box.check();
      turnedOn.push(layer.id);
    }
  }
  await page.evaluate(() => {
    window.farmwatchViewer.map.getLayers().forEach((l) => {
      if (l.getSource && l.getSource() && l.getSource().getFeatures) {
        l.set('fwTestVisible', l.getVisible());
        l.setVisible(false);
      }
    });
  });
  await idle();
  const shot = await mapShot();
  fs.writeFileSync(path.join(shotDir, 'map-rasters-only.png'), shot);
  await page.evaluate(() => {
    window.farmwatchViewer.map.getLayers().forEach((l) => {
      if (l.get('fwTestVisible') !== undefined) {
        l.setVisible(l.get('fwTestVisible'));
        l.unset('fwTestVisible');
      }
    });
  });
  for (const id of turnedOn) await page.locator(`#fw-layers input[data-layer-id="${id}"]`).uncheck();
  await idle();
  const stats = pixelStats(shot);
  assert(stats.ratio > 0.01, `with every raster layer on, the map shows only background (${(stats.ratio * 100).toFixed(3)}% other pixels)`);
  return `${ok.length} tiles loaded, ${absentTiles.length} absent, every raster layer on: ${(stats.ratio * 100).toFixed(1)}% of the map drawn`;
});

await check('layer switcher lists every layer with its title', async () => {
  const all = [...M.layers, ...(M.vectors || [])].map((l) => ({id: l.id, title: l.title, visible: l.visible}));
  const wrong = [];
  for (const l of all) {
    const row = page.locator(`#fw-layers .fw-layer[data-layer-id="${l.id}"]`);
    if ((await row.count()) !== 1) {
      wrong.push(`${l.id}: no row`);
      continue;
    }
    const title = await row.locator('.fw-layer-title').innerText();
    if (!title.includes(l.title || l.id)) wrong.push(`${l.id}: shows "${title}"`);
    const checked = await row.locator('input[type=checkbox]').isChecked();
    const want = l.visible !== false;
    if (checked !== want) wrong.push(`${l.id}: checkbox ${checked ? 'on' : 'off'}, map.js says ${want ? 'visible' : 'hidden'}`);
  }
  assert(!wrong.length, wrong.join('; '));
  return `${all.length} layers`;
});

async function legendProblems(layer) {
  const group = page.locator(`#fw-legend .fw-legend-group[data-layer-id="${layer.id}"]`);
  if ((await group.count()) !== 1) return [`${layer.id}: no legend`];
  const problems = [];
  const items = await group.locator('li').evaluateAll((lis) =>
    lis.map((li) => ({label: li.querySelector('.fw-legend-label').textContent, color: li.querySelector('.fw-swatch').dataset.color})));
  for (const entry of layer.legend) {
    const want = String(entry.label ?? entry.value);
    const item = items.find((i) => i.label === want);
    if (!item) problems.push(`${layer.id}: no legend entry "${want}"`);
    else if (String(item.color).toLowerCase() !== String(entry.color).toLowerCase()) problems.push(`${layer.id}: "${want}" has colour ${item.color}, not ${entry.color}`);
  }
  return problems;
}

await check('legend shows class names and colours of the class layers and patch categories', async () => {
  const classLayers = M.layers.filter((l) => l.kind === 'classes' && Array.isArray(l.legend) && l.tiles && l.tiles[initialGrid]);
  if (!classLayers.length) return {skip: 'map.js has no class layer'};
  const problems = [];
  for (const layer of classLayers) {
    const box = page.locator(`#fw-layers input[data-layer-id="${layer.id}"]`);
    const wasOn = await box.isChecked();
    if (!wasOn) await box.check();
    problems.push(...(await legendProblems(layer)));
    if (!wasOn) {
      await box.uncheck();
      if (await page.locator(`#fw-legend .fw-legend-group[data-layer-id="${layer.id}"]`).count()) problems.push(`${layer.id}: legend stays when the layer is off`);
    }
  }
  if (patchLayer && M.categories) {
    const cats = Object.values(M.categories).map((c) => ({label: c.label, color: c.color}));
    problems.push(...(await legendProblems({id: patchLayer.def.id, legend: cats})));
  }
  await idle();
  assert(!problems.length, problems.join('; '));
  return `${classLayers.length} class layers`;
});

await check('golden: initial view', async () => {
  const note = await golden('initial', await mapShot());
  return goldenDir ? note : {skip: 'no --golden NAME given'};
});

await check('before/after swipe changes what is drawn', async () => {
  const control = page.locator('#fw-swipe');
  if (!M.swipe) {
    assert((await control.count()) === 0, 'map.js has no swipe but the page shows a swipe control');
    return {skip: 'map.js has no swipe (one date)'};
  }
  assert((await control.count()) === 1, 'no swipe control (#fw-swipe)');
  await control.fill('0');
  await idle();
  const at0 = await mapShot();
  await control.fill('50');
  await idle();
  const at50 = await mapShot();
  await pageShot('swipe-50');
  const cmp = compareImages(at0, at50);
  assert(cmp.ratio > 0.01, `moving the swipe to 50% changed only ${(cmp.ratio * 100).toFixed(2)}% of the map`);
  // dragging the slider with the mouse moves it as well
  const box = await control.boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2, {steps: 4});
  await page.mouse.up();
  const value = Number(await control.inputValue());
  assert(value > 15 && value < 35, `dragging the swipe to a quarter of the width set it to ${value}`);
  await idle();
  const atDrag = await mapShot();
  assert(compareImages(at50, atDrag).ratio > 0.005, 'dragging the swipe did not change the map');
  await control.fill('50');
  await idle();
  const g = await golden('swipe-50', await mapShot());
  await page.evaluate(() => window.farmwatchViewer.setSwipe(0));
  await idle();
  return `${(cmp.ratio * 100).toFixed(1)}% of the map changed; ${g}`;
});

await check('zoomed far out, vectors are not loaded and a hint is shown', async () => {
  if (!(M.vectors || []).length) return {skip: 'no vector layers'};
  const before = await page.evaluate(() => {
    const v = window.farmwatchViewer.map.getView();
    const state = {center: v.getCenter(), resolution: v.getResolution()};
    v.setZoom(4);
    return state;
  });
  await idle();
  const hint = await page.locator('.fw-hint').isVisible();
  const visibleVectors = await page.evaluate(() =>
    window.farmwatchViewer.map.getLayers().getArray().filter((l) => l.getSource() && l.getSource().getFeatures && l.getVisible()).length);
  await page.evaluate((s) => {
    const v = window.farmwatchViewer.map.getView();
    v.setCenter(s.center);
    v.setResolution(s.resolution);
  }, before);
  await idle();
  assert(hint, 'no zoom-in hint at zoom 4');
  assert(visibleVectors === 0, `${visibleVectors} vector layers still drawn at zoom 4`);
});

for (const grid of grids.slice(1)) {
  await check(`grid switch ${initialGrid} → ${grid} → ${initialGrid}`, async () => {
    const c0 = await page.evaluate(() => window.farmwatchViewer.centerLonLat());
    const n0 = tileLoads.filter((t) => t.grid === grid).length;
    await page.locator('#fw-grid').selectOption(grid);
    await idle();
    await pageShot(`grid-${grid}`);
    const now = await page.evaluate(() => ({grid: window.farmwatchViewer.grid, proj: window.farmwatchViewer.map.getView().getProjection().getCode()}));
    assert(now.grid === grid, `grid is ${now.grid} after choosing ${grid}`);
    const wantProj = grid === 'webmercator' ? 'EPSG:3857' : 'EPSG:4326';
    assert(now.proj === wantProj, `view projection ${now.proj}, expected ${wantProj}`);
    const c1 = await page.evaluate(() => window.farmwatchViewer.centerLonLat());
    const off = await centreOffset(c0[0], c0[1]);
    assert(Math.hypot(off[0], off[1]) < 1.5, `the centre moved by ${off.map((v) => v.toFixed(1)).join(', ')} px (${c0} -> ${c1})`);
    const loaded = tileLoads.filter((t) => t.grid === grid).length - n0;
    assert(loaded > 0, `no tile of grid ${grid} was loaded`);
    const g = await golden(`grid-${grid}`, await mapShot());
    // vectors are there in the other grid as well
    const features = await page.evaluate(() =>
      window.farmwatchViewer.map.getLayers().getArray().filter((l) => l.getSource() && l.getSource().getFeatures)
        .reduce((n, l) => n + l.getSource().getFeatures().length, 0));
    assert(features > 0 || !(M.vectors || []).length, 'no vector feature after the grid switch');
    await page.locator('#fw-grid').selectOption(initialGrid);
    await idle();
    assert((await page.evaluate(() => window.farmwatchViewer.grid)) === initialGrid, 'could not switch back');
    return `${loaded} tiles of ${grid}; ${g}`;
  });
}
if (grids.length < 2) results.push({name: 'grid switch', status: 'skip'}), console.log('SKIP grid switch: map.js lists one grid');

const deepest = Math.max(...M.layers.map((l) => (l.tiles && l.tiles[initialGrid] && l.tiles[initialGrid].maxzoom) ?? -1));

await check('search finds a patch id, centres on it and opens its popup', async () => {
  if (!patchId) return {skip: 'no patch in the output'};
  const entry = searchOf('patch', patchId);
  if (!entry) return {skip: M.search ? `search.js has no entry for ${patchId}` : 'map.js has no search index'};
  await page.locator('#fw-search').fill(patchId.toLowerCase()); // case-insensitive
  await page.locator('#fw-search').press('Enter');
  await idle();
  const off = await centreOffset(entry[2], entry[3]);
  assert(Math.hypot(off[0], off[1]) < 2, `the map centre is ${off.map((v) => v.toFixed(1)).join(', ')} px away from ${patchId}`);
  const zoom = await page.evaluate(() => window.farmwatchViewer.map.getView().getZoom());
  if (deepest >= 0) assert(Math.abs(zoom - deepest) < 0.01, `zoom ${zoom}, expected the deepest raster level ${deepest}`);
  expectPopup(await popupText(), patchId);
  await pageShot('search-patch');
  return `zoom ${zoom}`;
});

await check('clicking a patch shows its popup (id, category, m², 亩, status)', async () => {
  if (!patchId) return {skip: 'no patch in the output'};
  const f = patchLayer.byId.get(patchId);
  const [lon, lat] = interiorPoint(f.geometry);
  // make sure the patch is in view (the search above put it there when there is a search index)
  await page.evaluate(([lon, lat, z]) => {
    const fv = window.farmwatchViewer;
    const [x, y] = fv.pixelOf(lon, lat);
    const r = fv.map.getViewport().getBoundingClientRect();
    if (x < r.left + 40 || x > r.right - 40 || y < r.top + 40 || y > r.bottom - 40) {
      const v = fv.map.getView();
      const proj = v.getProjection().getCode();
      const c = proj === 'EPSG:3857'
        ? [lon * 20037508.342789244 / 180, Math.log(Math.tan((90 + lat) * Math.PI / 360)) * 6378137]
        : [lon, lat];
      v.setCenter(c);
      if (z >= 0) v.setZoom(z);
    }
  }, [lon, lat, deepest]);
  if (await page.locator('.fw-popup-close').isVisible()) await page.locator('.fw-popup-close').click();
  // a click on the map within OpenLayers' double-click delay (250 ms) of the close click would be
  // a double click (zoom in), not a click: wait as a person would
  await page.waitForTimeout(400);
  await idle();
  assert(!(await page.locator('#fw-popup').isVisible()), 'the popup does not close');
  const [x, y] = await page.evaluate(([lon, lat]) => window.farmwatchViewer.pixelOf(lon, lat), [lon, lat]);
  await page.mouse.click(x, y);
  // singleclick fires after the double-click delay
  const text = await popupText();
  expectPopup(text, patchId);
  await idle();
  await pageShot('patch-popup');
  const id = await page.locator('#fw-popup').getAttribute('data-id');
  assert(id === patchId, `popup is for ${id}`);
  return golden('patch-selected', await mapShot());
});

await check('search finds a parcel id (and a prefix) and centres on it', async () => {
  if (!parcelId) return {skip: 'no parcel in the output'};
  const entry = searchOf('parcel', parcelId);
  if (!entry) return {skip: M.search ? `search.js has no entry for ${parcelId}` : 'map.js has no search index'};
  // a prefix lists candidates
  const prefix = parcelId.slice(0, Math.max(1, parcelId.length - 1));
  await page.locator('#fw-search').fill(prefix);
  const listed = await page.locator('.fw-search-results button').allInnerTexts();
  assert(listed.some((t) => t.includes(parcelId)), `typing "${prefix}" lists ${JSON.stringify(listed)}, not ${parcelId}`);
  await page.locator('#fw-search').fill(parcelId.toUpperCase());
  await page.locator('#fw-search').press('Enter');
  await idle();
  const off = await centreOffset(entry[2], entry[3]);
  assert(Math.hypot(off[0], off[1]) < 2, `the map centre is ${off.map((v) => v.toFixed(1)).join(', ')} px away from ${parcelId}`);
  await pageShot('search-parcel');
  const status = await page.locator('.fw-search-status').innerText();
  assert(status.includes(parcelId), `search status says "${status}"`);
});

await check('no console errors and no page errors', async () => {
  assert(!consoleErrors.length, `${consoleErrors.length} errors:\n  ${consoleErrors.slice(0, 20).join('\n  ')}`);
});

await check('only files of the output folder are requested, each vector chunk once', async () => {
  const problems = [];
  if (foreign.length) problems.push(`requests outside the output folder: ${[...new Set(foreign)].slice(0, 5).join(', ')}`);
  if (badRequests.length) problems.push(`failed requests: ${badRequests.slice(0, 5).join(', ')}`);
  const twice = [...otherLoads].filter(([url, n]) => n > 1 && /\/vectors\//.test(url));
  if (twice.length) problems.push(`loaded more than once: ${twice.map(([u, n]) => `${u} x${n}`).join(', ')}`);
  const outOfRange = [...tileLoads, ...absentTiles].map((t) => [t, tileInRange(t)]).filter(([, why]) => why);
  if (outOfRange.length) problems.push(`tiles requested outside the layer's levels or area: ${outOfRange.slice(0, 5).map(([t, why]) => `${t.rel} (${why})`).join(', ')}`);
  assert(!problems.length, problems.join('; '));
  return `${tileLoads.length} tiles loaded, ${absentTiles.length} absent tiles requested (empty tiles are not written)`;
});

await browser.close();
finish();
