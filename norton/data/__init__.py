"""Data: caption formats, the feature store, video records, synthetic noisy videos and clip sampling.

The names below load on first use (PEP 562 module __getattr__), so `from norton.data.howto import ...`
does not import the subtitle parsers, the feature store and the sampler along with it.
"""
from __future__ import annotations

import importlib

_EXPORTS = {  # public name -> the submodule of norton.data that defines it
    **dict.fromkeys(["AlignmentAnnotation", "Captions", "DenseCaptions", "merge_fragments", "read_dense_captions",
                     "read_howto100m_json", "read_htm_align", "read_subtitles", "write_howto100m_json",
                     "write_htm_align"], "captions"),
    **dict.fromkeys(["ClipBatch", "SamplerConfig", "iterate_batches", "sample_batch"], "sampling"),
    **dict.fromkeys(["FeatureStore", "FeatureStoreWriter"], "store"),
    **dict.fromkeys(["SyntheticConfig", "SyntheticDataset", "make_splits", "make_synthetic"], "synthetic"),
    **dict.fromkeys(["GroundTruth", "LongVideo", "VideoCollection", "load_feature_store", "save_feature_store"],
                    "videos"),
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    else:
        try:  # a submodule not imported yet, e.g. norton.data.howto after a bare `import norton.data`
            value = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
