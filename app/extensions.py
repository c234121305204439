"""Extension objects, created once and bound to the app in ``create_app``."""

from flask import session
from flask_babel import Babel
from flask_caching import Cache
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.models.base import Base


class _LoginManager(LoginManager):
    """Flask-Login's manager, with two changes to its "strong" session protection:

    * it looks only at a session that holds a login. Flask-Login's own looks at any session
      that is not empty: a visitor's that holds only their language or a form's token has no
      client identifier, so on every page it emptied the session's login keys, cleared the
      remember-me cookie and sent the whole session cookie back; a slower response (a page's
      favicon) could then put back an older session over a newer one, and the language just
      chosen was lost. A session with a login is protected as before (a request from
      another client loses the login);
    * a login from the remember cookie is bound to its client (:meth:`_load_user_from_remember_cookie`)."""

    def _session_protection_failed(self) -> bool:
        if "_user_id" not in session:
            return False  # nothing to protect (an empty session is skipped by Flask-Login too)
        return super()._session_protection_failed()

    def _load_user_from_remember_cookie(self, cookie: str):
        """Flask-Login's, and the session it starts is this client's (its identifier as
        ``login_user`` keeps it): Flask-Login's own leaves it out, so under "strong" protection
        the next page found a login without an identifier, ended it and removed the remember
        cookie ("keep me logged in" lasted one page)."""
        user = super()._load_user_from_remember_cookie(cookie)
        if user is not None:
            session["_id"] = self._session_identifier_generator()
        return user


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = _LoginManager()
csrf = CSRFProtect()
babel = Babel()
cache = Cache()
