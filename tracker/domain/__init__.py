"""The custody domain: pure rules over dossiers, offices, staff and calendars (no I/O)."""
