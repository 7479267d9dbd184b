"""`make bench`: throughput and resource benchmarks of the site, printed as one table.

Not a test suite: nothing here asserts on time. See bench/README.md.
"""
