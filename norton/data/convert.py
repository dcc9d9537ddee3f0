"""`norton shards`: import HowTo100M's released layout or a folder store into a sharded store; describe a store.

HowTo100M's layout: one (T, D) `.npy` of features per video (S3D at 1 feature per second, anywhere under a
folder, named <video_id>.npy) and one caption JSON {video_id: {"start": [...], "end": [...], "text": [...]}}
(HowTo100M's caption.json / raw_caption.json, or the sentencified_htm_1200k.json Norton and TAN use). The JSON
is read as a stream (ijson), one video at a time: at 1.2 M videos it does not fit in memory as Python objects.

Videos are written in a shuffled order (a buffer of `shuffle_buffer` videos, seeded) so that a shard is not one
channel or one task; a bad video is skipped with a warning naming it and recorded in failed.jsonl. Captions are
fitted to the features' span (empty ones and those after the end dropped, ends clipped), and counted.
"""
from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from norton.data.captions import Captions, captions_from_entry
from norton.data.shards import DTYPES, ShardedStore, ShardWriter, is_sharded_store
from norton.data.store import FeatureStore, load_features

WARNINGS_SHOWN = 20  # bad videos named one by one; the rest are counted


@dataclass
class ImportSummary:
    """What an import did."""

    written: int = 0
    already: int = 0                 # in the store from an earlier (interrupted) import
    no_features: list[str] = field(default_factory=list)  # captioned videos without a features file
    failed: dict[str, str] = field(default_factory=dict)  # video id -> why it was skipped
    dropped_captions: int = 0        # empty, or starting after the features end
    clipped_captions: int = 0        # ending after the features end: the end set to it

    def report(self) -> str:
        lines = [f"written {self.written}, already in the store {self.already}, failed {len(self.failed)}, "
                 f"without a features file {len(self.no_features)}; captions dropped {self.dropped_captions} "
                 f"(empty or after the features end), clipped to the features end {self.clipped_captions}"]
        if self.no_features:
            lines.append(f"  without features (first 5): {', '.join(self.no_features[:5])}")
        return "\n".join(lines)


def feature_files(folder: str | os.PathLike) -> dict[str, Path]:
    """video id -> its .npy file, anywhere under `folder` (one directory walk)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"features folder not found: {folder}")
    found: dict[str, Path] = {}
    stack = [folder]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.name.endswith(".npy"):
                    found.setdefault(entry.name[:-4], Path(entry.path))
    return found


def stream_caption_json(path: str | os.PathLike) -> Iterator[tuple[str, object]]:
    """(video id, entry) of a {video_id: {start, end, text}} JSON file, read incrementally."""
    import ijson

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"caption JSON not found: {path}")
    with open(path, "rb") as handle:
        try:
            yield from ijson.kvitems(handle, "", use_float=True)
        except ijson.JSONError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from error


def shuffled(items: Iterator, buffer: int, seed: int) -> Iterator:
    """The items in a seeded random order, holding at most `buffer` of them (buffer <= 1: in order)."""
    rng = np.random.default_rng(seed)
    held: list = []
    for item in items:
        if len(held) < buffer:
            held.append(item)
            continue
        pick = int(rng.integers(len(held)))
        held[pick], item = item, held[pick]
        yield item
    rng.shuffle(held)
    yield from held


class Importer:
    """Writes videos into a sharded store, skipping (and naming) the bad ones."""

    def __init__(self, out: str | os.PathLike, *, encoder: str, fps: float, dtype: str, videos_per_shard: int):
        self.out, self.encoder, self.fps, self.dtype = out, encoder, fps, dtype
        self.videos_per_shard = videos_per_shard
        self.writer: ShardWriter | None = None  # opened at the first video: the feature dimension is its
        self.summary = ImportSummary()

    def open(self, feature_dim: int) -> ShardWriter:
        if self.writer is None:
            self.writer = ShardWriter(self.out, encoder=self.encoder, feature_dim=feature_dim, fps=self.fps,
                                      dtype=self.dtype, videos_per_shard=self.videos_per_shard)
        return self.writer

    def skip(self, video_id: str, reason: str) -> None:
        if len(self.summary.failed) < WARNINGS_SHOWN:
            warnings.warn(f"skipped video {video_id!r}: {reason}", stacklevel=2)
        self.summary.failed[video_id] = reason
        if self.writer is not None:
            self.writer.fail(video_id, reason)

    def add(self, video_id: str, features: np.ndarray | None, captions: Captions | None, source: str,
            error: str | None = None) -> None:
        if error is not None:
            return self.skip(video_id, error)
        writer = self.open(features.shape[1])
        if writer.done(video_id):
            self.summary.already += 1
            return
        if captions is not None:
            captions = self.fit(captions, features.shape[0] / self.fps)
        try:
            writer.write(video_id, features, captions=captions, source=source)
        except ValueError as error:
            return self.skip(video_id, str(error))
        self.summary.written += 1

    def fit(self, captions: Captions, duration: float) -> Captions:
        """The captions inside the features' span: empty ones and those starting after it dropped, ends clipped
        to it (ASR runs on the whole audio; features may stop a little earlier). Counted in the summary."""
        keep = [i for i, (start, text) in enumerate(zip(captions.start, captions.text))
                if isinstance(text, str) and text.strip() and start < duration]
        self.summary.dropped_captions += len(captions) - len(keep)
        kept = captions.select(keep)
        clipped = [min(end, duration) for end in kept.end]
        self.summary.clipped_captions += sum(end > duration for end in kept.end)
        return Captions(kept.start, clipped, kept.text)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def import_howto100m(features: str | os.PathLike, captions: str | os.PathLike, out: str | os.PathLike, *,
                     encoder: str = "s3d-howto100m", fps: float = 1.0, dtype: str = "float16",
                     videos_per_shard: int = 1024, shuffle_buffer: int = 10_000, seed: int = 0,
                     progress: bool = True) -> ImportSummary:
    """HowTo100M's per-video features + caption JSON -> a sharded store (resumable: written videos are kept)."""
    files = feature_files(features)
    importer = Importer(out, encoder=encoder, fps=fps, dtype=dtype, videos_per_shard=videos_per_shard)
    dim = ShardedStore(out).feature_dim if is_sharded_store(out) else None

    def videos():
        for video_id, entry in stream_caption_json(captions):
            path = files.get(video_id)
            if path is None:
                importer.summary.no_features.append(video_id)
                continue
            yield video_id, entry, path

    try:
        for video_id, entry, path in tqdm(shuffled(videos(), shuffle_buffer, seed), desc="importing", unit="video",
                                          disable=not progress):
            try:
                video_captions = captions_from_entry(entry, f"{captions}: video {video_id!r}")
                video_features = np.asarray(load_features(path, dim))  # (T, D), checked
            except ValueError as error:
                importer.add(video_id, None, None, str(path), error=str(error))
                continue
            dim = video_features.shape[1]
            importer.add(video_id, video_features, video_captions, str(path))
    finally:
        importer.close()
    return importer.summary


