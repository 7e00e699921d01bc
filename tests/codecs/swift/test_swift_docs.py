"""docs/swift-notation.md and the module docs: every ``pycon`` example runs and says true."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import erengine.codecs.swift.notation

DOC = Path(__file__).resolve().parents[3] / "docs" / "swift-notation.md"
_PYCON = re.compile(r"^```pycon\n(.*?)^```", re.MULTILINE | re.DOTALL)
_FLAGS = doctest.ELLIPSIS


def test_the_page_has_examples_and_they_all_run() -> None:
    blocks = _PYCON.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    # One namespace for the page, as a reader would run it top to bottom.
    test = doctest.DocTestParser().get_doctest(
        "\n".join(blocks), {}, "swift-notation.md", str(DOC), 0
    )
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_module_examples_run() -> None:
    result = doctest.testmod(erengine.codecs.swift.notation, optionflags=_FLAGS)
    assert result.attempted > 0
    assert result.failed == 0
