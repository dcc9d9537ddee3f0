"""Feature store: a folder of per-video (T, D) feature arrays, a manifest and HowTo100M captions."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import numpy as np

from norton.data.captions import Captions, load_json, read_howto100m_json, write_howto100m_json, write_json_atomic
from norton.files import atomic_write

FORMAT = "norton-feature-store"
VERSION = 1
MANIFEST = "manifest.json"
CAPTIONS = "captions.json"
FEATURES = "features"
PARTIAL_SUFFIX = ".partial"  # FEATURES/<video id>.partial/: finished chunks of a video not yet complete
PARTIAL_STATE = "state.json"


def check_video_id(video_id: str) -> str:
    """Return `video_id` if it is usable as a file name, else raise ValueError."""
    if not isinstance(video_id, str) or not video_id or video_id in (".", "..") or "/" in video_id or "\\" in video_id:
        raise ValueError(f"video_id must be a non-empty string without path separators, got {video_id!r}")
    return video_id


def read_manifest(root: Path) -> dict:
    """Load and check ROOT/manifest.json."""
    path = root / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"feature store manifest not found: {path}")
    manifest = load_json(path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: not a feature store manifest (expected \"format\": \"{FORMAT}\")")
    if manifest.get("version") != VERSION:
        raise ValueError(f"{path}: unsupported version {manifest.get('version')!r}, expected {VERSION}")
    for key, kind in (("feature_dim", int), ("fps", (int, float)), ("videos", dict), ("failed", dict)):
        if not isinstance(manifest.get(key), kind):
            raise ValueError(f"{path}: field {key!r} is missing or has the wrong type")
    return manifest


def load_features(path: Path, feature_dim: int | None = None) -> np.ndarray:
    """Memory-map one (T, D) feature file; raise naming it when missing, corrupt or misshapen."""
    if not path.is_file():
        raise FileNotFoundError(f"feature file not found: {path}")
    try:
        features = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"{path}: corrupt feature file ({error})") from error
    if features.ndim != 2 or features.shape[0] == 0:
        raise ValueError(f"{path}: expected a (T, D) array with T >= 1, got shape {features.shape}")
    if feature_dim is not None and features.shape[1] != feature_dim:
        raise ValueError(f"{path}: feature dimension {features.shape[1]}, expected {feature_dim}")
    return features


class FeatureStoreWriter:
    """Creates a feature store or resumes one; every write is atomic.

    The manifest and captions.json are rewritten after every `flush_every` writes/failures (default:
    each one). With a larger value use the writer as a context manager (or call flush()) so that
    the last ones are recorded; unrecorded videos are simply redone on resume.
    """

    def __init__(self, root: str | os.PathLike, *, encoder: str, feature_dim: int, fps: float = 1.0,
                 flush_every: int = 1):
        if flush_every < 1:
            raise ValueError(f"flush_every must be >= 1, got {flush_every}")
        self.root = Path(root)
        self.flush_every = flush_every
        self.pending = 0
        self.captions_changed = False
        self.completed: list[str] = []  # written since the last flush (their partial state goes at the flush)
        if (self.root / MANIFEST).exists():
            self.manifest = read_manifest(self.root)
            for key, value in (("encoder", encoder), ("feature_dim", feature_dim), ("fps", fps)):
                if self.manifest.get(key) != value:
                    raise ValueError(
                        f"{self.root / MANIFEST}: cannot resume, store has {key}={self.manifest.get(key)!r} "
                        f"but {value!r} was requested"
                    )
        else:
            self.manifest = {"format": FORMAT, "version": VERSION, "fps": fps, "feature_dim": feature_dim,
                             "encoder": encoder, "videos": {}, "failed": {}}
        (self.root / FEATURES).mkdir(parents=True, exist_ok=True)
        self.captions = read_howto100m_json(self.root / CAPTIONS) if (self.root / CAPTIONS).exists() else {}
        write_json_atomic(self.root / MANIFEST, self.manifest)

    def __enter__(self) -> FeatureStoreWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.flush()

    def flush(self) -> None:
        """Write captions.json (if changed) and then the manifest, atomically; drop the partial state of the
        videos the manifest now lists."""
        if self.captions_changed:
            write_howto100m_json(self.root / CAPTIONS, self.captions)
            self.captions_changed = False
        write_json_atomic(self.root / MANIFEST, self.manifest)
        self.pending = 0
        for video_id in self.completed:  # listed in the manifest now: their finished chunks are not needed
            shutil.rmtree(self.partial_folder(video_id), ignore_errors=True)
        self.completed = []

    def record(self) -> None:
        """Count one change and flush when flush_every changes are pending."""
        self.pending += 1
        if self.pending >= self.flush_every:
            self.flush()

    def done(self, video_id: str) -> bool:
        """True when the video's features are written and listed in the manifest."""
        entry = self.manifest["videos"].get(video_id)
        return entry is not None and (self.root / entry["features"]).is_file()

    def partial(self, video_id: str, *, identity: dict, rows: list[int]) -> PartialFeatures:
        """The finished chunks of a video in progress (FEATURES/<id>.partial/), each chunk `rows[k]` seconds.

        `identity` (JSON) says what the chunks are made from; the store's encoder and feature_dim are added."""
        check_video_id(video_id)
        identity = {"encoder": self.manifest.get("encoder"), "feature_dim": self.manifest["feature_dim"], **identity}
        return PartialFeatures(self.partial_folder(video_id), identity=identity, rows=rows,
                               feature_dim=self.manifest["feature_dim"])

    def partial_folder(self, video_id: str) -> Path:
        return self.root / FEATURES / f"{check_video_id(video_id)}{PARTIAL_SUFFIX}"

    def write(self, video_id: str, features: np.ndarray, *, captions: Captions | None = None,
              source: str | None = None) -> None:
        """Save (T, D) features (and captions), then list the video in the manifest (and drop its partial state)."""
        check_video_id(video_id)
        features = np.asarray(features)
        if features.ndim != 2 or features.shape[0] == 0 or features.shape[1] != self.manifest["feature_dim"]:
            raise ValueError(f"features of {video_id!r}: expected shape (T>=1, {self.manifest['feature_dim']}), "
                             f"got {features.shape}")
        if not np.all(np.isfinite(features)):
            raise ValueError(f"features of {video_id!r}: contain NaN or infinite values")
        if captions is not None:
            captions.validate(name=f"captions of {video_id!r}")
        if features.dtype not in (np.float16, np.float32):
            features = features.astype(np.float32)
        relative = f"{FEATURES}/{video_id}.npy"
        with atomic_write(self.root / relative) as handle:
            np.save(handle, features)
        if captions is not None:
            self.captions[video_id] = captions
            self.captions_changed = True
        self.manifest["failed"].pop(video_id, None)
        self.manifest["videos"][video_id] = {"features": relative, "num_seconds": int(features.shape[0]),
                                             "source": source}
        self.completed.append(video_id)
        self.record()

    def fail(self, video_id: str, reason: str) -> None:
        """Record that a video could not be processed (it leaves the list of done videos)."""
        self.manifest["videos"].pop(video_id, None)
        self.manifest["failed"][video_id] = str(reason)
        self.record()


