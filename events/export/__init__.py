"""A dossier's custody export and its offline verifier (standard library and cryptography only)."""
