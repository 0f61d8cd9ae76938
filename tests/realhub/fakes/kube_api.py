"""A stand-in for the Kubernetes API server, for the real hub (KubeSpawner 7 over kubernetes_asyncio)
and the hub's own Python. Standard library only. Served over HTTPS; one bearer token; one
namespace's objects (others may be listed); a background "controllers" thread plays the scheduler,
the kubelet, the garbage collector and the PVC-protection controller.

What it follows (kubernetes/kubernetes, staging/src/k8s.io/... unless said; the API conventions doc,
github.com/kubernetes/community/contributors/devel/sig-architecture/api-conventions.md):
- Authentication (apiserver/pkg/authentication/request/bearertoken/bearertoken.go,
  endpoints/filters/authentication.go, pkg/kubeapiserver/authenticator/config.go): a wrong bearer
  token is 401 Status "Unauthorized"; no token at all is the anonymous user (anonymous auth is on
  by default, union.NewFailOnError), whom RBAC then refuses with 403.
- Authorization (endpoints/handlers/responsewriters/errors.go forbiddenMessage, apimachinery
  api/errors NewForbidden): `<resource>[.group] ["name"] is forbidden: User "system:serviceaccount:
  <ns>:<sa>" cannot <verb> resource "<resource>" in API group "<group>" in the namespace "<ns>"`.
  Verbs from the request as endpoints/request/requestinfo.go derives them (get/list/watch/create/
  update/patch/delete/deletecollection). `rbac` rules are a Role's: they apply in `namespace` only.
- Errors are metav1.Status bodies (apimachinery/pkg/api/errors/errors.go): NotFound `pods "x" not
  found`, AlreadyExists, Conflict, Invalid (422 with details.causes), BadRequest, Expired (410);
  a resource the server does not serve: 404 "the server could not find the requested resource".
- Query booleans as apimachinery/pkg/runtime/conversion.go reads them: only "0"/"false" are false
  (kubernetes_asyncio sends watch=True).
- Lists carry metadata.resourceVersion; items of built-in kinds carry no kind/apiVersion (custom
  objects' do). Watches (endpoints/handlers/watch.go, storage/cacher/cache_watcher.go): chunked,
  newline-delimited {type, object}; resourceVersion ""/"0" first sends ADDED for what exists, N
  sends what came after N, N older than the kept history: one ERROR event, 410 Expired (compact());
  an object that stops matching the selectors is sent as DELETED; timeoutSeconds ends the stream.
- Selectors: labels (apimachinery/pkg/labels/selector.go: =, ==, !=, in, notin, exists, !exists);
  fields (=, ==, !=) on the fields each registry exposes (pkg/registry/core/pod/strategy.go,
  event/strategy.go ToSelectableFields; secrets add `type`), others "field label not supported".
- Create (registry/rest/create.go, pkg/apis/core/validation): names checked as RFC 1123 subdomains
  (services: RFC 1035 labels), label values checked, generateName, namespace mismatch 400; pods get
  the registry's and admission's defaults (status Pending, restartPolicy, dnsPolicy, grace 30s,
  default tolerations, and the ServiceAccount plugin's kube-api-access-xxxxx token volume unless
  automountServiceAccountToken is false) and volume mounts must name a volume; secrets'
  stringData is folded into base64 data and never returned; PVCs get the pvc-protection finalizer.
- Update/patch: merge-patch (RFC 7386), json-patch (RFC 6902: add/replace/remove/test), strategic
  merge treated as merge-patch for built-in kinds and refused (415) for custom objects; a stale
  resourceVersion is 409 Conflict; custom objects need resourceVersion on PUT
  (apiextensions-apiserver customresource strategy, AllowUnconditionalUpdate false).
- Delete (registry/rest/delete.go BeforeDelete, registry/generic/registry/store.go Delete,
  pkg/registry/core/pod/strategy.go CheckGracefulDelete): a pod gets deletionTimestamp (MODIFIED),
  then goes (DELETED) after its grace period, at once for 0, unscheduled or finished pods; objects
  with finalizers wait for them; deleted pods, PVCs, services and custom objects are returned,
  others answer a Success Status. The garbage collector (pkg/controller/garbagecollector) deletes
  objects all of whose ownerReferences are gone and drops dangling ones from the others.
Not modelled: unknown-field pruning and its Warning headers, quantity canonicalization ("1000m"
stays "1000m"), strategic-merge list semantics, managedFields, quotas and LimitRanges, the
ServiceAccount's existence and other admission plugins, pod spec immutability, paging, bookmarks.
Interface: FakeKubeApi(host, port, tls=(cert, key), token, namespace, rbac, kubelet, gc); start/stop
or `with`; .url; .objects(plural, namespace=None); .created(plural) (bodies as POSTed); .requests
[(method, path, query, body)]; .emit_event(pod, reason, message); .update(plural, name, change);
.compact(); .errors (the fake's own failures; tests should assert it stays empty).
"""

