"""Atomic file writes: a temporary file beside the target, fsynced, then renamed over it."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_args) -> Iterator[IO]:
    """Open a temporary file for writing; on success it replaces `path`, on error it is removed,
    so readers see the old file or the whole new one, never half of it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
