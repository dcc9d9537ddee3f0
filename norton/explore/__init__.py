"""Looking into one video's alignment: clips and captions as tokens, reports on its plan, soft-maximum detail,
and the walk from the paper's switches to the released code's.

- `tokens`: a video cut into clips, encoded (`VideoTokens`, `video_tokens`, `load_real_video`, `clip_thumbnails`);
- `alignment`: its similarities (`video_similarity`) and the report on an alignment (`alignment_report`);
- `detail`: the soft maximum of one caption-clip pair (`pair_detail`);
- `switches`: NortonLoss as each switch turns official (`walk_switches`, `switch_metrics`).
Everything is view-independent (numpy/torch only); `widgets/` draws it. Every public name is importable
from `norton.explore` itself.
"""
from ..losses import fuse
from ..metrics import pearson
from .alignment import alignment_report, fine_similarity, mean_similarity, video_similarity
from .detail import SoftMaxDetail, pair_detail, soft_max_detail
from .switches import SwitchStep, content_free_similarity, switch_metrics, walk_switches
from .tokens import (ClipEncoder, VideoTokens, clip_thumbnails, clip_truth_shares, clip_windows, load_real_video,
                     model_encoders, stack_videos, video_tokens)

__all__ = [
    "alignment_report", "fine_similarity", "fuse", "mean_similarity", "video_similarity",
    "SoftMaxDetail", "pair_detail", "soft_max_detail",
    "SwitchStep", "content_free_similarity", "pearson", "switch_metrics", "walk_switches",
    "ClipEncoder", "VideoTokens", "clip_thumbnails", "clip_truth_shares", "clip_windows", "load_real_video",
    "model_encoders", "stack_videos", "video_tokens",
]
