"""Make `tests.runtime.esl_support` and the helpers here importable however pytest starts."""

import sys
from pathlib import Path

# CPython 3.11.7 keeps the AST validator's recursion counter in shared state; once it is off
# (seen after these tests' worker threads ran), every later `ast.parse` fails with
# "AST constructor recursion depth mismatch". The hypothesis plugin imports hypothesis (and
# pytest rewrites it, parsing its source) only at the end of the run: import it now.
import hypothesis  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
for p in (ROOT, HERE):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))
