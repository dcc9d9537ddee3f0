"""A small sharded store for tests: videos of about 30 s with six captions each."""
import numpy as np

from norton.data.captions import Captions
from norton.data.shards import ShardWriter


def make_video(rng, index, seconds=30, dim=8, captions=6):
    starts = np.sort(rng.uniform(0, seconds - 4, captions))
    text = [f"video {index} caption {k} with words" for k in range(captions)]
    return (f"v{index:04d}", rng.standard_normal((seconds + index % 5, dim)).astype(np.float32),
            Captions(starts.tolist(), (starts + 3).tolist(), text))


def write_store(root, count, per_shard, *, uncaptioned=(), dim=8):
    rng = np.random.default_rng(0)
    written = {}
    with ShardWriter(root, encoder="test", feature_dim=dim, videos_per_shard=per_shard) as writer:
        for index in range(count):
            video_id, features, captions = make_video(rng, index, dim=dim)
            captions = Captions() if index in uncaptioned else captions
            writer.write(video_id, features, captions=captions, source=f"/videos/{video_id}.mp4")
            written[video_id] = (features, captions)
    return written
