"""Where the jobs of a results tree lie (names: layout.py); what a job holds is read through `store.job`.

    <command>_<hash>/replicate_<R>/level_<L>/{main,branch_<name>_<hash>,...}/  trunk levels and their branches
    <command>_<hash>/replicate_<R>/level_pretrain/main/, train_<hash>/replicate_<R>/main/
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from sparselab.core import layout
from sparselab.core.errors import UsageError
from sparselab.train.job import is_done

ASIDE_MARK = ".damaged-"  # `verify --repair` renames a damaged job `<name>.damaged-<time>`: no reader enters it


def _numbered(folder: Path, pattern: re.Pattern) -> list[tuple[int, Path]]:
    return sorted((int(m.group(1)), p) for p in Path(folder).iterdir() if p.is_dir() and (m := pattern.match(p.name)))


def replicate_dirs(directory: Path) -> list[Path]:
    """The `replicate_<R>` folders of an experiment folder, by R."""
    return [p for _, p in _numbered(directory, layout.REPLICATE_RE)]


def replicate_of(path: Path) -> int:
    """The replicate a path lies in (1 outside a replicate tree)."""
    for part in (path, *path.parents):
        match = layout.REPLICATE_RE.match(part.name)
        if match:
            return int(match.group(1))
    return 1


def level_dirs(replicate: Path) -> list[tuple[int, Path]]:
    """(L, `level_<L>` folder) of a replicate folder, by L."""
    return _numbered(replicate, layout.LEVEL_RE)


def branch_dirs(level: Path) -> list[tuple[str, Path]]:
    """(key `<name>_<hash>`, folder) of the branches of a level folder, by folder name."""
    if not Path(level).is_dir():
        return []
    prefix = len(layout.branch_prefix(""))
    return [(p.name[prefix:], p) for p in sorted(Path(level).iterdir())
            if p.is_dir() and layout.BRANCH_RE.match(p.name)]


def is_experiment(directory: Path) -> bool:
    return directory.is_dir() and bool(replicate_dirs(directory))


def experiments_under(root: Path) -> list[Path]:
    """The experiment folders directly under a results root, sorted by name."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if is_experiment(p))


def experiment_of(path: Path | str) -> tuple[Path, list[Path]]:
    """(experiment folder, replicate folders to read): an experiment folder (all its replicates), a
    replicate folder, or a folder inside a replicate (its replicate); UsageError otherwise."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"--path {path}: no such directory")
    if not path.is_dir():
        raise UsageError(f"--path {path}: not a directory; give an experiment folder <command>_<hash>")
    if is_experiment(path):
        return path, replicate_dirs(path)
    for candidate in (path, *list(path.parents)[:3]):
        if layout.REPLICATE_RE.match(candidate.name):
            return candidate.parent, [candidate]
    inside = experiments_under(path)
    if inside:
        names = ", ".join(p.name for p in inside[:3]) + (", ..." if len(inside) > 3 else "")
        raise UsageError(f"--path {path} is a results root holding {len(inside)} experiment(s) ({names}); "
                         f"give one of them, or see: python main.py list --root {path}")
    raise UsageError(f"--path {path} holds no experiment (expected replicate_<R>/ folders in a "
                     "<command>_<hash> folder)")


def job_directory(path: Path, level: int | None = None, finished: Callable[[Path], bool] = is_done) -> Path:
    """The job directory that `path` names: itself, or a level of an experiment or replicate folder
    (the highest `finished` level unless `level` is given)."""
    if not path.is_dir():
        raise UsageError(f"no such job directory: {path}")
    replicates = replicate_dirs(path)
    if replicates:
        if len(replicates) > 1:
            raise UsageError(f"{path} holds {len(replicates)} replicates; give one of them, e.g. {replicates[0]}")
        path = replicates[0]
    levels = dict(level_dirs(path))
    if not levels:
        if level is not None:
            raise UsageError(f"{path} has no levels; level={level} applies to a trunk replicate folder")
        return layout.train_dir(path) if finished(layout.train_dir(path)) else path
    if level is not None:
        if level not in levels:
            raise UsageError(f"{path} has no level {level}; it has levels {', '.join(map(str, sorted(levels)))}")
        return levels[level] / layout.MAIN
    done = [lv for lv in sorted(levels) if finished(levels[lv] / layout.MAIN)]
    if not done:
        raise UsageError(f"no finished level in {path}; rerun its command to complete it")
    return levels[done[-1]] / layout.MAIN
