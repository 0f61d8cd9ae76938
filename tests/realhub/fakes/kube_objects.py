"""What the Kubernetes API server does to objects and requests, as pure functions, for the fake API
server in kube_api.py: Status errors, selectors, patches, the registries' and admission plugins'
defaults, and validation. Standard library only. Sources (kubernetes/kubernetes) are cited where
each rule is; messages are worded as upstream words them, since clients and people read them.
"""

import base64
import binascii
import copy
import datetime
import json
import random
import re

NODE = "fake-node"
TOKEN_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
POD_FIELDS = ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
              "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName")
EVENT_FIELDS = ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                "reason", "reportingComponent", "source", "type")
# apimachinery/pkg/util/validation/validation.go and api/validate/content: the formats and the
# messages as RegexError words them (its "',  or '" with two spaces included).
NAME_RULES = {
    "subdomain": (253, r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
                  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character", ("example.com",)),
    "dns1035": (63, r"[a-z]([-a-z0-9]*[a-z0-9])?", "a DNS-1035 label must consist of lower case alphanumeric "
                "characters or '-', start with an alphabetic character, and end with an alphanumeric character",
                ("my-name", "abc-123")),
    "label value": (63, r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", "a valid label must be an empty string or "
                    "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    "character", ("MyValue", "my_value", "12345")),
}


class ApiError(Exception):
    """A metav1.Status failure (apimachinery/pkg/api/errors/errors.go); empty details are omitted."""

    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.status = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                       "message": message, "reason": reason, "code": code}
        if details is not None:
            self.status["details"] = {k: v for k, v in details.items() if v not in ("", None)}


def qualified(group, plural):
    return f"{plural}.{group}" if group else plural


def not_found(group, plural, name):
    return ApiError(404, "NotFound", f'{qualified(group, plural)} "{name}" not found',
                    {"name": name, "group": group, "kind": plural})


def no_such_resource():
    """What the server answers for a path it does not serve (an unknown resource or subresource)."""
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def already_exists(group, plural, name):
    return ApiError(409, "AlreadyExists", f'{qualified(group, plural)} "{name}" already exists',
                    {"name": name, "group": group, "kind": plural})


def conflict(group, plural, name):
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {qualified(group, plural)} "{name}": the object '
                    "has been modified; please apply your changes to the latest version and try again",
                    {"name": name, "group": group, "kind": plural})


def forbidden(user, verb, group, resource, subresource, namespace, name):
    """responsewriters.Forbidden: forbiddenMessage inside NewForbidden."""
    target = resource + (f"/{subresource}" if subresource else "")
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    head = f'{qualified(group, resource)} "{name}"' if name else qualified(group, resource)
    return ApiError(403, "Forbidden", f'{head} is forbidden: User "{user}" cannot {verb} resource "{target}" in API '
                    f'group "{group}" {where}', {"name": name, "group": group, "kind": resource})


def invalid(kind, name, causes):
    """422 as NewInvalid words it; causes are (type, field, body) as field.Error gives them."""
    bodies = [f"{field}: {body}" for _, field, body in causes]
    aggregate = bodies[0] if len(bodies) == 1 else "[" + ", ".join(bodies) + "]"
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {aggregate}', {
        "name": name, "kind": kind, "causes": [{"reason": t, "message": b, "field": f} for t, f, b in causes]})


def now(offset=0.0):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def query_true(value):
    """apimachinery/pkg/runtime/conversion.go Convert_Slice_string_To_bool: only "0" and "false" are false."""
    return value is not None and value != "0" and value.lower() != "false"


def random_suffix(length=5):
    return "".join(random.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(length))  # names.SimpleNameGenerator


def dig(obj, dotted):
    for part in dotted.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


# --- selectors ------------------------------------------------------------------------------------

def parse_label_selector(text):
    """(key, op, values) requirements in labels.Parse's grammar (apimachinery/pkg/labels/selector.go)."""
    requirements = []
    for part in (p.strip() for p in re.split(r",(?![^()]*\))", text or "") if p.strip()):
        if match := re.fullmatch(r"(\S+?)\s+(in|notin)\s+\(([^)]*)\)", part):
            requirements.append((match[1], match[2], {v.strip() for v in match[3].split(",")}))
        elif match := re.fullmatch(r"([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)", part):
            requirements.append((match[1], "notin" if match[2] == "!=" else "in", {match[3]}))
        elif re.fullmatch(r"!?[A-Za-z0-9./_-]+", part):
            requirements.append((part.lstrip("!"), "!" if part.startswith("!") else "exists", set()))
        else:
            raise ApiError(400, "BadRequest", f"unable to parse requirement: {part}")
    return requirements


def labels_match(requirements, labels):
    checks = {"in": lambda k, v: k in labels and labels[k] in v, "notin": lambda k, v: labels.get(k) not in v,
              "exists": lambda k, v: k in labels, "!": lambda k, v: k not in labels}
    return all(checks[op](key, values) for key, op, values in requirements)


