"""BIC (ISO 9362) structure: bank code, country, location, optional branch."""

from __future__ import annotations

import re

from erengine.model.code_lists import COUNTRIES

_BIC = re.compile(r"[A-Z]{4}([A-Z]{2})[A-Z2-9][A-NP-Z0-9](?:[A-Z0-9]{3})?")


def bic_problem(bic: str) -> str | None:
    """What is wrong with ``bic``, or None when it is a well-formed BIC of a known country."""
    found = _BIC.fullmatch(bic)
    if found is None:
        return "a BIC: 4 letters, 2-letter country, 2 location characters, optional 3 branch"
    if found[1] not in COUNTRIES and found[1] != "XK":
        return f"a BIC with an ISO 3166 country (not {found[1]!r})"
    return None
