"""The marks every cluster test carries."""

from __future__ import annotations

import pytest

# The first test's set-up builds the images, starts the cluster and deploys the stack (minutes on
# a cold machine); the project's default per-test timeout (600 s, pyproject.toml) is too short.
CLUSTER_TEST_TIMEOUT_S = 1800

CLUSTER_MARKS = [pytest.mark.cluster, pytest.mark.timeout(CLUSTER_TEST_TIMEOUT_S)]
