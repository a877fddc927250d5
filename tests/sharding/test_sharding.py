#!/usr/bin/python3
"""`farmwatch run --shard i/N` + `farmwatch merge` write exactly what one unsharded run writes.

Usage: test_sharding.py FARMWATCH SOURCE_DIR WORK_DIR generated|large_patch|slurm

generated: a two-date scene made here (700 x 700 px, so 4 shards cut it into cells of 128 px)
  whose new buildings on farmland straddle cell borders, one of them the corner of four cells,
  run once unsharded and once as 4 shards (`xargs -P 2`, no scheduler) then merged: every output
  file the same bytes (summary.json: the same but for paths and timings), the same database
  rows; likewise two class maps, and the sample classified by a learned model in 3 shards. Then the merge's refusals: a shard missing, a shard from other inputs; a shard with a
  complete result does nothing; a merge that fails leaves the published outputs as they were.
large_patch: a change region whose bounding window is larger than farmwatch holds in memory at
  once (a ring along the border of a 4200² pair of class maps, as a region that percolates
  across a province does) is measured piece by piece: one patch with every pixel, the right
  area and classes, and change.tif marked in full.
slurm: on a throw-away Slurm cluster (scripts/slurm/local), the bundled sample through
  scripts/slurm/run.sh as 1 and as 4 shards against one unsharded run; then one shard made to
  fail: run.sh exits 1, the merge is cancelled, the outputs and database are as they were; the
  same command again re-runs that shard only and publishes. Skipped (77) without Slurm or root.
"""
import csv
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys

import numpy as np
from osgeo import gdal, ogr, osr

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import local_slurm  # noqa: E402

gdal.UseExceptions()
FW, SRC, WORK, MODE = sys.argv[1:5]
ENV = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILURES.append(what)


def fw(*args, expect=0):
    r = subprocess.run([FW, *args], env=ENV, capture_output=True, text=True)
    if r.returncode != expect:
        print(r.stdout, r.stderr, sep="\n")
        raise SystemExit(f"farmwatch {' '.join(args)}: exit {r.returncode}, expected {expect}")
    return r


def digest(folder):
    """Every file's SHA-256 (summary.json: normalised), by path under the folder."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "**"), recursive=True)):
        if not os.path.isfile(path):
            continue
        rel = os.path.relpath(path, folder)
        data = open(path, "rb").read()
        if rel == "summary.json":
            s = json.loads(data)
            s.pop("timings_s", None)
            s.pop("database", None)
            s.pop("threads", None)  # Slurm gives a shard 1 CPU unless asked
            s["outputs"].pop("dir", None)
            data = json.dumps(s, sort_keys=True).encode()
        out[rel] = hashlib.sha256(data).hexdigest()
    return out


def db_rows(path):
    """The database's rows, without the times and folders that differ between runs."""
    skip = {"started_utc", "finished_utc", "out_dir", "at_utc", "recorded_utc"}
    c = sqlite3.connect(path)
    rows = {}
    for (t,) in c.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name"):
        cols = [r[1] for r in c.execute(f"PRAGMA table_info('{t}')") if r[1] not in skip]
        q = ", ".join(f'"{x}"' for x in cols)
        rows[t] = sorted(map(repr, c.execute(f'SELECT {q} FROM "{t}"')))
    return rows


def same_outputs(a, b, what):
    da, db = digest(a), digest(b)
    differ = sorted(k for k in set(da) | set(db) if da.get(k) != db.get(k))
    check(len(da) > 10 and not differ,
          f"{what}: {len(da)} files, identical" + (f" (differ: {differ[:8]})" if differ else ""))


