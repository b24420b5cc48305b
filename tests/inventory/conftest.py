import sys
from pathlib import Path

# The tiny hand-made store lives next to the tests that use it.
sys.path.insert(0, str(Path(__file__).parent))
