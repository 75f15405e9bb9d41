"""Tamper evidence: the Merkle tree, signed checkpoints, their signer, witnesses and the audit."""
