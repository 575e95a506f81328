"""Run a WSGI application under a real server (waitress) on 127.0.0.1 for tests."""

from __future__ import annotations

from callcontrol.load.serve import serve_wsgi

__all__ = ["serve_wsgi"]
