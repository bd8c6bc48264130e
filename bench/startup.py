"""CLI start-up: ``newsbrief --help`` and ``newsbrief brief x`` on the sample store, now and
at an older commit, beside the interpreter's own floor, all in one run.

Each variant is a checkout (this one, and ``--before REV`` in a temporary
``git worktree``) with its own data directory holding the bundled sample
(``newsbrief ingest --sample``, the embedded SQLite store). Every command runs
through the installed ``newsbrief`` script with ``PYTHONPATH`` pointing at its
checkout, so both variants start the same way a user's does.

Two measurements, since the machine is shared and noisy:

* a loop of ``--runs`` rounds (default 20), each running every command once in a
  rotated order, so that load drifts hit all commands alike: wall median and p95,
  and the child's CPU time (user + system, from ``getrusage``), which a busy
  machine inflates much less than wall time;
* hyperfine (``apt-get install hyperfine``), when it is on PATH, over the same
  commands: its median and p95.

The floor is printed in the same run: ``python -c pass`` (the interpreter) and
``python -c "import sqlalchemy"`` (which any command that opens the store pays), plus
sqlalchemy.orm and pydantic_settings together (what ``brief`` cannot avoid: the ORM
and the settings). Targets (issue 14): --help <= 150 ms, brief <= 300 ms.

Run: python bench/startup.py [--runs 20] [--before 405a45a] [--after HEAD] [--no-hyperfine]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
NEWSBRIEF = str(Path(PYTHON).with_name("newsbrief"))
# The commit before the start-up work of issue 14 (lazy summarizers, app, migrations).
DEFAULT_BEFORE = "405a45a"
TARGETS_MS = {"--help": 150.0, "brief x": 300.0}
# What each command is compared with: the interpreter, or the libraries brief must load.
FLOORS = {"--help": "python -c pass", "brief x": "import sqlalchemy.orm, pydantic_settings"}


@dataclass
class Command:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def _env(checkout: Path, data_dir: Path) -> dict[str, str]:
    own = ("NEWSBRIEF_", "SLACK_", "DISCORD_", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
    return env | {"PYTHONPATH": str(checkout), "NEWSBRIEF_DATA_DIR": str(data_dir)}


@contextlib.contextmanager
def _worktree(rev: str, where: Path) -> Iterator[Path]:
    path = where / f"checkout-{rev}"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(path), rev], check=True
    )
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False
        )


def _sample_store(checkout: Path, data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    done = subprocess.run(
        [NEWSBRIEF, "ingest", "--sample"],
        env=_env(checkout, data_dir),
        cwd=data_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"ingest --sample failed in {checkout}:\n{done.stderr}")


def _commands(variants: dict[str, Path], work: Path) -> list[Command]:
    floor_env = _env(work, work)  # a directory with no package in it
    commands = [
        Command("python -c pass", [PYTHON, "-c", "pass"], floor_env, work),
        Command("import sqlalchemy", [PYTHON, "-c", "import sqlalchemy"], floor_env, work),
        Command(
            "import sqlalchemy.orm, pydantic_settings",
            [PYTHON, "-c", "import sqlalchemy.orm, pydantic_settings"],
            floor_env,
            work,
        ),
    ]
    for label, checkout in variants.items():
        data_dir = work / f"data-{label}"
        _sample_store(checkout, data_dir)
        env = _env(checkout, data_dir)
        commands.append(Command(f"--help [{label}]", [NEWSBRIEF, "--help"], env, data_dir))
        commands.append(Command(f"brief x [{label}]", [NEWSBRIEF, "brief", "x"], env, data_dir))
    return commands


def _run_once(c: Command) -> tuple[float, float]:
    """(wall s, the child's CPU s) of one run; a failed run ends the bench."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(c.argv, env=c.env, cwd=c.cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or ("brief" in c.name and "Brief:" not in done.stdout):
        raise SystemExit(f"{c.name} failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _loop(commands: list[Command], runs: int, warmup: int) -> None:
    for _ in range(warmup):  # writes the checkouts' bytecode caches too
        for c in commands:
            _run_once(c)
    for r in range(runs):
        shift = r % len(commands)
        for c in commands[shift:] + commands[:shift]:
            wall, cpu = _run_once(c)
            c.wall.append(wall)
            c.cpu.append(cpu)


def _hyperfine(commands: list[Command], runs: int, warmup: int, work: Path) -> dict[str, Any]:
    """hyperfine's median and p95 (ms) per command, or {} without hyperfine."""
    exe = shutil.which("hyperfine")
    if exe is None:
        return {}
    out = work / "hyperfine.json"
    argv = [exe, "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs)]
    argv += ["--export-json", str(out)]
    for c in commands:  # env(1) carries each command's environment and directory
        own = ("PYTHONPATH", "NEWSBRIEF_DATA_DIR")
        setting = [f"{k}={v}" for k, v in c.env.items() if k in own]
        line = shlex.join(["env", "-C", str(c.cwd), *setting, *c.argv])  # -N splits it back
        argv += [f"--command-name={c.name}", line]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    found = json.loads(out.read_text())["results"]
    return {
        r["command"]: (statistics.median(r["times"]) * 1000, _p95(r["times"]) * 1000) for r in found
    }


def _report(commands: list[Command], hf: dict[str, Any], runs: int) -> None:
    by = {c.name: c for c in commands}
    floor = statistics.median(by["python -c pass"].wall)
    load = os.getloadavg()
    print(f"runs {runs} per command, rounds interleaved; load average {load[0]:.1f} {load[1]:.1f}")
    print(f"{'command':42} {'wall p50':>9} {'p95':>7} {'CPU p50':>8} {'/pass':>6}", end="")
    print(f" {'hyperfine p50':>14} {'p95':>7}" if hf else "")
    for c in commands:
        wall = statistics.median(c.wall) * 1000
        line = f"{c.name:42} {wall:7.0f}ms {_p95(c.wall) * 1000:5.0f}ms"
        line += f" {statistics.median(c.cpu) * 1000:6.0f}ms {wall / (floor * 1000):5.1f}x"
        if c.name in hf:
            median, p95 = hf[c.name]
            line += f" {median:12.0f}ms {p95:5.0f}ms"
        print(line)
    labels = [n.removeprefix("--help [").removesuffix("]") for n in by if n.startswith("--help [")]
    print()
    for what, target in TARGETS_MS.items():
        base = by[FLOORS[what]]
        base_wall, base_cpu = statistics.median(base.wall), statistics.median(base.cpu)
        cells = []
        for label in labels:
            c = by[f"{what} [{label}]"]
            wall, cpu = statistics.median(c.wall), statistics.median(c.cpu)
            cells.append(
                f"{label} wall {wall * 1000:.0f} ms ({wall / base_wall:.1f}x floor), "
                f"CPU {cpu * 1000:.0f} ms ({cpu / base_cpu:.1f}x)"
            )
        ratio = ""
        if len(labels) == 2:
            old, new = (statistics.median(by[f"{what} [{x}]"].wall) for x in labels)
            ratio = f"; {labels[1]}/{labels[0]} {new / old:.2f}x wall"
        print(
            f"{what} (target {target:.0f} ms; floor: {FLOORS[what]}): " + "; ".join(cells) + ratio
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--before", default=DEFAULT_BEFORE, help="older commit ('' to skip)")
    ap.add_argument("--after", default="", help="a commit instead of this checkout")
    ap.add_argument("--no-hyperfine", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsbrief-startup-") as tmp:
        work = Path(tmp)
        with contextlib.ExitStack() as stack:
            variants: dict[str, Path] = {}
            if args.before:
                variants[args.before] = stack.enter_context(_worktree(args.before, work))
            if args.after:
                variants[args.after] = stack.enter_context(_worktree(args.after, work))
            else:
                variants["now"] = ROOT
            commands = _commands(variants, work)
            _loop(commands, args.runs, args.warmup)
            hf = {} if args.no_hyperfine else _hyperfine(commands, args.runs, args.warmup, work)
        _report(commands, hf, args.runs)


if __name__ == "__main__":
    main()
