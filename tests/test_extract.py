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
    from norton.encoders import encode_video_file

    extract.extract_features(video_dir, tmp_path / "store", "random-tiny", feature_dtype="float32", progress=False)
    direct = encode_video_file(build_encoder("random-tiny"), video_dir / "good.mp4")
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


# --- progress in seconds, chunks, resuming inside a video -----------------------------------------


class RecordingBar:
    """Stands in for tqdm: records the total, the updates and the postfixes."""

    made: list[RecordingBar] = []

    def __init__(self, *, total, desc, unit, disable):
        self.total, self.unit, self.disable = total, unit, disable
        self.updates: list[int] = []
        self.postfixes: list[str] = []
        RecordingBar.made.append(self)

    def update(self, n):
        self.updates.append(n)

    def set_postfix_str(self, text, refresh=True):
        self.postfixes.append(text)

    def refresh(self):
        pass

    def close(self):
        pass


@pytest.fixture
def bars(monkeypatch):
    RecordingBar.made = []
    monkeypatch.setattr(extract, "tqdm", RecordingBar)
    return RecordingBar.made


def test_progress_counts_seconds_of_video(video_dir, tmp_path, bars):
    make_video(video_dir / "long.mp4", num_frames=100, fps=10)  # 10 s: chunks of 3, 3, 3 and 1 s
    summary = extract.extract_features(video_dir, tmp_path / "store", "random-tiny", chunk_seconds=3)
    assert sorted(summary.extracted) == ["good", "long", "other"] and list(summary.failed) == ["broken"]
    (bar,) = bars
    assert bar.unit == "s" and not bar.disable
    assert bar.total == 3 + 10 + 3  # probed durations; the broken file counts for nothing
    assert sum(bar.updates) == bar.total and max(bar.updates) <= 3  # one update per encoded batch
    assert any(text.startswith("long ") for text in bar.postfixes) and "long 10/10 s" in bar.postfixes
    extract.extract_features(video_dir, tmp_path / "quiet", "random-tiny", progress=False)
    assert bars[1].disable


@pytest.fixture
def long_dir(tmp_path):
    folder = tmp_path / "long_videos"
    folder.mkdir()
    make_video(folder / "long.mp4", num_frames=100, fps=10)  # 10 s: chunks [0, 3), [3, 6), [6, 9), [9, 10)
    return folder


def partial_dir(store):
    return store / "features" / "long.partial"


@pytest.mark.parametrize("backend", ["decord", "av"] if extract.videolib.decord_available() else ["av"])
def test_interrupted_video_resumes_at_its_first_unfinished_chunk(long_dir, tmp_path, backend):
    whole = tmp_path / "whole"
    extract.extract_features(long_dir, whole, "random-tiny", chunk_seconds=3, backend=backend,
                             feature_dtype="float32", progress=False)
    out = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):  # random-tiny encodes a 3 s chunk in one call: 2 chunks finish
        extract.extract_features(long_dir, out, CountingEncoder(interrupt_after=2), chunk_seconds=3,
                                 backend=backend, feature_dtype="float32", progress=False)
    assert "long" not in FeatureStore(out)
    assert sorted(p.name for p in partial_dir(out).iterdir()) == ["00000.npy", "00001.npy", "state.json"]
    encoder = CountingEncoder()
    summary = extract.extract_features(long_dir, out, encoder, chunk_seconds=3, backend=backend,
                                       feature_dtype="float32", progress=False)
    assert summary.extracted == ["long"] and summary.resumed == {"long": 6} and not summary.warnings
    assert encoder.calls == 2  # chunks [6, 9) and [9, 10) only
    np.testing.assert_array_equal(FeatureStore(out).features("long"), FeatureStore(whole).features("long"))
    assert not partial_dir(out).exists() and not list(out.rglob("*.tmp*"))


