"""S3D-G video network (MIL-NCE HowTo100M variant): parameter names match `s3d_howto100m.pth`."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

# Inception widths (branch0, branch1 reduce, branch1, branch2 reduce, branch2, branch3) per block
INCEPTION_WIDTHS = {
    "mixed_3b": (64, 96, 128, 16, 32, 32),
    "mixed_3c": (128, 128, 192, 32, 96, 64),
    "mixed_4b": (192, 96, 208, 16, 48, 64),
    "mixed_4c": (160, 112, 224, 24, 64, 64),
    "mixed_4d": (128, 128, 256, 24, 64, 64),
    "mixed_4e": (112, 144, 288, 32, 64, 64),
    "mixed_4f": (256, 160, 320, 32, 128, 128),
    "mixed_5b": (256, 160, 320, 32, 128, 128),
    "mixed_5c": (384, 192, 384, 48, 128, 128),
}
# max-pools (kernel, stride) with TensorFlow 'SAME' padding, applied before the named block
POOLS_BEFORE = {
    "conv_2b": ((1, 3, 3), (1, 2, 2)),
    "mixed_3b": ((1, 3, 3), (1, 2, 2)),
    "mixed_4b": ((3, 3, 3), (2, 2, 2)),
    "mixed_5b": ((2, 2, 2), (2, 2, 2)),
}


@dataclass
class S3DConfig:
    """Sizes of S3D-G and of the optional MIL-NCE text branch (defaults: the HowTo100M release)."""

    embed_dim: int = 512  # joint text-video space
    gating: bool = True  # self-gating after conv_2c and on every inception branch (the "G" of S3D-G)
    with_text: bool = False  # word-embedding text branch `text_module`
    vocab_size: int = 66250  # 0 is padding; word i of the dictionary is token i + 1
    word_dim: int = 300
    text_hidden: int = 2048
    max_words: int = 16


class STConv(nn.Module):
    """Conv3d + BatchNorm + ReLU; `separable` splits a k×k×k kernel into (1,k,k) then (k,1,1)."""

    def __init__(self, in_dim: int, out_dim: int, kernel: tuple[int, int, int], stride=1, padding=0,
                 separable: bool = False):
        super().__init__()
        self.separable = separable
        if separable:
            k, p = kernel[0], padding
            self.conv1 = nn.Conv3d(in_dim, out_dim, (1, k, k), padding=(0, p, p), bias=False)
            self.bn1 = nn.BatchNorm3d(out_dim)
            self.conv2 = nn.Conv3d(out_dim, out_dim, (k, 1, 1), padding=(p, 0, 0), bias=False)
            self.bn2 = nn.BatchNorm3d(out_dim)
        else:
            self.conv1 = nn.Conv3d(in_dim, out_dim, kernel, stride=stride, padding=padding, bias=False)
            self.bn1 = nn.BatchNorm3d(out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        if self.separable:
            x = F.relu(self.bn2(self.conv2(x)))
        return x


class SelfGating(nn.Module):
    """Scale each channel by sigmoid(W · mean over time and space + b)."""

    def __init__(self, dim: int):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, T, H, W)
        weights = torch.sigmoid(self.fc(x.mean(dim=(2, 3, 4))))  # (B, C)
        return x * weights[:, :, None, None, None]


class Inception(nn.Module):
    """Four branches (1x1; 1x1 -> sep 3x3; 1x1 -> sep 3x3; maxpool -> 1x1), each optionally gated."""

    def __init__(self, in_dim: int, widths: tuple[int, int, int, int, int, int], gating: bool = True):
        super().__init__()
        b0, b1a, b1, b2a, b2, b3 = widths
        self.conv_b0 = STConv(in_dim, b0, (1, 1, 1))
        self.conv_b1_a = STConv(in_dim, b1a, (1, 1, 1))
        self.conv_b1_b = STConv(b1a, b1, (3, 3, 3), padding=1, separable=True)
        self.conv_b2_a = STConv(in_dim, b2a, (1, 1, 1))
        self.conv_b2_b = STConv(b2a, b2, (3, 3, 3), padding=1, separable=True)
        self.conv_b3_b = STConv(in_dim, b3, (1, 1, 1))
        self.gates = None
        if gating:
            self.gating_b0, self.gating_b1 = SelfGating(b0), SelfGating(b1)
            self.gating_b2, self.gating_b3 = SelfGating(b2), SelfGating(b3)
            self.gates = [self.gating_b0, self.gating_b1, self.gating_b2, self.gating_b3]
        self.out_dim = b0 + b1 + b2 + b3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = [
            self.conv_b0(x),
            self.conv_b1_b(self.conv_b1_a(x)),
            self.conv_b2_b(self.conv_b2_a(x)),
            self.conv_b3_b(max_pool3d(x, (3, 3, 3), (1, 1, 1), (1, 1, 1))),
        ]
        if self.gates is not None:
            branches = [gate(b) for gate, b in zip(self.gates, branches)]
        return torch.cat(branches, dim=1)


def max_pool_same(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int]) -> torch.Tensor:
    """Max-pool with TensorFlow-style 'SAME' padding (zeros, extra pad at the end, ceil mode)."""
    pads: list[int] = []
    for k, s in zip(reversed(kernel), reversed(stride)):  # F.pad wants (W, H, T) order
        total = max(k - s, 0)
        pads += [total // 2, total - total // 2]
    return max_pool3d(F.pad(x, pads), kernel, stride, ceil_mode=True)


def max_pool3d(x: torch.Tensor, kernel: tuple[int, int, int], stride: tuple[int, int, int],
               padding: tuple[int, int, int] = (0, 0, 0), ceil_mode: bool = False) -> torch.Tensor:
    """F.max_pool3d of (B, C, T, H, W), exactly (a max is a max), as three 1-d max-pools over W, H then T.

    On CPU F.max_pool3d also computes the argmax of every window and is slow: it took a third of S3D-G's
    time; the 3x3x3 stride-1 pools of the inception blocks run 3-7 times faster this way."""
    for dim, k, s, p in zip((4, 3, 2), kernel[::-1], stride[::-1], padding[::-1]):
        if (k, s, p) != (1, 1, 0):
            x = max_pool_axis(x, dim, k, s, p, ceil_mode)
    return x


def max_pool_axis(x: torch.Tensor, dim: int, kernel: int, stride: int, padding: int, ceil_mode: bool) -> torch.Tensor:
    """1-d max-pool along `dim` with PyTorch's semantics (implicit -inf padding on both sides, ceil mode)."""
    length = x.shape[dim]
    span = length + 2 * padding - kernel
    if span < 0:
        raise ValueError(f"max-pool window {kernel} is larger than the padded input {length + 2 * padding}")
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= length + padding:  # the last window must start inside the input
        out -= 1
    layout = _layout(x)
    if (kernel, stride, padding) == (3, 1, 1):  # the inception pools: max of each element and its neighbours
        y = x.clone(memory_format=layout)
        if length > 1:
            later, earlier = y.narrow(dim, 1, length - 1), y.narrow(dim, 0, length - 1)
            later.copy_(torch.maximum(later, x.narrow(dim, 0, length - 1)))
            earlier.copy_(torch.maximum(earlier, x.narrow(dim, 1, length - 1)))
        return y
    right = max(0, (out - 1) * stride + kernel - padding - length)
    if padding or right:
        shape = list(x.shape)
        shape[dim] = length + padding + right
        padded = torch.empty(shape, dtype=x.dtype, device=x.device, memory_format=layout).fill_(float("-inf"))
        padded.narrow(dim, padding, length).copy_(x)
        x = padded
    index: list[slice] = [slice(None)] * x.dim()
    y = None
    for offset in range(kernel):
        index[dim] = slice(offset, offset + (out - 1) * stride + 1, stride)
        window = x[tuple(index)]
        y = window.clone(memory_format=layout) if y is None else torch.maximum(y, window, out=y)
    return y


