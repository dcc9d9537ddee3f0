import itertools
import math

import pytest
import torch
from scipy.optimize import linear_sum_assignment

from norton import bucket_sinkhorn, sinkhorn


def scores(*shape, seed=0, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def test_marginals_default_uniform():
    s = scores(3, 5, 7)
    res = sinkhorn(s, 0.5, n_iters=500, tol=1e-12)
    assert torch.allclose(res.plan.sum(-1), torch.full((3, 5), 1 / 5, dtype=s.dtype), atol=1e-10)
    assert torch.allclose(res.plan.sum(-2), torch.full((3, 7), 1 / 7, dtype=s.dtype), atol=1e-12)
    assert res.plan.sum(dim=(-2, -1)).sub(1).abs().max() < 1e-10
    assert torch.allclose(res.log_plan.exp(), res.plan)


def test_marginals_given():
    s = scores(4, 6)
    a = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=s.dtype)
    b = torch.softmax(scores(6, seed=1), 0)
    res = sinkhorn(s, 0.3, a=a, b=b, n_iters=2000, tol=1e-12)
    assert torch.allclose(res.plan.sum(-1), a, atol=1e-10)
    assert torch.allclose(res.plan.sum(-2), b, atol=1e-12)
    assert res.marginal_error < 1e-10


def test_fixed_iterations_have_exact_columns_and_report_row_error():
    s = scores(8, 8)
    res = sinkhorn(s, 0.05, n_iters=3)
    assert res.n_iters == 3
    assert torch.allclose(res.plan.sum(-2), torch.full((8,), 1 / 8, dtype=s.dtype), atol=1e-14)
    row_error = (res.plan.sum(-1) - 1 / 8).abs().sum()
    assert row_error > 1e-6
    assert torch.isclose(res.marginal_error, row_error, rtol=1e-8)


def test_objective_is_maximised():
    s, eps = scores(5, 5), 0.2
    plan = sinkhorn(s, eps, n_iters=2000, tol=1e-13).plan

    def objective(q):
        return (q * s).sum() - eps * (q * q.log()).sum()

    best = objective(plan)
    # any feasible perturbation keeping both marginals lowers the entropic objective
    for seed in range(5):
        d = scores(5, 5, seed=10 + seed)
        d = d - d.mean(0, keepdim=True) - d.mean(1, keepdim=True) + d.mean()
        assert objective(plan + 1e-3 * plan.min() * d / d.abs().max()) < best


def test_batched_equals_looped():
    s = scores(2, 3, 4, 6)
    batched = sinkhorn(s, 0.1, n_iters=30).plan
    for i, j in itertools.product(range(2), range(3)):
        assert torch.equal(batched[i, j], sinkhorn(s[i, j], 0.1, n_iters=30).plan)


def test_tol_stops_early_and_agrees_with_long_run():
    s = scores(6, 9)
    early = sinkhorn(s, 0.5, n_iters=1000, tol=1e-9)
    assert early.n_iters < 1000 and early.marginal_error < 1e-9
    long = sinkhorn(s, 0.5, n_iters=1000)
    assert long.n_iters == 1000
    assert torch.allclose(early.plan, long.plan, atol=1e-9)


def test_small_eps_recovers_the_assignment():
    for seed in range(3):
        s = scores(6, 6, seed=seed)
        plan = sinkhorn(s, 1e-3, n_iters=3000).plan
        rows, cols = linear_sum_assignment(s.numpy(), maximize=True)
        assert torch.equal(plan.argmax(-1), torch.as_tensor(cols))
        assert torch.allclose(plan * 6, torch.eye(6, dtype=s.dtype)[cols], atol=1e-3)


def test_small_eps_matches_brute_force():
    s = scores(5, 5, seed=7)
    best = max(itertools.permutations(range(5)), key=lambda p: sum(s[i, p[i]] for i in range(5)))
    plan = sinkhorn(s, 1e-3, n_iters=3000).plan
    assert plan.argmax(-1).tolist() == list(best)


