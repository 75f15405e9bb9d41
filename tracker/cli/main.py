"""Entry point of ``hoso``: the command group and the one place errors become exit codes.

Exit 0 ok; 2 bad input or a refused transition (one line on stderr, naming the problem);
1 any other failure. With --json the error is also printed as one JSON document on stdout.
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import cast

import click

from tracker.cli import (
    accounts,
    audit,
    bags,
    dossiers,
    ocr,
    projections,
    reference,
    relay,
    scan,
    serve,
    slips,
    stage,
    storage,
    witness,
    worker,
)
from tracker.cli.output import to_json
from tracker.refusals import REFUSALS, Refusal

log = logging.getLogger("hoso.cli")
BAD_INPUT = 2
FAILURE = 1


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON document.")
@click.pass_context
def cli(ctx: click.Context, as_json: bool) -> None:
    """hoso: custody of paper dossiers at public-postal one-stop shops."""
    ctx.ensure_object(dict)
    if as_json:
        ctx.obj["json"] = True


for module in (reference, dossiers, storage, audit, serve, relay, scan, projections, ocr,
               worker, accounts, witness, slips, bags, stage):
    for command in module.COMMANDS:
        cli.add_command(command)


def _fail(exit_code: int, error: str, message: str) -> int:
    if "--json" in sys.argv[1:]:
        click.echo(to_json({"error": error, "message": message}))
    click.echo(f"hoso: {message}", err=True)
    return exit_code


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn every outcome into one exit code and at most one stderr line."""
    try:
        result = cli.main(args=argv, prog_name="hoso", standalone_mode=False)
    except click.UsageError as error:
        message = error.format_message().replace("\n", " ")
        return _fail(BAD_INPUT, "usage", message)
    except REFUSALS as error:
        refusal = cast(Refusal, error)
        return _fail(refusal.exit_code, refusal.code, str(error))
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.Abort:
        return _fail(FAILURE, "aborted", "aborted")
    except click.ClickException as error:
        return _fail(FAILURE, "failed", error.format_message())
    except Exception as error:
        incident = uuid.uuid4().hex[:12]
        log.error("incident %s: unhandled %s", incident, type(error).__name__, exc_info=error)
        return _fail(FAILURE, "internal", f"internal error ({type(error).__name__}), incident "
                     f"{incident}; the traceback is in the log")
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