def selectable_fields(plural, obj):
    """The fields a field selector may name, and their values (each registry's ToSelectableFields:
    pkg/registry/core/pod/strategy.go, event/strategy.go, secret/strategy.go; generic ObjectMeta)."""
    fields = {"metadata.name": dig(obj, "metadata.name") or "", "metadata.namespace": dig(obj, "metadata.namespace") or ""}
    if plural == "pods":
        fields.update({f: str(dig(obj, f) or "") for f in POD_FIELDS})
        fields["spec.hostNetwork"] = "true" if dig(obj, "spec.hostNetwork") else "false"
    elif plural == "events":
        fields.update({f: str(dig(obj, f) or "") for f in EVENT_FIELDS})
        fields["source"] = dig(obj, "source.component") or obj.get("reportingComponent") or ""
    elif plural == "secrets":
        fields["type"] = obj.get("type", "")
    return fields


def parse_field_selector(text, plural):
    """(field, equal, value) terms (apimachinery/pkg/fields/selector.go); a field the registry does
    not expose is refused as ListResource refuses it (pkg/apis/core/v1/conversion.go)."""
    terms = []
    for part in (p for p in (text or "").split(",") if p):
        match = re.fullmatch(r"([^=!]+)(==|=|!=)(.*)", part)
        if not match:
            raise ApiError(400, "BadRequest", f"invalid selector: '{text}'; can't understand '{part}'")
        if match[1] not in selectable_fields(plural, {}):
            raise ApiError(400, "BadRequest", f"field label not supported: {match[1]}")
        terms.append((match[1], match[2] != "!=", match[3]))
    return terms


def fields_match(terms, plural, obj):
    fields = selectable_fields(plural, obj)
    return all((fields[name] == value) == equal for name, equal, value in terms)


# --- patches --------------------------------------------------------------------------------------

def merge_patch(target, patch):
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target, operations):
    """RFC 6902 add/replace/remove/test, as apiserver/pkg/endpoints/handlers/patch.go applies it: the
    body is first decoded strictly (fieldValidation defaults to Warn), so an object is a 400."""
    if not isinstance(operations, list):
        raise ApiError(400, "BadRequest", "error decoding patch: json: cannot unmarshal object into Go value of type "
                       "[]handlers.jsonPatchOp")
    doc = copy.deepcopy(target)
    for op in operations:
        *parents, last = [p.replace("~1", "/").replace("~0", "~") for p in op.get("path", "").split("/")[1:]]
        node = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        key = (len(node) if last == "-" else int(last)) if isinstance(node, list) else last
        present = key in node if isinstance(node, dict) else key < len(node)
        if op.get("op") in ("remove", "replace", "test") and not present:
            raise ApiError(422, "Invalid", "the server rejected our request due to an error in our request")
        if op.get("op") == "test" and node[key] != op.get("value"):
            raise ApiError(422, "Invalid", "the server rejected our request due to an error in our request")
        if op.get("op") == "remove":
            del node[key]
        elif op.get("op") == "replace" or (op.get("op") == "add" and isinstance(node, dict)):
            node[key] = op.get("value")
        elif op.get("op") == "add":
            node.insert(key, op.get("value"))
    return doc


# --- defaults on create (registry strategies, pkg/apis/core/v1/defaults.go, admission plugins) ----

def prepare_pods(pod):
    spec = pod.setdefault("spec", {})
    for field, default in (("restartPolicy", "Always"), ("terminationGracePeriodSeconds", 30),
                           ("dnsPolicy", "ClusterFirst"), ("securityContext", {}), ("schedulerName", "default-scheduler"),
                           ("enableServiceLinks", True), ("serviceAccountName", "default"), ("priority", 0),
                           ("preemptionPolicy", "PreemptLowerPriority")):
        spec.setdefault(field, default)
    spec["serviceAccount"] = spec["serviceAccountName"]
    # DefaultTolerationSeconds admission plugin.
    spec["tolerations"] = list(spec.get("tolerations") or []) + [
        {"key": f"node.kubernetes.io/{taint}", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        for taint in ("not-ready", "unreachable")]
    containers = spec.get("containers") or []
    for container in containers + (spec.get("initContainers") or []):
        image = container.get("image", "")
        untagged = ":" not in image.rsplit("/", 1)[-1] and "@" not in image
        container.setdefault("imagePullPolicy", "Always" if untagged or image.endswith(":latest") else "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        resources = container.setdefault("resources", {})
        if resources.get("limits"):  # SetDefaults_Pod: requests default to limits
            resources["requests"] = {**resources["limits"], **(resources.get("requests") or {})}
        for port in container.get("ports") or []:
            port.setdefault("protocol", "TCP")
    # plugin/pkg/admission/serviceaccount/admission.go: the token volume, unless the pod opts out.
    if spec.get("automountServiceAccountToken") is not False:
        volume = f"kube-api-access-{random_suffix()}"
        spec.setdefault("volumes", []).append({"name": volume, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1",
                                                                          "fieldPath": "metadata.namespace"}}]}}]}})
        for container in containers + (spec.get("initContainers") or []):
            if not any(m.get("mountPath") == TOKEN_MOUNT for m in container.get("volumeMounts") or []):
                container.setdefault("volumeMounts", []).append(
                    {"name": volume, "readOnly": True, "mountPath": TOKEN_MOUNT})
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(containers)}


