"""Test settings: offline hub, one torch thread (two threads on a busy 2-core box are 4-40x slower)."""
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
if not torch.cuda.is_available():  # Triton kernels run in its CPU interpreter (read when norton.kernels.soft_max is imported)
    os.environ.setdefault("TRITON_INTERPRET", "1")

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO.parent / "shared" / "golden"


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    """The released loss's fixtures (../shared/golden beside the checkout)."""
    if not GOLDEN.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"golden fixtures not found at {GOLDEN}: CI must run beside ../shared")
        pytest.skip(f"golden fixtures not found at {GOLDEN}")
    return GOLDEN
