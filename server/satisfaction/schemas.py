from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Reason(StrEnum):
    """The fixed reasons a citizen may give; codes are stable, labels are for display."""

    long_wait = "long_wait"
    unclear_explanation = "unclear_explanation"
    moved_many_times = "moved_many_times"
    staff_manner = "staff_manner"
    other = "other"


REASON_LABELS: dict[Reason, tuple[str, str]] = {
    Reason.long_wait: ("待ち時間が長い", "The wait was long"),
    Reason.unclear_explanation: ("説明がわかりにくい", "The explanation was hard to follow"),
    Reason.moved_many_times: ("何度も移動した", "I had to move between counters many times"),
    Reason.staff_manner: ("職員の対応", "How the staff treated me"),
    Reason.other: ("その他", "Other"),
}

# The same reasons in the other kiosk languages (やさしい日本語 with {漢字|かんじ} ruby).
REASON_TRANSLATIONS: dict[Reason, dict[str, str]] = {
    Reason.long_wait: {
        "ja_easy": "{待|ま}つ {時間|じかん}が {長|なが}かった",
        "zh": "等候时间太长",
        "zh_hant": "等候時間太長",
        "ko": "대기 시간이 길었습니다",
        "vi": "Thời gian chờ lâu",
        "pt": "A espera foi longa",
        "tl": "Matagal ang paghihintay",
        "id": "Waktu tunggu lama",
        "ne": "पर्खाइ लामो भयो",
    },
    Reason.unclear_explanation: {
        "ja_easy": "{説明|せつめい}が わかりにくかった",
        "zh": "说明不易理解",
        "zh_hant": "說明不易理解",
        "ko": "설명이 이해하기 어려웠습니다",
        "vi": "Giải thích khó hiểu",
        "pt": "A explicação foi difícil de entender",
        "tl": "Mahirap intindihin ang paliwanag",
        "id": "Penjelasannya sulit dipahami",
        "ne": "व्याख्या बुझ्न गाह्रो भयो",
    },
    Reason.moved_many_times: {
        "ja_easy": "{何回|なんかい}も {窓口|まどぐち}を {移動|いどう}した",
        "zh": "多次在窗口之间来回",
        "zh_hant": "多次在窗口之間來回",
        "ko": "여러 번 창구를 옮겨 다녔습니다",
        "vi": "Phải chuyển quầy nhiều lần",
        "pt": "Tive de mudar de guichê muitas vezes",
        "tl": "Maraming beses akong lumipat ng counter",
        "id": "Harus pindah loket berkali-kali",
        "ne": "धेरै पटक काउन्टर सर्नुपर्‍यो",
    },
    Reason.staff_manner: {
        "ja_easy": "{職員|しょくいん}の {対応|たいおう}",
        "zh": "工作人员的态度",
        "zh_hant": "工作人員的態度",
        "ko": "직원의 응대",
        "vi": "Thái độ của nhân viên",
        "pt": "O atendimento dos funcionários",
        "tl": "Ang pakikitungo ng kawani",
        "id": "Sikap petugas",
        "ne": "कर्मचारीको व्यवहार",
    },
    Reason.other: {
        "ja_easy": "そのほか",
        "zh": "其他",
        "zh_hant": "其他",
        "ko": "기타",
        "vi": "Khác",
        "pt": "Outro",
        "tl": "Iba pa",
        "id": "Lainnya",
        "ne": "अन्य",
    },
}

Score = Annotated[int, Field(ge=1, le=5, strict=True)]


class SatisfactionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: Score
    reason: Reason | None = None


class ReasonOption(BaseModel):
    code: Reason
    label: str
    label_en: str
    # In every kiosk language, by code (ja, ja_easy, en, zh …).
    labels: dict[str, str]


class SatisfactionQuestion(BaseModel):
    """What the status page needs: whether to ask, and the reasons to offer."""

    ask: bool
    answered: bool
    reasons: list[ReasonOption]


class SatisfactionRecorded(BaseModel):
    score: int
    reason: Reason | None
