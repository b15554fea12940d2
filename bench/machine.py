"""The machine description every benchmark records (scripts run as ``python bench/x.py``,
so this module is importable as ``machine``)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import time
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cpu_model() -> str:
    """The ``model name`` of ``/proc/cpuinfo`` ("unknown" where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def describe(packages: Iterable[str], threads_used: int | None = None) -> dict:
    """CPU, cores, threads the benchmark uses (None: all), platform, Python, the installed
    version of each of ``packages`` (None where absent) and the UTC time of the run."""
    installed = {}
    for name in packages:
        try:
            installed[name] = version(name)
        except PackageNotFoundError:
            installed[name] = None
    return {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "threads_used": threads_used,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": installed,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def timed(fn: Callable[[], T], repeat: int) -> tuple[T, list[float]]:
    """One warm-up call, then ``repeat`` timed calls; the last result and the wall times."""
    result = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, times
