"""Public statistics: precomputed per-application facts, suppressed aggregates, open data."""
