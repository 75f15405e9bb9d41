"""Object storage for scanned pages and PDFs (issue 6)."""
