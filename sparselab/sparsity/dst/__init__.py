"""Dynamic sparse training: a `MaskHook` whose mask moves (SET, RigL, SNFS, GraNet)."""
from sparselab.sparsity.dst.build import (check_start, dst_seed, is_dynamic, job_hook, load_final_mask, make_hook,
                                          save_final_mask)
from sparselab.sparsity.dst.hook import DSTHook
from sparselab.sparsity.dst.plan import DSTPlan

__all__ = ["DSTHook", "DSTPlan", "check_start", "dst_seed", "is_dynamic", "job_hook",
           "load_final_mask", "make_hook", "save_final_mask"]
