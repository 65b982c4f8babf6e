"""Issue 26, class 4: a full disk between a level's mask.pt and its sparsity_report.json loses nothing.

The disk fills (ENOSPC from the atomic writer) right when level 1's sparsity report is written: one
error line and a non-zero exit; the rerun drops the mask written without its report, recomputes both
and ends with exactly the files of an undisturbed run, and `report --layers` still shows level 1.
"""
from __future__ import annotations

import errno
import json
import os

from helpers import call_main
from integrity_helpers import one

FLAGS = ["lottery", "--levels=1", "--training_steps=2it", "--threads=1"]
LEVEL_1 = "lottery_*/replicate_1/level_1/main"


def test_a_full_disk_between_mask_and_sparsity_report_loses_nothing(tmp_path, monkeypatch):
    from sparselab.core import io as fio

    reference, root = tmp_path / "reference", tmp_path / "full"
    assert call_main([*FLAGS, f"--root={reference}"])[0] == 0
    original = fio.atomic_write

    def disk_full_at_the_report(path, write, **how):
        if path.name == "sparsity_report.json" and path.parent.parent.name == "level_1":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return original(path, write, **how)

    monkeypatch.setattr(fio, "atomic_write", disk_full_at_the_report)
    status, _, err = call_main([*FLAGS, f"--root={root}"])
    assert status == 1 and err.startswith("error: No space left on device") and err.count("\n") == 1, err
    level = one(root, LEVEL_1)
    assert (level / "mask.pt").exists() and not (level / "sparsity_report.json").exists()
    assert not (level / "done.json").exists() and not list(level.glob(".*.tmp"))

    monkeypatch.setattr(fio, "atomic_write", original)  # space again
    status, out, err = call_main([*FLAGS, f"--root={root}"])
    assert status == 0, err
    assert "mask.pt: written without its sparsity_report.json; recomputing it" in out, out
    want = one(reference, LEVEL_1)
    for name in ("mask.pt", "sparsity_report.json", "weights_start.pt", "weights_final.pt"):
        assert (level / name).read_bytes() == (want / name).read_bytes(), name
    results = [json.loads((d / "done.json").read_text()) for d in (level, want)]
    assert results[0]["final_test_accuracy"] == results[1]["final_test_accuracy"]
    status, out, err = call_main(["report", *FLAGS, f"--root={root}", "--layers"])
    assert status == 0, err
    layers = out.split("density of each prunable tensor")[1]
    assert "level 1" in layers.splitlines()[1], layers
    assert call_main(["verify", f"--root={root}"])[0] == 0
