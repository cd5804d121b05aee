"""The field registry: every input field of an instance, with its unit, default and
meaning (pydantic models), from which the readers, the table columns, the workbook
template, the ``--set`` paths and the documentation are derived.

``instance``: one period (a month) of a plan; ``product``, ``carbon`` (routes, footprints,
power, energy, labels, processes): its records; ``horizon``: several periods and what
links them (stock, contracts), a month being a horizon of one period; ``fields``: the
number and name types every field uses; ``paths``: dotted paths into nested records;
``alloys``: the shipped alloy library.
"""
