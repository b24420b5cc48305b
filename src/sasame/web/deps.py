"""Request-scoped pieces every route shares: the database session, the clock, the logged-in user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from sasame.models import User
from sasame.web.security import SESSION_USER


class LoginRequired(Exception):
    """Raised by page routes when nobody is logged in; the app answers with a redirect to /login."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def db_session(request: Request) -> Iterator[Session]:
    """Open one transaction per request: committed when the route returns, rolled back on error."""
    with request.app.state.sessions() as session, session.begin():
        yield session


def now(request: Request) -> datetime:
    """Read the injected clock once for the request."""
    return request.app.state.clock()


def _logged_in_user(request: Request, session: Session) -> User | None:
    user_id = request.session.get(SESSION_USER)
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None and user_id is not None:
        # The account was removed since this cookie was issued: forget it.
        request.session.pop(SESSION_USER, None)
    return user


def page_user(request: Request) -> User:
    """Return the logged-in user of a page request, or send the browser to the login form."""
    with request.app.state.sessions() as session:
        user = _logged_in_user(request, session)
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return user


def api_user(request: Request) -> User:
    """Return the logged-in user of an API request, or answer 401."""
    with request.app.state.sessions() as session:
        user = _logged_in_user(request, session)
    if user is None:
        raise HTTPException(status_code=401, detail="not logged in")
    return user
