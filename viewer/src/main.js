// farmwatch one map (一张图) viewer.
//
// Works from file:// without a server: the page's data arrives only through <script> tags
// (map.js sets window.FARMWATCH_MAP; vector chunks call window.farmwatchChunk; the search
// index calls window.farmwatchSearch). Tiles are plain <img> loads. No fetch, no XHR.
import 'ol/ol.css';
import './viewer.css';

import OLMap from 'ol/Map.js';
import View from 'ol/View.js';
import Overlay from 'ol/Overlay.js';
import TileLayer from 'ol/layer/Tile.js';
import VectorLayer from 'ol/layer/Vector.js';
import ImageTile from 'ol/source/ImageTile.js';
import OSM from 'ol/source/OSM.js';
import VectorSource from 'ol/source/Vector.js';
import TileGrid from 'ol/tilegrid/TileGrid.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import Control from 'ol/control/Control.js';
import ScaleLine from 'ol/control/ScaleLine.js';
import MousePosition from 'ol/control/MousePosition.js';
import {defaults as defaultControls} from 'ol/control/defaults.js';
import {Fill, Stroke, Style} from 'ol/style.js';
import {transform, transformExtent} from 'ol/proj.js';
import {getRenderPixel} from 'ol/render.js';
import {createStringXY} from 'ol/coordinate.js';
import {decodeGeometry} from './outline_steps.js';

// ---------------------------------------------------------------------------------------------
// Tile grids

const MERCATOR_HALF = 20037508.342789244; // half the EPSG:3857 world width, metres
const MERCATOR_RES0 = (2 * MERCATOR_HALF) / 256; // metres per pixel at z = 0
const TIANDITU_RES1 = 0.703125; // degrees per pixel at level 1 (2 x 1 tiles of 256 px)
const MAX_LEVEL = 22;

/**
 * The tile grids farmwatch writes. `zOffset` maps OpenLayers' zoom index to the number written
 * in the URL's {z}; `viewZoom` is the view zoom with the same resolution as URL level {z}
 * (OpenLayers' default EPSG:4326 view has 1.40625 deg/px at zoom 0, i.e. zoom L = level L).
 */
const GRIDS = {
  webmercator: {
    label: 'Web 墨卡托 (EPSG:3857)',
    projection: 'EPSG:3857',
    origin: [-MERCATOR_HALF, MERCATOR_HALF],
    resolution: (z) => MERCATOR_RES0 / 2 ** z,
    firstLevel: 0,
    zOffset: 0,
    online: true,
  },
  'tianditu-c': {
    label: '天地图 经纬度 (CGCS2000)',
    projection: 'EPSG:4326',
    origin: [-180, 90],
    resolution: (level) => TIANDITU_RES1 / 2 ** (level - 1),
    firstLevel: 1,
    zOffset: 1,
    online: false,
  },
};

// ---------------------------------------------------------------------------------------------
// Small helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'style') node.style.cssText = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'checked' || key === 'disabled' || key === 'value') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fmtNumber(value, digits) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(digits) : '—';
}

function text(value) {
  return value === undefined || value === null || value === '' ? '—' : String(value);
}

/** Non-zero fill alpha is not needed for hit detection: any fill makes the polygon clickable. */
const CLEAR_FILL = new Fill({color: 'rgba(0, 0, 0, 0)'});

// ---------------------------------------------------------------------------------------------
// Start

const app = document.getElementById('fw-app') || document.body.appendChild(el('div', {id: 'fw-app'}));
const M = window.FARMWATCH_MAP;

let resolveReady;
const ready = new Promise((resolve) => (resolveReady = resolve));

if (!M || typeof M !== 'object') {
  app.replaceChildren(
    el('div', {class: 'fw-fatal'},
      el('h1', {}, 'farmwatch 一张图'),
      el('p', {}, '未找到地图数据 map.js (map data not found). ',
        '请在 farmwatch 输出目录中打开 index.html (open index.html inside a farmwatch output folder).')),
  );
  window.farmwatchViewer = {ready: Promise.reject(new Error('no map.js')), map: null};
  window.farmwatchViewer.ready.catch(() => {});
} else {
  start(M);
}