# ----------------------------------------------------------------------------------------------
def make_scene(folder, size=700):
    """Two dates of 4-band reflectance x 10000 (UTM 50N, 10 m) over farmland parcels; the
    later date has new buildings (bright, not green) across the borders of 128-px cells."""
    os.makedirs(folder, exist_ok=True)
    crop = np.array([0.035, 0.075, 0.045, 0.42])
    built = np.array([0.17, 0.18, 0.19, 0.22])
    squares = [  # (row0, col0, rows, cols): the corner of four cells, a vertical and a
        (236, 236, 80, 80),  # horizontal border, one inside a cell; each inside one parcel
        (100, 370, 30, 30),
        (500, 600, 25, 40),
        (40, 40, 20, 20),
    ]
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    for name, seed, changed in (("before.tif", 1, False), ("after.tif", 2, True)):
        rng = np.random.default_rng(seed)
        img = np.empty((4, size, size))
        for b in range(4):
            img[b] = crop[b] + rng.normal(0, 0.006, (size, size))
        if changed:
            for r0, c0, h, w in squares:
                for b in range(4):
                    img[b, r0:r0 + h, c0:c0 + w] = built[b] + rng.normal(0, 0.006, (h, w))
        ds = gdal.GetDriverByName("GTiff").Create(os.path.join(folder, name), size, size, 4,
                                                  gdal.GDT_UInt16, ["TILED=YES"])
        ds.SetGeoTransform((500000, 10, 0, 3500000, 0, -10))
        ds.SetProjection(srs.ExportToWkt())
        for b in range(4):
            ds.GetRasterBand(b + 1).WriteArray(np.clip(img[b] * 10000, 1, 10000).astype(np.uint16))
        ds = None
    # Parcels: a 3 x 3 grid of 230-px squares, whose borders are not the cells'.
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(os.path.join(folder, "farmland.gpkg"))
    lyr = ds.CreateLayer("farmland", srs, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn("DKBH", ogr.OFTString))
    for i in range(3):
        for j in range(3):
            x0, y0 = 500000 + 10 + j * 2300, 3500000 - 10 - i * 2300
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetField("DKBH", f"P{i}{j}")
            f.SetGeometry(ogr.CreateGeometryFromWkt(
                f"POLYGON(({x0} {y0},{x0 + 2290} {y0},{x0 + 2290} {y0 - 2290},{x0} {y0 - 2290},{x0} {y0}))"))
            lyr.CreateFeature(f)
    ds = None
    with open(os.path.join(folder, "pipeline.yaml"), "w") as f:
        f.write("""name: straddling
dates:
  - {date: 2024-03-15, image: before.tif, bands: {blue: 1, green: 2, red: 3, nir: 4}, scale: 0.0001}
  - {date: 2024-08-20, image: after.tif, bands: {blue: 1, green: 2, red: 3, nir: 4}, scale: 0.0001}
farmland: {path: farmland.gpkg, id_field: DKBH}
grid: {crs: EPSG:32650, resolution: 10}
classification: RULES/landuse_rules.yaml
change_rules: RULES/change_rules.yaml
outputs: {dir: out, tiles: {min_zoom: 12, max_zoom: 15}}
""".replace("RULES", os.path.abspath(os.path.join(SRC, "pipelines", "rules"))))
    return os.path.join(folder, "pipeline.yaml")


