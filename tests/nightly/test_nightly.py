#!/usr/bin/python3
"""`farmwatch nightly` as an office runs it, on a generated season (scripts/make_season.py).

    test_nightly.py FARMWATCH SOURCE_DIR SCENARIO

Scenarios (each a ctest test, label integration):
  season     the season night by night: exit codes, scene statuses, patch ids and statuses
             (found, persisting, reverted), the state, the published folder, STAC, dry run,
             JSON logs, `month`, a damaged scene retried only when its bytes change
  kill       SIGKILL at 20 seeded moments of a night, then a restart: the database and
             publish/current equal those of an uninterrupted night
  disk_full  writes refused for want of room (RLIMIT_FSIZE, as a full disk answers EFBIG):
             exit 5 naming the file, database, state and current as they were; the next night
             with room succeeds
  baseline   a land-use map of a date as the state's start: the first scene is compared with
             it; the same nights in shards give the same database and state
  lock       a night holding the lock: a second start exits 75 at once, --wait waits; two
             starts at once: one runs, the other exits 75, nothing is processed twice
  sharded    the season night by night as 3 shards and a merge per scene (--shard i/N, then
             --merge N, while scenes are left), against one unsharded area: the same database
             rows, state and publish/current; a merge missing a shard exits 4 and records
             nothing
  slurm      (label slurm) the same through scripts/slurm/nightly.sh on a throw-away cluster
             (scripts/slurm/local): nights 1-4 in 3 shards equal one machine's; a shard made to
             fail stops the night with nothing recorded, and the same command again finishes it
"""
import fcntl
import hashlib
import json
import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

FW, SRC, SCENARIO = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
SEASON_CACHE = os.path.join(tempfile.gettempdir(), "farmwatch-season-" + hashlib.sha256(
    open(os.path.join(SRC, "scripts", "make_season.py"), "rb").read()).hexdigest()[:12])
ENV = dict(os.environ, SOURCE_DATE_EPOCH="1735689600")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def season():
    """The generated season, made once per version of the generator."""
    if not os.path.exists(os.path.join(SEASON_CACHE, "nights.json")):
        tmp = SEASON_CACHE + f".{os.getpid()}"
        subprocess.run(["/usr/bin/python3", os.path.join(SRC, "scripts", "make_season.py"), tmp],
                       check=True, stdout=subprocess.DEVNULL)
        try:
            os.rename(tmp, SEASON_CACHE)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another test made it first
    return SEASON_CACHE


class Area:
    """An area file and its folders in a fresh temporary folder."""

    def __init__(self, keep_runs=3, extra=""):
        self.dir = tempfile.mkdtemp(prefix="fw-nightly-")
        self.inbox = os.path.join(self.dir, "inbox")
        self.state = os.path.join(self.dir, "state")
        self.publish = os.path.join(self.dir, "publish")
        self.db = os.path.join(self.dir, "farmwatch.gpkg")
        os.makedirs(self.inbox)
        tiles = os.path.join(SRC, "sample-tiles")
        rules = os.path.join(SRC, "pipelines", "rules")
        # The land-use rules as a file of the area's own, which a test may edit.
        self.rules = os.path.join(self.dir, "landuse_rules.yaml")
        shutil.copy(os.path.join(rules, "landuse_rules.yaml"), self.rules)
        self.yaml = os.path.join(self.dir, "area.yaml")
        with open(self.yaml, "w") as f:
            f.write(f"""name: test-area
inbox: [{self.inbox}]
state: {self.state}
publish: {self.publish}
database: {self.db}
keep_runs: {keep_runs}
farmland: {{path: {tiles}/farmland.gpkg, id_field: 地块编号}}
admin: {{path: {tiles}/villages.gpkg, code_field: XZQDM, name_field: XZQMC}}
exemptions: [{{name: 建设用地审批, path: {tiles}/approved_construction.gpkg}}]
grid: {{crs: "EPSG:4527", resolution: 10, extent: farmland}}
classification: {self.rules}
change_rules: {rules}/change_rules.yaml
min_patch_area_m2: {{non_agricultural: 200, non_grain: 666.67, other_change: 1000}}
tiles: {{min_zoom: 12, max_zoom: 14}}
{extra}""")

    def deliver(self, night):
        s = season()
        with open(os.path.join(s, "nights.json")) as f:
            items = json.load(f)["nights"][night - 1]
        for item in items:
            dst = os.path.join(self.inbox, item["as"])
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(os.path.join(s, "scenes", item["file"]), dst + ".part")
            os.replace(dst + ".part", dst)

    def nightly(self, *args, **kw):
        return subprocess.run([FW, "nightly", self.yaml, "--threads", "2", *args], env=ENV,
                              capture_output=True, text=True, **kw)

    def night(self, n, expect):
        self.deliver(n)
        r = self.nightly()
        check(r.returncode == expect,
              f"night {n}: exit {r.returncode}, expected {expect}\n{r.stderr}")
        return r

    def sql(self, query):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    def current(self):
        return os.path.realpath(os.path.join(self.publish, "current"))


