"""Render a ticket to a 1-bit raster image at the printer's width.

Everything is drawn with Pillow and a Japanese font, because python-escpos cannot encode kanji.
The slip carries only what the public may see: the number, times, counts, neutral labels,
counters and a QR code of the status URL. Nothing else from the ticket is ever printed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import qrcode
from PIL import Image, ImageDraw, ImageFont

from printer.fonts import FontFace, FontMissingError, find_japanese_font, find_script_font
from printer.slip_text import SCRIPT_FONTS, SlipText, paper_label, slip_text

__all__ = [
    "PAPER_PROFILES",
    "FontMissingError",
    "PaperProfile",
    "find_japanese_font",
    "format_issued_at",
    "format_wait_range",
    "get_paper_profile",
    "render_test_slip",
    "render_ticket",
    "slip_length_mm",
]

DEFAULT_TIME_ZONE = "Asia/Tokyo"
DEFAULT_NOTICE_JA = "番号順に、画面と音声でお呼びします。"
DEFAULT_NOTICE_EN = "We call numbers on the screen and by voice."
# Printed on the slip of a ticket issued at an appointment's check-in.
APPOINTMENT_MARK = "【予約】"

Align = Literal["left", "center", "right"]

WHITE = 255
BLACK = 0
# Thermal heads bleed a little, so a slightly high threshold keeps thin kanji strokes.
_INK_THRESHOLD = 160


@dataclass(frozen=True)
class PaperProfile:
    name: str
    paper_mm: int
    width_dots: int
    # 203 dpi thermal heads: 8 dots per millimetre of paper feed.
    dots_per_mm: float = 8.0


PAPER_PROFILES: dict[str, PaperProfile] = {
    "58": PaperProfile("58", paper_mm=58, width_dots=384),
    "80": PaperProfile("80", paper_mm=80, width_dots=576),
}


def get_paper_profile(profile: PaperProfile | str | int) -> PaperProfile:
    if isinstance(profile, PaperProfile):
        return profile
    key = str(profile).removesuffix("mm").strip()
    try:
        return PAPER_PROFILES[key]
    except KeyError:
        choices = ", ".join(PAPER_PROFILES)
        raise ValueError(f"Unknown paper profile {profile!r}: use one of {choices} (paper width in mm).") from None


def slip_length_mm(slip: Image.Image, profile: PaperProfile | str | int = "80") -> float:
    """How much paper the slip takes, in millimetres of feed."""
    return slip.height / get_paper_profile(profile).dots_per_mm


def format_issued_at(issued_at: str | datetime, time_zone: str = DEFAULT_TIME_ZONE) -> str:
    """'2026年4月1日 9:05' in the branch's local time."""
    zone = ZoneInfo(time_zone)
    moment = issued_at if isinstance(issued_at, datetime) else datetime.fromisoformat(issued_at)
    # The contract says issued_at carries its offset; a naive value can only mean local time.
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment.hour}:{moment.minute:02d}"