def qos_class(containers):
    """pkg/apis/core/helper/qos, for cpu and memory."""
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get(side, {}).get(n) for r in resources for side in ("requests", "limits") for n in ("cpu", "memory")):
        return "BestEffort"
    if all(r.get("limits", {}).get(n) and r.get("requests", {}).get(n) == r["limits"][n]
           for r in resources for n in ("cpu", "memory")):
        return "Guaranteed"
    return "Burstable"


def prepare_services(service):
    spec = service.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec.get("clusterIP") != "None":
        spec["clusterIP"] = spec.get("clusterIP") or f"10.96.{random.randint(0, 255)}.{random.randint(1, 254)}"
    spec.update(clusterIPs=[spec["clusterIP"]], ipFamilies=["IPv4"], ipFamilyPolicy="SingleStack",
                internalTrafficPolicy=spec.get("internalTrafficPolicy", "Cluster"))
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    service["status"] = {"loadBalancer": {}}


def prepare_persistentvolumeclaims(claim):
    # StorageObjectInUseProtection admission plugin; the claim waits for a volume.
    finalizers = claim["metadata"].setdefault("finalizers", [])
    if "kubernetes.io/pvc-protection" not in finalizers:
        finalizers.append("kubernetes.io/pvc-protection")
    claim.setdefault("spec", {}).setdefault("volumeMode", "Filesystem")
    claim["status"] = {"phase": "Pending"}


def prepare_secrets(secret):
    """stringData is write-only: folded into base64 `data` (pkg/apis/core/v1/conversion.go)."""
    secret.setdefault("type", "Opaque")
    data = dict(secret.get("data") or {})
    for key, value in data.items():
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError):
            raise ApiError(400, "BadRequest", 'Secret in version "v1" cannot be handled as a Secret: illegal base64 '
                           "data at input byte 0") from None
    for key, value in (secret.pop("stringData", None) or {}).items():
        data[key] = base64.b64encode(value.encode()).decode()
    if data:
        secret["data"] = data


# --- validation (pkg/apis/core/validation, apimachinery/pkg/api/validation/objectmeta.go) -------

def _format_errors(rule, field, value):
    longest, pattern, message, examples = NAME_RULES[rule]
    errors = []
    if len(value) > longest:
        errors.append(("FieldValueInvalid", field, f"Invalid value: {json.dumps(value)}: must be no more than "
                                                   f"{longest} characters"))
    if not re.fullmatch(pattern, value):
        shown = "".join(("" if i == 0 else " or ") + f"'{e}', " for i, e in enumerate(examples))
        errors.append(("FieldValueInvalid", field, f"Invalid value: {json.dumps(value)}: {message} (e.g. {shown}regex "
                                                   f"used for validation is '{pattern}')"))
    return errors


def validate(obj, kind, plural, name_rule):
    meta = obj["metadata"]
    name = meta.get("name") or ""
    if not name:
        raise invalid(kind, name, [("FieldValueRequired", "metadata.name",
                                    "Required value: name or generateName is required")])
    causes = _format_errors(name_rule, "metadata.name", name)
    for value in (meta.get("labels") or {}).values():
        causes += _format_errors("label value", "metadata.labels", str(value))
    if plural == "pods":
        causes += _pod_errors(obj.get("spec") or {})
    if causes:
        raise invalid(kind, name, causes)


def _pod_errors(spec):
    errors, volumes = [], set()
    if not spec.get("containers"):
        errors.append(("FieldValueRequired", "spec.containers", "Required value"))
    for i, volume in enumerate(spec.get("volumes") or []):
        if volume.get("name") in volumes:
            errors.append(("FieldValueDuplicate", f"spec.volumes[{i}].name", f"Duplicate value: {json.dumps(volume['name'])}"))
        volumes.add(volume.get("name"))
    for group in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(group) or []):
            if not container.get("image"):
                errors.append(("FieldValueRequired", f"spec.{group}[{i}].image", "Required value"))
            paths = set()
            for j, mount in enumerate(container.get("volumeMounts") or []):
                where = f"spec.{group}[{i}].volumeMounts[{j}]"
                if mount.get("name") not in volumes:
                    errors.append(("FieldValueNotFound", f"{where}.name", f"Not found: {json.dumps(mount.get('name'))}"))
                if mount.get("mountPath") in paths:
                    errors.append(("FieldValueInvalid", f"{where}.mountPath",
                                   f"Invalid value: {json.dumps(mount['mountPath'])}: must be unique"))
                paths.add(mount.get("mountPath"))
    return errors


# --- pod status as the kubelet reports it ---------------------------------------------------------

def condition(kind, ok, moment):
    return {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None, "lastTransitionTime": moment}


def container_status(container, state):
    running = "running" in state
    return {"name": container["name"], "image": container.get("image", ""), "imageID": "", "ready": running,
            "started": running, "restartCount": 0, "state": state,
            **({"containerID": f"containerd://{random_suffix(12)}"} if running else {})}
