"""HTTP message helpers: Content-Encoding decoding (both deflates), head parsing on any bytes."""

from __future__ import annotations

import contextlib
import gzip
import io
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoarchive.core.httpmsg import BodyTooLarge, decode_body, header_value, parse_headers, status_text

TEXT = b"<html><body>" + b"deflate me " * 500 + b"</body></html>"


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("deflate", zlib.compress(TEXT)),  # RFC 1950 zlib-wrapped, the standard
        ("deflate", raw_deflate(TEXT)),  # raw RFC 1951, as many servers send it
        ("gzip", gzip.compress(TEXT, mtime=0)),
        ("x-gzip", gzip.compress(TEXT, mtime=0)),
        ("identity", TEXT),
        (None, TEXT),
    ],
    ids=["zlib-deflate", "raw-deflate", "gzip", "x-gzip", "identity", "none"],
)
def test_every_encoding_the_fetcher_advertises_decodes(encoding: str | None, body: bytes) -> None:
    assert decode_body(io.BytesIO(body), encoding, 1 << 20) == TEXT


@pytest.mark.parametrize("body", [zlib.compress(TEXT), raw_deflate(TEXT)], ids=["zlib", "raw"])
def test_deflate_stops_at_the_bound(body: bytes) -> None:
    with pytest.raises(BodyTooLarge) as caught:
        decode_body(io.BytesIO(body), "deflate", 100)
    assert caught.value.partial == TEXT[:100]


@pytest.mark.parametrize("encoding", ["deflate", "gzip"])
def test_corrupt_bodies_are_value_errors(encoding: str) -> None:
    with pytest.raises(ValueError, match=f"corrupt {encoding} body"):
        decode_body(io.BytesIO(b"\x78\x9c not deflate at all"), encoding, 1 << 20)


@given(st.binary(max_size=2000), st.sampled_from(["deflate", "gzip", "identity", "br"]))
def test_decode_body_raises_only_value_errors(body: bytes, encoding: str) -> None:
    with contextlib.suppress(ValueError):
        decode_body(io.BytesIO(body), encoding, 1 << 16)


@given(st.binary(max_size=4000))
def test_parse_headers_never_raises(head: bytes) -> None:
    fields = parse_headers(head)
    assert all(isinstance(name, str) and isinstance(value, str) for name, value in fields)
    status_text(head, 200)


_TOKEN = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=":"), min_size=1
)
_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=40).map(str.strip)


@given(st.lists(st.tuples(_TOKEN, _VALUE), max_size=20))
def test_parse_headers_reads_back_what_was_sent(fields: list[tuple[str, str]]) -> None:
    head = ("HTTP/1.1 200 OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n").encode("latin-1")
    assert parse_headers(head) == fields
    for name, _ in fields:
        assert header_value(fields, name.upper()) == next(v for k, v in fields if k.lower() == name.lower())


def test_status_text() -> None:
    assert status_text(b"HTTP/1.1 500 Internal Server Error\r\n\r\n", 500) == "HTTP 500 Internal Server Error"
    assert status_text(None, 404) == "HTTP 404"
