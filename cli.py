"""The `erengine` command line: parses arguments, calls the library, renders results.

Installed as ``erengine_cli.cli``; nothing in the library imports it. Each command group
registers itself in ``build_parser``; handlers return an exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_DATA = 4
EXIT_TRANSPORT = 5
EXIT_INTERNAL = 70


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="erengine",
        description="Write and read bank and tax files from versioned YAML formats.",
    )
    parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = args.handler
    return int(handler(args))


if __name__ == "__main__":
    sys.exit(main())
