"""Video encoders that turn sampled frames into one feature per second: transformers vision models, S3D-G."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from norton import decode as videolib

CLIP_DEFAULT = "openai/clip-vit-base-patch32"
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
HALF_MEAN = (0.5, 0.5, 0.5)  # ViT-style models that ship no preprocessor config
ENCODER_FORMS = '"clip", "clip:<name or path>", "hf:<name or path>", "s3d:<path to s3d_howto100m.pth>", "random-tiny"'


@dataclass
class EncodedSeconds:
    """Features of the whole seconds covered by one chunk of frames."""

    seconds: np.ndarray  # (k,) int64, ascending
    features: np.ndarray  # (k, D) float32


class VideoEncoder(Protocol):
    """What `norton extract` needs from an encoder."""

    name: str  # the spec it was built from, stored in the feature store
    feature_dim: int
    frames_per_second_needed: int  # sampling rate the decoder must deliver
    frame_size: int  # shorter side (pixels) the decoder should resize frames to
    seconds_per_batch: int  # seconds of frames per chunk handed to `encode`

    def encode(self, frames: np.ndarray, timestamps: np.ndarray) -> EncodedSeconds:
        """(n, H, W, 3) uint8 frames of whole seconds, (n,) times -> one feature per second."""
        ...


@dataclass
class ImagePreprocess:
    """uint8 RGB frames -> normalised float pixels with torch ops: resize, centre crop, (x/255 - mean) / std."""

    size: tuple[int, int]  # (H, W) given to the model
    shortest_edge: int | None  # resize the shorter side to this then centre-crop `size`; None: resize to `size`
    mean: tuple[float, float, float] = CLIP_MEAN
    std: tuple[float, float, float] = CLIP_STD

    def __call__(self, frames: np.ndarray | torch.Tensor) -> torch.Tensor:  # (n, H, W, 3) -> (n, 3, h, w)
        x = torch.as_tensor(frames)
        if x.ndim != 4 or x.shape[-1] != 3 or x.dtype != torch.uint8:
            raise ValueError(f"frames must be uint8 of shape (n, H, W, 3), got {x.dtype} {tuple(x.shape)}")
        x = x.permute(0, 3, 1, 2).float()
        if self.shortest_edge is None:
            x = resize(x, self.size)
        else:
            height, width = videolib.output_size(x.shape[2], x.shape[3], self.shortest_edge)
            x = center_crop(resize(x, (height, width)), self.size)
        mean = torch.tensor(self.mean).view(1, 3, 1, 1)
        std = torch.tensor(self.std).view(1, 3, 1, 1)
        return (x / 255.0 - mean) / std


def resize(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bicubic antialiased resize of (n, C, H, W) float pixels in [0, 255]; no-op at the same size."""
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    return F.interpolate(images, size=size, mode="bicubic", align_corners=False, antialias=True).clamp(0, 255)


