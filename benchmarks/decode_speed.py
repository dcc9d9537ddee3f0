"""Seconds of video processed per wall-clock second at 1 fps on CPU: decord vs PyAV, decode alone and
decode plus the random-tiny encoder. Makes its own test video (default 60 s, 320x240, 30 fps, H.264).

    python benchmarks/decode_speed.py [--seconds 60] [--repeats 3]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from norton import decode as video
from norton.encoders import build_encoder, encode_video_file


def write_test_video(path: Path, seconds: int, width: int = 320, height: int = 240, fps: int = 30) -> Path:
    """A moving-gradient H.264 video with PyAV."""
    import av

    x = np.linspace(0, 255, width)[None, :]
    y = np.linspace(0, 255, height)[:, None]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "veryfast"}
        for index in range(seconds * fps):
            shift = 4 * index
            image = np.stack([(x + shift) % 256 + 0 * y, (y + shift) % 256 + 0 * x, ((x + y) / 2 + shift) % 256], -1)
            frame = av.VideoFrame.from_ndarray(image.astype(np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def best_time(run, repeats: int) -> float:
    """Shortest wall time of `repeats` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    backends = ["decord", "av"] if video.decord_available() else ["av"]
    encoder = build_encoder("random-tiny")
    with tempfile.TemporaryDirectory() as folder:
        path = write_test_video(Path(folder) / "bench.mp4", args.seconds)
        duration = video.probe(path).duration
        rows = []
        for backend in backends:
            cases = {
                "decode 1 fps, full size": lambda: [b for b in video.iter_frames(path, fps=1, backend=backend)],
                "decode 1 fps, resize 224": lambda: [
                    b for b in video.iter_frames(path, fps=1, resize=224, backend=backend)],
                "decode + random-tiny": lambda: encode_video_file(encoder, path, backend=backend),
            }
            for case, run in cases.items():
                seconds = best_time(run, args.repeats)
                rows.append((backend, case, seconds, duration / seconds))
    print(f"video: {duration:.0f} s, 320x240, 30 fps, H.264; 1 torch thread; best of {args.repeats}")
    print(f"| {'backend':8} | {'case':26} | {'wall s':>7} | {'video s / s':>11} |")
    print(f"|{'-' * 10}|{'-' * 28}|{'-' * 9}|{'-' * 13}|")
    for backend, case, seconds, speed in rows:
        print(f"| {backend:8} | {case:26} | {seconds:7.2f} | {speed:11.1f} |")


if __name__ == "__main__":
    main()
