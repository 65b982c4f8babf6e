"""The GPU paths in one call (well inside 10 minutes on one H200): correctness checks, then speed.

    python3 bench/gpu_check.py [--work /tmp/gpu_check] [--budget 480]

Checks (PASS/FAIL each): CUDA training through main.py of digits and ResNet-20 (fp32, bf16 autocast,
--compile); channels_last on the device; device-resident data and batched augmentation (batches on
the GPU equal the CPU loader's); DDP with one process (torchrun --nproc_per_node=1); resume after a
SIGKILL (--deterministic, compared with an uninterrupted run). Speed: img/s of ResNet-20 at batch
128 in each mode with peak allocated memory, evaluation img/s, the projected time of one 160-epoch
CIFAR-10 level, and the same for an OpenLTH-style per-example PIL + DataLoader pipeline.
Generated CIFAR-format data (uint8, the python-version pickles). Log: $OUT/gpu_check.log when $OUT is
set. Without CUDA it prints a skip message and exits 0. Steps left when --budget seconds have passed
are reported as skipped.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

LINES: list[str] = []
RESULTS: list[tuple[str, str, str]] = []


def say(text: str) -> None:
    LINES.append(text)
    print(text, flush=True)


def record(name: str, ok: bool | None, detail: str = "") -> None:
    status = "SKIP" if ok is None else ("PASS" if ok else "FAIL")
    RESULTS.append((name, status, detail))
    say(f"[{status}] {name}  {detail}")


def main_py(args: list[str], log: Path, timeout: float = 300, launcher: list[str] | None = None) -> tuple[int, str]:
    cmd = [*(launcher or [sys.executable]), str(REPO / "main.py"), *args]
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        out, rc = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = f"{e.stdout or ''}{e.stderr or ''}\ntimeout after {timeout} s", 124
    log.write_text(" ".join(cmd) + "\n" + str(out))
    return rc, str(out)


def final_line(out: str) -> str:
    lines = [l for l in out.splitlines() if l.startswith("result:")]
    return lines[-1] if lines else out.strip().splitlines()[-1][:200] if out.strip() else ""


def cli_checks(work: Path, data: Path) -> None:
    """Training through main.py on the GPU: digits; ResNet-20 fp32, bf16, --compile; DDP with one process."""
    common = ["--device=cuda", f"--dataset_root={data}", "--quiet"]
    resnet = ["train", "--default_hparams=cifar_resnet_20", "--training_steps=1ep", *common]
    runs = [("digits fp32", ["train", "--training_steps=2ep", "--device=cuda", "--quiet"], None),  # no files to read
            ("resnet20 fp32 1ep", resnet, None),
            ("resnet20 bf16 1ep", [*resnet, "--precision=bf16"], None),
            ("resnet20 --compile 1ep", [*resnet, "--compile"], None),
            ("DDP torchrun --nproc_per_node=1 (resnet20 200it)",
             ["train", "--default_hparams=cifar_resnet_20", "--training_steps=200it", "--platform=distributed",
              *common], [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=1"])]
    for i, (name, args, launcher) in enumerate(runs):
        if over_budget():
            record(name, None, "budget spent")
            continue
        start = time.perf_counter()
        rc, out = main_py([*args, f"--root={work / f'cli{i}'}"], work / f"cli{i}.log", launcher=launcher)
        record(name, rc == 0 and "result:" in out, f"{time.perf_counter() - start:.0f} s  {final_line(out)}")


def resume_check(work: Path, data: Path) -> None:
    """SIGKILL a deterministic ResNet-20 run after its first checkpoint, rerun it, compare with a clean run."""
    import torch

    if over_budget():
        record("resume after SIGKILL", None, "budget spent")
        return
    flags = ["train", "--default_hparams=cifar_resnet_20", "--training_steps=2ep", "--device=cuda",
             "--deterministic", f"--dataset_root={data}", "--quiet"]
    main_py([*flags, f"--root={work / 'ref'}"], work / "resume_ref.log")
    _, printed = main_py([*flags, f"--root={work / 'killed'}", "--print_path"], work / "resume_path.log")
    job = Path(printed.strip().splitlines()[-1])
    proc = subprocess.Popen([sys.executable, str(REPO / "main.py"), *flags, f"--root={work / 'killed'}"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while not (job / "checkpoint.pt").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rc, out = main_py([*flags, f"--root={work / 'killed'}"], work / "resume_again.log")
    ref = sorted((work / "ref").glob("train_*/replicate_1/main/weights_final.pt"))
    same = None
    if ref and (job / "weights_final.pt").exists():
        a, b = torch.load(ref[0], weights_only=True), torch.load(job / "weights_final.pt", weights_only=True)
        same = all(torch.equal(a[k], b[k]) for k in a)
    record("resume after SIGKILL", killed and rc == 0 and "resuming from" in out and same is not False,
           f"killed mid-run: {killed}; resumed: {'resuming from' in out}; final weights equal to an "
           f"uninterrupted --deterministic run: {same}")


def loader_checks() -> None:
    """channels_last on the device; device-resident batches with batched augmentation equal the CPU's."""
    import torch

    from common import cifar_like
    from sparselab.data.loader import TrainLoader
    from sparselab.models import registry
    from sparselab.train.standard import uses_channels_last

    cuda = torch.device("cuda")
    model = registry.build("cifar_resnet_20", (3, 32, 32), 10, seed=0).to(cuda)
    cl = uses_channels_last(model, cuda)
    model = model.to(memory_format=torch.channels_last)
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    record("channels_last on cuda", cl and conv.weight.is_contiguous(memory_format=torch.channels_last))
    images, labels = cifar_like(2048)
    batches = []
    for device in ("cpu", "cuda"):
        loader = TrainLoader(images, labels, 128, device, 1, 2, "crop_flip", (0.5,) * 3, (0.25,) * 3,
                             channels_last=True)
        batches.append(next(iter(loader.epoch(3))))
    (xc, yc), (xg, yg) = batches
    ok = xg.device.type == "cuda" and torch.equal(yc, yg.cpu()) and torch.allclose(xc, xg.cpu(), atol=1e-6)
    record("device-resident data + batched augmentation on the GPU", ok,
           f"batch on {xg.device}, max |cpu - gpu| {float((xc - xg.cpu()).abs().max()):.2e}")


