"""The event store: hashing recorders that write each event's leaf, and fast range scans of them."""
