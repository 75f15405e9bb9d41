"""Every ``hoso`` command starts without loading the Kafka client (a third of a second to
import): only ``hoso relay``, ``hoso project --from-kafka`` and a Kafka-configured ``hoso serve``
need it, and they load it themselves."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_loads_no_kafka_client() -> None:
    probe = ("import sys, tracker.cli.main; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('kafka', 'confluent_kafka')))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
