"""Tests of components/storage/shared_volumes.py, the group gate on shared volumes: the hook as
KubeSpawner 7 runs it (get_pod_manifest calls modify_pod_hook on the pod make_pod built), with the
shared volumes where the program puts them (singleuser.storage.extraVolumes/extraVolumeMounts,
components/storage) and the chart's own jupyterhub_config.py turning them into KubeSpawner's
volumes (tests/python/chart_hub.py)."""
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import chart_hub  # noqa: E402
from project_module import load_project_module  # noqa: E402

shared_volumes = load_project_module("components/storage/shared_volumes.py", "shared_volumes")

SHARED = [{"volume": "shared-datasets", "groups": []}, {"volume": "shared-gpu-models", "groups": ["gpu"]}]
CHART_VALUES = {
    "singleuser": {
        "storage": {
            "extraVolumes": [{"name": name, "nfs": {"server": "nas.home.arpa", "path": f"/volume1/{name}"}} for name in ("shared-datasets", "shared-gpu-models")],
            "extraVolumeMounts": [{"name": name, "mountPath": f"/srv/{name}"} for name in ("shared-datasets", "shared-gpu-models")],
        }
    }
}


class SharedVolumesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = chart_hub.hub_config(CHART_VALUES)
        cls.hooks = [shared_volumes.install(cls.c, SHARED)]
        cls.hub = chart_hub.Hub(cls.c)

    @classmethod
    def tearDownClass(cls):
        cls.hub.close()

    def pod(self, name, groups=(), admin=False):
        spawner = self.hub.spawner(self.hub.user(name, groups, admin))
        self.assertIs(spawner.modify_pod_hook, self.hooks[0])
        pod = self.hub.pod_json(spawner)
        return sorted(v["name"] for v in pod["spec"]["volumes"]), sorted(m["name"] for m in pod["spec"]["containers"][0]["volumeMounts"])

    def test_member_gets_their_groups_volume(self):
        volumes, mounts = self.pod("lena", ["gpu"])
        self.assertEqual(volumes, ["shared-datasets", "shared-gpu-models", "volume-lena"])
        self.assertEqual(mounts, volumes)

    def test_non_member_loses_the_volume_and_its_mount(self):
        volumes, mounts = self.pod("noah", ["lab"])
        self.assertEqual(volumes, ["shared-datasets", "volume-noah"])
        self.assertEqual(mounts, ["shared-datasets", "volume-noah"])

    def test_admin_keeps_every_volume(self):
        volumes, _ = self.pod("maria", admin=True)
        self.assertEqual(volumes, ["shared-datasets", "shared-gpu-models", "volume-maria"])


if __name__ == "__main__":
    unittest.main()
