"""Bundles to flags to canonical form to directory names."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from sparselab.core.cli import OneLineParser
from sparselab.core.desc import canonical_json, job_name
from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams, hparam, require


@dataclasses.dataclass(frozen=True)
class Toy(Hparams):
    _group: ClassVar[str] = "Toy"
    name: str = hparam("a", "a name", choices=("a", "b"))
    lr: float = hparam(0.1, "learning rate")
    steps: int = hparam(10, "steps")
    flag: bool = hparam(False, "a switch")
    seed: int | None = hparam(None, "optional seed")
    device: str = hparam("cpu", "not hashed", hashed=False)

    def validate(self) -> None:
        require(self.lr > 0, f"--lr must be positive, got {self.lr}")


@dataclasses.dataclass(frozen=True)
class ToyWithNewField(Toy):
    new_option: float = hparam(0.0, "a field added later with a no-op default")


def parse(cls, argv, prefix="", defaults=None):
    parser = OneLineParser(prog="t")
    cls.add_args(parser, prefix=prefix, defaults=defaults)
    return cls.from_args(parser.parse_args(argv), prefix=prefix, defaults=defaults)


def test_flags_types_and_defaults():
    h = parse(Toy, ["--lr", "0.5", "--steps=3", "--flag", "--seed", "7"])
    assert (h.lr, h.steps, h.flag, h.seed, h.name) == (0.5, 3, True, 7, "a")


def test_boolean_can_be_turned_on_and_off():
    assert parse(Toy, ["--flag=true"]).flag is True
    assert parse(Toy, ["--flag", "--no_flag"]).flag is False
    assert parse(Toy, [], defaults={"flag": True}).flag is True
    assert parse(Toy, ["--no_flag"], defaults={"flag": True}).flag is False


def test_prefix_and_preset():
    h = parse(Toy, ["--retrain_t_lr", "0.2"], prefix="retrain_t_", defaults={"steps": 99})
    assert h.lr == 0.2 and h.steps == 99


def test_help_lists_every_flag_with_default(capsys):
    parser = OneLineParser(prog="t")
    Toy.add_args(parser, defaults={"lr": 0.3})
    with pytest.raises(SystemExit):
        parser.parse_args(["--help"])
    out = capsys.readouterr().out
    for flag in ("--name", "--lr", "--steps", "--flag", "--seed", "--device"):
        assert flag in out
    assert "(default: 0.3)" in out and "Toy" in out


@pytest.mark.parametrize("argv, fragment", [
    (["--lr", "-1"], "--lr must be positive"),
    (["--lr", "abc"], "--lr: expected float"),
    (["--name", "zzz"], "choose from a, b"),
    (["--steps", "1.5"], "--steps: expected int"),
])
def test_bad_values_are_one_line_usage_errors(argv, fragment):
    with pytest.raises(UsageError) as info:
        parse(Toy, argv)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_canonical_form_holds_only_non_default_hashed_fields():
    h = Toy(lr=0.2, device="cuda")
    assert h.canonical() == {"lr": 0.2}


def test_same_flags_any_order_or_explicit_default_give_same_name():
    a = job_name("train", {"t": parse(Toy, ["--lr", "0.2", "--steps", "5"])})
    b = job_name("train", {"t": parse(Toy, ["--steps", "5", "--lr", "0.2"])})
    c = job_name("train", {"t": parse(Toy, ["--steps", "5", "--lr", "0.2", "--name", "a", "--device", "x"])})
    assert a == b == c


def test_result_changing_value_changes_name():
    base = job_name("train", {"t": Toy()})
    assert job_name("train", {"t": Toy(lr=0.2)}) != base
    assert job_name("train", {"t": Toy(flag=True)}) != base
    assert job_name("lottery", {"t": Toy()}) != base


def test_new_field_with_noop_default_keeps_existing_hashes():
    assert job_name("train", {"t": Toy(lr=0.3)}) == job_name("train", {"t": ToyWithNewField(lr=0.3)})
    assert job_name("train", {"t": Toy(lr=0.3)}) != job_name("train", {"t": ToyWithNewField(lr=0.3, new_option=1.0)})


def test_all_default_bundle_does_not_enter_the_hash():
    assert canonical_json({"t": Toy(), "other": None}) == "{}"
    assert job_name("x", {"t": Toy(lr=0.2)}) == job_name("x", {"t": Toy(lr=0.2), "extra": Toy()})


def test_float_spelling_does_not_matter():
    assert job_name("x", {"t": parse(Toy, ["--lr", "1e-4"])}) == job_name("x", {"t": parse(Toy, ["--lr", "0.0001"])})


def test_real_bundles_validate():
    from sparselab.train.hparams import TrainingHparams

    with pytest.raises(UsageError, match="malformed step"):
        TrainingHparams(training_steps="10 epochs")
    with pytest.raises(UsageError, match="--lr must be positive"):
        TrainingHparams(lr=-0.1)
    with pytest.raises(UsageError, match="choose from"):
        TrainingHparams(optimizer_name="rmsprop")