def normalised_db(path):
    """The database's rows without times and paths of scratch folders."""
    con = sqlite3.connect(path)
    out = {}
    skip = {"started_utc", "finished_utc", "at_utc", "recorded_utc", "out_dir"}
    for (table,) in con.execute("SELECT table_name FROM gpkg_contents ORDER BY table_name"):
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")') if r[1] not in skip]
        q = ", ".join(f'"{c}"' if c != "geom" else "hex(geom)" for c in cols)
        out[table] = sorted(con.execute(f'SELECT {q} FROM "{table}"').fetchall(), key=repr)
    con.close()
    # Rows a night writes before comparing ("new") end in a final status either way.
    return out


def normalised_current(publish):
    """publish/current: every file's bytes, with the run id, timings and the night's own scene
    list taken out of summary.json (a restarted night lists only what it did itself)."""
    cur = os.path.join(publish, "current")
    out = {}
    for root, _, files in os.walk(cur):
        for name in files:
            p = os.path.join(root, name)
            rel = os.path.relpath(p, cur)
            if name == "summary.json":
                s = json.load(open(p))
                for k in ("run_id", "seconds", "scenes", "failed_scenes"):
                    s.pop(k, None)
                out[rel] = json.dumps(s, sort_keys=True)
            elif name == "report.html":
                out[rel] = "(report)"  # names the run id and the night's scenes
            elif rel.startswith("items") or name == "collection.json":
                s = json.load(open(p))
                s.pop("description", None)
                out[rel] = json.dumps(s, sort_keys=True)
            elif name.endswith(".gpkg"):
                con = sqlite3.connect(p)
                out[rel] = repr(con.execute("SELECT * FROM patches ORDER BY patch_id").fetchall())
                con.close()
            else:
                out[rel] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


def scene_status(area):
    return {(pid, os.path.relpath(path, area.inbox)): st
            for pid, path, st in area.sql("SELECT product_id, path, status FROM scenes")}


def patches(area):
    return {pid: (cat, st, before, after, first) for pid, cat, st, before, after, first in area.sql(
        "SELECT patch_id, category, status, class_before, class_after, first_seen FROM patches")}


def validate_stac(current):
    import jsonschema
    schemas = {}
    sdir = os.path.join(SRC, "tests", "nightly", "stac")
    for name in ("item", "collection", "projection", "file", "processing"):
        s = json.load(open(os.path.join(sdir, name + ".json")))
        schemas[s["$id"]] = s
    coll = json.load(open(os.path.join(current, "collection.json")))
    jsonschema.Draft7Validator(schemas["https://schemas.stacspec.org/v1.1.0/collection-spec/json-schema/collection.json"]).validate(coll)
    items = [l["href"] for l in coll["links"] if l["rel"] == "item"]
    check(len(items) >= 4, f"collection links {len(items)} items")
    for href in items:
        path = os.path.normpath(os.path.join(current, href))
        item = json.load(open(path))
        jsonschema.Draft7Validator(schemas["https://schemas.stacspec.org/v1.1.0/item-spec/json-schema/item.json"]).validate(item)
        for ext in item["stac_extensions"]:
            check(ext in schemas, f"{href}: extension {ext} has no schema here")
            jsonschema.Draft7Validator(schemas[ext]).validate(item)
        lon0, lat0, lon1, lat1 = item["bbox"]
        check(116.9 < lon0 < lon1 < 117.2 and 31.7 < lat0 < lat1 < 32.0, f"{href}: bbox {item['bbox']}")
        check(item["properties"]["proj:code"] == "EPSG:4527", f"{href}: proj:code")
        check(item["properties"]["proj:shape"][0] > 0, f"{href}: proj:shape")
        sw = item["properties"]["processing:software"]
        check("farmwatch" in sw and "GDAL" in sw and "PROJ" in sw, f"{href}: processing:software {sw}")
        check(any(l["rel"] == "derived_from" for l in item["links"]), f"{href}: no derived_from link")
        for key, a in item["assets"].items():
            f = os.path.normpath(os.path.join(os.path.dirname(path), a["href"]))
            data = open(f, "rb").read()
            check(a["file:size"] == len(data), f"{href}: {key} file:size")
            check(a["file:checksum"] == "1220" + hashlib.sha256(data).hexdigest(), f"{href}: {key} file:checksum")


