"""Tests of components/hub/profile_filter.py, the group gate on profiles (run by `npm test`), on
KubeSpawner 7 itself: the profile list from singleuser.profileList through the chart's own
jupyterhub_config.py, and KubeSpawner's own load_user_options applying the chosen profile's
kubespawner_override (tests/python/chart_hub.py)."""
import asyncio
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import chart_hub  # noqa: E402
from project_module import load_project_module  # noqa: E402

profile_filter = load_project_module("components/hub/profile_filter.py", "profile_filter")


def profile(slug, default=False):
    # Each profile's own image, so the profile KubeSpawner applied shows in spawner.image.
    entry = {"slug": slug, "display_name": slug.title(), "kubespawner_override": {"image": f"registry.home.arpa/{slug}:1"}}
    return {**entry, "default": True} if default else entry


PROFILES = [profile("minimal", default=True), profile("gpu"), profile("workbench"), profile("staff")]
PROFILE_GROUPS = {"gpu": ["gpu"], "workbench": ["lab", "staff"], "staff": ["staff"], "minimal": []}


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
    @classmethod
    def setUpClass(cls):
        from kubespawner import KubeSpawner

        cls.config = chart_hub.hub_config({"singleuser": {"profileList": PROFILES}})
        cls.spawner_class = profile_filter.install(cls.config, PROFILE_GROUPS, KubeSpawner)
        cls.hub = chart_hub.Hub(cls.config)

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def spawner(self, name, groups=(), admin=False, profile=None):
        return self.hub.spawner(self.hub.user(name, groups, admin), user_options={"profile": profile} if profile is not None else {})

    def spawn(self, user, profile):
        """KubeSpawner's load_user_options, as its _start runs it first; the image it settled on."""
        spawner = self.spawner(*user, profile=profile)
        asyncio.run(spawner.load_user_options())
        return spawner.image

    def test_spawn_page_lists_what_the_user_may_use(self):
        profile_list = self.config.KubeSpawner.profile_list
        self.assertTrue(callable(profile_list))
        lena = self.spawner("lena", ["gpu"])
        # Every spawner gets the callable from the config, as traitlets loads it.
        self.assertIs(lena.profile_list, profile_list)
        self.assertEqual(slugs(profile_list(lena)), ["minimal", "gpu"])
        self.assertEqual(slugs(profile_list(self.spawner("noah"))), ["minimal"])

    def test_replaces_the_spawner_class_with_a_subclass_of_the_base(self):
        from kubespawner import KubeSpawner

        self.assertIs(self.config.JupyterHub.spawner_class, self.spawner_class)
        self.assertTrue(issubclass(self.spawner_class, KubeSpawner))
        self.assertIsInstance(self.spawner("lena"), self.spawner_class)

    def test_member_may_start_their_groups_profile(self):
        self.assertEqual(self.spawn(("lena", ["gpu"]), "gpu"), "registry.home.arpa/gpu:1")

    def test_default_choice_is_always_allowed(self):
        self.assertEqual(self.spawn(("noah",), None), "registry.home.arpa/minimal:1")
        self.assertEqual(self.spawn(("noah",), ""), "registry.home.arpa/minimal:1")

    def test_admin_may_start_any_profile(self):
        self.assertEqual(self.spawn(("maria", (), True), "staff"), "registry.home.arpa/staff:1")

    def test_forged_choice_is_refused_before_kubespawner_applies_it(self):
        spawner = self.spawner("noah", ["lab"], profile="gpu")
        chart_image = spawner.image
        with self.assertRaisesRegex(profile_filter.ProfileNotAllowed, "profile 'gpu' is not available to noah"):
            asyncio.run(spawner.load_user_options())
        self.assertEqual(spawner.image, chart_image)

    def test_unknown_profile_is_refused(self):
        with self.assertRaises(profile_filter.ProfileNotAllowed):
            self.spawn(("maria", (), True), "nonexistent")

    def test_kubespawner_itself_refuses_a_forged_choice_from_the_filtered_list_too(self):
        # The per-user profile_list is what KubeSpawner's own check sees, so a spawner that skipped
        # the subclass's check would still refuse, with KubeSpawner's ValueError.
        from kubespawner import KubeSpawner

        spawner = self.hub.spawner(self.hub.user("noah", ["lab"]), user_options={"profile": "gpu"}, spawner_class=KubeSpawner)
        with self.assertRaisesRegex(ValueError, "No such profile: gpu. Options include: minimal, workbench"):
            asyncio.run(spawner.load_user_options())

if __name__ == "__main__":
    unittest.main()
