"""Imports point downward between the folders of sparselab, and no two folders import each other.

Every `import` and `from ... import` of every module is read with `ast` (also those inside functions
and under `TYPE_CHECKING`: a lazy import is still a dependency). A folder added by parallel work must
be given its place in ORDER.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sparselab"
ORDER = {  # rank: a module may import folders of a lower or equal rank (equal: sideways, no cycle)
    "core": 0, "speed": 0,
    "platforms": 1, "data": 1, "models": 1,
    "sparsity": 2,
    "train": 3,
    "store": 3.5,  # the one reader of finished jobs (store/): over train/, under every command
    "experiments": 4,  # its sub-packages
    "experiments.lottery": 4, "experiments.branches": 4, "experiments.ensembles": 4, "experiments.tickets": 4,
    "analysis": 5,
    "analysis.evaluation": 5,
    "analysis.reports": 6,
    "analysis.export": 7,
    "": 8,  # sparselab/main.py, api.py, job_loader.py, __main__.py, __init__.py
}
GROUPS = ("experiments", "analysis")  # folders of folders: each sub-package is ranked on its own


def folder_of(module: str) -> str | None:
    """`sparselab.train.loop` -> `train`; `sparselab.main` -> ''; not ours -> None."""
    parts = module.split(".")
    if parts[0] != "sparselab":
        return None
    if len(parts) == 1 or (PACKAGE / f"{parts[1]}.py").exists():
        return ""
    if parts[1] in GROUPS and len(parts) > 2 and (PACKAGE / parts[1] / parts[2]).is_dir():
        return f"{parts[1]}.{parts[2]}"
    return parts[1]


def imported(path: Path, package: str | None = None) -> set[str]:
    """The sparselab modules `path` imports (relative imports resolved against its package)."""
    package = package or ".".join(("sparselab", *path.relative_to(PACKAGE).parent.parts))
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names if base == "sparselab")
    return {m for m in out if folder_of(m) is not None}


def folder_edges() -> dict[tuple[str, str], list[str]]:
    """(importing folder, imported folder) -> the importing files."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        here = folder_of(".".join(("sparselab", *path.relative_to(PACKAGE).with_suffix("").parts)))
        for module in imported(path):
            there = folder_of(module)
            if there != here:
                edges.setdefault((here, there), []).append(str(path.relative_to(PACKAGE)))
    return edges


def test_every_folder_has_a_place_in_the_order():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    folders |= {f"{g}.{p.name}" for g in GROUPS for p in (PACKAGE / g).iterdir() if (p / "__init__.py").exists()}
    assert folders - set(ORDER) == set(), "give each new folder its rank in ORDER"


def test_imports_point_downward():
    upward = {f"{a} -> {b}: {files[0]}" for (a, b), files in folder_edges().items()
              if ORDER.get(b, 99) > ORDER.get(a, 99)}
    assert upward == set()


def test_no_cycle_between_folders():
    graph: dict[str, set[str]] = {}
    for a, b in folder_edges():
        graph.setdefault(a, set()).add(b)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = {tuple(sorted((a, b))) for (a, b) in folder_edges() if reaches(b, a, {b})}
    assert cycles == set()


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    """A test that cannot fail proves nothing: the parser finds imports inside functions, relative ones."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from sparselab.analysis.reports.table import x\n"
                      "    from ..experiments.lottery import runner\n")
    found = {folder_of(m) for m in imported(source, package="sparselab.train")}
    assert found == {"analysis.reports", "experiments.lottery"}
    assert ORDER["experiments.lottery"] > ORDER["train"] and ORDER["analysis.reports"] > ORDER["train"]  # refused