def test_interrupted_s3d_resumes_bit_identically(tmp_path):
    import torch

    from norton import s3d
    from norton.encoders import S3DEncoder

    folder = tmp_path / "videos"
    folder.mkdir()
    make_video(folder / "long.mp4", num_frames=105, fps=30, width=40, height=32)  # 3.5 s: chunks of 2 and 2 s
    torch.manual_seed(0)
    model = s3d.S3DG().eval()

    class Counting(S3DEncoder):
        calls, interrupt_after = 0, None

        def encode(self, frames, timestamps):
            if self.interrupt_after is not None and self.calls >= self.interrupt_after:
                raise KeyboardInterrupt("simulated interruption")
            self.calls += 1
            return super().encode(frames, timestamps)

    def encoder(interrupt_after=None):
        made = Counting(model, name="s3d:test", frame_size=32, seconds_per_batch=1)
        made.interrupt_after = interrupt_after
        return made

    options = dict(chunk_seconds=2, feature_dtype="float32", progress=False)
    extract.extract_features(folder, tmp_path / "whole", encoder(), **options)
    with pytest.raises(KeyboardInterrupt):  # 1-second batches: chunk 0 finishes, chunk 1 is half done
        extract.extract_features(folder, tmp_path / "store", encoder(interrupt_after=3), **options)
    resumed = encoder()
    summary = extract.extract_features(folder, tmp_path / "store", resumed, **options)
    assert summary.resumed == {"long": 2} and resumed.calls == 2  # seconds 2 and 3 (half a second, padded)
    np.testing.assert_array_equal(FeatureStore(tmp_path / "store").features("long"),
                                  FeatureStore(tmp_path / "whole").features("long"))


def test_a_corrupt_partial_chunk_is_redone_with_a_warning_naming_it(long_dir, tmp_path, capsys):
    whole = tmp_path / "whole"
    extract.extract_features(long_dir, whole, "random-tiny", chunk_seconds=3, feature_dtype="float32",
                             progress=False)
    out = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        extract.extract_features(long_dir, out, CountingEncoder(interrupt_after=2), chunk_seconds=3,
                                 feature_dtype="float32", progress=False)
    corrupt = partial_dir(out) / "00001.npy"
    corrupt.write_bytes(corrupt.read_bytes()[:50])  # a disk that lost the end of the file
    (partial_dir(out) / ".00002.npy.tmp-123").write_bytes(b"half a chunk")  # a kill during a write
    encoder = CountingEncoder()
    summary = extract.extract_features(long_dir, out, encoder, chunk_seconds=3, feature_dtype="float32",
                                       progress=False)
    (note,) = summary.warnings["long"]
    assert str(corrupt) in note and "redoing it" in note
    assert summary.resumed == {"long": 3} and encoder.calls == 3  # chunk 0 kept; 1, 2 and 3 encoded
    np.testing.assert_array_equal(FeatureStore(out).features("long"), FeatureStore(whole).features("long"))
    assert not partial_dir(out).exists()


def test_partial_chunks_of_other_settings_or_an_edited_video_are_discarded(long_dir, tmp_path):
    out = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt):
        extract.extract_features(long_dir, out, CountingEncoder(interrupt_after=2), chunk_seconds=3,
                                 progress=False)
    encoder = CountingEncoder()
    summary = extract.extract_features(long_dir, out, encoder, chunk_seconds=4, progress=False)
    (note,) = summary.warnings["long"]
    assert str(partial_dir(out)) in note and "chunk_seconds 3 != 4" in note
    assert not summary.resumed and encoder.calls == 3  # 10 s in chunks of 4, 4 and 2 s, all encoded

    with pytest.raises(KeyboardInterrupt):
        extract.extract_features(long_dir, tmp_path / "again", CountingEncoder(interrupt_after=1), chunk_seconds=3,
                                 progress=False)
    make_video(long_dir / "long.mp4", num_frames=90, fps=10)  # the file is replaced (9 s)
    summary = extract.extract_features(long_dir, tmp_path / "again", "random-tiny", chunk_seconds=3,
                                       progress=False)
    assert "discarded" in summary.warnings["long"][0] and not summary.resumed
    assert FeatureStore(tmp_path / "again").features("long").shape == (9, 32)


