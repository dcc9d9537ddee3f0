import math

import pytest
import torch

from norton.similarity import (hard_max_scores, minmax, pooled_cosine, soft_max_scores,
                               soft_max_scores_reference, soft_max_similarity)


def tokens(n=6, words=7, frames=5, d=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    text = torch.randn(n, words, d, generator=g, dtype=torch.float64)
    video = torch.randn(n, frames, d, generator=g, dtype=torch.float64)
    text_mask = torch.arange(words)[None] < torch.randint(1, words + 1, (n, 1), generator=g)
    video_mask = torch.arange(frames)[None] < torch.randint(1, frames + 1, (n, 1), generator=g)
    text_mask[0], video_mask[0] = True, True  # one full row each
    return text, video, text_mask, video_mask


def loop_scores(text, video, text_mask, video_mask, alpha, mask_padding):
    """Eq. 5 by explicit loops over captions, clips and tokens (an independent reference)."""
    n = text.shape[0]
    t2v = torch.zeros(n, n, dtype=text.dtype)
    v2t = torch.zeros(n, n, dtype=text.dtype)
    for a in range(n):
        for b in range(n):
            words = [text[a, w] / text[a, w].norm() for w in range(text.shape[1]) if text_mask[a, w]]
            frames = [video[b, f] / video[b, f].norm() for f in range(video.shape[1]) if video_mask[b, f]]
            cos = torch.stack([torch.stack([w @ f for f in frames]) for w in words])  # (n_t, n_v)
            w2f = alpha * torch.logsumexp(cos / alpha, 1)
            f2w = alpha * torch.logsumexp(cos / alpha, 0)
            n_t, n_v = len(words), len(frames)
            t2v[a, b] = w2f.sum() / n_t
            v2t[a, b] = f2w.sum() / n_v
            if not mask_padding:  # each padded word/frame of the released code adds alpha*log(n)
                t2v[a, b] += (text.shape[1] - n_t) * alpha * math.log(n_v) / n_t
                v2t[a, b] += (video.shape[1] - n_v) * alpha * math.log(n_t) / n_v
    return t2v, v2t


@pytest.mark.parametrize("mask_padding", [True, False])
@pytest.mark.parametrize("alpha", [1.0, 0.1])
def test_chunked_and_reference_match_loops(mask_padding, alpha):
    args = tokens()
    expected = loop_scores(*args, alpha, mask_padding)
    for got in (soft_max_scores(*args, alpha, mask_padding=mask_padding),
                soft_max_scores(*args, alpha, mask_padding=mask_padding, chunk_elements=100),
                soft_max_scores_reference(*args, alpha, mask_padding=mask_padding)):
        for g, e in zip(got, expected):
            assert torch.allclose(g, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("save_elements", [0, 10**6])  # recompute in backward / keep exponentials
@pytest.mark.parametrize("mask_padding,alpha,dtype", [
    (True, 0.5, torch.float64), (False, 0.5, torch.float64),
    (True, 0.01, torch.float32),  # small alpha in float32: the max-subtracting fallback
    (True, 0.1, torch.float32),
])
def test_chunked_gradients_match_reference(mask_padding, alpha, dtype, save_elements):
    text, video, tm, vm = (x.to(dtype) if x.is_floating_point() else x for x in tokens(seed=1))
    weights = torch.randn(2, 6, 6, dtype=dtype, generator=torch.Generator().manual_seed(5))
    results = []
    chunked = {"chunk_elements": 200, "save_elements": save_elements}
    for fn, kw in ((soft_max_scores, chunked), (soft_max_scores_reference, {})):
        t, v = text.clone().requires_grad_(), video.clone().requires_grad_()
        t2v, v2t = fn(t, v, tm, vm, alpha, mask_padding=mask_padding, **kw)
        ((t2v * weights[0]).sum() + (v2t * weights[1]).sum()).backward()
        results.append((t2v, v2t, t.grad, v.grad))
    tol = 1e-10 if dtype == torch.float64 else 2e-5
    for got, expected in zip(*results):
        assert torch.isfinite(got).all()
        assert torch.allclose(got, expected, rtol=tol, atol=tol)


def test_gradcheck_chunked():
    text, video, tm, vm = tokens(n=3, words=4, frames=3, d=4, seed=2)
    text.requires_grad_()
    video.requires_grad_()
    assert torch.autograd.gradcheck(
        lambda t, v: soft_max_similarity(t, v, tm, vm, 0.7), (text, video))


def test_padding_values_do_not_matter_when_masked():
    text, video, tm, vm = tokens(seed=3)
    base = soft_max_similarity(text, video, tm, vm, 1.0)
    text2, video2 = text.clone(), video.clone()
    text2[~tm] = 1e3 * torch.randn_like(text2[~tm])
    video2[~vm] = 0.0  # zero vectors in padding are fine too
    assert torch.allclose(soft_max_similarity(text2, video2, tm, vm, 1.0), base, atol=1e-14)


def test_released_semantics_depend_on_padding_length_only_through_masks():
    # all cosines zero: the released t2v is (W / n_t) log n_v and v2t (F / n_v) log n_t (docs §5.3)
    n, words, frames = 4, 6, 5
    text = torch.zeros(n, words, 2, dtype=torch.float64)
    video = torch.zeros(n, frames, 2, dtype=torch.float64)
    text[..., 0] = 1.0
    video[..., 1] = 1.0
    tm = torch.arange(words)[None] < torch.tensor([[1], [3], [6], [2]])
    vm = torch.arange(frames)[None] < torch.tensor([[5], [1], [2], [4]])
    t2v, v2t = soft_max_scores(text, video, tm, vm, 1.0, mask_padding=False)
    n_t, n_v = tm.sum(1, keepdim=True).double(), vm.sum(1).double()[None]
    assert torch.allclose(t2v, words / n_t * n_v.log())
    assert torch.allclose(v2t, frames / n_v * n_t.log())


def test_small_alpha_tends_to_max():
    text, video, tm, vm = tokens(seed=4)
    t2v, v2t = soft_max_scores(text, video, tm, vm, 1e-4)
    t = torch.nn.functional.normalize(text, dim=-1)
    v = torch.nn.functional.normalize(video, dim=-1)
    cos = torch.einsum("awd,bfd->abwf", t, v)
    cos = cos.masked_fill(~(tm[:, None, :, None] & vm[None, :, None, :]), -math.inf)
    best_frame = cos.amax(3).masked_fill(~tm[:, None], 0).sum(-1) / tm.sum(-1, keepdim=True)
    assert torch.allclose(t2v, best_frame, atol=1e-3)


def test_pooled_cosine_rows_are_captions():
    text = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    video = torch.tensor([[0.0, 3.0], [1.0, 1.0]])
    expected = torch.tensor([[0.0, 1 / math.sqrt(2)], [1.0, 1 / math.sqrt(2)]])
    assert torch.allclose(pooled_cosine(text, video), expected)


def test_minmax_range():
    x = torch.tensor([[2.0, 4.0], [3.0, 6.0]])
    assert torch.equal(minmax(x), torch.tensor([[0.0, 0.5], [0.25, 1.0]]))


def test_minmax_normalize_option():
    args = tokens(seed=5)
    s = soft_max_similarity(*args, 1.0, minmax_normalize=True)
    t2v, v2t = soft_max_scores_reference(*args, 1.0)
    assert torch.allclose(s, (minmax(t2v) + minmax(v2t)) / 2)


def test_hard_max_matches_loops_and_has_gradients():
    text, video, tm, vm = tokens(seed=6)
    text.requires_grad_()
    t2v, v2t = hard_max_scores(text, video, tm, vm)
    t = torch.nn.functional.normalize(text, dim=-1)
    v = torch.nn.functional.normalize(video, dim=-1)
    for a in range(6):
        for b in range(6):
            cos = t[a, tm[a]] @ v[b, vm[b]].T  # (n_t, n_v)
            assert torch.isclose(t2v[a, b], cos.amax(1).mean())
            assert torch.isclose(v2t[a, b], cos.amax(0).mean())
    (t2v.sum() + v2t.sum()).backward()
    assert torch.isfinite(text.grad).all() and text.grad[tm].abs().sum() > 0
    assert (text.grad[~tm] == 0).all()


@pytest.mark.parametrize("which", ["text_mask", "video_mask"])
def test_soft_max_names_an_empty_caption_or_clip(which):
    text, video, text_mask, video_mask = tokens()
    masks = {"text_mask": text_mask.clone(), "video_mask": video_mask.clone()}
    masks[which][2] = False
    for path in ("chunked", "reference"):
        with pytest.raises(ValueError, match=f"{which} row 2 has no valid token"):
            soft_max_scores(text, video, masks["text_mask"], masks["video_mask"], 1.0, path=path)
    with pytest.raises(ValueError, match=f"{which} row 2 has no valid token"):
        hard_max_scores(text, video, masks["text_mask"], masks["video_mask"])