def generated():
    p = make_scene(os.path.join(WORK, "scene"))
    one, four = os.path.join(WORK, "one"), os.path.join(WORK, "four")
    at = {d: ["--out", os.path.join(d, "out"), "--db", os.path.join(d, "fw.gpkg")] for d in (one, four)}
    fw("run", p, *at[one])
    # The shard contract without a scheduler: any runner that starts i = 0..N-1.
    r = subprocess.run(f"seq 0 3 | xargs -P 2 -I{{}} {FW} run {p} --shard {{}}/4 "
                       f"{' '.join(at[four])} -q", shell=True, env=ENV)
    check(r.returncode == 0, "4 shards through xargs -P 2: all exit 0")
    shards = json.load(open(os.path.join(four, "out.shards", "0-of-4", "shard.json")))
    check(shards["inputs"]["cell"] == 128, f"cells of 128 px (got {shards['inputs']['cell']})")
    # The shards render the land-use tiles over their own cells; the merge the rest (and the
    # parents over several shards' cells). Identical sets are checked below.
    for layer, ext in (("landuse_*", "png"), ("imagery_*", "jpg")):
        made = glob.glob(os.path.join(four, "out.shards", "*", "tiles", "*", layer, "*", "*", "*." + ext))
        check(len(made) > 0, f"the shards rendered {layer} tiles ({len(made)})")
    # A shard whose result is complete does nothing the second time.
    r = fw("run", p, "--shard", "1/4", *at[four])
    check("already complete" in r.stdout, "a complete shard re-run does nothing: " + r.stdout.strip())
    # The merge refuses a missing shard (exit 4, naming it), publishing nothing.
    keep = os.path.join(WORK, "kept-2-of-4")
    shutil.move(os.path.join(four, "out.shards", "2-of-4"), keep)
    r = fw("merge", p, "--shards", "4", *at[four], expect=4)
    check("shard(s) 2 of 4" in r.stderr and not os.path.exists(os.path.join(four, "out")),
          "merge without shard 2: exit 4, " + r.stderr.strip().splitlines()[-1][:150])
    shutil.move(keep, os.path.join(four, "out.shards", "2-of-4"))
    fw("merge", p, "--shards", "4", *at[four])
    check(not os.path.exists(os.path.join(four, "out.shards")), "shard results removed once merged")
    same_outputs(os.path.join(one, "out"), os.path.join(four, "out"),
                 "generated scene, unsharded vs 4 shards merged")
    check(db_rows(os.path.join(one, "fw.gpkg")) == db_rows(os.path.join(four, "fw.gpkg")),
          "generated scene: the same database rows")
    # The patches cut by cell borders are whole: the one on the corner of four cells has the
    # square's area (80 x 80 px of ~100 m²) and its parcel.
    feats = json.load(open(os.path.join(four, "out", "changes.geojson")))["features"]
    areas = sorted(f["properties"]["area_m2"] for f in feats)
    check(len(feats) == 4, f"4 patches, one per new building (got {len(feats)}: areas {areas})")
    big = max(feats, key=lambda f: f["properties"]["area_m2"])["properties"]
    check(abs(big["area_m2"] - 640000) < 640000 * 0.02 and
          big["parcel_ids"] == "P11",
          f"the patch over four cells is one patch of ~640000 m² on parcel P11 "
          f"({big['area_m2']}, parcels {big['parcel_ids']})")
    # A shard's tiles not as it wrote them (a tile removed; a tile's or its quarters' bytes
    # changed in place): the merge names the shard (exit 4), removes its result and publishes
    # nothing; that shard again, then the merge, publishes.
    for i in range(4):
        fw("run", p, "--shard", f"{i}/4", "-q", *at[four])
    published = digest(os.path.join(four, "out"))
    shard2 = os.path.join(four, "out.shards", "2-of-4")
    def flip_a_byte(path):
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            b = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([b[0] ^ 1]))
    for what in ("a shard tile removed", "a shard tile changed in place",
                 "a shard's quarters changed in place", "a shard's change_cells.tif removed"):
        if what == "a shard's change_cells.tif removed":
            fw("run", p, "--shard", "2/4", "-q", *at[four])
            os.remove(os.path.join(shard2, "change_cells.tif"))
        elif what == "a shard tile removed":
            os.remove(sorted(glob.glob(os.path.join(shard2, "tiles", "webmercator", "imagery_*",
                                                    "*", "*", "*.jpg")))[0])
        elif what == "a shard tile changed in place":
            fw("run", p, "--shard", "2/4", "-q", *at[four])
            flip_a_byte(sorted(glob.glob(os.path.join(shard2, "tiles", "webmercator", "landuse_*",
                                                      "*", "*", "*.png")))[-1])
        else:
            fw("run", p, "--shard", "2/4", "-q", *at[four])
            flip_a_byte(glob.glob(os.path.join(shard2, "tiles", "tianditu-c", "landuse_*",
                                               "quarters.bin"))[0])
        r = fw("merge", p, "--shards", "4", *at[four], expect=4)
        check("shard 2/4" in r.stderr and not os.path.exists(shard2),
              what + ": exit 4 naming shard 2, its result removed: " +
              r.stderr.strip().splitlines()[-1][:160])
        check(digest(os.path.join(four, "out")) == published, "... and the outputs as they were")
    fw("run", p, "--shard", "2/4", "-q", *at[four])
    fw("merge", p, "--shards", "4", *at[four])
    # (The patches and reports now say what the database knew of the first merge's patches.)
    again = digest(os.path.join(four, "out"))
    same = [k for k in published if k.startswith(("tiles/", "imagery_", "landuse_", "change.tif"))]
    check(len(same) > 100 and all(again.get(k) == published[k] for k in same),
          f"shard 2 again, then the merge: the same rasters and tiles ({len(same)} files)")
    # A shard result from other inputs is refused: the later image changed since.
    for i in range(4):
        fw("run", p, "--shard", f"{i}/4", "-q", *at[four])
    published = digest(os.path.join(four, "out"))
    os.utime(os.path.join(WORK, "scene", "after.tif"))
    r = fw("merge", p, "--shards", "4", *at[four], expect=4)
    check("from these inputs" in r.stderr, "merge of shards made before an input changed: exit 4")
    check(digest(os.path.join(four, "out")) == published, "a refused merge leaves the outputs as they were")
    r = fw("run", p, "--shard", "0/4", *at[four])
    check("result in" in r.stdout, "a shard from other inputs is run again, not skipped")
    class_maps()
    with_model()
    cog_tiles()


