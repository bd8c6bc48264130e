"""The project's one test command: lint, format check, types, then pytest.

Kept in Python (not a shell script) so it runs the same on every machine and
inside CI; each step must pass, and pytest finding no tests is a failure.
"""

from __future__ import annotations

import subprocess
import sys

STEPS: list[list[str]] = [
    [sys.executable, "-m", "ruff", "check", "."],
    [sys.executable, "-m", "ruff", "format", "--check", "."],
    [sys.executable, "-m", "mypy"],
    [sys.executable, "-m", "pytest", "-q", *sys.argv[1:]],
]


def main() -> int:
    for step in STEPS:
        print("+", " ".join(step[1:]), flush=True)
        code = subprocess.call(step)
        if code == 5 and "pytest" in step:
            print("pytest collected no tests: that is a failure here", file=sys.stderr)
            return 1
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
