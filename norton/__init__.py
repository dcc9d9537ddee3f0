"""norton: Norton's optimal-transport losses for video-language alignment, and a workbench around them.

The public names below load on first use (PEP 562 module __getattr__): `import norton` and
`from norton import NortonConfig` do not import torch; `from norton import NortonLoss` does.
"""
from __future__ import annotations

from .lazy import lazy_exports

_EXPORTS = {  # public name -> the submodule that defines it
    "NortonConfig": "config",
    "NortonLoss": "losses", "NortonOutput": "losses", "rectified_clip_loss": "losses",
    "video_paragraph_loss": "losses",
    "OTResult": "ot", "BucketOTResult": "ot", "sinkhorn": "ot", "bucket_sinkhorn": "ot",
    "pooled_cosine": "similarity", "soft_max_similarity": "similarity",
}
__all__ = list(_EXPORTS)
__version__ = "0.1.0"

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
