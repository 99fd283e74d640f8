"""The page a browser sees when single sign-on cannot sign the person in (Japanese first)."""

from html import escape

from fastapi.responses import HTMLResponse

from server.errors import DomainError
from server.security import PAGE_POLICY

# code → (heading in Japanese, in English, what to do in Japanese, in English)
_ADVICE = {
    "no_role": (
        "窓口システムを使う権限がありません",
        "No access to Madoguchi",
        "組織のアカウントでの本人確認はできましたが、窓口システムの役割（職員・受託者・管理者）が"
        "割り当てられていません。庁内のアカウント管理者（情報システム担当）に、役割の割り当てを依頼してください。",
        "You were identified, but your account has no Madoguchi role (municipal staff, contractor or admin)."
        " Ask your IT department's account administrator to assign one.",
    ),
    "no_branch": (
        "利用できる庁舎がありません",
        "No branch assigned",
        "組織のアカウントに、この窓口システムの庁舎が割り当てられていません。"
        "庁内のアカウント管理者（情報システム担当）に、庁舎の割り当てを依頼してください。",
        "Your account names no branch of this server. Ask your IT department's account administrator to assign one.",
    ),
}
_DEFAULT = (
    "サインインできませんでした",
    "Sign-in failed",
    "もう一度サインインしてください。続く場合は、システム管理者にお問い合わせください。",
    "Sign in again. If this keeps happening, ask your system administrator.",
)


def error_page(error: DomainError, *, back: str | None) -> str:
    heading_ja, heading_en, advice_ja, advice_en = _ADVICE.get(error.code, _DEFAULT)
    link = escape(back or "/staff")
    # The advice above already says what a known refusal's message would; others show theirs.
    detail = escape(error.code) if error.code in _ADVICE else f"{escape(error.message)}({escape(error.code)})"
    return f"""<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(heading_ja)} - Madoguchi</title>
<link rel="stylesheet" href="/consoles/static/common/console.css">
</head>
<body>
<main class="card signin sso-refused" data-code="{escape(error.code)}">
<h1><span lang="ja">{escape(heading_ja)}</span> <span class="en" lang="en">{escape(heading_en)}</span></h1>
<p lang="ja">{escape(advice_ja)}</p>
<p class="en" lang="en">{escape(advice_en)}</p>
<p class="detail"><small>{detail}</small></p>
<p><a href="{link}"><span lang="ja">サインイン画面に戻る</span>
<span class="en" lang="en">Back to sign-in</span></a></p>
</main>
</body>
</html>
"""


def error_response(error: DomainError, *, back: str | None) -> HTMLResponse:
    # Under /api/ every answer gets a policy that loads nothing; this page may load our stylesheet.
    return HTMLResponse(
        error_page(error, back=back), status_code=error.status_code, headers={"Content-Security-Policy": PAGE_POLICY}
    )
