"""Unlimited Translation backend: German-to-English translation of texts of any length.

POST /v1/translate translates a whole text, POST /v1/translate/stream streams it as NDJSON segment
by segment, POST /translate and GET /languages speak LibreTranslate's API.
"""
