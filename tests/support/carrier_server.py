"""A local stand-in for the EasyPost and Shippo label APIs, answering with payloads shaped like the
real ones (EasyPost Shipment/Rate/PostageLabel objects, Shippo Shipment/Rate/Transaction objects)
and recording every request it gets."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EASYPOST_SHIPMENT = "shp_8f2d1c4b7a9e4f0b9d3c2a1b0e9f8d7c"
SHIPPO_SHIPMENT = "5e40ead7cffe4cc1ad45108696162e42"


def easypost_rate(rate_id: str, carrier: str, service: str, amount: str) -> dict[str, Any]:
    return {
        "id": rate_id,
        "object": "Rate",
        "mode": "test",
        "carrier": carrier,
        "service": service,
        "rate": amount,
        "currency": "USD",
        "retail_rate": None,
        "delivery_days": 3,
        "shipment_id": EASYPOST_SHIPMENT,
        "carrier_account_id": "ca_a4b2c3d4e5f6",
    }


class CarrierServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                )
                status, answer = server.answer(self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path == "/v2/shipments":
            shipment = body["shipment"]
            return 201, {
                "id": EASYPOST_SHIPMENT,
                "object": "Shipment",
                "mode": "test",
                "is_return": shipment.get("is_return", False),
                "to_address": {"object": "Address", **shipment["to_address"]},
                "from_address": {"object": "Address", **shipment["from_address"]},
                "parcel": {"object": "Parcel", **shipment["parcel"]},
                "rates": [
                    easypost_rate("rate_ups_ground", "UPS", "Ground", "11.20"),
                    easypost_rate("rate_usps_ga", "USPS", "GroundAdvantage", "6.95"),
                ],
                "postage_label": None,
                "tracking_code": None,
            }
        if path == f"/v2/shipments/{EASYPOST_SHIPMENT}/buy":
            chosen = body["rate"]["id"]
            rate = easypost_rate(chosen, "USPS", "GroundAdvantage", "6.95")
            return 200, {
                "id": EASYPOST_SHIPMENT,
                "object": "Shipment",
                "is_return": True,
                "tracking_code": "9434600208303110955526",
                "selected_rate": rate,
                "postage_label": {
                    "object": "PostageLabel",
                    "label_file_type": "image/png",
                    "label_url": "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/20260305/e8.png",
                },
            }
        if path == "/shipments":
            return 201, {
                "object_id": SHIPPO_SHIPMENT,
                "status": "SUCCESS",
                "rates": [
                    {
                        "object_id": "545ab0a1a6ea4c9f9adb2512a57d6d8b",
                        "amount": "7.10",
                        "currency": "USD",
                        "provider": "USPS",
                        "servicelevel": {"name": "Ground Advantage", "token": "usps_ground_advantage"},
                    },
                    {
                        "object_id": "f1d2a3b4c5d6e7f8a9b0c1d2e3f4a5b6",
                        "amount": "12.40",
                        "currency": "USD",
                        "provider": "UPS",
                        "servicelevel": {"name": "Ground", "token": "ups_ground"},
                    },
                ],
                "messages": [],
            }
        if path == "/transactions":
            return 201, {
                "object_id": "70ae8117ee1749e393f249d5b77c45e0",
                "status": "SUCCESS",
                "rate": body["rate"],
                "tracking_number": "9205590164917312751089",
                "label_url": "https://deliver.goshippo.com/70ae8117ee1749e393f249d5b77c45e0.pdf",
                "messages": [],
            }
        return 404, {"error": {"code": "NOT_FOUND", "message": f"no route {path}"}}
