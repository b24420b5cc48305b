"""Typed errors: a UserError is one plain sentence for the person at the keyboard; anything else is a bug."""

from __future__ import annotations


class UserError(Exception):
    """An error the user can fix (bad input, bad setting); printed as one line, never a traceback."""


class ConfigError(UserError):
    """A setting is missing or invalid; the message names the setting."""


class InputError(UserError):
    """A file or payload is invalid; the message names the file, row and column where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file, self.row, self.column, self.reason = file, row, column, message
        where = []
        if file:
            where.append(file)
        if row is not None:
            where.append(f"row {row}")
        if column:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class NotFoundError(UserError):
    """A named thing (order, SKU, user) does not exist."""
