"""A person's browser, as far as the hub can tell: cookies kept per host (as RFC 6265 keeps them,
less domain matching: each host here is its own site), forms posted with the `_xsrf` JupyterHub
puts in them, redirects followed by hand so each hop can be looked at. Public URLs (the hub's
https://<host>/…) go to where the proxy would send them: the hub's own port, since the fake
proxy does not forward traffic."""
import html.parser
import http.client
import json
import ssl
import urllib.parse


class Response:
    def __init__(self, status, headers, body, url):
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    @property
    def location(self):
        return self.headers.get("location")

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode("utf-8", "replace")


class FormParser(html.parser.HTMLParser):
    """The forms on a page: action, and every input/select's name -> values offered."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action"), "fields": {}, "radios": {}})
        elif tag == "input" and self.forms:
            name = attributes.get("name")
            if attributes.get("type") == "radio":
                self.forms[-1]["radios"].setdefault(name, []).append(attributes.get("value"))
            elif name:
                self.forms[-1]["fields"][name] = attributes.get("value", "")
        elif tag == "a" and attributes.get("href"):
            self.links.append((attributes.get("id"), attributes["href"]))


def parse_page(body):
    parser = FormParser()
    parser.feed(body.decode("utf-8", "replace"))
    return parser


class Browser:
    def __init__(self, hub_origin, public_origins, ca_file):
        """hub_origin: http://<hub address>:8081; public_origins: URL prefixes that reach the hub."""
        self.hub_origin = hub_origin
        self.public_origins = tuple(public_origins)
        self.cookies = {}  # host -> {name: value}
        self.ssl_context = ssl.create_default_context(cafile=ca_file)

    def _target(self, url):
        for origin in self.public_origins:
            if url.startswith(origin):
                return self.hub_origin + url[len(origin):], "hub"
        if url.startswith("/"):
            return self.hub_origin + url, "hub"
        return url, urllib.parse.urlsplit(url).netloc

    def request(self, method, url, *, form=None, body=None, headers=None):
        target, site = self._target(url)
        parts = urllib.parse.urlsplit(target)
        connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        kwargs = {"context": self.ssl_context} if parts.scheme == "https" else {}
        connection = connection_class(parts.hostname, parts.port, timeout=30, **kwargs)
        sent = dict(headers or {})
        jar = self.cookies.setdefault(site, {})
        if jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, path or "/", body=body, headers=sent)
        reply = connection.getresponse()
        data = reply.read()
        for name, value in reply.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if "max-age=0" in value.lower() or "expires=thu, 01 jan 1970" in value.lower():
                    jar.pop(key.strip(), None)
                else:
                    jar[key.strip()] = val.strip()
        connection.close()
        return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data, url)

    def follow(self, url, limit=10, **kwargs):
        """GET url and follow redirects; returns every hop's response, the last one last."""
        hops = [self.request("GET", url, **kwargs)]
        while hops[-1].status in (301, 302, 303, 307) and len(hops) <= limit:
            location = urllib.parse.urljoin(hops[-1].url, hops[-1].location)
            hops.append(self.request("GET", location))
        return hops

    def xsrf(self):
        return self.cookies.get("hub", {}).get("_xsrf", "")

    def api(self, method, path, body=None):
        """The hub's REST API with this browser's cookie, as the hub's own pages call it."""
        headers = {"X-XSRFToken": self.xsrf(), "Accept": "application/json"}
        return self.request(method, f"/hub/api{path}", body=body if body is not None else (b"" if method != "GET" else None), headers=headers)
