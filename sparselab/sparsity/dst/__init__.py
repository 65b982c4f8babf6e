"""Dynamic sparse training: a `MaskHook` whose mask moves (SET, RigL, SNFS, GraNet).

| file | job |
|---|---|
| `schedule.py` | drop-fraction schedules (cosine, linear, constant) and GraNet's cubic density |
| `topology.py` | one update as pure tensor functions: drop smallest |w|, grow by score, global magnitude |
| `growth.py` | growth scores: random (SET), gradient (RigL), dense-gradient momentum (SNFS) |
| `plan.py` | `DSTPlan`: the flags resolved to iterations; when an update happens and how large |
| `hook.py` | `DSTHook(MaskHook)`: runs the updates, zeroes grown weights' state, checkpoint state |
| `history.py` | `topology.csv`: density per tensor and weights moved per update |
| `build.py` | runner glue: `make_hook`, seeds, `check_start`, final masks (`mask_final.pt`) |
"""
from sparselab.sparsity.dst.build import (FINAL_MASK_FILE, check_start, dst_seed, is_dynamic, job_hook, load_final_mask,
                               make_hook, save_final_mask)
from sparselab.sparsity.dst.hook import DSTHook
from sparselab.sparsity.dst.plan import DSTPlan

__all__ = ["DSTHook", "DSTPlan", "FINAL_MASK_FILE", "check_start", "dst_seed", "is_dynamic", "job_hook",
           "load_final_mask", "make_hook", "save_final_mask"]
