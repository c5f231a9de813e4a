"""`python -m desktop_receiver` and the `dartcam-receiver` console script."""

from __future__ import annotations

import sys

from desktop_receiver.cli import main as cli_main


def main(argv: list[str] | None = None) -> int:
    """Runs the agent (or `calibrate ...`); returns the process exit code."""
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
