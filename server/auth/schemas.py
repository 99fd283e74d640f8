from pydantic import BaseModel, ConfigDict, Field

from server.models import Role


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    role: Role
    username: str
    branch: str | None


class StaffPublic(BaseModel):
    id: int
    username: str
    role: Role
    branch: str | None


class SignInMethods(BaseModel):
    oidc: bool  # single sign-on: GET /api/v1/auth/oidc/login
    local: bool  # username and password: POST /api/v1/auth/login
