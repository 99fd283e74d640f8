"""Printer URLs → python-escpos connections.

- tcp://HOST[:PORT]: network printer on its raw port (9100 by default)
- usb://VID:PID[?in_ep=0x82&out_ep=0x01]: USB printer, ids in hex as `lsusb` shows them
- serial:///dev/ttyUSB0[?baudrate=19200]: serial printer
- file:///dev/usb/lp0: a device file (write-only: no status can be read)
"""

from __future__ import annotations

import copy
import socket
from dataclasses import dataclass, field
from typing import IO, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File, Network, Serial, Usb

from printer.render import PaperProfile, get_paper_profile

Scheme = Literal["tcp", "usb", "serial", "file"]

DEFAULT_TCP_PORT = 9100
DEFAULT_BAUDRATE = 9600

EXAMPLES = "tcp://192.168.1.50:9100, usb://04b8:0202, serial:///dev/ttyUSB0?baudrate=19200 or file:///dev/usb/lp0"


@dataclass(frozen=True)
class PrinterAddress:
    scheme: Scheme
    host: str = ""
    port: int = DEFAULT_TCP_PORT
    vendor_id: int = 0
    product_id: int = 0
    endpoints: dict[str, int] = field(default_factory=dict)
    path: str = ""
    baudrate: int = DEFAULT_BAUDRATE

    def __str__(self) -> str:
        match self.scheme:
            case "tcp":
                host = f"[{self.host}]" if ":" in self.host else self.host
                return f"tcp://{host}:{self.port}"
            case "usb":
                return f"usb://{self.vendor_id:04x}:{self.product_id:04x}"
            case "serial":
                return f"serial://{self.path}?baudrate={self.baudrate}"
            case "file":
                return f"file://{self.path}"


def _invalid(url: str, problem: str) -> ValueError:
    return ValueError(f"Invalid printer URL {url!r}: {problem}. Examples: {EXAMPLES}.")


def _single_params(url: str, query: str, allowed: set[str]) -> dict[str, str]:
    params = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(params) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise _invalid(url, f"unknown option {unknown[0]!r} (accepted: {accepted})")
    return {name: values[-1] for name, values in params.items()}


def _parse_hex_id(url: str, text: str, what: str) -> int:
    digits = text.strip().lower().removeprefix("0x")
    if not digits or len(digits) > 4 or any(c not in "0123456789abcdef" for c in digits):
        raise _invalid(url, f"{what} {text!r} must be 1-4 hex digits, as `lsusb` prints it")
    return int(digits, 16)


def parse_printer_url(url: str) -> PrinterAddress:
    """Parse and check a printer URL; raises ValueError saying what to fix."""
    text = url.strip()
    if "://" not in text:
        raise _invalid(url, "it has no scheme")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "tcp":
        try:
            host = parts.hostname
            port = parts.port
        except ValueError:
            raise _invalid(url, "the port must be a number from 1 to 65535") from None
        if not host:
            raise _invalid(url, "it names no host (the printer's IP address or name)")
        if port == 0:
            raise _invalid(url, "the port must be a number from 1 to 65535")
        if parts.path not in ("", "/") or parts.query:
            raise _invalid(url, "a tcp URL takes only a host and a port")
        return PrinterAddress("tcp", host=host, port=port or DEFAULT_TCP_PORT)
    if scheme == "usb":
        vendor, separator, product = parts.netloc.partition(":")
        if not separator or parts.path not in ("", "/"):
            raise _invalid(url, "a USB printer is written usb://VENDOR_ID:PRODUCT_ID")
        params = _single_params(url, parts.query, {"in_ep", "out_ep"})
        endpoints = {name: _parse_hex_id(url, value, f"endpoint {name}") for name, value in params.items()}
        return PrinterAddress(
            "usb",
            vendor_id=_parse_hex_id(url, vendor, "vendor id"),
            product_id=_parse_hex_id(url, product, "product id"),
            endpoints=endpoints,
        )
    if scheme == "serial":
        if parts.netloc or not parts.path.startswith("/"):
            raise _invalid(url, "a serial port is written serial:///dev/ttyUSB0 (three slashes)")
        params = _single_params(url, parts.query, {"baudrate"})
        baudrate_text = params.get("baudrate", str(DEFAULT_BAUDRATE))
        if not baudrate_text.isdigit() or int(baudrate_text) <= 0:
            raise _invalid(url, f"baudrate {baudrate_text!r} must be a positive number")
        return PrinterAddress("serial", path=unquote(parts.path), baudrate=int(baudrate_text))
    if scheme == "file":
        if parts.netloc or not parts.path.startswith("/") or parts.query:
            raise _invalid(url, "a device file is written file:///dev/usb/lp0 (three slashes)")
        return PrinterAddress("file", path=unquote(parts.path))
    raise _invalid(url, f"unsupported scheme {parts.scheme!r} (use tcp, usb, serial or file)")


