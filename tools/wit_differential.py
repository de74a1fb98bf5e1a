"""Differential check of the WIT front end against wasm-tools' wit-parser, through jco.

Not a test dependency: it needs Node.js and `@bytecodealliance/jco` installed outside the repo
(`mkdir /tmp/jco && cd /tmp/jco && npm install @bytecodealliance/jco`). jco bundles wit-parser
and wit-component compiled to wasm; its `componentEmbed` API runs wit-parser's `push_path` (the
same file/folder + `deps/` rules as ours) and encodes the chosen world, elaborated, into a
`component-type` section whose WAT (`print`) names every import and export.

Inputs: the dev corpus (../shared/corpora/wit-interfaces), the repo's wit/, any `--extra` folder
(e.g. wit-parser's own tests/ui and tests/ui/parse-fail), and generated variants: for each of
issue 12's ten points a valid and an invalid mutation of corpus files (where it applies) plus
small packages written here, and seeded random edits. Each input is resolved by us and by
wit-parser; the report gives accept/reject agreement and, for inputs both accept, whether every
world's import and export names agree. Run: python tools/wit_differential.py [--random N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

FEATURES = ["active"]  # what wit-parser's own UI tests enable

# Where we are stricter on purpose (docs/wit.md): wit-parser resolves these, but the component
# model validator then refuses the encoding, so no component can have them.
KNOWN_STRICTER = re.compile(r"(field|case|flag) `[^`]+` is defined more than once|fixed-size list length must be")

NODE_RUNNER = r"""
import fs from "node:fs";
const [api, shim, jobsFile] = process.argv.slice(2);
const { componentEmbed, print } = await import(api);
const { _setPreopens } = await import(shim);
_setPreopens({ "/": "/" });
const jobs = JSON.parse(fs.readFileSync(jobsFile, "utf8"));
const SELECTION = /contains no worlds|explicitly chosen|No main packages|World `[^`]*` not found/;
const text = (e) => String((e && e.message) || e).split("\n")[0].slice(0, 400);
function leb(bytes, i) {
  let value = 0, shift = 0;
  for (;;) {
    const b = bytes[i++];
    value |= (b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) return [value >>> 0, i];
  }
}
// The `component-type` custom section of an embedded module is the world, encoded by wit-component
// after wit-parser resolved and elaborated it; its WAT lists every import and export by name.
function worldType(module) {
  let i = 8;
  while (i < module.length) {
    const id = module[i++];
    let size, n;
    [size, i] = leb(module, i);
    const end = i + size;
    if (id === 0) {
      [n, i] = leb(module, i);
      const name = new TextDecoder().decode(module.subarray(i, i + n));
      if (name.startsWith("component-type")) return module.subarray(i + n, end);
    }
    i = end;
  }
  throw new Error("no component-type section");
}
const out = [];
for (const job of jobs) {
  const features = { tag: "list", val: job.features };
  const result = { path: job.path, worlds: {} };
  try {
    await componentEmbed({ witPath: job.path, dummy: true, features });
    result.ok = true;
  } catch (e) {
    const message = text(e);
    result.ok = SELECTION.test(message);  // resolved; only the choice of a world failed
    result.error = message;
    result.crash = /wasm trap|unreachable|panicked/.test(message);
  }
  if (result.ok) {
    for (const world of job.worlds) {
      try {
        const module = await componentEmbed({ witPath: job.path, dummy: true, world, features });
        result.worlds[world] = { wat: await print(worldType(module)) };
      } catch (e) {
        result.worlds[world] = { error: text(e) };
      }
    }
  }
  out.push(result);
}
process.stdout.write(JSON.stringify(out));
"""


# ---- the two sides ----------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    worlds: dict[str, tuple[frozenset, frozenset]] = field(default_factory=dict)


def ours(path: Path) -> Outcome:
    from engine.wit import WitError, resolve_path

    try:
        resolve = resolve_path(path, FEATURES)
    except WitError as exc:
        return Outcome(False, " | ".join(f"{Path(d.location.file or '').name}:{d.location.line}:"
                                         f"{d.location.column} {d.message}" for d in exc.diagnostics[:5]))
    inline = {iid for iid, iface in resolve.interfaces.items() if iface.name is None}
    worlds = {wid: (_names(w.imports, inline), _names(w.exports, inline)) for wid, w in resolve.worlds.items()}
    return Outcome(True, worlds=worlds)


def _names(items, inline: set[str]) -> frozenset:
    """Import/export names as the encoded world has them (world resources' functions included);
    a label of a named interface comes with it (`label=ns:pkg/iface`)."""
    names = set()
    for key, item in items.items():
        labelled = item.kind == "interface" and item.interface != key and item.interface not in inline
        names.add(f"{key}={item.interface}" if labelled else key)
    return frozenset(names)


_ITEM_RE = re.compile(r'^ {10}\((import|export)(?: \(;\d+;\))? "([^"]+)" (?:\(implements "([^"]+)"\) )?'
                      r'\((instance|func)')


def printed_names(wat: str) -> tuple[frozenset, frozenset]:
    """Interface and function imports/exports of the world component in the WAT of the
    `component-type` section (its items sit at a fixed depth: package > type > world)."""
    sides: dict[str, set[str]] = {"import": set(), "export": set()}
    for line in wat.splitlines():
        match = _ITEM_RE.match(line)
        if match:  # a labelled interface shows the interface behind it: `label=ns:pkg/iface`
            name = match.group(2) if match.group(3) is None else f"{match.group(2)}={match.group(3)}"
            sides[match.group(1)].add(name)
    return frozenset(sides["import"]), frozenset(sides["export"])


def find_jco(root: Path) -> tuple[Path, Path]:
    api = root / "node_modules/@bytecodealliance/jco/dist/api.js"
    shims = sorted(root.glob("node_modules/**/preview2-shim/dist/nodejs/filesystem.js"))
    shim = next((s for s in shims if "jco-transpile" in str(s)), shims[0] if shims else None)
    if not api.is_file() or shim is None:
        raise SystemExit(f"jco not found under {root}; install it: cd {root} && npm install @bytecodealliance/jco")
    return api, shim


def theirs(jobs: list[dict], jco: Path) -> list[dict]:
    api, shim = find_jco(jco)
    with tempfile.TemporaryDirectory(prefix="wit-diff-node-") as tmp:
        runner, jobs_file = Path(tmp) / "runner.mjs", Path(tmp) / "jobs.json"
        runner.write_text(NODE_RUNNER, encoding="utf-8")
        jobs_file.write_text(json.dumps(jobs), encoding="utf-8")
        done = subprocess.run(["node", str(runner), str(api), str(shim), str(jobs_file)],
                              capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"jco runner failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


# ---- inputs -----------------------------------------------------------------------------------


def corpus_entries(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if (p.is_dir() and p.name != "deps" and any(p.glob("*.wit"))) or p.suffix == ".wit")


# A mutation: (point, valid?, function text -> new text or None when it does not apply)
Mutation = tuple[str, bool, Callable[[str], "str | None"]]

_HEADER = re.compile(r"^package\s+([\w-]+:[\w-]+)(@[\w.+-]+)?\s*;", re.M)
_WORLD = re.compile(r"^world\s+([%\w-]+)\s*\{", re.M)
_IFACE = re.compile(r"^interface\s+([%\w-]+)\s*\{", re.M)
_RESOURCE = re.compile(r"^(\s*)resource\s+([%\w-]+)\s*\{", re.M)


def _after(pattern: re.Pattern, text: str, insert: str) -> str | None:
    match = pattern.search(text)
    return None if match is None else text[:match.end()] + "\n  " + insert + "\n" + text[match.end():]


def _before(pattern: re.Pattern, text: str, insert: str) -> str | None:
    match = pattern.search(text)
    return None if match is None else text[:match.start()] + insert + "\n" + text[match.start():]


def _bump(version: str) -> str:
    major, minor, patch = (int(x) for x in version.split("-")[0].split("+")[0].split("."))
    return f"{major}.{minor}.{patch + 1}"


def _since(text: str, newer: bool) -> str | None:
    header = _HEADER.search(text)
    if header is None or not header.group(2):
        return None
    version = header.group(2)[1:]
    return _before(_IFACE, text, f"@since(version = {_bump(version) if newer else version})")


def _first_iface(text: str) -> str | None:
    match = _IFACE.search(text)
    return match.group(1) if match else None


MUTATIONS: list[Mutation] = [
    ("1-import-export-same-name", True,
     lambda t: _after(_WORLD, t, "import zz-same: func(); export zz-same: func(x: u8);")),
    ("1-import-export-same-inline", True,
     lambda t: _after(_WORLD, t, "import zz-in: interface { f: func(); } export zz-in: interface { g: func(); }")),
    ("2-empty-forms", True,
     lambda t: (i := _first_iface(t)) and t + f"\ninterface zz-empty {{ use {i}.{{}}; record zz-r {{}} "
                                            "type zz-t = tuple<>; f: func(a: zz-r) -> tuple<>; }\n"),
    ("4-labelled-import", True,
     lambda t: (i := _first_iface(t)) and _after(_WORLD, t, f"import zz-label: {i};")),
    ("5-since-newer", False, lambda t: _since(t, True)),
    ("5-since-same", True, lambda t: _since(t, False)),
    ("6-unstable-interface-with-type", False,
     lambda t: t + "\n@unstable(feature = zz-off)\ninterface zz-gated { type zz-t = u32; }\n"),
    ("6-unstable-interface-gated-type", True,
     lambda t: t + "\n@unstable(feature = zz-off)\ninterface zz-gated { @unstable(feature = zz-off) type zz-t = u32; "
                   "f: func(); }\n"),
    ("6-unstable-resource-ctor", False,
     lambda t: _after(_IFACE, t, "@unstable(feature = zz-off) resource zz-r { constructor(); }")),
    ("6-gated-out-unknown-type", False,
     lambda t: _after(_IFACE, t, "@unstable(feature = zz-off) type zz-t = zz-nope;")),
    ("6-gated-out-borrow-result", True,
     lambda t: _after(_IFACE, t, "resource zz-r; @unstable(feature = zz-off) zz-f: func() -> borrow<zz-r>;")),
    ("7-method-and-static", False,
     lambda t: _after(_IFACE, t, "resource zz-r { m: func(); m: static func(); }")),
    ("7-resource-funcs", True,
     lambda t: _after(_IFACE, t, "resource zz-r { constructor(); m: func(); n: static func() -> zz-r; }")),
    ("8-case-duplicate", False,
     lambda t: _after(_WORLD, t, "export zz-case: func(); export ZZ-CASE: func();")),
    ("8-case-other-side", True,
     lambda t: _after(_WORLD, t, "import zz-case: func(); export ZZ-CASE: func();")),
    ("9-map-bad-key", False, lambda t: _after(_IFACE, t, "type zz-m = map<f32, u8>;")),
    ("9-map-good-key", True, lambda t: _after(_IFACE, t, "type zz-m = map<string, list<u8>>;")),
    ("10-no-header", False, lambda t: _HEADER.sub("", t, count=1) if _HEADER.search(t) else None),
    ("10-use-missing", False,
     lambda t: _HEADER.search(t) and _HEADER.sub(lambda m: m.group(0) + "\nuse zz-missing as zz-x;", t, count=1)),
    ("10-use-world-as-interface", False,
     lambda t: (w := _WORLD.search(t)) and _after(_IFACE, t, f"use {w.group(1)}.{{}};")),
]

# Small packages written from scratch (point, valid?, {file: text}).
TEMPLATES: list[tuple[str, bool, dict[str, str]]] = [
    ("3-file-scoped-use", True, {"a.wit": "use x as name;\n",
                                 "b.wit": "package foo:name;\ninterface x {}\nworld name { import x; }\n"}),
    ("3-sibling-use-invisible", False, {"bar.wit": "use bar as bar-renamed;\n",
                                        "foo.wit": "package foo:foo;\nuse bar-renamed;\ninterface bar {}\n"}),
    ("3-use-and-world-one-file", False, {"t.wit": "package a:b;\ninterface x {}\nuse x as w;\nworld w {}\n"}),
    ("4-labelled-foreign", True, {
        "root.wit": "package my:app;\nworld w {\n  import team-a: wasi:keyvalue/store@0.2.0;\n"
                    "  import team-b: wasi:keyvalue/store@0.2.0;\n  export run: func();\n}\n",
        "deps/kv.wit": "package wasi:keyvalue@0.2.0;\ninterface store { get: func(k: string) -> option<string>; }\n"}),
    ("10-two-package-docs", False, {"a.wit": "/// A\npackage a:b;\n", "b.wit": "/// B\npackage a:b;\nworld w {}\n"}),
    ("10-one-package-docs", True, {"a.wit": "/// A\npackage a:b;\n", "b.wit": "package a:b;\nworld w {}\n"}),
    ("10-include-interface", False, {"t.wit": "package a:b;\ninterface i {}\nworld w { include i; }\n"}),
    ("10-foreign-world-as-interface", False, {
        "root.wit": "package foo:foo;\nuse foo:baz/bar;\nworld foo {}\n",
        "deps/bar/baz.wit": "package foo:baz;\nworld bar {}\n"}),
    ("10-foreign-first-mention", False, {
        "root.wit": "package foo:foo;\nuse foo:baz/bar;\nworld foo { include foo:baz/bar; }\n",
        "deps/bar/baz.wit": "package foo:baz;\nworld bar {}\n"}),
    ("10-nested-only-no-header", False, {"t.wit": "package foo:name {\n  interface i1 {}\n}\n"}),
]

_WORD = re.compile(r"[%\w-]+|[{}();:<>,.=@/]")


def random_edit(text: str, rng: random.Random) -> str:
    """One small random edit: delete, duplicate or swap lines, drop a token, or change a word's case."""
    lines = text.split("\n")
    kind = rng.randrange(6)
    if kind == 0 and len(lines) > 1:
        del lines[rng.randrange(len(lines))]
    elif kind == 1:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == 2 and len(lines) > 2:
        i = rng.randrange(len(lines) - 1)
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
    else:
        tokens = list(_WORD.finditer(text))
        if not tokens:
            return text
        tok = rng.choice(tokens)
        word = tok.group(0)
        new = "" if kind == 3 else word.upper() if kind == 4 else rng.choice(
            ["{}", "tuple<>", "map<u8, u8>", "record", "use", "import", "export", "@since(version = 9.9.9)", ";"])
        return text[:tok.start()] + new + text[tok.end():]
    return "\n".join(lines)


def generate(bases: list[Path], out: Path, random_per_file: int, seed: int) -> list[tuple[str, Path]]:
    """Write every variant under `out`; return (label, path) pairs."""
    rng = random.Random(seed)
    made: list[tuple[str, Path]] = []
    for name, _valid, files in TEMPLATES:
        root = out / "templates" / name
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        made.append((f"point {name.split('-')[0]}", root))
    for base in bases:
        files = [base] if base.is_file() else sorted(base.glob("*.wit"))
        for point, _valid, mutate in MUTATIONS:
            for index, wit in enumerate(files):
                text = wit.read_text(encoding="utf-8")
                new = mutate(text)
                if not new or new == text:
                    continue
                made.append((f"point {point.split('-')[0]}", _write_variant(base, wit, new, out / point / base.name)))
                break  # one file of a folder is enough
        for n in range(random_per_file):
            wit = rng.choice(files)
            text = wit.read_text(encoding="utf-8")
            for _ in range(rng.randint(1, 3)):
                text = random_edit(text, rng)
            made.append(("random", _write_variant(base, wit, text, out / "random" / f"{base.name}-{n}")))
    return made


def _write_variant(base: Path, changed: Path, text: str, dest: Path) -> Path:
    if base.is_file():
        dest.mkdir(parents=True, exist_ok=True)
        (dest / base.name).write_text(text, encoding="utf-8")
        return dest / base.name
    shutil.copytree(base, dest, dirs_exist_ok=True)
    (dest / changed.relative_to(base)).write_text(text, encoding="utf-8")
    return dest


# ---- comparison -------------------------------------------------------------------------------


def compare(label: str, path: Path, mine: Outcome, ref: dict, stats: Counter, report: list[str]) -> None:
    if ref.get("crash"):
        stats[f"{label}: reference crashed"] += 1
        return
    stats[f"{label}: inputs"] += 1
    if mine.ok != ref["ok"] and ref["ok"] and all(KNOWN_STRICTER.search(m) for m in mine.message.split(" | ")):
        stats[f"{label}: known stricter"] += 1
        return
    if mine.ok != ref["ok"]:
        stats[f"{label}: accept/reject differ"] += 1
        report.append(f"DIFFER {label} {path}\n    ours: {'accept' if mine.ok else mine.message}\n"
                      f"    wit-parser: {'accept' if ref['ok'] else ref.get('error')}")
        return
    stats[f"{label}: accept/reject agree"] += 1
    stats[f"{label}: both {'accept' if mine.ok else 'reject'}"] += 1
    for wid, (imports, exports) in mine.worlds.items():
        got = ref["worlds"].get(wid, {})
        if "wat" not in got:
            stats[f"{label}: world names unavailable"] += 1
            continue
        their_imports, their_exports = printed_names(got["wat"])
        if (imports, exports) == (their_imports, their_exports):
            stats[f"{label}: world names agree"] += 1
        else:
            stats[f"{label}: world names differ"] += 1
            report.append(f"NAMES {label} {path} {wid}\n    ours: {sorted(imports)} / {sorted(exports)}\n"
                          f"    wit-parser: {sorted(their_imports)} / {sorted(their_exports)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jco", type=Path, default=Path("/tmp/jco"), help="folder where jco is npm-installed")
    parser.add_argument("--corpus", type=Path, default=next(
        (b / "shared/corpora/wit-interfaces" for b in PROJECT_ROOT.parents[:2]
         if (b / "shared/corpora/wit-interfaces").is_dir()), PROJECT_ROOT.parent / "shared/corpora/wit-interfaces"))
    parser.add_argument("--extra", type=Path, action="append", default=[],
                        help="more folders of inputs (e.g. wit-parser's tests/ui and tests/ui/parse-fail)")
    parser.add_argument("--mutate-extra", action="store_true", help="mutate the --extra inputs too")
    parser.add_argument("--random", type=int, default=4, help="random edits per corpus input")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--show", type=int, default=30, help="disagreements to print")
    args = parser.parse_args()

    bases = corpus_entries(args.corpus) + [PROJECT_ROOT / "wit"]
    inputs: list[tuple[str, Path]] = [("corpus", b) for b in bases]
    extras = [(extra, p) for extra in args.extra for p in corpus_entries(extra)]
    inputs += [(f"extra {extra.name}", p) for extra, p in extras]
    to_mutate = [b for b in bases if b.name != "wit"] + ([p for _, p in extras] if args.mutate_extra else [])
    with tempfile.TemporaryDirectory(prefix="wit-diff-") as tmp:
        inputs += generate(to_mutate, Path(tmp), args.random, args.seed)
        mine = [ours(path) for _, path in inputs]
        jobs = [{"path": str(path), "features": FEATURES, "worlds": sorted(o.worlds) if o.ok else []}
                for (_, path), o in zip(inputs, mine)]
        refs = theirs(jobs, args.jco)
        stats: Counter = Counter()
        report: list[str] = []
        for (label, path), o, ref in zip(inputs, mine, refs):
            compare(label.split()[0] if label.startswith("point") else label, path, o, ref, stats, report)
    for line in report[:args.show]:
        print(line)
    print(f"\n{len(report)} disagreement(s) listed above (first {args.show})" if report else "\nno disagreement")
    groups = sorted({key.split(": ")[0] for key in stats})
    print(f"\n{'group':<20} {'inputs':>6} {'agree':>6} {'accept':>7} {'reject':>7} {'names ok':>9} {'names !=':>9}")
    total = Counter()
    for group in groups:
        row = [stats[f"{group}: {k}"] for k in ("inputs", "accept/reject agree", "both accept", "both reject",
                                                  "world names agree", "world names differ")]
        total.update(dict(zip(range(6), row)))
        print(f"{group:<20} {row[0]:>6} {row[1]:>6} {row[2]:>7} {row[3]:>7} {row[4]:>9} {row[5]:>9}")
    print(f"{'total':<20} " + " ".join(f"{total[i]:>{w}}" for i, w in enumerate((6, 6, 7, 7, 9, 9))))
    stricter = sum(v for k, v in stats.items() if k.endswith("known stricter"))
    if stricter:
        print(f"({stricter} input(s) with duplicate fields/cases/flags or `list<T, 0>`, which we refuse and "
              "wit-parser resolves, are left out: the component model validator refuses their encoding)")
    crashed = sum(v for k, v in stats.items() if k.endswith("reference crashed"))
    if crashed:
        print(f"({crashed} input(s) where the reference itself trapped are left out)")


if __name__ == "__main__":
    main()
