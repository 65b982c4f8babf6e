"""A job's identity as its path spells it: a result is bound to the place it was computed for.

`done.json`'s integrity record names the experiment folder, the replicate, the level, the branch
and the job's path inside its replicate; every read of a `done.json` compares them with the path
it was reached by (`foundations.integrity.open_done`), so a level moved onto another level, or a
replicate copied over another one, is refused instead of reported under the wrong name. Only the
part from the experiment folder down is bound: a root may be moved or renamed as a whole.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sparselab.core import layout

FIELDS = ("experiment", "replicate", "level", "branch", "job")


def of_directory(directory: Path | str) -> dict[str, Any]:
    """The identity of the job in `directory` (its experiment, replicate, level, branch, job path)."""
    parts = Path(directory).absolute().parts
    where = next((i for i in range(len(parts) - 1, 0, -1) if layout.REPLICATE_RE.match(parts[i])), None)
    if where is None:  # a job outside the replicate tree (e.g. an evaluation beside a job): its own name
        return {"experiment": None, "replicate": None, "level": None, "branch": None, "job": parts[-1]}
    inside = parts[where + 1:]
    level = next((p for p in inside if layout.LEVEL_RE.match(p) or p == layout.PRETRAIN), None)
    branch = next((p for p in inside if layout.BRANCH_RE.match(p)), None)
    replicate = layout.REPLICATE_RE.match(parts[where])
    assert replicate is not None
    return {"experiment": parts[where - 1], "replicate": int(replicate.group(1)), "level": level,
            "branch": branch, "job": "/".join(inside)}


def mismatch(recorded: Any, directory: Path | str) -> str | None:
    """Why a recorded identity is not that of `directory` (None when it is)."""
    if not isinstance(recorded, dict):
        return "its identity record is malformed"
    actual = of_directory(directory)
    for field in FIELDS:
        if recorded.get(field) != actual[field]:
            return (f"it records {field} {recorded.get(field)!r} but lies at {field} {actual[field]!r} "
                    "(a job directory moved or copied onto another one)")
    return None
