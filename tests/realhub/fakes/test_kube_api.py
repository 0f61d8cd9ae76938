"""The fake Kubernetes API server answers as kube-apiserver does (kube_api.py cites what it follows).

Two parts. The protocol tests speak HTTPS with the standard library, so they run under any
python3. The client tests drive the fake with the hub image's own kubernetes_asyncio and
KubeSpawner; they run in the hub's Python (a venv from its wheels) and skip elsewhere, saying so:
    <hub venv>/bin/python -m unittest tests/realhub/fakes/test_kube_api.py
Run as `python3 -m unittest tests/realhub/fakes/test_kube_api.py` from the repository root.
"""

import http.client
import json
import os
import shutil
import ssl
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

import throwaway_ca  # noqa: E402
from kube_api import FakeKubeApi  # noqa: E402

TOKEN = "hub-service-account-token"
NS = "jupyterhub"
PODS = f"/api/v1/namespaces/{NS}/pods"
PIPES = f"/apis/sshpiper.com/v1beta1/namespaces/{NS}/pipes"
# The chart's hub Role (jupyterhub chart 4.4.0 templates/hub/rbac.yaml) and the program's Pipe
# writer Role (components/ssh/gatewayObjects.ts).
HUB_ROLE = [
    {"apiGroups": [""], "resources": ["pods", "persistentvolumeclaims", "secrets", "services"],
     "verbs": ["get", "watch", "list", "create", "delete"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "watch", "list"]},
]
PIPE_WRITER = [{"apiGroups": ["sshpiper.com"], "resources": ["pipes"],
                "verbs": ["get", "list", "create", "update", "patch", "delete"]}]


def pod(name, labels=None, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "notebook", "image": "quay.io/jupyter/base-notebook:2024-01-01"}], **spec}}


def pipe(name, owner=None):
    meta = {"name": name}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Pod", "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"]}]
    return {"apiVersion": "sshpiper.com/v1beta1", "kind": "Pipe", "metadata": meta,
            "spec": {"from": [{"username": "alice"}], "to": {"host": "10.0.0.1:22"}}}


