"""Group-gated profiles for KubeSpawner.

Zero to JupyterHub offers every profile to every user (jupyterhub/zero-to-jupyterhub-k8s#1734).
This offers a profile that names groups only to members of those groups (admins see all), and
refuses a spawn that asks for a profile the user may not use, whether it comes from a forged form
post or from the REST API.

The hub loads this file as a module from `hub.extraConfig` (components/hub/hubPythonModule.ts)
and calls `install(...)`; the profile list itself stays in `singleuser.profileList`, the groups
per profile in `custom.profileGroups`.

KubeSpawner checks the profile only in start(), after JupyterHub has run the pre-spawn hook, so
the spawner class's check here comes too late to keep that hook from acting on a refused spawn.
The Vault hook (components/vault/vault_token_hook.py) therefore checks the requested profile
against the spawner's `profile_list` before it mints anything; with this filter installed that
list is the callable below, so the same per-user answer refuses a forbidden profile there first.
Standard library only: it runs inside the hub image.
"""


class ProfileNotAllowed(Exception):
    """A spawn asked for a profile its user may not use; JupyterHub shows the message."""


def allowed_profiles(profiles, profile_groups, user_groups, is_admin):
    """The profiles a user may see and start, in their configured order.

    profile_groups maps a slug to the groups allowed to use it; a slug that is absent or maps to
    an empty list is open to everyone.
    """
    if is_admin:
        return list(profiles)
    member_of = set(user_groups)
    return [
        profile
        for profile in profiles
        if not profile_groups.get(profile["slug"]) or member_of & set(profile_groups[profile["slug"]])
    ]


def check_choice(requested_slug, profiles, username):
    """Raise ProfileNotAllowed unless the requested slug is one of the given profiles.

    An empty choice means "the default profile", which is always open to everyone.
    """
    # A list, not a set: a slug sent through the REST API may be any JSON value, even unhashable.
    if requested_slug and requested_slug not in [profile["slug"] for profile in profiles]:
        raise ProfileNotAllowed(f"profile {requested_slug!r} is not available to {username}")


def _user_facts(spawner):
    user = spawner.user
    return [group.name for group in user.groups], bool(user.admin)


def install(c, profile_groups, spawner_base):
    """Wire the filter into the hub's config `c`.

    The spawn page gets a callable profile_list that filters per user, and the spawner class
    becomes a subclass of `spawner_base` that checks the requested profile before KubeSpawner
    applies it.
    """
    static_profiles = list(c.KubeSpawner.profile_list)

    def profiles_for(spawner):
        groups, is_admin = _user_facts(spawner)
        return allowed_profiles(static_profiles, profile_groups, groups, is_admin)

    class GroupGatedSpawner(spawner_base):
        async def load_user_options(self):
            check_choice(self.user_options.get("profile"), profiles_for(self), self.user.name)
            return await super().load_user_options()

    c.KubeSpawner.profile_list = profiles_for
    c.JupyterHub.spawner_class = GroupGatedSpawner
    return GroupGatedSpawner
