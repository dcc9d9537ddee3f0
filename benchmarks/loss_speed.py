"""Forward+backward time and peak extra memory of NortonLoss: chunked (default) vs materialising path.

Each configuration runs in a fresh subprocess so that CPU peak memory (ru_maxrss) is its own.
Shapes follow the paper: W=31 text positions, F=18 video positions, D=768, K=8.
TFLOP/s counts the dense frame-word products of forward+backward, 3 x 2*N^2*W*F*D (the released
code's work); "% peak" compares it with --peak-tflops (given, or known for H100/H200 per dtype).
Usage: python benchmarks/loss_speed.py [--sizes 64 256] [--dtypes float32] [--device cpu|cuda]
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


def measure(n: int, dtype_name: str, variant: str, path: str, device: str, repeats: int) -> dict:
    """Time and memory of one configuration (run inside the child process)."""
    import resource
    import time

    import torch

    from norton import NortonConfig, NortonLoss

    torch.manual_seed(0)
    dtype = getattr(torch, dtype_name)
    dev = torch.device(device)

    def tensor(*shape):
        return torch.randn(*shape, device=dev, dtype=dtype, requires_grad=True)

    inputs = [tensor(n, DIM), tensor(n, DIM), tensor(n, FRAMES, DIM), tensor(n, WORDS, DIM)]
    video_mask = torch.arange(FRAMES, device=dev)[None] < torch.randint(4, FRAMES + 1, (n, 1), device=dev)
    text_mask = torch.arange(WORDS, device=dev)[None] < torch.randint(4, WORDS + 1, (n, 1), device=dev)
    with torch.no_grad():  # raw dot products of unit-scale features, as VideoCLIP's magnitudes
        inputs[0].mul_(0.05)
        inputs[1].mul_(0.05)
    loss = NortonLoss(NortonConfig(variant=variant), reference_similarity=(path == "materialise")).to(dev)

    def step():
        out = loss(*inputs, video_mask, text_mask)
        out.total.backward()
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
    parser.add_argument("--paths", nargs="+", default=["materialise", "chunked"])
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
    memory = "peak extra GiB" if device == "cuda" else "peak RSS GiB"
    device_name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
    print(f"NortonLoss forward+backward on {device_name} "
          f"(torch {torch.__version__}, threads {torch.get_num_threads()}), W={WORDS} F={FRAMES} D={DIM}")
    print(f"| N | dtype | variant | path | ms | {memory} | TFLOP/s | % peak |")
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        for dtype in dtypes:
            for variant in args.variants:
                for path in args.paths:
                    spec = dict(n=n, dtype_name=dtype, variant=variant, path=path, device=device,
                                repeats=args.repeats)
                    child = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                                           capture_output=True, text=True)
                    if child.returncode:
                        reason = child.stderr.strip().splitlines()[-1] if child.stderr.strip() else "failed"
                        print(f"| {n} | {dtype} | {variant} | {path} | {reason[:60]} | | | |")
                        continue
                    result = json.loads(child.stdout.strip().splitlines()[-1])
                    rate = dense_tflop(n) / (result["ms"] / 1e3)
                    peak = peak_for(device_name, dtype, args.peak_tflops)
                    share = f"{100 * rate / peak:.1f}" if peak else "-"
                    print(f"| {n} | {dtype} | {variant} | {path} | {result['ms']:.1f} | {result['gib']:.2f} "
                          f"| {rate:.3f} | {share} |")


if __name__ == "__main__":
    main()
