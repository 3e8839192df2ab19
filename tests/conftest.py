from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The real-format dataset fixtures in ``../shared/fixtures`` (never copied into the repo)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"dataset fixtures not found at {FIXTURES}")
    return FIXTURES
