"""Sentence embeddings with the shipped all-MiniLM-L6-v2: recipe, order, duplicates, disk cache, bad inputs."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from norton.data import embeddings as E
from norton.data.embeddings import SentenceEmbedder, embed_sentences

ONION = "a person slices an onion with a knife"
TEXTS = [ONION, "chopping onions", "subscribe to my channel", "now we boil the pasta in salted water for ten minutes"]


@pytest.fixture(scope="module")
def loaded():
    """The tokenizer and model, loaded once for the module."""
    embedder = SentenceEmbedder(cache=False, progress=False)
    embedder.load_model()
    return embedder.tokenizer, embedder.model


@pytest.fixture
def make(tmp_path, loaded):
    """A factory of embedders caching under tmp_path and sharing the module's loaded model."""
    def factory(**kw) -> SentenceEmbedder:
        embedder = SentenceEmbedder(tmp_path, progress=False, **kw)
        embedder.tokenizer, embedder.model = loaded
        return embedder
    return factory


def direct(text: str, loaded) -> np.ndarray:
    """Reference: transformers forward of one text, mean over the attention mask, L2-normalised."""
    tokenizer, model = loaded
    batch = tokenizer([text], truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    return F.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1)[0].numpy()


def test_shapes_dtype_norms_and_empty(make):
    embedder = make()
    vectors = embedder.embed(TEXTS)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    empty = embedder.embed([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


def test_matches_direct_transformers_computation(make, loaded):
    # batch_size=3 with texts of different lengths: padding and length sorting must not change a row
    vectors = make(batch_size=3, cache=False).embed(TEXTS)
    for text, vector in zip(TEXTS, vectors):
        np.testing.assert_allclose(vector, direct(text, loaded), atol=1e-5)


def test_order_preserved_duplicates_consistent(make, loaded, monkeypatch):
    embedder = make(batch_size=2, cache=False)
    seen = []
    compute = embedder._compute
    monkeypatch.setattr(embedder, "_compute", lambda texts, *a: seen.extend(texts) or compute(texts, *a))
    texts = ["chopping onions", ONION, "chopping onions", "subscribe to my channel", ONION]
    vectors = embedder.embed(texts)
    assert sorted(seen) == sorted(set(texts))  # each distinct text computed once
    np.testing.assert_array_equal(vectors[0], vectors[2])
    np.testing.assert_array_equal(vectors[1], vectors[4])
    reversed_vectors = embedder.embed(texts[::-1])
    np.testing.assert_allclose(reversed_vectors[::-1], vectors, atol=1e-6)
    np.testing.assert_allclose(vectors[3], direct("subscribe to my channel", loaded), atol=1e-5)


def test_semantic_sanity(make):
    onion, chopping, subscribe = make().embed([ONION, "chopping onions", "subscribe to my channel"])
    assert onion @ chopping > onion @ subscribe + 0.2


def test_cache_serves_known_texts_without_the_model(make, tmp_path, monkeypatch):
    embedder = make()
    first = embedder.embed(TEXTS[:2])
    assert embedder.cache_path.is_file()
    assert embedder.cache_path.parent == tmp_path / "embeddings" / "all-MiniLM-L6-v2"
    assert not list(embedder.cache_dir.glob(".*tmp*"))  # the atomic write left no temporary file

    def broken(*args, **kwargs):
        raise AssertionError("the model ran on a cached text")

    monkeypatch.setattr(embedder.model, "forward", broken)
    np.testing.assert_array_equal(embedder.embed(TEXTS[1::-1]), first[::-1])
    with pytest.raises(AssertionError, match="cached text"):  # a new text does need the model
        embedder.embed([TEXTS[2]])
    monkeypatch.undo()

    more = embedder.embed(TEXTS)  # adds the two new texts to the file
    fresh = SentenceEmbedder(tmp_path, progress=False)  # a new embedder reads the file, never loads a model
    monkeypatch.setattr(fresh, "load_model", broken)
    np.testing.assert_array_equal(fresh.embed(TEXTS[::-1]), more[::-1])
    assert fresh.model is None
    with np.load(fresh.cache_path) as data:
        assert sorted(data["keys"]) == sorted(E.text_key(t) for t in TEXTS)
        assert data["vectors"].shape == (4, 384) and data["vectors"].dtype == np.float32


def test_cache_merges_entries_written_by_another_embedder(make):
    one, two = make(), make()
    a = one.embed([TEXTS[0]])
    two.embed([TEXTS[1]])  # two read the file holding TEXTS[0] ...
    one.embed([TEXTS[2]])  # ... and one must not drop TEXTS[1] that two wrote meanwhile
    with np.load(one.cache_path) as data:
        assert sorted(data["keys"]) == sorted(E.text_key(t) for t in TEXTS[:3])
    np.testing.assert_array_equal(make().embed([TEXTS[0]]), a)


def test_corrupt_cache_warns_and_recomputes(make, loaded):
    embedder = make()
    embedder.cache_dir.mkdir(parents=True)
    embedder.cache_path.write_bytes(b"this is not a zip file")
    with pytest.warns(UserWarning, match="cache.npz"):
        vectors = embedder.embed([ONION])
    np.testing.assert_allclose(vectors[0], direct(ONION, loaded), atol=1e-5)
    with np.load(embedder.cache_path) as data:  # rewritten as a good cache
        assert list(data["keys"]) == [E.text_key(ONION)]
    np.savez(embedder.cache_path, keys=np.array(["x" * 40]), vectors=np.zeros((2, 384), np.float32))
    with pytest.warns(UserWarning, match="do not match"):
        assert make().embed([ONION]).shape == (1, 384)


def test_no_cache_writes_nothing(make, tmp_path):
    make(cache=False).embed([ONION])
    assert not (tmp_path / "embeddings").exists()


def test_default_cache_dir_and_shared_embedder(tmp_path, monkeypatch, loaded):
    monkeypatch.setenv("NORTON_CACHE", str(tmp_path / "root"))
    assert SentenceEmbedder().cache_path == tmp_path / "root" / "embeddings" / "all-MiniLM-L6-v2" / "cache.npz"
    monkeypatch.setattr(E, "_SHARED", {})
    loads = []

    def load_model(self):
        loads.append(self)
        if self.model is None:
            self.tokenizer, self.model = loaded

    monkeypatch.setattr(SentenceEmbedder, "load_model", load_model)
    first = embed_sentences([ONION], progress=False)
    second = embed_sentences([ONION, "chopping onions"], progress=False, batch_size=1)
    assert len(E._SHARED) == 1 and len({id(e) for e in loads}) == 1  # one embedder, one model
    np.testing.assert_array_equal(second[0], first[0])
    assert (tmp_path / "root" / "embeddings" / "all-MiniLM-L6-v2" / "cache.npz").is_file()


@pytest.mark.parametrize("texts, index", [
    (["fine", ""], 1), (["   \n"], 0), (["a", "b", None], 2), ([3], 0), (["ok", b"bytes"], 1),
])
def test_bad_inputs_name_the_index(make, texts, index):
    embedder = make()
    with pytest.raises(ValueError, match=rf"texts\[{index}\]"):
        embedder.embed(texts)
    assert not embedder.cache_path.exists()


def test_a_single_string_is_refused(make):
    with pytest.raises(TypeError, match="single string"):
        make().embed("chopping onions")


def test_token_states_average_to_the_sentence_embedding_and_feed_the_explorer(make):
    from norton.explore import VideoTokens, mean_similarity, video_similarity
    from norton.oracle import minilm_text_encoder

    embedder = make()
    texts = ["a person slices an onion", "stir the soup"]
    states = embedder.token_embeddings(texts)
    labels = embedder.token_strings(texts[0])
    assert [s.shape for s in states] == [(len(labels), 384), (len(embedder.token_strings(texts[1])), 384)]
    assert labels[0] == "[CLS]" and labels[-1] == "[SEP]" and "onion" in labels
    means = np.stack([s.mean(0) / np.linalg.norm(s.mean(0)) for s in states])
    np.testing.assert_allclose(means, embedder.embed(texts), atol=1e-5)
    tokens, mask = minilm_text_encoder(embedder)(texts)
    assert tokens.shape == (2, len(labels), 384) and mask.sum(1).tolist() == [len(s) for s in states]
    frames = torch.from_numpy(embedder.embed(["an onion is sliced on a board", "a pot of soup is stirred"]))
    video = VideoTokens("v", texts, tokens, mask, frames[:, None], torch.ones(2, 1, dtype=torch.bool),
                        np.array([[0.0, 1], [1, 2]]), np.array([[0.0, 1], [1, 2]]))
    # one frame per clip: the explorer's mean similarity is the sentence-embedding cosine
    np.testing.assert_allclose(mean_similarity(video).numpy(), embedder.embed(texts) @ frames.numpy().T, atol=1e-5)
    assert np.allclose(video_similarity(video, kind="mean"), mean_similarity(video).numpy())
    fused = video_similarity(video, kind="fused")
    expected = (0.5 * video_similarity(video, kind="mean") + video_similarity(video, kind="fine")) / 1.5
    np.testing.assert_allclose(fused, expected, atol=1e-6)
    with pytest.raises(ValueError, match="kind"):
        video_similarity(video, kind="max")


def test_loading_the_model_prints_nothing(tmp_path, capfd):
    from transformers.utils import logging as hf_logging

    SentenceEmbedder(tmp_path, progress=False).load_model()
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    assert hf_logging.is_progress_bar_enabled()  # the global setting is restored
