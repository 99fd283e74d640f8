from pydantic import BaseModel, Field


class NoticeRequest(BaseModel):
    email: str = Field(max_length=320)


class NoticeRegistered(BaseModel):
    # Masked: the page shows where the notice goes without the address travelling back in full.
    email: str
    notify_ahead: int
