# ruff: noqa: E501  (sentences in eleven languages: a line each reads better than wrapped fragments)
"""The words of a booking's mails, per citizen language (Japanese first in every mail)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

WEEKDAYS_JA = "月火水木金土日"


@dataclass(frozen=True)
class MailText:
    subjects: Mapping[str, str]  # confirmed, reminder, cancelled; {branch}
    openings: Mapping[str, str]
    labels: Mapping[str, str]  # service, when, where, code, manage
    check_in: str
    when: Callable[[datetime, datetime], str]


def _ja_when(start: datetime, end: datetime) -> str:
    return f"{start.year}年{start.month}月{start.day}日({WEEKDAYS_JA[start.weekday()]}){start:%H:%M}〜{end:%H:%M}"


def _iso_when(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d (%a) %H:%M}–{end:%H:%M}"


TEXTS: dict[str, MailText] = {
    "ja": MailText(
        subjects={
            "confirmed": "【{branch}】ご予約を承りました",
            "reminder": "【{branch}】明日のご予約のお知らせ",
            "cancelled": "【{branch}】ご予約を取り消しました",
        },
        openings={
            "confirmed": "ご予約を承りました。",
            "reminder": "明日のご予約をお知らせします。",
            "cancelled": "次のご予約を取り消しました。",
        },
        labels={"service": "手続き", "when": "日時", "where": "場所", "code": "予約番号", "manage": "予約の確認・取消"},
        check_in=(
            "当日は、予約時刻の少し前に受付機の「予約のある方」で予約番号を入力するか、"
            "予約の確認ページのQRコードをかざしてください。番号札が出ます。"
        ),
        when=_ja_when,
    ),
    "ja_easy": MailText(
        subjects={
            "confirmed": "【{branch}】よやく できました",
            "reminder": "【{branch}】あしたは よやくの 日です",
            "cancelled": "【{branch}】よやくを やめました",
        },
        openings={
            "confirmed": "よやく できました。",
            "reminder": "あしたは よやくの 日です。",
            "cancelled": "この よやくを やめました。",
        },
        labels={
            "service": "てつづき",
            "when": "日(ひ)と 時間(じかん)",
            "where": "ばしょ",
            "code": "よやく ばんごう",
            "manage": "よやくを みる・やめる",
        },
        check_in=(
            "その 日は、よやくの 時間(じかん)の すこし まえに 来(き)てください。"
            "きかいの「よやくの ある 人」で よやく ばんごうを 入(い)れてください。ばんごうの 紙(かみ)が 出(で)ます。"
        ),
        when=_ja_when,
    ),
    "en": MailText(
        subjects={
            "confirmed": "[{branch}] Your booking is confirmed",
            "reminder": "[{branch}] Reminder: your booking tomorrow",
            "cancelled": "[{branch}] Your booking is cancelled",
        },
        openings={
            "confirmed": "Your booking is confirmed.",
            "reminder": "This is a reminder of your booking tomorrow.",
            "cancelled": "This booking has been cancelled.",
        },
        labels={
            "service": "Procedure",
            "when": "Date and time",
            "where": "Place",
            "code": "Booking code",
            "manage": "View or cancel",
        },
        check_in=(
            "On the day, shortly before your time, choose \u201cI have a booking\u201d at the ticket machine and type "
            "the booking code, or show the QR code of your booking page. You get a numbered ticket."
        ),
        when=_iso_when,
    ),
    "zh": MailText(
        subjects={
            "confirmed": "【{branch}】预约已受理",
            "reminder": "【{branch}】明天的预约提醒",
            "cancelled": "【{branch}】预约已取消",
        },
        openings={"confirmed": "您的预约已受理。", "reminder": "提醒您明天的预约。", "cancelled": "以下预约已取消。"},
        labels={"service": "手续", "when": "日期时间", "where": "地点", "code": "预约号码", "manage": "查看・取消预约"},
        check_in="当天请在预约时间前稍早到达，在取号机选择“已预约的人”，输入预约号码或出示预约页面的二维码，即可取得号码牌。",
        when=_iso_when,
    ),
    "zh_hant": MailText(
        subjects={
            "confirmed": "【{branch}】預約已受理",
            "reminder": "【{branch}】明天的預約提醒",
            "cancelled": "【{branch}】預約已取消",
        },
        openings={"confirmed": "您的預約已受理。", "reminder": "提醒您明天的預約。", "cancelled": "以下預約已取消。"},
        labels={"service": "手續", "when": "日期時間", "where": "地點", "code": "預約號碼", "manage": "查看・取消預約"},
        check_in="當天請在預約時間前稍早到達，在取號機選擇「已預約的人」，輸入預約號碼或出示預約頁面的QR碼，即可取得號碼牌。",
        when=_iso_when,
    ),
    "ko": MailText(
        subjects={
            "confirmed": "[{branch}] 예약이 접수되었습니다",
            "reminder": "[{branch}] 내일 예약 안내",
            "cancelled": "[{branch}] 예약이 취소되었습니다",
        },
        openings={
            "confirmed": "예약이 접수되었습니다.",
            "reminder": "내일 예약을 알려 드립니다.",
            "cancelled": "다음 예약이 취소되었습니다.",
        },
        labels={"service": "절차", "when": "일시", "where": "장소", "code": "예약 번호", "manage": "예약 확인・취소"},
        check_in="당일 예약 시간 조금 전에 발권기에서 ‘예약하신 분’을 선택하고 예약 번호를 입력하거나 예약 페이지의 QR 코드를 보여 주십시오. 번호표가 나옵니다.",
        when=_iso_when,
    ),
    "vi": MailText(
        subjects={
            "confirmed": "[{branch}] Đã nhận đặt hẹn",
            "reminder": "[{branch}] Nhắc lịch hẹn ngày mai",
            "cancelled": "[{branch}] Đã hủy lịch hẹn",
        },
        openings={
            "confirmed": "Lịch hẹn của quý vị đã được nhận.",
            "reminder": "Xin nhắc lịch hẹn của quý vị vào ngày mai.",
            "cancelled": "Lịch hẹn sau đã được hủy.",
        },
        labels={
            "service": "Thủ tục",
            "when": "Ngày giờ",
            "where": "Địa điểm",
            "code": "Mã đặt hẹn",
            "manage": "Xem・hủy lịch hẹn",
        },
        check_in="Vào ngày hẹn, đến sớm một chút, chọn “Người đã đặt hẹn” tại máy lấy số và nhập mã đặt hẹn hoặc đưa mã QR của trang đặt hẹn. Máy sẽ in phiếu số.",
        when=_iso_when,
    ),
    "pt": MailText(
        subjects={
            "confirmed": "[{branch}] Agendamento confirmado",
            "reminder": "[{branch}] Lembrete: seu agendamento amanhã",
            "cancelled": "[{branch}] Agendamento cancelado",
        },
        openings={
            "confirmed": "Seu agendamento está confirmado.",
            "reminder": "Lembramos do seu agendamento amanhã.",
            "cancelled": "Este agendamento foi cancelado.",
        },
        labels={
            "service": "Procedimento",
            "when": "Data e hora",
            "where": "Local",
            "code": "Código do agendamento",
            "manage": "Ver ou cancelar",
        },
        check_in="No dia, pouco antes do horário, escolha “Tenho agendamento” na máquina de senhas e digite o código, ou mostre o QR code da página do agendamento. Você recebe uma senha.",
        when=_iso_when,
    ),
    "tl": MailText(
        subjects={
            "confirmed": "[{branch}] Nakumpirma ang inyong appointment",
            "reminder": "[{branch}] Paalala: appointment bukas",
            "cancelled": "[{branch}] Kinansela ang appointment",
        },
        openings={
            "confirmed": "Nakumpirma ang inyong appointment.",
            "reminder": "Paalala po ito ng inyong appointment bukas.",
            "cancelled": "Kinansela na ang appointment na ito.",
        },
        labels={
            "service": "Proseso",
            "when": "Petsa at oras",
            "where": "Lugar",
            "code": "Code ng appointment",
            "manage": "Tingnan o kanselahin",
        },
        check_in="Sa araw na iyon, bago ang oras ninyo, piliin ang “May appointment ako” sa ticket machine at i-type ang code, o ipakita ang QR code ng inyong appointment page. Makakakuha kayo ng numero.",
        when=_iso_when,
    ),
    "id": MailText(
        subjects={
            "confirmed": "[{branch}] Janji temu Anda diterima",
            "reminder": "[{branch}] Pengingat janji temu besok",
            "cancelled": "[{branch}] Janji temu dibatalkan",
        },
        openings={
            "confirmed": "Janji temu Anda telah diterima.",
            "reminder": "Kami mengingatkan janji temu Anda besok.",
            "cancelled": "Janji temu ini telah dibatalkan.",
        },
        labels={
            "service": "Prosedur",
            "when": "Tanggal dan jam",
            "where": "Tempat",
            "code": "Kode janji temu",
            "manage": "Lihat atau batalkan",
        },
        check_in="Pada hari itu, sedikit sebelum jam Anda, pilih “Saya punya janji temu” di mesin tiket lalu ketik kodenya, atau tunjukkan kode QR halaman janji temu Anda. Anda akan mendapat nomor antrean.",
        when=_iso_when,
    ),
    "ne": MailText(
        subjects={
            "confirmed": "[{branch}] तपाईंको बुकिङ पक्का भयो",
            "reminder": "[{branch}] भोलिको बुकिङको सम्झना",
            "cancelled": "[{branch}] बुकिङ रद्द भयो",
        },
        openings={
            "confirmed": "तपाईंको बुकिङ पक्का भयो।",
            "reminder": "भोलि तपाईंको बुकिङ छ भनी सम्झाउँछौं।",
            "cancelled": "यो बुकिङ रद्द गरिएको छ।",
        },
        labels={
            "service": "प्रक्रिया",
            "when": "मिति र समय",
            "where": "ठाउँ",
            "code": "बुकिङ कोड",
            "manage": "हेर्नुहोस् वा रद्द गर्नुहोस्",
        },
        check_in="त्यस दिन आफ्नो समयभन्दा अलि अगाडि टिकट मेसिनमा “बुकिङ भएका व्यक्ति” छान्नुहोस् र कोड टाइप गर्नुहोस्, वा बुकिङ पेजको QR कोड देखाउनुहोस्। तपाईंले नम्बर टिकट पाउनुहुन्छ।",
        when=_iso_when,
    ),
}


def mail_text(language: str) -> MailText:
    """The mail's words in `language`; Japanese for a language without them (the mail is
    Japanese first anyway, so nothing is silently English)."""
    return TEXTS.get(language) or TEXTS["ja"]
