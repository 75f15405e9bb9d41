"""Scanning station pipeline: scanner to searchable, stored, recorded dossier."""
