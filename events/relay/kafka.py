"""The only module that imports kafka-python: the relay's producer and the projections' consumer.

Both sides are configured once, here, for what the relay promises: the producer waits for every
in-sync replica (``acks="all"``) and is idempotent, so the broker drops a retried batch it already
has and keeps each partition in send order (at most 5 requests in flight, the most idempotence
allows with ordering); the consumer never commits on its own, so an offset is committed only
after the caller has applied the records before it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import CommitFailedError, KafkaError, KafkaTimeoutError, TopicAlreadyExistsError
from kafka.partitioner.default import murmur2
from kafka.producer.future import FutureRecordMetadata

from events.relay.publisher import Interrupted, Message, PublishFailed

log = logging.getLogger(__name__)

TOPIC = "hoso.dossier-events"
PARTITIONS = 12
"""Consumers of a group scale up to the partition count; 12 splits evenly over 1, 2, 3, 4 or 6
consumer processes and costs the broker little. Events of one dossier share a key, so they share
a partition whatever the count, but changing the count later moves keys: decide it once."""
REPLICATION = 1
"""What a single-broker cluster can hold; a production topic is made by the operator (deploy/)
with replication 3, and an existing topic is never changed here."""
CONTENT_TYPE = ("content-type", b"application/cloudevents+json; charset=UTF-8")
"""The Kafka protocol binding of CloudEvents: structured mode is announced by this header."""
ACK_SLICE = 0.5
"""How long one wait for an acknowledgement lasts before the stop flag is looked at again."""


class Record(NamedTuple):
    partition: int
    offset: int
    key: bytes | None
    value: bytes


def ensure_topic(bootstrap: str, topic: str = TOPIC, partitions: int = PARTITIONS) -> None:
    """Create ``topic`` if the cluster lacks it; an existing topic is left exactly as it is."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hoso-admin",
                             request_timeout_ms=10_000)
    try:
        admin.create_topics([NewTopic(topic, partitions, REPLICATION)])
        log.info("created topic %s with %d partitions", topic, partitions)
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()


def probe(bootstrap: str, timeout: float = 2.0) -> str | None:
    """None when the cluster answers a metadata request within ``timeout`` seconds, else what
    went wrong (for readiness checks)."""
    millis = int(timeout * 1000)
    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="hoso-ready",
                                 bootstrap_timeout_ms=millis, request_timeout_ms=millis)
    except (KafkaError, OSError) as error:
        return str(error) or type(error).__name__
    try:
        admin.describe_cluster()
    except (KafkaError, OSError) as error:
        return str(error) or type(error).__name__
    finally:
        admin.close()
    return None


class KafkaPublisher:
    """Sends batches and says, for each, whether the broker acknowledged all of it.

    After any failure the relay calls ``reset``: the producer is closed and a fresh one (new
    producer id, new sequence numbers) resends from the last acknowledged position.
    """

    def __init__(self, bootstrap: str, topic: str = TOPIC, *, partitions: int = PARTITIONS,
                 linger_ms: int = 5, delivery_timeout_ms: int = 120_000,
                 max_block_ms: int = 5_000) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.partitions = partitions
        self.config: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "client_id": "hoso-relay",
            "acks": "all",
            "enable_idempotence": True,
            "max_in_flight_requests_per_connection": 5,
            "linger_ms": linger_ms,
            "batch_size": 256 * 1024,
            "delivery_timeout_ms": delivery_timeout_ms,
            "request_timeout_ms": min(30_000, (delivery_timeout_ms - linger_ms) // 2),
            "max_block_ms": max_block_ms,  # send() blocks this long for metadata; keeps stop prompt
            "reconnect_backoff_max_ms": 1_000,
        }
        self._producer: KafkaProducer | None = None

    def send(self, messages: Sequence[Message]) -> KafkaAcknowledgement:
        """Queue the batch in the producer; the returned acknowledgement is waited for later."""
        try:
            producer = self._connect()
            futures = [producer.send(self.topic, key=m.key, value=m.value,
                                     headers=[CONTENT_TYPE]) for m in messages]
        except KafkaError as error:
            raise PublishFailed(f"{type(error).__name__}: {error}") from error
        return KafkaAcknowledgement(futures)

    def reset(self) -> None:
        """Drop the producer without waiting: what it still holds is resent by the caller."""
        producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=0)
        except KafkaTimeoutError:
            # kafka-python 3.0 flushes before closing and, out of time, raises before it stops
            # the sender thread, which would go on retrying the old batches beside the fresh
            # producer's resend (and out of order with it): stop that thread without waiting
            sender = producer._sender
            if sender is not None:
                sender.force_close()
        except Exception:  # closing a broken producer must not hide the first error
            log.debug("closing the failed producer", exc_info=True)

    def _connect(self) -> KafkaProducer:
        if self._producer is None:
            ensure_topic(self.bootstrap, self.topic, self.partitions)
            self._producer = KafkaProducer(**self.config)
        return self._producer