function start(M) {
  const title = M.title || 'farmwatch 一张图';
  document.title = title;

  const grids = (M.grids || []).filter((g) => GRIDS[g]);
  if (!grids.length) grids.push('webmercator');
  const bounds = M.bounds || [-180, -85, 180, 85];
  const categories = M.categories || {};
  const rasterDefs = M.layers || [];
  const vectorDefs = M.vectors || [];
  const swipeDef = M.swipe && M.swipe.before && M.swipe.after ? M.swipe : null;

  const state = {
    grid: grids[0],
    rasters: new Map(), // id -> {def, layer, checked, sources: {grid: source}}
    vectors: new Map(), // id -> {def, layer, source, checked, chunks:Set, loaded:Map, pending:Set, zoomedOut}
    search: null, // [{id, type, lon, lat, key}]
    pendingSelect: null, // {id, type, lon, lat} waiting for its chunk
    selected: null, // {layerId, id}
    swipe: 0,
    stats: {tilesLoaded: 0, tilesFailed: 0, chunksLoaded: 0, chunksFailed: 0, byGrid: {}},
  };
  const chunkWaiters = [];

  // ---- DOM skeleton -----------------------------------------------------------------------
  const mapEl = el('div', {id: 'fw-map', class: 'fw-map'});
  const panel = el('aside', {id: 'fw-panel', class: 'fw-panel'});
  const header = el('header', {class: 'fw-header'},
    el('h1', {class: 'fw-title'}, title),
    el('span', {class: 'fw-meta'},
      M.generated ? `生成于 (generated) ${M.generated}` : '',
      M.version ? ` · farmwatch ${M.version}` : ''));
  app.replaceChildren(header, el('div', {class: 'fw-body'}, panel, mapEl));

  // ---- map ----------------------------------------------------------------------------------
  const map = new OLMap({
    target: mapEl,
    controls: defaultControls({rotate: false, attributionOptions: {collapsible: true}}),
    view: makeView(state.grid),
  });

  // Optional online base map: created only when ticked, Web Mercator only.
  const osm = {layer: null, checked: false};
  function osmLayer() {
    if (!osm.layer) {
      osm.layer = new TileLayer({source: new OSM(), visible: false, zIndex: -1});
      osm.layer.set('fwId', 'osm');
      map.getLayers().insertAt(0, osm.layer);
    }
    return osm.layer;
  }

  for (const def of rasterDefs) {
    const layer = new TileLayer({visible: false, preload: 0});
    layer.set('fwId', def.id);
    const entry = {def, layer, checked: def.visible !== false, sources: {}, opacity: 1};
    state.rasters.set(def.id, entry);
    map.addLayer(layer);
  }

  for (const def of vectorDefs) {
    const source = new VectorSource();
    const layer = new VectorLayer({
      source,
      style: def.kind === 'patches' ? patchStyle : parcelStyle,
      updateWhileInteracting: false,
    });
    layer.set('fwId', def.id);
    const entry = {
      def,
      layer,
      source,
      checked: def.visible !== false,
      chunks: new Set(def.chunks || []),
      loaded: new Map(), // chunk -> FeatureCollection (kept to re-project on grid change)
      pending: new Set(),
      zoomedOut: false,
    };
    state.vectors.set(def.id, entry);
    map.addLayer(layer);
  }

  // ---- styles -------------------------------------------------------------------------------
  const styleCache = {};
  function patchStyle(feature) {
    const cat = feature.get('category');
    const color = (categories[cat] && categories[cat].color) || '#ff00ff';
    const selected = isSelected(feature);
    const key = `p|${color}|${selected}`;
    if (!styleCache[key]) {
      styleCache[key] = selected
        ? [
            new Style({stroke: new Stroke({color: '#ffffff', width: 5}), fill: CLEAR_FILL}),
            new Style({stroke: new Stroke({color, width: 3})}),
          ]
        : new Style({stroke: new Stroke({color, width: 2}), fill: CLEAR_FILL});
    }
    return styleCache[key];
  }
  function parcelStyle(feature) {
    const selected = isSelected(feature);
    const key = `f|${selected}`;
    if (!styleCache[key]) {
      // a thin dark casing keeps the yellow line visible on light ground
      styleCache[key] = [
        new Style({stroke: new Stroke({color: 'rgba(0, 0, 0, 0.35)', width: selected ? 5 : 3}), fill: CLEAR_FILL}),
        new Style({stroke: new Stroke({color: selected ? '#00e5ff' : '#ffff00', width: selected ? 3 : 1})}),
      ];
    }
    return styleCache[key];
  }
  function isSelected(feature) {
    return !!state.selected && feature.getId() === state.selected.id;
  }

  // ---- views and grids ----------------------------------------------------------------------
  function makeView(gridId, center, resolution) {
    const grid = GRIDS[gridId];
    const view = new View({projection: grid.projection, maxZoom: MAX_LEVEL, constrainResolution: false});
    if (center && resolution) {
      view.setCenter(center);
      view.setResolution(resolution);
    }
    return view;
  }

  function projectedBounds(gridId) {
    return transformExtent(bounds, 'EPSG:4326', GRIDS[gridId].projection);
  }

  function fitBounds() {
    map.getView().fit(projectedBounds(state.grid), {padding: [24, 24, 48, 24]});
  }

  function tileSpec(def, gridId) {
    const spec = def.tiles && def.tiles[gridId];
    return spec && spec.url ? spec : null;
  }

  function rasterSource(entry, gridId) {
    if (entry.sources[gridId] !== undefined) return entry.sources[gridId];
    const spec = tileSpec(entry.def, gridId);
    let source = null;
    if (spec) {
      const grid = GRIDS[gridId];
      const minLevel = Math.max(grid.firstLevel, spec.minzoom ?? grid.firstLevel);
      const maxLevel = Math.max(minLevel, spec.maxzoom ?? 18);
      const resolutions = [];
      for (let level = grid.firstLevel; level <= maxLevel; level++) resolutions.push(grid.resolution(level));
      const tileGrid = new TileGrid({
        origin: grid.origin,
        resolutions,
        tileSize: 256,
        minZoom: minLevel - grid.zOffset,
        extent: projectedBounds(gridId), // no tile outside the area is requested
      });
      const template = spec.url;
      source = new ImageTile({
        projection: grid.projection,
        tileGrid,
        wrapX: false,
        transition: 0,
        interpolate: entry.def.kind !== 'classes', // class rasters stay crisp when upscaled
        // A loader of our own: no crossOrigin attribute, so tiles load from file:// too.
        loader: (z, x, y) =>
          new Promise((resolve, reject) => {
            const img = new Image();
            img.decoding = 'async';
            img.addEventListener('load', () => resolve(img));
            img.addEventListener('error', () => reject(new Error('absent tile')));
            img.src = template
              .replace('{z}', String(z + grid.zOffset))
              .replace('{x}', String(x))
              .replace('{y}', String(y));
          }),
      });
      const byGrid = (state.stats.byGrid[gridId] ??= {loaded: 0, failed: 0});
      source.on('tileloadend', () => {
        state.stats.tilesLoaded++;
        byGrid.loaded++;
      });
      source.on('tileloaderror', () => {
        state.stats.tilesFailed++;
        byGrid.failed++;
      });
    }
    entry.sources[gridId] = source;
    return source;
  }

  function applyRasterState() {
    for (const entry of state.rasters.values()) {
      const source = rasterSource(entry, state.grid);
      if (entry.layer.getSource() !== source) entry.layer.setSource(source);
      entry.layer.setVisible(entry.checked && !!source);
      entry.layer.setOpacity(entry.opacity);
    }
    if (osm.checked && GRIDS[state.grid].online) osmLayer().setVisible(true);
    else if (osm.layer) osm.layer.setVisible(false);
  }

  function deepestLevel() {
    let deepest = -1;
    for (const def of rasterDefs) {
      const spec = tileSpec(def, state.grid);
      if (spec && typeof spec.maxzoom === 'number') deepest = Math.max(deepest, spec.maxzoom);
    }
    return deepest >= 0 ? deepest : 18;
  }

  function setGrid(gridId) {
    if (!GRIDS[gridId] || !grids.includes(gridId)) throw new Error(`unknown grid ${gridId}`);
    if (gridId === state.grid) return;
    const oldView = map.getView();
    const oldProj = oldView.getProjection();
    const newProj = GRIDS[gridId].projection;
    const center = transform(oldView.getCenter(), oldProj, newProj);
    // Same zoom number in both grids: OpenLayers' EPSG:3857 zoom z and EPSG:4326 zoom L have
    // equal degrees per pixel along the equator (and equal the tile level written in the URL).
    const zoom = oldView.getZoom();
    const view = makeView(gridId);
    view.setCenter(center);
    view.setZoom(zoom);
    view.setRotation(oldView.getRotation());
    state.grid = gridId;
    map.setView(view);
    reprojectVectors();
    applyRasterState();
    renderPanel();
    map.renderSync();
    positionPopupForSelection(); // the open popup stays open, on the same feature
  }

  // ---- vector chunks ------------------------------------------------------------------------
  const geojson = new GeoJSON();
  const MAX_CHUNKS = 100;

  function featureId(def, props, index, chunk) {
    if (def.kind === 'patches' && props.patch_id) return String(props.patch_id);
    if (def.kind === 'parcels' && props.parcel_id) return String(props.parcel_id);
    if (props.id !== undefined) return String(props.id);
    return `${chunk}#${index}`;
  }

  // Outlines come as integer steps (outline_steps.js): made positions once, here.
  function decodeGeometries(collection) {
    for (const f of collection.features || []) f.geometry = decodeGeometry(f.geometry);
    return collection;
  }

  function addChunkFeatures(entry, chunk, collection) {
    const proj = map.getView().getProjection();
    const features = geojson.readFeatures(collection, {dataProjection: 'EPSG:4326', featureProjection: proj});
    const fresh = [];
    features.forEach((feature, i) => {
      const id = featureId(entry.def, feature.getProperties(), i, chunk);
      // A feature crossing chunk edges may be written into each chunk it touches: keep one.
      if (entry.source.getFeatureById(id)) return;
      feature.setId(id);
      fresh.push(feature);
    });
    entry.source.addFeatures(fresh);
  }

  function reprojectVectors() {
    for (const entry of state.vectors.values()) {
      entry.source.clear(true);
      for (const [chunk, collection] of entry.loaded) addChunkFeatures(entry, chunk, collection);
      entry.source.changed();
    }
  }

  window.farmwatchChunk = function (layerId, chunk, collection) {
    const entry = state.vectors.get(layerId);
    if (!entry) {
      console.warn(`farmwatch: chunk for unknown vector layer ${layerId}`);
      return;
    }
    chunk = String(chunk);
    if (entry.loaded.has(chunk)) return;
    entry.loaded.set(chunk, decodeGeometries(collection || {type: 'FeatureCollection', features: []}));
    entry.pending.delete(chunk);
    state.stats.chunksLoaded++;
    addChunkFeatures(entry, chunk, entry.loaded.get(chunk));
    afterChunk();
  };

  function afterChunk() {
    trySelectPending();
    if (pendingChunks() === 0) chunkWaiters.splice(0).forEach((resolve) => resolve());
  }

  function pendingChunks() {
    let n = 0;
    for (const entry of state.vectors.values()) n += entry.pending.size;
    return n;
  }

  function loadChunk(entry, chunk) {
    entry.pending.add(chunk);
    const script = document.createElement('script');
    script.src = entry.def.path.replace('{chunk}', chunk);
    script.async = true;
    script.addEventListener('load', () => {
      if (entry.pending.delete(chunk)) {
        // the script ran but did not call farmwatchChunk: count it as loaded and empty
        entry.loaded.set(chunk, {type: 'FeatureCollection', features: []});
        console.warn(`farmwatch: ${script.src} did not call farmwatchChunk`);
      }
      script.remove();
      afterChunk();
    });
    script.addEventListener('error', () => {
      entry.pending.delete(chunk);
      entry.loaded.set(chunk, {type: 'FeatureCollection', features: []}); // do not retry
      state.stats.chunksFailed++;
      console.warn(`farmwatch: vector chunk missing: ${script.src}`);
      script.remove();
      afterChunk();
    });
    document.head.appendChild(script);
  }

  function viewExtentLonLat() {
    const view = map.getView();
    const size = map.getSize();
    if (!size || !size[0] || !size[1]) return null;
    const extent = view.calculateExtent(size);
    return transformExtent(extent, view.getProjection(), 'EPSG:4326');
  }

  function updateChunks() {
    const extent = viewExtentLonLat();
    if (!extent) return;
    for (const entry of state.vectors.values()) {
      const s = Number(entry.def.chunk_size_deg) || 0.05;
      const i0 = Math.floor(extent[0] / s);
      const i1 = Math.floor(extent[2] / s);
      const j0 = Math.floor(extent[1] / s);
      const j1 = Math.floor(extent[3] / s);
      entry.zoomedOut = (i1 - i0 + 1) * (j1 - j0 + 1) > MAX_CHUNKS;
      entry.layer.setVisible(entry.checked && !entry.zoomedOut);
      if (!entry.checked || entry.zoomedOut) continue;
      // one chunk of margin: a feature is found even if it is filed under a neighbouring chunk
      for (let i = i0 - 1; i <= i1 + 1; i++) {
        for (let j = j0 - 1; j <= j1 + 1; j++) {
          const key = `${i}_${j}`;
          if (entry.chunks.has(key) && !entry.loaded.has(key) && !entry.pending.has(key)) loadChunk(entry, key);
        }
      }
    }
    updateHint();
    if (pendingChunks() === 0) afterChunk();
  }

  // ---- search -------------------------------------------------------------------------------
  window.farmwatchSearch = function (entries) {
    state.search = (entries || [])
      .filter((e) => Array.isArray(e) && e.length >= 4)
      .map(([id, type, lon, lat]) => ({id: String(id), type: String(type), lon: +lon, lat: +lat, key: String(id).toLowerCase()}));
    renderSearchStatus();
  };
  if (M.search) {
    const script = document.createElement('script');
    script.src = M.search;
    script.addEventListener('error', () => {
      console.warn(`farmwatch: search index missing: ${M.search}`);
      state.search = [];
      renderSearchStatus();
    });
    document.head.appendChild(script);
  }

  function findEntries(query) {
    const q = query.trim().toLowerCase();
    if (!q || !state.search) return [];
    const exact = state.search.filter((e) => e.key === q);
    const prefix = state.search.filter((e) => e.key !== q && e.key.startsWith(q));
    return exact.concat(prefix);
  }

  function goTo(entry) {
    const view = map.getView();
    closePopup();
    view.setCenter(transform([entry.lon, entry.lat], 'EPSG:4326', view.getProjection()));
    view.setZoom(deepestLevel());
    map.renderSync(); // the popup is placed from the drawn frame: draw the new view first
    state.pendingSelect = entry;
    state.selected = null;
    refreshVectorStyles();
    trySelectPending();
  }

  function trySelectPending() {
    const want = state.pendingSelect;
    if (!want) return;
    for (const entry of state.vectors.values()) {
      const kind = entry.def.kind;
      if ((want.type === 'patch' && kind !== 'patches') || (want.type === 'parcel' && kind !== 'parcels')) continue;
      const feature = entry.source.getFeatureById(want.id);
      if (feature) {
        state.pendingSelect = null;
        const coord = transform([want.lon, want.lat], 'EPSG:4326', map.getView().getProjection());
        select(entry, feature, coord);
        return;
      }
    }
  }

  // ---- popup --------------------------------------------------------------------------------
  const popupContent = el('div', {class: 'fw-popup-content'});
  const popupEl = el('div', {id: 'fw-popup', class: 'fw-popup', role: 'dialog'},
    el('button', {class: 'fw-popup-close', type: 'button', title: '关闭 (close)', onclick: () => closePopup()}, '×'),
    popupContent);
  const popup = new Overlay({
    element: popupEl,
    positioning: 'bottom-center',
    offset: [0, -12],
    stopEvent: true,
    autoPan: {margin: 24, animation: {duration: 0}},
  });
  map.addOverlay(popup);

  function row(label, value) {
    return el('tr', {}, el('th', {}, label), el('td', {}, value));
  }

  function patchContent(feature) {
    const p = feature.getProperties();
    const cat = categories[p.category] || {};
    const catLabel = p.category_label || cat.label || p.category;
    const chips = Array.isArray(p.chips) ? p.chips : [];
    return [
      el('h3', {}, '变化图斑 (change patch)'),
      el('table', {class: 'fw-attrs'},
        row('监测编号 (ID)', el('span', {class: 'fw-patch-id'}, text(p.patch_id))),
        row('类别 (category)', el('span', {},
          el('span', {class: 'fw-swatch fw-swatch-line', style: `border-color:${cat.color || '#f0f'}`}), text(catLabel))),
        p.change_kind ? row('变化类型 (kind)', text(p.change_kind)) : null,
        row('前 → 后 (before → after)', `${text(p.class_before)} → ${text(p.class_after)}`),
        row('面积 (area)', `${fmtNumber(p.area_m2, 2)} m² / ${fmtNumber(p.area_mu, 2)} 亩`),
        row('地块 (parcels)', text(p.parcels)),
        row('行政区 (unit)', text(p.unit_name)),
        row('状态 (status)', text(p.status_label || p.status)),
        row('置信度 (confidence)', fmtNumber(p.confidence, 2))),
      chips.length
        ? el('div', {class: 'fw-chips'},
            chips.map((src) => {
              const name = String(src);
              const caption = /_before\./.test(name) ? '前 (before)' : /_after\./.test(name) ? '后 (after)' : '';
              // fixed size, so the popup has its final size before the images load
              return el('figure', {}, el('img', {src: name, alt: name, width: 96, height: 96}),
                caption ? el('figcaption', {}, caption) : null);
            }))
        : null,
    ];
  }

  function parcelContent(feature) {
    const p = feature.getProperties();
    return [
      el('h3', {}, `${vectorTitle(feature)}`),
      el('table', {class: 'fw-attrs'},
        row('地块编号 (parcel ID)', el('span', {class: 'fw-parcel-id'}, text(p.parcel_id ?? feature.getId()))),
        p.name ? row('名称 (name)', text(p.name)) : null),
    ];
  }

  function vectorTitle(feature) {
    for (const entry of state.vectors.values()) if (entry.source.hasFeature(feature)) return entry.def.title;
    return '';
  }

  function select(entry, feature, coordinate) {
    state.selected = {layerId: entry.def.id, id: feature.getId(), coordinate: transform(coordinate, map.getView().getProjection(), 'EPSG:4326')};
    popupContent.replaceChildren(...(entry.def.kind === 'patches' ? patchContent(feature) : parcelContent(feature)).filter(Boolean));
    popupEl.dataset.kind = entry.def.kind;
    popupEl.dataset.id = feature.getId();
    // open above the point in the lower part of the map and below it in the upper part
    const pixel = map.getPixelFromCoordinate(coordinate);
    const size = map.getSize();
    const below = !!(pixel && size && pixel[1] < size[1] * 0.4);
    popup.setPositioning(below ? 'top-center' : 'bottom-center');
    popup.setOffset(below ? [0, 12] : [0, -12]);
    popupEl.classList.toggle('fw-popup-below', below);
    popup.setPosition(coordinate);
    refreshVectorStyles();
  }

  function positionPopupForSelection() {
    if (!state.selected) return;
    const entry = state.vectors.get(state.selected.layerId);
    const feature = entry && entry.source.getFeatureById(state.selected.id);
    if (feature) select(entry, feature, transform(state.selected.coordinate, 'EPSG:4326', map.getView().getProjection()));
  }

  function closePopup() {
    popup.setPosition(undefined);
    delete popupEl.dataset.id;
    if (state.selected) {
      state.selected = null;
      refreshVectorStyles();
    }
  }

  function refreshVectorStyles() {
    for (const entry of state.vectors.values()) entry.layer.changed();
  }

  function hitAt(pixel) {
    const kinds = ['patches', 'parcels'];
    for (const kind of kinds) {
      for (const entry of [...state.vectors.values()].reverse()) {
        if (entry.def.kind !== kind || !entry.layer.getVisible()) continue;
        const features = map.getFeaturesAtPixel(pixel, {layerFilter: (l) => l === entry.layer, hitTolerance: 3});
        if (features.length) return {entry, feature: features[0]};
      }
    }
    return null;
  }

  map.on('singleclick', (event) => {
    const hit = hitAt(event.pixel);
    if (hit) select(hit.entry, hit.feature, event.coordinate);
    else closePopup();
  });
  map.on('pointermove', (event) => {
    if (event.dragging) return;
    mapEl.style.cursor = hitAt(event.pixel) ? 'pointer' : '';
  });

  // ---- controls: scale line, north arrow, home, coordinates, swipe, hint ---------------------
  map.addControl(new ScaleLine({units: 'metric'}));
  map.addControl(new MousePosition({
    coordinateFormat: createStringXY(5),
    projection: 'EPSG:4326',
    className: 'fw-mouse-position',
    placeholder: '',
  }));

  const needle = el('span', {class: 'fw-north-needle'},
    el('span', {class: 'fw-north-glyph'}, '▲'), el('span', {class: 'fw-north-n'}, 'N'));
  const arrow = el('button', {type: 'button', title: '指北 (north; click to reset rotation)', class: 'fw-north-button'}, needle);
  arrow.addEventListener('click', () => map.getView().setRotation(0));
  map.addControl(new Control({element: el('div', {class: 'fw-north ol-unselectable ol-control'}, arrow)}));
  let needleRotation = 0;
  map.on('postrender', () => {
    const rotation = map.getView().getRotation();
    if (rotation !== needleRotation) {
      needleRotation = rotation;
      needle.style.transform = rotation ? `rotate(${rotation}rad)` : '';
    }
  });

  const home = el('button', {type: 'button', title: '全图 (zoom to the whole area)'}, '⌂');
  home.addEventListener('click', () => fitBounds());
  map.addControl(new Control({element: el('div', {class: 'fw-home ol-unselectable ol-control'}, home)}));

  const hint = el('div', {class: 'fw-hint', hidden: true}, '放大以显示矢量图层 (zoom in to show the vector layers)');
  map.addControl(new Control({element: el('div', {class: 'fw-hint-box', style: 'pointer-events:none'}, hint)}));
  function updateHint() {
    const show = [...state.vectors.values()].some((e) => e.checked && e.zoomedOut);
    hint.hidden = !show;
  }

  let swipeInput = null;
  let swipeLine = null;
  if (swipeDef && state.rasters.has(swipeDef.before) && state.rasters.has(swipeDef.after)) {
    const before = state.rasters.get(swipeDef.before);
    const after = state.rasters.get(swipeDef.after);
    const label = (entry) => entry.def.date || entry.def.title || entry.def.id;
    swipeInput = el('input', {type: 'range', min: 0, max: 100, step: 'any', value: '0', id: 'fw-swipe',
      class: 'fw-swipe-input', 'aria-label': '卷帘对比 (before/after swipe)',
      title: '卷帘对比：拖动比较前后影像 (drag to compare before / after)'});
    swipeLine = el('div', {class: 'fw-swipe-line'},
      el('span', {class: 'fw-swipe-tag fw-swipe-before'}, `◀ 前 ${label(before)}`),
      el('span', {class: 'fw-swipe-tag fw-swipe-after'}, `后 ${label(after)} ▶`));
    // inline pointer-events: OpenLayers' Control would otherwise make the box catch every click
    const box = el('div', {class: 'fw-swipe ol-unselectable', style: 'pointer-events:none'},
      swipeLine, swipeInput);
    map.addControl(new Control({element: box}));
    swipeInput.addEventListener('input', () => setSwipe(Number(swipeInput.value), true));

    after.layer.on('prerender', (event) => {
      const ctx = event.context;
      const size = map.getSize();
      const width = size[0] * (state.swipe / 100);
      const tl = getRenderPixel(event, [width, 0]);
      const tr = getRenderPixel(event, [size[0], 0]);
      const bl = getRenderPixel(event, [width, size[1]]);
      const br = getRenderPixel(event, size);
      ctx.save();
      ctx.beginPath();
      ctx.moveTo(tl[0], tl[1]);
      ctx.lineTo(bl[0], bl[1]);
      ctx.lineTo(br[0], br[1]);
      ctx.lineTo(tr[0], tr[1]);
      ctx.closePath();
      ctx.clip();
    });
    after.layer.on('postrender', (event) => event.context.restore());
  }

  function setSwipe(value, fromInput) {
    if (!swipeInput) return false;
    const v = Math.max(0, Math.min(100, Number(value) || 0));
    state.swipe = v;
    if (!fromInput) swipeInput.value = String(v);
    swipeLine.style.left = `${v}%`;
    swipeLine.classList.toggle('fw-swipe-active', v > 0);
    if (v > 0) {
      // comparing needs both dates on
      let changed = false;
      for (const id of [swipeDef.before, swipeDef.after]) {
        const entry = state.rasters.get(id);
        if (!entry.checked) {
          entry.checked = true;
          changed = true;
        }
      }
      if (changed) {
        applyRasterState();
        renderPanel();
      }
    }
    map.render();
    return true;
  }

  // ---- side panel ---------------------------------------------------------------------------
  const searchInput = el('input', {type: 'search', id: 'fw-search', placeholder: '图斑/地块编号 (ID)', title: '图斑或地块编号，可输入前缀 (patch or parcel ID, or its start)',
    autocomplete: 'off', spellcheck: 'false'});
  const searchList = el('ul', {class: 'fw-search-results'});
  const searchStatus = el('div', {class: 'fw-search-status'});
  const searchForm = el('form', {class: 'fw-search', id: 'fw-search-form'},
    el('div', {class: 'fw-search-row'}, searchInput, el('button', {type: 'submit'}, '查找')),
    searchStatus, searchList);
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const found = findEntries(searchInput.value);
    if (found.length) {
      goTo(found[0]);
      searchStatus.textContent = `已定位 (found): ${found[0].id}`;
      searchList.replaceChildren();
    } else {
      searchStatus.textContent = state.search ? '未找到 (not found)' : '无检索索引 (no search index)';
    }
  });
  searchInput.addEventListener('input', () => {
    const found = findEntries(searchInput.value).slice(0, 8);
    searchStatus.textContent = '';
    searchList.replaceChildren(...found.map((entry) =>
      el('li', {}, el('button', {type: 'button', onclick: () => {
        searchInput.value = entry.id;
        searchList.replaceChildren();
        searchStatus.textContent = `已定位 (found): ${entry.id}`;
        goTo(entry);
      }}, entry.id, el('small', {}, entry.type === 'patch' ? ' 图斑' : entry.type === 'parcel' ? ' 地块' : ` ${entry.type}`)))));
  });
  function renderSearchStatus() {
    searchInput.disabled = !M.search;
    if (!M.search) searchStatus.textContent = '无检索索引 (no search index)';
  }

  const gridSelect = el('select', {id: 'fw-grid'},
    grids.map((g) => el('option', {value: g, title: GRIDS[g].label}, GRIDS[g].label)));
  gridSelect.value = state.grid;
  gridSelect.addEventListener('change', () => setGrid(gridSelect.value));

  const layersBox = el('div', {class: 'fw-layers', id: 'fw-layers'});
  const legendBox = el('div', {class: 'fw-legend', id: 'fw-legend'});

  panel.replaceChildren(
    el('section', {}, el('h2', {}, '查找 (search)'), searchForm),
    el('section', {}, el('h2', {}, '瓦片网格 (tile grid)'), gridSelect),
    el('section', {}, el('h2', {}, '图层 (layers)'), layersBox),
    el('section', {}, el('h2', {}, '图例 (legend)'), legendBox),
  );
  renderSearchStatus();

  function layerRow(id, titleText, checked, disabled, onChange, extra, note) {
    const input = el('input', {type: 'checkbox', checked, disabled, 'data-layer-id': id});
    input.addEventListener('change', () => onChange(input.checked));
    return el('div', {class: `fw-layer${disabled ? ' fw-disabled' : ''}`, 'data-layer-id': id},
      el('label', {}, input, el('span', {class: 'fw-layer-title'}, titleText)),
      note ? el('small', {class: 'fw-note'}, note) : null,
      extra || null);
  }

  function opacitySlider(entry) {
    const input = el('input', {type: 'range', min: 0, max: 100, value: String(Math.round(entry.opacity * 100)),
      class: 'fw-opacity', title: '不透明度 (opacity)', 'aria-label': `不透明度 ${entry.def.title}`});
    input.addEventListener('input', () => {
      entry.opacity = Number(input.value) / 100;
      entry.layer.setOpacity(entry.opacity);
    });
    return input;
  }

  function renderPanel() {
    gridSelect.value = state.grid;
    const groups = [
      ['影像 (imagery)', rasterDefs.filter((d) => d.kind === 'imagery')],
      ['专题 (thematic)', rasterDefs.filter((d) => d.kind !== 'imagery')],
    ];
    const parts = [];
    for (const [heading, defs] of groups) {
      if (!defs.length) continue;
      parts.push(el('h3', {}, heading));
      for (const def of defs) {
        const entry = state.rasters.get(def.id);
        const available = !!tileSpec(def, state.grid);
        parts.push(layerRow(def.id, def.title || def.id, entry.checked, !available, (on) => {
          entry.checked = on;
          applyRasterState();
          renderPanel();
        }, available && entry.checked ? opacitySlider(entry) : null, available ? null : '此网格无瓦片 (no tiles in this grid)'));
      }
    }
    if (vectorDefs.length) {
      parts.push(el('h3', {}, '矢量 (vectors)'));
      for (const def of vectorDefs) {
        const entry = state.vectors.get(def.id);
        const count = typeof def.count === 'number' ? ` (${def.count})` : '';
        parts.push(layerRow(def.id, `${def.title || def.id}${count}`, entry.checked, false, (on) => {
          entry.checked = on;
          if (!on && state.selected && state.selected.layerId === def.id) closePopup();
          updateChunks();
          renderLegend();
        }));
      }
    }
    parts.push(el('h3', {}, '在线底图 (online base map)'));
    const online = GRIDS[state.grid].online;
    parts.push(layerRow('osm', 'OpenStreetMap', osm.checked, !online, (on) => {
      osm.checked = on;
      applyRasterState();
    }, null, online ? '需联网 (needs internet)' : '仅 Web Mercator (Web Mercator only)'));
    layersBox.replaceChildren(...parts);
    renderLegend();
  }

  function renderLegend() {
    const parts = [];
    for (const entry of state.rasters.values()) {
      const def = entry.def;
      if (def.kind !== 'classes' || !Array.isArray(def.legend) || !entry.layer.getVisible()) continue;
      parts.push(el('div', {class: 'fw-legend-group', 'data-layer-id': def.id},
        el('h3', {}, def.title || def.id),
        el('ul', {}, def.legend.map((item) =>
          el('li', {'data-value': item.value},
            el('span', {class: 'fw-swatch', style: `background:${item.color}`, 'data-color': item.color}),
            el('span', {class: 'fw-legend-label'}, text(item.label ?? item.value)))))));
    }
    for (const entry of state.vectors.values()) {
      if (!entry.checked) continue;
      if (entry.def.kind === 'patches') {
        parts.push(el('div', {class: 'fw-legend-group', 'data-layer-id': entry.def.id},
          el('h3', {}, `${entry.def.title || entry.def.id} · 类别 (categories)`),
          el('ul', {}, Object.entries(categories).map(([key, cat]) =>
            el('li', {'data-category': key},
              el('span', {class: 'fw-swatch fw-swatch-line', style: `border-color:${cat.color}`, 'data-color': cat.color}),
              el('span', {class: 'fw-legend-label'}, text(cat.label || key)))))));
      } else {
        parts.push(el('div', {class: 'fw-legend-group', 'data-layer-id': entry.def.id},
          el('ul', {}, el('li', {},
            el('span', {class: 'fw-swatch fw-swatch-line fw-swatch-thin', style: 'border-color:#ffff00'}),
            el('span', {class: 'fw-legend-label'}, entry.def.title || entry.def.id)))));
      }
    }
    if (!parts.length) parts.push(el('p', {class: 'fw-note'}, '无可见专题图层 (no thematic layer shown)'));
    legendBox.replaceChildren(...parts);
  }

  // ---- wiring -------------------------------------------------------------------------------
  map.on('moveend', () => updateChunks());

  applyRasterState();
  renderPanel();
  fitBounds();

  map.once('rendercomplete', () => resolveReady());

  function whenChunksLoaded() {
    if (pendingChunks() === 0) return Promise.resolve();
    return new Promise((resolve) => chunkWaiters.push(resolve));
  }

  /** Resolves when tiles and vector chunks are loaded and the map has been drawn. */
  async function idle() {
    await ready;
    for (let i = 0; i < 50; i++) {
      await whenChunksLoaded();
      await new Promise((resolve) => {
        map.once('rendercomplete', resolve);
        map.render();
      });
      if (pendingChunks() === 0) return;
    }
  }

  window.farmwatchViewer = {
    map,
    ready,
    idle,
    stats: state.stats,
    get grid() {
      return state.grid;
    },
    pixelOf(lon, lat) {
      const coord = transform([lon, lat], 'EPSG:4326', map.getView().getProjection());
      const pixel = map.getPixelFromCoordinate(coord);
      const rect = map.getViewport().getBoundingClientRect();
      return [rect.left + pixel[0], rect.top + pixel[1]];
    },
    centerLonLat() {
      const view = map.getView();
      return transform(view.getCenter(), view.getProjection(), 'EPSG:4326');
    },
    setGrid,
    setSwipe: (value) => setSwipe(value, false),
    search(query) {
      const found = findEntries(query);
      if (found.length) goTo(found[0]);
      return found.length ? found[0].id : null;
    },
  };
}
