"""Resource limits for expressions, so a configuration cannot exhaust memory or time.

An expression is a few dozen characters, but ``'a' * 10**9`` or ``2 ** 10**9`` would still
allocate gigabytes; every operation that can grow a value faster than its inputs checks the
size of its result against these limits BEFORE building it.
"""

from __future__ import annotations

from erengine.expr.errors import LIMIT_EXCEEDED, ExpressionError

# Longest text or list an expression may build; far beyond any bank file field or record list
# built inside one expression, far below what hurts a worker.
MAX_LENGTH = 1_000_000
# Largest integer result of ``**``, in bits (about 30,000 decimal digits).
MAX_POWER_BITS = 100_000


def check_length(length: int, what: str) -> None:
    """Refuse to build a text or list of ``length`` items when it is over the limit."""
    if length > MAX_LENGTH:
        raise ExpressionError(
            LIMIT_EXCEEDED,
            f"{what} would be {length} characters or items long; the limit is {MAX_LENGTH}",
            hint="expressions build field values, not bulk data",
        )
