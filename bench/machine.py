"""The machine description every benchmark records (scripts run as ``python bench/x.py``,
so this module is importable as ``machine``)."""

from __future__ import annotations

from pathlib import Path


def cpu_model() -> str:
    """The ``model name`` of ``/proc/cpuinfo`` ("unknown" where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
