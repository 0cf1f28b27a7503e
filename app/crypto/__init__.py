"""Encryption of personal data at rest: master keys (keyring) and sealed values (envelope)."""