def scenario_season():
    a = Area(keep_runs=3)
    r = a.night(1, 0)
    check(os.path.exists(os.path.join(a.publish, "current", "landuse.tif")), "night 1: nothing published")
    a.night(2, 0)
    r = a.night(3, 0)
    st = scene_status(a)
    check(st[("scene_04", "scene_04.tif")] == "cloudy", f"June's scene: {st}")
    p3 = patches(a)
    orchard = [k for k, v in p3.items() if v[3] == "园地"]
    check(len(orchard) == 1 and p3[orchard[0]][1] == "new" and p3[orchard[0]][4] == "2024-05-25",
          f"after night 3, patches {p3}")
    r = a.night(4, 6)  # July's delivery cut short: partial
    st = scene_status(a)
    check(st[("scene_05", "scene_05.tif")] == "failed", f"cut scene: {st}")
    reason = a.sql("SELECT reason FROM scenes WHERE product_id='scene_05'")[0][0]
    check("scene_05.tif" in reason, f"the failed scene's reason names the file: {reason}")
    check("scene_05" in r.stderr and "failed" in r.stderr, "the log says which scene failed")
    a.night(5, 0)  # July delivered whole, after August
    rows = a.sql("SELECT status FROM scenes WHERE product_id='scene_05' ORDER BY fid")
    check([x[0] for x in rows] == ["failed", "processed"], f"July: {rows}")
    a.night(6, 0)
    st = scene_status(a)
    check(st[("S2X_20240820_sample", "redelivered/S2X_20240820_sample.tif")] == "duplicate",
          f"August delivered twice: {st}")
    before_current = a.current()
    r = a.night(7, 6)  # November's file damaged mid-file: partial, the rest published
    check(a.current() != before_current, "night 7 published nothing")
    st = scene_status(a)
    check(st[("scene_09", "scene_09.tif")] == "failed" and st[("scene_08", "scene_08.tif")] == "processed",
          f"night 7: {st}")
    p = patches(a)
    for pid in orchard:
        check(pid in p, f"patch {pid} lost its id: {p}")
    by_after = {v[3]: (k, v) for k, v in p.items()}
    check(set(by_after) == {"园地", "建设用地", "坑塘水面"}, f"patches {p}")
    check(by_after["园地"][1][1] == "reverted", f"the orchard grubbed up: {by_after['园地']}")
    check(by_after["建设用地"][1][1] == "persisting" and by_after["建设用地"][1][0] == "non_agricultural",
          f"the yard: {by_after['建设用地']}")
    check(by_after["坑塘水面"][1][1] == "persisting" and by_after["坑塘水面"][1][4] == "2024-09-15",
          f"the pond: {by_after['坑塘水面']}")
    events = [e for (e,) in a.sql(f"SELECT event FROM patch_history WHERE patch_id='{by_after['园地'][0]}' ORDER BY fid")]
    check(events[0] == "detected" and events[-1] == "reverted" and "persisting" in events, f"orchard history {events}")
    # The state: one generation, the latest clear view everywhere.
    gens = [d for d in os.listdir(a.state) if d.startswith("gen-")]
    check(len(gens) == 1, f"state generations {gens}")
    from osgeo import gdal
    obs = gdal.Open(os.path.join(a.publish, "current", "observed.tif")).ReadAsArray()
    check(obs.max() == 20241020 and obs[obs > 0].min() >= 20240315, f"observed {obs.min()}..{obs.max()}")
    # Published runs: keep_runs besides current.
    runs = os.listdir(os.path.join(a.publish, "runs"))
    check(len(runs) == 4, f"runs kept: {runs}")
    check(os.path.islink(os.path.join(a.publish, "current")), "current is not a link")
    for f in ("landuse.tif", "observed.tif", "change.tif", "patches.gpkg", "patches.geojson",
              "patches.csv", "report.html", "summary.json", "collection.json",
              "tiles/webmercator/landuse/tilejson.json", "tiles/webmercator/landuse.mbtiles",
              "tiles/tianditu-c/change/tilejson.json", "index.html", "map.js", "landuse.qml",
              "change.tif.aux.xml"):
        check(os.path.exists(os.path.join(a.publish, "current", f)), f"current lacks {f}")
    # The night's viewer shows the farmland parcels as a run's does.
    viewer_map = open(os.path.join(a.publish, "current", "map.js"), encoding="utf-8").read()
    farmland_dir = os.path.join(a.publish, "current", "vectors", "farmland")
    check('"farmland"' in viewer_map and os.path.isdir(farmland_dir) and os.listdir(farmland_dir),
          "the night's viewer has no farmland parcels")
    # Tiles are updated, not redone: a night renders only the tiles over pixels that changed
    # (November's land use differs everywhere from October's; its change map does not) and the
    # other tiles are the previous night's files (hard links, the same bytes).
    tiles = json.load(open(os.path.join(a.publish, "current", "summary.json")))["tiles"]
    for grid in ("webmercator", "tianditu-c"):
        t = tiles[grid]["change"]
        check(t["tiles"] > 0 and t["rendered"] < t["tiles"], f"night 7 redid every {grid} change tile: {t}")
        tile_dir = os.path.join(a.publish, "current", "tiles", grid, "change")
        linked = [f for d, _, fs in os.walk(tile_dir) for f in fs
                  if f.endswith(".png") and os.stat(os.path.join(d, f)).st_nlink > 1]
        check(len(linked) >= t["tiles"] - t["rendered"], f"{len(linked)} {grid} tiles shared with the night before: {t}")
    ch = gdal.Open(os.path.join(a.publish, "current", "change.tif")).ReadAsArray()
    check(set(ch.ravel().tolist()) == {0, 1, 2}, f"change.tif draws the open patches: {set(ch.ravel().tolist())}")
    validate_stac(os.path.join(a.publish, "current"))
    # Nothing new: exit 0, one line saying so, current unchanged.
    cur = a.current()
    r = a.night(8, 0)
    check("nothing new" in r.stderr and a.current() == cur, f"night 8: {r.stderr}")
    # The damaged scene is retried only when its bytes change.
    r = a.nightly()
    check(r.returncode == 0 and "nothing new" in r.stderr, f"damaged retried with the same bytes: {r.stderr}")
    shutil.copy(os.path.join(season(), "scenes", "scene_09.tif"), os.path.join(a.inbox, "scene_09.tif"))
    dry = a.nightly("--dry-run")
    check(dry.returncode == 0 and "compare" in dry.stdout and "scene_09" in dry.stdout, f"dry run: {dry.stdout}")
    check(a.sql("SELECT count(*) FROM scenes WHERE product_id='scene_09'")[0][0] == 1, "the dry run wrote")
    r = a.nightly("--log-format", "json")
    check(r.returncode == 0, f"re-delivered November: {r.returncode} {r.stderr}")
    lines = [json.loads(x) for x in r.stderr.splitlines() if x.strip()]
    check(all(x["run_id"] and x["stage"] for x in lines), "json log lines lack run_id or stage")
    check(any(x.get("scene") == "scene_09" and "seconds" in x for x in lines), f"no scene line with seconds: {lines}")
    rows = a.sql("SELECT status FROM scenes WHERE product_id='scene_09' ORDER BY fid")
    check([x[0] for x in rows] == ["failed", "processed"], f"November: {rows}")
    # The month: found, persisting, blind area per unit.
    out = os.path.join(a.dir, "month")
    m = subprocess.run([FW, "month", "2024-04", "--db", a.db, "--out", out], capture_output=True, text=True)
    check(m.returncode == 0, f"month: {m.stderr}")
    s = json.load(open(os.path.join(out, "month_2024-04.json")))
    blind = {u["unit_name"]: u["blind_share"] for u in s["units"]}
    check(blind["东湖村"] > 0.05 and blind["南圩村"] < 0.01, f"April's cloud over 东湖村: {blind}")
    m = subprocess.run([FW, "month", "2024-06", "--db", a.db, "--out", out], capture_output=True, text=True)
    s = json.load(open(os.path.join(out, "month_2024-06.json")))
    check(s["blind_share"] > 0.99 and os.path.exists(os.path.join(out, "blind_2024-06.gpkg")),
          f"June, cloudy from edge to edge, is blind: {s['blind_share']}")
    m = subprocess.run([FW, "month", "2024-09", "--db", a.db, "--out", out], capture_output=True, text=True)
    s = json.load(open(os.path.join(out, "month_2024-09.json")))
    found = sum(u["found"] for u in s["units"])
    reverted = sum(u["reverted"] for u in s["units"])
    check(found == 1 and reverted == 1 and s["blind_share"] < 0.01, f"September: {s}")
    # Indexes and uniqueness on the ids.
    idx = {n for (n,) in a.sql("SELECT name FROM sqlite_master WHERE type='index'")}
    for n in ("patches_patch_id", "parcels_parcel_id", "scenes_delivery", "meta_key"):
        check(n in idx, f"index {n} missing: {idx}")
    shutil.rmtree(a.dir)


