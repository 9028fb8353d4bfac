"""Errors of ``tarifa serve`` done right: a bad cell is an error cell with its reason; a call the
user must fix is HTTP 400 with one clean message and one log line; 500 only for a bug.

Hand-checked numbers, MS-1: 120 used, 100 included -> 20 x 0.27 = 5.40 EUR; 130 -> 8.10 EUR;
a negative quantity is refused by the rules (#NUM!), an unknown item cannot be read (#VALUE!).
"""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from addin import server
from addin.server import calls
from addin.server.settings import AUTH_NONE, Settings
from tests.officejs import body

NUM = {"type": "Error", "errorType": "Num"}
VALUE = {"type": "Error", "errorType": "Value"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = server.create_app(Settings(license_key="noncommercial", auth=AUTH_NONE))
    return TestClient(app, raise_server_exceptions=False)


def test_ms1_error_cells_carry_their_reasons(client):
    data = body("MSIGN_OVERAGE", [["transaction"], ["transaction"], ["transaction"], ["bogus"]],
                [[120], [130], [-5], [1]], 100)
    answer = client.post(server.CALL_PATH, json=data).json()
    # MS-1: 20 x 0.27, 30 x 0.27; row 3 negative (#NUM!), row 4 unknown item (#VALUE!)
    assert answer["result"] == [[5.40], [8.10], [NUM], [VALUE]]
    reasons = answer["reasons"]
    assert [(r, c, reasons[k]) for r, c, k in answer["errors"]] == [
        (2, 0, "MS-1: used must not be negative"),
        (3, 0, "unknown mSign item 'bogus'; valid items: transaction, onesign, rekono_qes, "
               "rekono_aes, user, api, storage_gb, sms")]


def test_each_reason_travels_once(client):
    # 1,000 rows, every other one negative: 500 error cells, one reason text
    used = [[120] if i % 2 else [-1] for i in range(1000)]
    answer = client.post(server.CALL_PATH, json=body("MSIGN_OVERAGE", "transaction", used,
                                                     100)).json()
    assert answer["reasons"] == ["MS-1: used must not be negative"]
    assert [e[0] for e in answer["errors"]] == list(range(0, 1000, 2))
    assert answer["result"][1] == [5.40] and answer["result"][0] == [NUM]


def test_errors_in_a_row_range_are_placed_by_column(client):
    # one row of three items: the result is one row; the bad one is column 2
    answer = client.post(server.CALL_PATH, json=body(
        "MSIGN_OVERAGE", [["transaction", "bogus", "transaction"]], 120, 100)).json()
    assert answer["result"] == [[5.40, VALUE, 5.40]]
    assert [e[:2] for e in answer["errors"]] == [[0, 1]]
    assert "unknown mSign item 'bogus'" in answer["reasons"][0]


def test_no_errors_no_error_fields(client):
    answer = client.post(server.CALL_PATH, json=body("MSIGN_OVERAGE", "transaction", 130,
                                                     100)).json()
    assert answer == {"result": [[8.10]]}  # MS-1: 30 x 0.27


def test_a_call_the_user_must_fix_is_400_with_one_clean_line(client, caplog):
    data = body("MSIGN_OVERAGE", [["transaction"], ["user"]], [[1], [2], [3]])
    with caplog.at_level(logging.INFO):
        response = client.post(server.CALL_PATH, json=data)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail == ("MSIGN_OVERAGE: the ranges have different sizes (item 2x1, used 3x1); "
                      "give ranges of the same size or single cells")
    assert "CallError" not in detail and detail.count("MSIGN_OVERAGE") == 1
    ours = [r for r in caplog.records if r.name == "tarifa.server"]
    assert len(ours) == 1 and ours[0].exc_info is None and "400" in ours[0].getMessage()


def test_the_check_companion_names_itself_once(client):
    data = body("MSIGN_OVERAGE_CHECK", [["transaction"], ["user"]], [[1], [2], [3]])
    detail = client.post(server.CALL_PATH, json=data).json()["detail"]
    assert detail.startswith("MSIGN_OVERAGE_CHECK: the ranges have different sizes")
    assert detail.count("MSIGN_OVERAGE") == 1


def test_old_runtimes_get_400_with_the_first_reason(client):
    # runtime 1.2 cannot hold an error inside an array: the call fails with the reason
    data = body("MSIGN_OVERAGE", "transaction", [[120], [-5]], 100, runtime="1.2")
    response = client.post(server.CALL_PATH, json=data)
    assert response.status_code == 400
    assert response.json()["detail"] == ("MSIGN_OVERAGE: element 2: MS-1: used must not be "
                                         "negative")


@pytest.mark.parametrize("raw, says", [
    (b"{not json", "not valid JSON"),
    (b'{"func_name": "MSIGN_OVERAGE", "args": [[[NaN]]]}', "NaN"),
    (b"[1, 2]", "JSON object"),
    (b'{"args": []}', "func_name"),
    (b'{"func_name": "MSIGN_OVERAGE", "args": 5}', "args"),
    (b'{"func_name": "MSIGN_OVERAGE", "args": [5]}', "argument 1 is not a 2-D array"),
    (b'{"func_name": "MSIGN_OVERAGE", "args": [[["transaction"]]]}', "no client"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[" * 100_000, "not valid JSON"),
])
def test_bodies_that_are_not_the_protocol_are_400(client, raw, says):
    response = client.post(server.CALL_PATH, content=raw,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert says in response.json()["detail"]


def test_a_non_text_field_is_400(client):
    data = body("MSIGN_OVERAGE", "transaction", 120)
    data["date_format"] = 5
    assert client.post(server.CALL_PATH, json=data).status_code == 400


def test_an_unknown_function_is_404(client):
    response = client.post(server.CALL_PATH, json=body("NO_SUCH_FUNCTION", 1))
    assert response.status_code == 404 and "NO_SUCH_FUNCTION" in response.json()["detail"]
    # a module attribute that is not a worksheet function is no function either
    assert client.post(server.CALL_PATH, json=body("np", 1)).status_code == 404


def test_a_bug_is_500_without_internals_to_the_client(caplog):
    import types

    from xlwings import func

    @func
    def BROKEN(x):  # noqa: N802 - an Excel function name
        return 1 / 0

    module = types.ModuleType("broken")
    module.BROKEN = BROKEN
    app = server.create_app(Settings(license_key="noncommercial", auth=AUTH_NONE), module)
    client = TestClient(app, raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        response = client.post(server.CALL_PATH, json=body("BROKEN", 1))
    assert response.status_code == 500
    assert "ZeroDivisionError" not in response.text  # no internals to the client


def test_message_puts_the_function_name_first_once():
    assert calls.message("F", ValueError("F: bad")) == "F: bad"
    assert calls.message("F_CHECK", ValueError("F: bad")) == "F_CHECK: bad"
    assert calls.message("F", ValueError("bad")) == "F: bad"
    assert calls.message("F", ValueError("G: bad")) == "F: G: bad"


def test_ms1_a_large_call_computed_in_its_own_process_gives_the_same():
    # 50,000 rows (a body over calls.LARGE_CALL_BYTES) go to the large-call process: the same
    # values, error cells with their reasons, and a refusal crosses back as 400
    used = [[120]] * 49_999 + [[-1]]
    data = body("MSIGN_OVERAGE", "transaction", used, 100)
    assert len(json.dumps(data)) > calls.LARGE_CALL_BYTES
    app = server.create_app(Settings(license_key="noncommercial", auth=AUTH_NONE))
    with TestClient(app) as client:  # starts and stops the large-call process
        answer = client.post(server.CALL_PATH, json=data).json()
        assert answer["result"][:2] == [[5.40], [5.40]]  # MS-1: 20 x 0.27
        assert answer["result"][-1] == [NUM]
        assert answer["errors"] == [[49_999, 0, 0]]
        assert answer["reasons"] == ["MS-1: used must not be negative"]
        assert sum(r[0] for r in answer["result"][:-1]) == pytest.approx(5.40 * 49_999)
        mismatched = body("MSIGN_OVERAGE", [["transaction"]] * 2, used, 100)
        refused = client.post(server.CALL_PATH, json=mismatched)
        assert refused.status_code == 400
        assert refused.json()["detail"].startswith("MSIGN_OVERAGE: the ranges have different")
