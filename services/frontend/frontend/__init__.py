"""The Unlimited Translation web frontend (Quart): translate, history, SQL console.

Build an app with `frontend.app.create_app(settings)`; run it with `python -m frontend`.
"""
