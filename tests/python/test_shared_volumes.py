"""Tests of components/storage/shared_volumes.py, the group gate on shared volumes."""
import importlib.util
import pathlib
import types
import unittest

MODULE = pathlib.Path(__file__).resolve().parents[2] / "components" / "storage" / "shared_volumes.py"
spec = importlib.util.spec_from_file_location("shared_volumes", MODULE)
shared_volumes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(shared_volumes)

SHARED = [{"volume": "shared-datasets", "groups": []}, {"volume": "shared-gpu-models", "groups": ["gpu"]}]


def pod():
    volume = lambda name: types.SimpleNamespace(name=name)  # noqa: E731
    mount = lambda name: types.SimpleNamespace(name=name, mount_path=f"/srv/{name}")  # noqa: E731
    container = types.SimpleNamespace(volume_mounts=[mount("home"), mount("shared-datasets"), mount("shared-gpu-models")])
    return types.SimpleNamespace(spec=types.SimpleNamespace(volumes=[volume("home"), volume("shared-datasets"), volume("shared-gpu-models")], containers=[container]))


def names(items):
    return [item.name for item in items]


class SharedVolumesTest(unittest.TestCase):
    def spawn(self, groups=(), admin=False):
        config = types.SimpleNamespace(KubeSpawner=types.SimpleNamespace())
        hook = shared_volumes.install(config, SHARED)
        self.assertIs(config.KubeSpawner.modify_pod_hook, hook)
        user = types.SimpleNamespace(admin=admin, groups=[types.SimpleNamespace(name=g) for g in groups])
        return hook(types.SimpleNamespace(user=user), pod())

    def test_member_gets_their_groups_volume(self):
        result = self.spawn(["gpu"])
        self.assertEqual(names(result.spec.volumes), ["home", "shared-datasets", "shared-gpu-models"])

    def test_non_member_loses_the_volume_and_its_mount(self):
        result = self.spawn(["lab"])
        self.assertEqual(names(result.spec.volumes), ["home", "shared-datasets"])
        self.assertEqual(names(result.spec.containers[0].volume_mounts), ["home", "shared-datasets"])

    def test_admin_keeps_every_volume(self):
        self.assertEqual(len(self.spawn(admin=True).spec.volumes), 3)


if __name__ == "__main__":
    unittest.main()
