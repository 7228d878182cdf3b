"""Root conftest: make the shared test support's fixtures available to every test folder."""

pytest_plugins = ["testkit.fixtures"]
