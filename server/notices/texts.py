"""The notice mails' words, in every language a citizen can pick at the kiosk. Numbers and the
window only: never a procedure, a name or anything the holder typed."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NoticeText:
    near_subject: str
    near_body: str  # {number}, {ahead}, {window}
    called_subject: str
    called_body: str  # {number}, {window}
    footer: str
    window: str  # {counters}: "7", "1–5", "7・8"
    any_window: str  # when no window is named yet


TEXTS: dict[str, NoticeText] = {
    "ja": NoticeText(
        "【まもなく】番号 {number}",
        "番号 {number} の順番が近づきました(前にお待ちの方: {ahead}人)。\n{window}の近くでお待ちください。",
        "【お呼び出し】番号 {number}",
        "番号 {number} をお呼びしています。{window}へお越しください。",
        "このメールは番号札の状況ページでお知らせを申し込まれた方にお送りしています。"
        "メールアドレスは手続きが終わると削除します。返信はできません。",
        "{counters}番窓口",
        "窓口",
    ),
    "ja_easy": NoticeText(
        "もうすぐ よばれます  ばんごう {number}",
        "ばんごう {number} の じゅんばんが ちかく なりました(まえに いる ひと: {ahead}にん)。\n"
        "{window}の ちかくで まって ください。",
        "よばれました  ばんごう {number}",
        "ばんごう {number} の ひとを よんで います。{window}に きて ください。",
        "この メールには へんじが できません。メールアドレスは てつづきが おわったら けします。",
        "{counters}ばん まどぐち",
        "まどぐち",
    ),
    "en": NoticeText(
        "Almost your turn: number {number}",
        "Number {number}: your turn is near (people ahead of you: {ahead}).\nPlease wait near {window}.",
        "Now calling number {number}",
        "Number {number} is being called. Please come to {window}.",
        "You asked for this notice on your ticket's status page. Your e-mail address is deleted "
        "when your visit ends. Replies are not read.",
        "window {counters}",
        "the counter",
    ),
    "zh": NoticeText(
        "即将轮到您：号码 {number}",
        "号码 {number} 即将轮到您（前面等候人数：{ahead}）。\n请在{window}附近等候。",
        "正在呼叫号码 {number}",
        "正在呼叫号码 {number}。请到{window}办理。",
        "您在号码牌状态页面申请了此通知。办理结束后，您的电子邮件地址将被删除。请勿回复此邮件。",
        "{counters}号窗口",
        "窗口",
    ),
    "zh_hant": NoticeText(
        "即將輪到您：號碼 {number}",
        "號碼 {number} 即將輪到您（前面等候人數：{ahead}）。\n請在{window}附近等候。",
        "正在呼叫號碼 {number}",
        "正在呼叫號碼 {number}。請到{window}辦理。",
        "您在號碼牌狀態頁面申請了此通知。辦理結束後，您的電子郵件地址將被刪除。請勿回覆此郵件。",
        "{counters}號窗口",
        "窗口",
    ),
    "ko": NoticeText(
        "곧 차례입니다: 번호 {number}",
        "번호 {number}의 차례가 가까워졌습니다(앞에서 기다리는 사람: {ahead}명).\n{window} 근처에서 기다려 주십시오.",
        "번호 {number}을(를) 호출하고 있습니다",
        "번호 {number}을(를) 호출하고 있습니다. {window}(으)로 와 주십시오.",
        "번호표 상태 페이지에서 신청하신 알림입니다. 이메일 주소는 용무가 끝나면 삭제됩니다. 회신하실 수 없습니다.",
        "{counters}번 창구",
        "창구",
    ),
    "vi": NoticeText(
        "Sắp đến lượt: số {number}",
        "Số {number} sắp đến lượt (số người trước bạn: {ahead}).\nVui lòng chờ gần {window}.",
        "Đang gọi số {number}",
        "Đang gọi số {number}. Vui lòng đến {window}.",
        "Bạn đã đăng ký thông báo này trên trang trạng thái của phiếu số. Địa chỉ e-mail sẽ bị xóa "
        "khi thủ tục kết thúc. Vui lòng không trả lời thư này.",
        "quầy số {counters}",
        "quầy",
    ),
    "pt": NoticeText(
        "Sua vez está chegando: número {number}",
        "Número {number}: sua vez está chegando (pessoas na sua frente: {ahead}).\nAguarde perto de {window}.",
        "Chamando o número {number}",
        "O número {number} está sendo chamado. Dirija-se a {window}.",
        "Você pediu este aviso na página de status da sua senha. Seu e-mail será apagado quando o "
        "atendimento terminar. Não responda a esta mensagem.",
        "guichê {counters}",
        "o guichê",
    ),
    "tl": NoticeText(
        "Malapit na ang iyong turno: numero {number}",
        "Numero {number}: malapit na ang iyong turno (mga tao bago ka: {ahead}).\nMaghintay malapit sa {window}.",
        "Tinatawag ang numero {number}",
        "Tinatawag na ang numero {number}. Pumunta po sa {window}.",
        "Hiniling mo ang abisong ito sa status page ng iyong tiket. Buburahin ang iyong e-mail kapag "
        "tapos na ang iyong transaksyon. Huwag sumagot sa e-mail na ito.",
        "window {counters}",
        "ang window",
    ),
    "id": NoticeText(
        "Sebentar lagi giliran Anda: nomor {number}",
        "Nomor {number}: giliran Anda sudah dekat (orang di depan Anda: {ahead}).\nSilakan menunggu di dekat {window}.",
        "Memanggil nomor {number}",
        "Nomor {number} sedang dipanggil. Silakan datang ke {window}.",
        "Anda meminta pemberitahuan ini di halaman status tiket. Alamat e-mail Anda dihapus setelah "
        "urusan Anda selesai. Jangan membalas e-mail ini.",
        "loket {counters}",
        "loket",
    ),
    "ne": NoticeText(
        "तपाईंको पालो नजिकै छ: नम्बर {number}",
        "नम्बर {number}: तपाईंको पालो नजिकै छ (तपाईंभन्दा अगाडि: {ahead} जना)।\nकृपया {window} नजिकै पर्खनुहोस्।",
        "नम्बर {number} बोलाइँदैछ",
        "नम्बर {number} बोलाइँदैछ। कृपया {window} मा आउनुहोस्।",
        "तपाईंले टिकटको स्थिति पृष्ठमा यो सूचना माग्नुभएको थियो। काम सकिएपछि तपाईंको इमेल ठेगाना मेटाइन्छ। यो इमेलमा जवाफ नदिनुहोस्।",
        "झ्याल नं. {counters}",
        "झ्याल",
    ),
}


def window_text(language: str, counters: str | None) -> str:
    """Where to go, in words: 「1〜5番窓口」, "window 7"."""
    text = TEXTS[language]
    if not counters:
        return text.any_window
    if language in ("ja", "ja_easy"):
        counters = counters.replace("–", "〜")  # a Japanese range
    return text.window.format(counters=counters)


def notice_mail(kind: str, language: str, *, number: str, ahead: int, counters: str | None) -> tuple[str, str]:
    """Subject and body of a `near` or `called` notice: Japanese, then the ticket's language."""
    subject = ""
    parts: list[str] = []
    for code in dict.fromkeys(("ja", language if language in TEXTS else "en")):
        text = TEXTS[code]
        fields = {"number": number, "ahead": ahead, "window": window_text(code, counters)}
        near = kind == "near"
        subject = subject or (text.near_subject if near else text.called_subject).format(**fields)
        parts.append((text.near_body if near else text.called_body).format(**fields) + "\n\n" + text.footer)
    return subject, "\n\n――――\n\n".join(parts)
