"""The audit trail above the per-case timelines: a Merkle tree over every event of every
case, with signed checkpoints kept outside the database (issue on trust)."""
