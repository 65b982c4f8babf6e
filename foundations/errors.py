"""Exception types that the command line turns into one-line messages."""


class UsageError(Exception):
    """A bad input from the user: unknown name, bad value, missing file, corrupt checkpoint.

    `main.py` prints `error: <message>` on stderr and exits with status 2. Raise it before anything
    is written to disk whenever possible.
    """


class JobFailed(Exception):
    """A job that started correctly but cannot go on (e.g. the loss became NaN). Exit status 1."""
