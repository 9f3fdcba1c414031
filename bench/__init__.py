"""Throughput benchmarks of the stages, and (in ``bench.experiments``) experiments that train models."""
