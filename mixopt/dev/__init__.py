"""For developers: synthetic instances, benchmarks that print figures, the generated parts
of the documentation."""
