"""`norton extract`: a folder of videos -> a feature store; failures recorded, resume, captions, workers."""
from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from norton import extract
from norton.data.captions import read_subtitles
from norton.data.store import FeatureStore
from norton.encoders import build_encoder
from videos_helpers import SRT, VTT, make_video


class CountingEncoder:
    """random-tiny that records which frames it was asked to encode, and can fail on demand."""

    def __init__(self, interrupt_after: int | None = None, fail_on_call: int | None = None):
        self.inner = build_encoder("random-tiny")
        self.name, self.feature_dim = self.inner.name, self.inner.feature_dim
        self.frames_per_second_needed = self.inner.frames_per_second_needed
        self.frame_size, self.seconds_per_batch = self.inner.frame_size, self.inner.seconds_per_batch
        self.calls = 0
        self.interrupt_after, self.fail_on_call = interrupt_after, fail_on_call

    def encode(self, frames, timestamps):
        if self.interrupt_after is not None and self.calls >= self.interrupt_after:
            raise KeyboardInterrupt("simulated interruption")
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("simulated encoder failure")
        return self.inner.encode(frames, timestamps)


@pytest.fixture
def video_dir(tmp_path):
    """good.mp4 (3 s, with .srt), other.mkv (2.5 s, MPEG-4), broken.mp4 (random bytes), notes.txt."""
    folder = tmp_path / "videos"
    folder.mkdir()
    make_video(folder / "good.mp4", num_frames=30, fps=10)
    (folder / "good.srt").write_text(SRT)
    make_video(folder / "other.mkv", num_frames=25, fps=10, codec="mpeg4")
    (folder / "broken.mp4").write_bytes(np.random.default_rng(0).bytes(3000))
    (folder / "notes.txt").write_text("not a video")
    return folder


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    extract.configure(parser)
    return extract.run(parser.parse_args(argv))


def test_cli_extracts_good_videos_and_records_the_broken_one(video_dir, tmp_path, capsys):
    out = tmp_path / "store"
    code = run_cli([str(video_dir), "--encoder", "random-tiny", "--out", str(out), "--workers", "2"])
    assert code == 1
    assert "failed broken" in capsys.readouterr().out
    store = FeatureStore(out)
    assert sorted(store.video_ids) == ["good", "other"]
    assert list(store.failed) == ["broken"] and str(video_dir / "broken.mp4") in store.failed["broken"]
    assert store.features("good").shape == (3, 32) and store.features("good").dtype == np.float16
    assert store.features("other").shape == (3, 32)  # 2.5 s -> seconds 0, 1, 2
    np.testing.assert_allclose(np.linalg.norm(store.features("good").astype(np.float32), axis=1), 1.0, atol=2e-3)
    expected = read_subtitles(video_dir / "good.srt")
    assert store.captions("good").text == expected.text and store.captions("good").start == expected.start
    assert store.captions("other") is None
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["encoder"] == "random-tiny" and manifest["videos"]["good"]["source"] == str(video_dir / "good.mp4")


def test_features_equal_a_direct_encoding(video_dir, tmp_path):
    from norton.encoders import encode_video

    extract.extract_features(video_dir, tmp_path / "store", "random-tiny", feature_dtype="float32", progress=False)
    direct = encode_video(build_encoder("random-tiny"), video_dir / "good.mp4")
    np.testing.assert_allclose(FeatureStore(tmp_path / "store").features("good"), direct, atol=1e-6)


def test_rerun_skips_finished_videos(video_dir, tmp_path):
    out = tmp_path / "store"
    first = extract.extract_features(video_dir, out, CountingEncoder(), progress=False)
    assert sorted(first.extracted) == ["good", "other"] and list(first.failed) == ["broken"]
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "features").glob("*.npy")}
    encoder = CountingEncoder()
    second = extract.extract_features(video_dir, out, encoder, progress=False)
    assert encoder.calls == 0  # only the broken video was retried, and it fails before encoding
    assert sorted(second.skipped) == ["good", "other"] and list(second.failed) == ["broken"]
    assert {p.name: p.stat().st_mtime_ns for p in (out / "features").glob("*.npy")} == mtimes


