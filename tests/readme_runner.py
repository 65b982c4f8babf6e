"""Every command of README.md, as printed, in README order, in a scratch folder (the slow README test).

What the runner changes, each stated here or in the README itself:
- tiny steps: the README's `<!-- readme-test: ... -->` comment lists the flags; from that comment on,
  every job command (and `report`/`evaluate` of a job command, which name the same run) gets each
  listed flag: its value replaced where the command types it, added where it does not;
- placeholders: `runs/<command>_<hash>` (`<a>`, `<b>`) is the folder of that command in the scratch
  root with the most kinds of branches, then the most finished jobs (`<b>`: the next one; newest first
  on ties): the run the README's examples are about (the lottery with every branch); a placeholder outside `runs/`
  (`~/open_lth_data/lottery_<md5>`, a tree the reader brings) is a name that does not exist;
  `<lottery flags>` is no flag, `runs/...` is left out;
- `sparselab X` runs as `python main.py X` (the README says they are the same command line).
Not run, with the reason: installs, the test suite itself, torchrun (several processes or nodes),
SLURM submissions and the sbatch script (a cluster). Refusals the README announces (a file or a GPU the
reader brings) must be that refusal: exit 2 and the expected message.
"""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MARKER = re.compile(r"<!--\s*readme-test:(.*?)-->", re.S)
PROGRAMS = ("python main.py ", "sparselab ", "pip ", "torchrun ", "python -m pytest")
JOBS = ("train", "lottery", "rewindLR", "finetune", "scratch", "supermask", "str", "lottery_branch", "train_branch")

NOT_RUN = {  # a substring of the command -> why the test does not run it
    "pip install": "changes the Python environment",
    "python -m pytest": "the test suite itself",
    "torchrun ": "several processes or machines",
    "--platform=slurm": "a SLURM cluster",
    "& pid=$!": "the sbatch script of a SLURM job",
}
NEEDS = {  # a substring -> the refusal the README means (something the reader brings)
    "--csv_file=data.csv": "--csv_file data.csv: no such file",
    "--device=cuda:1": "CUDA is not available",
    "--default_hparams=cifar_resnet_20": "dataset cifar10 not found",
    "~/open_lth_data": "open_lth_data",
}


@dataclass
class Command:
    line: int
    text: str  # as printed (continuations joined)
    tiny: tuple[tuple[str, ...], tuple[str, ...]]  # (flags added, flags replaced where typed) of the comment above


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """(first line number, lines) of every indented block and every fenced block but Python ones."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start, fence = 0, None
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            if fence is not None and fence != "python":
                blocks.append((start, current))
            fence = None if fence is not None else line[3:].strip()
            current, start = [], number + 1
            continue
        if fence is not None:
            current.append(line)
        elif line.startswith("    "):
            start = start if current else number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    return blocks


def commands(readme: Path = ROOT / "README.md") -> list[Command]:
    """Every command line of the README's code blocks, in order, with the tiny-steps flags above it."""
    text = readme.read_text()
    marks = [(text[:m.start()].count("\n") + 1, _marker_flags(m.group(1))) for m in MARKER.finditer(text)]
    out = []
    for start, lines in _blocks(text):
        joined, first = "", start
        for offset, raw in enumerate(lines):
            line = raw.strip()
            if not joined:
                first = start + offset
            joined = f"{joined} {line}".strip() if joined else line
            if joined.endswith("\\"):
                joined = joined[:-1].strip()
                continue
            tiny = next((flags for at, flags in reversed(marks) if at < first), ((), ()))
            for part in joined.split(" && "):  # `pip install -e . && sparselab lottery ...`: two commands
                if part.strip().startswith(PROGRAMS):
                    out.append(Command(first, re.sub(r"\s+#.*$", "", part.strip()), tiny))
            joined = ""
    return out


