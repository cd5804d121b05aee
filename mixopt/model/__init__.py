"""The model: instance -> arrays -> constraint families -> LP -> HiGHS -> recheck.

Imports nothing above it (no readers, reports or command line).
"""