def cog_tiles():
    """Cells of 512 px (1100² in 2 shards) hold whole COG tiles: the shards encode them, the
    merge copies them and encodes the levels above; a damaged one is blamed on its shard."""
    p = make_scene(os.path.join(WORK, "scene1100"), size=1100)
    one, two = os.path.join(WORK, "one1100"), os.path.join(WORK, "two1100")
    fw("run", p, "--out", os.path.join(one, "out"), "-q")
    for i in range(2):
        fw("run", p, "--shard", f"{i}/2", "--out", os.path.join(two, "out"), "-q")
    shard1 = os.path.join(two, "out.shards", "1-of-2")
    stores = sorted(glob.glob(os.path.join(shard1, "*.cogtiles")))
    kinds = sorted({os.path.basename(s).split("_")[0] for s in stores})
    check(json.load(open(os.path.join(shard1, "shard.json")))["inputs"]["cell"] == 512 and
          kinds == ["change", "imagery", "landuse"],
          f"cells of 512 px: the shards encoded COG tiles ({kinds})")
    # A byte changed in a shard's COG tiles (in its first tile: after the magic number, the
    # layer's name with its length and CRC, and the record's 22-byte header): exit 4 naming
    # that shard, nothing published.
    # An imagery store: every one of its tiles is copied (change.tif's over pixels the merge
    # changed are encoded again, so a damaged one of those would never be read).
    store = next(s for s in stores if os.path.basename(s).startswith("imagery_"))
    layer = os.path.basename(store)[:-len(".cogtiles")]
    with open(store, "r+b") as f:
        f.seek(8 + 8 + len(layer) + 22 + 10)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 1]))
    r = fw("merge", p, "--shards", "2", "--out", os.path.join(two, "out"), expect=4)
    check("shard 1/2" in r.stderr and not os.path.exists(shard1) and
          not os.path.exists(os.path.join(two, "out")),
          "a changed byte in a shard's COG tiles: exit 4 naming shard 1, nothing published: " +
          r.stderr.strip().splitlines()[-1][:160])
    fw("run", p, "--shard", "1/2", "--out", os.path.join(two, "out"), "-q")
    # A shard raster whose header changed since (its CRS lost): not published without it.
    landuse = sorted(glob.glob(os.path.join(shard1, "landuse_*.tif")))[0]
    ds = gdal.Open(landuse, gdal.GA_Update)
    ds.SetSpatialRef(None)
    ds.SetProjection("")
    ds = None
    if os.path.exists(landuse + ".aux.xml"):
        os.remove(landuse + ".aux.xml")
    r = fw("merge", p, "--shards", "2", "--out", os.path.join(two, "out"), expect=4)
    check("shard 1/2" in r.stderr and not os.path.exists(os.path.join(two, "out")),
          "a shard raster that lost its CRS since: exit 4 naming shard 1, nothing published: " +
          r.stderr.strip().splitlines()[-1][:160])
    fw("run", p, "--shard", "1/2", "--out", os.path.join(two, "out"), "-q")
    fw("merge", p, "--shards", "2", "--out", os.path.join(two, "out"))
    same_outputs(os.path.join(one, "out"), os.path.join(two, "out"),
                 "1100² scene, unsharded vs 2 shards merged (COGs from the shards' tiles)")


