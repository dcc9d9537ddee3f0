"""The narrated how-to testbed: its ground truth agrees with its script, its noise knobs do what they say."""
from __future__ import annotations

import zlib

import numpy as np
import pytest

from norton.data.howto_grammar import TASKS
from norton.data.howto import (
    ALIGNABLE_KINDS,
    CAPTION_KINDS,
    NOISE_LEVELS,
    HowToConfig,
    make_howto,
    howto_config,
)


def hashed_embed(texts):
    """A fast stand-in for MiniLM: a fixed random unit vector per sentence."""
    rows = [np.random.default_rng(zlib.crc32(t.encode())).normal(size=64) for t in texts]
    rows = np.array(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def testbed():
    return make_howto(HowToConfig(num_videos=30, seed=5), embed=hashed_embed)


def test_ground_truth_agrees_with_the_script(testbed):
    kinds_seen, step_share = set(), []
    for video in testbed.videos:
        script, truth = testbed.scripts[video.video_id], video.truth
        n = len(video.captions)
        assert video.features.shape == (script.duration, 64) and len(script.second_step) == script.duration
        np.testing.assert_allclose(np.linalg.norm(video.features, axis=1), 1, atol=1e-5)
        starts, ends = np.array(video.captions.start), np.array(video.captions.end)
        assert (np.diff(starts) >= 0).all() and (starts >= 0).all() and (ends <= script.duration).all()
        assert (ends > starts).all()
        kinds = testbed.kinds(video)
        kinds_seen |= set(kinds)
        assert set(kinds) <= set(CAPTION_KINDS) and len(kinds) == n
        np.testing.assert_array_equal(truth.alignable, np.isin(kinds, ALIGNABLE_KINDS))
        np.testing.assert_array_equal(truth.second_concept, script.second_step)
        for i in range(n):
            step = script.caption_step[i]
            if truth.alignable[i]:  # a shown step: the true span is where it is shown
                assert (truth.start[i], truth.end[i]) == script.step_spans[step]
                span = script.second_step[int(truth.start[i]):int(truth.end[i])]
                assert np.isin(span, [step, -1]).all()  # the step, or a background shot inside it
                step_share.append((span == step).mean())
                assert truth.caption_concept[i] == step
            else:  # nothing shown: the true span is the ASR span, as HTM-Align annotates it
                assert (truth.start[i], truth.end[i]) == (starts[i], ends[i]) and truth.caption_concept[i] == -1
                if kinds[i] == "unshown":
                    assert step >= 0 and step not in script.step_spans
        task = next(t for t in TASKS if t.name == script.task)
        shown_steps = sorted(script.step_spans)
        starts_of_steps = [script.step_spans[s][0] for s in shown_steps]
        assert starts_of_steps == sorted(starts_of_steps)  # steps are shown in the task's order
        assert all(0 <= s < len(task.steps) for s in shown_steps)
        # features: each second is nearest to the description it shows (noise is small against unit vectors)
        vectors = hashed_embed(script.shown)
        nearest = (video.features @ vectors.T).argmax(axis=1)
        assert (nearest == script.second_shown).mean() > 0.9
    assert kinds_seen == set(CAPTION_KINDS)
    assert np.mean(step_share) > 0.9  # background_shot_rate = 0.05


def test_seeded_and_independent_of_the_number_of_videos():
    small = make_howto(HowToConfig(num_videos=2, seed=1), embed=hashed_embed)
    large = make_howto(HowToConfig(num_videos=4, seed=1), embed=hashed_embed)
    for a, b in zip(small.videos, large.videos):
        assert a.video_id == b.video_id and a.captions.text == b.captions.text
        np.testing.assert_array_equal(a.features, b.features)
    other = make_howto(HowToConfig(num_videos=2, seed=2), embed=hashed_embed)
    assert other.videos[0].captions.text != small.videos[0].captions.text


def test_noise_knobs_change_what_they_name():
    def shares(**changes):
        data = make_howto(HowToConfig(num_videos=40, seed=3, **changes), embed=hashed_embed)
        kinds = np.concatenate([data.kinds(v) for v in data.videos])
        shifts = [abs((np.array(v.captions.start) + np.array(v.captions.end)) / 2 - (v.truth.start + v.truth.end) / 2)
                  [data.kinds(v) == "step"] for v in data.videos]
        return {k: float((kinds == k).mean()) for k in CAPTION_KINDS}, float(np.median(np.concatenate(shifts)))

    clean, clean_shift = shares(unshown_rate=0, recap_rate=0, remark_rate=0, off_topic_rate=0, other_video_rate=0,
                                narration_shift_std=0.0, narration_lead=0.0)
    assert clean["step"] == 1.0
    noisy, noisy_shift = shares(off_topic_rate=0.4, other_video_rate=0.2, narration_shift_std=20.0)
    assert noisy["off_topic"] == pytest.approx(0.4, abs=0.06) and noisy["other_video"] == pytest.approx(0.2, abs=0.05)
    assert noisy_shift > clean_shift + 5


def test_default_testbed_on_minilm_is_realistic_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("NORTON_CACHE", str(tmp_path))
    data = make_howto(howto_config("mid", num_videos=3))
    assert data.feature_dim == 384
    inside, outside = [], []
    for video in data.videos:
        sim = data.similarity(video)
        for i in np.flatnonzero(video.truth.alignable):
            span = np.zeros(sim.shape[1], dtype=bool)
            span[int(video.truth.start[i]):int(video.truth.end[i])] = True
            inside.append(sim[i, span].mean())
            outside.append(sim[i, ~span].mean())
    # a narration is more similar to the seconds that show its step than to the rest of the video
    assert np.mean(inside) > np.mean(outside) + 0.1
    assert (tmp_path / "embeddings").is_dir()  # sentence embeddings were cached on disk


def test_bad_configs_name_the_field():
    for changes, match in ((dict(step_seconds=(10, 5)), "step_seconds"), (dict(unshown_rate=1.5), "unshown_rate"),
                           (dict(off_topic_rate=0.7, other_video_rate=0.4), "off_topic_rate"),
                           (dict(domains=("knitting",)), "domains"), (dict(noise_correlation=1.0), "noise_correlation"),
                           (dict(feature_noise=-1.0), "feature_noise")):
        with pytest.raises(ValueError, match=match):
            HowToConfig(**changes)
    with pytest.raises(ValueError, match="noise"):
        howto_config("extreme")
    assert set(NOISE_LEVELS) == {"low", "mid", "high"} and howto_config("mid") == HowToConfig()


def test_a_testbed_from_dense_caption_annotations(tmp_path):
    import json

    from norton.data import read_dense_captions
    from norton.data.howto import howto_from_annotations

    steps = {f"v{k}": {"duration": 60.0 + k, "timestamps": [[2.0, 12.5], [10.0, 30.0], [40.0, 59.0]],
                       "sentences": [f"video {k} step one", f"video {k} step two", f"video {k} step three"]}
             for k in range(3)}
    path = tmp_path / "dense.json"
    path.write_text(json.dumps(steps))
    data = howto_from_annotations(read_dense_captions(path), howto_config(other_video_rate=0.5, seed=1),
                                  embed=hashed_embed)
    assert [v.video_id for v in data.videos] == ["v0", "v1", "v2"]
    for k, video in enumerate(data.videos):
        kinds, truth = data.kinds(video), video.truth
        assert (kinds == "step").sum() == 3 and set(kinds) <= {"step", "other_video"}
        assert (kinds == "other_video").sum() == 3  # half the captions are distractors
        for i in np.flatnonzero(kinds == "other_video"):
            assert not video.captions.text[i].startswith(f"video {k} ")  # taken from the other videos
        steps_here = sorted(zip(truth.start[truth.alignable], video.captions.select(
            list(np.flatnonzero(truth.alignable))).text))
        assert steps_here == [(2.0, f"video {k} step one"), (10.0, f"video {k} step two"),
                              (40.0, f"video {k} step three")]
        script = data.scripts[video.video_id]
        assert script.duration == 60 + k
        # the later of two overlapping steps is shown where they overlap; seconds between steps are background
        assert script.second_step[11] == 1 and script.second_step[5] == 0 and script.second_step[35] == -1
        nearest = (video.features @ hashed_embed(script.shown).T).argmax(axis=1)
        assert (nearest == script.second_shown).mean() > 0.9
    with pytest.raises(ValueError, match="at least one video"):
        howto_from_annotations({})