def import_folder_store(source: str | os.PathLike, out: str | os.PathLike, *, videos_per_shard: int = 1024,
                        dtype: str = "float16", progress: bool = True) -> ImportSummary:
    """A folder store (norton.data.store) -> a sharded store, in the folder store's order."""
    store = FeatureStore(source)
    importer = Importer(out, encoder=store.encoder or "unknown", fps=store.fps, dtype=dtype,
                        videos_per_shard=videos_per_shard)
    try:
        for video_id in tqdm(store.video_ids, desc="importing", unit="video", disable=not progress):
            try:
                features = np.asarray(store.features(video_id))
            except (ValueError, FileNotFoundError) as error:
                importer.add(video_id, None, None, "", error=str(error))
                continue
            source_file = store.manifest["videos"][video_id].get("source") or ""
            importer.add(video_id, features, store.captions(video_id), source_file)
    finally:
        importer.close()
    return importer.summary


def describe(root: str | os.PathLike) -> str:
    """A few lines about a sharded store."""
    store = ShardedStore(root)
    sizes = store.shard_sizes
    uncaptioned = sum(map(len, store.uncaptioned))
    return (f"{root}: {len(store)} videos ({store.index.get('seconds', 0)} s) in {len(sizes)} shards "
            f"({min(sizes, default=0)}-{max(sizes, default=0)} videos each); {store.feature_dim}-d {store.dtype} at "
            f"{store.fps:g} per second, encoder {store.encoder}; {uncaptioned} without captions; "
            f"{len(store.failed())} failed")


# --- command line ---------------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments of `norton shards`."""
    sub = parser.add_subparsers(dest="action", required=True)
    howto = sub.add_parser("import-howto100m", help="HowTo100M's per-video .npy features + caption JSON")
    howto.add_argument("--features", required=True, help="folder of <video_id>.npy (T, D) files (searched recursively)")
    howto.add_argument("--captions", required=True, help="caption JSON {video_id: {start, end, text}}")
    howto.add_argument("--encoder", default="s3d-howto100m", help="recorded in the index (default s3d-howto100m)")
    howto.add_argument("--shuffle-buffer", type=int, default=10_000,
                       help="videos held to shuffle the write order (default 10000; 1 keeps the JSON's order)")
    howto.add_argument("--seed", type=int, default=0)
    folder = sub.add_parser("import-store", help="a folder store (norton extract's default format)")
    folder.add_argument("--from", dest="source", required=True, help="the folder store")
    for command in (howto, folder):
        command.add_argument("--out", required=True, help="sharded store folder (created, or resumed)")
        command.add_argument("--videos-per-shard", type=int, default=1024)
        command.add_argument("--dtype", default="float16", choices=DTYPES)
    info = sub.add_parser("info", help="describe a sharded store")
    info.add_argument("store")


def run(args: argparse.Namespace) -> int:
    if args.action == "info":
        print(describe(args.store))
        return 0
    if args.action == "import-howto100m":
        summary = import_howto100m(args.features, args.captions, args.out, encoder=args.encoder, dtype=args.dtype,
                                   videos_per_shard=args.videos_per_shard, shuffle_buffer=args.shuffle_buffer,
                                   seed=args.seed)
    else:
        summary = import_folder_store(args.source, args.out, videos_per_shard=args.videos_per_shard, dtype=args.dtype)
    print(summary.report())
    if is_sharded_store(args.out):
        print(describe(args.out))
    return 0 if not summary.failed else 1
