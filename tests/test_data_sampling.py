"""Clip-caption sampling: time order, window and clip lengths, K-grouping, seeding, ground truth."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from norton.data.captions import Captions
from norton.data.sampling import ClipDraw, SamplerConfig, aligned_fraction, iterate_batches, sample_video
from norton.data.synthetic import SyntheticConfig, make_synthetic
from norton.data.videos import GroundTruth, LongVideo

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def dataset():
    return make_synthetic(SyntheticConfig(num_videos=24, seed=3))


def word_counts(video) -> list[int]:
    return [len(text.split()) for text in video.captions.text]


def test_config_errors():
    with pytest.raises(ValueError, match="multiple of clips_per_sequence"):
        SamplerConfig(clips_per_video=12, clips_per_sequence=8)
    with pytest.raises(ValueError, match="min_words"):
        SamplerConfig(min_words=10, max_words=5)
    with pytest.raises(ValueError, match="min_clip_seconds"):
        SamplerConfig(min_clip_seconds=0)


def test_draws_are_sorted_and_windows_and_clips_in_range(dataset):
    config = SamplerConfig()
    rng = np.random.default_rng(0)
    for video in dataset:
        draws = sample_video(video, config, rng)
        assert len(draws) == 16
        keys = [(d.caption_start, d.clip_start, d.caption_end, d.clip_end) for d in draws]
        assert keys == sorted(keys)
        words = word_counts(video)
        num_rows = video.features.shape[0]
        for d in draws:
            count = sum(words[d.first_caption:d.last_caption + 1])
            whole_video = d.first_caption == 0 and d.last_caption == len(words) - 1
            assert count >= config.min_words or whole_video
            if d.last_caption > d.first_caption:  # the last caption added sits at one end of the window
                assert count - max(words[d.first_caption], words[d.last_caption]) < config.max_words
            assert d.caption_start == min(video.captions.start[d.first_caption:d.last_caption + 1])
            assert d.caption_end == max(video.captions.end[d.first_caption:d.last_caption + 1])
            assert 0 <= d.clip_start < d.clip_end <= num_rows
            assert config.min_clip_seconds <= d.clip_end - d.clip_start <= config.max_clip_seconds
            # the clip grows around a second inside the caption window's span
            assert d.clip_start < max(math.ceil(d.caption_end), math.floor(d.caption_start) + 1)
            assert d.clip_end > min(math.floor(d.caption_start), num_rows - 1)


def test_window_and_clip_lengths_cover_their_ranges(dataset):
    config = SamplerConfig(min_clip_seconds=3, max_clip_seconds=6)
    rng = np.random.default_rng(1)
    lengths = {d.clip_end - d.clip_start for video in dataset for d in sample_video(video, config, rng)}
    assert lengths == {3, 4, 5, 6}


def test_batch_layout_and_features(dataset):
    config = SamplerConfig(clips_per_video=16, clips_per_sequence=8, videos_per_batch=5, shuffle=False)
    batch = next(iterate_batches(dataset.videos, config, seed=0))
    n = 5 * 16
    assert batch.video_features.shape == (n, 16, 32) and batch.video_features.dtype == torch.float32
    assert batch.video_mask.shape == (n, 16) and batch.video_mask.dtype == torch.bool
    assert len(batch.captions) == n == len(batch)
    assert batch.video_index.tolist() == [v for v in range(5) for _ in range(16)]  # video-major
    assert batch.video_ids == [dataset[v].video_id for v in range(5)]
    assert batch.sequence_index.tolist() == [i // 8 for i in range(n)]
    for i in range(n):
        video = dataset[int(batch.video_index[i])]
        start, end = int(batch.clip_start[i]), int(batch.clip_end[i])
        length = int(batch.video_mask[i].sum())
        assert length == end - start and batch.video_mask[i, :length].all()
        np.testing.assert_array_equal(batch.video_features[i, :length].numpy(), video.features[start:end])
        assert not batch.video_features[i, length:].any()  # zero padding
        assert batch.captions[i] in " ".join(video.captions.text)
    for v in range(5):  # time order inside each video
        rows = slice(16 * v, 16 * v + 16)
        starts = batch.caption_start[rows].tolist()
        assert starts == sorted(starts)
    assert batch.aligned is not None and ((batch.aligned >= 0) & (batch.aligned <= 1)).all()
    moved = batch.to("cpu")
    assert torch.equal(moved.video_features, batch.video_features) and moved.captions == batch.captions


def test_epochs_seeds_and_drop_last(dataset):
    config = SamplerConfig(videos_per_batch=5, clips_per_video=8)
    batches = list(iterate_batches(dataset.videos, config, seed=7, epochs=2))
    assert len(batches) == 2 * 5  # 24 videos -> 4 full batches and one of 4 videos, per epoch
    assert len(batches[4]) == 4 * 8
    for epoch in (batches[:5], batches[5:]):  # every video once per epoch
        assert sorted(i for b in epoch for i in b.video_index[::8].tolist()) == list(range(24))
    again = list(iterate_batches(dataset.videos, config, seed=7, epochs=2))
    for a, b in zip(batches, again):
        assert a.captions == b.captions and torch.equal(a.video_features, b.video_features)
    other = next(iterate_batches(dataset.videos, config, seed=8))
    assert other.captions != batches[0].captions
    dropped = list(iterate_batches(dataset.videos, replace(config, drop_last=True), seed=7))
    assert len(dropped) == 4 and all(len(b) == 40 for b in dropped)
    with pytest.raises(ValueError, match="no videos"):
        next(iterate_batches([], config))


def test_short_video_and_video_without_truth():
    video = LongVideo("short", np.ones((2, 4), np.float32), Captions([0.0], [2.0], ["a b"]))
    batch = next(iterate_batches([video], SamplerConfig(videos_per_batch=1), seed=0))
    assert batch.video_mask.sum(dim=1).tolist() == [2] * 16  # clips cut to the whole video
    assert batch.captions == ["a b"] * 16
    assert batch.aligned is None
    empty = LongVideo("empty", np.ones((5, 4), np.float32), Captions())
    with pytest.raises(ValueError, match="'empty' has no captions"):
        next(iterate_batches([empty], SamplerConfig(videos_per_batch=1)))


def test_aligned_fraction_by_concepts_and_by_spans():
    labels = np.array([-1, 0, 0, 0, 1, 1, 2, 2, -1, -1])  # (T,)
    truth = GroundTruth(alignable=np.array([True, False, True]), start=np.array([1.0, 0.0, 4.0]),
                        end=np.array([4.0, 2.0, 6.0]), caption_concept=np.array([0, -1, 1]),
                        second_concept=labels)
    video = LongVideo("v", np.zeros((10, 2), np.float32), Captions([1.0, 1.5, 4.0], [4.0, 2.0, 6.0], ["a", "b", "c"]),
                      truth)
    # window = captions 0..1 (concept 0 and an unalignable one), clip = seconds 2..5 -> labels 0, 0, 1, 1
    assert aligned_fraction(video, ClipDraw(0, 1, 1.0, 4.0, 2, 6)) == pytest.approx(0.5)
    # window = captions 0..2 (concepts 0 and 1), clip = seconds 0..9 -> 5 of 10 seconds
    assert aligned_fraction(video, ClipDraw(0, 2, 1.0, 6.0, 0, 10)) == pytest.approx(0.5)
    assert aligned_fraction(video, ClipDraw(1, 1, 1.5, 2.0, 0, 10)) == 0.0
    # without per-second labels (HTM-Align): second centres inside the alignable captions' spans
    spans = LongVideo("w", video.features, video.captions, GroundTruth(truth.alignable, truth.start, truth.end))
    # clip rows 0..5 have centres 0.5 .. 5.5; spans [1, 4] and [4, 6] cover 1.5 .. 5.5 -> 5 of 6
    assert aligned_fraction(spans, ClipDraw(0, 2, 1.0, 6.0, 0, 6)) == pytest.approx(5 / 6)


def test_aligned_is_higher_on_clean_data():
    clean = make_synthetic(SyntheticConfig(num_videos=16, async_std=0.0, unalignable_rate=0.0,
                                           irrelevant_rate=0.0, unnarrated_rate=0.0, background_seconds=(0, 0)))
    noisy = make_synthetic(SyntheticConfig(num_videos=16, async_std=4.0, unalignable_rate=0.5,
                                           irrelevant_rate=0.4, unnarrated_rate=0.4))
    config = SamplerConfig(videos_per_batch=16)
    clean_batch = next(iterate_batches(clean.videos, config, seed=0))
    noisy_batch = next(iterate_batches(noisy.videos, config, seed=0))
    assert clean_batch.aligned.min() > 0  # each clip overlaps the steps its window narrates
    assert clean_batch.aligned.mean() > noisy_batch.aligned.mean() + 0.2
