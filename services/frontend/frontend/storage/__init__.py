"""Storage of finished translations: engines, migrations, the repository and pending saves."""