import bisect
import heapq
import itertools
import json
import pickle
import random
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import kube_objects as rules
from kube_objects import NODE, ApiError
from loopback_server import Serving

# (group, plural) -> (version, kind, name rule): the built-in kinds the hub touches.
BUILTIN = {
    ("", "pods"): ("v1", "Pod", "subdomain"),
    ("", "events"): ("v1", "Event", "subdomain"),
    ("", "persistentvolumeclaims"): ("v1", "PersistentVolumeClaim", "subdomain"),
    ("", "secrets"): ("v1", "Secret", "subdomain"),
    ("", "services"): ("v1", "Service", "dns1035"),
    ("", "configmaps"): ("v1", "ConfigMap", "subdomain"),
}
# Registries with ReturnDeletedObject (pods, services, PVCs, custom objects); others answer a Status.
RETURNS_DELETED = {"pods", "persistentvolumeclaims", "services"}


def _copy(obj):
    """A deep copy of a stored object (plain data): a pickle round trip, which is copy.deepcopy's
    result in a quarter of its time. The fake copies each pod several times per change, and
    copy.deepcopy was most of the real-hub tier's own CPU."""
    return pickle.loads(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))


class FakeKubeApi:
    """The API server, its store, and the controllers that act on it (see the module docstring)."""

    def __init__(self, *, host="127.0.0.1", port=0, tls, token, namespace="jupyterhub", rbac=None, kubelet=None,
                 gc=True, service_account="hub", custom_resources=(("sshpiper.com", "v1beta1", "pipes", "Pipe"),),
                 kubelet_delay=0.05, stop_seconds=0.2):
        self.token, self.namespace, self.rbac, self.kubelet, self.gc = token, namespace, rbac, kubelet, gc
        self.kubelet_delay = kubelet_delay
        # How long a server's containers take to exit on SIGTERM. The grace period is only the
        # most the kubelet waits before SIGKILL (pkg/kubelet/kuberuntime/kuberuntime_container.go
        # killContainer); once every container has exited, its status manager deletes the pod
        # (pkg/kubelet/status/status_manager.go, canBeDeleted). jupyter-server exits at once;
        # None: containers that ignore SIGTERM and hold out the whole grace period.
        self.stop_seconds = stop_seconds
        self.user = f"system:serviceaccount:{namespace}:{service_account}"
        self.resources = dict(BUILTIN)
        self.resources.update({(g, p): (v, k, "subdomain") for g, v, p, k in custom_resources})
        self.requests = []  # (method, path, query, body), in arrival order
        self._posted = []  # (plural, body as POSTed)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._objects = {}  # (group, plural, namespace, name) -> stored object
        # etcd's revision starts at 1 (server/storage/mvcc/kvstore.go NewStore, currentRev: 1), so no
        # list says "0": a watch from "0" means "from any state" and would skip what happened between.
        self._rv, self._oldest, self._history = 1, 1, []  # history: (rv, key, type, object, previous)
        self._seen = {}  # key -> its object as the history last recorded it (shared, never changed)
        self._timers, self._sequence, self._reconcile_due, self._stopping = [], itertools.count(), False, False
        self.errors = []  # the fake's own failures (controllers, kubelet, handlers): tests assert none

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self):
                connection, address = super().get_request()
                # The handshake happens in the handler's thread, on its first read.
                return context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address

            def handle_error(self, request, client_address):
                pass  # a client that went away mid-watch, or refused our certificate

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        self._server = Server((host, port), _Handler)
        self._server.fake = self
        self.url = f"https://{host}:{self._server.server_address[1]}"
        self._serving = Serving(self._server)
        self._controllers = threading.Thread(target=self._run_controllers, daemon=True)

    # --- lifecycle and what tests look at -----------------------------------------------------

    def start(self):
        self._serving.start()
        self._controllers.start()
        return self

    def stop(self):
        with self._lock:
            self._stopping = True
            self._changed.notify_all()
        self._serving.stop()
        self._server.server_close()
        self._controllers.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def objects(self, kind_plural, namespace=None, where=None):
        """Copies of the stored objects; `where(obj)`: only those it is true of."""
        with self._lock:
            return [_copy(o) for (_, p, ns, _), o in sorted(self._objects.items())
                    if p == kind_plural and namespace in (None, ns) and (where is None or where(o))]

    def created(self, kind_plural, where=None):
        """Copies of the bodies as POSTed; `where(body)`: only those it is true of."""
        return [_copy(body) for plural, body in list(self._posted) if plural == kind_plural and (where is None or where(body))]

    def compact(self):
        """Forget the watch history, as etcd compaction does: older resourceVersions get 410 Expired."""
        with self._lock:
            self._oldest, self._history = self._rv, []

    def update(self, kind_plural, name, change, namespace=None):
        """Change a stored object as a controller would (change(obj) mutates it); watchers see MODIFIED."""
        with self._lock:
            key = self._key(kind_plural, namespace or self.namespace, name)
            new = _copy(self._objects[key])
            change(new)
            self._write(key, new, "MODIFIED")

    def emit_event(self, pod_name, reason, message, type="Warning", namespace=None, component="kubelet"):
        """An Event about a pod as the kubelet records one (KubeSpawner shows them as spawn progress)."""
        with self._lock:
            pod = self._objects.get(("", "pods", namespace or self.namespace, pod_name))
            self._record_event(pod or {"metadata": {"name": pod_name, "namespace": namespace or self.namespace}},
                               reason, message, type, component)

    # --- the store ----------------------------------------------------------------------------

    def _key(self, plural, namespace, name):
        group = next(g for g, p in self.resources if p == plural)
        return (group, plural, namespace, name)

    def _write(self, key, obj, kind):
        """Store (or drop, for DELETED) with the next resourceVersion; watchers and controllers wake."""
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        if kind == "DELETED":
            del self._objects[key]
        else:
            self._objects[key] = obj
        # The history's copy of the object; the previous one is the copy recorded at its last change
        # (as stored then), so each change is copied once. Watchers only read them.
        snapshot = _copy(obj)
        self._history.append((self._rv, key, kind, snapshot, self._seen.get(key)))
        if kind == "DELETED":
            self._seen.pop(key, None)
        else:
            self._seen[key] = snapshot
        if not self._reconcile_due:
            self._reconcile_due = True
            self._after(0, self._reconcile)
        self._changed.notify_all()
        return obj

    def _after(self, delay, action):
        heapq.heappush(self._timers, (time.monotonic() + delay, next(self._sequence), action))
        self._changed.notify_all()

    def _run_controllers(self):
        with self._lock:
            while not self._stopping:
                if self._timers and self._timers[0][0] <= time.monotonic():
                    action = heapq.heappop(self._timers)[-1]
                    try:
                        action()
                    except Exception as error:  # a controller's mistake must show, not hang the test
                        self.errors.append(repr(error))
                    continue
                self._changed.wait(timeout=max(0, self._timers[0][0] - time.monotonic()) if self._timers else None)

    def _reconcile(self):
        """The garbage collector and the PVC-protection controller, after each change."""
        self._reconcile_due = False
        for key, obj in list(self._objects.items()):
            meta = obj["metadata"]
            if meta.get("deletionTimestamp") and key[1] == "persistentvolumeclaims" \
                    and "kubernetes.io/pvc-protection" in meta.get("finalizers", []) and not self._claim_in_use(key):
                self._drop_finalizer(key, "kubernetes.io/pvc-protection")
            elif self.gc and meta.get("ownerReferences"):
                solid = [ref for ref in meta["ownerReferences"] if self._owner_exists(key[2], ref)]
                if not solid:
                    self._delete(key, None)
                elif len(solid) < len(meta["ownerReferences"]):
                    self.update(key[1], key[3], lambda o: o["metadata"].__setitem__("ownerReferences", solid), key[2])

    def _owner_exists(self, namespace, ref):
        return any(ns == namespace and o.get("kind") == ref.get("kind") and o["metadata"]["name"] == ref.get("name")
                   and o["metadata"].get("uid") == ref.get("uid") for (_, _, ns, _), o in self._objects.items())

    def _claim_in_use(self, key):
        return any(k[1] == "pods" and k[2] == key[2] and rules.dig(pod, "status.phase") not in ("Succeeded", "Failed")
                   and any(rules.dig(v, "persistentVolumeClaim.claimName") == key[3] for v in pod["spec"].get("volumes") or [])
                   for k, pod in self._objects.items())

    def _drop_finalizer(self, key, finalizer):
        new = _copy(self._objects[key])
        new["metadata"]["finalizers"].remove(finalizer)
        self._write(key, new, "DELETED" if new["metadata"].get("deletionTimestamp")
                    and not new["metadata"]["finalizers"] else "MODIFIED")

    # --- what the registries do -----------------------------------------------------------------

    def _create(self, group, plural, namespace, body):
        version, kind, name_rule = self.resources[(group, plural)]
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", f"the body of the request was not a {kind}")
        obj = _copy(body)
        obj.update(apiVersion=f"{group}/{version}" if group else version, kind=kind)
        meta = obj.setdefault("metadata", {})
        if meta.get("namespace", namespace) != namespace:
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + rules.random_suffix()
        for system in ("uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
            meta.pop(system, None)
        meta.update(namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=rules.now())
        if group:
            meta["generation"] = 1
        prepare = None if group else getattr(rules, f"prepare_{plural}", None)
        if prepare:
            prepare(obj)
        rules.validate(obj, kind, plural, name_rule)
        key = (group, plural, namespace, meta["name"])
        if key in self._objects:
            raise rules.already_exists(group, plural, meta["name"])
        self._write(key, obj, "ADDED")
        if plural == "pods" and self.kubelet is not None:
            self._after(self.kubelet_delay, lambda: self._pod_step(key, meta["uid"], "schedule", None))
        return obj

    def _replace(self, key, new, kind, require_rv):
        """PUT and PATCH: the server keeps what clients may not change; a stale resourceVersion conflicts."""
        old = self._objects[key]
        group, plural, namespace, name = key
        meta = new.setdefault("metadata", {})
        if meta.get("name", name) != name:
            raise ApiError(400, "BadRequest", f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
        if meta.get("resourceVersion") is None and require_rv:
            raise rules.invalid(kind, name, [("FieldValueInvalid", "metadata.resourceVersion",
                                              "Invalid value: 0x0: must be specified for an update")])
        if meta.get("resourceVersion") not in (None, old["metadata"]["resourceVersion"]):
            raise rules.conflict(group, plural, name)
        for kept in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            meta.pop(kept, None)
            if kept in old["metadata"]:
                meta[kept] = old["metadata"][kept]
        meta.update(name=name, namespace=namespace)
        new.update(apiVersion=old["apiVersion"], kind=old["kind"])
        if plural == "pods":
            new["status"] = old.get("status", {})  # podStrategy.PrepareForUpdate: status only via pods/status
        if plural == "secrets":
            rules.prepare_secrets(new)
        if group and new.get("spec") != old.get("spec"):
            meta["generation"] = old["metadata"].get("generation", 1) + 1
        rules.validate(new, kind, plural, self.resources[(group, plural)][2])
        gone = meta.get("deletionTimestamp") and not meta.get("finalizers")
        return self._write(key, new, "DELETED" if gone else "MODIFIED")

    def _delete(self, key, grace):
        """store.go Delete after BeforeDelete: a pod is marked, then goes after its grace period (at
        once for 0); an object with finalizers is marked and waits; anything else goes at once."""
        obj = _copy(self._objects[key])
        meta = obj["metadata"]
        if key[1] == "pods":
            pending = meta.get("deletionGracePeriodSeconds") if meta.get("deletionTimestamp") else None
            if pending and (grace is None or grace >= pending):
                return obj  # already going; only a shorter grace period changes that
            if grace is None:
                grace = obj["spec"].get("terminationGracePeriodSeconds", 0) if pending is None else 0
            if not obj["spec"].get("nodeName") or rules.dig(obj, "status.phase") in ("Succeeded", "Failed"):
                grace = 0  # podStrategy.CheckGracefulDelete: unscheduled or finished pods go at once
            grace = 1 if grace < 0 else grace
            meta.update(deletionTimestamp=rules.now(grace), deletionGracePeriodSeconds=grace)
            self._write(key, obj, "MODIFIED")
            if grace > 0 or meta.get("finalizers"):
                uid = meta["uid"]
                exit_after = grace if meta.get("finalizers") or self.stop_seconds is None else min(grace, self.stop_seconds)
                self._after(exit_after, lambda: self._kubelet_removes(key, uid))
                return _copy(obj)
        elif meta.get("finalizers"):
            if not meta.get("deletionTimestamp"):
                meta.update(deletionTimestamp=rules.now(), deletionGracePeriodSeconds=0)
                self._write(key, obj, "MODIFIED")
            return _copy(obj)
        return self._write(key, _copy(self._objects[key]), "DELETED")  # no longer stored: the caller's own

    def _kubelet_removes(self, key, uid):
        pod = self._objects.get(key)
        if pod and pod["metadata"]["uid"] == uid and not pod["metadata"].get("finalizers"):
            self._write(key, _copy(pod), "DELETED")

    # --- the scheduler and the kubelet ----------------------------------------------------------

    def _pod_step(self, key, uid, stage, placed):
        """Bind the pod, ask `kubelet` for its address, then report it starting and running: one
        MODIFIED each, as the scheduler and kubelet status updates arrive."""
        pod = self._objects.get(key)
        if not pod or pod["metadata"]["uid"] != uid or pod["metadata"].get("deletionTimestamp"):
            return
        pod = _copy(pod)
        status, now = pod.setdefault("status", {}), rules.now()
        names = [c["name"] for c in pod["spec"]["containers"]]
        if stage == "schedule":
            pod["spec"]["nodeName"] = NODE
            status["conditions"] = [rules.condition("PodScheduled", True, now)]
            self._write(key, pod, "MODIFIED")
            self._record_event(pod, "Scheduled", f"Successfully assigned {key[2]}/{key[3]} to {NODE}", "Normal",
                               "default-scheduler")
            threading.Thread(target=self._ask_kubelet, args=(key, uid, _copy(pod)), daemon=True).start()
        elif stage == "start":
            status.update(hostIP=placed.get("hostIP", "172.18.0.2"), startTime=now, conditions=[
                rules.condition(kind, ok, now) for kind, ok in (("PodReadyToStartContainers", True), (
                    "Initialized", True), ("Ready", False), ("ContainersReady", False), ("PodScheduled", True))])
            status["hostIPs"] = [{"ip": status["hostIP"]}]
            status["containerStatuses"] = [rules.container_status(c, {"waiting": {"reason": "ContainerCreating"}})
                                           for c in pod["spec"]["containers"]]
            self._write(key, pod, "MODIFIED")
            for name in names:
                self._record_event(pod, "Created", f"Created container: {name}", "Normal", "kubelet")
                self._record_event(pod, "Started", f"Started container {name}", "Normal", "kubelet")
            self._after(self.kubelet_delay, lambda: self._pod_step(key, uid, "run", placed))
        else:
            status.update(phase="Running", podIP=placed["podIP"], podIPs=[{"ip": placed["podIP"]}],
                          conditions=[dict(c, status="True") for c in status["conditions"]])
            status["containerStatuses"] = [rules.container_status(c, {"running": {"startedAt": now}})
                                           for c in pod["spec"]["containers"]]
            self._write(key, pod, "MODIFIED")

    def _ask_kubelet(self, key, uid, pod):
        """The kubelet's answer, outside the store's lock (it may start a server); None: the pod
        never gets going and stays Pending."""
        time.sleep(self.kubelet_delay)
        try:
            placed = self.kubelet(pod)
        except Exception as error:
            placed = None
            self.errors.append(f"kubelet: {error!r}")
        if placed:
            with self._lock:
                self._after(0, lambda: self._pod_step(key, uid, "start", placed))

    def _record_event(self, pod, reason, message, type, component):
        """core/v1 Events as recorded: the scheduler's through events.k8s.io (eventTime set, the
        legacy timestamps null), the kubelet's through the legacy recorder (the other way round)."""
        meta, now = pod["metadata"], rules.now()
        legacy = component != "default-scheduler"
        event = {"metadata": {"name": f"{meta['name']}.{uuid.uuid4().hex[:16]}", "namespace": meta["namespace"]},
                 "involvedObject": {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"],
                                    "uid": meta.get("uid", ""), "apiVersion": "v1",
                                    "resourceVersion": meta.get("resourceVersion", "")},
                 "reason": reason, "message": message, "type": type, "source": {"component": component, "host": NODE}
                 if legacy else {}, "firstTimestamp": now if legacy else None, "lastTimestamp": now if legacy else None,
                 "eventTime": None if legacy else now.replace("Z", ".000000Z"),
                 "reportingComponent": component, "reportingInstance": NODE if legacy else f"{component}-{NODE}"}
        event.update(count=1) if legacy else event.update(action="Binding")
        self._create("", "events", meta["namespace"], event)

    # --- requests -------------------------------------------------------------------------------

    def _serve(self, handler, method, path, query, raw, content_type):
        """Authenticate, authorize, route (apiserver's filter chain, then the REST handlers)."""
        parts = handler.headers.get("Authorization", "").strip().split(" ")
        user = "system:anonymous"
        if len(parts) >= 2 and parts[0].lower() == "bearer" and parts[1]:
            if parts[1] != self.token:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            user = self.user
        info = _request_info(path)
        if info is None:
            raise ApiError(403, "Forbidden", f'forbidden: User "{user}" cannot {method.lower()} path "{path}"', {}) \
                if user != self.user else rules.no_such_resource()
        group, version, namespace, plural, name, sub = info
        watch = rules.query_true(query.get("watch"))
        verb = {"GET": "get" if name else "watch" if watch else "list", "POST": "create", "PUT": "update",
                "PATCH": "patch", "DELETE": "delete" if name else "deletecollection"}[method]
        if not self._allowed(user, verb, group, plural, sub, namespace, name):
            raise rules.forbidden(user, verb, group, plural, sub, namespace, name)
        if self.resources.get((group, plural), ("",))[0] != version or sub or (
                namespace is None and verb not in ("list", "watch")):
            raise rules.no_such_resource()
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as error:
                raise ApiError(400, "BadRequest", f"the body of the request could not be decoded: {error}") from None
        if verb in ("list", "watch", "deletecollection"):
            labels = rules.parse_label_selector(query.get("labelSelector"))
            fields = rules.parse_field_selector(query.get("fieldSelector"), plural)
            match = (lambda o: rules.labels_match(labels, o["metadata"].get("labels") or {})
                     and rules.fields_match(fields, plural, o))
            if watch and verb == "watch":
                return self._watch(handler, (group, plural, namespace), match, query)
            listed = self._list(group, plural, namespace, match)
            if verb == "deletecollection":  # the list of what was deleted
                with self._lock:
                    listed["items"] = [self._delete(key, None) for key in (
                        (group, plural, namespace, o["metadata"]["name"]) for o in listed["items"]) if key in self._objects]
            return 200, listed
        with self._lock:
            key = (group, plural, namespace, name)
            if verb == "create":
                self._posted.append((plural, body))  # parsed for this request alone; _create changes a copy
                return 201, self._create(group, plural, namespace, body)
            if key not in self._objects:
                raise rules.not_found(group, plural, name)
            if verb == "get":
                return 200, _copy(self._objects[key])
            if verb == "update":
                return 200, self._replace(key, body if isinstance(body, dict) else {}, self.resources[(group, plural)][1],
                                          require_rv=bool(group))
            if verb == "patch":
                return 200, self._patch(key, body, content_type)
            grace = query.get("gracePeriodSeconds", (body or {}).get("gracePeriodSeconds"))
            deleted = self._delete(key, None if grace is None else int(grace))
            if plural in RETURNS_DELETED or group:
                return 200, deleted
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": {
                "name": name, "kind": plural, "uid": deleted["metadata"]["uid"]}}

    def _allowed(self, user, verb, group, plural, sub, namespace, name):
        """RBAC over one Role's rules (plugin/pkg/auth/authorizer/rbac/rbac.go RuleAllows)."""
        if user != self.user:
            return False
        if self.rbac is None:
            return True
        target = plural + (f"/{sub}" if sub else "")
        return namespace == self.namespace and any(
            ({verb, "*"} & set(rule.get("verbs", []))) and ({group, "*"} & set(rule.get("apiGroups", [])))
            and ({target, "*"} & set(rule.get("resources", [])) or (sub and f"*/{sub}" in rule.get("resources", [])))
            and (not rule.get("resourceNames") or name in rule["resourceNames"]) for rule in self.rbac)

    def _patch(self, key, body, content_type):
        old = self._objects[key]
        kind = self.resources[key[:2]][1]
        if content_type == "application/json-patch+json":
            new = rules.json_patch(old, body)
        elif content_type == "application/merge-patch+json" or (content_type == "application/strategic-merge-patch+json"
                                                                and not key[0]):
            new = rules.merge_patch(old, body)  # strategic merge of lists is not modelled
        else:
            accepted = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            if not key[0]:
                accepted += ", application/strategic-merge-patch+json"
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format - accepted "
                           f"media types include: {accepted}")
        # The patched object keeps the stored resourceVersion unless the patch names one: a precondition.
        return self._replace(key, new, kind, require_rv=False)

    def _list(self, group, plural, namespace, match):
        version, kind, _ = self.resources[(group, plural)]
        with self._lock:
            items = [_copy(o) for (g, p, ns, _), o in sorted(self._objects.items())
                     if (g, p) == (group, plural) and namespace in (None, ns) and match(o)]
            rv = str(self._rv)
        if not group:  # items of built-in lists carry no kind/apiVersion; unstructured ones do
            for item in items:
                item.pop("kind", None), item.pop("apiVersion", None)
        return {"kind": f"{kind}List", "apiVersion": f"{group}/{version}" if group else version,
                "metadata": {"resourceVersion": rv}, "items": items}

    def _watch(self, handler, scope, match, query):
        """A chunked stream of events for `scope` (group, plural, namespace or None) after the
        requested resourceVersion, until timeoutSeconds (or the apiserver's 30-60 minutes) pass."""
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else 1800 * (1 + random.random())
        deadline, requested = time.monotonic() + timeout, query.get("resourceVersion", "")
        in_scope = (lambda key: key[:2] == scope[:2] and scope[2] in (None, key[2]))
        with self._lock:
            if requested in ("", "0"):
                since, pending = self._rv, [{"type": "ADDED", "object": _copy(o)}
                                            for key, o in sorted(self._objects.items()) if in_scope(key) and match(o)]
            elif not requested.isdigit():
                raise ApiError(400, "BadRequest", f'invalid resource version: strconv.ParseUint: parsing "{requested}": '
                               "invalid syntax")
            elif int(requested) < self._oldest:  # storage/cacher/watch_cache.go: NewResourceExpired
                since, pending = None, [{"type": "ERROR", "object": ApiError(410, "Expired", f"too old resource "
                                         f"version: {requested} ({self._oldest})").status}]
            else:
                since, pending = int(requested), []
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        try:
            while True:
                for event in pending:
                    line = json.dumps(event).encode() + b"\n"
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                handler.wfile.flush()
                if since is None:
                    break
                with self._lock:
                    while not self._stopping and time.monotonic() < deadline and self._rv <= since:
                        self._changed.wait(timeout=deadline - time.monotonic())
                    if self._stopping or self._rv <= since:
                        break
                    fresh = self._history[bisect.bisect_right(self._history, since, key=lambda entry: entry[0]):]
                    since = self._rv
                pending = [e for e in (_as_seen(entry, in_scope, match) for entry in fresh) if e]
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass  # the client hung up
        handler.close_connection = True


