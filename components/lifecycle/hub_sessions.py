"""Hub sessions end when access does: offboarding and hand-overs (issue 18, finding 2).

JupyterHub 5.5 finds the user of a request by its login cookie's `cookie_id`, a random string
stored on the user's row (handlers/base.py `_user_for_cookie`, orm.py `User.cookie_id`), and by an
API token's row. Neither looks at who may log in: that is checked at login only. Once a request
is tied to a user, `refresh_auth` asks `Authenticator.refresh_user` at most every
`auth_refresh_age` seconds (300) whether the user's auth is still good, and in memory only, so
after every hub start the first request of each user asks. The base Authenticator always says
yes; OAuthenticator asks the provider with the row's stored tokens, which after a hand-over are
the new holder's. So a removed user's cookie and tokens kept working, and with `inherit: true` the
old holder's browser was the new holder.

`install(c, config)`, run from hub.extraConfig, wraps the configured Authenticator:
- `refresh_user` refuses every name that is not in jupyterhub:users: the request is then treated
  as logged out (a cookie is sent to the login page, a token gets 403);
- names only in formerUsers are `blocked_users`: refused at login, and at every hub start
  JupyterHub 5.2+ takes their admin, roles and groups and stops their servers (app.py
  `init_blocked_users`, `init_spawners`);
- a name whose holder may have changed gets a new `cookie_id` once, before the hub serves any
  request (in `check_allow_config`, which `init_users` calls right after the database is up):
  every cookie issued for that name is dead. The holder of a name is one of "user" (jupyterhub:users
  only), "former" (formerUsers only) and "inherited" (both: `inherit: true`); the status a
  cookie_id was issued under is written in front of it ("former:…", "inherited:…"; a plain
  cookie_id is "user", JupyterHub's own). When it differs from the config's, the row gets a new
  cookie_id, and when the name is now inherited its API tokens are deleted, its stored auth
  state dropped and, with FirstUseAuthenticator, the old holder's password forgotten, so the new
  holder sets their own at first login.

Standard library and JupyterHub only: it runs inside the hub image.
"""

import logging
import types
import uuid

log = logging.getLogger("JupyterHub").getChild("user-sessions")

USER, FORMER, INHERITED = "user", "former", "inherited"
_TAGGED = (FORMER, INHERITED)


def holder_status(name, config):
    """Who holds this name by the config: a user, a former user, or a user who inherited it."""
    former = name in set(config.get("formerUsers") or [])
    if former:
        return INHERITED if name in set(config.get("users") or []) else FORMER
    return USER


def cookie_id_status(cookie_id):
    """The holder status a cookie_id was issued under ("former:…", "inherited:…", else "user")."""
    prefix, separator, _ = (cookie_id or "").partition(":")
    return prefix if separator and prefix in _TAGGED else USER


def new_cookie_id(status):
    # orm.new_token is uuid4().hex; the cookie carries it, signed with the hub's cookie secret.
    token = uuid.uuid4().hex
    return token if status == USER else f"{status}:{token}"


def blocked_names(config):
    """Names that may no longer log in: formerUsers that nobody inherited."""
    return sorted(set(config.get("formerUsers") or []) - set(config.get("users") or []))


def settle_holder(orm_user, config, db, forget_password):
    """Give the row a new cookie_id if its holder may have changed; returns what was done, or None."""
    wanted = holder_status(orm_user.name, config)
    if cookie_id_status(orm_user.cookie_id) == wanted:
        return None
    orm_user.cookie_id = new_cookie_id(wanted)
    done = [f"ended {orm_user.name}'s sessions ({wanted})"]
    if wanted == INHERITED:
        # The old holder's credentials on the row: API tokens (OAuth ones too), the provider's
        # tokens in auth_state, the first-use password.
        for token in list(orm_user.api_tokens):
            db.delete(token)
        orm_user.encrypted_auth_state = None
        forget_password(orm_user.name)
        done.append(f"revoked the old holder's tokens and credentials for {orm_user.name}")
    return done


def sessions_authenticator(base, config):
    """The configured Authenticator class, refusing sessions of names that no longer have access."""
    configured = frozenset(config.get("users") or [])

    class ConfiguredSessionsAuthenticator(base):
        async def refresh_user(self, user, handler=None, **kwargs):
            if user.name not in configured:
                self.log.warning("Ending a session of %s: not in jupyterhub:users", user.name)
                return False
            refreshed = super().refresh_user(user, handler, **kwargs)
            return await refreshed if hasattr(refreshed, "__await__") else refreshed

        def check_allow_config(self):
            super().check_allow_config()
            if not self.auth_refresh_age:
                self.log.error("Authenticator.auth_refresh_age is 0: sessions of removed users are not ended until they log out")
            # The app's own session: its rows are what the handlers read next (app.py init_users).
            db = self.parent.db
            for orm_user in db.query(_orm().User):
                for line in settle_holder(orm_user, config, db, self._forget_password) or []:
                    self.log.info("%s", line)
            db.commit()

        def add_user(self, user):
            # Rows init_users makes after check_allow_config start as the config says.
            # (Every row that was there already is settled by then; a new one has a random cookie_id
            # nobody holds, so it is only tagged, and the next start does not end its sessions.)
            orm_user = getattr(user, "orm_user", user)
            if isinstance(orm_user, _orm().User) and cookie_id_status(orm_user.cookie_id) != holder_status(orm_user.name, config):
                orm_user.cookie_id = new_cookie_id(holder_status(orm_user.name, config))
            return super().add_user(user)

        def _forget_password(self, name):
            try:
                from firstuseauthenticator import FirstUseAuthenticator
            except ImportError:
                return
            if isinstance(self, FirstUseAuthenticator):
                # Its delete_user only removes the name's entry from its password file.
                FirstUseAuthenticator.delete_user(self, types.SimpleNamespace(name=name))

    ConfiguredSessionsAuthenticator.__name__ = f"ConfiguredSessions{base.__name__}"
    return ConfiguredSessionsAuthenticator


def _orm():
    from jupyterhub import orm

    return orm


def configured_authenticator_class(c):
    """The Authenticator class the config names (a class, an entry point name or a dotted path),
    resolved the way JupyterHub resolves it (its EntryPointType trait)."""
    from jupyterhub.app import JupyterHub

    configured = c.JupyterHub.authenticator_class if "authenticator_class" in c.JupyterHub else JupyterHub.authenticator_class.default_value
    return JupyterHub.authenticator_class.validate(None, configured)


def install(c, config):
    """Wire it into the hub's config `c` (run from hub.extraConfig, after the chart set the authenticator)."""
    blocked = set(c.Authenticator.blocked_users) if "blocked_users" in c.Authenticator else set()
    c.Authenticator.blocked_users = blocked | set(blocked_names(config))
    c.JupyterHub.authenticator_class = sessions_authenticator(configured_authenticator_class(c), config)
    return c.JupyterHub.authenticator_class
