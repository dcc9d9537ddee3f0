"""Frame sampling: counts, timestamps, which frame is read, backends agree, windows, chunks, errors."""
from __future__ import annotations

import numpy as np
import pytest

from norton import decode as video
from videos_helpers import decoded_indices, make_broken_files, make_video

BACKENDS = ["decord", "av"] if video.decord_available() else ["av"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """3 s at 10 fps 64x48 H.264 (.mp4), the same in MPEG-4 (.mkv), and 10 s at 10 fps (for seeking)."""
    folder = tmp_path_factory.mktemp("videos")
    return {
        "h264": make_video(folder / "h264.mp4"),
        "mpeg4": make_video(folder / "mpeg4.mkv", codec="mpeg4"),
        "long": make_video(folder / "long.mp4", num_frames=100),
    }


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["h264", "mpeg4"])
def test_probe_reports_known_metadata(clips, kind, backend):
    info = video.probe(clips[kind], backend=backend)
    assert (info.num_frames, info.width, info.height, info.backend) == (30, 64, 48, backend)
    assert info.fps == pytest.approx(10.0)
    assert info.duration == pytest.approx(3.0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["h264", "mpeg4"])
def test_one_fps_reads_the_first_frame_of_each_second(clips, kind, backend):
    batch = video.read_frames(clips[kind], fps=1, backend=backend)
    np.testing.assert_allclose(batch.timestamps, [0.0, 1.0, 2.0])
    assert batch.frames.shape == (3, 48, 64, 3) and batch.frames.dtype == np.uint8
    np.testing.assert_array_equal(decoded_indices(batch.frames), [0, 10, 20])


@pytest.mark.parametrize("backend", BACKENDS)
def test_fractional_rate_picks_the_frame_shown_at_each_time(clips, backend):
    batch = video.read_frames(clips["h264"], fps=4, backend=backend)
    times = np.arange(12) / 4  # 0 .. 2.75 s, all before the 3 s end
    np.testing.assert_allclose(batch.timestamps, times)
    np.testing.assert_array_equal(decoded_indices(batch.frames), np.floor(times * 10).astype(int))


def test_sample_times_grid_and_window():
    np.testing.assert_allclose(video.sample_times(3.0, 1.0), [0, 1, 2])
    np.testing.assert_allclose(video.sample_times(3.5, 1.0), [0, 1, 2, 3])
    np.testing.assert_allclose(video.sample_times(10.0, 2.0, start=1.2, end=3.0), [1.5, 2.0, 2.5])
    assert video.sample_times(3.0, 1.0, start=3.0).size == 0
    with pytest.raises(ValueError, match="fps"):
        video.sample_times(3.0, 0.0)
    with pytest.raises(ValueError, match="start"):
        video.sample_times(3.0, 1.0, start=2.0, end=1.0)


@pytest.mark.skipif(len(BACKENDS) < 2, reason="decord is not installed")
@pytest.mark.parametrize("kind", ["h264", "mpeg4"])
@pytest.mark.parametrize("resize", [None, 32])
def test_decord_and_pyav_agree(clips, kind, resize):
    by_decord = video.read_frames(clips[kind], fps=3, resize=resize, backend="decord")
    by_av = video.read_frames(clips[kind], fps=3, resize=resize, backend="av")
    np.testing.assert_array_equal(by_decord.timestamps, by_av.timestamps)
    assert by_decord.frames.shape == by_av.frames.shape
    difference = np.abs(by_decord.frames.astype(np.int16) - by_av.frames.astype(np.int16))
    assert difference.mean() < (1.0 if resize is None else 3.0)  # scalers differ a little when resizing


@pytest.mark.parametrize("backend", BACKENDS)
def test_chunks_are_bounded_and_concatenate_to_the_whole(clips, backend):
    batches = list(video.iter_frames(clips["h264"], fps=10, batch_size=4, backend=backend))
    assert [len(b.frames) for b in batches] == [4] * 7 + [2]
    assert all(len(b.timestamps) == len(b.frames) for b in batches)
    frames = np.concatenate([b.frames for b in batches])
    np.testing.assert_array_equal(decoded_indices(frames), np.arange(30))


