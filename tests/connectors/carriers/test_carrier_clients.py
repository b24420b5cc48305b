"""The HTTP clients against a local server: auth as each service documents it, retries with
backoff on 429/5xx, timeouts, and errors that never contain the key."""

from __future__ import annotations

import base64
import logging

import pytest
from carrier_test_server import Answer, CarrierServer, payload

from sasame.connectors.carriers.aftership import AfterShipClient
from sasame.connectors.carriers.easypost import EasyPostClient
from sasame.connectors.carriers.http import CarrierApiError, CarrierAuthError, TrackingNotFound
from sasame.connectors.carriers.shippo import ShippoClient
from sasame.connectors.carriers.tracking import source_from_environment

KEY = "EZAK_secret_0123456789abcdef"


def test_easypost_creates_or_fetches_the_tracker_with_basic_auth(carrier_server: CarrierServer) -> None:
    carrier_server.answer("POST", "/v2/trackers", Answer(200, payload("easypost_tracker.json")))
    client = EasyPostClient(KEY, base_url=f"{carrier_server.url}/v2")
    tracker = client.tracker("usps", "9400111899223344556677")
    client.close()
    assert tracker["id"] == "trk_5c2b9f7e1a4d4e0b8f3c6d2a1b0e9f87"
    (request,) = carrier_server.received
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert request.body == {"tracker": {"tracking_code": "9400111899223344556677", "carrier": "USPS"}}


def test_shippo_reads_the_track_with_its_token_header(carrier_server: CarrierServer) -> None:
    carrier_server.answer("GET", "/tracks/ups/1Z999AA10123456784", Answer(200, payload("shippo_track.json")))
    client = ShippoClient(KEY, base_url=carrier_server.url)
    track = client.track("UPS", "1Z999AA10123456784")
    assert track["tracking_status"]["status"] == "TRANSIT"
    assert carrier_server.received[0].headers["authorization"] == f"ShippoToken {KEY}"


def test_aftership_reads_a_known_tracking(carrier_server: CarrierServer) -> None:
    carrier_server.answer(
        "GET", "/tracking/2024-10/trackings", Answer(200, payload("aftership_trackings.json"))
    )
    client = AfterShipClient(KEY, base_url=f"{carrier_server.url}/tracking/2024-10")
    tracking = client.tracking("USPS", "9261290100130435082546")
    assert tracking["tag"] == "Exception"
    (request,) = carrier_server.received
    assert request.headers["as-api-key"] == KEY
    assert request.query == "tracking_numbers=9261290100130435082546&slug=usps"


def test_aftership_creates_a_tracking_it_does_not_know(carrier_server: CarrierServer) -> None:
    carrier_server.answer("GET", "/tracking/2024-10/trackings", Answer(200, payload("aftership_empty.json")))
    carrier_server.answer(
        "POST", "/tracking/2024-10/trackings", Answer(201, payload("aftership_created.json"))
    )
    client = AfterShipClient(KEY, base_url=f"{carrier_server.url}/tracking/2024-10")
    tracking = client.tracking("usps", "9261290100130435099999")
    assert (tracking["tag"], tracking["id"]) == ("Pending", "6a11f4958776db0e00b6f701")
    assert carrier_server.received[1].body == {"tracking_number": "9261290100130435099999", "slug": "usps"}


def test_rate_limits_and_server_errors_are_retried_with_backoff(carrier_server: CarrierServer) -> None:
    carrier_server.answer(
        "GET",
        "/tracks/ups/1Z1",
        Answer(429, {"detail": "Too many requests"}, headers={"Retry-After": "3"}),
        Answer(503, {"detail": "down"}),
        Answer(200, payload("shippo_track.json")),
    )
    pauses: list[float] = []
    client = ShippoClient(KEY, base_url=carrier_server.url, sleep=pauses.append, backoff=0.5)
    assert client.track("ups", "1Z1")["carrier"] == "ups"
    assert pauses == [3.0, 1.0]  # Retry-After wins over the first backoff; then 0.5 × 2
    assert len(carrier_server.received) == 3


def test_retries_give_up_with_a_clear_error(carrier_server: CarrierServer) -> None:
    carrier_server.answer("GET", "/tracks/ups/1Z1", Answer(500, {"detail": "Internal error"}))
    client = ShippoClient(KEY, base_url=carrier_server.url, sleep=lambda _: None, retries=2)
    with pytest.raises(CarrierApiError) as caught:
        client.track("ups", "1Z1")
    assert str(caught.value) == "Shippo: GET /tracks/ups/1Z1 failed (HTTP 500): Internal error"
    assert len(carrier_server.received) == 3


def test_a_slow_service_times_out_and_is_retried(carrier_server: CarrierServer) -> None:
    carrier_server.answer("GET", "/tracks/ups/1Z1", Answer(200, {"late": True}, delay=0.6))
    client = ShippoClient(KEY, base_url=carrier_server.url, timeout=0.2, retries=1, sleep=lambda _: None)
    with pytest.raises(CarrierApiError, match=r"^Shippo: no answer for GET /tracks/ups/1Z1 after 2 tries"):
        client.track("ups", "1Z1")


def test_refused_keys_and_unknown_numbers_never_show_the_key(
    carrier_server: CarrierServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    carrier_server.answer("POST", "/v2/trackers", Answer(401, {"error": {"message": "Unauthorized"}}))
    client = EasyPostClient(KEY, base_url=f"{carrier_server.url}/v2", sleep=lambda _: None)
    with pytest.raises(CarrierAuthError) as refused:
        client.tracker("usps", "9400")
    assert str(refused.value) == "EasyPost: POST /trackers was refused (HTTP 401): check the API key"
    shippo = ShippoClient(KEY, base_url=carrier_server.url)
    with pytest.raises(TrackingNotFound):
        shippo.track("usps", "nope")
    assert KEY not in caplog.text and KEY not in str(refused.value)
    assert KEY not in repr(client.api.__dict__.get("service"))


def test_an_answer_that_is_not_json_is_an_error(carrier_server: CarrierServer) -> None:
    carrier_server.answer("GET", "/tracks/ups/1Z1", Answer(200, raw=b"<html>maintenance</html>"))
    with pytest.raises(CarrierApiError, match="the answer is not JSON"):
        ShippoClient(KEY, base_url=carrier_server.url).track("ups", "1Z1")


def test_the_service_comes_from_the_environment() -> None:
    assert source_from_environment({}) is None
    source = source_from_environment({"SASAME_SHIPPO_KEY": KEY, "SASAME_AFTERSHIP_KEY": "other"})
    assert source is not None and source.name == "shippo"
    source.close()
    source = source_from_environment({"SASAME_EASYPOST_KEY": " ", "SASAME_AFTERSHIP_KEY": "k"})
    assert source is not None and source.name == "aftership"
    source.close()
