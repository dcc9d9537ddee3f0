"""Data: caption formats, the feature store, video records, synthetic noisy videos and clip sampling.

The names below load on first use (PEP 562 module __getattr__), so `from norton.data.howto import ...`
does not import the subtitle parsers, the feature store and the sampler along with it.
"""
from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {  # public name -> the submodule of norton.data that defines it
    **dict.fromkeys(["AlignmentAnnotation", "Captions", "DenseCaptions", "merge_fragments", "read_dense_captions",
                     "read_howto100m_json", "read_htm_align", "read_subtitles", "write_howto100m_json",
                     "write_htm_align"], "captions"),
    **dict.fromkeys(["ClipBatch", "SamplerConfig", "iterate_batches", "sample_batch"], "sampling"),
    **dict.fromkeys(["FeatureStore", "FeatureStoreWriter"], "store"),
    **dict.fromkeys(["ShardedStore", "ShardWriter"], "shards"),
    **dict.fromkeys(["LoaderConfig", "ShardStream"], "loader"),
    **dict.fromkeys(["SyntheticConfig", "SyntheticDataset", "make_splits", "make_synthetic"], "synthetic"),
    **dict.fromkeys(["GroundTruth", "LongVideo", "VideoCollection", "load_feature_store", "save_feature_store"],
                    "videos"),
}
__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