def _marker_flags(comment: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(flags every job command gets, flags replaced only where typed) of a readme-test comment:
    `... runs with --a=1 --b=2; where the command types them, --c=3 ...`."""
    every, _, typed = comment.partition("where the command types them")
    flags = re.compile(r"--\w+=[^\s;,]+")
    return tuple(flags.findall(every)), tuple(flags.findall(typed))


class Scratch:
    """The scratch folder: `wt/` (main.py, runs/) beside `shared/` (the datasets, when there are any)."""

    def __init__(self, folder: Path) -> None:
        self.cwd = folder / "wt"
        self.cwd.mkdir(parents=True)
        (self.cwd / "main.py").symlink_to(ROOT / "main.py")
        if SHARED.is_dir():
            (folder / "shared").symlink_to(SHARED)
        self.seen: list[str] = []  # experiment folders of runs/, in the order they appeared
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                    "HOME": str(folder), "SPARSELAB_DATA": str(SHARED / "data")}
        self.env.pop("SPARSELAB_ROOT", None)

    def refresh(self) -> None:
        runs = self.cwd / "runs"
        for path in sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime) if runs.is_dir() else []:
            if path.is_dir() and path.name not in self.seen:
                self.seen.append(path.name)

    def richest(self, command: str, rank: int = 0) -> str:
        """The `rank`-th folder of `command` by kinds of branches, then finished jobs (newest first on ties)."""
        def size(name: str) -> tuple[int, int]:
            folder = self.cwd / "runs" / name
            kinds = {p.name.rsplit("_", 1)[0] for p in folder.rglob("branch_*") if p.is_dir()}
            return -len(kinds), -sum(1 for _ in folder.rglob("done.json"))

        names = [n for n in self.seen if n.startswith(command + "_")][::-1]
        names.sort(key=size)
        return names[rank] if len(names) > rank else f"{command}_none"


def resolve(command: Command, scratch: Scratch) -> str:
    """The command line the runner executes (see the module docstring for every change)."""
    text = command.text
    if text.startswith("sparselab "):
        text = "python main.py " + text[len("sparselab "):]
    text = text.replace("<lottery flags> ", "").replace(" runs/...", "")
    for name, rank in (("<hash>", 0), ("<a>", 0), ("<b>", 1)):
        text = re.sub(rf"runs/(\w+?)_{re.escape(name)}", lambda m: "runs/" + scratch.richest(m.group(1), rank), text)
    text = re.sub(r"_<\w+>", "_" + "0" * 16, text)  # outside runs/: a folder the reader would bring
    words = shlex.split(text.split(" | ")[0])
    sub = words[2] if len(words) > 2 else ""
    describes = sub in ("report", "evaluate", "evaluate_ensemble") and len(words) > 3 and words[3] in JOBS
    added, replaced = command.tiny
    if not (sub in JOBS or describes) or (sub.endswith("_branch") and len(words) == 3):
        return text
    for flag in added + replaced:
        name = flag.split("=", 1)[0]
        if re.search(rf"{name}=\S+", text):
            text = re.sub(rf"{name}=\S+", flag, text)
        elif flag in added and not (describes and name == "--threads"):
            head, _, pipe = text.partition(" | ")
            text = f"{head} {flag}" + (f" | {pipe}" if pipe else "")
    return text


def skip_reason(command: Command) -> str | None:
    reason = next((why for key, why in NOT_RUN.items() if key in command.text), None)
    if reason is None and not SHARED.is_dir() and re.search(r"mnist|\.\./shared", command.text):
        reason = "the MNIST files of /work/shared are absent"
    return reason


def run(command: Command, scratch: Scratch) -> tuple[str, str | None]:
    """(the line executed, None or what went wrong)."""
    text = resolve(command, scratch)
    done = subprocess.run(["bash", "-o", "pipefail", "-c", text], cwd=scratch.cwd, env=scratch.env,
                          capture_output=True, text=True, timeout=900)
    scratch.refresh()
    output = done.stdout + done.stderr
    tail = " | ".join(output.strip().splitlines()[-3:])
    if "Traceback" in output:
        return text, f"traceback: {tail}"
    need = next((message for key, message in NEEDS.items() if key in command.text), None)
    if need is not None:
        ok = done.returncode == 2 and need in done.stderr
        return text, None if ok else f"expected exit 2 with {need!r}, got {done.returncode}: {tail}"
    return text, None if done.returncode == 0 else f"exit {done.returncode}: {tail}"


def main_commands() -> list[Command]:
    return [c for c in commands() if skip_reason(c) is None]


if __name__ == "__main__":  # python tests/readme_runner.py SCRATCH: the same run, printed
    scratch = Scratch(Path(sys.argv[1]))
    for c in commands():
        why = skip_reason(c)
        if why:
            print(f"line {c.line}: not run ({why}): {c.text}", flush=True)
            continue
        line, problem = run(c, scratch)
        print(f"line {c.line}: {'ok' if problem is None else 'FAILED ' + problem}: {line}", flush=True)
