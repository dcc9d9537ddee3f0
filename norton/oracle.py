"""Training-free encoders: synthetic frames are their features and words their concept vectors; the how-to
testbed's frames are MiniLM sentence embeddings and its words MiniLM's token states."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from norton.data.howto import HowToDataset
from norton.data.sampling import ClipBatch
from norton.data.synthetic import SyntheticDataset
from norton.similarity import masked_mean

if TYPE_CHECKING:
    from norton.model import EncoderOutput   # norton.model imports transformers (3 s): only when encoding

TextEncoder = Callable[[list[str]], tuple[Tensor, Tensor]]  # captions -> tokens (n, W, D), mask (n, W) bool


def pad_tokens(rows: Sequence[np.ndarray], dim: int) -> tuple[Tensor, Tensor]:
    """Per-caption (W_i, D) token arrays -> zero-padded (n, W, D) float32 tokens and (n, W) bool mask."""
    for i, row in enumerate(rows):
        if len(row) == 0:
            raise ValueError(f"caption {i} is empty")
    tokens = torch.zeros(len(rows), max(len(row) for row in rows), dim)
    mask = torch.zeros(tokens.shape[:2], dtype=torch.bool)
    for i, row in enumerate(rows):
        tokens[i, :len(row)] = torch.from_numpy(np.asarray(row, dtype=np.float32))
        mask[i, :len(row)] = True
    return tokens, mask


def oracle_text_encoder(dataset: SyntheticDataset) -> TextEncoder:
    """Captions -> padded oracle word embeddings of a SyntheticDataset (`dataset.embed_words`)."""
    return lambda captions: pad_tokens([dataset.embed_words(text) for text in captions], dataset.feature_dim)


def minilm_text_encoder(embedder=None) -> TextEncoder:
    """Captions -> padded MiniLM token states (norton.data.embeddings): their mean is the sentence embedding.

    With these tokens and one-second clips the explorer's mean similarity is the sentence-embedding
    cosine the how-to testbed's features are made for, and the soft maximum sees real words.
    """
    if embedder is None:
        from norton.data.embeddings import SentenceEmbedder
        embedder = SentenceEmbedder(progress=False)
    return lambda captions: pad_tokens(embedder.token_embeddings(captions), 384)


def text_encoder_for(dataset) -> TextEncoder:
    """The training-free text encoder that matches a dataset's features (synthetic or how-to testbed)."""
    if isinstance(dataset, HowToDataset):
        return minilm_text_encoder()
    if isinstance(dataset, SyntheticDataset):
        return oracle_text_encoder(dataset)
    raise ValueError(f"dataset: expected a SyntheticDataset or HowToDataset, got {type(dataset).__name__}")


def oracle_encode(dataset: SyntheticDataset | HowToDataset, batch: ClipBatch,
                  encode_text: TextEncoder | None = None) -> EncoderOutput:
    """Token features of a batch without a model: what a perfectly trained encoder would see.

    Video tokens are the per-second features, text tokens the oracle word embeddings
    (`dataset.embed_words`) of synthetic data or MiniLM's token states for the how-to testbed;
    noise in the data (unalignable captions, asynchrony, irrelevant frames, fillers) stays in them,
    which is what the losses have to cope with.
    """
    from norton.model import EncoderOutput

    text_tokens, text_mask = (encode_text or text_encoder_for(dataset))(list(batch.captions))
    return EncoderOutput(
        video_tokens=batch.video_features, video_mask=batch.video_mask,
        text_tokens=text_tokens, text_mask=text_mask,
        pooled_video=masked_mean(batch.video_features, batch.video_mask),
        pooled_text=masked_mean(text_tokens, text_mask))