def _layout(x: torch.Tensor) -> torch.memory_format:
    """channels_last_3d for a (B, C, T, H, W) tensor stored channels-last (even a slice of one), else contiguous."""
    if x.dim() == 5 and x.shape[1] > 1 and x.stride(1) == 1:
        return torch.channels_last_3d
    return torch.contiguous_format


def space_to_depth(video: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, 8C, T/2, H/2, W/2): each 2×2×2 block becomes channels (dt, dh, dw, c)."""
    b, c, t, h, w = video.shape
    if t % 2 or h % 2 or w % 2:
        raise ValueError(f"S3D input needs even T, H and W, got shape {tuple(video.shape)}")
    x = video.reshape(b, c, t // 2, 2, h // 2, 2, w // 2, 2)
    return x.permute(0, 3, 5, 7, 1, 2, 4, 6).reshape(b, 8 * c, t // 2, h // 2, w // 2)


class S3DTextEmbedding(nn.Module):
    """MIL-NCE text branch: word embeddings -> Linear+ReLU -> max over words -> Linear."""

    def __init__(self, config: S3DConfig):
        super().__init__()
        self.max_words = config.max_words
        self.word_embd = nn.Embedding(config.vocab_size, config.word_dim)
        self.fc1 = nn.Linear(config.word_dim, config.text_hidden)
        self.fc2 = nn.Linear(config.text_hidden, config.embed_dim)

    def tokenize(self, sentences: list[str], vocabulary: dict[str, int]) -> torch.Tensor:
        """(B, max_words) token ids: lower-cased words found in `vocabulary` (word -> id >= 1), 0-padded."""
        ids = torch.zeros(len(sentences), self.max_words, dtype=torch.long)
        for row, sentence in enumerate(sentences):
            tokens = [vocabulary[w] for w in re.findall(r"[\w']+", sentence.lower()) if w in vocabulary]
            tokens = tokens[: self.max_words]
            ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        return ids

    def forward(self, token_ids: torch.Tensor) -> torch.Tensor:  # (B, L) -> (B, embed_dim)
        hidden = F.relu(self.fc1(self.word_embd(token_ids)))  # (B, L, text_hidden)
        return self.fc2(hidden.max(dim=1).values)


@dataclass
class S3DOutput:
    """Video outputs: the joint-space embedding and the pooled mixed_5c features."""

    video_embedding: torch.Tensor  # (B, embed_dim)
    mixed_5c: torch.Tensor  # (B, 1024)


class S3DG(nn.Module):
    """S3D-G with the space-to-depth stem of the MIL-NCE release; input (B, 3, T, H, W) in [0, 1]."""

    def __init__(self, config: S3DConfig | None = None):
        super().__init__()
        self.config = config = config or S3DConfig()
        self.conv1 = STConv(24, 64, (2, 4, 4), padding=(1, 2, 2))
        self.conv_2b = STConv(64, 64, (1, 1, 1))
        self.conv_2c = STConv(64, 192, (3, 3, 3), padding=1, separable=True)
        if config.gating:
            self.gating = SelfGating(192)
        dim = 192
        for name, widths in INCEPTION_WIDTHS.items():
            block = Inception(dim, widths, config.gating)
            self.add_module(name, block)
            dim = block.out_dim
        self.fc = nn.Linear(dim, config.embed_dim)
        if config.with_text:
            self.text_module = S3DTextEmbedding(config)
        for module in self.modules():  # variance-preserving init so random weights keep a signal to the end
            if isinstance(module, nn.Conv3d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")

    def forward(self, video: torch.Tensor) -> S3DOutput:  # (B, 3, T, H, W), T, H, W even
        x = self.conv1(space_to_depth(video))[:, :, 1:, 1:, 1:]  # drop the first row: TF 'SAME' padding
        for name in ["conv_2b", "conv_2c", *INCEPTION_WIDTHS]:
            if name in POOLS_BEFORE:
                x = max_pool_same(x, *POOLS_BEFORE[name])
            x = getattr(self, name)(x)
            if name == "conv_2c" and self.config.gating:
                x = self.gating(x)
        pooled = x.mean(dim=(2, 3, 4))  # (B, 1024)
        return S3DOutput(video_embedding=self.fc(pooled), mixed_5c=pooled)


class InferenceSTConv(nn.Module):
    """An STConv for inference on channels-last tensors: each BatchNorm folded into its convolution, and the
    convolutions that are pointwise in space (1x1x1, 3x1x1: 56 of S3D-G's 76) run as one matrix product over
    the channels (plus shifted sums over time) instead of PyTorch's im2col fallback for them on CPU."""

    def __init__(self, block: STConv):
        super().__init__()
        from torch.nn.utils.fusion import fuse_conv_bn_eval

        pairs = [(block.conv1, block.bn1)] + ([(block.conv2, block.bn2)] if block.separable else [])
        self.convs = nn.ModuleList(fuse_conv_bn_eval(conv.eval(), bn.eval()) for conv, bn in pairs)
        for conv in self.convs:
            if self.pointwise(conv):  # (Cout, Cin, kt, 1, 1) -> (kt * Cout, Cin): one product for all kt taps
                kt = conv.kernel_size[0]
                conv.register_buffer("matrix", conv.weight.detach()[..., 0, 0].permute(2, 0, 1).reshape(
                    kt * conv.out_channels, conv.in_channels).contiguous(), persistent=False)

    @staticmethod
    def pointwise(conv: nn.Conv3d) -> bool:
        return (tuple(conv.kernel_size[1:]) == (1, 1) and tuple(conv.stride) == (1, 1, 1)
                and tuple(conv.padding[1:]) == (0, 0) and tuple(conv.dilation) == (1, 1, 1) and conv.groups == 1
                and conv.kernel_size[0] == 2 * conv.padding[0] + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = self.pointwise_conv(x, conv) if hasattr(conv, "matrix") else conv(x)
            x = torch.relu_(x)
        return x

    @staticmethod
    def pointwise_conv(x: torch.Tensor, conv: nn.Conv3d) -> torch.Tensor:
        """conv(x) for a (kt, 1, 1) kernel with 'same' temporal padding, on (B, T, H, W, C) memory."""
        kt, pad, out = conv.kernel_size[0], conv.padding[0], conv.out_channels
        taps = F.linear(x.permute(0, 2, 3, 4, 1), conv.matrix)  # (B, T, H, W, kt * Cout)
        if kt == 1:
            y = taps.add_(conv.bias)
        else:
            y = taps[..., pad * out : (pad + 1) * out] + conv.bias  # the centre tap
            length = y.shape[1]
            for tap in range(kt):
                shift = tap - pad  # output t takes input t + shift
                if tap == pad or abs(shift) >= length:
                    continue
                source = taps[..., tap * out : (tap + 1) * out]
                if shift > 0:
                    y[:, : length - shift] += source[:, shift:]
                else:
                    y[:, -shift:] += source[:, : length + shift]
        return y.permute(0, 4, 1, 2, 3)  # (B, Cout, T, H, W), channels-last


def optimize_for_inference(model: S3DG) -> S3DG:
    """A copy of an S3D-G for fast CPU inference (BatchNorm folded, channels-last, pointwise convolutions as
    matrix products): the same outputs up to float rounding (~1e-6), the same forward, but not the
    checkpoint's state-dict names. `model` is left as it is."""
    import copy

    fast = copy.deepcopy(model).eval()
    for parent in list(fast.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, STConv):
                setattr(parent, name, InferenceSTConv(child))
    return fast.to(memory_format=torch.channels_last_3d)


def load_s3d_howto100m(path: str | os.PathLike, *, with_text: bool = False, map_location="cpu") -> S3DG:
    """S3D-G with weights from the MIL-NCE `s3d_howto100m.pth` (strict: every name and shape must match)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"S3D checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many types for a bad file
        raise ValueError(f"{path}: not a readable PyTorch state dict ({error})") from error
    state = {k.removeprefix("module."): v for k, v in state.get("state_dict", state).items()}
    if not with_text:
        state = {k: v for k, v in state.items() if not k.startswith("text_module.")}
    model = S3DG(S3DConfig(with_text=with_text))
    expected = model.state_dict()
    for key in expected:  # BatchNorm step counters, absent from some checkpoints, are never used in eval
        if key.endswith("num_batches_tracked"):
            state.setdefault(key, expected[key])
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{path}: not an S3D-G HowTo100M checkpoint; "
                         f"missing {missing[:5]}, unexpected {unexpected[:5]}")
    for key, value in state.items():
        if tuple(value.shape) != tuple(expected[key].shape):
            raise ValueError(f"{path}: {key} has shape {tuple(value.shape)}, expected {tuple(expected[key].shape)}")
    model.load_state_dict(state, strict=True)
    return model.eval()
