from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: The real-format dataset fixtures, kept in the repository (see ``tests/resources/README.md``).
FIXTURES = REPO / "tests" / "resources"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The real-format dataset fixtures in ``tests/resources``."""
    if not FIXTURES.is_dir():
        pytest.fail(f"dataset fixtures not found at {FIXTURES}")
    return FIXTURES