def test_a_finished_video_has_no_partial_state_left(long_dir, tmp_path):
    out = tmp_path / "store"
    extract.extract_features(long_dir, out, "random-tiny", chunk_seconds=3, progress=False)
    assert sorted(p.name for p in (out / "features").iterdir()) == ["long.npy"]
    partial_dir(out).mkdir()  # as left by a kill after the features were written, before the chunks went
    (partial_dir(out) / "00000.npy").write_bytes(b"old")
    summary = extract.extract_features(long_dir, out, "random-tiny", chunk_seconds=3, progress=False)
    assert summary.skipped == ["long"] and not partial_dir(out).exists()


def test_bad_chunk_seconds(long_dir, tmp_path):
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="chunk_seconds"):
            extract.extract_features(long_dir, tmp_path / "store", "random-tiny", chunk_seconds=bad)


def test_chunk_plan_splits_whole_seconds():
    plan = extract.plan_chunks(10.0, 2, 3)
    assert plan.rows == [3, 3, 3, 1] and plan.num_seconds == 10
    np.testing.assert_allclose(plan.chunk_times(1), [3.0, 3.5, 4.0, 4.5, 5.0, 5.5])
    np.testing.assert_array_equal(plan.seconds[3], [9])
    assert extract.plan_chunks(2.5, 1, 60).rows == [3]
    assert extract.plan_chunks(0.0, 1, 60).rows == []


def test_a_sharded_store_holds_what_a_folder_store_holds_and_resumes(video_dir, tmp_path, capsys):
    from norton.data.shards import ShardedStore

    extract.extract_features(video_dir, tmp_path / "folder", "random-tiny", progress=False)
    code = run_cli([str(video_dir), "--encoder", "random-tiny", "--out", str(tmp_path / "shards"), "--format", "shards",
                    "--videos-per-shard", "1"])
    assert code == 1 and "failed broken" in capsys.readouterr().out
    folder, shards = FeatureStore(tmp_path / "folder"), ShardedStore(tmp_path / "shards")
    assert shards.shard_sizes == [1, 1] and sorted(shards.video_ids) == sorted(folder.video_ids) == ["good", "other"]
    for video_id in folder.video_ids:
        np.testing.assert_array_equal(shards.by_id(video_id).features, folder.features(video_id))
    assert shards.by_id("good").captions == folder.captions("good") and len(shards.by_id("other").captions) == 0
    uncaptioned = [shards.video_at(shard, row).video_id for shard, rows in enumerate(shards.uncaptioned) for row in rows]
    assert uncaptioned == ["other"]  # it has no subtitles: the index says so, so training never draws it
    assert list(shards.failed()) == ["broken"]
    encoder = CountingEncoder()
    again = extract.extract_features(video_dir, tmp_path / "shards", encoder, store_format="shards", progress=False)
    assert sorted(again.skipped) == ["good", "other"] and encoder.calls == 0
    assert ShardedStore(tmp_path / "shards").shard_sizes == [1, 1]


def test_an_interrupted_sharded_extraction_keeps_the_finished_videos(video_dir, tmp_path):
    from norton.data.shards import ShardedStore

    (video_dir / "broken.mp4").unlink()
    out = tmp_path / "shards"
    with pytest.raises(KeyboardInterrupt):
        extract.extract_features(video_dir, out, CountingEncoder(interrupt_after=1), workers=1, store_format="shards",
                                 progress=False)
    assert ShardedStore(out).video_ids == ["good"]
    summary = extract.extract_features(video_dir, out, CountingEncoder(), workers=1, store_format="shards",
                                       progress=False)
    assert summary.skipped == ["good"] and summary.extracted == ["other"]
    assert ShardedStore(out).video_ids == ["good", "other"]
    with pytest.raises(ValueError, match="store_format must be one of"):
        extract.extract_features(video_dir, out, "random-tiny", store_format="tar", progress=False)