def class_maps():
    """Two land-use maps (no spectral test, no sieve): the merge's counts come from the shards."""
    folder = os.path.join(WORK, "maps")
    os.makedirs(folder)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    after = np.ones((300, 300), np.uint8)
    after[100:160, 120:200] = 7  # built on cropland
    after[:, 290:] = 255  # no data
    for name, a in (("a.tif", np.ones((300, 300), np.uint8)), ("b.tif", after)):
        ds = gdal.GetDriverByName("GTiff").Create(os.path.join(folder, name), 300, 300, 1, gdal.GDT_Byte)
        ds.SetGeoTransform((500000, 10, 0, 3500000, 0, -10))
        ds.SetProjection(srs.ExportToWkt())
        ds.SetMetadataItem("FARMWATCH_LAYER", "landuse")
        ds.GetRasterBand(1).SetNoDataValue(255)
        ds.GetRasterBand(1).WriteArray(a)
        ds = None
    rules = os.path.abspath(os.path.join(SRC, "pipelines", "rules"))
    p = os.path.join(folder, "maps.yaml")
    with open(p, "w") as f:
        f.write(f"""name: maps
dates:
  - {{date: 2024-03-15, image: a.tif}}
  - {{date: 2024-08-20, image: b.tif}}
classification: {rules}/landuse_rules.yaml
change_rules: {rules}/change_rules.yaml
database: none
outputs: {{dir: out, tiles: false}}
""")
    fw("run", p, "--out", os.path.join(folder, "one"), "-q")
    for i in range(4):
        fw("run", p, "--shard", f"{i}/4", "--out", os.path.join(folder, "four"), "-q")
    fw("merge", p, "--shards", "4", "--out", os.path.join(folder, "four"), "-q")
    same_outputs(os.path.join(folder, "one"), os.path.join(folder, "four"),
                 "class maps, unsharded vs 4 shards merged")
    s = json.load(open(os.path.join(folder, "four", "summary.json")))
    check(s["changes"]["pixels_nodata"] == 300 * 10,
          f"class maps: the merged summary counts the no-data pixels ({s['changes']['pixels_nodata']})")