def sharded_night(a, n):
    """One night as a cluster runs it: the shards of the next scene at once, then the merge,
    while scenes are left. Returns the exit codes of the merges."""
    codes = []
    for _ in range(20):
        procs = [subprocess.Popen([FW, "nightly", a.yaml, "--threads", "1", "--shard", f"{i}/{n}"],
                                  env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(n)]
        for i, p in enumerate(procs):
            out, err = p.communicate()
            check(p.returncode == 0, f"shard {i}/{n}: exit {p.returncode}\n{err}")
        r = a.nightly("--merge", str(n))
        codes.append(r.returncode)
        check(r.returncode in (0, 6), f"merge: exit {r.returncode}\n{r.stderr}")
        if "left to compare" not in r.stdout:
            return codes
    fail("a sharded night did not end in 20 rounds")


def deliver_again(a, source, name, day):
    """A season scene delivered again as another product (its own name), dated November `day`."""
    from osgeo import gdal
    dst = os.path.join(a.inbox, name)
    gdal.Translate(dst, os.path.join(season(), "scenes", source),
                   metadataOptions=[f"ACQUISITION_DATE=2024-11-{day:02d}"])


def without_dir(value, d):
    """A row with the area's folder as AREA and without the window a failed read was of (which
    part of a damaged scene a process reads first depends on how the work is cut)."""
    import re
    return re.sub(r"window [0-9]+,[0-9]+ [0-9]+x[0-9]+ of", "window of", repr(value).replace(d, "AREA"))


def state_pixels(a):
    from osgeo import gdal
    gens = sorted(x for x in os.listdir(a.state) if x.startswith("gen-"))
    out = {"generations": gens}
    for name in ("reflectance", "landuse", "observed"):
        # A merge's generation reads the shards' pieces through name.vrt.
        path = os.path.join(a.state, gens[-1], name + ".tif")
        ds = gdal.Open(path if os.path.exists(path) else path[:-4] + ".vrt")
        out[name] = hashlib.sha256(ds.ReadAsArray().tobytes()).hexdigest()
    return out


def scenario_sharded():
    one, sh = Area(), Area()
    # What a night killed while creating the database left (an empty file from older builds, a
    # half-made copy of this one's) does not stop the next.
    open(sh.db, "w").close()
    import socket
    leftover = f"{sh.db}.creating-{socket.gethostname()}-4194000"  # a pid above pid_max: gone
    open(leftover, "w").close()
    expect = {4: 6, 7: 6}
    for n in range(1, 9):
        one.night(n, expect.get(n, 0))
        sh.deliver(n)
        codes = sharded_night(sh, 3)
        check(codes[-1] == expect.get(n, 0), f"sharded night {n}: merges exited {codes}")
        scenes = {}
        for a in (one, sh):
            s = json.load(open(os.path.join(a.publish, "current", "summary.json")))
            scenes[a] = (sorted((x["product_id"], x["status"]) for x in s["scenes"]),
                         s.get("failed_scenes"))
        check(scenes[sh] == scenes[one] or n == 8,  # night 8: nothing new, nothing published
              f"night {n}: the sharded night's summary lists {scenes[sh]}, one machine's {scenes[one]}")
        check(not os.path.exists(leftover), "a killed creation's copy is left")
        db_one, db_sh = normalised_db(one.db), normalised_db(sh.db)
        for t in db_one:
            a_ = [without_dir(r, one.dir) for r in db_one[t]]
            b_ = [without_dir(r, sh.dir) for r in db_sh.get(t, [])]
            check(a_ == b_, f"night {n}: table {t} of the sharded database differs:\n" +
                  "\n".join(r[:200] + " ... " + r[-400:] for r in b_ if r not in a_) +
                  "\nunsharded:\n" + "\n".join(r[:200] + " ... " + r[-400:] for r in a_ if r not in b_))
        check(state_pixels(sh) == state_pixels(one), f"night {n}: the sharded state differs")
        check(without_dir(normalised_current(sh.publish), sh.dir) ==
              without_dir(normalised_current(one.publish), one.dir),
              f"night {n}: the sharded publish/current differs")
        shards_dir = os.path.join(sh.state, "shards")
        left = os.listdir(shards_dir) if os.path.exists(shards_dir) else []
        check(not left, f"night {n}: shard results left: {left}")
    # A merge with a shard missing: exit 4 naming it; nothing recorded, current unchanged.
    shutil.copy(os.path.join(season(), "scenes", "scene_09.tif"), os.path.join(sh.inbox, "scene_09.tif"))
    before_db, before_current = normalised_db(sh.db), sh.current()
    for i in (0, 2):
        r = sh.nightly("--shard", f"{i}/3")
        check(r.returncode == 0, f"shard {i}/3: {r.stderr}")
    r = sh.nightly("--merge", "3")
    check(r.returncode == 4 and "shard(s) 1 of 3" in r.stderr and "scene_09" in r.stderr,
          f"merge without shard 1: exit {r.returncode}\n{r.stderr}")
    check(normalised_db(sh.db) == before_db and sh.current() == before_current,
          "a refused merge changed the database or publish/current")
    r = sh.nightly("--shard", "1/3")
    r = sh.nightly("--merge", "3")
    check(r.returncode == 0 and sh.current() != before_current, f"the merge with every shard: {r.stderr}")
    rows = sh.sql("SELECT status FROM scenes WHERE product_id='scene_09' ORDER BY fid")
    check([x[0] for x in rows] == ["failed", "processed"], f"November re-delivered: {rows}")
    # Shard results a merge cannot use: each refused with exit 4 naming the shard, nothing
    # recorded, and fixed by running the shards (or the one named) again.
    for n, damage in ((9, "rules"), (10, "deleted"), (11, "truncated")):
        deliver_again(sh, "scene_09.tif", f"extra_{n}.tif", n)
        before_db = normalised_db(sh.db)
        db_bytes = hashlib.sha256(open(sh.db, "rb").read()).hexdigest()
        for i in range(3):
            check(sh.nightly("--shard", f"{i}/3").returncode == 0, f"{damage}: shard {i}/3")
        check(hashlib.sha256(open(sh.db, "rb").read()).hexdigest() == db_bytes,
              f"{damage}: the shards changed the database file")
        result = os.path.join(sh.state, "shards", f"extra_{n}", "1-of-3")
        if damage == "rules":  # a file the area names changed after the shards ran
            with open(sh.rules, "a") as f:
                f.write("\n# edited\n")
        elif damage == "deleted":
            os.remove(os.path.join(result, "next_state", "landuse.tif"))
        else:
            victim = os.path.join(result, "change.tif")  # which the merge reads whole
            with open(victim, "r+b") as f:
                f.truncate(os.path.getsize(victim) // 2)
        r = sh.nightly("--merge", "3")
        check(r.returncode == 4 and "1" in r.stderr and normalised_db(sh.db) == before_db,
              f"{damage} shard result: exit {r.returncode}, or the database changed\n{r.stderr}")
        if damage == "rules":
            check("shard(s) 0, 1, 2 of 3" in r.stderr, f"edited rules: {r.stderr}")
        else:
            check("shard 1/3" in r.stderr and "run that shard again" in r.stderr, f"{damage}: {r.stderr}")
        codes = sharded_night(sh, 3)
        check(max(codes) == 0, f"{damage}: the shards run again, the merge exits {codes}")
        st = sh.sql(f"SELECT status FROM scenes WHERE product_id='extra_{n}'")
        check(st == [("processed",)], f"{damage}: the scene is {st}")
    # Shards of one night with the options of the other are refused.
    r = sh.nightly("--shard", "0/3", "--merge", "3")
    check(r.returncode == 2, f"--shard with --merge: exit {r.returncode}")
    r = sh.nightly("--shard", "")
    check(r.returncode == 2, f"--shard '' runs nothing: exit {r.returncode}")
    shutil.rmtree(one.dir)
    shutil.rmtree(sh.dir)


def scenario_slurm():
    sys.path.insert(0, os.path.join(SRC, "tests", "support"))
    import local_slurm
    work = tempfile.mkdtemp(prefix="fw-nightly-slurm-")
    try:
        with local_slurm.cluster(SRC, work, 6927, ENV) as env:
            slurm_nights(dict(env, FARMWATCH=FW, FARMWATCH_WAIT_TIMEOUT="600"), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def slurm_nights(env, work):
    nightly_sh = os.path.join(SRC, "scripts", "slurm", "nightly.sh")
    one, sh = Area(), Area()
    for n, expect in ((1, 0), (2, 0), (3, 0), (4, 6)):
        one.night(n, expect)
        sh.deliver(n)
        r = subprocess.run([nightly_sh, sh.yaml, "3"], env=dict(env, FARMWATCH_LOGS=os.path.join(sh.dir, f"logs{n}")),
                           capture_output=True, text=True)
        check(r.returncode == expect, f"nightly.sh, night {n}: exit {r.returncode}\n{r.stdout}{r.stderr}")
        check(without_dir(normalised_db(sh.db), sh.dir) == without_dir(normalised_db(one.db), one.dir),
              f"nightly.sh, night {n}: the database differs from one machine's")
        check(state_pixels(sh) == state_pixels(one), f"nightly.sh, night {n}: the state differs")
        check(without_dir(normalised_current(sh.publish), sh.dir) ==
              without_dir(normalised_current(one.publish), one.dir),
              f"nightly.sh, night {n}: publish/current differs")
    # Shard 1 made to fail: the merge is cancelled, nothing recorded; the same command again
    # re-runs the shards and records the scenes.
    wrapper = os.path.join(work, "failing-farmwatch")
    with open(wrapper, "w") as f:
        f.write(f"""#!/bin/sh
case "$*" in *"--shard 1/3"*) [ -e {work}/fixed ] || {{ echo "shard 1 broken on purpose" >&2; exit 5; }};; esac
exec {FW} "$@"
""")
    os.chmod(wrapper, 0o755)
    one.night(5, 0)
    sh.deliver(5)
    before_db, before_current = normalised_db(sh.db), sh.current()
    logs = os.path.join(sh.dir, "logs5")
    r = subprocess.run([nightly_sh, sh.yaml, "3"], env=dict(env, FARMWATCH=wrapper, FARMWATCH_LOGS=logs),
                       capture_output=True, text=True)
    check(r.returncode == 1 and "shard 1/3" in r.stderr, f"a failing shard: exit {r.returncode}\n{r.stderr}")
    check(normalised_db(sh.db) == before_db and sh.current() == before_current,
          "a night whose shard failed changed the database or publish/current")
    open(os.path.join(work, "fixed"), "w").close()
    r = subprocess.run([nightly_sh, sh.yaml, "3"], env=dict(env, FARMWATCH=wrapper, FARMWATCH_LOGS=logs),
                       capture_output=True, text=True)
    check(r.returncode == 0, f"the night run again: exit {r.returncode}\n{r.stderr}")
    check(without_dir(normalised_db(sh.db), sh.dir) == without_dir(normalised_db(one.db), one.dir),
          "night 5 run again: the database differs from one machine's")
    check(state_pixels(sh) == state_pixels(one), "night 5 run again: the state differs")
    shutil.rmtree(one.dir)
    shutil.rmtree(sh.dir)


def run_all(a, nights):
    for n in nights:
        a.deliver(n)
        a.nightly()


def scenario_kill():
    # The reference: nights 1-3, then night 4 (a cut scene and a good one) uninterrupted.
    base = Area()
    run_all(base, [1, 2, 3])
    snap = os.path.join(base.dir, "snapshot")
    shutil.copytree(base.dir, snap, ignore=shutil.ignore_patterns("snapshot"), symlinks=True)
    t0 = time.monotonic()
    base.night(4, 6)
    duration = time.monotonic() - t0
    want_db, want_cur = normalised_db(base.db), normalised_current(base.publish)
    rng = random.Random(20240820)
    points = sorted(rng.uniform(0.05, duration * 0.98) for _ in range(20))
    for k, t in enumerate(points):
        for name in ("inbox", "state", "publish", "farmwatch.gpkg"):
            p = os.path.join(base.dir, name)
            shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.remove(p) if os.path.exists(p) else None
            src = os.path.join(snap, name)
            if os.path.isdir(src):
                shutil.copytree(src, p, symlinks=True)
            elif os.path.exists(src):
                shutil.copy(src, p)
        base.deliver(4)
        proc = subprocess.Popen([FW, "nightly", base.yaml, "--threads", "2"], env=ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(t)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        r = base.nightly()
        check(r.returncode in (0, 6), f"kill at {t:.2f} s: the restart exited {r.returncode}\n{r.stderr}")
        got_db, got_cur = normalised_db(base.db), normalised_current(base.publish)
        for table in want_db:
            check(got_db.get(table) == want_db[table],
                  f"kill {k} at {t:.2f} s: table {table} differs\nwant {want_db[table]}\ngot  {got_db.get(table)}")
        check(got_cur == want_cur,
              f"kill {k} at {t:.2f} s: publish/current differs: "
              f"{sorted(x for x in set(want_cur) | set(got_cur) if want_cur.get(x) != got_cur.get(x))}")
        print(f"kill {k + 1}/20 at {t:.2f} s of {duration:.2f} s: same database and current")
    shutil.rmtree(base.dir)


def scenario_disk_full():
    a = Area()
    run_all(a, [1, 2])
    a.deliver(3)
    db_before = normalised_db(a.db)
    cur_before = a.current()
    cur_files = normalised_current(a.publish)
    gens_before = sorted(d for d in os.listdir(a.state) if d.startswith("gen-"))
    limit = os.path.getsize(a.db) + 4096

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run([FW, "nightly", a.yaml], env=ENV, capture_output=True, text=True,
                       preexec_fn=small_disk)
    check(r.returncode == 5, f"disk full: exit {r.returncode}\n{r.stderr}")
    errors = [l for l in r.stderr.splitlines() if "error" in l]
    check(errors and (a.state in errors[-1] or a.db in errors[-1] or a.publish in errors[-1]),
          f"the message names the file: {errors}")
    after = normalised_db(a.db)
    check(after == db_before, "the database changed: " + repr({t: (db_before.get(t), after.get(t)) for t in after if after.get(t) != db_before.get(t)})[:3000] + "\n" + r.stderr)
    check(a.current() == cur_before and normalised_current(a.publish) == cur_files, "current changed")
    check(sorted(d for d in os.listdir(a.state) if d.startswith("gen-")) == gens_before, "the state changed")
    r = a.nightly()
    check(r.returncode == 0, f"the next night with room: {r.returncode}\n{r.stderr}")
    check(scene_status(a)[("S2X_20240525_sample", "S2X_20240525_sample.tif")] == "processed", "May not processed")
    shutil.rmtree(a.dir)


def scenario_lock():
    a = Area()
    a.deliver(1)
    os.makedirs(a.state, exist_ok=True)
    fd = os.open(os.path.join(a.state, "nightly.lock"), os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    t0 = time.monotonic()
    r = a.nightly()
    check(r.returncode == 75 and "lock" in r.stderr, f"lock held: exit {r.returncode} {r.stderr}")
    check(time.monotonic() - t0 < 20, "a held lock was waited for without --wait")
    waiting = subprocess.Popen([FW, "nightly", a.yaml, "--wait"], env=ENV, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    check(waiting.poll() is None, "--wait did not wait")
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    out, err = waiting.communicate(timeout=300)
    check(waiting.returncode == 0, f"--wait: {waiting.returncode} {err}")
    # Two starts at once: one runs, the other exits 75; nothing processed twice.
    a.deliver(2)
    p1 = subprocess.Popen([FW, "nightly", a.yaml], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    p2 = subprocess.Popen([FW, "nightly", a.yaml], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    codes = sorted([p1.wait(timeout=300), p2.wait(timeout=300)])
    check(codes == [0, 75], f"two starts: exit codes {codes}")
    rows = a.sql("SELECT count(*) FROM scenes WHERE product_id='scene_02' AND status='processed'")
    runs = a.sql("SELECT count(*) FROM runs")
    check(rows[0][0] == 1 and runs[0][0] == 1, f"processed twice: {rows} {runs}")
    shutil.rmtree(a.dir)


def scenario_baseline():
    # The baseline: April's scene classified (green crops everywhere), as an office's survey map.
    tmp = tempfile.mkdtemp(prefix="fw-baseline-")
    base = os.path.join(tmp, "landuse_2024-04-20.tif")
    r = subprocess.run([FW, "classify", "--in", os.path.join(season(), "scenes", "scene_02.tif"),
                        "--out", base, "--crs", "EPSG:4527", "--resolution", "10"],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"classify: {r.stderr}")
    a = Area(extra=f"baseline: {{path: {base}, date: 2024-04-20}}\n")
    r = a.night(3, 0)  # May (the orchard) and June (cloudy): May compared with the baseline
    p = patches(a)
    check(len(p) == 1 and list(p.values())[0][2:4] == ("耕地", "园地"),
          f"the orchard against the baseline map: {p}\n{r.stderr}")
    check(a.sql("SELECT value FROM meta WHERE key='state_generation'")[0][0] == "2", "generations")
    from osgeo import gdal
    obs = gdal.Open(os.path.join(a.publish, "current", "observed.tif")).ReadAsArray()
    check(obs.max() == 20240525, f"observed {obs.min()}..{obs.max()}")
    r = a.night(4, 6)  # August: its cloud keeps May's view there
    p = patches(a)
    check(any(v[3] == "建设用地" for v in p.values()), f"the yard in August: {p}")
    # The same nights in shards: the first scene's shards start from the baseline too.
    sh = Area(extra=f"baseline: {{path: {base}, date: 2024-04-20}}\n")
    for n, expect in ((3, 0), (4, 6)):
        sh.deliver(n)
        codes = sharded_night(sh, 2)
        check(max(codes) == expect, f"sharded night {n} from the baseline: merges exited {codes}")
    check(without_dir(normalised_db(sh.db), sh.dir) == without_dir(normalised_db(a.db), a.dir),
          "sharded nights from the baseline: the database differs from the unsharded one")
    check(state_pixels(sh) == state_pixels(a), "sharded nights from the baseline: the state differs")
    shutil.rmtree(sh.dir)
    shutil.rmtree(a.dir)
    shutil.rmtree(tmp)


if __name__ == "__main__":
    {"season": scenario_season, "kill": scenario_kill, "disk_full": scenario_disk_full,
     "lock": scenario_lock, "baseline": scenario_baseline, "sharded": scenario_sharded,
     "slurm": scenario_slurm}[SCENARIO]()
    print(f"{SCENARIO}: ok")
