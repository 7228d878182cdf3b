"""One router per feature: native translation, LibreTranslate compatibility, health and metrics."""
