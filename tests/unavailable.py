"""What a test does when something it needs is missing: fail in CI, skip elsewhere.

CI has every tool, server and file the suite needs (the check script installs them), so
there a missing one is a broken set-up, never a reason to pass without testing.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str, *, why_ci_needs_it: str) -> NoReturn:
    """Skip with ``reason``; in CI (``CI`` set) fail with it and ``why_ci_needs_it``."""
    if not os.environ.get("CI"):
        pytest.skip(reason)
    pytest.fail(f"{reason}; {why_ci_needs_it}", pytrace=False)
