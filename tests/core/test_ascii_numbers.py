"""Issue 26 (second pass): every integer and float flag, and every range, takes ASCII digits only.

Python's int()/float() accept other scripts' digits ('１' full-width, '١' Arabic-Indic) and
underscores ('1_0' is 10); a flag typed that way must be one error line naming the flag, not a
silently different number.
"""
from __future__ import annotations

import pytest

from sparselab import main as cli
from sparselab.core.errors import UsageError
from sparselab.core.levels import parse_levels
from sparselab.core.scalars import parse_number

BAD = ["\uff11", "\u0661", "1_0", "\u0661\u0660", " \uff11 ", "\u09e7", "0x10", "1e", ""]


@pytest.mark.parametrize("text", BAD)
@pytest.mark.parametrize("kind", [int, float])
def test_the_one_number_parser_refuses_what_python_would_take(kind, text):
    with pytest.raises(UsageError, match=r"^--some_flag: expected (int|float) in ASCII digits"):
        parse_number(kind, text, "--some_flag")


@pytest.mark.parametrize("text,value", [("10", 10), ("+3", 3), ("-2", -2), (" 7 ", 7)])
def test_ascii_integers_still_parse(text, value):
    assert parse_number(int, text, "--x") == value


@pytest.mark.parametrize("text", ["\u0661", "0-\uff13", "1_0", "\u0661-\u0663", "1,\u0662"])
def test_ranges_take_ascii_digits_only(text):
    with pytest.raises(UsageError, match="--levels"):
        parse_levels(text)


# (argv, the flag the error line must name)
FLAGS = [
    (["train", "--workers=\uff11"], "--workers"),
    (["train", "--workers=\u0661"], "--workers"),
    (["train", "--workers=1_0"], "--workers"),
    (["train", "--workers=2", "--workers_per_gpu=\u0662"], "--workers_per_gpu"),
    (["train", "--replicate=1_0"], "--replicate"),
    (["train", "--replicates=\u0661-\u0663"], "--replicates"),
    (["train", "--replicates=1_0"], "--replicates"),
    (["train", "--threads=\uff11"], "--threads"),
    (["train", "--threads=1_0"], "--threads"),
    (["train", "--batch_size=\u0661\u0660"], "--batch_size"),
    (["train", "--lr=0.\u0661"], "--lr"),
    (["train", "--lr=1_0e-3"], "--lr"),
    (["train", "--init_density=0.\uff15"], "--init_density"),
    (["train", "--init_density=0.5", "--sparsity_pattern=\u0662:4"], "--sparsity_pattern"),
    (["lottery_branch", "randomly_prune", "--levels=\u0661"], "--levels"),
    (["lottery_branch", "randomly_prune", "--levels=0-1_0"], "--levels"),
    (["evaluate_ensemble", "{root}", "--bins=1_5"], "--bins"),
    (["evaluate_ensemble", "{root}", "--threads=\u0661"], "--threads"),
    (["evaluate", "{root}", "--threads=\uff11"], "--threads"),
]


@pytest.mark.parametrize("argv,flag", FLAGS)
def test_a_non_ascii_or_underscored_number_is_one_error_line_naming_the_flag(argv, flag, tmp_path, capsys):
    own_root = argv[0] not in ("evaluate", "evaluate_ensemble")  # these read jobs, they have no --root
    argv = [a.replace("{root}", str(tmp_path)) for a in argv] + [f"--root={tmp_path}"] * own_root
    try:
        status = cli.main(argv)
    except SystemExit as e:
        status = e.code
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("error: ") and err.count("\n") == 1, err
    assert flag in err and ("ASCII" in err or "malformed" in err or "N:M" in err), err
    assert list(tmp_path.iterdir()) == []
