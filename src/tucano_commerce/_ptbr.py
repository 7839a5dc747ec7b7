"""pt-BR calendar words the layers share, written once: month names (the SQL question check folds them,
the insight facts and the training templates write them)."""

from __future__ import annotations

MONTHS: tuple[str, ...] = (
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
)
"""Month names, January first (``MONTHS[m - 1]`` for month number ``m``)."""
