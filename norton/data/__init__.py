"""Data: caption formats, the feature store, video records, synthetic noisy videos and clip sampling."""
from __future__ import annotations

from norton.data.captions import (
    AlignmentAnnotation,
    Captions,
    DenseCaptions,
    merge_fragments,
    read_dense_captions,
    read_howto100m_json,
    read_htm_align,
    read_subtitles,
    write_howto100m_json,
    write_htm_align,
)
from norton.data.sampling import ClipBatch, SamplerConfig, iterate_batches, sample_batch
from norton.data.store import FeatureStore, FeatureStoreWriter
from norton.data.synthetic import SyntheticConfig, SyntheticDataset, make_splits, make_synthetic
from norton.data.videos import GroundTruth, LongVideo, VideoCollection, load_feature_store, save_feature_store

__all__ = [
    "AlignmentAnnotation", "Captions", "DenseCaptions", "merge_fragments", "read_dense_captions",
    "read_howto100m_json", "read_htm_align",
    "read_subtitles", "write_howto100m_json", "write_htm_align", "FeatureStore", "FeatureStoreWriter",
    "GroundTruth", "LongVideo", "VideoCollection", "load_feature_store", "save_feature_store",
    "SyntheticConfig", "SyntheticDataset", "make_synthetic", "make_splits",
    "ClipBatch", "SamplerConfig", "iterate_batches", "sample_batch",
]
