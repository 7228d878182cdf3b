"""The marks every Swarm end-to-end test carries."""

from __future__ import annotations

import pytest

# The first test's setup builds the images and deploys the stack (several minutes on a cold
# machine); the project's default per-test timeout (600 s, pyproject.toml) would cut it short.
SWARM_TEST_TIMEOUT_S = 1800

SWARM_MARKS = [pytest.mark.swarm, pytest.mark.timeout(SWARM_TEST_TIMEOUT_S)]
