"""The one exception type that the command line turns into a one-line message and exit status 2."""


class UsageError(Exception):
    """A bad input from the user: unknown name, bad value, missing file, corrupt checkpoint.

    `main.py` prints `error: <message>` on stderr and exits with status 2. Raise it before anything
    is written to disk whenever possible.
    """
