"""Object storage for scanned pages and PDFs."""
