"""Which on-disk format for the sharded store: Arrow IPC vs WebDataset tar vs the per-video folder.

(webdataset is not a dependency of norton: `pip install webdataset` to measure it too.)

Writes the same synthetic videos (T seconds x D features, float16, C captions each) in each format and
prints a table: write ms per video, open ms, random-access ms per video (what exact resume and
in-shard shuffling need), sequential ms per video, bytes per video.

    python benchmarks/store_formats.py --videos 2000
"""
from __future__ import annotations

import argparse
import io
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def synthetic_video(rng: np.random.Generator, index: int, seconds: int, dim: int, captions: int) -> dict:
    starts = np.sort(rng.uniform(0, seconds - 4, captions))
    return {"video_id": f"v{index:07d}", "features": rng.standard_normal((seconds, dim)).astype(np.float16),
            "start": starts.tolist(), "end": (starts + 3).tolist(),
            "text": [f"caption {k} of video {index} says a few more words" for k in range(captions)]}


def arrow_format(root: Path, videos: list[dict], per_shard: int) -> dict[str, float]:
    import pyarrow as pa

    from norton.data.shards import ShardedStore, ShardWriter
    from norton.data.captions import Captions

    begin = time.perf_counter()
    with ShardWriter(root, encoder="bench", feature_dim=videos[0]["features"].shape[1], videos_per_shard=per_shard) as writer:
        for video in videos:
            writer.write(video["video_id"], video["features"],
                         captions=Captions(video["start"], video["end"], video["text"]))
    write = time.perf_counter() - begin
    begin = time.perf_counter()
    store = ShardedStore(root)
    opened = time.perf_counter() - begin
    rng = np.random.default_rng(0)
    refs = [(s, r) for s, size in enumerate(store.shard_sizes) for r in range(size)]
    picks = rng.permutation(len(refs))[:500]
    begin = time.perf_counter()
    for pick in picks:
        video = store.video_at(*refs[pick])
        float(video.features[0, 0])
    random_ms = (time.perf_counter() - begin) / len(picks) * 1e3
    begin = time.perf_counter()
    for ref in refs:
        video = store.video_at(*ref)
        float(video.features[0, 0])
    sequential_ms = (time.perf_counter() - begin) / len(refs) * 1e3
    del pa
    return {"write": write, "open": opened, "random_ms": random_ms, "sequential_ms": sequential_ms}


def webdataset_format(root: Path, videos: list[dict], per_shard: int) -> dict[str, float]:
    import webdataset as wds

    root.mkdir(parents=True)
    begin = time.perf_counter()
    with wds.ShardWriter(str(root / "shard-%05d.tar"), maxcount=per_shard, verbose=0) as sink:
        for video in videos:
            buffer = io.BytesIO()
            np.save(buffer, video["features"])
            sink.write({"__key__": video["video_id"], "features.npy": buffer.getvalue(),
                        "captions.json": json.dumps({k: video[k] for k in ("start", "end", "text")}).encode()})
    write = time.perf_counter() - begin
    begin = time.perf_counter()
    shards = sorted(str(p) for p in root.glob("*.tar"))
    dataset = wds.WebDataset(shards, shardshuffle=False).decode()
    opened = time.perf_counter() - begin
    begin = time.perf_counter()
    count = 0
    for sample in dataset:
        float(sample["features.npy"][0, 0])
        count += 1
    sequential_ms = (time.perf_counter() - begin) / count * 1e3
    # a tar has no index: reaching video k of a shard means reading the k before it
    return {"write": write, "open": opened, "random_ms": sequential_ms * per_shard / 2, "sequential_ms": sequential_ms}


def folder_format(root: Path, videos: list[dict], per_shard: int) -> dict[str, float]:
    from norton.data.captions import Captions
    from norton.data.store import FeatureStore, FeatureStoreWriter

    count = min(len(videos), 500)  # every write rewrites the manifest and all captions: quadratic
    begin = time.perf_counter()
    with FeatureStoreWriter(root, encoder="bench", feature_dim=videos[0]["features"].shape[1]) as writer:
        for video in videos[:count]:
            writer.write(video["video_id"], video["features"],
                         captions=Captions(video["start"], video["end"], video["text"]))
    write = (time.perf_counter() - begin) * len(videos) / count
    begin = time.perf_counter()
    store = FeatureStore(root)
    store.all_captions()
    opened = time.perf_counter() - begin
    begin = time.perf_counter()
    for video_id in store.video_ids:
        float(store.features(video_id)[0, 0])
        store.captions(video_id)
    sequential_ms = (time.perf_counter() - begin) / len(store) * 1e3
    return {"write": write, "open": opened, "random_ms": sequential_ms, "sequential_ms": sequential_ms,
            "written": count, "note": f"measured on {count} videos (the write cost grows with the store)"}


def folder_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=100)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--captions", type=int, default=25)
    parser.add_argument("--per-shard", type=int, default=500)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    videos = [synthetic_video(rng, i, args.seconds, args.dim, args.captions) for i in range(args.videos)]
    print(f"{args.videos} videos, T={args.seconds}, D={args.dim} float16, {args.captions} captions, "
          f"{args.per_shard} videos per shard\n")
    print("| format | write ms/video | open ms | random access ms/video | sequential ms/video | KB/video | note |")
    print("|---|---|---|---|---|---|---|")
    work = Path(tempfile.mkdtemp(prefix="norton-formats-"))
    try:
        for name, bench in (("Arrow IPC (norton.data.shards)", arrow_format), ("WebDataset tar", webdataset_format),
                            ("per-video folder (norton.data.store)", folder_format)):
            root = work / name.split()[0]
            try:
                result = bench(root, videos, args.per_shard)
            except ImportError as error:  # webdataset is not a dependency of norton
                print(f"| {name} | | | | | | not measured: {error} (pip install webdataset) |")
                continue
            print(f"| {name} | {result['write'] / args.videos * 1e3:.3f} | {result['open'] * 1e3:.1f} | "
                  f"{result['random_ms']:.3f} | {result['sequential_ms']:.3f} | "
                  f"{folder_bytes(root) / result.get('written', args.videos) / 1024:.1f} | {result.get('note', '')} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
