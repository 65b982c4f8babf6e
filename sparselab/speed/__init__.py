"""Device-specific speed code, kept out of the core.

`cpu_sgd.py`: torch's own SGD update without `torch.optim.Optimizer`'s compiler import (bit for bit
`torch.optim.SGD`). `host_memory.py`: glibc heap thresholds so that a CPU training step reuses its
activation buffers. `fused_eval.py`: the opt-in (`--fused_eval`) evaluation graph. Only the last can
change a recorded number (at a near tie of two logits), hence opt-in; the first two change nothing
but time.
"""
