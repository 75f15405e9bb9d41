"""``python -m events.export FILE --public-key audit.pub``: the offline verifier on its own.

For someone without hoso: copy events/ with the export's and the evidence's modules the verifier
imports (standard library and ``cryptography`` only) and check a custody export (JSON, CSV, PDF
with ``pypdf``) or a citizen's custody proof. Exit 0 valid, 1 invalid, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from events.evidence.cosignature import CosignatureVerifier
from events.evidence.notes import NoteError, Verifier
from events.export.files import MalformedExport, load_export
from events.export.offline import verify_export
from events.export.proof import PROOF_FORMAT, verify_proof


def _key_text(value: str) -> str:
    """A key string as given, or the first line of the file it names."""
    path = Path(value)
    return path.read_text(encoding="ascii").strip() if path.is_file() else value.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m events.export", description=__doc__)
    parser.add_argument("file", help="a custody export or a custody proof")
    parser.add_argument("--public-key", required=True,
                        help="the log's current public key: its audit.pub, or the key string")
    parser.add_argument("--witness", action="append", default=[],
                        help="a witness's public key (vkey or .pub file); again for each")
    parser.add_argument("--quorum", type=int, default=0,
                        help="cosignatures the checkpoint must carry from those witnesses")
    parser.add_argument("--earlier", action="append", default=[],
                        help="an earlier export of the log to hold this one against")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    try:
        verifier = Verifier.parse(_key_text(args.public_key))
        witnesses = [CosignatureVerifier.parse(_key_text(key)) for key in args.witness]
        document = load_export(args.file)
        if document.get("format") == PROOF_FORMAT:
            proof = verify_proof(document, verifier, witnesses, args.quorum)
            report, lines, valid = proof.to_dict(), proof.lines(), proof.valid
        else:
            older = [load_export(path) for path in args.earlier]
            checked = verify_export(document, verifier, older, witnesses, args.quorum)
            report, valid = checked.to_dict(), checked.valid
            lines = [("VALID" if valid else "INVALID") + f": {args.file}",
                     *(str(problem) for problem in checked.problems)]
    except (OSError, ValueError, NoteError, MalformedExport) as error:
        print(f"cannot check {args.file}: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else "\n".join(lines))
    return 0 if valid else 1


if __name__ == "__main__":
    sys.exit(main())
