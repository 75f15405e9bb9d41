"""KafkaKeyReader on the real broker: a request's replies, and nothing published before it."""

from __future__ import annotations

import threading
import time

from events.relay.kafka import KafkaKeyReader, KafkaPublisher, ensure_topic
from events.relay.publisher import Message
from tests.servers.tansu import Tansu

TOPIC = "hoso.replies-test"


def test_a_key_reader_reads_its_keys_records_from_when_it_was_made(tansu: Tansu) -> None:
    """GIVEN replies already on the topic for this key and others WHEN a reader of the key is
    made and more are published THEN it reads the key's new replies only, in order."""
    ensure_topic(tansu.bootstrap, TOPIC)
    publisher = KafkaPublisher(tansu.bootstrap, TOPIC)
    sent = threading.Event()
    try:
        publisher.send([Message(b"batch-1", b"old"), Message(b"batch-2", b"other")]).wait(sent)
        reader = KafkaKeyReader(tansu.bootstrap, TOPIC, b"batch-1")
        try:
            publisher.send([Message(b"batch-1", b"new 1"), Message(b"batch-2", b"other 2"),
                            Message(b"batch-1", b"new 2")]).wait(sent)
            seen: list[bytes] = []
            deadline = time.monotonic() + 20
            while len(seen) < 2 and time.monotonic() < deadline:
                seen += [record.value for record in reader.poll(0.5)]
            time.sleep(0.5)
            seen += [record.value for record in reader.poll(0.5)]
            assert seen == [b"new 1", b"new 2"]
        finally:
            reader.close()
    finally:
        publisher.reset()
