"""Flags that exist only under one value of a choice flag (`hparam(only_with=...)`): the parser itself
refuses them elsewhere, `--help` lists them only after the choice, and no directory hash moves."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest
from helpers import call_main

from sparselab.core.cli import OneLineParser
from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams, hparam


@dataclasses.dataclass(frozen=True)
class Toy(Hparams):
    _group: ClassVar[str] = "Toy"
    shape: str = hparam("round", "the choice", choices=("round", "square"))
    corners: int = hparam(4, "only squares have corners", only_with=("shape", ("square",)))


def _parse(argv: list[str], preset: dict | None = None) -> Toy:
    parser = OneLineParser(prog="toy")
    Toy.add_args(parser, defaults=preset)
    return Toy.from_args(parser.parse_args(argv), defaults=preset)  # type: ignore[return-value]


def test_a_flag_exists_only_under_its_choice() -> None:
    assert _parse(["--shape=square", "--corners=3"]).corners == 3
    assert _parse(["--shape", "square", "--corners", "5"]).corners == 5
    assert _parse(["--corners=6"], preset={"shape": "square"}).corners == 6  # the preset chose
    assert _parse([], preset={"shape": "round", "corners": 3}).corners == 3  # preset values are never refused
    with pytest.raises(UsageError, match=r"--corners exists only with --shape=square \(not round\)"):
        _parse(["--corners=3"])
    with pytest.raises(UsageError, match="--corners exists only"):
        _parse(["--shape=square", "--shape=round", "--corners=3"])  # the last choice counts


def test_lottery_erk_power_under_global_magnitude_is_refused_by_the_parser(tmp_path) -> None:
    status, _, err = call_main(["lottery", "--erk_power=2", f"--root={tmp_path}"])
    assert status == 2 and err.count("\n") == 1 and err.startswith("error: unrecognized arguments: --erk_power=2")
    assert not tmp_path.exists() or not any(tmp_path.iterdir())
    status, out, err = call_main(["lottery", "--pruning_distribution=erk", "--erk_power=2", "--print_path",
                              f"--root={tmp_path}"])
    assert status == 0 and "lottery_" in out, err


def test_help_after_a_choice_lists_only_its_flags() -> None:
    flags = ("--erk_power", "--fc_density", "--balanced_redistribute")
    _, plain, _ = call_main(["lottery", "--help"])
    assert not any(f in plain for f in flags)
    _, erk_plus, _ = call_main(["lottery", "--pruning_distribution=erk_plus", "--help"])
    assert "--erk_power" in erk_plus and "--fc_density" in erk_plus and "--balanced_redistribute" not in erk_plus
    _, balanced, _ = call_main(["lottery", "--pruning_distribution=balanced", "--help"])
    assert "--balanced_redistribute" in balanced and "--erk_power" not in balanced
