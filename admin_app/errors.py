"""Error pages in the page's language, in the back-office layout: Werkzeug's own pages are English only
("403 Forbidden", "The CSRF token is missing."), which a Vietnamese official must not meet."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

# status: (title, what to do) — the codes a user of the back office can meet
PAGES = {
    400: (_l("The request is not valid"), _l("Go back, reload the page and try again.")),
    403: (_l("Access refused"), _l("Your account may not open this page or do this action. Sign in with another "
                                   "account, or ask an administrator.")),
    404: (_l("Page not found"), _l("The address is wrong or the record no longer exists. Go back to the home page.")),
    405: (_l("The request is not valid"), _l("Go back, reload the page and try again.")),
    429: (_l("Too many attempts"), _l("Wait a minute before trying again.")),
}
CSRF_HINT = _l("The form has expired or lacks its security token. Reload the page and send the form again.")


def error_page(error: HTTPException) -> Any:
    """The error's page: a short title and what to do, in the page's language, within the back-office layout."""
    code = error.code or 500
    title, hint = PAGES.get(code, (_l("The request is not valid"), _l("Go back, reload the page and try again.")))
    if isinstance(error, CSRFError):
        hint = CSRF_HINT
    admin = current_app.extensions["admin"][0]
    # rendered through the home view so the layout (menu, language switch, user menu) is the back office's own
    page = admin.index_view.render("spcncl/error.html", code=code, title=str(title), hint=str(hint))
    response = current_app.make_response((page, code))
    if code == 429 and error.get_headers():  # keep Retry-After and the like
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers.setdefault(name, value)
    return response


def init_app(app: Flask) -> None:
    """Our pages for the HTTP errors of PAGES (and CSRF refusals)."""
    for code in PAGES:
        app.register_error_handler(code, error_page)
    app.register_error_handler(CSRFError, error_page)
