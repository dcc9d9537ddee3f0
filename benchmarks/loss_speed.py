"""Forward+backward time and peak extra memory of NortonLoss: materialising, chunked and fused paths.

Paths: materialise (the released code's N x N x W x F tensor, eager Sinkhorn), chunked (packed
valid tokens in chunks of whole captions, eager Sinkhorn) and fused (the Triton kernels of
norton/kernels/soft_max.py and norton/kernels/sinkhorn.py; CUDA only).
Each configuration runs in a fresh subprocess so that its peak memory (CPU: ru_maxrss; CUDA:
max_memory_allocated above the inputs) is its own. Shapes follow the paper: W=31 text positions,
F=18 video positions, D=768, K=8. `--part similarity` times the soft-maximum similarity alone.
TFLOP/s counts the dense frame-word products of forward+backward, 3 x 2*N^2*W*F*D (the released
code's work). The floor is that work at the card's peak rate (--peak-tflops, or known for
H100/H200 per dtype); "% of floor" is floor ms / measured ms.
Usage: python benchmarks/loss_speed.py [--sizes 64 256] [--dtypes float32] [--device cpu|cuda]
       [--paths materialise chunked fused] [--part loss|similarity] [--blocks 128 128 8 16 64 8 3]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys

WORDS, FRAMES, DIM = 31, 18, 768
# dense peak TFLOP/s of the cards this project is lent (fp32 without TF32)
PEAK_TFLOPS = {"H100": {"float32": 67.0, "float16": 989.0, "bfloat16": 989.0},
               "H200": {"float32": 67.0, "float16": 989.0, "bfloat16": 989.0}}


def dense_tflop(n: int) -> float:
    """Frame-word products of one forward+backward pass, in TFLOP."""
    return 3 * 2 * n * n * WORDS * FRAMES * DIM / 1e12


def peak_for(device_name: str, dtype: str, given: float | None) -> float | None:
    if given:
        return given
    return next((p[dtype] for card, p in PEAK_TFLOPS.items() if card in device_name), None)


SIMILARITY_PATHS = {"materialise": "reference", "chunked": "chunked", "fused": "fused"}
SINKHORN_BACKENDS = {"materialise": "torch", "chunked": "torch", "fused": "fused"}
BLOCK_FIELDS = ("words", "frames", "captions", "clips", "dim", "warps", "stages")


def measure(n: int, dtype_name: str, variant: str, path: str, device: str, repeats: int, part: str,
            blocks: list[int] | None) -> dict:
    """Time and memory of one configuration (run inside the child process)."""
    import resource
    import time

    import torch

    from norton import NortonConfig, NortonLoss
    from norton.similarity import soft_max_similarity

    torch.manual_seed(0)
    dtype = getattr(torch, dtype_name)
    dev = torch.device(device)

    def tensor(*shape):
        return torch.randn(*shape, device=dev, dtype=dtype, requires_grad=True)

    inputs = [tensor(n, DIM), tensor(n, DIM), tensor(n, WORDS, DIM), tensor(n, FRAMES, DIM)]  # text first
    video_mask = torch.arange(FRAMES, device=dev)[None] < torch.randint(4, FRAMES + 1, (n, 1), device=dev)
    text_mask = torch.arange(WORDS, device=dev)[None] < torch.randint(4, WORDS + 1, (n, 1), device=dev)
    with torch.no_grad():  # raw dot products of unit-scale features, as VideoCLIP's magnitudes
        inputs[0].mul_(0.05)
        inputs[1].mul_(0.05)
    config = NortonConfig(variant=variant)
    loss = NortonLoss(config, similarity_path=SIMILARITY_PATHS[path],
                      sinkhorn_backend=SINKHORN_BACKENDS[path]).to(dev)
    if blocks:
        import norton.kernels.soft_max as kernels
        kernels.DEFAULT_BLOCKS = kernels.Blocks(**dict(zip(BLOCK_FIELDS, blocks)))

    def step():
        if part == "similarity":
            total = soft_max_similarity(inputs[2], inputs[3], text_mask, video_mask, config.alpha,
                                        mask_padding=config.mask_padding, path=SIMILARITY_PATHS[path]).sum()
        else:
            total = loss(*inputs, text_mask, video_mask).total
        total.backward()
        for x in inputs:
            x.grad = None

    step()  # warm-up
    if dev.type == "cuda":
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(repeats):
            step()
        end.record()
        torch.cuda.synchronize()
        ms = start.elapsed_time(end) / repeats
        extra = (torch.cuda.max_memory_allocated() - base) / 2**30
    else:
        begin = time.perf_counter()
        for _ in range(repeats):
            step()
        ms = (time.perf_counter() - begin) * 1e3 / repeats
        extra = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # peak RSS, GiB
    return {"ms": ms, "gib": extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--dtypes", nargs="+", default=None)
    parser.add_argument("--variants", nargs="+", default=["official", "paper"])
    parser.add_argument("--paths", nargs="+", default=None, choices=list(SIMILARITY_PATHS))
    parser.add_argument("--part", default="loss", choices=["loss", "similarity"])
    parser.add_argument("--blocks", type=int, nargs=len(BLOCK_FIELDS), default=None,
                        metavar=tuple(f.upper() for f in BLOCK_FIELDS), help="fused tile sizes (norton.kernels.soft_max.Blocks)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peak-tflops", type=float, default=None)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(**json.loads(args.child))))
        return
    import torch

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    sizes = args.sizes or ([256, 1024] if device == "cuda" else [64, 256])
    dtypes = args.dtypes or (["float32", "float16", "bfloat16"] if device == "cuda" else ["float32"])
    paths = args.paths or (list(SIMILARITY_PATHS) if device == "cuda" else ["materialise", "chunked"])
    memory = "peak extra GiB" if device == "cuda" else "peak RSS GiB"
    device_name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    what = "NortonLoss" if args.part == "loss" else "soft_max_similarity"
    print(f"{what} forward+backward on {device_name} (torch {torch.__version__}, threads "
          f"{torch.get_num_threads()}), W={WORDS} F={FRAMES} D={DIM}, fused blocks {args.blocks or 'default'}")
    print(f"| N | dtype | variant | path | ms | {memory} | TFLOP/s | floor ms | % of floor |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        for dtype in dtypes:
            for variant in args.variants:
                for path in paths:
                    spec = dict(n=n, dtype_name=dtype, variant=variant, path=path, device=device,
                                repeats=args.repeats, part=args.part, blocks=args.blocks)
                    child = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                                           capture_output=True, text=True)
                    if child.returncode:
                        reason = child.stderr.strip().splitlines()[-1] if child.stderr.strip() else "failed"
                        print(f"| {n} | {dtype} | {variant} | {path} | {reason[:80]} | | | | |")
                        continue
                    result = json.loads(child.stdout.strip().splitlines()[-1])
                    rate = dense_tflop(n) / (result["ms"] / 1e3)
                    peak = peak_for(device_name, dtype, args.peak_tflops)
                    floor_ms = 1e3 * dense_tflop(n) / peak if peak else None
                    floor = (f"{floor_ms:.2f} | {100 * floor_ms / result['ms']:.1f}" if floor_ms else "- | -")
                    print(f"| {n} | {dtype} | {variant} | {path} | {result['ms']:.1f} | {result['gib']:.2f} "
                          f"| {rate:.3f} | {floor} |")


if __name__ == "__main__":
    main()
