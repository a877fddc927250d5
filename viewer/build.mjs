#!/usr/bin/env node
// Bundles the viewer into OUTDIR/farmwatch-viewer.js (one IIFE script) and
// OUTDIR/farmwatch-viewer.css (OpenLayers' ol.css + the viewer's css).
// Minified, no source maps, deterministic (same sources and esbuild version -> same bytes).
//
//   node build.mjs OUTDIR        (OUTDIR relative to the current directory)
import * as esbuild from 'esbuild';
import {fileURLToPath} from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function build(outdir) {
  outdir = path.resolve(outdir);
  fs.mkdirSync(outdir, {recursive: true});
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: [path.join(here, 'src', 'main.js')],
    outfile: path.join(outdir, 'farmwatch-viewer.js'), // the css goes beside it, same base name
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // OpenLayers' optional GeoTIFF/Zarr code is never imported; keep the bundle to what is used.
    treeShaking: true,
  });
  const outputs = Object.keys(result.metafile.outputs).map((f) => path.resolve(here, f));
  const expected = ['farmwatch-viewer.js', 'farmwatch-viewer.css'].map((f) => path.join(outdir, f));
  for (const f of expected) {
    if (!outputs.includes(f)) throw new Error(`esbuild did not write ${f}`);
  }
  for (const f of outputs) {
    if (!expected.includes(f)) throw new Error(`esbuild wrote an unexpected file ${f}`);
  }
  return expected;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2];
  if (!outdir || outdir.startsWith('-')) {
    console.error('usage: node build.mjs OUTDIR');
    process.exit(2);
  }
  try {
    const files = await build(outdir);
    for (const f of files) console.log(`${f} (${fs.statSync(f).size} bytes)`);
  } catch (err) {
    console.error(`build failed: ${err.message}`);
    process.exit(1);
  }
}
