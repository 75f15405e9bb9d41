"""The relay: every stored event published to Kafka, at least once and in per-dossier order."""
