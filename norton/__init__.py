"""norton: Norton's optimal-transport losses for video-language alignment, and a workbench around them."""
from .config import NortonConfig
from .losses import NortonLoss, NortonOutput, rectified_clip_loss, video_paragraph_loss
from .ot import BucketOTResult, OTResult, bucket_sinkhorn, sinkhorn
from .similarity import pooled_cosine, soft_max_similarity

__all__ = [
    "NortonConfig", "NortonLoss", "NortonOutput", "rectified_clip_loss", "video_paragraph_loss",
    "OTResult", "BucketOTResult", "sinkhorn", "bucket_sinkhorn", "pooled_cosine", "soft_max_similarity",
]
__version__ = "0.1.0"
