"""The ``tucano`` command line: thin wrappers that parse options, call one library function, print.

Each sub-command group lives in its own module (``_bench``, ``_data``, ``_db``, ``_sql``, ``_train``) and
shares the consoles and the error boundary of ``_common``: only ``TucanoError`` is caught (a one-line
message, exit code 1); anything else is a bug and keeps its traceback.
"""

from tucano_commerce.cli._app import app
from tucano_commerce.cli._common import console, err_console, friendly_errors

__all__ = ["app", "console", "err_console", "friendly_errors"]
