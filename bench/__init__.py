"""Benchmarks of bxml and callcontrol against their peers and the raw floor.

Run ``python bench/run.py`` (``--quick`` for a smoke run, ``--write`` to publish the
results to ``bench/results.json``, ``bench/ratios.png`` and ``BENCHMARKS.md``).
"""