class PartialFeatures:
    """The finished chunks of one video's features, kept beside the store until the video is complete,
    so that a rerun after an interruption continues at the first unfinished chunk.

    FEATURES/<id>.partial/ holds chunk k's float32 (rows[k], D) features as `<k:05d>.npy` and state.json,
    what the chunks were made from (`identity`: encoder, sampling, chunk length, the source file's size and
    mtime...): chunks made otherwise are discarded, never mixed in. Every file is written atomically, so a
    chunk file is whole or absent; one that is unreadable anyway is redone (`done_chunks` says so)."""

    def __init__(self, folder: Path, *, identity: dict, rows: list[int], feature_dim: int):
        self.folder = folder
        self.identity = identity
        self.rows = list(rows)
        self.feature_dim = feature_dim

    def chunk_path(self, index: int) -> Path:
        return self.folder / f"{index:05d}.npy"

    def done_chunks(self, on_note: Callable[[str], object] = lambda note: None) -> set[int]:
        """Indices of the chunks already written and intact; what is unusable is removed, said to on_note."""
        if not self.folder.is_dir():
            return set()
        for stray in self.folder.glob(".*.tmp-*"):  # left by a kill during an atomic write
            stray.unlink(missing_ok=True)
        chunk_files = sorted(self.folder.glob("*.npy"))
        state = self.folder / PARTIAL_STATE
        why = None
        if not state.is_file():
            why = "it has no state.json"
        else:
            try:
                recorded = load_json(state)
            except (ValueError, OSError) as error:
                why = f"its state.json is unreadable ({error})"
            else:
                if recorded != self.identity:
                    why = f"it was made otherwise ({describe_difference(recorded, self.identity)})"
        if why is not None:
            if chunk_files:
                on_note(f"discarded the partial features in {self.folder}: {why}; the video is redone")
            self.remove()
            return set()
        done = set()
        expected = {self.chunk_path(k).name: k for k in range(len(self.rows))}
        for path in chunk_files:
            index = expected.get(path.name)
            problem = "is not a chunk of this video" if index is None else self.check_chunk(path, self.rows[index])
            if problem is None:
                done.add(index)
            else:
                on_note(f"partial chunk {path} {problem}; redoing it")
                path.unlink(missing_ok=True)
        return done

    def check_chunk(self, path: Path, rows: int) -> str | None:
        """None if the chunk file holds finite float32 (rows, D) features, else what is wrong with it."""
        try:
            features = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            return f"is corrupt ({error})"
        if features.dtype != np.float32 or features.shape != (rows, self.feature_dim):
            return f"holds {features.dtype} {features.shape}, expected float32 {(rows, self.feature_dim)}"
        if not np.all(np.isfinite(features)):
            return "holds NaN or infinite values"
        return None

    def write_chunk(self, index: int, features: np.ndarray) -> None:
        """Save chunk `index` (float32 (rows[index], D)) atomically; the first one also writes state.json."""
        features = np.asarray(features, dtype=np.float32)
        if features.shape != (self.rows[index], self.feature_dim):
            raise ValueError(f"chunk {index} of {self.folder}: expected shape {(self.rows[index], self.feature_dim)}, "
                             f"got {features.shape}")
        if not (self.folder / PARTIAL_STATE).is_file():
            self.folder.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.folder / PARTIAL_STATE, self.identity)
        with atomic_write(self.chunk_path(index)) as handle:
            np.save(handle, features)

    def load_chunk(self, index: int) -> np.ndarray:
        """Chunk `index` as float32 (rows[index], D); ValueError naming the file if it is not intact."""
        path = self.chunk_path(index)
        problem = self.check_chunk(path, self.rows[index]) if path.is_file() else "is missing"
        if problem is not None:
            raise ValueError(f"partial chunk {path} {problem}")
        return np.load(path, allow_pickle=False)

    def remove(self) -> None:
        """Delete the partial state (after the video's features are in place, or when it is unusable)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def describe_difference(recorded: object, identity: dict) -> str:
    """Which fields of a partial state differ from what is asked now, e.g. "chunk_seconds 30 != 60"."""
    if not isinstance(recorded, dict):
        return f"state {recorded!r}"
    keys = sorted(set(recorded) | set(identity))
    return ", ".join(f"{key} {recorded.get(key)!r} != {identity.get(key)!r}"
                     for key in keys if recorded.get(key) != identity.get(key))


class FeatureStore:
    """Read access to a feature store folder."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.manifest = read_manifest(self.root)
        self.video_ids: list[str] = list(self.manifest["videos"])
        self.feature_dim: int = self.manifest["feature_dim"]
        self.fps: float = float(self.manifest["fps"])
        self.encoder: str | None = self.manifest.get("encoder")
        self.failed: dict[str, str] = dict(self.manifest["failed"])
        self._captions: dict[str, Captions] | None = None

    def __len__(self) -> int:
        return len(self.video_ids)

    def __contains__(self, video_id: str) -> bool:
        return video_id in self.manifest["videos"]

    def features(self, video_id: str) -> np.ndarray:
        """(T, D) features of one video, memory-mapped."""
        if video_id not in self:
            raise KeyError(f"{self.root / MANIFEST}: no video {video_id!r} in the store")
        return load_features(self.root / self.manifest["videos"][video_id]["features"], self.feature_dim)

    def all_captions(self) -> dict[str, Captions]:
        """Every video's captions from ROOT/captions.json (structure checked, not validated)."""
        if self._captions is None:
            path = self.root / CAPTIONS
            self._captions = read_howto100m_json(path, validate=False) if path.exists() else {}
        return self._captions

    def captions(self, video_id: str) -> Captions | None:
        """Captions of one video, or None when the store has none for it."""
        return self.all_captions().get(video_id)
