"""Run one bench script on two checkouts of locator, interleaved, and compare the figures.

Run from the project root, with the "before" code in a separate worktree::

    git worktree add --detach /work/wt-before 8e66566      # once; main stays untouched
    .venv/bin/python bench/compare_trees.py --before /work/wt-before --rounds 3 \\
        [--columns REGEX] [--no-record] -- nearest.py --stations 186000 --repeat 7 ...

Each round runs ``<tree>/bench/<script> <args> --no-record`` once in each tree, in a fresh
process with the working directory set to that tree and ``PYTHONPATH=<tree>`` (which
overrides the virtualenv's editable install of locator), so each tree runs its own copy of
the script against its own package and data. The order alternates from round to round
(after, before; before, after; ...) so that slow spells of a shared machine hit both alike.

Every markdown table the script prints is read back: a cell holding a number, or a number
followed by `` (`` (the scripts' "median (min–max)" form), in a column whose header matches
``--columns``, is a figure. Figures are keyed by the script's section line ("A. ...",
"gunicorn -k sync: ...", ...), the row's first cell and the column header. For each, the
report gives the median over the rounds (min–max) for both trees, the ratio after / before
of those medians, the round-by-round ratios (median, min–max: each pair ran back to back),
and whether the two ranges overlap. The results go to the section "After the regrouping
(issue 11)" of BENCHMARKS.md, one subsection per script, unless ``--no-record`` is given.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nearest import BENCHMARKS, ROOT, load_average, machine, markdown, record

HEADING = "## After the regrouping (issue 11)"
SECTION_MARK = re.compile(r"^(?:[A-Z]\. |gunicorn -k |profiling )")
ROW_KEYS = {"k"}  # columns that name the row (ours at k=5 and k=1), not figures
FIGURE = re.compile(r"^(-?[\d,]*\.?\d+)(?: \(.*)?$")
INTRO = """\
Issue 11 moved `locator/` into subpackages without changing behaviour. The benchmarks were
re-run on the new tree and, interleaved round by round, on the tree before the move, each
tree running its own copy of the script (they differ only in import paths) against its own
package (`PYTHONPATH`). Figures are medians over the rounds of each script's own medians;
"ranges overlap" means the min–max over rounds of the two trees overlap, i.e. no change
beyond the noise of this shared 2-core machine. Reproduce with `bench/compare_trees.py`
(see its docstring).
"""


@dataclass(frozen=True)
class Tree:
    label: str  # e.g. "after: be23bf3 with uncommitted work"
    path: Path
    bench: Path  # the folder whose copy of the script runs against this tree


def describe(kind: str, path: Path) -> str:
    """``kind: <short commit>``, plus "with uncommitted work" if ``locator/`` is dirty."""
    commit = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no", "--", "locator"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"{kind}: {commit or '?'}" + (" with uncommitted work in locator/" if dirty else "")


def run(
    tree: Tree, script: str, args: list[str], timeout_s: float, retries: int
) -> tuple[str, float]:
    """stdout of the script in ``tree`` and its wall seconds; raise if it fails ``retries``
    times more (a shared machine now and then resets a loopback connection)."""
    env = {**os.environ, "PYTHONPATH": str(tree.path)}
    cmd = [sys.executable, str(tree.bench / script), *args, "--no-record"]
    for attempt in range(1 + retries):
        start = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=tree.path, env=env, capture_output=True, text=True, timeout=timeout_s
        )
        if proc.returncode == 0:
            return proc.stdout, time.perf_counter() - start
        message = f"{tree.label}: {' '.join(cmd)} failed:\n{proc.stderr[-3000:]}"
        if attempt < retries:
            print(f"  failed, retrying:\n{proc.stderr[-600:]}", flush=True)
    raise SystemExit(message)


def figures(stdout: str, columns: re.Pattern[str]) -> dict[tuple[str, str, str], float]:
    """(section, row, column) -> number, from every markdown table in ``stdout``."""
    out: dict[tuple[str, str, str], float] = {}
    section, head = "", None
    for line in stdout.splitlines():
        if SECTION_MARK.match(line):
            section, head = _section_name(line), None
        if not line.startswith("|"):
            head = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if head is None:
            head = cells
            continue
        if set(line) <= set("|-"):
            continue
        row = cells[0] + "".join(
            f", {name}={cell}" for name, cell in zip(head, cells, strict=False) if name in ROW_KEYS
        )
        for name, cell in zip(head[1:], cells[1:], strict=False):
            m = FIGURE.match(cell)
            if m and name not in ROW_KEYS and columns.search(name):
                out[(section, row, name)] = float(m.group(1).replace(",", ""))
    return out


def _section_name(line: str) -> str:
    """ "A. 100,000 queries ..." -> "A"; "gunicorn -k sync: ..." -> "sync"; "profiling ..."."""
    if re.match(r"^[A-Z]\. ", line):
        return line[0]
    if line.startswith("gunicorn -k "):
        return line.split(":")[0].removeprefix("gunicorn -k ")
    return "in-process profile"


def span(values: list[float]) -> str:
    digits = 3 if max(abs(v) for v in values) < 10 else 1
    med = statistics.median(values)
    return f"{med:,.{digits}f} ({min(values):,.{digits}f}–{max(values):,.{digits}f})"


def compare(
    before: list[dict[tuple[str, str, str], float]], after: list[dict[tuple[str, str, str], float]]
) -> list[list[str]]:
    rows = []
    for key in after[0]:
        if not all(key in r for r in before + after):
            continue
        b, a = [r[key] for r in before], [r[key] for r in after]
        ratio = statistics.median(a) / statistics.median(b) if statistics.median(b) else 0.0
        pairs = [x / y for x, y in zip(a, b, strict=True) if y]
        apart = max(a) < min(b) or max(b) < min(a)
        verdict = (
            "ranges overlap"
            if not apart
            else ("**after lower**" if max(a) < min(b) else "**after higher**")
        )
        section, row, column = key
        rows.append(
            [
                section,
                row,
                column,
                span(b),
                span(a),
                f"{ratio:.2f}×",
                f"{statistics.median(pairs):.2f}× ({min(pairs):.2f}–{max(pairs):.2f})",
                verdict,
            ]
        )
    return rows


def record_subsection(title: str, text: str, path: Path = BENCHMARKS) -> None:
    """Rewrite the subsection ``### title`` of HEADING, keeping the others."""
    old = path.read_text(encoding="utf-8")
    start = old.find(HEADING)
    kept: dict[str, str] = {}
    if start >= 0:
        end = old.find("\n## ", start + len(HEADING))
        body = old[start : None if end < 0 else end]
        for chunk in body.split("\n### ")[1:]:
            name = chunk.split("\n", 1)[0]
            kept[name] = "### " + chunk.rstrip("\n") + "\n"
    kept[title] = text.rstrip("\n") + "\n"
    record(HEADING, HEADING + "\n\n" + INTRO + "".join("\n" + v for v in kept.values()), path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="worktree of the old code")
    parser.add_argument("--after", type=Path, default=ROOT, help="tree of the new code")
    parser.add_argument(
        "--after-bench",
        type=Path,
        help="run this folder's copy of the script on the new tree (default: its own bench/)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of the script per tree")
    parser.add_argument("--columns", default=".", help="regex: table columns to compare")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per script run")
    parser.add_argument("--retries", type=int, default=1, help="reruns of a failed run")
    parser.add_argument("--title", help="subsection title (default: bench/<script>)")
    parser.add_argument("--note", default="", help="a sentence added to the record")
    parser.add_argument("--no-record", action="store_true", help="do not write BENCHMARKS.md")
    parser.add_argument("script", help="file name under bench/, e.g. nearest.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="after --: the script's options")
    args = parser.parse_args(argv)
    script_args = [a for a in args.args if a != "--"]
    columns = re.compile(args.columns)
    after_path, before_path = args.after.resolve(), args.before.resolve()
    after_bench = (args.after_bench or after_path / "bench").resolve()
    trees = (
        Tree(describe("after", after_path), after_path, after_bench),
        Tree(describe("before", before_path), before_path, before_path / "bench"),
    )
    load_before = load_average()
    results: dict[str, list[dict[tuple[str, str, str], float]]] = {t.label: [] for t in trees}
    seconds: dict[str, list[float]] = {t.label: [] for t in trees}
    for r in range(args.rounds):
        for tree in trees if r % 2 == 0 else trees[::-1]:
            print(f"round {r + 1}/{args.rounds}: {tree.label} ...", flush=True)
            out, s = run(tree, args.script, script_args, args.timeout, args.retries)
            results[tree.label].append(figures(out, columns))
            seconds[tree.label].append(s)
            print(f"  {s:.0f} s, {len(results[tree.label][-1])} figures", flush=True)
    after, before = (results[t.label] for t in trees)
    head = [
        "part",
        "row",
        "figure",
        f"before, median of {args.rounds} (min–max)",
        f"after, median of {args.rounds} (min–max)",
        "after / before",
        "round by round: median (min–max)",
        "noise?",
    ]
    table = markdown(head, compare(before, after))
    print(table)
    changed = table.count("**after ")
    cmd = " ".join(
        [
            ".venv/bin/python bench/compare_trees.py --before",
            str(args.before),
            *(["--after", str(args.after)] if args.after.resolve() != ROOT else []),
            *(["--after-bench", str(args.after_bench)] if args.after_bench else []),
            "--rounds",
            str(args.rounds),
            *(["--columns", f"'{args.columns}'"] if args.columns != "." else []),
            "--",
            args.script,
            *script_args,
        ]
    )
    title = args.title or f"bench/{args.script}"
    text = f"""### {title}

Measured {machine()}; load average {load_before} before, {load_average()} after.
Command: `{cmd}`.
Trees: {trees[1].label} (`{trees[1].path}`); {trees[0].label} (`{trees[0].path}`\
{"" if after_bench == after_path / "bench" else f", running `{after_bench}/{args.script}`"}).
Script wall time per run, before: {span(seconds[trees[1].label])} s; \
after: {span(seconds[trees[0].label])} s.

{table}

* {len(table.splitlines()) - 2} figures compared; {changed} with the ranges of the two trees apart.
{args.note}
"""
    if not args.no_record:
        record_subsection(title, text)
        print("recorded in BENCHMARKS.md")


if __name__ == "__main__":
    main()
