"""Reads a whole topic with confluent-kafka (librdkafka): a consumer that is not hoso's code.

It assigns every partition from the beginning (no consumer group, so no join delay) and reads
up to each partition's high watermark, so the answer is exactly what the broker holds.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from events.relay.kafka import TOPIC


@dataclass(frozen=True)
class Read:
    partition: int
    offset: int
    key: bytes
    headers: dict[str, bytes]
    raw: bytes

    def json(self) -> Any:
        return json.loads(self.raw)


def read_topic(bootstrap: str, topic: str = TOPIC, timeout: float = 30.0) -> list[Read]:
    """Every message of ``topic``, partition by partition in offset order."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "hoso-tests-reader",
                         "enable.auto.commit": False, "enable.partition.eof": False})
    try:
        metadata = consumer.list_topics(topic, timeout=timeout)
        partitions = sorted(metadata.topics[topic].partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)[1]
                for p in partitions}
        wanted = {p for p in partitions if ends[p] > 0}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in wanted])
        reads: list[Read] = []
        deadline = time.monotonic() + timeout
        while wanted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"partitions {sorted(wanted)} not read to their end "
                                   f"({len(reads)} messages read)")
            for message in consumer.consume(1000, 0.5):
                if message.error():
                    raise KafkaException(message.error())
                partition, offset = message.partition(), message.offset()
                reads.append(Read(partition, offset, message.key(),
                                  dict(message.headers() or []), message.value()))
                if offset + 1 >= ends[partition]:
                    wanted.discard(partition)
        return sorted(reads, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()