def format_wait_range(minutes: float | None) -> tuple[str, str] | None:
    """A range rather than a number, because an estimate that looks exact breeds complaints."""
    if minutes is None:
        return None
    if minutes <= 0:
        return "まもなく", "soon"
    low = int(minutes * 0.7 // 5 * 5)
    high = max(5, math.ceil(minutes * 1.3 / 5) * 5)
    if low == 0:
        return f"約{high}分以内", f"within about {high} min"
    return f"約{low}〜{high}分", f"about {low}–{high} min"


class _Fonts:
    def __init__(self, regular: FontFace, bold: FontFace, width_dots: int) -> None:
        self.regular = regular
        self.bold = bold
        scale = width_dots / 576
        # 58 mm slips keep a floor so kanji stay legible (about 2.7 mm tall at 203 dpi).
        self.title = bold.sized(max(24, round(36 * scale)))
        self.heading = bold.sized(max(22, round(28 * scale)))
        self.body = regular.sized(max(22, round(28 * scale)))
        self.value = bold.sized(max(26, round(34 * scale)))
        self.small = regular.sized(max(18, round(22 * scale)))
        # The route: the longest part of a life-event slip, so a size that reads but saves paper.
        self.route = regular.sized(max(20, round(22 * scale)))
        self.place = bold.sized(max(20, round(25 * scale)))


_TOKEN = re.compile(
    # Latin words stay whole; every other character may break, but closing punctuation
    # sticks to what precedes it and an opening bracket to what follows (kinsoku: a line never
    # starts with 、。）」・ … nor ends with （「).
    # Words of Latin (with Vietnamese and Portuguese accents), Hangul and Devanagari alike.
    r"[A-Za-z0-9@#&%+\-_/:.,'!?()\u00c0-\u024f\u0300-\u036f\u1e00-\u1eff\u0900-\u097f\uac00-\ud7a3]+"
    r"[、。，．）」』】〕！？ー・)]*"
    r"|\s+"
    r"|[(（「『【〔]*.[、。，．）」』】〕！？ー…・)]*"
)


# やさしい日本語 on paper: a kanji run with its reading, 「赤(あか)」, is one piece (never 「赤( / あか)」).
_READING_TOKEN = re.compile(
    r"[(（「『【〔]*[\u3400-\u4dbf\u4e00-\u9fff々]+\([ぁ-ゖー]+\)[、。，．）」』】〕！？ー…・)]*|" + _TOKEN.pattern
)


def _tokens_by_word(paragraph: str, font: ImageFont.FreeTypeFont, max_width: int) -> list[str]:
    """Tokens of a text written a word at a time: its words; a word wider than a line in the
    items of its list (after each ・ or 、), an item wider still by kanji with their reading,
    then by character."""

    def fits(piece: str) -> bool:
        return font.getlength(piece) <= max_width

    tokens: list[str] = []
    for word in re.findall(r"\S+|\s+", paragraph):
        for item in [word] if fits(word) else re.findall(r"[^・、]+[・、]*|[・、]+", word):
            for piece in [item] if fits(item) else _READING_TOKEN.findall(item):
                tokens += [piece] if fits(piece) else _TOKEN.findall(piece)
    return tokens


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_width: int, *, by_word: bool = False) -> list[str]:
    """Lines no wider than max_width. `by_word`: a text written a word at a time (やさしい日本語's
    分かち書き) breaks between its words; only a word longer than a line breaks inside itself."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        tokens = _tokens_by_word(paragraph, font, max_width) if by_word else _TOKEN.findall(paragraph)
        for token in tokens:
            candidate = line + token
            if line and font.getlength(candidate.rstrip()) > max_width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line.rstrip())
    return lines


class _Sheet:
    """Stacks full-width bands top to bottom; the slip is as long as its content."""

    def __init__(self, width_dots: int, *, by_word: bool = False) -> None:
        self.width = width_dots
        self.by_word = by_word  # lines break between words (_wrap)
        self.margin = round(width_dots * 0.04)
        self.inner_width = width_dots - 2 * self.margin
        self._bands: list[Image.Image] = []

    def space(self, height: int) -> None:
        self._bands.append(Image.new("L", (self.width, height), WHITE))

    def _line_height(self, font: ImageFont.FreeTypeFont) -> int:
        ascent, descent = font.getmetrics()
        return round((ascent + descent) * 1.08)

    def text(
        self,
        text: str,
        font: ImageFont.FreeTypeFont,
        *,
        align: Align = "center",
        indent: int = 0,
        tight: bool = False,
    ) -> None:
        """Wrapped lines; `tight` sets them 1.3 em apart (lists, where paper is counted)."""
        for line in _wrap(text, font, self.inner_width - indent, by_word=self.by_word):
            if tight:
                height, baseline = round(font.size * 1.3), round(font.size * 1.06)
            else:
                height, baseline = self._line_height(font), font.getmetrics()[0]
            band = Image.new("L", (self.width, height), WHITE)
            line_width = font.getlength(line)
            x: float
            if align == "left":
                x = self.margin + indent
            elif align == "right":
                x = self.width - self.margin - line_width
            else:
                x = (self.width - line_width) / 2
            ImageDraw.Draw(band).text((x, baseline), line, font=font, fill=BLACK, anchor="ls")
            self._bands.append(band)

    def row(
        self,
        left: str,
        right: str,
        left_font: ImageFont.FreeTypeFont,
        right_font: ImageFont.FreeTypeFont,
        *,
        indent: int = 0,
    ) -> None:
        """Label on the left, value on the right; the value moves down when they collide."""
        gap = round(self.width * 0.03)
        needed = left_font.getlength(left) + gap + right_font.getlength(right)
        if needed > self.inner_width - indent:
            self.text(left, left_font, align="left", indent=indent)
            self.text(right, right_font, align="right")
            return
        size = max(left_font.size, right_font.size)
        band = Image.new("L", (self.width, round(size * 1.3)), WHITE)
        draw = ImageDraw.Draw(band)
        # Shared baseline so a bigger value does not look like it floats.
        baseline = round(size * 1.06)
        draw.text((self.margin + indent, baseline), left, font=left_font, fill=BLACK, anchor="ls")
        draw.text((self.width - self.margin, baseline), right, font=right_font, fill=BLACK, anchor="rs")
        self._bands.append(band)

    def entry(
        self,
        ordinal: str,
        place: str,
        text: str,
        *,
        lead_font: ImageFont.FreeTypeFont,
        place_font: ImageFont.FreeTypeFont,
        text_font: ImageFont.FreeTypeFont,
        indent: int,
    ) -> None:
        """「① 1–5番窓口 転入届・印鑑登録」: the place in bold, what is done there after it on the
        same line, wrapping under the place (a hanging indent after the ordinal)."""
        gap = round(text_font.getlength(" "))
        place_width = round(place_font.getlength(place))
        first_width = self.inner_width - indent - place_width - gap
        words = _wrap(text, text_font, max(first_width, 1), by_word=self.by_word) if text else []
        first = words[0] if words and text_font.getlength(words[0]) <= first_width else None
        rest_text = text[len(first) :].lstrip() if first is not None else text
        height = round(max(place_font.size, text_font.size) * 1.3)
        band = Image.new("L", (self.width, height), WHITE)
        draw = ImageDraw.Draw(band)
        baseline = round(max(place_font.size, text_font.size) * 1.06)
        draw.text((self.margin, baseline), ordinal, font=lead_font, fill=BLACK, anchor="ls")
        draw.text((self.margin + indent, baseline), place, font=place_font, fill=BLACK, anchor="ls")
        if first:
            x = self.margin + indent + place_width + gap
            draw.text((x, baseline), first, font=text_font, fill=BLACK, anchor="ls")
        self._bands.append(band)
        if rest_text:
            self.text(rest_text, text_font, align="left", indent=indent, tight=True)

    def picture_with_caption(self, picture: Image.Image, caption: Sequence[str], font: ImageFont.FreeTypeFont) -> None:
        """A picture at the left margin, short caption lines beside it, vertically centred."""
        line_height = round(font.size * 1.3)
        height = max(picture.height, line_height * len(caption))
        band = Image.new("L", (self.width, height), WHITE)
        band.paste(picture.convert("L"), (self.margin, (height - picture.height) // 2))
        draw = ImageDraw.Draw(band)
        x = self.margin + picture.width + round(self.width * 0.02)
        y = (height - line_height * len(caption)) // 2
        for line in caption:
            draw.text((x, y + round(font.size * 1.06)), line, font=font, fill=BLACK, anchor="ls")
            y += line_height
        self._bands.append(band)

    def rule(self, *, thickness: int = 2, padding: int = 12) -> None:
        band = Image.new("L", (self.width, padding * 2 + thickness), WHITE)
        ImageDraw.Draw(band).rectangle(
            (self.margin, padding, self.width - self.margin - 1, padding + thickness - 1),
            fill=BLACK,
        )
        self._bands.append(band)

    def picture(self, picture: Image.Image) -> None:
        band = Image.new("L", (self.width, picture.height), WHITE)
        band.paste(picture.convert("L"), ((self.width - picture.width) // 2, 0))
        self._bands.append(band)

    def headline(self, text: str, face: FontFace, *, max_height: int) -> None:
        """The biggest size at which `text` still fits the paper width and `max_height`."""
        low, high = 8, max_height * 2
        while low < high:
            size = (low + high + 1) // 2
            left, top, right, bottom = face.sized(size).getbbox(text)
            if right - left <= self.inner_width and bottom - top <= max_height:
                low = size
            else:
                high = size - 1
        font = face.sized(low)
        left, top, right, bottom = font.getbbox(text)
        band = Image.new("L", (self.width, math.ceil(bottom - top)), WHITE)
        x = (self.width - (right - left)) // 2 - left
        ImageDraw.Draw(band).text((x, -top), text, font=font, fill=BLACK)
        self._bands.append(band)

    def finish(self) -> Image.Image:
        height = sum(band.height for band in self._bands)
        sheet = Image.new("L", (self.width, height), WHITE)
        y = 0
        for band in self._bands:
            sheet.paste(band, (0, y))
            y += band.height
        return sheet.point(lambda value: WHITE if value > _INK_THRESHOLD else BLACK, mode="1")


def qr_image(data: str, *, target_width: int) -> Image.Image:
    """A crisp QR code: whole dots per module, about `target_width` wide, with its quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = len(matrix)
    # Below 3 dots (0.375 mm) a module smears on thermal paper and phones stop reading it.
    module_dots = max(3, round(target_width / modules))
    quiet_zone = 4 * module_dots
    side = modules * module_dots + 2 * quiet_zone
    picture = Image.new("L", (side, side), WHITE)
    draw = ImageDraw.Draw(picture)
    for row_index, row in enumerate(matrix):
        for column_index, dark in enumerate(row):
            if dark:
                x = quiet_zone + column_index * module_dots
                y = quiet_zone + row_index * module_dots
                draw.rectangle((x, y, x + module_dots - 1, y + module_dots - 1), fill=BLACK)
    return picture


