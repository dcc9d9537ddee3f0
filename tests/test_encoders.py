"""Frame encoders (transformers vision models, random-tiny) and S3D-G: values, shapes, names, loading."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from norton import encoders, s3d
from norton.encoders import ImagePreprocess, build_encoder, encode_video_file, pool_per_second
from videos_helpers import make_video

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073])
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711])


def tiny_vision_config(**overrides):
    from transformers import CLIPVisionConfig

    sizes = dict(hidden_size=24, intermediate_size=48, num_hidden_layers=1, num_attention_heads=2, image_size=16,
                 patch_size=8)
    return CLIPVisionConfig(**{**sizes, **overrides})


@pytest.fixture(scope="module")
def vision_dir(tmp_path_factory):
    """A saved random-weight CLIPVisionModel (vision tower only: features = pooler output)."""
    from transformers import CLIPVisionModel

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("clip_vision")
    CLIPVisionModel(tiny_vision_config()).save_pretrained(folder)
    return folder


def reference_features(model_dir, frames, mean, std, seconds):
    """Per-second mean of pooler outputs computed directly, L2-normalised (frames already at model size)."""
    from transformers import CLIPVisionModel

    model = CLIPVisionModel.from_pretrained(model_dir).eval()
    pixels = (frames.astype(np.float64) / 255.0 - mean) / std
    with torch.no_grad():
        pooled = model(pixel_values=torch.tensor(pixels, dtype=torch.float32).permute(0, 3, 1, 2)).pooler_output
    rows = np.stack([pooled[seconds == s].mean(0).numpy() for s in np.unique(seconds)])
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_hf_encoder_matches_a_direct_forward(vision_dir):
    encoder = build_encoder(f"hf:{vision_dir}")
    assert (encoder.feature_dim, encoder.frames_per_second_needed, encoder.frame_size) == (24, 1, 16)
    frames = np.random.default_rng(0).integers(0, 256, (5, 16, 16, 3), dtype=np.uint8)
    timestamps = np.array([0.0, 0.5, 1.0, 1.5, 3.0])
    encoded = encoder.encode(frames, timestamps)
    np.testing.assert_array_equal(encoded.seconds, [0, 1, 3])
    expected = reference_features(vision_dir, frames, CLIP_MEAN, CLIP_STD, np.floor(timestamps))
    np.testing.assert_allclose(encoded.features, expected, atol=1e-5)


def test_preprocessor_config_sets_statistics_and_crop(vision_dir, tmp_path):
    from transformers import CLIPVisionModel

    CLIPVisionModel.from_pretrained(vision_dir).save_pretrained(tmp_path)
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.6, 0.7]
    (tmp_path / "preprocessor_config.json").write_text(json.dumps(
        {"image_mean": mean, "image_std": std, "size": {"shortest_edge": 16}, "crop_size": {"height": 16, "width": 16}}
    ))
    encoder = build_encoder(f"clip:{tmp_path}")
    frames = np.random.default_rng(1).integers(0, 256, (2, 16, 24, 3), dtype=np.uint8)  # wider than tall
    encoded = encoder.encode(frames, np.array([0.0, 1.0]))
    cropped = frames[:, :, 4:20]  # shorter side already 16: only the centre crop acts
    expected = reference_features(tmp_path, cropped, np.array(mean), np.array(std), np.array([0, 1]))
    np.testing.assert_allclose(encoded.features, expected, atol=1e-5)


def test_full_clip_checkpoint_uses_projected_image_features(tmp_path):
    from transformers import CLIPConfig, CLIPModel

    text = dict(hidden_size=24, intermediate_size=48, num_hidden_layers=1, num_attention_heads=2, vocab_size=50,
                bos_token_id=0, eos_token_id=1, pad_token_id=1)
    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig(vision_config=tiny_vision_config().to_dict(), text_config=text, projection_dim=12))
    model.save_pretrained(tmp_path)
    encoder = build_encoder(f"hf:{tmp_path}")
    assert encoder.feature_dim == 12
    frames = np.random.default_rng(2).integers(0, 256, (1, 16, 16, 3), dtype=np.uint8)
    pixels = torch.tensor((frames / 255.0 - CLIP_MEAN) / CLIP_STD, dtype=torch.float32).permute(0, 3, 1, 2)
    with torch.no_grad():
        projected = model.visual_projection(model.vision_model(pixel_values=pixels).pooler_output)
    np.testing.assert_allclose(encoder.encode(frames, np.zeros(1)).features, F.normalize(projected).numpy(),
                               atol=1e-5)


def test_image_preprocess_resizes_the_short_side_then_crops_the_centre():
    frames = np.zeros((1, 20, 40, 3), np.uint8)
    frames[:, :, 6:34] = 255  # white centre band, black sides: columns 3..17 of 20 after the resize
    pixels = ImagePreprocess((10, 10), 10, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))(frames)
    assert pixels.shape == (1, 3, 10, 10)
    assert pixels.min() > 0.99  # the crop (columns 5..15) keeps only the white centre
    with pytest.raises(ValueError, match="uint8"):
        ImagePreprocess((10, 10), 10)(frames.astype(np.float32))


def test_pool_per_second_averages_frames_of_each_second():
    features = torch.tensor([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0], [7.0, 1.0]])
    pooled = pool_per_second(features, np.array([0.0, 0.9, 1.0, 4.2]))
    np.testing.assert_array_equal(pooled.seconds, [0, 1, 4])
    np.testing.assert_allclose(pooled.features, [[2.0, 1.0], [5.0, 5.0], [7.0, 1.0]])


def test_random_tiny_is_deterministic_and_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first, second = build_encoder("random-tiny"), build_encoder("random-tiny")
    assert torch.equal(torch.rand(1), expected_next)
    frames = np.random.default_rng(3).integers(0, 256, (3, 40, 50, 3), dtype=np.uint8)
    a, b = first.encode(frames, np.arange(3.0)), second.encode(frames, np.arange(3.0))
    np.testing.assert_array_equal(a.features, b.features)
    assert a.features.shape == (3, first.feature_dim)
    np.testing.assert_allclose(np.linalg.norm(a.features, axis=1), 1.0, rtol=1e-5)


def test_encode_video_gives_one_row_per_second(tmp_path):
    path = make_video(tmp_path / "clip.mp4", num_frames=25, fps=10)  # 2.5 s -> 3 seconds
    encoder = build_encoder("random-tiny", frames_per_second=2)
    features = encode_video_file(encoder, path)
    assert features.shape == (3, encoder.feature_dim) and features.dtype == np.float32
    window = encode_video_file(encoder, path, start=1.0, end=2.0)
    np.testing.assert_allclose(window, features[1:2], atol=1e-6)


def test_bad_encoder_names():
    with pytest.raises(ValueError, match="unknown encoder"):
        build_encoder("resnet")
    with pytest.raises(ValueError, match="checkpoint path"):
        build_encoder("s3d")
    with pytest.raises(ValueError, match="30 frames"):
        build_encoder("s3d:/nowhere.pth", frames_per_second=1)
    with pytest.raises(FileNotFoundError, match="nowhere.pth"):
        build_encoder("s3d:/nowhere.pth")
    with pytest.raises(ValueError, match="positive integer"):
        build_encoder("random-tiny", frames_per_second=0)


# --- S3D-G ----------------------------------------------------------------------------------------

# The MIL-NCE release (s3dg.py / s3d_howto100m.pth): inception widths
# (b0, b1 reduce, b1, b2 reduce, b2, b3) in order, as published.
PUBLISHED_INCEPTIONS = [
    ("mixed_3b", 192, (64, 96, 128, 16, 32, 32)),
    ("mixed_3c", 256, (128, 128, 192, 32, 96, 64)),
    ("mixed_4b", 480, (192, 96, 208, 16, 48, 64)),
    ("mixed_4c", 512, (160, 112, 224, 24, 64, 64)),
    ("mixed_4d", 512, (128, 128, 256, 24, 64, 64)),
    ("mixed_4e", 512, (112, 144, 288, 32, 64, 64)),
    ("mixed_4f", 528, (256, 160, 320, 32, 128, 128)),
    ("mixed_5b", 832, (256, 160, 320, 32, 128, 128)),
    ("mixed_5c", 832, (384, 192, 384, 48, 128, 128)),
]


def published_state_shapes(with_text: bool) -> dict[str, tuple[int, ...]]:
    """Parameter names and shapes of s3d_howto100m.pth, written out from the published architecture."""
    shapes: dict[str, tuple[int, ...]] = {}

    def batch_norm(name, channels):
        for suffix in ("weight", "bias", "running_mean", "running_var"):
            shapes[f"{name}.{suffix}"] = (channels,)
        shapes[f"{name}.num_batches_tracked"] = ()

    def conv(name, c_in, c_out, kernel):  # plain STConv3D: conv1 + bn1
        shapes[f"{name}.conv1.weight"] = (c_out, c_in, *kernel)
        batch_norm(f"{name}.bn1", c_out)

    def separable(name, c_in, c_out):  # 3x3x3 split into (1,3,3) then (3,1,1)
        conv(name, c_in, c_out, (1, 3, 3))
        shapes[f"{name}.conv2.weight"] = (c_out, c_out, 3, 1, 1)
        batch_norm(f"{name}.bn2", c_out)

    def gate(name, channels):
        shapes[f"{name}.fc.weight"], shapes[f"{name}.fc.bias"] = (channels, channels), (channels,)

    conv("conv1", 24, 64, (2, 4, 4))
    conv("conv_2b", 64, 64, (1, 1, 1))
    separable("conv_2c", 64, 192)
    gate("gating", 192)
    for name, c_in, (b0, b1a, b1, b2a, b2, b3) in PUBLISHED_INCEPTIONS:
        conv(f"{name}.conv_b0", c_in, b0, (1, 1, 1))
        conv(f"{name}.conv_b1_a", c_in, b1a, (1, 1, 1))
        separable(f"{name}.conv_b1_b", b1a, b1)
        conv(f"{name}.conv_b2_a", c_in, b2a, (1, 1, 1))
        separable(f"{name}.conv_b2_b", b2a, b2)
        conv(f"{name}.conv_b3_b", c_in, b3, (1, 1, 1))
        for branch, width in enumerate((b0, b1, b2, b3)):
            gate(f"{name}.gating_b{branch}", width)
    shapes["fc.weight"], shapes["fc.bias"] = (512, 1024), (512,)
    if with_text:
        shapes["text_module.word_embd.weight"] = (66250, 300)
        shapes["text_module.fc1.weight"], shapes["text_module.fc1.bias"] = (2048, 300), (2048,)
        shapes["text_module.fc2.weight"], shapes["text_module.fc2.bias"] = (512, 2048), (512,)
    return shapes


@pytest.fixture(scope="module")
def s3d_model():
    torch.manual_seed(0)
    return s3d.S3DG().eval()


def test_s3d_parameter_names_and_shapes_match_the_release(s3d_model):
    ours = {k: tuple(v.shape) for k, v in s3d_model.state_dict().items()}
    assert ours == published_state_shapes(with_text=False)
    with_text = s3d.S3DG(s3d.S3DConfig(with_text=True))
    assert {k: tuple(v.shape) for k, v in with_text.state_dict().items()} == published_state_shapes(with_text=True)


@pytest.mark.parametrize("with_text", [False, True])
def test_checkpoint_with_published_names_loads_strictly(tmp_path, with_text):
    generator = torch.Generator().manual_seed(0)
    state = {k: torch.randn(shape, generator=generator) if shape else torch.tensor(7)
             for k, shape in published_state_shapes(with_text=True).items()}
    state = {k: v.abs() if k.endswith("running_var") else v for k, v in state.items()}
    path = tmp_path / "s3d_howto100m.pth"
    torch.save(state, path)
    model = s3d.load_s3d_howto100m(path, with_text=with_text)
    torch.testing.assert_close(model.fc.weight, state["fc.weight"])
    torch.testing.assert_close(model.mixed_4e.conv_b1_b.conv2.weight, state["mixed_4e.conv_b1_b.conv2.weight"])
    assert hasattr(model, "text_module") == with_text
    if not with_text:
        encoder = build_encoder(f"s3d:{path}")
        assert (encoder.feature_dim, encoder.frames_per_second_needed, encoder.frame_size) == (512, 30, 224)
        torch.testing.assert_close(encoder.model.fc.bias, state["fc.bias"])
    state["fc.bias"] = torch.zeros(256)
    torch.save(state, path)
    with pytest.raises(ValueError, match="fc.bias has shape"):
        s3d.load_s3d_howto100m(path, with_text=with_text)
    del state["mixed_5c.conv_b0.conv1.weight"]
    torch.save(state, path)
    with pytest.raises(ValueError, match="missing"):
        s3d.load_s3d_howto100m(path, with_text=with_text)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=str(path)):
        s3d.load_s3d_howto100m(path)


def test_s3d_gives_one_512d_vector_per_clip(s3d_model):
    clips = torch.rand(2, 3, 30, 64, 64)  # two 1-second windows at 30 fps (64 px to stay fast)
    with torch.no_grad():
        output = s3d_model(clips)
    assert output.video_embedding.shape == (2, 512) and output.mixed_5c.shape == (2, 1024)
    torch.testing.assert_close(output.video_embedding, s3d_model.fc(output.mixed_5c))
    with pytest.raises(ValueError, match="even"):
        s3d_model(torch.rand(1, 3, 31, 64, 64))


def test_self_gating_scales_channels_by_a_sigmoid_of_their_mean():
    gate = s3d.SelfGating(3)
    x = torch.randn(2, 3, 2, 4, 4)
    expected = x * torch.sigmoid(gate.fc(x.mean(dim=(2, 3, 4))))[:, :, None, None, None]
    torch.testing.assert_close(gate(x), expected)
    with torch.no_grad():
        gate.fc.weight.zero_()
        gate.fc.bias.fill_(-50.0)
    assert gate(x).abs().max() < 1e-12


def test_closed_stem_gate_makes_the_output_independent_of_the_input(s3d_model):
    """With the gate after conv_2c shut, every video maps to the same embedding; open, they differ."""
    model = copy.deepcopy(s3d_model)
    clips = torch.stack([torch.zeros(3, 30, 64, 64), torch.rand(3, 30, 64, 64)])
    with torch.no_grad():
        open_output = model(clips).video_embedding
        model.gating.fc.weight.zero_()
        model.gating.fc.bias.fill_(-1e4)
        closed = model(clips).video_embedding
    assert (open_output[0] - open_output[1]).abs().max() > 1e-3
    torch.testing.assert_close(closed[0], closed[1])


def test_s3d_without_gating_has_no_gates():
    ungated = s3d.S3DG(s3d.S3DConfig(gating=False))
    assert not any("gating" in k for k in ungated.state_dict())
    with torch.no_grad():
        assert ungated.eval()(torch.rand(1, 3, 30, 64, 64)).video_embedding.shape == (1, 512)


def test_space_to_depth_matches_its_definition():
    x = torch.randn(1, 3, 4, 6, 8)
    y = s3d.space_to_depth(x)
    assert y.shape == (1, 24, 2, 3, 4)
    for dt in range(2):
        for dh in range(2):
            for dw in range(2):
                block = ((dt * 2 + dh) * 2 + dw) * 3
                torch.testing.assert_close(y[0, block : block + 3], x[0, :, dt::2, dh::2, dw::2])


def test_max_pool_same_pads_at_the_end_like_tensorflow():
    x = torch.arange(6.0).view(1, 1, 1, 1, 6)
    y = s3d.max_pool_same(x, (1, 1, 3), (1, 1, 2))  # windows [0..2], [2..4], [4..5 + zero pad]
    torch.testing.assert_close(y.flatten(), torch.tensor([2.0, 4.0, 5.0]))


def test_s3d_encoder_windows_one_second_and_pads_the_last(tmp_path, s3d_model):
    path = make_video(tmp_path / "thirty.mp4", num_frames=45, fps=30, width=40, height=32)  # 1.5 s
    encoder = encoders.S3DEncoder(s3d_model, name="s3d:test", frame_size=32, seconds_per_batch=1)
    features = encode_video_file(encoder, path)
    assert features.shape == (2, 512)
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, rtol=1e-5)
    frames = np.random.default_rng(0).integers(0, 256, (45, 32, 32, 3), dtype=np.uint8)
    seconds, clips = encoder.clips(frames, np.arange(45) / 30)
    np.testing.assert_array_equal(seconds, [0, 1])
    assert clips.shape == (2, 3, 30, 32, 32)
    assert clips[1, :, 15:].abs().max() == 0  # 15 black frames complete the half second
    torch.testing.assert_close(clips[1, :, 0].permute(1, 2, 0), torch.tensor(frames[30] / 255.0, dtype=torch.float32))


@pytest.mark.parametrize("shape", [(2, 3, 5, 7, 9), (1, 4, 3, 6, 4)])
@pytest.mark.parametrize("kernel, stride, padding, ceil_mode", [
    ((3, 3, 3), (1, 1, 1), (1, 1, 1), False),  # the inception pools
    ((1, 3, 3), (1, 2, 2), (0, 0, 0), True),  # the 'SAME' pools (after zero padding)
    ((3, 3, 3), (2, 2, 2), (0, 0, 0), True),
    ((2, 2, 2), (2, 2, 2), (0, 0, 0), True),
    ((1, 2, 3), (1, 2, 2), (0, 1, 1), False),
])
def test_separable_max_pool_equals_torch_exactly(shape, kernel, stride, padding, ceil_mode):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    expected = F.max_pool3d(x, kernel, stride, padding, ceil_mode=ceil_mode)
    for layout in (x, x.contiguous(memory_format=torch.channels_last_3d)):
        assert torch.equal(s3d.max_pool3d(layout, kernel, stride, padding, ceil_mode), expected)
    single = x[:, :, :1, :1, :1]  # a 1x1x1 input: each inception pool window holds only itself
    assert torch.equal(s3d.max_pool3d(single, (3, 3, 3), (1, 1, 1), (1, 1, 1)), single)


def randomize_batch_norms(model, seed=0):
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm3d):
            n = module.num_features
            module.running_mean.copy_(torch.rand(n, generator=generator) * 0.2 - 0.1)
            module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
            module.weight.data.copy_(torch.rand(n, generator=generator) + 0.5)
            module.bias.data.copy_(torch.rand(n, generator=generator) * 0.2 - 0.1)
    return model


def test_optimized_s3d_matches_the_model_and_leaves_it_alone(s3d_model):
    model = randomize_batch_norms(copy.deepcopy(s3d_model))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fast = s3d.optimize_for_inference(model)
    clips = torch.rand(2, 3, 30, 64, 64, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        expected, got = model(clips), fast(clips)
    torch.testing.assert_close(got.video_embedding, expected.video_embedding, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(got.mixed_5c, expected.mixed_5c, rtol=1e-4, atol=1e-5)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert not any(isinstance(m, torch.nn.BatchNorm3d) for m in fast.modules())


def test_s3d_encoder_batches_windows_and_preprocesses_like_before(s3d_model):
    frames = np.random.default_rng(4).integers(0, 256, (150, 32, 40, 3), dtype=np.uint8)  # 5 s at 30 fps
    timestamps = np.arange(150) / 30
    one_at_a_time = encoders.S3DEncoder(s3d_model, name="s3d:test", frame_size=32, clips_per_forward=1)
    all_at_once = encoders.S3DEncoder(s3d_model, name="s3d:test", frame_size=32, clips_per_forward=5)
    plain = encoders.S3DEncoder(s3d_model, name="s3d:test", frame_size=32, optimize=False)
    a, b, c = (e.encode(frames, timestamps) for e in (one_at_a_time, all_at_once, plain))
    np.testing.assert_array_equal(a.seconds, np.arange(5))
    np.testing.assert_allclose(a.features, b.features, atol=1e-5)
    np.testing.assert_allclose(a.features, c.features, atol=1e-5)
    # the uint8 crop of frames decoded at the encoder's size equals the float resize-and-crop path
    _, clips = one_at_a_time.clips(frames, timestamps)
    reference = ImagePreprocess((32, 32), 32, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))(frames)  # (n, 3, 32, 32)
    torch.testing.assert_close(clips[2], reference[60:90].transpose(0, 1), rtol=0, atol=0)
    # frames of another size are resized first
    larger = np.repeat(np.repeat(frames[:30], 2, axis=1), 2, axis=2)  # 64x80
    _, resized = one_at_a_time.clips(larger, timestamps[:30])
    expected = ImagePreprocess((32, 32), 32, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))(larger)
    torch.testing.assert_close(resized[0], expected.transpose(0, 1))
    with pytest.raises(ValueError, match="clips_per_forward"):
        encoders.S3DEncoder(s3d_model, name="s3d:test", clips_per_forward=0)
