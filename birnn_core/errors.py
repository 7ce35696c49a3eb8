"""Errors a person can act on: each message names what to change."""
from __future__ import annotations


class ValidationError(ValueError):
    """Inputs or parameters that cannot be computed with; ``field`` names the thing to fix."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NonFiniteResultError(ArithmeticError):
    """The computation overflowed (e.g. ReLU exploding): says where it first did.

    ``trace`` holds the full (partly non-finite) trace so a page can still show the steps before.
    """

    def __init__(self, message: str, direction: str, layer: int, t: int, trace=None):
        super().__init__(message)
        self.direction, self.layer, self.t, self.trace = direction, layer, t, trace
