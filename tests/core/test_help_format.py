"""--help text: no uninformative or repeated default, choice lists wrapped only after a `|`."""
from __future__ import annotations

import re

import pytest

from sparselab.core.cli import tidy_default, wrap_help
from sparselab.main import main


@pytest.mark.parametrize("text, expected", [
    ("results root (else ./runs) (default: None)", "results root (else ./runs)"),
    ("batch size (default: per device; exact) (default: None)", "batch size (default: per device; exact)"),
    ("batch size (default: per device) (default: 128)", "batch size (default: per device)"),
    ("milestones (default: )", "milestones (default: empty)"),
    ("learning rate (default: 0.1)", "learning rate (default: 0.1)"),
])
def test_tidy_default(text, expected):
    assert tidy_default(text) == expected


@pytest.mark.parametrize("text, width, expected", [
    ("pick [alpha|beta|gamma|delta]", 18, ["pick [alpha|beta|", "gamma|delta]"]),
    ("snip |w dL/dw| on one batch", 8, ["snip |w", "dL/dw|", "on one", "batch"]),
    ("averyveryverylongword next", 6, ["averyveryverylongword", "next"]),  # never inside a word
])
def test_wrap_help(text, width, expected):
    assert wrap_help(text, width) == expected


def test_lottery_help_has_no_repeats_and_no_broken_words(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["lottery", "--help"])
    out = capsys.readouterr().out
    assert "(default: None)" not in out
    assert not re.search(r"\(default:[^()]*(\([^()]*\))?[^()]*\) \(default:", out)
    for line in out.splitlines():  # a wrapped choice list ends a line with '|', not mid-name
        if "[" in line and "|" in line and not line.rstrip().endswith(("]", "|", ")")):
            assert re.search(r"\]\S*$|\|\S*\]", line), line


def test_retrain_branch_help_shows_the_trunk_defaults(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        main(["lottery_branch", "retrain", "--default_hparams=cifar_resnet_20", "--help"])
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "--retrain_t_lr FLOAT base learning rate (default: the trunk's --lr: 0.1)" in flat  # not digits' 0.05
    assert "2ep100it (default: the trunk's --training_steps: 160ep)" in flat