@dataclass(frozen=True)
class RouteLine:
    """One line of the route as the citizen lives it: a window visit, or back-office progress."""

    # 「1–5番窓口」, or 「書類の準備」 for back-office work.
    place: str
    # 「転入届・印鑑登録」; for back office, what the citizen does meanwhile.
    what: str
    back_office: bool = False


BACK_OFFICE_PLACE_JA = "書類の準備"
BACK_OFFICE_WHAT_JA = "お待ちの間に職員が行います"
LABEL_SEPARATOR = "・"
# About 0.5 mm per module for a status URL (QR version 4): phones read it at arm's length, and
# it leaves the paper to the route.
QR_WIDTH_MM = 17


def window_place(counters: str | None) -> str:
    """'1–5' → 「1〜5番窓口」 (a Japanese range); a window not yet known → 「窓口」."""
    return f"{counters.replace('–', '〜')}番窓口" if counters else "窓口"


def route_lines(ticket: Mapping[str, Any]) -> list[RouteLine]:
    """The ticket's `visits` (the server's one presentation of the route) as printable lines.

    Visits made only of skipped stops are left out. A server without `visits` (older than v1's
    visit presentation) gets consecutive stops at the same window and label folded together.
    """
    stops = list(ticket.get("stops") or [])
    visits = ticket.get("visits")
    lines: list[RouteLine] = []
    if visits is None:
        for stop in stops:
            if stop.get("status") == "skipped":
                continue
            if stop.get("citizen_present") is False:
                line = RouteLine(BACK_OFFICE_PLACE_JA, BACK_OFFICE_WHAT_JA, back_office=True)
            else:
                line = RouteLine(window_place(stop.get("counter")), str(stop.get("label") or ""))
            if not lines or lines[-1] != line:
                lines.append(line)
        return lines
    for visit in visits:
        indexes = [index for index in visit.get("stops") or [] if 0 <= index < len(stops)]
        if indexes and all(stops[index].get("status") == "skipped" for index in indexes):
            continue
        if visit.get("kind") == "back_office":
            line = RouteLine(BACK_OFFICE_PLACE_JA, BACK_OFFICE_WHAT_JA, back_office=True)
        else:
            line = RouteLine(window_place(visit.get("counters")), LABEL_SEPARATOR.join(visit.get("labels") or []))
        # Two back-office visits in a row would print the same line twice.
        if not lines or lines[-1] != line or not line.back_office:
            lines.append(line)
    return lines


