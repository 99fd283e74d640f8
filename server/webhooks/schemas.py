"""Request and response shapes of the webhook admin API."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

KeyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,80}$")]
# A secret the receiver holds too: long enough to resist guessing, printable for a settings file.
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200, pattern=r"^[\x21-\x7e]+$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


def url_text(url: AnyHttpUrl | None) -> str | None:
    return None if url is None else str(url)


class ReceiverCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    url: AnyHttpUrl = Field(description="http:// or https:// address the deliveries are POSTed to")
    include_answers: bool = Field(False, description="Also send the visit's answers (personal data)")
    key_id: KeyId | None = Field(None, description="Name of the first key (default: the date)")
    secret: Secret | None = Field(None, description="The first key's secret (default: a random one, shown once)")


class ReceiverUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    url: AnyHttpUrl | None = None
    enabled: bool | None = None
    include_answers: bool | None = None
    signing_key_id: KeyId | None = Field(None, description="Sign with this key from now on")

    def changes(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.model_fields_set if getattr(self, name) is not None}
        if "url" in values:
            values["url"] = url_text(values["url"])
        return values


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key_id: KeyId | None = None
    secret: Secret | None = None


class KeyView(BaseModel):
    key_id: str
    created_at: datetime
    signing: bool


class ReceiverView(BaseModel):
    id: int
    name: str
    url: str
    branch: str | None = Field(description="null: every branch (the receiver from MADOGUCHI_WEBHOOK_URL)")
    enabled: bool
    include_answers: bool
    from_settings: bool
    signing_key_id: str
    keys: list[KeyView]
    pending: int
    dead: int
    last_delivered_at: datetime | None
    last_error: str | None


class KeyCreated(BaseModel):
    """The secret is shown this once: give it to the receiving system."""

    key_id: str
    secret: str


class ReceiverCreated(BaseModel):
    receiver: ReceiverView
    key: KeyCreated


class DeadLetter(BaseModel):
    delivery_id: str
    receiver_id: int | None
    receiver: str | None
    type: str
    number: str | None
    attempts: int
    last_error: str | None
    created_at: datetime


class Resent(BaseModel):
    delivery_id: str
    status: str
