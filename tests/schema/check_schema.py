#!/usr/bin/python3
"""`farmwatch schema` agrees with `farmwatch run`'s own validation.

    check_schema.py FARMWATCH_EXE SOURCE_DIR

The sample pipeline and variants of it that use the other forms of the keys must pass both the
JSON Schema (checked with python3-jsonschema, an independent implementation, as editors do
through yaml-language-server) and `farmwatch run --check`; mutations of it (unknown keys, wrong
types, values out of range or not among the choices, missing required keys) must fail both, and
farmwatch's message must name the key. Prints 'N passed, N failed'.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

import jsonschema
import yaml

exe, source = sys.argv[1], os.path.abspath(sys.argv[2])


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 as farmwatch (yaml-cpp) and yaml-language-server read it: 2024-03-15 is text."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}

pipelines = os.path.join(source, "pipelines")
sample = yaml.load(open(os.path.join(pipelines, "sample.yaml"), encoding="utf-8"), Loader=Yaml12Loader)


def absolute(p):
    return p if os.path.isabs(p) else os.path.normpath(os.path.join(pipelines, p))


for d in sample["dates"]:
    d["image"] = absolute(d["image"])
for k in ("farmland", "admin"):
    sample[k]["path"] = absolute(sample[k]["path"])
for e in sample["exemptions"]:
    e["path"] = absolute(e["path"])
for k in ("classification", "change_rules"):
    sample[k] = absolute(sample[k])

schema = json.loads(subprocess.run([exe, "schema"], check=True, capture_output=True, text=True).stdout)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)


def variant(edit):
    doc = copy.deepcopy(sample)
    edit(doc)
    return doc


def setp(path, value):
    def edit(doc):
        node = doc
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return edit


def delp(path):
    def edit(doc):
        node = doc
        for k in path[:-1]:
            node = node[k]
        del node[path[-1]]
    return edit


def scenes(doc):
    d = doc["dates"][1]
    d["scenes"] = [{"image": d.pop("image"), "date": "2024-08-19", "quality": "spectral"}]
    d["max_cloud"] = 0.5


def forms(doc):
    doc["dates"][0]["bands"] = {"blue": 1, "green": 2, "red": 3, "nir": 4}
    doc["dates"][1]["bands"] = "blue=1,green=2,red=3,nir=4"
    doc["dates"][1]["quality"] = {"kind": "none"}
    doc["grid"]["extent"] = "farmland"
    doc["grid"]["margin"] = 100
    doc["outputs"]["tiles"] = False
    doc["block_size"] = 256
    doc["coregister"] = False


valid = {
    "the sample pipeline": variant(lambda d: None),
    "scenes, quality keyword, max_cloud": variant(scenes),
    "bands as a mapping and as text, quality mapping, extent keyword, tiles off": variant(forms),
    "extent as four numbers": variant(setp(["grid", "extent"], [39500400, 3524000, 39503400, 3526300])),
}
# (name, document, the key farmwatch's message must name)
invalid = [
    ("unknown top-level key", variant(setp(["colour"], "red")), "colour"),
    ("unknown key in grid", variant(setp(["grid", "resolutoin"], 10)), "resolutoin"),
    ("unknown key in a date", variant(setp(["dates", 0, "imagery"], "x.tif")), "imagery"),
    ("wrong type: block_size text", variant(setp(["block_size"], "big")), "block_size"),
    ("wrong type: block_size quoted number", variant(setp(["block_size"], "512")), "block_size"),
    ("wrong type: resolution text", variant(setp(["grid", "resolution"], "ten")), "resolution"),
    ("wrong type: coregister text", variant(setp(["coregister"], "yes please")), "coregister"),
    ("wrong type: dates a mapping", variant(setp(["dates"], {"date": "2024-03-15"})), "dates"),
    ("wrong type: scale a list", variant(setp(["dates", 0, "scale"], [1, 2])), "scale"),
    ("out of range: block_size not a multiple of 16", variant(setp(["block_size"], 100)), "block_size"),
    ("out of range: block_size too large", variant(setp(["block_size"], 8192)), "block_size"),
    ("out of range: max_cloud over 1", variant(setp(["dates", 0, "max_cloud"], 1.5)), "max_cloud"),
    ("out of range: negative resolution", variant(setp(["grid", "resolution"], -10)), "resolution"),
    ("out of range: zoom 30", variant(setp(["outputs", "tiles"], {"max_zoom": 30})), "max_zoom"),
    ("out of range: band 0", variant(setp(["dates", 0, "bands"], {"red": 0})), "red"),
    ("not a choice: profile", variant(setp(["dates", 0, "profile"], "landsat9")), "profile"),
    ("not a choice: extent", variant(setp(["grid", "extent"], "everywhere")), "extent"),
    ("missing required: outputs", variant(delp(["outputs"])), "outputs"),
    ("a key with no value: farmland", variant(setp(["farmland"], None)), "farmland"),
    ("a key with no value: grid.resolution", variant(setp(["grid", "resolution"], None)), "resolution"),
    ("missing required: farmland id_field", variant(delp(["farmland", "id_field"])), "id_field"),
    ("missing required: a date's date", variant(delp(["dates", 0, "date"])), "date"),
]

passed = failed = 0
with tempfile.TemporaryDirectory() as tmp:
    def check(name, doc, expect_valid, key=None):
        global passed, failed
        path = os.path.join(tmp, "p.yaml")
        doc = copy.deepcopy(doc)
        doc["outputs"] = doc.get("outputs", None)
        if doc["outputs"] is None:
            del doc["outputs"]
        else:
            doc["outputs"]["dir"] = os.path.join(tmp, "out")
        doc["database"] = os.path.join(tmp, "farmwatch.gpkg")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(doc, f, allow_unicode=True, sort_keys=False)
        errors = list(validator.iter_errors(doc))
        run = subprocess.run([exe, "run", path, "--check", "-q"], capture_output=True, text=True)
        problems = []
        if bool(errors) == expect_valid:
            problems.append("schema " + ("rejects: " + errors[0].message if errors else "accepts"))
        if (run.returncode == 0) != expect_valid or run.returncode not in (0, 3):
            problems.append(f"farmwatch run --check exits {run.returncode}: {run.stderr.strip()}")
        if not expect_valid and run.returncode == 3 and key not in run.stderr:
            problems.append(f"farmwatch's message does not name '{key}': {run.stderr.strip()}")
        if problems:
            failed += 1
            print(f"FAIL {'valid' if expect_valid else 'invalid'}: {name}: " + "; ".join(problems))
        else:
            passed += 1
            print(f"ok   {'valid' if expect_valid else 'invalid'}: {name}"
                  + ("" if expect_valid else f" ({run.stderr.strip()})"))

    for name, doc in valid.items():
        check(name, doc, True)
    for name, doc, key in invalid:
        check(name, doc, False, key)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
