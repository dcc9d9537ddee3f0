"""Compile norton's Triton kernels for a GPU without one, and print what the compiler made of them.

Per kernel and dtype: shared memory, registers per thread and spilled bytes (from ptxas -v), the
tensor-core instructions in the PTX (wgmma on Hopper, mma on older cards), the asynchronous copies
that pipeline the loads of the loop over D (cp.async) and the compile time. Arguments get the
specialisations the JIT would give them at a launch (16-byte aligned pointers); D=768.
Tiles: norton.kernels.soft_max.DEFAULT_BLOCKS (128 words x 64 frames, at most 8 captions and 8 clips each).
Runs on any machine with triton installed (ptxas ships in its wheel); no GPU, no driver.
Usage: python benchmarks/kernel_report.py [--capability 90] [--dtypes bf16 fp16 fp32] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

if os.environ.get("TRITON_INTERPRET") == "1":
    raise SystemExit("kernel_report compiles kernels: unset TRITON_INTERPRET")

import torch  # noqa: E402
import triton  # noqa: E402
from triton.backends.compiler import GPUTarget  # noqa: E402
from triton.compiler import ASTSource  # noqa: E402

from norton.kernels import sinkhorn as fused_ot, soft_max as fused  # noqa: E402

SHARED_LIMIT = 227 * 1024  # bytes of shared memory one block may use on an H100/H200


def similarity_kernels(dtype: str) -> list[tuple[str, object, dict, dict, fused.Blocks]]:
    """(name, kernel, signature, constexprs, blocks) of the two soft-maximum kernels for one dtype."""
    blocks = fused.DEFAULT_BLOCKS
    ca, cb = blocks.captions, blocks.clips
    tiles = dict(CA=ca, CB=cb, CA_POW2=fused.next_power_of_two(ca), CB_POW2=fused.next_power_of_two(cb),
                 DIM=768, BLOCK_W=blocks.words, BLOCK_F=blocks.frames,
                 BLOCK_D=blocks.dim_for(torch.float32 if dtype == "fp32" else torch.bfloat16),
                 IEEE=dtype == "fp32")
    tokens = {"text": f"*{dtype}", "video": f"*{dtype}", "word_caption": "*i32", "frame_clip": "*i32",
              "caption_start": "*i32", "clip_start": "*i32", "caption_tiles": "*i32", "clip_tiles": "*i32"}
    forward = {**tokens, "t2v": "*fp32", "v2t": "*fp32", "word_lse": "*fp32", "frame_lse": "*fp32",
               "n_clips": "i32", "n_frames": "i32", "inv_alpha": "fp32"}
    weights = {**tokens, "word_lse": "*fp32", "frame_lse": "*fp32", "grad_t2v": "*fp32", "grad_v2t": "*fp32",
               "weights": f"*{dtype}", "first_tile": "i32", "first_row": "i32", "n_clips": "i32",
               "n_frames": "i32", "inv_alpha": "fp32"}
    return [("soft-max forward", fused._forward_kernel, forward, tiles, blocks),
            ("soft-max backward weights", fused._weights_kernel, weights, tiles, blocks)]


def sinkhorn_kernels() -> list[tuple[str, object, dict, dict, fused.Blocks]]:
    """The two Sinkhorn kernels, for a (K+1) x (K+1) = 9 x 9 block and a 1024 x 1024 problem."""
    launch = fused.Blocks(words=16, frames=16, dim=16, warps=4, stages=1)
    small = {"z_ptr": "*fp32", "log_a_ptr": "*fp32", "log_b_ptr": "*fp32", "row_ok_ptr": "*i8",
             "col_ok_ptr": "*i8", "u_ptr": "*fp32", "v_ptr": "*fp32", "n": "i32", "m": "i32"}
    update = {"z_ptr": "*fp32", "log_w_ptr": "*fp32", "ok_ptr": "*i8", "other_ptr": "*fp32", "out_ptr": "*fp32",
              "n": "i32", "m": "i32", "size": "i32", "stride_along": "i32", "stride_across": "i32"}
    return [("sinkhorn small (9 x 9)", fused_ot._small_kernel, small,
             dict(N_ITERS=50, BLOCK_N=16, BLOCK_M=16, MASKED=False), launch),
            ("sinkhorn update (large)", fused_ot._update_kernel, update,
             dict(OTHER_SIZE=1024, BLOCK_OUT=fused_ot.BLOCK_OUT, BLOCK_IN=fused_ot.BLOCK_IN, MASKED=False), launch)]


def ptxas_report(ptx: str, capability: int) -> dict:
    """Registers and spill bytes that ptxas reports for the PTX."""
    ptxas = Path(triton.__file__).parent / "backends" / "nvidia" / "bin" / "ptxas"
    arch = f"sm_{capability}a" if capability >= 90 else f"sm_{capability}"
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "kernel.ptx"
        source.write_text(ptx)
        run = subprocess.run([str(ptxas), "-v", f"--gpu-name={arch}", str(source), "-o", str(Path(folder) / "k.cubin")],
                             capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"ptxas failed: {run.stderr.strip()[-500:]}")
    registers = re.search(r"Used (\d+) registers", run.stderr)
    spills = re.search(r"(\d+) bytes spill stores", run.stderr)
    return {"registers": int(registers.group(1)) if registers else None,
            "spill_bytes": int(spills.group(1)) if spills else 0}


def compile_one(name: str, kernel, signature: dict, constexprs: dict, blocks: fused.Blocks,
                capability: int) -> dict:
    signature = {**signature, **{key: "constexpr" for key in constexprs}}
    # what the JIT would specialise at a launch: torch's allocations are 16-byte aligned
    attrs = {(kernel.arg_names.index(name),): [["tt.divisibility", 16]]
             for name, kind in signature.items() if kind.startswith("*")}
    begin = time.perf_counter()
    compiled = triton.compile(ASTSource(fn=kernel, signature=signature, constexprs=constexprs, attrs=attrs),
                              target=GPUTarget("cuda", capability, 32),
                              options={"num_warps": blocks.warps, "num_stages": blocks.stages})
    seconds = time.perf_counter() - begin
    ptx = compiled.asm["ptx"]
    return {"kernel": name, "dtype": signature.get("text", signature.get("z_ptr", "")).lstrip("*"),
            "shared_bytes": compiled.metadata.shared, "compile_s": round(seconds, 1),
            "wgmma": len(re.findall(r"\bwgmma\.mma_async", ptx)), "mma": len(re.findall(r"\bmma\.sync", ptx)),
            "async_copies": len(re.findall(r"\bcp\.async\.", ptx)),
            "warps": blocks.warps, **ptxas_report(ptx, capability)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capability", type=int, default=90, help="compute capability: 90 = H100/H200, 80 = A100")
    parser.add_argument("--dtypes", nargs="+", default=["bf16", "fp16", "fp32"], choices=["bf16", "fp16", "fp32"])
    parser.add_argument("--json", action="store_true", help="one JSON list instead of the table")
    args = parser.parse_args()
    specs = [spec for dtype in args.dtypes for spec in similarity_kernels(dtype)] + sinkhorn_kernels()
    rows = [compile_one(*spec, capability=args.capability) for spec in specs]
    if args.json:
        print(json.dumps(rows))
        return
    print(f"Triton {triton.__version__}, target sm_{args.capability}, blocks {fused.DEFAULT_BLOCKS}")
    print("| kernel | dtype | warps | shared KiB | registers | spill bytes | wgmma | mma.sync | cp.async | compile s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['kernel']} | {row['dtype']} | {row['warps']} | {row['shared_bytes'] / 1024:.0f} "
              f"| {row['registers']} | {row['spill_bytes']} | {row['wgmma']} | {row['mma']} | {row['async_copies']} "
              f"| {row['compile_s']} |")


if __name__ == "__main__":
    main()