def center_crop(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The central (h, w) window of (n, C, H, W) images (zero-padded if an image is smaller)."""
    h, w = size
    pad_h, pad_w = max(h - images.shape[-2], 0), max(w - images.shape[-1], 0)
    if pad_h or pad_w:
        images = F.pad(images, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
    top = (images.shape[-2] - h) // 2
    left = (images.shape[-1] - w) // 2
    return images[..., top : top + h, left : left + w]


def pool_per_second(features: torch.Tensor, timestamps: np.ndarray) -> EncodedSeconds:
    """Average the (n, D) frame features that fall in each whole second floor(t)."""
    seconds = np.floor(np.asarray(timestamps, dtype=np.float64) + 1e-9).astype(np.int64)
    unique, inverse = np.unique(seconds, return_inverse=True)
    index = torch.as_tensor(inverse, device=features.device)
    sums = torch.zeros(len(unique), features.shape[1], device=features.device, dtype=torch.float32)
    sums.index_add_(0, index, features.float())
    counts = torch.bincount(index, minlength=len(unique)).clamp(min=1).unsqueeze(1)
    return EncodedSeconds(unique, (sums / counts).cpu().numpy())


def l2_normalize(encoded: EncodedSeconds) -> EncodedSeconds:
    """Each feature divided by its L2 norm (VideoCLIP's extractor does this before storing)."""
    norms = np.linalg.norm(encoded.features, axis=1, keepdims=True)
    return EncodedSeconds(encoded.seconds, encoded.features / np.maximum(norms, 1e-12))


# --- transformers image models --------------------------------------------------------------------


def read_preprocessor_config(name_or_path: str) -> dict:
    """preprocessor_config.json of a local folder or a cached hub model; {} when there is none."""
    if os.path.isdir(name_or_path):
        path = os.path.join(name_or_path, "preprocessor_config.json")
        path = path if os.path.isfile(path) else None
    else:
        from transformers.utils import cached_file

        path = cached_file(name_or_path, "preprocessor_config.json", _raise_exceptions_for_missing_entries=False)
    if path is None:
        return {}
    with open(path, encoding="utf-8") as handle:
        try:
            return json.load(handle)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: invalid JSON ({error})") from error


def _pair(value) -> tuple[int, int]:
    """An int or {'height', 'width'} or {'shortest_edge'} size as (h, w)."""
    if isinstance(value, dict):
        if "height" in value:
            return int(value["height"]), int(value["width"])
        return int(value["shortest_edge"]), int(value["shortest_edge"])
    return int(value), int(value)


def preprocess_for(model_config, processor: dict) -> ImagePreprocess:
    """Preprocessing from a model's preprocessor config, else from its config (CLIP statistics for CLIP)."""
    vision_config = getattr(model_config, "vision_config", None) or model_config
    image_size = getattr(vision_config, "image_size", 224)
    clip_like = "clip" in getattr(model_config, "model_type", "")
    default_mean, default_std = (CLIP_MEAN, CLIP_STD) if clip_like else (HALF_MEAN, HALF_MEAN)
    mean = tuple(processor.get("image_mean", default_mean))
    std = tuple(processor.get("image_std", default_std))
    size_field = processor.get("size", {"shortest_edge": image_size})
    if processor.get("do_center_crop", True) and (not isinstance(size_field, dict) or "shortest_edge" in size_field):
        crop = _pair(processor.get("crop_size", image_size))
        return ImagePreprocess(crop, _pair(size_field)[0], mean, std)
    return ImagePreprocess(_pair(size_field), None, mean, std)


def image_features(model, pixel_values: torch.Tensor) -> torch.Tensor:
    """(n, D) image embeddings: get_image_features if the model has it, else pooler output, else token mean."""
    if hasattr(model, "get_image_features"):
        output = model.get_image_features(pixel_values=pixel_values)
    else:
        output = model(pixel_values=pixel_values)
    if isinstance(output, torch.Tensor):
        return output
    pooled = getattr(output, "pooler_output", None)
    if pooled is not None:
        return pooled.flatten(1)
    return output.last_hidden_state.mean(dim=1)


class FrameEncoder:
    """A transformers image model applied to each frame, averaged per second and L2-normalised."""

    def __init__(self, model, preprocess: ImagePreprocess, *, name: str, frames_per_second: int = 1,
                 device: str | torch.device = "cpu", dtype: torch.dtype | None = None, batch_size: int = 32,
                 normalize: bool = True):
        if int(frames_per_second) != frames_per_second or frames_per_second < 1:
            raise ValueError(f"frames_per_second must be a positive integer, got {frames_per_second}")
        self.name = name
        self.device = torch.device(device)
        self.dtype = dtype or torch.float32
        self.model = model.to(device=self.device, dtype=self.dtype).eval()
        self.preprocess = preprocess
        self.frames_per_second_needed = int(frames_per_second)
        self.frame_size = preprocess.shortest_edge or max(preprocess.size)
        self.seconds_per_batch = max(1, batch_size // self.frames_per_second_needed)
        self.batch_size = batch_size
        self.normalize = normalize
        with torch.inference_mode():
            probe = torch.zeros(1, 3, *preprocess.size, device=self.device, dtype=self.dtype)
            self.feature_dim = int(image_features(self.model, probe).shape[-1])

    @torch.inference_mode()
    def embed_frames(self, frames: np.ndarray) -> torch.Tensor:
        """(n, H, W, 3) uint8 -> (n, D) float32 per-frame embeddings."""
        outputs = []
        for lo in range(0, len(frames), self.batch_size):
            pixels = self.preprocess(frames[lo : lo + self.batch_size]).to(self.device, self.dtype)
            outputs.append(image_features(self.model, pixels).float())
        return torch.cat(outputs) if outputs else torch.zeros(0, self.feature_dim)

    def encode(self, frames: np.ndarray, timestamps: np.ndarray) -> EncodedSeconds:
        """(n, H, W, 3) uint8 frames at (n,) times -> mean embedding of each whole second."""
        if len(frames) != len(timestamps):
            raise ValueError(f"got {len(frames)} frames but {len(timestamps)} timestamps")
        encoded = pool_per_second(self.embed_frames(frames), timestamps)
        return l2_normalize(encoded) if self.normalize else encoded


def load_hf_encoder(name_or_path: str, *, name: str, **kwargs) -> FrameEncoder:
    """A FrameEncoder around any transformers vision (or vision-language) model, loaded by name or path."""
    from transformers import AutoConfig, AutoModel

    try:
        config = AutoConfig.from_pretrained(name_or_path)
        model = AutoModel.from_pretrained(name_or_path)
    except OSError as error:
        raise ValueError(f"cannot load transformers model {name_or_path!r}: {error}") from error
    return FrameEncoder(model, preprocess_for(config, read_preprocessor_config(name_or_path)), name=name, **kwargs)


def tiny_clip_vision(seed: int = 0):
    """A deterministic random-weight CLIP vision tower: 32 px input, 32-d output."""
    from transformers import CLIPVisionConfig, CLIPVisionModel

    config = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                              image_size=32, patch_size=8)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CLIPVisionModel(config)


# --- S3D-G ----------------------------------------------------------------------------------------


class S3DEncoder:
    """S3D-G on 1-second windows of 30 frames (224 px centre crop), as VideoCLIP's extractor: 512-d, L2-normalised.

    `encode` runs the network on at most `clips_per_forward` windows at a time, which bounds its memory
    whatever the batch it is given; `optimize` runs a copy of the model made for inference
    (s3d.optimize_for_inference)."""

    frames_per_second_needed = 30

    def __init__(self, model, *, name: str, device: str | torch.device = "cpu", dtype: torch.dtype | None = None,
                 seconds_per_batch: int = 4, normalize: bool = True, frame_size: int = 224,
                 clips_per_forward: int = 2, optimize: bool = True):
        if clips_per_forward < 1:
            raise ValueError(f"clips_per_forward must be >= 1, got {clips_per_forward}")
        from norton.s3d import optimize_for_inference

        self.name = name
        self.frame_size = frame_size  # shorter side resized to this, then a centre crop of frame_size²
        self.device = torch.device(device)
        self.dtype = dtype or torch.float32
        # the network that runs: BatchNorm folded (in float32, before any cast), channels-last, pointwise
        # convolutions as matrix products; about twice as fast on CPU, equal to `model` up to ~1e-6
        self.net = (optimize_for_inference(model.eval()) if optimize else model).to(device=self.device,
                                                                                   dtype=self.dtype).eval()
        self.model = model.to(device=self.device, dtype=self.dtype).eval()
        self.feature_dim = model.config.embed_dim
        self.seconds_per_batch = seconds_per_batch
        self.clips_per_forward = clips_per_forward
        self.normalize = normalize

    def crop(self, frames: np.ndarray) -> torch.Tensor:
        """(n, S, S, 3) centre crops: uint8 when the shorter side is already S (frames decoded for this
        encoder: no copy); otherwise resized first like ImagePreprocess, as float pixels in [0, 1]."""
        x = torch.as_tensor(frames)
        if x.ndim != 4 or x.shape[-1] != 3 or x.dtype != torch.uint8:
            raise ValueError(f"frames must be uint8 of shape (n, H, W, 3), got {x.dtype} {tuple(x.shape)}")
        size = self.frame_size
        height, width = x.shape[1:3]
        if min(height, width) != size:
            return ImagePreprocess((size, size), size, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))(x).permute(0, 2, 3, 1)
        top, left = (height - size) // 2, (width - size) // 2
        return x[:, top : top + size, left : left + size]

    def clips(self, frames: np.ndarray, timestamps: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
        """(seconds (k,), clips (k, 3, 30, S, S) in [0, 1]); a short second is padded with black frames.

        The clips are channels-last in memory ((k, 30, S, S, 3) underneath, as frames come), built from
        uint8 crops with one conversion to float."""
        seconds = np.floor(np.asarray(timestamps) + 1e-9).astype(np.int64)
        if np.any(np.diff(seconds) < 0):
            raise ValueError("timestamps must be ascending")
        pixels = self.crop(frames)  # (n, S, S, 3)
        unique, first = np.unique(seconds, return_index=True)
        length = self.frames_per_second_needed
        clips = torch.zeros(len(unique), length, *pixels.shape[1:], dtype=pixels.dtype)
        for row, (lo, hi) in enumerate(zip(first, [*first[1:], len(seconds)])):
            members = pixels[lo : min(hi, lo + length)]
            clips[row, : len(members)] = members
        if clips.dtype == torch.uint8:
            clips = clips.float() / 255.0
        return unique, clips.permute(0, 4, 1, 2, 3)

    @torch.inference_mode()
    def encode(self, frames: np.ndarray, timestamps: np.ndarray) -> EncodedSeconds:
        """(n, H, W, 3) uint8 frames sampled at 30 fps -> one 512-d video embedding per second."""
        if len(frames) != len(timestamps):
            raise ValueError(f"got {len(frames)} frames but {len(timestamps)} timestamps")
        seconds, clips = self.clips(frames, timestamps)
        embeddings = []
        for lo in range(0, len(clips), self.clips_per_forward):
            batch = clips[lo : lo + self.clips_per_forward].to(self.device, self.dtype)
            embeddings.append(self.net(batch).video_embedding.float().cpu())
        embedding = torch.cat(embeddings).numpy() if embeddings else np.zeros((0, self.feature_dim), np.float32)
        encoded = EncodedSeconds(seconds, embedding)
        return l2_normalize(encoded) if self.normalize else encoded


# --- registry -------------------------------------------------------------------------------------


def build_encoder(spec: str = "clip", *, device: str | torch.device = "cpu", dtype: torch.dtype | None = None,
                  frames_per_second: int | None = None) -> VideoEncoder:
    """An encoder from its name: see ENCODER_FORMS; `frames_per_second` applies to frame encoders (default 1)."""
    kind, _, argument = spec.partition(":")
    if kind == "s3d":
        from norton.s3d import load_s3d_howto100m

        if not argument:
            raise ValueError('encoder "s3d" needs a checkpoint path: "s3d:<path to s3d_howto100m.pth>"')
        if frames_per_second not in (None, S3DEncoder.frames_per_second_needed):
            raise ValueError(f"the s3d encoder samples 30 frames per second, got frames_per_second={frames_per_second}")
        return S3DEncoder(load_s3d_howto100m(argument), name=spec, device=device, dtype=dtype)
    frames_per_second = 1 if frames_per_second is None else frames_per_second
    options = dict(name=spec, device=device, dtype=dtype, frames_per_second=frames_per_second)
    if spec == "random-tiny":
        return FrameEncoder(tiny_clip_vision(), ImagePreprocess((32, 32), 32), **options)
    if spec == "clip":
        return load_hf_encoder(CLIP_DEFAULT, **options)
    if kind in ("clip", "hf") and argument:
        return load_hf_encoder(argument, **options)
    raise ValueError(f"unknown encoder {spec!r}; expected one of {ENCODER_FORMS}")


def encode_video_file(encoder: VideoEncoder, path: str | os.PathLike, *, start: float = 0.0,
                      end: float | None = None, backend: str = "auto") -> np.ndarray:
    """(T, D) float32 features of a video file (or of the whole seconds of a window), one per second.

    (DualEncoder.encode_video is the model's video tower over such features.)"""
    seconds, features = [], []
    for timestamps, frames in videolib.iter_frames(
        path, fps=encoder.frames_per_second_needed, start=start, end=end, resize=encoder.frame_size,
        batch_size=encoder.seconds_per_batch * encoder.frames_per_second_needed, backend=backend,
    ):
        encoded = encoder.encode(frames, timestamps)
        seconds.append(encoded.seconds)
        features.append(encoded.features)
    if not features:
        raise videolib.VideoError(f"video {path} has no frames in the window [{start}, {end})")
    return merge_seconds(seconds, features)


def merge_seconds(seconds: list[np.ndarray], features: list[np.ndarray]) -> np.ndarray:
    """Concatenate per-chunk features; chunks must cover distinct, ascending whole seconds."""
    all_seconds = np.concatenate(seconds)
    if np.any(np.diff(all_seconds) <= 0):
        raise ValueError("chunks must cover distinct ascending seconds (a second was split across chunks)")
    return np.concatenate(features).astype(np.float32)