def test_tiny_eps_has_no_nan_in_float32():
    s = torch.rand(16, 10, 10, generator=torch.Generator().manual_seed(0))
    res = sinkhorn(s, 1e-3, n_iters=50)
    assert torch.isfinite(res.plan).all() and torch.isfinite(res.log_plan).all()
    res = bucket_sinkhorn(s, 0.5, 1e-3, marginals="dustbin")
    assert torch.isfinite(res.full_plan).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_inputs_are_solved_in_float32(dtype):
    s = torch.rand(4, 8, 8, generator=torch.Generator().manual_seed(1)).to(dtype)
    res = sinkhorn(s, 0.05, n_iters=50)
    assert res.plan.dtype == torch.float32
    reference = sinkhorn(s.float(), 0.05, n_iters=50).plan
    assert torch.equal(res.plan, reference)
    bucket = bucket_sinkhorn(s, 0.3, 0.05)
    assert bucket.plan.dtype == torch.float32 and torch.isfinite(bucket.plan).all()


def test_plan_is_detached_by_default_and_differentiable_on_request():
    s = scores(4, 4).requires_grad_()
    assert not sinkhorn(s, 0.5).plan.requires_grad
    assert sinkhorn(s, 0.5, differentiable=True).plan.requires_grad


def test_gradcheck_through_iterations():
    s = scores(3, 4).requires_grad_()
    w = scores(3, 4, seed=3)
    assert torch.autograd.gradcheck(
        lambda x: (sinkhorn(x, 0.7, n_iters=10, differentiable=True).plan * w).sum(), (s,))
    p = torch.tensor(0.2, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: (bucket_sinkhorn(x, p, 0.7, n_iters=10, differentiable=True).plan * w).sum(), (s,))


def test_masked_problem_equals_unpadded_problem():
    s = scores(2, 7, 9)
    row_mask = torch.tensor([[True] * 5 + [False] * 2, [True] * 7])
    col_mask = torch.tensor([[True] * 6 + [False] * 3, [True] * 8 + [False]])
    padded = s.clone()
    padded[~(row_mask[..., None] & col_mask[:, None, :])] = float("nan")  # padding values never matter
    res = sinkhorn(padded, 0.2, n_iters=40, row_mask=row_mask, col_mask=col_mask)
    for i, (n, m) in enumerate([(5, 6), (7, 8)]):
        alone = sinkhorn(s[i, :n, :m], 0.2, n_iters=40)
        assert torch.allclose(res.plan[i, :n, :m], alone.plan, atol=1e-15)
        assert float(res.plan[i].sum()) == pytest.approx(float(alone.plan.sum()), abs=1e-14)
        assert torch.allclose(res.marginal_error[i], alone.marginal_error, atol=1e-15)
    assert (res.plan[~(row_mask[..., None] & col_mask[:, None, :])] == 0).all()
    bucket = bucket_sinkhorn(padded, 0.1, 0.2, n_iters=40, row_mask=row_mask, col_mask=col_mask)
    alone = bucket_sinkhorn(s[0, :5, :6], 0.1, 0.2, n_iters=40)
    assert torch.allclose(bucket.plan[0, :5, :6], alone.plan, atol=1e-15)
    assert torch.allclose(bucket.row_bucket_mass[0, :5], alone.row_bucket_mass, atol=1e-15)


