"""The interactive API documentation at /docs, served from the package itself.

FastAPI's default page loads Swagger UI from a public CDN and starts it with an inline script: on
a city hall's closed network it stays blank. Here the scripts come from the files the
`fastapi-offline` package ships (Swagger UI 5: OpenAPI 3.1) and our own start-up file, so the
page also keeps the same-origin content policy of every other page.
"""

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
SWAGGER_UI_FILES = Path(str(files("fastapi_offline") / "static"))
START_SCRIPT = Path(__file__).resolve().parent / "static" / "api-docs.js"

PAGE = f"""<!doctype html>
<html lang="ja">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>窓口 Madoguchi API</title>
  <link rel="icon" type="image/png" href="{ASSETS_PATH}/favicon.png">
  <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="/openapi.json"></div>
  <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="{DOCS_PATH}/start.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Call with FastAPI's own docs_url and redoc_url set to None (ReDoc has no offline bundle)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=SWAGGER_UI_FILES), name="api-docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(PAGE)

    @app.get(f"{DOCS_PATH}/start.js", include_in_schema=False)
    def api_docs_start() -> Response:
        return Response(START_SCRIPT.read_text(encoding="utf-8"), media_type="text/javascript")
