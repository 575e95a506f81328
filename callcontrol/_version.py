"""The version of the distribution, for ``__version__`` and the User-Agent.

A constant rather than a lookup in the installed metadata: ``importlib.metadata`` alone would
add tens of milliseconds to ``import callcontrol``. A test keeps it equal to the installed
distribution's version (pyproject.toml) and to ``bxml.__version__``.
"""

__version__ = "0.1.0"
