"""Every reader of a trunk in one process (one torch import per case instead of eight).

    python bench/fault_campaign_readers.py ROOT LEVEL OUT [--rerun]

Runs, in this order: `report` (the table), `report --plot` (the mean over replicates per level),
`report --curves` (metrics.csv read back), `report --csv`, `lottery_branch randomly_prune` at LEVEL,
`sparselab.load_job(replicate_1, level=LEVEL)`, `verify` and, with --rerun, the lottery's rerun.
Prints one JSON object: reader -> [exit status, stdout + stderr]; the outputs are written under OUT.
The edit of a case is made before this process starts, so no file is hashed before it changed.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FLAGS = ("--levels=2", "--training_steps=2it", "--threads=1")
ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}


def captured(call: Callable[[], int | None]) -> tuple[int, str]:
    """(exit status, stdout + stderr) of `call`, as the console script would exit."""
    from sparselab.core.errors import UsageError

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            status = int(call() or 0)
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
        except UsageError as e:
            print(f"error: {e}", file=sys.stderr)
            status = 2
        except Exception as e:  # a traceback is a finding, not a refusal
            print(f"TRACEBACK {type(e).__name__}: {e}", file=sys.stderr)
            status = 1
    return status, out.getvalue()


def readers(root: Path, level: int, out: Path, rerun: bool) -> dict[str, Callable[[], int | None]]:
    from sparselab import load_job, main

    report = ("report", "lottery", *FLAGS, f"--root={root}")
    calls: dict[str, Callable[[], int | None]] = {
        "report": lambda: main.main([*report]),
        "report --plot": lambda: main.main([*report, f"--plot={out / 'plot.png'}"]),
        "report --curves": lambda: main.main([*report, f"--curves={out / 'curves.png'}"]),
        "report --csv": lambda: main.main([*report, f"--csv={out / 'rows.csv'}"]),
        "branch": lambda: main.main(["lottery_branch", "randomly_prune", f"--levels={level}", *FLAGS[1:],
                                     f"--root={root}", "--quiet"]),
        "load_job": lambda: load_job(next(root.glob("lottery_*/replicate_1")), level=level) and None,
        "verify": lambda: main.main(["verify", f"--root={root}"]),
    }
    if rerun:
        calls["rerun"] = lambda: main.main(["lottery", *FLAGS, f"--root={root}", "--quiet"])
    return calls


def run_readers(root: Path, level: int, rerun: bool) -> dict[str, tuple[int, str]]:
    """This script on `root`, in a fresh process: reader -> (exit status, output), with the digests of the
    files it wrote (plots, CSV) added to the output."""
    out = root.parent / "readers_out"
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, __file__, str(root), str(level),
                           str(out), *(["--rerun"] if rerun else [])], capture_output=True, text=True,
                          env={**os.environ, **ENV}, cwd=REPO, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"the readers crashed: {proc.stderr[-2000:]}")
    results = {k: (rc, _untimed_text(text)) for k, (rc, text) in json.loads(proc.stdout.splitlines()[-1]).items()}
    for name, reader in (("plot.png", "report --plot"), ("curves.png", "report --curves"),
                         ("rows.csv", "report --csv"), ("rows_summary.csv", "report --csv")):
        if (out / name).exists():
            rc, text = results[reader]
            results[reader] = (rc, text + f"\n{name}: " + hashlib.sha256((out / name).read_bytes()).hexdigest())
    return results


def _untimed_text(text: str) -> str:
    return re.sub(r"[0-9.]+ ?(s|seconds|images/s)\b", "<time>", text)


def refused(result: tuple[int, str]) -> bool:
    """Exit 2 with one `error:` line (verify: its `damaged:` lines)."""
    return result[0] == 2 and any(line.startswith(("error: ", "damaged: ")) for line in result[1].splitlines())


def crashed(got: dict[str, tuple[int, str]]) -> bool:
    """A reader exited with neither 0 nor one `error:` line (a traceback, a signal)."""
    return any(rc != 0 and not refused((rc, text)) for rc, text in got.values())


def judge_readers(got: dict[str, tuple[int, str]], reference: dict[str, tuple[int, str]],
                  must_refuse: set[str]) -> tuple[str, list[str]]:
    """detected: every reader in `must_refuse` refused and each other one refused or printed (and wrote)
    exactly what it does on the unedited tree; harmless: none refused and all printed the same; else silent."""
    bad = [name for name, result in got.items()
           if not refused(result) and (name in must_refuse or result != reference[name])]
    if bad:
        return "silent", bad
    return ("detected" if any(refused(r) for r in got.values()) else "harmless"), []


def why(got: dict[str, tuple[int, str]], bad: list[str]) -> str:
    return "; ".join(f"{k} exit {got[k][0]}: {got[k][1].strip().splitlines()[-1:] or ''}" for k in bad)


def main() -> None:
    root, level, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    results = {name: captured(call) for name, call in readers(root, level, out, "--rerun" in sys.argv).items()}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
