"""What every ``tucano`` sub-command shares: the consoles and the error boundary.

Only ``TucanoError`` is caught (shown as a one-line message, exit code 1); anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from tucano_commerce.errors import TucanoError

console = Console()
err_console = Console(stderr=True)
P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a ``TucanoError`` into a red message and exit code 1."""

    @functools.wraps(fn)  # typer reads the command's options from the wrapped signature
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TucanoError as err:
            # escaped: a message may hold brackets ("tucano-commerce[kaggle]") that are not markup
            err_console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from err

    return wrapper
