"""Event-store set-up shared by the tracker: tamper evidence and the Kafka relay build on it."""
