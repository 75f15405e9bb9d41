"""What ``/readyz`` says about the witnesses: each one's lag behind the newest checkpoint, as the
serving process's witness threads see it, named when it exceeds the signing window, and the
process unready only when too few witnesses are within the window for the quorum.

A witness that lags does not stop appends or signing (the log goes on); what it stops is
verification with ``HOSO_WITNESS_QUORUM``: when fewer than that many witnesses have cosigned
within the window, ``hoso audit verify`` is failing or about to, and operators must see it.
"""

from __future__ import annotations

from typing import Any

from tracker.bootstrap import Services

SHOWN = ("witness", "url", "cosigned_size", "lag_leaves", "behind_seconds", "failures",
         "last_error")


def witness_readiness(wired: Services) -> tuple[dict[str, Any] | None, list[str]]:
    """The witnesses' check for ``/readyz`` (None without HOSO_WITNESSES) and the problems that
    make the process unready."""
    cosigning = wired.cosigning()
    if cosigning is None:
        return None, []
    window = wired.settings.checkpoint_seconds
    required = wired.settings.witness_quorum
    rows = [{key: row[key] for key in SHOWN} for row in cosigning.status()]
    lagging = [row["witness"] for row in rows if row["behind_seconds"] > window]
    check = {"required": required, "window_seconds": window, "lagging": lagging,
             "witnesses": rows}
    if len(rows) - len(lagging) >= required:
        return check, []
    return check, [f"the witnesses' quorum of {required} cannot be met: "
                   f"{', '.join(lagging)} lag the newest checkpoint by more than the "
                   f"{window:g} s signing window"]