@pytest.mark.parametrize("backend", BACKENDS)
def test_window_is_a_subset_of_the_full_sampling(clips, backend):
    """Windows use the same k / fps grid; a late window makes PyAV seek."""
    full = video.read_frames(clips["long"], fps=2, backend=backend)
    window = video.read_frames(clips["long"], fps=2, start=6.2, end=8.0, backend=backend)
    np.testing.assert_allclose(window.timestamps, [6.5, 7.0, 7.5])
    rows = np.searchsorted(full.timestamps, window.timestamps)
    np.testing.assert_array_equal(decoded_indices(window.frames), [65, 70, 75])
    np.testing.assert_array_equal(decoded_indices(window.frames), decoded_indices(full.frames[rows]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_resize_on_decode(clips, backend):
    short_side = video.read_frames(clips["h264"], fps=1, resize=24, backend=backend)
    assert short_side.frames.shape == (3, 24, 32, 3)
    np.testing.assert_array_equal(decoded_indices(short_side.frames), [0, 10, 20])
    exact = video.read_frames(clips["h264"], fps=1, resize=(20, 40), backend=backend)
    assert exact.frames.shape == (3, 20, 40, 3)


def test_output_size():
    assert video.output_size(480, 640, 240) == (240, 320)
    assert video.output_size(640, 480, 240) == (320, 240)
    assert video.output_size(48, 64, (10, 20)) == (10, 20)
    assert video.output_size(48, 64, None) == (48, 64)
    with pytest.raises(ValueError, match="resize"):
        video.output_size(48, 64, 0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_thumbnails_are_small_and_spread_over_the_video(clips, backend):
    thumbs = video.thumbnails(clips["h264"], 3, height=24, backend=backend)
    np.testing.assert_allclose(thumbs.timestamps, [0.5, 1.5, 2.5])
    assert thumbs.frames.shape == (3, 24, 32, 3) and thumbs.frames.dtype == np.uint8
    np.testing.assert_array_equal(decoded_indices(thumbs.frames), [5, 15, 25])


@pytest.mark.parametrize("backend", BACKENDS)
def test_broken_files_raise_video_errors_naming_the_file(clips, tmp_path, backend):
    for kind, path in make_broken_files(tmp_path, clips["h264"]).items():
        with pytest.raises(video.VideoError, match=str(path)):
            video.probe(path, backend=backend)
        with pytest.raises(video.VideoError, match=str(path)):
            list(video.iter_frames(path, backend=backend))
    missing = tmp_path / "missing.mp4"
    with pytest.raises(FileNotFoundError, match=str(missing)) as caught:
        video.probe(missing, backend=backend)
    assert isinstance(caught.value, video.VideoError)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_cut_mkv_is_reported_as_truncated(clips, tmp_path, backend):
    """Matroska keeps its header at the front: half the bytes still open, with half the frames."""
    whole = make_video(tmp_path / "whole.mkv", num_frames=100, codec="mpeg4")
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(video.VideoError, match="truncated"):
        list(video.iter_frames(cut, backend=backend))


def test_bad_arguments(clips):
    with pytest.raises(ValueError, match="backend"):
        video.probe(clips["h264"], backend="ffmpeg")
    with pytest.raises(ValueError, match="batch_size"):
        list(video.iter_frames(clips["h264"], batch_size=0))
    with pytest.raises(ValueError, match="ascending"):
        list(video.iter_frames_at(clips["h264"], [1.0, 0.5]))


def test_auto_backend_falls_back_to_pyav(monkeypatch):
    monkeypatch.setattr(video, "decord_available", lambda: False)
    assert video.resolve_backend("auto") == "av"
    with pytest.raises(ImportError, match="decord"):
        video.resolve_backend("decord")


@pytest.mark.parametrize("backend", BACKENDS)
def test_frame_reader_calls_do_not_depend_on_the_calls_before(clips, backend):
    """Reading a video chunk by chunk with one reader gives what fresh readers give, chunk for chunk."""
    times = video.sample_times(10.0, 10)
    chunks = [times[:30], times[30:60], times[60:]]
    with video.FrameReader(clips["long"], resize=32, backend=backend) as reader:
        together = [np.concatenate([b.frames for b in reader.frames_at(chunk, batch_size=7)]) for chunk in chunks]
    for chunk, frames in zip(chunks[::-1], together[::-1]):
        alone = video.read_frames(clips["long"], fps=10, start=chunk[0], end=chunk[-1] + 0.05, resize=32,
                                  backend=backend)
        np.testing.assert_array_equal(frames, alone.frames)
    np.testing.assert_array_equal(decoded_indices(np.concatenate(together)), np.arange(100))


def test_decord_is_rewound_after_every_batch(clips, monkeypatch):
    """decord keeps decoding ahead into memory after get_batch (dmlc/decord#208) unless rewound."""
    calls = []

    class Reader:
        def get_avg_fps(self):
            return 10.0

        def __len__(self):
            return 30

        def get_batch(self, indices):
            calls.append(("get_batch", len(indices)))
            return type("Batch", (), {"asnumpy": lambda self: np.zeros((len(indices), 4, 4, 3), np.uint8)})()

        def seek(self, index):
            calls.append(("seek", index))

    pytest.importorskip("decord")
    batches = list(video._iter_decord(clips["h264"], Reader(), np.arange(30) / 10, 12))
    assert [len(b.frames) for b in batches] == [12, 12, 6]
    assert calls == [("get_batch", 12), ("seek", 0), ("get_batch", 12), ("seek", 0), ("get_batch", 6), ("seek", 0)]
