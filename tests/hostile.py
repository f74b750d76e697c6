"""Running `spcncl` on hostile input in a subprocess with a memory cap (RLIMIT_AS) and a time cap, so that a
regression fails the test instead of exhausting the machine or hanging CI."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

MEMORY_CAP = 1024 * 1024 * 1024  # bytes of address space: a billion laughs needs several GB
TIME_CAP = 20  # seconds of wall-clock time (and of CPU time)
OUTPUT_CAP = 64 * 1024  # characters on stdout + stderr: a message quotes a short excerpt, never the bulk


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_CAP, TIME_CAP))


@dataclass(frozen=True)
class Run:
    """What a capped `spcncl` run did."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """stderr's lines."""
        return self.err.splitlines()


def spcncl(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run `python -m spcncl_core.cli ARGS` under the caps; fail the test on a timeout."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run([sys.executable, "-m", "spcncl_core.cli", *args], capture_output=True,
                            timeout=TIME_CAP, preexec_fn=_limits, env=full_env, cwd=cwd, check=False)
    out = result.stdout.decode("utf-8", "replace")
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode >= 0, f"killed by signal {-result.returncode}: {err[-2000:]}"
    assert len(out) + len(err) < OUTPUT_CAP, f"{len(out) + len(err)} characters of output"
    assert "Traceback" not in err or "--debug" in args, err[-3000:]
    assert "please report this" not in err, err
    return Run(result.returncode, out, err)


def billion_laughs(levels: int = 9, width: int = 10, key: str = "lol") -> str:
    """A YAML document whose aliases expand to width**levels strings (1.3 KB of text)."""
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    lines.append(f"{key}: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def make_plugin(site: Path, name: str, code: str, criteria: dict[str, str] | None = None) -> dict[str, str]:
    """An installed plugin distribution in `site` (found through its `spcncl` entry point); returns the environment
    that puts `site` on the path."""
    package = site / f"spcncl_{name}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(code), encoding="utf-8")
    for filename, text in (criteria or {}).items():
        folder = package / "criteria_sets"
        folder.mkdir(exist_ok=True)
        (folder / filename).write_text(text, encoding="utf-8")
    info = site / f"spcncl_{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: spcncl-{name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[spcncl]\n{name} = spcncl_{name}\n", encoding="utf-8")
    return {"PYTHONPATH": str(site)}
