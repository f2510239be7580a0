"""User-facing errors: the CLI prints them as one line and exits 2 (traceback only with --debug)."""

from __future__ import annotations


class SlmbenchError(Exception):
    """An error caused by the user's input (file, flag, model name), not by a bug."""

    exit_code = 2


class DataError(SlmbenchError):
    """A dataset or schema file is malformed. The message names the file and line or pointer."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        where = f"{path}:{line}" if path and line else (path or "")
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.line = path, line


class TrainingDiverged(SlmbenchError):
    """The training loss or gradient norm became NaN or infinite: the run stops rather than
    save NaN weights. Exit 1: the input was valid, the optimisation failed."""

    exit_code = 1
