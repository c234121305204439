"""Benchmarks: matching at national scale, pages under load, SMS dispatch and memory.

``python -m bench`` runs them all and prints one table; each module runs alone
too (``python -m bench.matching --helpers 10000``). See ``bench/README.md``.
"""
