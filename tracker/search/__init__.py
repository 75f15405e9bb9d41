"""Accent-insensitive full-text search over dossiers' OCR text (SQLite FTS5 or PostgreSQL)."""
