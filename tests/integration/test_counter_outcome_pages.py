"""The pages' side of refusals, channels and ratings: the counter's Refuse button and channel
select, and the rating on the dossier page's "Return the result" form."""

from __future__ import annotations

import re

from tests.districts import APPLICANT, HOME, HOME_STAFF, PROCEDURE
from tests.integration.test_counter_pages import applicant, form_of, signed_in
from tests.integration.test_office_pages import csrf
from tracker.bootstrap import Services

REASON = "Thủ tục không thuộc thẩm quyền"


def test_the_counter_refuses_with_a_reason_and_offers_the_refusal_slip(
        services: Services) -> None:
    """GIVEN a receiver on the receive form WHEN they press Refuse without a reason THEN
    nothing is recorded; WITH a reason THEN the refusal is recorded under a code, the next
    page offers the refusal slip, and the slip downloads as a PDF."""
    client = signed_in(services, HOME_STAFF["receiver"])
    page = client.get(f"/counter/receive?procedure={PROCEDURE}").text
    assert 'id="refusal_reason"' in page
    assert "/counter/refuse" in page
    assert '<select id="channel" name="channel"' in page
    before = services.application().recorder.max_notification_id()
    empty = client.post("/counter/refuse", data={**form_of(client), **applicant()})
    assert empty.status_code == 400
    assert services.application().recorder.max_notification_id() == before
    refused = client.post("/counter/refuse", data={
        **form_of(client), **applicant(), "refusal_reason": REASON, "channel": "post"})
    assert refused.status_code == 302, refused.text
    shown = client.get(refused.headers["Location"]).text
    code = re.search(r"(\d{3}\.\d{2}\.\d{2}\.H40-\d{6}-\d{4})", shown)
    assert code
    status = services.application().status(code.group(1))
    assert (status["stage"], status["outcome_reason"], status["channel"]) == (
        "refused", REASON, "post")
    assert 'id="refusal"' in shown
    assert 'id="receipt"' not in shown
    slip = client.get(f"/dossiers/{code.group(1)}/slips/refusal.pdf")
    assert slip.status_code == 200
    assert slip.data.startswith(b"%PDF")


def test_the_counter_receives_by_the_channel_chosen(services: Services) -> None:
    client = signed_in(services, HOME_STAFF["receiver"])
    procedure = services.application().province().procedures[PROCEDURE]
    answer = client.post("/counter/receive", data={
        **form_of(client), **applicant(), "channel": "home",
        "components": [c.code for c in procedure.components]})
    assert answer.status_code == 302, answer.text
    code = answer.headers["Location"].rsplit("/", 1)[-1]
    assert services.application().status(code)["channel"] == "home"
    wrong = client.post("/counter/receive", data={
        **form_of(client), **applicant(), "channel": "fax",
        "components": [c.code for c in procedure.components]})
    assert wrong.status_code == 400


def test_the_result_is_returned_with_a_rating_from_the_dossier_page(
        services: Services) -> None:
    """GIVEN a resolved dossier held at HOME WHEN its receiver returns it by post with a
    rating and a comment from the dossier's page THEN the return carries them."""
    custody = services.application()
    supervisor = HOME_STAFF["supervisor"]
    code = custody.receive(office=HOME, procedure=PROCEDURE, actor=supervisor,
                           accept_incomplete=True, **APPLICANT)["code"]
    custody.resolve(code, supervisor)
    client = signed_in(services, HOME_STAFF["receiver"])
    page = client.get(f"/dossiers/{code}").text
    assert 'name="satisfaction"' in page
    assert 'name="comment"' in page
    token = csrf(client, f"/dossiers/{code}")
    bad = client.post(f"/dossiers/{code}/return", data={"csrf_token": token, "key": "r0",
                                                        "satisfaction": "9"})
    assert bad.status_code == 400
    done = client.post(f"/dossiers/{code}/return", data={
        "csrf_token": token, "key": "r1", "by_post": "1", "satisfaction": "5",
        "comment": "Cán bộ tận tình"})
    assert done.status_code == 302, done.text
    last = custody.history(code)[-1]
    assert (last["type"], last["by_post"], last["satisfaction"], last["comment"]) == (
        "ResultReturned", True, 5, "Cán bộ tận tình")
