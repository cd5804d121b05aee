"""What people and programs read: frames, the JSON document, terminal tables, charts, the
HTML report, the footprint declaration and results workbooks. Built from a ``Result``;
the figures all come from the solver-free recheck.
"""
