"""The call stack from `sparselab.main.main` to the optimiser step of a tiny lottery run (issue 28: at most 7).

    python bench/call_depth.py
"""
import sys, tempfile, traceback
sys.path.insert(0, ".")
from sparselab.speed import cpu_sgd as sgd
seen = []
orig = sgd.SGD.step
def step(self):
    if not seen:
        seen.append(traceback.extract_stack()[:-1])
    return orig(self)
sgd.SGD.step = step
from sparselab import main as m
root = tempfile.mkdtemp()
m.main(["lottery", "--levels=1", "--training_steps=2it", "--threads=1", "--quiet", f"--root={root}"])
stack = seen[0]
i = max(k for k, f in enumerate(stack) if f.name == "main" and f.filename.endswith("sparselab/main.py"))
chain = stack[i:]
print("frames from main to the step:", len(chain))
for f in chain:
    print(f"  {f.filename.split('sparselab/')[-1]}:{f.lineno} {f.name}")
print(f"  speed/cpu_sgd.py SGD.step  (depth {len(chain)})")
