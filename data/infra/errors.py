"""The one error type for bad input, one-line warnings, and the command-line wrapper that prints errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


class DataError(Exception):
    """Bad input: the message names the file, the line (header = line 1) if any, and the problem."""

    def __init__(self, file: str | Path, problem: str, line: int | None = None) -> None:
        where = f"{file}" if line is None else f"{file}, line {line}"
        super().__init__(f"{where}: {problem}")
        self.file = str(file)
        self.line = line
        self.problem = problem

    def __reduce__(self) -> tuple:
        """Rebuilt from its own arguments, so it crosses process boundaries (a worker's error)."""
        return DataError, (self.file, self.problem, self.line)


def warn(message: str) -> None:
    """Print a one-line warning on stderr: input accepted, with something the user should know."""
    print(f"warning: {message}", file=sys.stderr)


def run_cli(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> None:
    """Run a command-line ``main``; a DataError becomes one line on stderr and exit status 2."""
    try:
        code = main(argv)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
