"""Training's progress display: the shared one (`genlab.progress`), re-exported where the loop always found it."""

from genlab.progress import Progress

__all__ = ["Progress"]
