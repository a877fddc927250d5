#!/usr/bin/python3
"""Benchmark: the monitoring database after a year of nights.

    scripts/bench/bench_nightly_db.py [NIGHTS] [WORKDIR]      (default 365 nights)

A small generated area (160 x 160 pixels of 10 m, UTM 50N, no farmland) gets one scene a
night, dated a day apart. Every night two new 40 m x 40 m buildings appear (patches found) and
every earlier one is still there (persisting); every 7th night an analyst verifies the oldest
new patch (`farmwatch patch ID --status verified`). Reported at the first and the last night:
the nightly's database write (the run's transaction, from its log), the whole night's wall
time, and `farmwatch patches --since` (the last 30 days; median of 5). Target: night 365 under
2x night 1 for the write and the query.
"""
import datetime
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
_spec = importlib.util.spec_from_file_location("sample", os.path.join(ROOT, "scripts", "make_sample_tiles.py"))
SAMPLE = importlib.util.module_from_spec(_spec)
_argv, sys.argv = sys.argv, sys.argv[:1]
_spec.loader.exec_module(SAMPLE)
sys.argv = _argv
FW = os.environ.get("FARMWATCH", os.path.join(ROOT, "build", "farmwatch"))
NIGHTS = int(sys.argv[1]) if len(sys.argv) > 1 else 365
WORK = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="farmwatch-dbbench-")
SIZE, PITCH, SQ = 160, 5, 4  # pixels; a building is SQ x SQ pixels on a PITCH grid
SLOTS = [(r, c) for r in range(2, SIZE // PITCH - 1) for c in range(2, SIZE // PITCH - 1)]
GRASS = (0.05, 0.08, 0.08, 0.25)
BUILT = (0.17, 0.18, 0.19, 0.22)
X0, Y0 = 400000.0, 3500000.0


def scene(path, night):
    refl = np.empty((SIZE, SIZE, 4))
    refl[:] = GRASS
    for k in range(min(2 * night, len(SLOTS))):
        r, c = SLOTS[k]
        refl[r * PITCH:r * PITCH + SQ, c * PITCH:c * PITCH + SQ] = BUILT
    rng = np.random.default_rng(night)
    dn = np.clip(np.round(refl * (1 + rng.normal(0, 0.01, refl.shape)) * 10000), 1, 65535).astype(np.uint16)
    ds = gdal.GetDriverByName("GTiff").Create(path + ".part", SIZE, SIZE, 4, gdal.GDT_UInt16, ["COMPRESS=DEFLATE"])
    ds.SetGeoTransform((X0, 10, 0, Y0, 0, -10))
    s = osr.SpatialReference()
    s.ImportFromEPSG(32650)
    ds.SetProjection(s.ExportToWkt())
    SAMPLE.write_bands(ds, dn)
    ds = None
    os.replace(path + ".part", path)


def main():
    inbox, db = os.path.join(WORK, "inbox"), os.path.join(WORK, "farmwatch.gpkg")
    os.makedirs(inbox, exist_ok=True)
    rules = os.path.join(ROOT, "pipelines", "rules")
    area = os.path.join(WORK, "area.yaml")
    with open(area, "w") as f:
        f.write(f"""inbox: [{inbox}]
state: {WORK}/state
publish: {WORK}/publish
database: {db}
keep_runs: 2
tiles: false
grid: {{crs: "EPSG:32650", resolution: 10, extent: [{X0}, {Y0 - SIZE * 10}, {X0 + SIZE * 10}, {Y0}]}}
classification: {rules}/landuse_rules.yaml
change_rules: {rules}/change_rules.yaml
""")
    day0 = datetime.date(2024, 1, 1)
    rows = []
    for n in range(1, NIGHTS + 1):
        date = day0 + datetime.timedelta(days=n - 1)
        scene(os.path.join(inbox, f"S2_{date:%Y%m%d}.tif"), n)
        t0 = time.monotonic()
        r = subprocess.run([FW, "nightly", area, "--log-format", "json"], capture_output=True, text=True)
        wall = time.monotonic() - t0
        if r.returncode != 0:
            sys.exit(f"night {n}: exit {r.returncode}\n{r.stderr}")
        write = None
        for line in r.stderr.splitlines():
            m = re.search(r"recorded in ([0-9.]+) s", json.loads(line)["message"])
            if m:
                write = float(m.group(1))
        if n % 7 == 0:
            new = subprocess.run([FW, "patches", "--db", db, "--status", "new", "--format", "csv"],
                                 capture_output=True, text=True).stdout.splitlines()[1:]
            if new:
                pid = new[0].split(",")[0]
                subprocess.run([FW, "patch", pid, "--db", db, "--status", "verified", "--note", "bench"],
                               check=True, capture_output=True)
        since = (date - datetime.timedelta(days=30)).isoformat()
        q = []
        if n in (1, 2, NIGHTS) or n % 50 == 0:
            for _ in range(5):
                t0 = time.monotonic()
                subprocess.run([FW, "patches", "--db", db, "--since", since, "--format", "csv"],
                               check=True, capture_output=True)
                q.append(time.monotonic() - t0)
            patches = len(subprocess.run([FW, "patches", "--db", db, "--format", "csv"],
                                         capture_output=True, text=True).stdout.splitlines()) - 1
            rows.append((n, patches, write, wall, statistics.median(q)))
            print(f"night {n:4d}: {patches:4d} patches, db write {write if write is not None else float('nan'):.3f} s, "
                  f"night {wall:.2f} s, patches --since {statistics.median(q):.3f} s", flush=True)
    first = next(r for r in rows if r[2] is not None)
    last = rows[-1]
    print(f"night {last[0]} / night {first[0]}: db write {last[2] / first[2]:.2f}x, "
          f"night {last[3] / first[3]:.2f}x, patches --since {last[4] / first[4]:.2f}x (target < 2x)")
    print(f"database: {os.path.getsize(db) / 1e6:.1f} MB, {WORK}")


if __name__ == "__main__":
    main()
