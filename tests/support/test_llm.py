"""The language-model adapter against a fake OpenAI-compatible server on 127.0.0.1: a faithful draft
is used, a draft that invents a fact sends the message to a person."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import Engine
from support_store import JANE, NOW

from sasame.core.errors import ConfigError
from sasame.db import transaction
from sasame.support.llm import ChatModel, LlmSettings, check_facts
from sasame.support.policy import load_policy
from sasame.support.service import phrase_with_model
from sasame.support.triage import IncomingMessage, TriageContext, triage

FAITHFUL = (
    "Hi Jane,\n\nGood news: order #1002 is on its way with UPS (tracking number 1Z999AA10123456784). "
    'It left us on Tuesday, March 3, the latest scan reads "Departed UPS facility, Memphis TN", and UPS '
    "expects to deliver it by Saturday, March 7.\n\nBest wishes,\nThe Tiny Threads team"
)
HALLUCINATED = (
    "Hi Jane,\n\nOrder #1002 will arrive on Friday, March 6 with UPS (tracking 1Z999AA10123456784), and "
    "we've added a $5.00 credit for the wait.\n\nBest wishes,\nThe Tiny Threads team"
)


class FakeChatServer:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                )
                data = json.dumps(
                    {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "model": body["model"],
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": server.answer},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def chat() -> Iterator[FakeChatServer]:
    server = FakeChatServer(FAITHFUL)
    yield server
    server.stop()


def _status(engine: Engine, chat: FakeChatServer, answer: str) -> Any:
    chat.answer = answer
    model = ChatModel(LlmSettings(base_url=chat.url, model="llama3.1:8b", api_key="sk-local-test"))
    message = IncomingMessage(id="m", sender=JANE, subject="where?", body="Where is my order #1002? Jane")
    with transaction(engine) as session:
        ctx = TriageContext.load(session, load_policy(session), NOW)
        result = triage(ctx, message)
        template = result.reply
        phrase_with_model(ctx, message, result, model)
    model.close()
    return result, template


def test_a_faithful_draft_is_used(engine: Engine, store: dict[str, int], chat: FakeChatServer) -> None:
    result, _ = _status(engine, chat, FAITHFUL)
    assert (result.decision, result.reply) == ("auto", FAITHFUL)
    request = chat.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-local-test"
    assert request["body"]["model"] == "llama3.1:8b"
    assert '"tracking_number": "1Z999AA10123456784"' in request["body"]["messages"][1]["content"]


def test_a_hallucinating_draft_goes_to_a_person(
    engine: Engine, store: dict[str, int], chat: FakeChatServer
) -> None:
    result, template = _status(engine, chat, HALLUCINATED)
    assert result.decision == "escalate"
    assert result.reply == template
    assert result.reasons[-1] == (
        "escalate: the language model's draft states what the data does not: date March 6, amount 5.00"
    )


def test_the_guardrail_checks_every_kind_of_fact() -> None:
    sources = ["Order #1002, tracking 1Z999AA10123456784, size M, $60.00, back around 12 March, RMA-10001"]
    assert check_facts(
        "Your order #1002 in size M ($60.00) is back on March 12; return RMA-10001.", sources
    ).allowed
    verdict = check_facts(
        "Order #1003 in size L, tracking 1Z999AA10123456799, refund 61.00 USD within 3 days", sources
    )
    assert verdict.unsupported == [
        "amount 61.00",
        "identifier 1003",
        "identifier 1Z999AA10123456799",
        "size L",
        "number 3",
    ]


def test_an_unreachable_model_keeps_the_template(engine: Engine, store: dict[str, int]) -> None:
    model = ChatModel(
        LlmSettings(base_url="http://127.0.0.1:9/v1", model="m", api_key="sk-secret-value", timeout=2)
    )
    message = IncomingMessage(id="m", sender=JANE, subject="where?", body="Where is my order #1002?")
    with transaction(engine) as session:
        ctx = TriageContext.load(session, load_policy(session), NOW)
        result = triage(ctx, message)
        template = result.reply
        phrase_with_model(ctx, message, result, model)
    assert (result.decision, result.reply) == ("auto", template)
    assert "sk-secret-value" not in " ".join(result.reasons)
    with pytest.raises(ConfigError, match="SASAME_LLM_BASE_URL and SASAME_LLM_MODEL must be set together"):
        LlmSettings.from_env({"SASAME_LLM_MODEL": "m"})