def running_at(address):
    return lambda pod: {"podIP": address}


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@unittest.skipUnless(throwaway_ca.available(), "needs the cryptography package to make throwaway CAs")
class ProtocolTest(unittest.TestCase):
    """What a client sees on the wire: Status bodies, lists, watch streams, the controllers' work."""

    @classmethod
    def setUpClass(cls):
        cls.cas = throwaway_ca.cas()
        cls.context = ssl.create_default_context(cafile=cls.cas.a.ca)

    def fake(self, **options):
        api = FakeKubeApi(tls=self.cas.a.server, token=TOKEN, namespace=NS, **options).start()
        self.addCleanup(api.stop)
        self.addCleanup(lambda: self.assertEqual(api.errors, []))
        return api

    def call(self, api, method, path, body=None, token=TOKEN, content_type="application/json"):
        connection = http.client.HTTPSConnection(api.url[len("https://"):], context=self.context, timeout=10)
        headers = {"Content-Type": content_type}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        connection.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        response = connection.getresponse()
        reply = json.loads(response.read() or b"null")
        connection.close()
        return response.status, reply

    def watch(self, api, path, count, timeout=5, after_first=None):
        """The first `count` events of a watch (or all until the server ends it), as sent.
        after_first runs once the first event is read: the watch has taken its starting point, so
        what it changes arrives as events, however late the watch started."""
        connection = http.client.HTTPSConnection(api.url[len("https://"):], context=self.context, timeout=timeout)
        connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        self.assertEqual(response.getheader("Transfer-Encoding"), "chunked")
        events = []
        while len(events) < count:
            line = response.readline()
            if not line:
                break
            events.append(json.loads(line))
            if after_first and len(events) == 1:
                after_first()
        connection.close()
        return events

    def test_a_wrong_token_is_401_and_no_token_is_the_anonymous_user_refused_with_403(self):
        api = self.fake()
        status, reply = self.call(api, "GET", PODS, token="not-the-token")
        self.assertEqual((status, reply["reason"], reply["message"]), (401, "Unauthorized", "Unauthorized"))
        status, reply = self.call(api, "GET", PODS, token=None)
        self.assertEqual(status, 403)
        self.assertEqual(reply["message"], 'pods is forbidden: User "system:anonymous" cannot list resource "pods" in '
                                           'API group "" in the namespace "jupyterhub"')

    def test_rbac_refuses_what_the_role_does_not_grant_in_the_apiservers_words(self):
        api = self.fake(rbac=HUB_ROLE)
        status, reply = self.call(api, "POST", PIPES, pipe("ssh-jupyter-alice"))
        self.assertEqual((status, reply["reason"]), (403, "Forbidden"))
        self.assertEqual(reply["message"], 'pipes.sshpiper.com is forbidden: User "system:serviceaccount:jupyterhub:hub" '
                                           'cannot create resource "pipes" in API group "sshpiper.com" in the namespace '
                                           '"jupyterhub"')
        self.assertEqual(reply["details"], {"group": "sshpiper.com", "kind": "pipes"})
        status, reply = self.call(api, "PATCH", f"{PODS}/jupyter-alice", {})
        self.assertEqual(reply["message"], 'pods "jupyter-alice" is forbidden: User "system:serviceaccount:jupyterhub:hub" '
                                           'cannot patch resource "pods" in API group "" in the namespace "jupyterhub"')
        status, _ = self.call(api, "GET", "/api/v1/namespaces/other/pods")
        self.assertEqual(status, 403)  # a Role grants in its own namespace only
        self.assertEqual(self.call(api, "GET", f"{PODS}/jupyter-alice")[0], 404)  # granted, and absent
        writer = self.fake(rbac=HUB_ROLE + PIPE_WRITER)
        self.assertEqual(self.call(writer, "POST", PIPES, pipe("ssh-jupyter-alice"))[0], 201)

    def test_errors_are_status_objects_with_reason_code_and_details(self):
        api = self.fake()
        status, reply = self.call(api, "GET", f"{PODS}/nobody")
        self.assertEqual(reply, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                 "message": 'pods "nobody" not found', "reason": "NotFound",
                                 "details": {"name": "nobody", "kind": "pods"}, "code": 404})
        self.assertEqual(self.call(api, "POST", PODS, pod("jupyter-alice"))[0], 201)
        status, reply = self.call(api, "POST", PODS, pod("jupyter-alice"))
        self.assertEqual((status, reply["reason"], reply["message"]),
                         (409, "AlreadyExists", 'pods "jupyter-alice" already exists'))
        status, reply = self.call(api, "GET", "/apis/sshpiper.com/v1/namespaces/jupyterhub/pipes")
        self.assertEqual((status, reply["message"]), (404, "the server could not find the requested resource"))

    def test_invalid_objects_are_refused_with_422_and_their_causes(self):
        api = self.fake()
        status, reply = self.call(api, "POST", PODS, pod("Jupyter_Alice"))
        self.assertEqual((status, reply["reason"]), (422, "Invalid"))
        self.assertTrue(reply["message"].startswith('Pod "Jupyter_Alice" is invalid: metadata.name: Invalid value: '
                                                    '"Jupyter_Alice": a lowercase RFC 1123 subdomain'), reply["message"])
        status, reply = self.call(api, "POST", PODS, pod("jupyter-bob", {"hub.jupyter.org/username": "bob@example.org"}))
        self.assertEqual(reply["details"]["causes"][0]["field"], "metadata.labels")
        broken = pod("jupyter-carol")
        broken["spec"]["containers"][0]["volumeMounts"] = [{"name": "vault-token", "mountPath": "/vault"}]
        status, reply = self.call(api, "POST", PODS, broken)
        self.assertEqual(reply["details"]["causes"], [{"reason": "FieldValueNotFound", "message": 'Not found: "vault-token"',
                                                       "field": "spec.containers[0].volumeMounts[0].name"}])
        self.assertEqual(api.objects("pods"), [])

    def test_lists_carry_a_resource_version_and_built_in_items_no_kind(self):
        api = self.fake()
        self.call(api, "POST", PODS, pod("jupyter-alice"))
        self.call(api, "POST", PIPES, pipe("ssh-jupyter-alice"))
        _, pods = self.call(api, "GET", PODS)
        _, pipes = self.call(api, "GET", PIPES)
        self.assertEqual((pods["kind"], pods["apiVersion"], pipes["kind"]), ("PodList", "v1", "PipeList"))
        # etcd's revision starts at 1; each write takes the next.
        self.assertEqual(pipes["metadata"]["resourceVersion"], "3")
        self.assertNotIn("kind", pods["items"][0])
        self.assertEqual(pipes["items"][0]["kind"], "Pipe")

    def test_a_watch_from_0_sends_what_exists_then_changes_and_ends_at_its_timeout(self):
        api = self.fake()
        self.call(api, "POST", PODS, pod("jupyter-alice", {"component": "singleuser-server"}))
        threading.Timer(0.2, lambda: self.call(api, "POST", PODS, pod("jupyter-bob", {"component": "singleuser-server"}))).start()
        started = time.monotonic()
        events = self.watch(api, f"{PODS}?watch=True&resourceVersion=0&timeoutSeconds=1", count=10)
        self.assertGreaterEqual(time.monotonic() - started, 1)
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events],
                         [("ADDED", "jupyter-alice"), ("ADDED", "jupyter-bob")])
        self.assertEqual(events[1]["object"]["kind"], "Pod")  # watch events carry kind, list items do not

    def test_a_watch_from_a_resource_version_sends_only_what_came_after_and_an_expired_one_gets_410(self):
        api = self.fake()
        _, first = self.call(api, "POST", PODS, pod("jupyter-alice"))
        self.call(api, "POST", PODS, pod("jupyter-bob"))
        since = first["metadata"]["resourceVersion"]
        events = self.watch(api, f"{PODS}?watch=1&resourceVersion={since}&timeoutSeconds=1", count=5)
        self.assertEqual([e["object"]["metadata"]["name"] for e in events], ["jupyter-bob"])
        api.compact()
        events = self.watch(api, f"{PODS}?watch=true&resourceVersion={since}&timeoutSeconds=1", count=5)
        self.assertEqual(len(events), 1)
        self.assertEqual((events[0]["type"], events[0]["object"]["code"], events[0]["object"]["reason"]),
                         ("ERROR", 410, "Expired"))
        self.assertEqual(self.call(api, "GET", f"{PODS}?watch=true&resourceVersion=latest")[1]["reason"], "BadRequest")

    def test_an_object_leaving_the_selector_arrives_as_deleted_and_one_entering_as_added(self):
        api = self.fake()
        self.call(api, "POST", PODS, pod("jupyter-alice", {"component": "singleuser-server"}))
        self.call(api, "POST", PODS, pod("other", {"component": "other"}))
        def relabel():
            api.update("pods", "jupyter-alice", lambda o: o["metadata"]["labels"].update(component="gone"))
            api.update("pods", "other", lambda o: o["metadata"]["labels"].update(component="singleuser-server"))
        events = self.watch(api, f"{PODS}?watch=true&labelSelector=component%3Dsingleuser-server&timeoutSeconds=1", 5,
                            after_first=relabel)
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events],
                         [("ADDED", "jupyter-alice"), ("DELETED", "jupyter-alice"), ("ADDED", "other")])

    def test_selectors_filter_lists_and_unknown_fields_are_refused(self):
        api = self.fake()
        for name, labels in (("a", {"component": "singleuser-server", "sshd": "true"}),
                             ("b", {"component": "singleuser-server"}), ("c", {"component": "hub"}), ("d", {})):
            self.call(api, "POST", PODS, pod(name, labels))
        api.emit_event("a", "FailedMount", "MountVolume.SetUp failed")

        def names(path):
            return [item["metadata"]["name"] for item in self.call(api, "GET", path)[1]["items"]]

        self.assertEqual(names(f"{PODS}?labelSelector=component%3Dsingleuser-server,sshd"), ["a"])
        self.assertEqual(names(f"{PODS}?labelSelector=component+in+(hub,x),!sshd"), ["c"])
        self.assertEqual(names(f"{PODS}?labelSelector=component+notin+(hub)"), ["a", "b", "d"])
        self.assertEqual(names(f"{PODS}?labelSelector=component!%3Dhub"), ["a", "b", "d"])  # no label is not hub
        self.assertEqual(names(f"{PODS}?fieldSelector=metadata.name%3Db"), ["b"])
        events = self.call(api, "GET", f"/api/v1/namespaces/{NS}/events?fieldSelector=involvedObject.kind%3DPod")[1]
        self.assertEqual([e["reason"] for e in events["items"]], ["FailedMount"])
        _, gone = self.call(api, "DELETE", f"{PODS}?labelSelector=component%3Dhub")
        self.assertEqual([p["metadata"]["name"] for p in gone["items"]], ["c"])
        self.assertEqual(names(PODS), ["a", "b", "d"])
        status, reply = self.call(api, "GET", f"{PODS}?fieldSelector=spec.containers%3Dx")
        self.assertEqual((status, reply["reason"], reply["message"]),
                         (400, "BadRequest", "field label not supported: spec.containers"))

    def test_the_kubelet_brings_a_pod_to_running_one_status_update_at_a_time(self):
        api = self.fake(kubelet=running_at("127.0.9.1"))
        # From the list's resourceVersion, as a reflector watches: every status update after it
        # arrives, however late the watch starts. Even an empty store's list names a revision:
        # a watch from "0" would start from the pod as it is by then.
        since = self.call(api, "GET", PODS)[1]["metadata"]["resourceVersion"]
        self.assertNotEqual(since, "0")
        self.assertEqual(self.call(api, "POST", PODS, pod("jupyter-alice"))[0], 201)
        self.assertTrue(wait_for(lambda: api.objects("pods")[0]["status"].get("phase") == "Running"))
        events = self.watch(api, f"{PODS}?watch=true&resourceVersion={since}&timeoutSeconds=20", count=4, timeout=30)
        self.assertEqual([e["type"] for e in events], ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED"])
        self.assertEqual([e["object"]["status"]["phase"] for e in events], ["Pending"] * 3 + ["Running"])
        running = events[-1]["object"]
        self.assertEqual((running["status"]["podIP"], running["spec"]["nodeName"]), ("127.0.9.1", "fake-node"))
        self.assertEqual(running["status"]["containerStatuses"][0]["ready"], True)
        self.assertIn("waiting", events[2]["object"]["status"]["containerStatuses"][0]["state"])
        stalled = self.fake(kubelet=lambda pod: None)
        self.call(stalled, "POST", PODS, pod("jupyter-bob"))
        time.sleep(0.3)
        self.assertEqual(stalled.objects("pods")[0]["status"]["phase"], "Pending")

    def test_a_running_pod_goes_after_its_grace_period_and_at_once_for_zero(self):
        # Containers that hold out the whole grace period (stop_seconds=None), as one ignoring SIGTERM.
        api = self.fake(kubelet=running_at("127.0.9.1"), stop_seconds=None)
        for name in ("slow", "quick"):
            self.call(api, "POST", PODS, pod(name))
        self.assertTrue(wait_for(lambda: all(p["status"]["phase"] == "Running" for p in api.objects("pods"))))
        _, going = self.call(api, "DELETE", f"{PODS}/slow", {"kind": "DeleteOptions", "gracePeriodSeconds": 1})
        self.assertEqual(going["metadata"]["deletionGracePeriodSeconds"], 1)
        self.assertIn("deletionTimestamp", going["metadata"])
        self.assertEqual([p["metadata"]["name"] for p in api.objects("pods")], ["quick", "slow"])
        since = going["metadata"]["resourceVersion"]
        self.call(api, "DELETE", f"{PODS}/quick?gracePeriodSeconds=0")
        events = self.watch(api, f"{PODS}?watch=true&resourceVersion={int(since) - 1}&timeoutSeconds=3", count=4)
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in events],
                         [("MODIFIED", "slow"), ("MODIFIED", "quick"), ("DELETED", "quick"), ("DELETED", "slow")])

    def test_an_unscheduled_pod_goes_at_once_whatever_the_grace_period(self):
        api = self.fake()  # no kubelet: the pod is never bound to a node
        self.call(api, "POST", PODS, pod("jupyter-alice"))
        status, reply = self.call(api, "DELETE", f"{PODS}/jupyter-alice?gracePeriodSeconds=30")
        self.assertEqual((status, reply["metadata"]["deletionGracePeriodSeconds"]), (200, 0))
        self.assertEqual(api.objects("pods"), [])
        self.assertEqual(self.call(api, "DELETE", f"{PODS}/jupyter-alice")[0], 404)

    def test_the_garbage_collector_deletes_what_a_deleted_pod_owned(self):
        api = self.fake()
        _, owner = self.call(api, "POST", PODS, pod("jupyter-alice"))
        _, other = self.call(api, "POST", PODS, pod("jupyter-bob"))
        self.call(api, "POST", PIPES, pipe("ssh-jupyter-alice", owner))
        both = pipe("shared", owner)
        both["metadata"]["ownerReferences"] += pipe("x", other)["metadata"]["ownerReferences"]
        self.call(api, "POST", PIPES, both)
        self.call(api, "DELETE", f"{PODS}/jupyter-alice")
        self.assertTrue(wait_for(lambda: [p["metadata"]["name"] for p in api.objects("pipes")] == ["shared"]))
        self.assertTrue(wait_for(lambda: len(api.objects("pipes")[0]["metadata"]["ownerReferences"]) == 1))
        kept = self.fake(gc=False)
        _, owner = self.call(kept, "POST", PODS, pod("jupyter-alice"))
        self.call(kept, "POST", PIPES, pipe("ssh-jupyter-alice", owner))
        self.call(kept, "DELETE", f"{PODS}/jupyter-alice")
        time.sleep(0.2)
        self.assertEqual(len(kept.objects("pipes")), 1)

    def test_a_claim_in_use_waits_for_its_pod_before_it_goes(self):
        api = self.fake()
        claims = f"/api/v1/namespaces/{NS}/persistentvolumeclaims"
        self.call(api, "POST", claims, {"metadata": {"name": "claim-alice"}, "spec": {"accessModes": ["ReadWriteOnce"]}})
        self.call(api, "POST", PODS, pod("jupyter-alice", volumes=[{"name": "home", "persistentVolumeClaim": {
            "claimName": "claim-alice"}}]))
        status, reply = self.call(api, "DELETE", f"{claims}/claim-alice")
        self.assertEqual((status, reply["metadata"]["finalizers"]), (200, ["kubernetes.io/pvc-protection"]))
        time.sleep(0.2)
        self.assertIn("deletionTimestamp", api.objects("persistentvolumeclaims")[0]["metadata"])
        self.call(api, "DELETE", f"{PODS}/jupyter-alice")
        self.assertTrue(wait_for(lambda: api.objects("persistentvolumeclaims") == []))

    def test_secret_string_data_is_stored_as_base64_data_and_never_echoed(self):
        api = self.fake()
        secrets = f"/api/v1/namespaces/{NS}/secrets"
        _, created = self.call(api, "POST", secrets, {"metadata": {"name": "s"}, "stringData": {"token": "hunter2"}})
        self.assertEqual((created["data"], created["type"]), ({"token": "aHVudGVyMg=="}, "Opaque"))
        self.assertNotIn("hunter2", json.dumps(self.call(api, "GET", f"{secrets}/s")[1]))
        status, reply = self.call(api, "DELETE", f"{secrets}/s")
        self.assertEqual((reply["kind"], reply["status"]), ("Status", "Success"))
        status, _ = self.call(api, "POST", secrets, {"metadata": {"name": "t"}, "data": {"token": "not base64!"}})
        self.assertEqual(status, 400)

    def test_patches_and_updates_follow_the_content_type_and_the_resource_version(self):
        api = self.fake()
        _, created = self.call(api, "POST", PIPES, pipe("p"))
        status, patched = self.call(api, "PATCH", f"{PIPES}/p", {"metadata": {"labels": {"a": "b"}}},
                                    content_type="application/merge-patch+json")
        self.assertEqual((status, patched["metadata"]["labels"], patched["spec"]), (200, {"a": "b"}, created["spec"]))
        status, reply = self.call(api, "PATCH", f"{PIPES}/p", {"metadata": {"labels": {"a": "c"}}},
                                  content_type="application/json-patch+json")
        self.assertEqual((status, reply["message"]), (400, "error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp"))
        status, reply = self.call(api, "PATCH", f"{PIPES}/p", [{"op": "replace", "path": "/spec/to/host", "value": "h:22"}],
                                  content_type="application/json-patch+json")
        self.assertEqual((status, reply["spec"]["to"]["host"]), (200, "h:22"))
        status, _ = self.call(api, "PATCH", f"{PIPES}/p", {}, content_type="application/strategic-merge-patch+json")
        self.assertEqual(status, 415)  # custom objects take no strategic merge patch
        stale = dict(created, spec={"from": []})
        self.assertEqual(self.call(api, "PUT", f"{PIPES}/p", stale)[1]["reason"], "Conflict")
        unversioned = dict(created, metadata={"name": "p"})
        self.assertEqual(self.call(api, "PUT", f"{PIPES}/p", unversioned)[0], 422)

    def test_pods_get_the_service_account_token_unless_they_opt_out_and_the_registry_defaults(self):
        api = self.fake()
        _, mounted = self.call(api, "POST", PODS, pod("a"))
        _, opted_out = self.call(api, "POST", PODS, pod("b", automountServiceAccountToken=False))
        mounts = mounted["spec"]["containers"][0]["volumeMounts"]
        self.assertEqual(mounts[0]["mountPath"], "/var/run/secrets/kubernetes.io/serviceaccount")
        self.assertTrue(mounted["spec"]["volumes"][0]["name"].startswith("kube-api-access-"))
        self.assertNotIn("volumes", opted_out["spec"])
        self.assertEqual((mounted["status"], mounted["spec"]["terminationGracePeriodSeconds"]),
                         ({"phase": "Pending", "qosClass": "BestEffort"}, 30))
        self.assertEqual(api.created("pods")[1], pod("b", automountServiceAccountToken=False))  # as POSTed


