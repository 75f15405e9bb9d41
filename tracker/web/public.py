"""``/api/v1/public``: what a citizen may ask without an account. No token is asked here, ever;
instead every lookup is rate limited, per client address and per dossier code.

The figures, for guessing four digits (10^4 combinations, two of which may match: the ID
number's and the phone's) against a citizen checking on their dossier a few times a day:

- ``PER_CODE``, 10 lookups of one code an hour from anywhere: a guesser gets at most 240 tries a
  day at one dossier, so an even chance of hitting either number takes about twelve days of
  continuous guessing (some 2,900 tries without repeats) and a sure hit six weeks, while the
  citizen, who needs a lookup or two a day, is never near the limit. It also lets anyone spend
  a code's ten lookups and keep its owner from looking for up to an hour. That is accepted: the
  harm is an hour's wait for news that changes over days, the dossier itself is untouched, and
  a limit by address alone would leave the digits open to a guesser with many addresses.
- ``PER_ADDRESS``, 30 lookups an hour from one address (an IPv6 /64): enough for a family or a
  small office behind one address checking several dossiers, and it stops one client from
  spreading guesses thinly over many codes, which the per-code limit cannot see. Citizens behind
  one carrier-grade NAT address share these 30.

Only well-formed requests count: a missing code or digits that are not four ASCII digits are
answered 400 and spend nothing, since they look nothing up. An unknown code counts like a known
one, so the limits say nothing about which codes exist. The per-address limit is checked first:
once it is spent, that client's requests no longer count against the codes they name.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from tracker.application import CustodyApplication
from tracker.commands.parse import parse
from tracker.commands.queries import PublicStatusQuery
from tracker.domain.errors import BadInput
from tracker.public_lookup import lookup
from tracker.web.limits import limiter

PER_ADDRESS = "30 per hour"
PER_CODE = "10 per hour"

blueprint = Blueprint("public", __name__)


def query() -> PublicStatusQuery:
    return parse(PublicStatusQuery, request.args.to_dict())


def malformed() -> bool:
    """Whether the request is answered 400, and so neither counted nor limited."""
    try:
        query()
    except BadInput:
        return True
    return False


def code_key() -> str:
    """The per-code limit's key: the code as the lookup reads it (stripped)."""
    return f"code:{query().code}"


@blueprint.after_request
def not_kept(response: Response) -> Response:
    """No cache may keep an answer: it would answer again past the limits, and go stale."""
    response.headers["Cache-Control"] = "no-store"
    return response


per_code = limiter.shared_limit(PER_CODE, scope="lookup-code", key_func=code_key,
                                exempt_when=malformed,
                                error_message="too many lookups of this dossier code; try "
                                              "again later")
per_address = limiter.shared_limit(PER_ADDRESS, scope="lookup-address", exempt_when=malformed,
                                   error_message="too many lookups from this address; try "
                                                 "again later")
"""The limits, shared by this route and the citizens' lookup page: one budget however asked."""


@blueprint.get("/status")
@per_code
@per_address
def status() -> Response:
    """A dossier's code, stage, due date and office, for its code and four digits."""
    custody: CustodyApplication = current_app.extensions["custody"]
    return jsonify(lookup(custody, query()).model_dump())
