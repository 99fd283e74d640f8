"""Finding a font that really has Japanese glyphs.

python-escpos cannot encode kanji, so every ticket is a raster image and the font decides
whether the citizen gets a readable slip or a row of boxes (tofu). We would rather refuse to
print than hand someone a ticket they cannot read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_ENV_VAR = "MADOGUCHI_FONT"
DEBIAN_FONT_PACKAGE = "fonts-noto-cjk"

# Regular first: the Debian package ships both; fonts-noto-cjk-extra adds more weights.
DEBIAN_REGULAR_PATHS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKjp-Regular.otf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc"),
)
DEBIAN_BOLD_PATHS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Black.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJKjp-Bold.otf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc"),
)

# Glyphs every ticket needs; a font that lacks any of them would print tofu.
_PROBE_TEXT = "番号窓口待ち分"
# A private-use code point no font draws, so it shows what this font's "missing glyph" looks like.
_MISSING_GLYPH = "\U0010fffd"
# .ttc collections hold many faces; never scan forever on a broken file.
_MAX_FACES = 32


class FontMissingError(RuntimeError):
    """No font with Japanese glyphs could be found."""


@dataclass(frozen=True)
class FontFace:
    path: Path
    index: int = 0

    def sized(self, size: int) -> ImageFont.FreeTypeFont:
        return _load(str(self.path), self.index, size)

    @property
    def name(self) -> str:
        family, style = self.sized(12).getname()
        return f"{family} {style}".strip()


@cache
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=size, index=index)


def _faces(path: Path) -> list[tuple[int, str]]:
    faces: list[tuple[int, str]] = []
    for index in range(_MAX_FACES):
        try:
            family, _ = ImageFont.truetype(str(path), size=12, index=index).getname()
        except OSError:
            break
        faces.append((index, family or ""))
    return faces


def _japanese_face_index(path: Path) -> int:
    faces = _faces(path)
    if not faces:
        raise OSError(f"{path} is not a font Pillow can read")
    # Noto CJK collections put KR/SC/TC/HK next to JP; those draw kanji with the wrong
    # regional shapes, and the Mono variant is too narrow for a ticket.
    for index, family in faces:
        if family.endswith(" JP") and "Mono" not in family:
            return index
    for index, family in faces:
        if "JP" in family or "Japanese" in family:
            return index
    return faces[0][0]


def _glyph_bitmap(font: ImageFont.FreeTypeFont, char: str) -> Image.Image:
    canvas = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(canvas).text((8, 8), char, font=font, fill=255)
    return canvas


def has_japanese_glyphs(face: FontFace) -> bool:
    font = face.sized(32)
    missing = _glyph_bitmap(font, _MISSING_GLYPH).tobytes()
    for char in _PROBE_TEXT:
        glyph = _glyph_bitmap(font, char)
        if glyph.getbbox() is None or glyph.tobytes() == missing:
            return False
    return True


def _usable(path: Path, index: int | None = None) -> FontFace | None:
    if not path.is_file():
        return None
    try:
        face = FontFace(path, _japanese_face_index(path) if index is None else index)
        return face if has_japanese_glyphs(face) else None
    except OSError:
        return None


def _from_fontconfig(pattern: str) -> FontFace | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        completed = subprocess.run(
            [fc_match, "-f", "%{file}\n%{index}", pattern],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    file_line, _, index_line = completed.stdout.partition("\n")
    if completed.returncode != 0 or not file_line:
        return None
    index = int(index_line) if index_line.strip().isdigit() else None
    # fc-match always answers with *some* font (DejaVu when no CJK font is installed), so
    # the glyph check in _usable is what actually decides.
    return _usable(Path(file_line), index)


def _missing_font_error(reason: str) -> FontMissingError:
    return FontMissingError(
        f"{reason} Tickets are printed as images and need a Japanese font. "
        f"Install one with `sudo apt install {DEBIAN_FONT_PACKAGE}`, "
        f"or set {FONT_ENV_VAR} to a .ttc/.otf/.ttf file that contains Japanese glyphs."
    )


def find_japanese_font(*, bold: bool = False) -> FontFace:
    """The Japanese face to render with: $MADOGUCHI_FONT, then Debian paths, then fontconfig.

    An explicit MADOGUCHI_FONT that is wrong is an error rather than a silent fallback, so an
    operator's choice of font is never quietly ignored.
    """
    configured = os.environ.get(FONT_ENV_VAR, "").strip()
    if configured:
        face = _usable(Path(configured).expanduser())
        if face is None:
            raise _missing_font_error(f"{FONT_ENV_VAR}={configured!r} is not a readable font with Japanese glyphs.")
        return face
    candidates = (*DEBIAN_BOLD_PATHS, *DEBIAN_REGULAR_PATHS) if bold else DEBIAN_REGULAR_PATHS
    for path in candidates:
        face = _usable(path)
        if face is not None:
            return face
    pattern = "Noto Sans CJK JP:bold" if bold else "Noto Sans CJK JP"
    face = _from_fontconfig(pattern)
    if face is not None:
        return face
    raise _missing_font_error("No Japanese font was found on this computer.")


# Scripts Noto Sans CJK does not cover, for slips in those languages (Debian: fonts-noto-core).
SCRIPT_FONT_PATHS: dict[str, tuple[tuple[Path, ...], tuple[Path, ...]]] = {
    "devanagari": (
        (Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf"),),
        (Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Bold.ttf"),),
    ),
}


def find_script_font(script: str, *, bold: bool = False) -> FontFace | None:
    """A face for a script the Japanese font lacks (Devanagari), or None when not installed."""
    regular, bolds = SCRIPT_FONT_PATHS[script]
    for path in (*bolds, *regular) if bold else regular:
        if path.is_file():
            return FontFace(path)
    return None
