"""Tests of components/hub/profile_filter.py, the group gate on profiles (run by `npm test`)."""
import asyncio
import importlib.util
import pathlib
import types
import unittest

MODULE_PATH = pathlib.Path(__file__).resolve().parents[2] / "components" / "hub" / "profile_filter.py"
spec = importlib.util.spec_from_file_location("profile_filter", MODULE_PATH)
profile_filter = importlib.util.module_from_spec(spec)
spec.loader.exec_module(profile_filter)

PROFILES = [
    {"slug": "minimal", "display_name": "Minimal", "default": True},
    {"slug": "gpu", "display_name": "GPU"},
    {"slug": "workbench", "display_name": "Workbench"},
    {"slug": "staff", "display_name": "Staff"},
]
PROFILE_GROUPS = {"gpu": ["gpu"], "workbench": ["lab", "staff"], "staff": ["staff"], "minimal": []}


def make_user(name, groups=(), admin=False):
    return types.SimpleNamespace(name=name, admin=admin, groups=[types.SimpleNamespace(name=g) for g in groups])


class FakeKubeSpawner:
    """Stands in for KubeSpawner: records that its own load_user_options ran."""

    def __init__(self, user, user_options):
        self.user = user
        self.user_options = user_options
        self.loaded = False

    async def load_user_options(self):
        self.loaded = True


def make_config():
    return types.SimpleNamespace(
        KubeSpawner=types.SimpleNamespace(profile_list=list(PROFILES)),
        JupyterHub=types.SimpleNamespace(spawner_class="kubespawner.KubeSpawner"),
    )


def slugs(profiles):
    return [p["slug"] for p in profiles]


class AllowedProfilesTest(unittest.TestCase):
    def test_member_sees_open_profiles_and_their_groups_profiles(self):
        self.assertEqual(slugs(profile_filter.allowed_profiles(PROFILES, PROFILE_GROUPS, ["gpu"], False)), ["minimal", "gpu"])

    def test_membership_of_any_listed_group_is_enough(self):
        self.assertEqual(slugs(profile_filter.allowed_profiles(PROFILES, PROFILE_GROUPS, ["lab"], False)), ["minimal", "workbench"])

    def test_non_member_sees_only_open_profiles(self):
        self.assertEqual(slugs(profile_filter.allowed_profiles(PROFILES, PROFILE_GROUPS, [], False)), ["minimal"])

    def test_admin_sees_every_profile(self):
        self.assertEqual(slugs(profile_filter.allowed_profiles(PROFILES, PROFILE_GROUPS, [], True)), slugs(PROFILES))

    def test_profiles_without_groups_are_open(self):
        self.assertEqual(slugs(profile_filter.allowed_profiles(PROFILES, {}, [], False)), slugs(PROFILES))


class InstallTest(unittest.TestCase):
    def setUp(self):
        self.config = make_config()
        self.spawner_class = profile_filter.install(self.config, PROFILE_GROUPS, FakeKubeSpawner)

    def spawn(self, user, profile):
        spawner = self.spawner_class(user, {"profile": profile} if profile is not None else {})
        asyncio.run(spawner.load_user_options())
        return spawner

    def test_spawn_page_lists_what_the_user_may_use(self):
        profile_list = self.config.KubeSpawner.profile_list
        self.assertTrue(callable(profile_list))
        spawner = FakeKubeSpawner(make_user("lena", ["gpu"]), {})
        self.assertEqual(slugs(profile_list(spawner)), ["minimal", "gpu"])
        self.assertEqual(slugs(profile_list(FakeKubeSpawner(make_user("noah"), {}))), ["minimal"])

    def test_replaces_the_spawner_class_with_a_subclass_of_the_base(self):
        self.assertIs(self.config.JupyterHub.spawner_class, self.spawner_class)
        self.assertTrue(issubclass(self.spawner_class, FakeKubeSpawner))

    def test_member_may_start_their_groups_profile(self):
        self.assertTrue(self.spawn(make_user("lena", ["gpu"]), "gpu").loaded)

    def test_default_choice_is_always_allowed(self):
        self.assertTrue(self.spawn(make_user("noah"), None).loaded)
        self.assertTrue(self.spawn(make_user("noah"), "").loaded)

    def test_admin_may_start_any_profile(self):
        self.assertTrue(self.spawn(make_user("maria", admin=True), "staff").loaded)

    def test_forged_choice_is_refused_before_kubespawner_applies_it(self):
        spawner = self.spawner_class(make_user("noah", ["lab"]), {"profile": "gpu"})
        with self.assertRaisesRegex(profile_filter.ProfileNotAllowed, "profile 'gpu' is not available to noah"):
            asyncio.run(spawner.load_user_options())
        self.assertFalse(spawner.loaded)

    def test_unknown_profile_is_refused(self):
        with self.assertRaises(profile_filter.ProfileNotAllowed):
            self.spawn(make_user("maria", admin=True), "nonexistent")


if __name__ == "__main__":
    unittest.main()
