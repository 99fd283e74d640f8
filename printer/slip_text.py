"""The slip's own words in every kiosk language (the route's names come with the ticket).

A Japanese ticket prints as it always has: Japanese first, a line of English. A ticket issued
in another language prints its figures, route and notices in that language, each step with its
Japanese name in small type beneath, for the counter staff.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SlipText:
    issued: str  # 「受付 {time}」
    people_ahead: str
    people: str  # "{count}"
    wait: str
    wait_range: str  # "{low}", "{high}"
    wait_within: str
    wait_soon: str
    route: str
    window: str  # "{counter}"
    window_unknown: str
    windows_join: str  # what joins 7・8
    back_office: str
    back_office_what: str
    qr_caption: str
    notice: str
    separator: str = ", "
    # More than one window ("1–5", "7・8"), where the language says so: "Counters 1–5".
    windows: str | None = None


SLIP_TEXTS: dict[str, SlipText] = {
    "ja_easy": SlipText(
        issued="うけつけ {time}",
        people_ahead="まえに まつ ひと",
        people="{count}にん",
        wait="まつ じかん",
        wait_range="{low}〜{high}ぷん ぐらい",
        wait_within="{high}ぷん より みじかい",
        wait_soon="もうすぐ",
        route="いく まどぐち",
        window="{counter}ばん まどぐち",
        window_unknown="まどぐち",
        windows_join="・",
        back_office="しょるいの じゅんび",
        back_office_what="まっている あいだに しょくいんが します",
        qr_caption="スマートフォンで よむと、じゅんばんが わかります",
        notice="ばんごうを よびます。おわるまで この かみを もっていて ください。",
        separator="・",
    ),
    "en": SlipText(
        issued="Issued {time}",
        people_ahead="People ahead",
        people="{count}",
        wait="Estimated wait",
        wait_range="about {low}–{high} min",
        wait_within="within about {high} min",
        wait_soon="soon",
        route="Your route",
        window="Counter {counter}",
        windows="Counters {counter}",
        window_unknown="Counter",
        windows_join=", ",
        back_office="Preparing your documents",
        back_office_what="Staff do this while you wait",
        qr_caption="Scan to see your place in the queue",
        notice="We call numbers on the screen and by voice. Keep this ticket until all procedures are finished.",
    ),
    "zh": SlipText(
        issued="取号 {time}",
        people_ahead="前面等候人数",
        people="{count}人",
        wait="预计等候时间",
        wait_range="约{low}–{high}分钟",
        wait_within="约{high}分钟以内",
        wait_soon="即将叫号",
        route="办理顺序",
        window="{counter}号窗口",
        window_unknown="窗口",
        windows_join="・",
        back_office="准备文件",
        back_office_what="您等候期间由工作人员办理",
        qr_caption="用手机扫描,可查看叫号进度",
        notice="将在画面和广播中按号码叫号。手续全部办完之前,请保管好本号码牌。",
        separator="、",
    ),
    "zh_hant": SlipText(
        issued="取號 {time}",
        people_ahead="前面等候人數",
        people="{count}人",
        wait="預計等候時間",
        wait_range="約{low}–{high}分鐘",
        wait_within="約{high}分鐘以內",
        wait_soon="即將叫號",
        route="辦理順序",
        window="{counter}號窗口",
        window_unknown="窗口",
        windows_join="・",
        back_office="準備文件",
        back_office_what="您等候期間由工作人員辦理",
        qr_caption="用手機掃描,可查看叫號進度",
        notice="將在畫面和廣播中依號碼叫號。手續全部辦完之前,請妥善保管本號碼牌。",
        separator="、",
    ),
    "ko": SlipText(
        issued="접수 {time}",
        people_ahead="앞의 대기 인원",
        people="{count}명",
        wait="예상 대기 시간",
        wait_range="약 {low}–{high}분",
        wait_within="약 {high}분 이내",
        wait_soon="곧 호출",
        route="방문 순서",
        window="{counter}번 창구",
        window_unknown="창구",
        windows_join="・",
        back_office="서류 준비",
        back_office_what="기다리시는 동안 직원이 처리합니다",
        qr_caption="휴대폰으로 스캔하면 순서를 확인할 수 있습니다",
        notice="화면과 음성으로 번호를 호출합니다. 모든 수속이 끝날 때까지 번호표를 가지고 계십시오.",
    ),
    "vi": SlipText(
        issued="Lấy số {time}",
        people_ahead="Số người phía trước",
        people="{count}",
        wait="Thời gian chờ dự kiến",
        wait_range="khoảng {low}–{high} phút",
        wait_within="trong khoảng {high} phút",
        wait_soon="sắp đến lượt",
        route="Thứ tự các quầy",
        window="Quầy {counter}",
        window_unknown="Quầy",
        windows_join=", ",
        back_office="Chuẩn bị giấy tờ",
        back_office_what="Nhân viên làm trong lúc quý vị chờ",
        qr_caption="Quét bằng điện thoại để xem lượt của quý vị",
        notice="Số sẽ được gọi trên màn hình và bằng loa. Vui lòng giữ phiếu này cho đến khi xong mọi thủ tục.",
    ),
    "pt": SlipText(
        issued="Emitida {time}",
        people_ahead="Pessoas à sua frente",
        people="{count}",
        wait="Espera estimada",
        wait_range="cerca de {low}–{high} min",
        wait_within="até cerca de {high} min",
        wait_soon="em breve",
        route="Seu roteiro",
        window="Guichê {counter}",
        windows="Guichês {counter}",
        window_unknown="Guichê",
        windows_join=", ",
        back_office="Preparação dos documentos",
        back_office_what="Os funcionários fazem isso enquanto você espera",
        qr_caption="Leia com o celular para acompanhar sua vez",
        notice="Chamamos os números na tela e por voz. Guarde esta senha até terminar todos os trâmites.",
    ),
    "tl": SlipText(
        issued="Kinuha {time}",
        people_ahead="Nauuna sa inyo",
        people="{count}",
        wait="Tantiyang paghihintay",
        wait_range="mga {low}–{high} minuto",
        wait_within="sa loob ng mga {high} minuto",
        wait_soon="malapit na",
        route="Saan pupunta",
        window="Counter {counter}",
        windows="Mga counter {counter}",
        window_unknown="Counter",
        windows_join=", ",
        back_office="Paghahanda ng mga dokumento",
        back_office_what="Gagawin ito ng kawani habang naghihintay kayo",
        qr_caption="I-scan gamit ang telepono para makita ang inyong turno",
        notice=(
            "Tinatawag ang mga numero sa screen at sa boses. "
            "Itago ang tiket na ito hanggang matapos ang lahat ng proseso."
        ),
    ),
    "id": SlipText(
        issued="Diambil {time}",
        people_ahead="Antrean di depan Anda",
        people="{count}",
        wait="Perkiraan waktu tunggu",
        wait_range="sekitar {low}–{high} menit",
        wait_within="dalam sekitar {high} menit",
        wait_soon="segera",
        route="Urutan loket",
        window="Loket {counter}",
        window_unknown="Loket",
        windows_join=", ",
        back_office="Penyiapan dokumen",
        back_office_what="Petugas mengerjakannya selama Anda menunggu",
        qr_caption="Pindai dengan ponsel untuk melihat giliran Anda",
        notice="Nomor dipanggil di layar dan dengan suara. Simpan tiket ini sampai semua prosedur selesai.",
    ),
    # Nepali prints in a Devanagari font, which has digits and punctuation but no Latin letters.
    "ne": SlipText(
        issued="टोकन लिएको {time}",
        people_ahead="अगाडि पर्खने",
        people="{count} जना",
        wait="पर्खाइको अनुमानित समय",
        wait_range="करिब {low}–{high} मिनेट",
        wait_within="करिब {high} मिनेटभित्र",
        wait_soon="छिट्टै",
        route="जानुपर्ने क्रम",
        window="काउन्टर {counter}",
        window_unknown="काउन्टर",
        windows_join=", ",
        back_office="कागजात तयारी",
        back_office_what="तपाईं पर्खंदा कर्मचारीले गर्नुहुन्छ",
        qr_caption="आफ्नो पालो हेर्न फोनले स्क्यान गर्नुहोस्",
        notice="नम्बर स्क्रिन र आवाजमा बोलाइन्छ। सबै काम नसकिउन्जेल यो टोकन राख्नुहोस्।",
    ),
}

# Printed in a font of their own (Noto Sans CJK has no Devanagari).
SCRIPT_FONTS = {"ne": "devanagari"}

RUBY = re.compile(r"\{([^{}|]+)\|([^{}|]+)\}")
# A Japanese term in brackets after a translated name: 「Khai sinh (出生届)」. The slip prints the
# Japanese name beneath each step, so the bracket is left out there (and a Devanagari font has
# no kanji to print it with).
_JAPANESE_IN_BRACKETS = re.compile(r"\s*[(（][^()（）]*[\u3040-\u30ff\u3400-\u9fff][^()（）]*[)）]")


def slip_text(language: str | None) -> SlipText | None:
    """The slip's words for a ticket's language; None for Japanese (the slip as it always was)."""
    if not language or language == "ja":
        return None
    return SLIP_TEXTS.get(language, SLIP_TEXTS["en"])


def paper_label(text: str, *, keep_japanese: bool = False) -> str:
    """A name as paper shows it: ruby as 漢字(かんじ), a bracketed Japanese term left out."""
    if not keep_japanese:
        text = _JAPANESE_IN_BRACKETS.sub("", text)
    return RUBY.sub(lambda match: f"{match[1]}({match[2]})", text)