# Sinkhorn converges slowly towards these degenerate limits: they hold to ~1e-4 after 2000 iterations.
@pytest.mark.parametrize("marginals", ["uniform", "dustbin"])
def test_bucket_minus_infinity_is_balanced_ot(marginals):
    s = torch.rand(3, 6, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    res = bucket_sinkhorn(s, -20.0, 0.1, marginals=marginals, n_iters=2000)
    balanced = sinkhorn(s, 0.1, n_iters=2000, tol=1e-14).plan
    cropped = res.plan / res.plan.sum(dim=(-2, -1), keepdim=True)
    assert torch.allclose(cropped, balanced, atol=1e-4)
    assert res.row_bucket_mass.max() < 1e-80 and res.col_bucket_mass.max() < 1e-3


def test_bucket_plus_infinity_takes_everything_with_dustbin_marginals():
    s = torch.rand(3, 6, 5, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    res = bucket_sinkhorn(s, 20.0, 0.1, marginals="dustbin", n_iters=2000)
    assert res.plan.sum(dim=(-2, -1)).max() < 1e-80
    assert torch.allclose(res.row_bucket_mass, torch.full_like(res.row_bucket_mass, 1 / 11), atol=1e-4)
    assert torch.allclose(res.col_bucket_mass, torch.full_like(res.col_bucket_mass, 1 / 11), atol=1e-12)


def test_bucket_plus_infinity_saturates_uniform_marginals():
    # literally uniform marginals give the bucket one row's and one column's worth of mass only
    k = 6
    s = torch.rand(2, k, k, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    res = bucket_sinkhorn(s, 20.0, 0.1, marginals="uniform", n_iters=2000)
    assert torch.allclose(res.row_bucket_mass.sum(-1), torch.full((2,), 1 / (k + 1), dtype=s.dtype))
    assert torch.allclose(res.col_bucket_mass.sum(-1), torch.full((2,), 1 / (k + 1), dtype=s.dtype))
    assert res.full_plan[..., k, k].max() < 1e-80
    assert torch.allclose(res.plan.sum(dim=(-2, -1)), torch.full((2,), (k - 1) / (k + 1), dtype=s.dtype))


def test_bucket_drops_the_outlier_row():
    s = torch.full((5, 5), 0.1, dtype=torch.float64) + 0.8 * torch.eye(5, dtype=torch.float64)
    s[2] = 0.0  # caption 2 matches nothing
    res = bucket_sinkhorn(s, 0.3, 0.05, marginals="dustbin", n_iters=200)
    dropped = res.row_bucket_mass > res.plan.sum(-1)
    assert dropped.tolist() == [False, False, True, False, False]
    full = res.full_plan
    a = full.sum(-1)
    assert torch.allclose(res.plan.sum(-1) + res.row_bucket_mass, a[:5])


def test_bad_arguments_are_named():
    s = scores(3, 3)
    with pytest.raises(ValueError, match="eps"):
        sinkhorn(s, 0.0)
    with pytest.raises(ValueError, match="NaN"):
        sinkhorn(torch.full((2, 2), float("nan")), 1.0)
    with pytest.raises(ValueError, match="row_mask"):
        sinkhorn(s, 1.0, row_mask=torch.ones(4, dtype=torch.bool))
    with pytest.raises(ValueError, match="scores"):
        sinkhorn(torch.ones(3), 1.0)
    with pytest.raises(ValueError, match="marginals"):
        bucket_sinkhorn(s, 0.1, 1.0, marginals="balanced")
    with pytest.raises(ValueError, match="bucket_value"):
        bucket_sinkhorn(s, math.inf, 1.0)
    with pytest.raises(ValueError, match="a has"):
        sinkhorn(s, 1.0, a=torch.ones(4, dtype=s.dtype))


def _pot_bucket_plan(scores, p, eps, k, marginals):
    """Our bucket with multiplicity k, solved independently by POT: the bucket column written out as k copies."""
    import numpy as np
    import ot as pot

    from norton.ot import bucket_marginals

    s = scores.numpy()
    n, m = s.shape
    row_real, row_bucket, col_real, col_bucket = (float(x) for x in bucket_marginals(
        torch.tensor(float(n), dtype=torch.float64), torch.tensor(float(m), dtype=torch.float64), marginals))
    value = np.full((n + 1, m + k), p)
    value[:n, :m] = s
    value[n, m:] = p - eps * math.log(k)  # k copies of the corner sum back to p
    a = np.r_[np.full(n, row_real), row_bucket]
    b = np.r_[np.full(m, col_real), np.full(k, col_bucket / k)]
    plan = pot.sinkhorn(a, b, -value, eps, method="sinkhorn_log", numItermax=20000, stopThr=1e-13)
    return np.concatenate([plan[:, :m], plan[:, m:].sum(axis=1, keepdims=True)], axis=1)  # (n+1, m+1)


@pytest.mark.parametrize("marginals", ["dustbin", "uniform"])
@pytest.mark.parametrize("k", [1, 3])
def test_bucket_multiplicity_matches_pot_on_the_written_out_bucket(marginals, k):
    """Multiplicity k = the bucket column as k identical columns of value p: checked against POT's solver."""
    g = torch.Generator().manual_seed(k)
    scores = torch.rand(4, 9, generator=g, dtype=torch.float64)
    ours = bucket_sinkhorn(scores, 0.55, 0.1, marginals=marginals, multiplicity=k, n_iters=3000, tol=1e-12)
    reference = _pot_bucket_plan(scores, 0.55, 0.1, k, marginals)
    assert torch.allclose(ours.full_plan, torch.from_numpy(reference), atol=1e-9)


def test_multiplicity_sends_spread_rows_to_the_bucket_and_shares_are_consistent():
    # a row that matches 6 of 12 columns at 0.58 against a bucket of 0.6: spread mass beats one entry of p,
    # but not p counted 6 times
    scores = torch.full((2, 12), -1.0, dtype=torch.float64)
    scores[0, :6] = 0.58
    scores[1, 6:] = 0.9
    single = bucket_sinkhorn(scores, 0.6, 0.05, marginals="dustbin", n_iters=500)
    multiple = bucket_sinkhorn(scores, 0.6, 0.05, marginals="dustbin", n_iters=500, multiplicity=6.0)
    assert single.row_bucket_share[0] < 0.5 < multiple.row_bucket_share[0]
    assert multiple.row_bucket_share[1] < 0.5
    share = multiple.row_bucket_mass / (multiple.row_bucket_mass + multiple.plan.sum(-1))
    assert torch.allclose(multiple.row_bucket_share, share)
    assert torch.allclose(multiple.row_kept_log_odds, (multiple.plan.sum(-1) / multiple.row_bucket_mass).log())
    col = multiple.col_bucket_mass / (multiple.col_bucket_mass + multiple.plan.sum(-2))
    assert torch.allclose(multiple.col_bucket_share, col)
    with pytest.raises(ValueError, match="multiplicity"):
        bucket_sinkhorn(scores, 0.6, 0.05, multiplicity=0.5)


def test_empty_problems_and_rows_that_can_take_nothing_are_named():
    for shape in ((0, 4), (3, 0), (2, 0, 3)):
        with pytest.raises(ValueError, match="at least one row and one column"):
            sinkhorn(torch.zeros(shape), 0.1)
    scores = torch.rand(2, 3, 4)
    scores[1, 2] = -math.inf
    with pytest.raises(ValueError, match=r"row 2 of problem \(1,\) is -inf everywhere"):
        sinkhorn(scores, 0.1)
    scores = torch.rand(3, 4)
    scores[:, 1] = -math.inf
    with pytest.raises(ValueError, match="column 1 is -inf everywhere; mask it out with col_mask"):
        sinkhorn(scores, 0.1)
    # masked out, the same line is fine, and partial -inf rows are allowed constraints
    mask = torch.tensor([True, False, True, True])
    assert torch.isfinite(sinkhorn(scores, 0.1, col_mask=mask).plan).all()
    scores[0, 0] = -math.inf
    assert sinkhorn(scores, 0.1, col_mask=mask).plan[0, 0] == 0
