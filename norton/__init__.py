"""norton: Norton's optimal-transport losses for video-language alignment, and a workbench around them.

The public names below load on first use (PEP 562 module __getattr__): `import norton` and
`from norton import NortonConfig` do not import torch; `from norton import NortonLoss` does.
"""
from __future__ import annotations

import importlib

_EXPORTS = {  # public name -> the submodule that defines it
    "NortonConfig": "config",
    "NortonLoss": "losses", "NortonOutput": "losses", "rectified_clip_loss": "losses",
    "video_paragraph_loss": "losses",
    "OTResult": "ot", "BucketOTResult": "ot", "sinkhorn": "ot", "bucket_sinkhorn": "ot",
    "pooled_cosine": "similarity", "soft_max_similarity": "similarity",
}
__all__ = list(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    else:
        try:  # a submodule not imported yet, e.g. norton.losses after a bare `import norton`
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
