"""Triton Sinkhorn potentials against the eager loop: small (one launch) and large (two per iteration).

Without a GPU the kernels run in Triton's CPU interpreter (conftest sets TRITON_INTERPRET=1).
"""
import pytest
import torch

pytest.importorskip("triton", reason="triton is not installed: the fused Sinkhorn is not tested here")

from norton.kernels.sinkhorn import sinkhorn_potentials  # noqa: E402
from norton.ot import bucket_sinkhorn, sinkhorn  # noqa: E402

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def problems(shape, seed, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g) * scale).to(DEVICE)


def random_mask(shape, seed):
    g = torch.Generator().manual_seed(seed)
    mask = torch.rand(*shape, generator=g) < 0.7
    mask[..., 0] = True
    return mask.to(DEVICE)


def assert_same_plan(fused, eager, rtol=1e-5):
    assert fused.n_iters == eager.n_iters
    assert torch.allclose(fused.plan, eager.plan, rtol=rtol, atol=1e-7)
    assert torch.allclose(fused.marginal_error, eager.marginal_error, rtol=1e-3, atol=1e-6)


@pytest.fixture(params=["small", "large"])
def kernel(request, monkeypatch):
    """Which path the fused Sinkhorn takes: "large" forces the two-kernel path with tiny blocks."""
    if request.param == "large":
        import norton.kernels.sinkhorn
        monkeypatch.setattr(norton.kernels.sinkhorn, "SMALL_LIMIT", 0)
        monkeypatch.setattr(norton.kernels.sinkhorn, "BLOCK_OUT", 4)
        monkeypatch.setattr(norton.kernels.sinkhorn, "BLOCK_IN", 4)
    return request.param


def test_fused_potentials_equal_the_eager_loop(kernel):
    scores = problems((2, 9, 7), seed=1)
    z = scores / 0.5
    log_a = torch.full((2, 9), -torch.log(torch.tensor(9.0)).item(), device=DEVICE)
    log_b = torch.full((2, 7), -torch.log(torch.tensor(7.0)).item(), device=DEVICE)
    u, v = sinkhorn_potentials(z, log_a, log_b, None, None, 12)
    eager = sinkhorn(scores, 0.5, n_iters=12, backend="torch")
    fused_plan = (z + u[..., None] + v[..., None, :]).exp()
    assert u.shape == (2, 9) and v.shape == (2, 7)
    assert torch.allclose(fused_plan, eager.plan, rtol=1e-5, atol=1e-7)


def test_fused_sinkhorn_with_masks_and_marginals(kernel):
    scores = problems((2, 10, 12), seed=2)
    row_mask, col_mask = random_mask((2, 10), 3), random_mask((2, 12), 4)
    a = torch.rand(2, 10, generator=torch.Generator().manual_seed(5)).to(DEVICE)
    b = torch.rand(2, 12, generator=torch.Generator().manual_seed(6)).to(DEVICE)
    a, b = a / a.sum(-1, keepdim=True), b / b.sum(-1, keepdim=True)
    args = dict(a=a, b=b, row_mask=row_mask, col_mask=col_mask, n_iters=12)
    eager = sinkhorn(scores, 0.2, backend="torch", **args)
    fused = sinkhorn(scores, 0.2, backend="fused", **args)
    assert_same_plan(fused, eager)
    assert (fused.plan[~(row_mask[..., None] & col_mask[..., None, :])] == 0).all()


def test_fused_bucket_sinkhorn_equals_eager():
    scores = problems((2, 2, 8, 8), seed=7, scale=0.3)
    for marginals in ("uniform", "dustbin"):
        eager = bucket_sinkhorn(scores, 0.1, 0.1, marginals=marginals, n_iters=20, backend="torch")
        fused = bucket_sinkhorn(scores, 0.1, 0.1, marginals=marginals, n_iters=20, backend="fused")
        assert_same_plan(fused, eager)
        assert torch.allclose(fused.row_bucket_mass, eager.row_bucket_mass, rtol=1e-5, atol=1e-7)


