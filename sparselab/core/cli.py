"""Command-line plumbing shared by every runner: job flags, one-line parse errors, presets."""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import re
import sys
from typing import Any, Callable, ClassVar, Iterable, Mapping, Sequence

from sparselab.core.errors import UsageError
from sparselab.core.hparams import Hparams, hparam, require

MAX_REPLICATE = 10**6
RECIPE_NAMES: list[str] = []  # listed in --default_hparams' help; train.recipes fills it (imports point downward)


@dataclasses.dataclass(frozen=True)
class JobHparams(Hparams):
    _group: ClassVar[str] = "Job"
    replicate: int = hparam(1, "replicate number: an independent copy with its own derived seeds", hashed=False)
    default_hparams: str | None = hparam(None, "preset name, e.g. digits, mnist_lenet_300_100, cifar_resnet_20",
                                         hashed=False)
    quiet: bool = hparam(False, "print only the banner and the final result", hashed=False)
    print_path: bool = hparam(False, "print the output directory and exit", hashed=False)

    def validate(self) -> None:
        require(1 <= self.replicate <= MAX_REPLICATE, f"--replicate must be in 1..{MAX_REPLICATE}, got {self.replicate}")

    @classmethod
    def add_args(cls, parser: argparse.ArgumentParser, prefix: str = "", *args: Any, **kwargs: Any) -> None:
        super().add_args(parser, prefix, *args, **kwargs)
        action = parser._option_string_actions.get(f"--{prefix}default_hparams")
        if action is not None and RECIPE_NAMES:
            action.help = f"{action.help}; recipes of the seed papers: {', '.join(RECIPE_NAMES)}"


class HelpFormatter(argparse.HelpFormatter):
    """Help without a useless or repeated default, wrapped between words or after a choice list's `|`."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap_help(tidy_default(" ".join(text.split())), width)


def tidy_default(text: str) -> str:
    """Drop '(default: None)' and a second '(default: ...)'; an empty default reads '(default: empty)'."""
    text = text.replace(" (default: None)", "").replace("(default: )", "(default: empty)")
    first = text.find("(default:")
    last = text.rfind(" (default:")
    if first != -1 and last > first and text.endswith(")"):
        text = text[:last]
    return text


def wrap_help(text: str, width: int) -> list[str]:
    pieces: list[tuple[str, str]] = []  # (piece, what joins it to the previous one)
    for word in text.split(" "):
        choices = word.startswith("[") and "|" in word
        parts = [p + "|" for p in word.split("|")[:-1]] + [word.split("|")[-1]] if choices else [word]
        pieces += [(part, " " if i == 0 else "") for i, part in enumerate(parts) if part]
    lines, line = [], ""
    for piece, joiner in pieces:
        if line and len(line) + len(joiner) + len(piece) > width:
            lines.append(line)
            line = piece
        else:
            line = f"{line}{joiner}{piece}" if line else piece
    return lines + ([line] if line else [])


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one UsageError line; no abbreviations (among hundreds of flags a prefix could pick
    the wrong one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", HelpFormatter)
        prog = kwargs.get("prog")
        if isinstance(prog, str) and prog.split(" ")[0] == "main.py":  # usage as the user typed it
            kwargs["prog"] = program() + prog[len("main.py"):]
        super().__init__(*args, **kwargs)
        self._pending: list[tuple[list[str], Callable[[Sequence[str]], str | None], Callable[[], None]]] = []
        self.absent: dict[str, str] = {}  # flag -> what it needs (for the error line)
        self.flag_values: dict[str, Any] = {}  # every bundle field's dest -> its preset or default value

    def add_when(self, flags: list[str], unmet: Callable[[Sequence[str]], str | None],
                 add: Callable[[], None]) -> None:
        """Call `add()` at parse time if `unmet(argv)` is None, else record what the flags need."""
        self._pending.append((flags, unmet, add))

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        for flags, unmet, add in self._pending:
            need = unmet(argv)
            if need is None:
                add()
            for flag in flags if need is not None else ():
                self.absent[flag] = f"{flags[0]} exists only with {need}"
        self._pending = []
        return super().parse_known_args(argv, namespace)

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}{self._suggestion(message)} (see: {self.prog} --help)")

    def _suggestion(self, message: str) -> str:
        """`; did you mean --levels?` per unrecognised flag, or what an absent flag needs."""
        if not message.startswith("unrecognized arguments:"):
            return ""
        flags = [a for a in self._option_string_actions if a.startswith("--")]
        words = [w.split("=")[0] for w in message.split(":", 1)[1].split() if w.startswith("--")]
        return "".join(f": {self.absent[w]}" if w in self.absent else did_you_mean(w, flags) for w in words)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.8)
    return f"; did you mean {close[0]}?" if close else ""


def program() -> str:
    """How this process was started: `sparselab`, `python -m sparselab` or `python main.py`."""
    path = sys.argv[0] if sys.argv and sys.argv[0] else ""
    name = os.path.basename(path)
    if name == "__main__.py" and os.path.basename(os.path.dirname(path)) == "sparselab":
        return "python -m sparselab"
    return "sparselab" if name == "sparselab" else "python main.py"


def pre_read(argv: Sequence[str], flag: str) -> str | None:
    """One flag read before the real parse (--default_hparams decides other defaults)."""
    probe = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    probe.add_argument(f"--{flag}", default=None)
    known, _ = probe.parse_known_args(list(argv))
    return getattr(known, flag)


def bundle(cls: type[Hparams], args: argparse.Namespace, preset: Mapping[str, Any], prefix: str = "") -> Hparams:
    """A bundle from parsed flags over a preset (its other keys ignored)."""
    known = set(cls.field_names())
    return cls.from_args(args, prefix=prefix, defaults={k: v for k, v in preset.items() if k in known})


_LONG_WORD = re.compile(r"[^\s'\"]{201,}")


def shortened(message: str) -> str:
    """Every echoed word over 200 characters cut (a pasted file as a flag value)."""
    return _LONG_WORD.sub(lambda m: f"{m.group(0)[:60]}...({len(m.group(0)):,} characters)", message)


def exit_with(error: BaseException | str, status: int) -> None:
    print(f"error: {shortened(str(error))}", file=sys.stderr, flush=True)
    raise SystemExit(status)
