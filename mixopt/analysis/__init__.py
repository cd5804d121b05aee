"""Analyses built on many solves: scenario comparison and grids, the cost-carbon frontier,
and the diagnosis of an infeasible instance."""
