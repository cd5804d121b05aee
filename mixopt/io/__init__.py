"""Carriers of the instance format: TOML (+ CSV tables), xlsx workbooks, overrides, plans;
and the one way outputs are written (``mixopt.io.atomic``).

Every carrier reads into the same ``Instance`` through ``mixopt.io.validate``; the
columns of every table come from the field registry (``mixopt.io.schema``).
"""
