"""Errors raised by the fairness engine.

Callers (API views, Celery tasks) translate these into user-facing messages, so each error names the
input field or column at fault: a reviewer should be able to fix the upload without reading a stack trace.
"""

from __future__ import annotations


class FairnessInputError(ValueError):
    """The input data cannot be evaluated as given (wrong shape, non-binary labels, missing values...).

    ``field`` names the offending argument or column (e.g. ``"y_true"`` or ``"race"``) so that the caller
    can point the user at it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
