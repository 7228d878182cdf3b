"""Articles by URL: fetch a web page safely, extract its article, translate and summarise it.

Framework-free: the blueprint `frontend.blueprints.articles` turns HTTP into calls of these.
"""
