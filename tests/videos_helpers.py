"""Small synthetic videos and subtitle files for the video, encoder and extract tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np

SRT = """1
00:00:00,000 --> 00:00:01,200
first we take

2
00:00:01,300 --> 00:00:02,500
the red tomato.
"""

VTT = """WEBVTT

00:00:00.500 --> 00:00:01.500
hello <b>there</b>

00:00:01.600 --> 00:00:02.900
general kenobi
"""


def synthetic_frame(index: int, width: int, height: int) -> np.ndarray:
    """(H, W, 3) uint8 that encodes `index` (< 128): red (index % 32) * 8, blue (index // 32) * 64,
    a green gradient and a white square moving right along the top."""
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = (index % 32) * 8
    image[..., 2] = (index // 32) * 64
    image[..., 1] = np.linspace(0, 120, width).astype(np.uint8)[None, :]
    side = max(4, height // 5)
    left = (index * 2) % max(1, width - side)
    image[1 : 1 + side, left : left + side] = 255
    return image


def decoded_indices(frames: np.ndarray) -> np.ndarray:
    """(n,) the index each synthetic frame encodes, read from the bottom-left quarter (no square there)."""
    h, w = frames.shape[1:3]
    corner = frames[:, h // 2 :, : w // 4].reshape(len(frames), -1, 3).astype(np.float64)
    red, blue = np.median(corner[..., 0], axis=1), np.median(corner[..., 2], axis=1)
    return (np.round(red / 8) + 32 * np.round(blue / 64)).astype(np.int64)


def make_video(path: str | Path, *, num_frames: int = 30, fps: int = 10, width: int = 64, height: int = 48,
               codec: str = "libx264") -> Path:
    """Write a synthetic video with PyAV (H.264 or MPEG-4) whose frame i encodes i (see decoded_indices)."""
    import av

    path = Path(path)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "10", "preset": "ultrafast"}
        else:
            stream.bit_rate = 4_000_000
        for index in range(num_frames):
            frame = av.VideoFrame.from_ndarray(synthetic_frame(index, width, height), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_broken_files(folder: str | Path, good_video: Path) -> dict[str, Path]:
    """A truncated copy of `good_video`, a zero-length file and a file of random bytes."""
    folder = Path(folder)
    data = good_video.read_bytes()
    files = {
        "truncated": folder / "truncated.mp4",
        "empty": folder / "empty.mp4",
        "random": folder / "random.mkv",
    }
    files["truncated"].write_bytes(data[: len(data) // 2])
    files["empty"].write_bytes(b"")
    files["random"].write_bytes(np.random.default_rng(0).bytes(4096))
    return files