_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


def _ordinal(order: int) -> str:
    # Circled ordinals, so that the order is never read as a counter number (「1. 1–5番窓口」).
    return _CIRCLED[order - 1] if order <= len(_CIRCLED) else f"{order}."


def render_ticket(
    ticket: Mapping[str, Any],
    *,
    branch_name: str,
    profile: PaperProfile | str | int = "80",
    notice_ja: str | None = None,
    notice_en: str | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> Image.Image:
    """The ticket slip as a mode '1' image exactly as wide as the paper profile.

    `position` is read as the number of people ahead of this ticket. The route is printed from
    `visits`, one line per window visit, so the slip reads like the kiosk and the status page.
    Raises FontMissingError when no Japanese font is installed.
    """
    paper = get_paper_profile(profile)
    language = str(ticket.get("language") or "ja")
    words = slip_text(language)
    if words is not None:
        return _render_in_language(ticket, language, words, branch_name=branch_name, paper=paper, time_zone=time_zone)
    fonts = _Fonts(find_japanese_font(), find_japanese_font(bold=True), paper.width_dots)
    sheet = _Sheet(paper.width_dots)
    unit = round(paper.width_dots / 48)

    sheet.space(unit // 2)
    sheet.text(branch_name, fonts.heading)
    sheet.space(unit // 2)
    sheet.headline(str(ticket["number"]), fonts.bold, max_height=round(paper.width_dots * 0.21))
    sheet.space(unit // 2)
    sheet.text(f"受付 {format_issued_at(ticket['issued_at'], time_zone)}", fonts.small, tight=True)
    if ticket.get("appointment"):  # checked in with a booking: staff see it at a glance
        sheet.text(APPOINTMENT_MARK, fonts.heading)
    sheet.rule(padding=unit // 2)

    position = ticket.get("position")
    wait = format_wait_range(ticket.get("estimated_wait_minutes"))
    if position is not None:
        sheet.row("あなたの前に", f"{int(position)}人", fonts.body, fonts.value)
    if wait is not None:
        sheet.row("待ち時間の目安", wait[0], fonts.body, fonts.value)
    english = []
    if position is not None:
        english.append(f"People ahead: {int(position)}")
    if wait is not None:
        english.append(f"Estimated wait: {wait[1]}")
    one_line = " / ".join(english)
    if english and fonts.small.getlength(one_line) <= sheet.inner_width:
        sheet.text(one_line, fonts.small, align="left", tight=True)
    else:
        for line in english:
            sheet.text(line, fonts.small, align="left", tight=True)

    lines = route_lines(ticket)
    if lines:
        sheet.rule(padding=unit // 2)
        sheet.text("手続きの順番  Your route", fonts.heading, align="left", tight=True)
        ordinal_width = round(fonts.route.getlength("⑳ "))
        for order, line in enumerate(lines, start=1):
            sheet.space(unit // 4)
            sheet.entry(
                _ordinal(order),
                line.place,
                line.what,
                lead_font=fonts.route,
                place_font=fonts.place,
                text_font=fonts.route,
                indent=ordinal_width,
            )

    sheet.rule(padding=unit // 2)
    status_url = ticket.get("status_url")
    if status_url:
        caption = ["スマートフォンで", "待ち状況と順番を", "確認できます", "Scan to see your", "place in the queue"]
        sheet.picture_with_caption(
            qr_image(str(status_url), target_width=round(QR_WIDTH_MM * paper.dots_per_mm)), caption, fonts.small
        )
    sheet.text(notice_ja or DEFAULT_NOTICE_JA, fonts.small, align="left", tight=True)
    sheet.text(notice_en or DEFAULT_NOTICE_EN, fonts.small, align="left", tight=True)
    sheet.space(unit // 2)
    return sheet.finish()


def _render_in_language(
    ticket: Mapping[str, Any],
    language: str,
    words: SlipText,
    *,
    branch_name: str,
    paper: PaperProfile,
    time_zone: str,
) -> Image.Image:
    """A ticket issued in another language: its figures, route and notices in that language,
    each step's Japanese name small beneath it for the counter staff."""
    japanese = _Fonts(find_japanese_font(), find_japanese_font(bold=True), paper.width_dots)
    fonts = japanese
    script = SCRIPT_FONTS.get(language)
    if script is not None:
        regular, bold = find_script_font(script), find_script_font(script, bold=True)
        if regular is None or bold is None:
            # No font for this script here: English rather than a slip of empty boxes.
            language, words = "en", slip_text("en") or words
        else:
            fonts = _Fonts(regular, bold, paper.width_dots)
    sheet = _Sheet(paper.width_dots, by_word=language == "ja_easy")  # 分かち書き
    unit = round(paper.width_dots / 48)
    local = ticket.get("language") == language  # the ticket's own names are in this language
    keep_japanese = language.startswith("zh")

    sheet.space(unit // 2)
    if local and ticket.get("branch_name") and ticket.get("branch_name_lang") == language:
        sheet.text(paper_label(str(ticket["branch_name"]), keep_japanese=True), fonts.heading)
    else:  # the name the kiosk gave, in Japanese
        sheet.text(branch_name, japanese.heading)
    sheet.space(unit // 2)
    sheet.headline(str(ticket["number"]), japanese.bold, max_height=round(paper.width_dots * 0.21))
    sheet.space(unit // 2)
    zone = ZoneInfo(time_zone)
    moment = ticket["issued_at"]
    moment = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment))
    moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    issued = moment.strftime("%Y-%m-%d %H:%M")
    sheet.text(words.issued.format(time=issued), fonts.small, tight=True)
    if ticket.get("appointment"):  # in Japanese, like the step names beneath: for the counter staff
        sheet.text(APPOINTMENT_MARK, japanese.heading)
    sheet.rule(padding=unit // 2)

    position = ticket.get("position")
    if position is not None:
        sheet.row(words.people_ahead, words.people.format(count=int(position)), fonts.body, fonts.value)
    minutes = ticket.get("estimated_wait_minutes")
    if minutes is not None:
        sheet.row(words.wait, _wait_words(minutes, words), fonts.body, fonts.value)

    lines = _local_route(ticket, words, local=local, keep_japanese=keep_japanese)
    if lines:
        sheet.rule(padding=unit // 2)
        sheet.text(words.route, fonts.heading, align="left", tight=True)
        ordinal_width = round(japanese.route.getlength("⑳ "))
        for order, (place, what, japanese_names) in enumerate(lines, start=1):
            sheet.space(unit // 4)
            sheet.entry(
                _ordinal(order),
                place,
                what,
                lead_font=japanese.route,
                place_font=fonts.place,
                text_font=fonts.route,
                indent=ordinal_width,
            )
            if japanese_names:
                sheet.text(japanese_names, japanese.small, align="left", indent=ordinal_width, tight=True)

    sheet.rule(padding=unit // 2)
    status_url = ticket.get("status_url")
    if status_url:
        qr = qr_image(str(status_url), target_width=round(QR_WIDTH_MM * paper.dots_per_mm))
        caption_width = sheet.inner_width - qr.width - round(sheet.width * 0.02)
        caption = _wrap(words.qr_caption, fonts.small, caption_width, by_word=sheet.by_word)
        sheet.picture_with_caption(qr, caption, fonts.small)
    sheet.text(words.notice, fonts.small, align="left", tight=True)
    sheet.space(unit // 2)
    return sheet.finish()


def _wait_words(minutes: float, words: SlipText) -> str:
    wait = format_wait_range(minutes)
    if wait is None or minutes <= 0:
        return words.wait_soon
    numbers = [int(number) for number in re.findall(r"\d+", wait[1])]
    if len(numbers) == 1:
        return words.wait_within.format(high=numbers[0])
    return words.wait_range.format(low=numbers[0], high=numbers[1])


def _local_route(
    ticket: Mapping[str, Any], words: SlipText, *, local: bool, keep_japanese: bool
) -> list[tuple[str, str, str]]:
    """(place, what in the slip's language, the Japanese names) per visit, like route_lines."""
    stops = list(ticket.get("stops") or [])
    lines: list[tuple[str, str, str]] = []
    for visit in ticket.get("visits") or []:
        indexes = [index for index in visit.get("stops") or [] if 0 <= index < len(stops)]
        if indexes and all(stops[index].get("status") == "skipped" for index in indexes):
            continue
        if visit.get("kind") == "back_office":
            line = (words.back_office, words.back_office_what, "")
            if lines and lines[-1] == line:
                continue
        else:
            counters = visit.get("counters")
            if counters:
                several = any(mark in str(counters) for mark in "–・,")
                template = words.windows if several and words.windows else words.window
                place = template.format(counter=str(counters).replace("・", words.windows_join))
            else:
                place = words.window_unknown
            names = visit.get("labels_local") if local and visit.get("labels_local") else visit.get("labels_en")
            what = words.separator.join(paper_label(str(name), keep_japanese=keep_japanese) for name in names or [])
            line = (place, what, LABEL_SEPARATOR.join(visit.get("labels") or []))
        lines.append(line)
    return lines


TEST_SLIP_URL = "https://madoguchi.invalid/t/printer-test"


def render_test_slip(
    *,
    branch_name: str = "Madoguchi",
    profile: PaperProfile | str | int = "80",
    printed_at: datetime | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> Image.Image:
    """A slip that shows at a glance whether width, font, big digits and QR all print well."""
    paper = get_paper_profile(profile)
    regular, bold = find_japanese_font(), find_japanese_font(bold=True)
    fonts = _Fonts(regular, bold, paper.width_dots)
    sheet = _Sheet(paper.width_dots)
    unit = round(paper.width_dots / 48)

    sheet.space(unit * 2)
    sheet.text("印字テスト  Test print", fonts.title)
    sheet.text(branch_name, fonts.body)
    if printed_at is not None:
        sheet.text(format_issued_at(printed_at, time_zone), fonts.body)
    sheet.rule()
    sheet.headline("A012", bold, max_height=round(paper.width_dots * 0.3))
    sheet.rule()
    sheet.text("住民異動・国民健康保険・児童手当", fonts.body, align="left")
    sheet.text("１番窓口へお越しください。", fonts.body, align="left")
    sheet.text("ABCDEFGHIJ abcdefghij 0123456789", fonts.small, align="left")
    sheet.text(
        f"{paper.paper_mm} mm / {paper.width_dots} dots / {regular.name}",
        fonts.small,
        align="left",
    )
    sheet.rule()
    sheet.picture(qr_image(TEST_SLIP_URL, target_width=round(paper.width_dots * 0.45)))
    sheet.text("QRコードが読めれば印字は良好です", fonts.small)
    sheet.text("QR readable by a phone = printing is OK", fonts.small)
    sheet.space(unit)
    slip = sheet.finish()
    # A frame at the very edge shows at once whether the printer clips the sides.
    ImageDraw.Draw(slip).rectangle((0, 0, slip.width - 1, slip.height - 1), outline=BLACK, width=2)
    return slip
