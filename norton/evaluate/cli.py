"""`norton evaluate`: a checkpoint's zero-shot metrics on a feature store, or an ablation sweep's summary."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..checkpoint import import_mmpt_checkpoint, load_model
from ..data.videos import load_feature_store
from ..model import DualEncoder, ModelConfig
from .protocols import evaluate_model
from .tables import summarize_sweep


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", nargs="?", help="norton checkpoint (.pt), or a released MMPT one with --mmpt")
    parser.add_argument("--data", help="feature store folder (norton extract)")
    parser.add_argument("--captions", help="HowTo100M JSON or subtitle folder (default: the store's captions.json)")
    parser.add_argument("--htm-align", help="HTM-Align annotations JSON: its captions, plus R@1 / ROC-AUC")
    parser.add_argument("--out", default="metrics.json", help="where the metrics JSON goes (default metrics.json)")
    parser.add_argument("--mmpt", action="store_true", help="CHECKPOINT is a released VideoCLIP/Norton (MMPT) file")
    parser.add_argument("--preset", default="videoclip", help="model preset for --mmpt (default videoclip)")
    parser.add_argument("--allow-pickle", action="store_true", help="--mmpt: unpickle fairseq objects (trusted files)")
    parser.add_argument("--released-protocol", action="store_true",
                        help="video-paragraph DTW/OTAM with the released code's padding and OTAM sign quirk")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda, ...)")
    parser.add_argument("--summarize", metavar="RESULTS_CSV",
                        help="instead: print the mean ± std table of an ablation sweep's results.csv (--out: .md)")


def load_for_evaluation(args: argparse.Namespace):
    """The model named by the command line arguments."""
    if not args.mmpt:
        return load_model(args.checkpoint)[0]
    model = DualEncoder(ModelConfig.from_preset(args.preset, pretrained=False))
    report = import_mmpt_checkpoint(args.checkpoint, model, allow_pickle=args.allow_pickle)
    print(f"imported {args.checkpoint}: {report.summary()}")
    return model


def run(args: argparse.Namespace) -> int:
    if args.summarize:
        out = None if args.out == "metrics.json" else args.out
        print(summarize_sweep(args.summarize, out))
        return 0
    if not args.checkpoint or not args.data:
        raise SystemExit("norton evaluate: CHECKPOINT and --data are required (or use --summarize)")
    model = load_for_evaluation(args).to(args.device)
    collection = load_feature_store(args.data, captions=args.captions, htm_align=args.htm_align,
                                    feature_dim=model.config.video_feature_dim)
    if not len(collection):
        raise SystemExit(f"norton evaluate: no usable video in {args.data} (skipped: {collection.skipped[:3]})")
    protocol_kw = {"tempclr_sign_quirk": True, "tempclr_padding": True} if args.released_protocol else None
    result = evaluate_model(model, collection.videos, htm_align=args.htm_align is not None, protocol_kw=protocol_kw)
    result["skipped_videos"] = len(collection.skipped)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    clip = result["clip_retrieval"]
    print(f"{result['num_videos']} videos; clip retrieval R@1 {clip['R@1']:.3f} R@5 {clip['R@5']:.3f}; "
          f"video-paragraph DTW R@1 {result['paragraph_background_removed']['dtw']['R@1']:.3f}")
    if "htm_align" in result:
        print(f"HTM-Align R@1 {result['htm_align']['R@1']:.3f} ROC-AUC {result['htm_align']['ROC-AUC']:.3f}")
    print(f"metrics: {args.out}")
    return 0