def _as_seen(entry, in_scope, match):
    """What a watcher with these selectors receives for one change (cache_watcher.go convertToWatchEvent):
    an object that stops matching arrives as DELETED, one that starts matching as ADDED."""
    rv, key, kind, obj, previous = entry
    if not in_scope(key):
        return None
    now_matches = kind != "DELETED" and match(obj)
    matched = previous is not None and match(previous)
    if now_matches:
        return {"type": "MODIFIED" if matched else "ADDED", "object": obj}
    if matched:
        return {"type": "DELETED", "object": dict(previous, metadata=dict(previous["metadata"], resourceVersion=str(rv)))}
    return None


def _request_info(path):
    """(group, version, namespace, plural, name, subresource) as endpoints/request/requestinfo.go reads a path."""
    parts = [p for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    return (group, version, namespace, rest[0], rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else "")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as the API server has it (Go's net package sets it on every TCP connection): with
    # Nagle's algorithm on, an answer's body waited for the client's delayed ACK of its headers.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def _handle(self):
        fake = self.server.fake
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            recorded = json.loads(raw) if raw else None
        except ValueError:
            recorded = raw
        fake.requests.append((self.command, url.path, query, recorded))
        content_type = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip()
        try:
            result = fake._serve(self, self.command, url.path, query, raw, content_type)
        except ApiError as error:
            result = error.status["code"], error.status
        except Exception as error:  # a bug in the fake: say so, as the apiserver's InternalError would
            fake.errors.append(repr(error))
            status = ApiError(500, "InternalError", f"Internal error occurred: {error!r}").status
            result = 500, status
        if result is not None:
            data = json.dumps(result[1]).encode()
            self.send_response(result[0])
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle
