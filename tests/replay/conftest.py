"""The replay tests use the e2e harness (tests/e2e/e2e_support.py) and the journal tests'
PostgreSQL server fixture."""

import sys
from pathlib import Path

import hypothesis  # noqa: F401  (see tests/e2e/conftest.py: import it before threads run)

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT, ROOT / "tests" / "e2e", ROOT / "tests" / "journal"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from conftest_pg import backend, journal_url, pg_server  # noqa: E402, F401
