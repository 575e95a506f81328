"""The installed version of the distribution, for ``__version__`` and the User-Agent."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bxml-callcontrol")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
