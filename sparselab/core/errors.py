"""Exception types that the command line turns into one-line messages."""
import errno
import os
import shutil


class UsageError(Exception):
    """A bad input (name, value, file): `error: <message>`, exit status 2; raise it before anything is written."""


class JobFailed(Exception):
    """A job that started but cannot go on (e.g. the loss became NaN): exit status 1."""


def failure_message(error: BaseException) -> str | None:
    """One line for a failure of the machine (file system, disk, memory), or None for a bug (keeps its traceback).
    The path: the OSError's, else the innermost frame's `path` (torch reports a full disk as a RuntimeError)."""
    chain, seen = [], error
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    path = _written_path(error)
    for e in chain:
        if isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError":
            return f"out of memory ({str(e).splitlines()[0][:200] if str(e) else 'MemoryError'}); " \
                   "use a smaller --batch_size or model"
        if isinstance(e, OSError) and e.errno is not None:
            where = e.filename or path
            cause = os.strerror(e.errno) if e.errno in errno.errorcode else (e.strerror or str(e))
            return f"{cause}: {where}" if where else cause
    text = str(error)
    if isinstance(error, RuntimeError) and ("inline_container" in text or "PytorchStreamWriter" in text):
        cause = "could not write the file"
        if path is not None:
            try:
                if shutil.disk_usage(os.path.dirname(os.path.abspath(path)) or ".").free < 2**20:
                    cause = os.strerror(errno.ENOSPC)
            except OSError:
                pass
        return f"{cause}: {path or 'a checkpoint'} (torch: {text.splitlines()[0][:120]})"
    return None


def _written_path(error: BaseException) -> str | None:
    tb, found = error.__traceback__, None
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("path")
        if isinstance(candidate, (str, os.PathLike)):
            found = str(candidate)
        tb = tb.tb_next
    return found