def test_interrupted_run_keeps_finished_videos_and_resumes(video_dir, tmp_path):
    (video_dir / "broken.mp4").unlink()
    out = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        extract.extract_features(video_dir, out, CountingEncoder(interrupt_after=1), workers=1, progress=False)
    assert FeatureStore(out).video_ids == ["good"]  # good.mp4 (one chunk) was written before the interruption
    encoder = CountingEncoder()
    summary = extract.extract_features(video_dir, out, encoder, workers=1, progress=False)
    assert summary.skipped == ["good"] and summary.extracted == ["other"] and encoder.calls == 1
    assert summary.ok


def test_an_encoder_error_fails_only_that_video(video_dir, tmp_path):
    summary = extract.extract_features(video_dir, tmp_path / "store", CountingEncoder(fail_on_call=2), workers=1,
                                       progress=False)
    assert summary.extracted == ["good"]
    assert summary.failed["other"] == "RuntimeError: simulated encoder failure"
    assert FeatureStore(tmp_path / "store").failed == summary.failed


def test_more_workers_give_the_same_features(video_dir, tmp_path):
    for name in ("a", "b", "c"):
        make_video(video_dir / f"{name}.mp4", num_frames=20 + 5 * len(name), fps=10)
    one = extract.extract_features(video_dir, tmp_path / "one", "random-tiny", workers=1, progress=False)
    three = extract.extract_features(video_dir, tmp_path / "three", "random-tiny", workers=3, progress=False)
    assert sorted(one.extracted) == sorted(three.extracted) == ["a", "b", "c", "good", "other"]
    for video_id in one.extracted:
        np.testing.assert_array_equal(FeatureStore(tmp_path / "one").features(video_id),
                                      FeatureStore(tmp_path / "three").features(video_id))


def test_vtt_fragments_are_merged_on_request(video_dir, tmp_path):
    (video_dir / "other.vtt").write_text(VTT)
    extract.extract_features(video_dir, tmp_path / "raw", "random-tiny", progress=False)
    extract.extract_features(video_dir, tmp_path / "merged", "random-tiny", merge_captions=True, progress=False)
    assert len(FeatureStore(tmp_path / "raw").captions("other")) == 2
    merged = FeatureStore(tmp_path / "merged").captions("other")
    assert merged.text == ["hello there general kenobi"] and (merged.start, merged.end) == ([0.5], [2.9])


def test_subtitles_beyond_the_video_fail_it_with_the_file_named(video_dir, tmp_path):
    (video_dir / "other.srt").write_text("1\n00:00:00,000 --> 00:01:00,000\ntoo long\n")
    summary = extract.extract_features(video_dir, tmp_path / "store", "random-tiny", progress=False)
    assert "other" in summary.failed and "other.srt" in summary.failed["other"]
    assert "other" not in FeatureStore(tmp_path / "store")


def test_duplicate_stems_fail_the_later_file_without_overwriting(video_dir, tmp_path):
    make_video(video_dir / "other.mov", num_frames=10, fps=10, codec="mpeg4")  # sorts after other.mkv
    summary = extract.extract_features(video_dir, tmp_path / "store", "random-tiny", progress=False)
    assert sorted(summary.extracted) == ["good", "other"]
    assert sorted(summary.failed) == ["broken", "other.mov"] and "already used" in summary.failed["other.mov"]
    assert FeatureStore(tmp_path / "store").features("other").shape == (3, 32)  # other.mkv's 2.5 s, not 1 s


def test_find_videos_and_usage_errors(video_dir, tmp_path, capsys):
    assert [job.path.name for job in extract.find_videos(video_dir)] == ["broken.mp4", "good.mp4", "other.mkv"]
    with pytest.raises(FileNotFoundError, match="nowhere"):
        extract.find_videos(tmp_path / "nowhere")
    out = tmp_path / "store"
    extract.extract_features(video_dir, out, "random-tiny", progress=False)
    from norton.cli import main

    code = main(["extract", str(video_dir), "--encoder", "hf:" + str(tmp_path / "no_model"), "--out", str(out)])
    assert code == 2 and capsys.readouterr().err.startswith("norton extract: error: ")
    with pytest.raises(ValueError, match="workers"):
        extract.extract_features(video_dir, out, "random-tiny", workers=0)
