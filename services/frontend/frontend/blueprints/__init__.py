"""One blueprint per feature: translate, history, query (SQL console), ops (health, metrics)."""