class KafkaAcknowledgement:
    """The futures of one batch's messages, waited for in send order."""

    def __init__(self, futures: list[FutureRecordMetadata]) -> None:
        self.futures = futures
        self.count = len(futures)

    def wait(self, stop: threading.Event) -> None:
        for future in self.futures:
            while not future.is_done:
                if stop.is_set():
                    raise Interrupted
                try:
                    future.get(timeout=ACK_SLICE)
                except KafkaTimeoutError:
                    continue
                except KafkaError:
                    break
        failed = [future.exception for future in self.futures if not future.succeeded()]
        if failed:
            raise PublishFailed(f"{len(failed)} of {self.count} not acknowledged, "
                                f"first: {failed[0]!r}")


def _poll(consumer: KafkaConsumer, timeout: float, **options: Any) -> list[Record]:
    """One poll's records, partitions one after another, each in offset order; none when the
    broker cannot be reached (the client reconnects by itself: poll again later)."""
    try:
        batches = consumer.poll(timeout_ms=int(timeout * 1000), **options)
    except KafkaError as error:
        log.warning("poll failed: %s", error)
        time.sleep(timeout)
        return []
    return [Record(tp.partition, r.offset, r.key, r.value)
            for tp, records in sorted(batches.items(), key=lambda item: item[0].partition)
            for r in records]


class KafkaKeyReader:
    """The records of one key on a shared topic, from the moment the reader is made.

    For replies keyed by request (a station's OCR results, keyed by batch): only the key's
    partition is read, from its end offset at construction, so nothing published before is read
    again, where a consumer group per request read the topic's whole retention each time. Make
    the reader before sending the request, or a quick reply lands before the offset taken.
    """

    def __init__(self, bootstrap: str, topic: str, key: bytes, *,
                 client_id: str = "hoso-reader") -> None:
        self.key = key
        self._consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id=client_id,
                                       group_id=None, enable_auto_commit=False,
                                       reconnect_backoff_max_ms=1_000)
        partitions = sorted(self._consumer.partitions_for_topic(topic) or ())
        if not partitions:
            self._consumer.close()
            raise LookupError(f"the broker reports no partitions of topic {topic}")
        # the producer's default partitioner: murmur2 of the key over the sorted partitions
        self._partition = TopicPartition(
            topic, partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)])
        self._consumer.assign([self._partition])
        self._consumer.seek(self._partition,
                            self._consumer.end_offsets([self._partition])[self._partition])

    def poll(self, timeout: float) -> list[Record]:
        """The key's records that arrived since the last poll, in offset order."""
        return [record for record in _poll(self._consumer, timeout) if record.key == self.key]

    def close(self) -> None:
        self._consumer.close(autocommit=False)


class KafkaSubscription:
    """A consumer-group member of ``topic`` that commits only the offsets it is told to.

    A member that dies is noticed after ``session_timeout_ms`` and its partitions go to the
    others; kafka-python's joins take about half of it, so 6 s (heartbeats every 0.5 s) keeps a
    restart or a failover to a few seconds on a local network.
    """

    def __init__(self, bootstrap: str, group: str, topic: str = TOPIC, *,
                 client_id: str = "hoso-projections", session_timeout_ms: int = 6_000,
                 heartbeat_interval_ms: int = 500, max_records: int = 500) -> None:
        self.topic = topic
        self.max_records = max_records
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, client_id=client_id,
            enable_auto_commit=False, auto_offset_reset="earliest",
            session_timeout_ms=session_timeout_ms, heartbeat_interval_ms=heartbeat_interval_ms,
            max_poll_records=max_records,
            reconnect_backoff_max_ms=1_000)  # back within a second of the broker's return
        self._consumer.subscribe([topic])

    def poll(self, timeout: float) -> list[Record]:
        """The next records of the partitions this member holds, in offset order per
        partition (partitions one after another)."""
        return _poll(self._consumer, timeout, max_records=self.max_records)

    def commit(self, next_offsets: dict[int, int]) -> None:
        """Commit, per partition, the offset of the next record to read (last applied + 1).
        When the group moved the partitions to another member meanwhile, or the broker cannot
        be reached, the failure is logged and the records will be read again (by this member
        after a restart, or by another one): the caller must tolerate seeing them twice."""
        if not next_offsets:
            return
        try:
            self._consumer.commit({
                TopicPartition(self.topic, partition): OffsetAndMetadata(offset, "", -1)
                for partition, offset in next_offsets.items()})
        except CommitFailedError as error:
            log.warning("offsets not committed after a rebalance: %s", error)
        except KafkaError as error:  # broker unreachable: a later commit covers these offsets
            log.warning("offsets not committed: %s", error)

    def close(self) -> None:
        self._consumer.close(autocommit=False)
