from pydantic import BaseModel, ConfigDict, Field

# One request is one part of a screen (a heading and its question, a summary's half …); the
# kiosk splits longer screens. Short enough that one request never occupies a speech process
# for long, since the lobby's calls share those processes.
MAX_SPEECH_CHARACTERS = 400


class SpeechRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: str = Field(
        max_length=16, description="A citizen language: ja, ja_easy, en, zh, zh_hant, ko, vi, pt, tl, id, ne."
    )
    text: str = Field(
        description=(
            "What to say. やさしい日本語 may carry ruby {漢字|かんじ} (the reading is spoken); "
            "{#A012} is a ticket number, said as the lobby's calls say it."
        )
    )


class SpeechLanguages(BaseModel):
    languages: dict[str, bool] = Field(description="Each citizen language, and whether it has a voice here.")
    max_characters: int
