"""Which density a report's tables, CSV `density` column and x-axis use (`report --density_of`).

done.json records `density` (counted tensors), `density_model` (every prunable tensor, ignored ones as kept:
OpenLTH's sparsity_report; SDD LeNet level 24 is 0.094 % counted, 0.47 % of the model) and `density_all_parameters`."""
from __future__ import annotations

from sparselab.analysis.reports.collect import set_trunk_density
from sparselab.analysis.reports.records import ExperimentResult, JobResult

COLUMNS = {"counted": "density", "model": "density_model", "parameters": "density_all_parameters"}
LABELS = {"counted": "percent of pruned-tensor weights remaining",
          "model": "percent of the model's weights remaining (OpenLTH)",
          "parameters": "percent of all parameters remaining"}
CHOICES = ("auto", *COLUMNS)
HELP = ("which density the tables, the CSV's density column and --plot's x-axis use: counted = the pruned "
        "tensors (ignored ones such as LeNet's fc.weight left out), model = every prunable weight tensor with "
        "ignored ones as kept (OpenLTH's sparsity_report), parameters = all parameters; auto (default) = model "
        "for runs under --pruning_count_rule=openlth (the SDD/OpenLTH recipes), counted otherwise. Every "
        "density is also its own CSV column")


def resolve(experiment: ExperimentResult, density_of: str = "auto") -> str:
    if density_of != "auto":
        return density_of
    rule = (experiment.hparams.get("pruning") or {}).get("pruning_count_rule")
    return "model" if rule == "openlth" else "counted"


def apply(experiments: list[ExperimentResult], density_of: str = "auto") -> None:
    """Put the chosen density in every job's `density` (the counted one stays as `density_counted`)."""
    for experiment in experiments:
        experiment.density_of = resolve(experiment, density_of)
        column = COLUMNS[experiment.density_of]
        for rep in experiment.replicates:
            for result in rep.levels.values():
                for job in (result.main, *result.branches.values()):
                    _choose(job, column)
                set_trunk_density(result)  # branches sit at the trunk's density of the chosen kind


def _choose(job: JobResult, column: str) -> None:
    counted = job.values.get("density")
    job.values.setdefault("density_counted", counted)
    if column == "density":
        return
    chosen = job.values.get(column)
    if chosen is None and counted == 1.0:  # a dense job: 1 whichever tensors are counted
        chosen = 1.0
    job.values["density"] = chosen  # None for a job written before this density was recorded


def label(experiments: list[ExperimentResult]) -> str:
    chosen = {getattr(e, "density_of", "counted") for e in experiments}
    return LABELS[chosen.pop()] if len(chosen) == 1 else "percent of weights remaining (mixed densities)"
