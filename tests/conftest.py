"""Shared test setup: the domain package importable as Lambda sees it (the layer's python/ folder)."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYER = ROOT / "layers" / "shared" / "python"
for path in (str(ROOT), str(LAYER)):
    if path not in sys.path:
        sys.path.insert(0, path)

