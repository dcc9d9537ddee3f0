"""A training-free encoder for synthetic data: frames are their features, words their concept vectors."""
from __future__ import annotations

import numpy as np
import torch

from norton.data.sampling import ClipBatch
from norton.data.synthetic import SyntheticDataset
from norton.model import EncoderOutput
from norton.similarity import masked_mean


def oracle_encode(dataset: SyntheticDataset, batch: ClipBatch) -> EncoderOutput:
    """Token features of a synthetic batch without a model: what a perfectly trained encoder would see.

    Video tokens are the per-second features, text tokens the oracle word embeddings
    (`dataset.embed_words`); noise in the data (unalignable captions, asynchrony, irrelevant
    frames, fillers) stays in them, which is what the losses have to cope with.
    """
    words = [dataset.embed_words(text) for text in batch.captions]
    if any(len(w) == 0 for w in words):
        empty = next(i for i, w in enumerate(words) if len(w) == 0)
        raise ValueError(f"caption {empty} of the batch is empty")
    length = max(len(w) for w in words)
    text_tokens = np.zeros((len(words), length, dataset.feature_dim), np.float32)  # (N, W, D)
    text_mask = np.zeros((len(words), length), bool)
    for i, w in enumerate(words):
        text_tokens[i, :len(w)] = w
        text_mask[i, :len(w)] = True
    text_tokens, text_mask = torch.from_numpy(text_tokens), torch.from_numpy(text_mask)
    return EncoderOutput(
        video_tokens=batch.video_features, video_mask=batch.video_mask,
        text_tokens=text_tokens, text_mask=text_mask,
        pooled_video=masked_mean(batch.video_features, batch.video_mask),
        pooled_text=masked_mean(text_tokens, text_mask))
