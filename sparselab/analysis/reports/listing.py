"""The `list` command's data: every experiment under a results root, with what sets it apart."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sparselab.store.tree import experiments_under
from sparselab.analysis.reports.hparams_diff import format_fields, preset_differences
from sparselab.analysis.reports.relevant import relevant_differences
from sparselab.analysis.reports.records import DAMAGED, DONE, IN_PROGRESS, ExperimentResult
from sparselab.analysis.reports.sources import collect_any
from sparselab.core.table import Group, render


@dataclass
class ListingEntry:
    name: str
    directory: Path
    command: str
    replicates: list[int]
    done: int  # finished main jobs (levels x replicates, or replicates of a train run)
    in_progress: int
    expected: int  # main jobs the table would show: levels 0..max for every replicate
    branches: int  # finished branch jobs
    preset: str
    differences: dict = field(default_factory=dict)
    damaged: int = 0  # jobs whose files fail their checksums (python main.py verify)

    @property
    def hparams_text(self) -> str:
        diff = format_fields(self.differences)
        return f"preset {self.preset}" + (f": {diff}" if diff else "")


def entry(experiment: ExperimentResult) -> ListingEntry:
    mains = [res.main for rep in experiment.replicates for res in rep.levels.values()]
    branches = [job for rep in experiment.replicates for res in rep.levels.values() for job in res.branches.values()]
    record = {k: v for k, v in experiment.hparams.items() if k != "command"}
    preset, diff = preset_differences(record) if record else ("?", {})
    diff = relevant_differences(record, diff)
    return ListingEntry(
        name=experiment.name, directory=experiment.directory, command=experiment.command,
        replicates=[r.replicate for r in experiment.replicates],
        done=sum(j.status == DONE for j in mains), in_progress=sum(j.status == IN_PROGRESS for j in mains),
        expected=len(mains), branches=sum(j.status == DONE for j in branches),
        preset=preset, differences=diff, damaged=sum(j.status == DAMAGED for j in (*mains, *branches)))


def list_root(root: Path | str) -> list[ListingEntry]:
    return [entry(collect_any(path)) for path in experiments_under(Path(root))]


def _levels_text(e: ListingEntry) -> str:
    return f"{e.done}/{e.expected}" + (f" ({e.damaged} DAMAGED)" if e.damaged else "")


def render_listing(entries: list[ListingEntry], root: Path | str) -> str:
    if not entries:
        return f"no experiments under {root}"
    groups = [Group("", ["experiment", "command", "replicates", "jobs done", "in progress", "branches",
                         "hyperparameters (differences from the preset)"], left={0, 1, 6})]
    rows = [[e.name, e.command, ",".join(map(str, e.replicates)), _levels_text(e), str(e.in_progress),
             str(e.branches), e.hparams_text] for e in entries]
    text = (f"{len(entries)} experiment(s) under {Path(root).resolve()}\n"
            "(jobs: levels x replicates of a pruning run, replicates of a train run; branches: finished branch jobs)\n"
            + render(groups, rows))
    if any(e.damaged for e in entries):
        text += f"\nDAMAGED jobs are not counted as done; see: python main.py verify --root {root}"
    return text