def test_fused_backend_says_why_it_does_not_apply():
    scores = problems((6, 6), seed=8)
    with pytest.raises(ValueError, match="tol"):
        sinkhorn(scores, 1.0, tol=1e-6, backend="fused")
    with pytest.raises(ValueError, match="differentiable"):
        sinkhorn(scores.requires_grad_(), 1.0, differentiable=True, backend="fused")
    with pytest.raises(ValueError, match="float32"):
        sinkhorn(scores.detach().double(), 1.0, backend="fused")
    with pytest.raises(ValueError, match="'triton'"):
        sinkhorn(scores.detach(), 1.0, backend="triton")


def test_auto_backend_is_fused_only_on_cuda(monkeypatch):
    import norton.kernels.sinkhorn
    calls = []
    original = norton.kernels.sinkhorn.sinkhorn_potentials
    monkeypatch.setattr(norton.kernels.sinkhorn, "sinkhorn_potentials", lambda *a, **k: calls.append(1) or original(*a, **k))
    sinkhorn(problems((4, 4), seed=9), 1.0)
    sinkhorn(problems((4, 4), seed=9), 1.0, tol=1e-3)  # tol: eager on every device
    assert len(calls) == (1 if DEVICE == "cuda" else 0)


def test_norton_loss_with_fused_sinkhorn_equals_eager():
    from norton import NortonConfig, NortonLoss
    g = torch.Generator().manual_seed(10)
    n, d = 8, 12
    pooled = [torch.randn(n, d, generator=g) * 0.3 for _ in range(2)]
    tokens = [torch.randn(n, 5, d, generator=g), torch.randn(n, 6, d, generator=g)]  # video, text
    masks = [torch.ones(n, 5, dtype=torch.bool), torch.ones(n, 6, dtype=torch.bool)]
    inputs = [x.to(DEVICE) for x in (*pooled[::-1], *tokens[::-1], *masks[::-1])]  # text first
    config = NortonConfig(clips_per_sequence=4, sinkhorn_iters=10)
    eager = NortonLoss(config, sinkhorn_backend="torch").to(DEVICE)(*inputs)
    fused = NortonLoss(config, sinkhorn_backend="fused").to(DEVICE)(*inputs)
    for field in ("total", "clip_plan", "video_plans", "video_logits"):
        assert torch.allclose(getattr(fused, field), getattr(eager, field), rtol=1e-5, atol=1e-7), field
    with pytest.raises(ValueError, match="sinkhorn_backend"):
        NortonLoss(config, sinkhorn_backend="cuda")


def test_a_sinkhorn_kernel_failure_falls_back_to_eager(monkeypatch):
    import norton.kernels.dispatch
    import norton.kernels.sinkhorn
    import norton.ot
    from triton.runtime.errors import OutOfResources

    class Broken:
        def __getitem__(self, grid):
            def launch(*args, **kwargs):
                raise OutOfResources(300000, 232448, "shared memory")
            return launch

    monkeypatch.setattr(norton.kernels.sinkhorn, "_small_kernel", Broken())
    monkeypatch.setattr(norton.kernels.dispatch, "FAILURES", {})
    scores = problems((3, 5, 5), seed=11)
    with pytest.raises(OutOfResources):
        sinkhorn(scores, 0.5, backend="fused")
    with pytest.raises(ValueError, match="failed earlier in this process: OutOfResources"):
        sinkhorn(scores, 0.5, backend="fused")
    eager = sinkhorn(scores, 0.5, backend="torch")
    monkeypatch.setattr(norton.kernels.dispatch, "FAILURES", {})
    monkeypatch.setattr(norton.ot, "_use_fused", lambda *args: True)  # as "auto" on a GPU
    with pytest.warns(RuntimeWarning, match="iterating eagerly"):
        fallback = sinkhorn(scores, 0.5)
    assert torch.equal(fallback.plan, eager.plan)
    assert list(norton.kernels.dispatch.FAILURES) == [("sinkhorn", str(scores.device), torch.float32)]