def with_model():
    """The sample with a learned model in place of the rules (each date classified by the model
    and its votes, before the per-pixel pass): 3 shards merged give one run's bytes."""
    folder = os.path.join(WORK, "model")
    os.makedirs(folder)
    tiles = os.path.abspath(os.path.join(SRC, "sample-tiles"))
    a, b = os.path.join(tiles, "sample_20240315.tif"), os.path.join(tiles, "sample_20240820.tif")
    fw("change", "--before", a, "--after", b, "--out", os.path.join(folder, "rules"), "-q")
    fw("train", "--image", a, "--labels", os.path.join(folder, "rules", "landuse_2024-03-15.tif"),
       "--image", b, "--labels", os.path.join(folder, "rules", "landuse_2024-08-20.tif"),
       "--out", os.path.join(folder, "m.yml"), "--trees", "20", "-q")
    with open(os.path.join(SRC, "pipelines", "sample.yaml")) as f:
        text = f.read().replace("../sample-tiles/", tiles + "/")
    text = text.replace("classification: rules/landuse_rules.yaml", "model: m.yml")
    text = text.replace("change_rules: rules/", "change_rules: " + os.path.abspath(
        os.path.join(SRC, "pipelines", "rules")) + "/")
    p = os.path.join(folder, "model.yaml")
    with open(p, "w") as f:
        f.write(text)
    at = {d: ["--out", os.path.join(folder, d), "--db", os.path.join(folder, d + ".gpkg"), "-q"]
          for d in ("one", "three")}
    fw("run", p, *at["one"])
    for i in range(3):
        fw("run", p, "--shard", f"{i}/3", *at["three"])
    fw("merge", p, "--shards", "3", *at["three"])
    same_outputs(os.path.join(folder, "one"), os.path.join(folder, "three"),
                 "the sample with a learned model, unsharded vs 3 shards merged")
    check(db_rows(os.path.join(folder, "one.gpkg")) == db_rows(os.path.join(folder, "three.gpkg")),
          "the sample with a learned model: the same database rows")


# ----------------------------------------------------------------------------------------------
def large_patch():
    size, ring = 4200, 3
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32650)
    after = np.ones((size, size), np.uint8)  # 1 cropland, 7 built-up, 6 water
    after[:ring, :] = after[-ring:, :] = after[:, :ring] = after[:, -ring:] = 7
    after[1000:1200, 1000:1200] = 6
    for name, a in (("a.tif", np.ones((size, size), np.uint8)), ("b.tif", after)):
        ds = gdal.GetDriverByName("GTiff").Create(os.path.join(WORK, name), size, size, 1,
                                                  gdal.GDT_Byte, ["TILED=YES", "COMPRESS=DEFLATE"])
        ds.SetGeoTransform((500000, 10, 0, 3500000, 0, -10))
        ds.SetProjection(srs.ExportToWkt())
        ds.SetMetadataItem("FARMWATCH_LAYER", "landuse")
        ds.GetRasterBand(1).WriteArray(a)
        ds = None
    out = os.path.join(WORK, "out")
    fw("change", "--before", os.path.join(WORK, "a.tif"), "--after", os.path.join(WORK, "b.tif"),
       "--out", out, "-q")
    rows = list(csv.DictReader(open(os.path.join(out, "changes.csv"), encoding="utf-8-sig")))
    ring_px = int((after == 7).sum())
    check(len(rows) == 2, f"two patches, the ring and the pond (got {len(rows)})")
    big = max(rows, key=lambda r: float(r["area_m2"]))
    check(int(big["pixels"]) == ring_px and abs(float(big["area_m2"]) - ring_px * 100) < ring_px,
          f"the ring across the whole grid: {big['pixels']} pixels (want {ring_px}), "
          f"{big['area_m2']} m² (grid {ring_px * 100})")
    check(big["gbt_after"].startswith("05"), f"the ring became built-up ({big['gbt_after']})")
    change = gdal.Open(os.path.join(out, "change.tif")).ReadAsArray()
    check(int(((change >= 1) & (change <= 3)).sum()) == ring_px + 200 * 200,
          "change.tif marks every pixel of both patches")
    check(bool((change[after == 7] >= 1).all()), "change.tif marks the ring everywhere")


# ----------------------------------------------------------------------------------------------
def slurm():
    with local_slurm.cluster(SRC, WORK, 6917, ENV) as env:
        slurm_cases(env)


