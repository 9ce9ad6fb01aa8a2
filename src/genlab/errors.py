"""The two kinds of failure a user can see, and the exit codes DESIGN.md promises for them."""


class GenlabError(Exception):
    """An internal failure: the CLI prints one line and exits 1."""

    exit_code = 1


class UsageError(GenlabError):
    """Bad usage or bad data (a wrong option, a missing or corrupt file): one line, exit 2.

    The message names the bad value and what is accepted.
    """

    exit_code = 2
