from __future__ import annotations

import pytest

from .unavailable import unavailable


def test_something_missing_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no sshd; sshd tests must run in CI"):
        unavailable("no sshd", why_ci_needs_it="sshd tests must run in CI")


def test_something_missing_skips_elsewhere_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^no sshd$"):
        unavailable("no sshd", why_ci_needs_it="sshd tests must run in CI")