def slurm_cases(env):
    pipeline = os.path.join(SRC, "pipelines", "sample.yaml")
    run_sh = os.path.join(SRC, "scripts", "slurm", "run.sh")
    env = dict(env, FARMWATCH=FW, FARMWATCH_WAIT_TIMEOUT="600")

    def cluster_run(n, name, extra_env=None):
        e = dict(env, FARMWATCH_LOGS=os.path.join(WORK, name, "logs"), **(extra_env or {}))
        return subprocess.run([run_sh, pipeline, str(n), "--out", os.path.join(WORK, name, "out"),
                               "--db", os.path.join(WORK, name, "fw.gpkg")],
                              env=e, capture_output=True, text=True, cwd=WORK)

    fw("run", pipeline, "--out", os.path.join(WORK, "one", "out"), "--db",
       os.path.join(WORK, "one", "fw.gpkg"), "-q")
    for n in (1, 4):
        r = cluster_run(n, f"slurm{n}")
        check(r.returncode == 0, f"run.sh sample.yaml {n}: exit {r.returncode} {r.stderr[-300:]}")
        same_outputs(os.path.join(WORK, "one", "out"), os.path.join(WORK, f"slurm{n}", "out"),
                     f"sample, unsharded vs {n} shard(s) on Slurm")
        check(db_rows(os.path.join(WORK, "one", "fw.gpkg")) ==
              db_rows(os.path.join(WORK, f"slurm{n}", "fw.gpkg")),
              f"sample: the same database rows with {n} shard(s)")
    # One shard fails (a wrapper that fails shard 2 while a flag file exists).
    flag = os.path.join(WORK, "fail-shard-2")
    wrapper = os.path.join(WORK, "farmwatch-failing")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\ncase \"$*\" in *'--shard 2/4'*) [ -e {flag} ] && exit 5;; esac\n"
                f"exec {FW} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    open(flag, "w").close()
    published = digest(os.path.join(WORK, "slurm4", "out"))
    rows = db_rows(os.path.join(WORK, "slurm4", "fw.gpkg"))
    r = cluster_run(4, "slurm4", {"FARMWATCH": wrapper})
    check(r.returncode == 1 and "shard 2/4: FAILED" in r.stderr and "merge: CANCELLED" in r.stderr,
          "a failed shard: run.sh exits 1, the merge is cancelled: " + r.stderr.strip()[:300])
    check(digest(os.path.join(WORK, "slurm4", "out")) == published and
          db_rows(os.path.join(WORK, "slurm4", "fw.gpkg")) == rows,
          "a failed shard: the published outputs and the database are as they were")
    os.remove(flag)
    r = cluster_run(4, "slurm4", {"FARMWATCH": wrapper})
    # Against one unsharded run that also ran twice on its database (patches seen before).
    fw("run", pipeline, "--out", os.path.join(WORK, "one", "out"), "--db",
       os.path.join(WORK, "one", "fw.gpkg"), "-q")
    logs = os.path.join(WORK, "slurm4", "logs")
    skipped = [i for i in range(4) if "already complete" in open(os.path.join(logs, f"shard-{i}-of-4.log")).read()]
    check(r.returncode == 0 and skipped == [0, 1, 3],
          f"the same command again: exit {r.returncode}, shards that did nothing {skipped} (want [0, 1, 3])")
    same_outputs(os.path.join(WORK, "one", "out"), os.path.join(WORK, "slurm4", "out"),
                 "sample after the re-run, unsharded vs 4 shards, both a second run on their database")
    check(db_rows(os.path.join(WORK, "one", "fw.gpkg")) == db_rows(os.path.join(WORK, "slurm4", "fw.gpkg")),
          "sample after the re-run: the same database rows")


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
{"generated": generated, "large_patch": large_patch, "slurm": slurm}[MODE]()
if FAILURES:
    raise SystemExit(f"{len(FAILURES)} check(s) failed")
print("all checks passed")
