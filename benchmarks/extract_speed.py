"""Cost of `norton extract` per encoder: wall and CPU seconds per minute of video and peak RSS, on synthetic
videos of 2 and 10 minutes (320x240, 30 fps, H.264, made once with PyAV and kept in --video-dir).

    python benchmarks/extract_speed.py [--minutes 2 10] [--encoders random-tiny s3d] [--s3d-size 224]
                                       [--video-dir /tmp/norton_bench_videos] [--chunk-seconds 60] [--label after]
    python benchmarks/extract_speed.py --s3d-steps    # S3D-G's CPU speed-ups one by one (forward per window)

Every case runs in a fresh process (peak RSS is a per-process high-water mark) with 1 torch thread and one
decoding worker. "s3d" is S3D-G with random weights (seed 0): the HowTo100M weights cost the same.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def machine() -> str:
    """CPU model, cores, memory, load, torch version and thread count."""
    import torch

    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB, load {load}; {platform.platform()}; "
            f"python {platform.python_version()}, torch {torch.__version__}")


def make_video(folder: Path, minutes: float) -> Path:
    """folder/bench.mp4, a moving-gradient 320x240 30 fps H.264 video (made once)."""
    from decode_speed import write_test_video

    path = folder / "bench.mp4"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / ".bench.tmp.mp4"
        write_test_video(partial, round(minutes * 60))
        partial.rename(path)
    return path


def build(encoder: str, s3d_size: int):
    """The encoder object to benchmark."""
    import torch

    from norton.encoders import S3DEncoder, build_encoder

    if encoder == "s3d":
        from norton.s3d import S3DG

        torch.manual_seed(0)
        return S3DEncoder(S3DG().eval(), name="s3d:random", frame_size=s3d_size)
    return build_encoder(encoder)


def child(args: argparse.Namespace) -> None:
    """One case: extract one video into a fresh store, print a JSON line of costs."""
    import torch

    from norton import extract

    torch.set_num_threads(1)
    encoder = build(args.encoder, args.s3d_size)
    rss_ready = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    options = dict(workers=1, progress=False, feature_dtype="float32")
    if "chunk_seconds" in inspect.signature(extract.extract_features).parameters:
        options["chunk_seconds"] = args.chunk_seconds
    with tempfile.TemporaryDirectory() as out:
        cpu, wall = time.process_time(), time.perf_counter()
        summary = extract.extract_features(args.video_folder, Path(out) / "store", encoder, **options)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert summary.ok and summary.extracted, summary
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_ready_mb": rss_ready,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "chunked": "chunk_seconds" in options}))


def s3d_steps(size: int, repeats: int = 2) -> None:
    """Seconds per 1-second window of S3D-G on CPU, one speed-up after another (2 windows per forward)."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from norton import s3d
    from norton.encoders import ImagePreprocess, S3DEncoder

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = s3d.S3DG().eval()
    frames = np.random.default_rng(0).integers(0, 256, (60, size, round(size * 4 / 3), 3), dtype=np.uint8)
    times = np.arange(60) / 30

    def old_clips():  # the float pipeline before: every frame to float, resized (no-op), cropped, masked per second
        pixels = ImagePreprocess((size, size), size, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))(frames)
        seconds = np.floor(times + 1e-9).astype(np.int64)
        clips = torch.zeros(2, 3, 30, size, size)
        for row, second in enumerate(np.unique(seconds)):
            members = pixels[torch.as_tensor(seconds == second)][:30]
            clips[row, :, : len(members)] = members.transpose(0, 1)
        return clips

    def best(run) -> float:
        run()
        times_taken = []
        for _ in range(repeats):
            start = time.perf_counter()
            run()
            times_taken.append(time.perf_counter() - start)
        return min(times_taken) / 2

    encoder = S3DEncoder(model, name="s3d:random", frame_size=size, optimize=False)
    fast = s3d.optimize_for_inference(model)
    clips_cl = encoder.clips(frames, times)[1]
    torch_pool = s3d.max_pool3d
    rows = [("preprocess: float resize/crop/mask (before)", best(old_clips)),
            ("preprocess: uint8 crop, one float conversion", best(lambda: encoder.clips(frames, times)))]
    with torch.inference_mode():
        s3d.max_pool3d = lambda x, k, st, p=(0, 0, 0), ceil_mode=False: F.max_pool3d(x, k, st, p, ceil_mode=ceil_mode)
        try:
            rows.append(("S3D-G, F.max_pool3d (before)", best(lambda: model(clips_cl.contiguous()))))
        finally:
            s3d.max_pool3d = torch_pool
        rows.append(("+ separable exact max-pools", best(lambda: model(clips_cl.contiguous()))))
        rows.append(("+ BN folded, channels-last, 1x1/3x1x1 convs as GEMM", best(lambda: fast(clips_cl))))
    print(f"S3D-G steps at {size} px, 1 torch thread, best of {repeats}; machine: {machine()}")
    print(f"| {'step':52} | {'s per window':>12} |")
    print(f"|{'-' * 54}|{'-' * 14}|")
    for name, seconds in rows:
        print(f"| {name:52} | {seconds:12.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[2, 10])
    parser.add_argument("--encoders", nargs="+", default=["random-tiny", "s3d"])
    parser.add_argument("--s3d-size", type=int, default=224, help="S3D crop size (default 224, as released)")
    parser.add_argument("--chunk-seconds", type=int, default=60, help="chunk length, where extraction has chunks")
    parser.add_argument("--video-dir", default=os.path.join(tempfile.gettempdir(), "norton_bench_videos"))
    parser.add_argument("--label", default="", help="a name for this run in the table (e.g. before, after)")
    parser.add_argument("--s3d-steps", action="store_true", help="time S3D-G's speed-ups one by one, then exit")
    parser.add_argument("--child", nargs=2, metavar=("ENCODER", "VIDEO_FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.encoder, args.video_folder = args.child
        child(args)
        return
    if args.s3d_steps:
        s3d_steps(args.s3d_size)
        return
    print("command: python " + " ".join([sys.argv[0], *sys.argv[1:]]))
    print("machine: " + machine())
    print("videos: synthetic 320x240, 30 fps, H.264 (PyAV, x264 veryfast); 1 torch thread, 1 decoding worker; "
          f"s3d crop {args.s3d_size} px, random weights; video in {args.video_dir}")
    rows = []
    for minutes in args.minutes:
        folder = make_video(Path(args.video_dir) / f"{minutes:g}min", minutes).parent
        for encoder in args.encoders:
            command = [sys.executable, __file__, "--child", encoder, str(folder), "--s3d-size", str(args.s3d_size),
                       "--chunk-seconds", str(args.chunk_seconds)]
            result = subprocess.run(command, capture_output=True, text=True)
            if result.returncode != 0:
                sys.exit(f"{encoder} on {minutes:g} min failed:\n{result.stderr}")
            costs = json.loads(result.stdout.strip().splitlines()[-1])
            rows.append((encoder, minutes, costs))
            print(f"  done {encoder} {minutes:g} min: {costs}", flush=True)
    label = args.label
    print(f"| {'run':6} | {'encoder':11} | {'video':>6} | {'wall s / video-min':>18} | {'CPU s / video-min':>17} | "
          f"{'RSS ready MB':>12} | {'peak RSS MB':>11} |")
    print(f"|{'-' * 8}|{'-' * 13}|{'-' * 8}|{'-' * 20}|{'-' * 19}|{'-' * 14}|{'-' * 13}|")
    for encoder, minutes, costs in rows:
        print(f"| {label:6} | {encoder:11} | {minutes:4g} m | {costs['wall'] / minutes:18.1f} | "
              f"{costs['cpu'] / minutes:17.1f} | {costs['rss_ready_mb']:12.0f} | {costs['peak_rss_mb']:11.0f} |")


if __name__ == "__main__":
    main()
