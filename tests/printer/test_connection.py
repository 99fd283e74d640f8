from __future__ import annotations

from pathlib import Path

import pytest
from escpos.printer import File, Network, Serial, Usb

from printer.agent import print_ticket
from printer.connection import (
    PrinterAddress,
    PrinterDriverMissingError,
    create_printer,
    parse_printer_url,
)
from tests.printer.conftest import BRANCH_NAME, make_ticket


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("tcp://192.168.1.50:9100", PrinterAddress("tcp", host="192.168.1.50", port=9100)),
        ("tcp://printer.local", PrinterAddress("tcp", host="printer.local", port=9100)),
        ("TCP://10.0.0.7:9101/", PrinterAddress("tcp", host="10.0.0.7", port=9101)),
        ("tcp://[fe80::1]:9100", PrinterAddress("tcp", host="fe80::1", port=9100)),
        ("usb://04b8:0202", PrinterAddress("usb", vendor_id=0x04B8, product_id=0x0202)),
        (
            "usb://0x0416:0x5011?in_ep=0x81&out_ep=0x03",
            PrinterAddress(
                "usb",
                vendor_id=0x0416,
                product_id=0x5011,
                endpoints={"in_ep": 0x81, "out_ep": 0x03},
            ),
        ),
        (
            "serial:///dev/ttyUSB0?baudrate=19200",
            PrinterAddress("serial", path="/dev/ttyUSB0", baudrate=19200),
        ),
        ("serial:///dev/ttyS0", PrinterAddress("serial", path="/dev/ttyS0", baudrate=9600)),
        ("file:///dev/usb/lp0", PrinterAddress("file", path="/dev/usb/lp0")),
    ],
)
def test_valid_urls(url: str, expected: PrinterAddress) -> None:
    assert parse_printer_url(url) == expected


@pytest.mark.parametrize(
    ("url", "advice"),
    [
        ("192.168.1.50:9100", "no scheme"),
        ("", "no scheme"),
        ("http://192.168.1.50", "unsupported scheme 'http'"),
        ("tcp://", "names no host"),
        ("tcp://:9100", "names no host"),
        ("tcp://printer:port", "1 to 65535"),
        ("tcp://printer:70000", "1 to 65535"),
        ("tcp://printer:0", "1 to 65535"),
        ("tcp://printer:9100/queue", "only a host and a port"),
        ("usb://04b8", "usb://VENDOR_ID:PRODUCT_ID"),
        ("usb://04b8:zz", "hex digits"),
        ("usb://04b8:0202?speed=1", "unknown option 'speed'"),
        ("serial://dev/ttyUSB0", "three slashes"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "baudrate 'fast'"),
        ("serial:///dev/ttyUSB0?parity=E", "unknown option 'parity'"),
        ("file://relative/path", "three slashes"),
    ],
)
def test_invalid_urls_say_what_to_fix(url: str, advice: str) -> None:
    with pytest.raises(ValueError, match="Invalid printer URL") as raised:
        parse_printer_url(url)

    message = str(raised.value)
    assert advice in message
    assert "tcp://192.168.1.50:9100" in message  # an example to copy


def test_network_printer_gets_host_port_timeout_and_paper_width() -> None:
    printer = create_printer("tcp://10.1.2.3:9101", profile="58", timeout_seconds=0.5)

    assert isinstance(printer, Network)
    assert (printer.host, printer.port, printer.timeout) == ("10.1.2.3", 9101, 0.5)
    assert printer.profile.profile_data["media"]["width"]["pixels"] == 384


def test_paper_width_is_per_printer_not_shared() -> None:
    narrow = create_printer("tcp://10.1.2.3", profile="58")
    wide = create_printer("tcp://10.1.2.4", profile="80")

    assert narrow.profile.profile_data["media"]["width"]["pixels"] == 384
    assert wide.profile.profile_data["media"]["width"]["pixels"] == 576


def test_file_printer_appends_instead_of_truncating(tmp_path: Path) -> None:
    target = tmp_path / "spool.bin"
    for payload in (b"first", b"second"):
        printer = create_printer(f"file://{target}")
        assert isinstance(printer, File)
        printer.open()
        printer._raw(payload)
        printer.close()

    assert target.read_bytes() == b"firstsecond"


@pytest.mark.parametrize(
    ("url", "driver_class", "package"),
    [("usb://04b8:0202", Usb, "pyusb"), ("serial:///dev/ttyUSB0", Serial, "pyserial")],
)
def test_a_missing_driver_names_the_package(
    monkeypatch: pytest.MonkeyPatch, url: str, driver_class: type, package: str
) -> None:
    monkeypatch.setattr(driver_class, "is_usable", staticmethod(lambda: False))

    with pytest.raises(PrinterDriverMissingError, match=f"pip install {package}"):
        create_printer(url)


def test_printing_without_the_driver_fails_softly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Usb, "is_usable", staticmethod(lambda: False))

    result = print_ticket("usb://04b8:0202", make_ticket(), BRANCH_NAME)

    assert (result.ok, result.error) == (False, "driver_missing")
