"""The benchmark runner layer: validation now; running models and the report come next."""

from tucano_commerce.bench._validate import EXPECTED_COUNTS, Problem, ValidationReport, validate_benchmark

__all__ = ["EXPECTED_COUNTS", "Problem", "ValidationReport", "validate_benchmark"]
