"""Scanning station pipeline (issue 7): scanner to searchable, stored, recorded dossier."""