class PrinterDriverMissingError(RuntimeError):
    """The Python package this kind of connection needs is not installed."""


_DRIVER_PACKAGES = {"usb": "pyusb", "serial": "pyserial"}
_DRIVER_CLASSES: dict[str, type[Escpos]] = {"usb": Usb, "serial": Serial}


class _AppendingFile(File):  # type: ignore[misc]  # python-escpos ships no types
    """File printer that appends: python-escpos truncates, which loses earlier jobs when the
    target is a plain file used for debugging; device files behave the same either way."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        stream: IO[bytes] | None = None
        try:
            stream = open(self.devfile, "ab")  # noqa: SIM115 - closed by close()
        except OSError as error:
            if raise_not_found:
                raise DeviceNotFoundError(f"Could not open {self.devfile}: {error}") from error
        finally:
            # None is python-escpos's marker for "could not open".
            self.device = stream


class _Network(Network):  # type: ignore[misc]  # python-escpos ships no types
    """Network printer that also speaks IPv6 and closes the socket when connecting fails
    (python-escpos leaves it to the garbage collector)."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        connection: socket.socket | None = None
        try:
            connection = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as error:
            if raise_not_found:
                raise DeviceNotFoundError(f"Could not connect to {self.host}:{self.port}: {error}") from error
        finally:
            # None is python-escpos's marker for "could not open".
            self.device = connection


def _fit_to_paper(printer: Escpos, paper: PaperProfile) -> None:
    # The default escpos profile has no width, so image() would print a warning to stdout on
    # every job and could not reject an image that is too wide. Copy before changing: profile
    # data is shared by every printer object of the same model.
    data = copy.deepcopy(printer.profile.profile_data)
    data["media"] = {
        "dpi": 203,
        "width": {"mm": paper.paper_mm, "pixels": paper.width_dots},
    }
    printer.profile.profile_data = data


def create_printer(
    url: str | PrinterAddress,
    *,
    profile: PaperProfile | str | int = "80",
    timeout_seconds: float = 1.0,
) -> Escpos:
    """An unopened python-escpos printer for `url`.

    Raises ValueError for a bad URL and PrinterDriverMissingError when pyusb/pyserial is needed.

    `timeout_seconds` bounds connecting and every read and write.
    """
    address = url if isinstance(url, PrinterAddress) else parse_printer_url(url)
    # Checked before building the object: python-escpos's Serial cannot even be constructed
    # without pyserial, and a half-built Usb complains again when garbage-collected.
    if address.scheme in _DRIVER_PACKAGES and not _DRIVER_CLASSES[address.scheme].is_usable():
        package = _DRIVER_PACKAGES[address.scheme]
        raise PrinterDriverMissingError(
            f"Printing to {address} needs the Python package {package!r}: "
            f"install it in the kiosk's environment (pip install {package})."
        )
    printer: Escpos
    match address.scheme:
        case "tcp":
            printer = _Network(address.host, port=address.port, timeout=timeout_seconds)
        case "usb":
            # pyusb counts its timeouts in milliseconds.
            printer = Usb(
                address.vendor_id,
                address.product_id,
                timeout=max(1, round(timeout_seconds * 1000)),
                **address.endpoints,
            )
        case "serial":
            printer = Serial(address.path, baudrate=address.baudrate, timeout=timeout_seconds)
        case "file":
            printer = _AppendingFile(address.path)
    _fit_to_paper(printer, get_paper_profile(profile))
    return printer