@unittest.skipUnless(throwaway_ca.available(), "needs the cryptography package to make throwaway CAs")
class ClientTest(unittest.TestCase):
    """The hub image's kubernetes_asyncio and KubeSpawner against the fake."""

    @classmethod
    def setUpClass(cls):
        try:
            import kubernetes_asyncio  # noqa: F401
            import kubespawner  # noqa: F401
        except ImportError:
            raise unittest.SkipTest("runs in the hub's Python (kubernetes_asyncio, KubeSpawner): "
                                    "<hub venv>/bin/python -m unittest tests/realhub/fakes/test_kube_api.py") from None
        cls.cas = throwaway_ca.cas()
        cls.directory = tempfile.mkdtemp(prefix="fake-kube-")
        cls.addClassCleanup(shutil.rmtree, cls.directory, ignore_errors=True)
        with open(os.path.join(cls.directory, "token"), "w", encoding="ascii") as handle:
            handle.write(TOKEN)  # the kubelet's projected token has no trailing newline

    def test_the_in_cluster_client_lists_watches_and_reads_status_errors(self):
        import asyncio

        from kubernetes_asyncio import client, watch
        from kubernetes_asyncio.config.incluster_config import InClusterConfigLoader

        async def run(api):
            configuration = client.Configuration()
            host, port = api.url[len("https://"):].rsplit(":", 1)
            InClusterConfigLoader(token_filename=os.path.join(self.directory, "token"), cert_filename=self.cas.a.ca,
                                  environ={"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
                                  ).load_and_set(configuration)
            async with client.ApiClient(configuration) as api_client:
                core = client.CoreV1Api(api_client)
                created = await core.create_namespaced_pod(NS, pod("jupyter-alice", {"component": "singleuser-server"}))
                with self.assertRaises(client.ApiException) as refused:
                    await core.create_namespaced_pod(NS, pod("jupyter-alice"))
                self.assertEqual((refused.exception.status, json.loads(refused.exception.body)["reason"]),
                                 (409, "AlreadyExists"))
                seen = []
                since = created.metadata.resource_version
                async with watch.Watch().stream(core.list_namespaced_pod, namespace=NS, resource_version=since,
                                                label_selector="component=singleuser-server", timeout_seconds=2) as stream:
                    async for event in stream:
                        seen.append((event["type"], event["object"].status.phase, event["object"].status.pod_ip))
                        if event["raw_object"]["status"]["phase"] == "Running":
                            break
                return seen

        with FakeKubeApi(tls=self.cas.a.server, token=TOKEN, namespace=NS, kubelet=running_at("127.0.9.1")) as api:
            seen = asyncio.run(run(api))
        self.assertEqual(seen, [("MODIFIED", "Pending", None), ("MODIFIED", "Pending", None),
                                ("MODIFIED", "Running", "127.0.9.1")])

    def test_custom_objects_api_writes_pipes_that_go_with_their_pod(self):
        import asyncio

        from kubernetes_asyncio import client

        async def run(api):
            configuration = client.Configuration(host=api.url, api_key={"BearerToken": TOKEN},
                                                 api_key_prefix={"BearerToken": "Bearer"})
            configuration.ssl_ca_cert = self.cas.a.ca
            async with client.ApiClient(configuration) as api_client:
                core, custom = client.CoreV1Api(api_client), client.CustomObjectsApi(api_client)
                owner = (await core.create_namespaced_pod(NS, pod("jupyter-alice"))).to_dict()
                owner["metadata"] = {"name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"]}
                await custom.create_namespaced_custom_object("sshpiper.com", "v1beta1", NS, "pipes",
                                                             pipe("ssh-jupyter-alice", owner))
                with self.assertRaises(client.ApiException) as refused:
                    # A dict body goes out as application/json-patch+json (select_header_content_type).
                    await custom.patch_namespaced_custom_object("sshpiper.com", "v1beta1", NS, "pipes",
                                                                "ssh-jupyter-alice", {"metadata": {"labels": {"a": "b"}}})
                await core.delete_namespaced_pod("jupyter-alice", NS, grace_period_seconds=0)
                self.assertTrue(wait_for(lambda: api.objects("pipes") == []))
                with self.assertRaises(client.ApiException) as missing:
                    await custom.delete_namespaced_custom_object("sshpiper.com", "v1beta1", NS, "pipes", "ssh-jupyter-alice")
                return refused.exception.status, missing.exception.status

        with FakeKubeApi(tls=self.cas.a.server, token=TOKEN, namespace=NS, rbac=HUB_ROLE + PIPE_WRITER) as api:
            self.assertEqual(asyncio.run(run(api)), (400, 404))

    def spawn(self, api, then):
        """Run `then(spawner)` with a KubeSpawner configured as in the hub pod: in-cluster, with the
        service's address in the environment and the token and CA where the kubelet mounts them
        (here, where this test put them). k8s_api_host names this fake: load_config is cached."""
        import asyncio

        from kubernetes_asyncio.config import incluster_config
        from kubespawner import KubeSpawner
        from kubespawner.spawner import MockObject

        user = MockObject()
        user.name, user.id, user.url = "alice", 1, "/user/alice/"

        async def run():
            spawner = KubeSpawner(_mock=True, user=user, namespace=NS, start_timeout=10, api_token="t",
                                  oauth_client_id="jupyterhub-user-alice", delete_grace_period=1, k8s_api_host=api.url)
            try:
                return await then(spawner)
            finally:
                await KubeSpawner._stop_all_reflectors()

        host, port = api.url[len("https://"):].rsplit(":", 1)
        with mock.patch.dict(os.environ, KUBERNETES_SERVICE_HOST=host, KUBERNETES_SERVICE_PORT=port), \
                mock.patch.object(incluster_config, "SERVICE_TOKEN_FILENAME", os.path.join(self.directory, "token")), \
                mock.patch.object(incluster_config, "SERVICE_CERT_FILENAME", self.cas.a.ca):
            return asyncio.run(run())

    def test_kubespawner_starts_and_stops_a_pod_under_the_charts_role(self):
        def kubelet(pod):
            api.emit_event(pod["metadata"]["name"], "FailedMount", 'MountVolume.SetUp failed for volume "home"')
            return {"podIP": "127.0.9.1"}

        async def start_and_stop(spawner):
            url = await spawner.start()
            events = [e["reason"] for e in spawner.events]
            await spawner.stop()
            return url, events, spawner.pod_reflector.pods.get(f"{NS}/{spawner.pod_name}")

        with FakeKubeApi(tls=self.cas.a.server, token=TOKEN, namespace=NS, rbac=HUB_ROLE, kubelet=kubelet) as api:
            url, events, left = self.spawn(api, start_and_stop)
            deletes = [(path, query) for method, path, query, _ in api.requests if method == "DELETE"]
            self.assertEqual((url, left, api.objects("pods")), ("http://127.0.9.1:8888", None, []))
            self.assertIn("FailedMount", events)
            self.assertEqual(api.created("pods")[0]["metadata"]["name"], "jupyter-alice")
            self.assertEqual(deletes, [(f"{PODS}/jupyter-alice", {"gracePeriodSeconds": "1"})])
            self.assertEqual(api.errors, [])

    def test_kubespawner_cannot_spawn_when_the_role_lacks_events(self):
        from kubernetes_asyncio.client import ApiException

        async def start(spawner):
            with self.assertRaises(ApiException) as refused:
                await spawner.start()
            return refused.exception.status

        with FakeKubeApi(tls=self.cas.a.server, token=TOKEN, namespace=NS, rbac=HUB_ROLE[:1],
                         kubelet=running_at("127.0.9.1")) as api:
            self.assertEqual(self.spawn(api, start), 403)
            self.assertEqual(api.objects("pods"), [])

if __name__ == "__main__":
    unittest.main()
