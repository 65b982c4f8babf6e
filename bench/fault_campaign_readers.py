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
import io
import json
import sys
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FLAGS = ("--levels=2", "--training_steps=2it", "--threads=1")


def captured(call: Callable[[], int | None]) -> tuple[int, str]:
    """(exit status, stdout + stderr) of `call`, as the console script would exit."""
    from sparselab.foundations.errors import UsageError

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


def main() -> None:
    root, level, out = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    results = {name: captured(call) for name, call in readers(root, level, out, "--rerun" in sys.argv).items()}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
