"""Per-element validity: which elements of a vectorised computation are good, and why not.

Every engine function returns its values together with a ``Validity``: one bad element
(an unknown code, a negative quantity, a date outside its period) is marked with a reason
and never spoils the others. The first reason recorded for an element wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class Validity:
    """A boolean ``ok`` mask and a parallel object array of reasons ('' where ok).

    The reason array is built on the first failure only: the common all-good case of a
    million-row column costs one boolean array.
    """

    __slots__ = ("ok", "_reason")

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.ok = np.ones(shape, dtype=bool)
        self._reason: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.ok.shape

    @property
    def reason(self) -> np.ndarray:
        if self._reason is None:
            self._reason = np.full(self.ok.shape, "", dtype=object)
        return self._reason

    def fail(self, bad: np.ndarray | bool, message: str | np.ndarray) -> None:
        """Mark ``bad`` elements invalid with ``message`` (a string or a per-element array)."""
        bad = np.broadcast_to(np.asarray(bad, dtype=bool), self.ok.shape)
        new = bad & self.ok
        if not new.any():
            return
        if isinstance(message, np.ndarray):
            self.reason[new] = np.broadcast_to(message, self.ok.shape)[new]
        else:
            self.reason[new] = message
        self.ok &= ~bad

    def merge(self, other: Validity) -> None:
        """Take over ``other``'s failures (same or broadcastable shape); free when it has none."""
        if other._reason is None:  # never failed
            return
        ok = np.broadcast_to(other.ok, self.ok.shape)
        self.fail(~ok, np.broadcast_to(other.reason, self.ok.shape))

    def grown(self, shape: tuple[int, ...]) -> Validity:
        """This validity broadcast to a larger shape (a fresh copy)."""
        out = Validity(shape)
        out.merge(self)
        return out

    @property
    def all_ok(self) -> bool:
        return bool(self.ok.all())


@dataclass(frozen=True)
class Result:
    """Values of a vectorised computation with their per-element validity.

    ``values`` hold the result where ``validity.ok``; elsewhere they are a placeholder that
    must never be shown as a number. ``kind`` says what the integers mean: ``"cents"`` (money),
    ``"count"``, ``"date"`` (numpy datetime64[D]) or ``"number"``. ``notes`` (optional, per
    element, '' = none) say something a user should know about a good element -- e.g. that a
    default stood in for an empty input; the _CHECK companions show them after "OK".
    """

    values: np.ndarray
    validity: Validity
    kind: str = "cents"
    notes: np.ndarray | None = None

    @property
    def ok(self) -> np.ndarray:
        return self.validity.ok

    @property
    def reason(self) -> np.ndarray:
        return self.validity.reason


def broadcast(*arrays: object) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """numpy-broadcast the arguments; return the common shape and the broadcast arrays."""
    arrs = [np.asarray(a) for a in arrays]
    shape = np.broadcast_shapes(*(a.shape for a in arrs))
    return shape, [np.broadcast_to(a, shape) for a in arrs]
