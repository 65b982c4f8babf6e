"""bench/reproduce: each script's --quick runs end to end on digits and writes the figure (PNG, PDF) and
the table with published and measured columns and a verdict; a full-scale run without data fails cleanly."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

REPRODUCE = Path(__file__).resolve().parents[2] / "bench" / "reproduce"
SCRIPTS = ("lth_lenet_mnist", "sdd_mnist_label_noise", "sdd_mnist_reinit_ablation", "random_pruning_width")


def script(name: str):
    if str(REPRODUCE) not in sys.path:
        sys.path.insert(0, str(REPRODUCE))
    return importlib.import_module(name)


def check_outputs(out: Path, name: str) -> str:
    for ext in ("png", "pdf"):
        assert (out / f"{name}.{ext}").stat().st_size > 1000
    table = (out / f"{name}.md").read_text()
    assert "| quantity | published | measured |" in table
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in rows]
    assert cells and all(len(c) == 3 and c[1] and c[2] not in ("", "-") for c in cells), rows
    assert any(f"**{v}**" in table for v in ("HELD", "NOT HELD", "INCONCLUSIVE"))
    assert "criterion:" in table and "REDUCED" in table  # the quick scale says it is reduced
    assert not list(out.glob("*tmp*"))
    return table


def test_sdd_scripts_quick_share_one_trunk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """(b) then (c) in one root: (c) reuses (b)'s trunk and adds the branch; both write their outputs."""
    root, out = tmp_path / "runs", tmp_path / "out"
    for name in ("sdd_mnist_label_noise", "sdd_mnist_reinit_ablation"):
        assert script(name).main(["--quick", f"--root={root}", f"--out={out}"]) == 0
        table = check_outputs(out, name)
    assert "randomly reinitialised: dip" in table
    assert len(list(root.glob("lottery_*"))) == 1  # one trunk for both claims


@pytest.mark.slow  # 2 replicates x several jobs each: tens of seconds on a loaded CPU (`-m slow` runs them)
@pytest.mark.parametrize("name", ["lth_lenet_mnist", "random_pruning_width"])
def test_replicated_scripts_quick(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    assert script(name).main(["--quick", f"--root={tmp_path / 'runs'}", f"--out={out}"]) == 0
    table = check_outputs(out, name)
    assert "±" in table  # mean ± std over the replicates


@pytest.mark.parametrize("name", SCRIPTS)
def test_full_scale_without_data_is_one_error(tmp_path: Path, name: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        script(name).main([f"--root={tmp_path / 'runs'}", f"--out={tmp_path / 'out'}",
                           f"--dataset_root={tmp_path / 'nothing'}"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "--dataset_root" in err[0]
    assert not (tmp_path / "runs").exists() and not (tmp_path / "out").exists()