def over_budget() -> bool:
    return time.monotonic() - START > BUDGET


def main() -> int:
    global BUDGET
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/gpu_check"))
    parser.add_argument("--budget", type=float, default=480.0, help="seconds; later steps are skipped")
    args = parser.parse_args()
    BUDGET = args.budget
    import torch

    if not torch.cuda.is_available():
        say(f"skip: no CUDA device (torch {torch.__version__}); nothing to check here")
        write_log()
        return 0
    props = torch.cuda.get_device_properties(0)
    say(f"torch {torch.__version__}, {props.name}, {props.total_memory / 2 ** 30:.0f} GiB, "
        f"capability {props.major}.{props.minor}, bf16 {torch.cuda.is_bf16_supported()}")
    from cifar_format import write_cifar10
    from gpu_speed import speed_table

    args.work.mkdir(parents=True, exist_ok=True)
    data = args.work / "data"
    write_cifar10(data)
    steps = [("loaders", loader_checks), ("speed", lambda: speed_table(data, say, record, over_budget)),
             ("cli", lambda: cli_checks(args.work, data)), ("resume", lambda: resume_check(args.work, data))]
    for name, step in steps:
        try:
            step()
        except Exception as e:  # a failed step is a FAIL line; the others still run
            record(f"{name} step", False, f"{type(e).__name__}: {e}")
    not_passed = [f"{s} {n}" for n, s, _ in RESULTS if s != "PASS"]
    say("\nsummary: " + (", ".join(not_passed) if not_passed else f"all {len(RESULTS)} PASS"))
    write_log()
    return 1 if any(s == "FAIL" for _, s, _ in RESULTS) else 0


def write_log() -> None:
    out = os.environ.get("OUT")
    if out:
        Path(out, "gpu_check.log").write_text("\n".join(LINES) + "\n")


START = time.monotonic()
BUDGET = 480.0

if __name__ == "__main__":
    sys.exit(main())
