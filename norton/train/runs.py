"""A run's folder: its checkpoints (newest readable first) and metrics.jsonl."""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any


from ..checkpoint import read_checkpoint

CHECKPOINT_DIR = "checkpoints"
METRICS_FILE = "metrics.jsonl"


def checkpoint_path(out_dir: str | Path, step: int) -> Path:
    return Path(out_dir) / CHECKPOINT_DIR / f"step_{step:08d}.pt"


def list_checkpoints(out_dir: str | Path) -> list[Path]:
    """Checkpoints in out_dir/checkpoints, oldest first."""
    folder = Path(out_dir) / CHECKPOINT_DIR
    return sorted(folder.glob("step_*.pt")) if folder.is_dir() else []


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    found = list_checkpoints(out_dir)
    return found[-1] if found else None


def resumable_checkpoint(out_dir: str | Path) -> Path | None:
    """The newest checkpoint that reads back whole; newer unreadable ones (a truncated file) are skipped,
    each with a warning naming it."""
    for path in reversed(list_checkpoints(out_dir)):
        try:
            read_checkpoint(path)
        except ValueError as error:
            warnings.warn(f"{error}; resuming from an older checkpoint if there is one")
            continue
        return path
    return None


def remove_partial_checkpoints(out_dir: str | Path) -> list[Path]:
    """Delete the temporary files of checkpoint writes a kill interrupted (.step_*.pt.tmp-PID); returns them."""
    folder = Path(out_dir) / CHECKPOINT_DIR
    stale = sorted(folder.glob(".step_*.pt.tmp-*")) if folder.is_dir() else []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def read_metrics(out_dir: str | Path) -> list[dict[str, Any]]:
    """The records of out_dir/metrics.jsonl; a partial last line (a kill mid-write) is dropped with a warning,
    a bad line elsewhere is a ValueError naming file:line."""
    path = Path(out_dir) / METRICS_FILE
    if not path.is_file():
        return []
    lines = [(number, line) for number, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    records = []
    for k, (number, line) in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as error:
            if k < len(lines) - 1:
                raise ValueError(f"{path}:{number}: not a JSON record ({error})") from None
            warnings.warn(f"{path}:{number}: partial last record dropped (the run was killed while writing it)")
    return records


def truncate_metrics(out_dir: Path, step: int) -> None:
    """Drop records after `step` (written by a run that died after its last checkpoint)."""
    path = out_dir / METRICS_FILE
    if path.is_file():
        kept = [r for r in read_metrics(out_dir) if r["step"] <= step]
        path.write_text("".join(json.dumps(r) + "\n" for r in kept))
