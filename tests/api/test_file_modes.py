"""Files a job writes have the mode the umask says (0644 under 022), not mkstemp's 0600."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sparselab.core import io as fio
from sparselab.main import main

FAST = ["--training_steps=2it", "--device=cpu", "--threads=1", "--quiet"]


def modes(root: Path) -> dict[str, tuple[str, int]]:
    """relative path -> ('f' | 'd', permission bits) of everything under root (root included)."""
    out = {".": ("d", stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        st = path.lstat()
        out[str(path.relative_to(root))] = ("d" if stat.S_ISDIR(st.st_mode) else "f", stat.S_IMODE(st.st_mode))
    return out


def run_under(umask: int, argv: list[str]) -> None:
    old = os.umask(umask)
    try:
        assert main(argv) == 0
    finally:
        os.umask(old)


@pytest.mark.parametrize("umask, file_mode, dir_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_every_file_of_a_job_follows_the_umask(tmp_path, umask, file_mode, dir_mode):
    root = tmp_path / "runs"
    command = ["train", "--init_density=0.5"] if umask == 0o022 else ["train"]  # 022: with mask files
    run_under(umask, [*command, f"--root={root}", *FAST])
    found = modes(root)
    files = [name for name, (kind, _) in found.items() if kind == "f"]
    expected = {"done.json", "hparams.json", "metrics.csv", "weights_final.pt", ".lock"}
    expected |= {"mask.pt", "sparsity_report.json"} if umask == 0o022 else set()
    assert expected <= {Path(n).name for n in files}
    wrong = {name: oct(mode) for name, (kind, mode) in found.items()
             if mode != (file_mode if kind == "f" else dir_mode)}
    assert wrong == {}


def test_atomic_write_mode_tracks_a_changed_umask(tmp_path):
    old = os.umask(0o027)
    try:
        fio.write_text(tmp_path / "a.txt", "x")
        os.umask(0o002)
        fio.write_text(tmp_path / "b.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o664
    assert os.umask(old) == old  # the umask is left as it was
