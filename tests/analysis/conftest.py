"""Where the independent reference lives: ``shared/reference`` beside the checkout.

Looked up through the checkout's parents, so the tests find it from ``/work/main`` and from an
engineer's worktree (``/work/wt/NAME``) alike, instead of failing on a fixed relative path.
"""

from __future__ import annotations

from pathlib import Path


def _reference_root() -> Path:
    checkout = Path(__file__).resolve().parents[2]
    for parent in checkout.parents:
        if (parent / "shared" / "reference").is_dir():
            return parent / "shared" / "reference"
    return checkout.parent / "shared" / "reference"


REFERENCE_ROOT = _reference_root()
REFERENCE_A = REFERENCE_ROOT / "a"
