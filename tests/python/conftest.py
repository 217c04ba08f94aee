import os

import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "privileged: needs root (live eBPF capture)")


@pytest.fixture
def root():
    """Live capture needs root: skip without it, fail when CI=true."""
    if os.geteuid() != 0:
        if os.environ.get("CI") == "true":
            pytest.fail("live capture needs root (CI=true: failing instead of skipping)")
        pytest.skip("live capture needs root")
