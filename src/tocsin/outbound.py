"""Every outbound HTTP request Tocsin makes goes through a client made here (``guarded_client``):
notifications, paging providers, chat apps, status page webhooks, remediation calls and
Prometheus queries. docs/security.md ("Outbound requests") is the operator's view.

The guard sits where a connection is made (an httpcore network backend): the host is
resolved once, every address it resolves to is checked against the request's ``Rule``
(``outbound_rules``), and the connection goes to a checked address. The URL is left as it
is, so the ``Host`` header, TLS's server name and the certificate check are the host
name's, and a name that resolved to a public address cannot resolve to a private one when
connecting (DNS rebinding). A redirect, when a client follows them (at most
``max_redirects``), is a new request and is checked the same way.

Two kinds of destination (``Trust``), each with its own connection pool:

- ``CONFIGURED``: written in tocsin.yaml by an administrator (receivers, paging providers,
  Slack and Teams, Prometheus). Private and loopback addresses are allowed (receivers on
  the administrator's own network are the usual case); link-local and cloud metadata
  addresses are refused.
- ``USER``: chosen by a user (a personal webhook URL, a status page webhook subscriber).
  Only public addresses.

``TOCSIN_OUTBOUND_ALLOW`` (``Outbound.allow``) lists networks, addresses and host names
either may reach anyway. Remediation calls and status page webhooks bring rules of their
own (``Guard``).

Limits: a connect timeout, the caller's read and write timeouts, and one deadline for the
whole request (``total``, at least the request's own timeout; redirects included), checked
between reads so a server trickling its answer is cut; at most ``max_response_bytes`` of an
answer are read (after decompression, which Tocsin does itself for gzip and deflate so a
compressed bomb is cut too); a larger answer is ``TooLarge``, never read into memory.

Behind a proxy (``HTTPS_PROXY`` and the like, or a receiver's ``proxy_url``) the proxy
connects, not Tocsin: the target's host is checked if it is an IP address or a metadata
service's name, and the proxy's own rules decide where a name leads.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import httpcore
import httpx

from tocsin.outbound_rules import Allowlist, Rule, parse_ip
from tocsin.settings import Settings
from tocsin.tls import client_context

__all__ = [
    "ALLOW_SETTING",
    "TRUST",
    "Guard",
    "GuardedTransport",
    "Outbound",
    "Refused",
    "Resolver",
    "TooLarge",
    "Trust",
    "guarded_client",
    "system_resolver",
]

#: host, port -> the IP addresses it resolves to (raises OSError when it does not).
Resolver = Callable[[str, int], list[str]]
#: The setting that lists what any outbound request may reach.
ALLOW_SETTING = "TOCSIN_OUTBOUND_ALLOW"
#: A request extension: the ``Trust`` of this request's URL when it is not the client's
#: (a personal webhook sent with the paging providers' client).
TRUST = "tocsin.trust"
#: A request extension the transport keeps the request's deadline in (redirects share it).
_DEADLINE = "tocsin.deadline"
_HINT = f"; add it to {ALLOW_SETTING} to allow it"
#: Content encodings Tocsin asks for and decodes itself (within the size limit).
_ENCODINGS = "gzip, deflate"


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Refused(httpx.TransportError):
    """Not sent: the address may not be called (the message says why and how to allow it)."""


class TooLarge(httpx.TransportError):
    """The answer is larger than the limit; no more of it was read."""


class Trust(StrEnum):
    #: Written in tocsin.yaml by an administrator.
    CONFIGURED = "configured"
    #: Chosen by a user: a personal webhook, a status page subscriber's webhook.
    USER = "user"


@dataclass(frozen=True)
class Outbound:
    """The operator's settings for outbound requests (``TOCSIN_OUTBOUND_*``)."""

    allow: Allowlist = Allowlist()
    #: Seconds one request may take in all (at least its own timeout), redirects included.
    total: float = 30.0
    #: Seconds a connection may take (at most the request's timeout).
    connect: float = 10.0
    max_response_bytes: int = 1024 * 1024
    max_redirects: int = 5
    resolve: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Outbound:
        return cls(
            allow=Allowlist.parse(settings.outbound_allow),
            total=settings.outbound_timeout.total_seconds(),
            max_response_bytes=settings.outbound_max_response_bytes,
        )

    @classmethod
    def from_environment(cls) -> Outbound:
        """For clients made where no runtime is at hand (a receiver's own client, made when
        the configuration is read): the same settings, from the environment."""
        return cls.from_settings(Settings())

    def rule(self, trust: Trust) -> Rule:
        if trust is Trust.USER:
            return Rule(allow=self.allow, private_hint=_HINT, link_local_hint=_HINT)
        return Rule(private=True, allow=self.allow, link_local_hint=_HINT)

    def guard(self, trust: Trust) -> Guard:
        return Guard(self.rule(trust), self.resolve)


class Guard:
    """Resolves a host and checks every address it resolves to against ``rule``.
    ``resolve`` may be swapped (tests give names their own addresses)."""

    def __init__(self, rule: Rule, resolve: Resolver = system_resolver) -> None:
        self.rule = rule
        self.resolve = resolve

    def addresses(self, host: str, port: int, timeout: float | None = None) -> list[str]:
        """The addresses to connect to for ``host``, each checked. Raises ``Refused``, or
        ``httpx.ConnectError`` / ``ConnectTimeout`` when the name does not resolve (within
        ``timeout`` seconds)."""
        name = host.lower().rstrip(".").strip("[]")
        problem = self.rule.host_refusal(name)
        if problem is not None:
            raise Refused(problem)
        try:
            parse_ip(name)
        except ValueError:
            pass
        else:
            return [name]
        found = _lookup(self.resolve, name, port, timeout)
        if not found:
            raise Refused(f"{name} has no address")
        rule = self.rule
        if rule.allow.has_host(name):  # the operator trusts where it leads
            rule = replace(rule, private=True, link_local=True)
        for address in found:
            reason = rule.refusal(address)
            if reason is not None:
                raise Refused(reason)
        return found

    def problem(self, url: str, timeout: float = 5.0) -> str | None:
        """Why ``url`` may not be sent to, checked when it is given (it is checked again
        at each send), or None. A host that does not resolve now is let through."""
        try:
            parsed = httpx.URL(url)
            port = parsed.port or (443 if parsed.scheme == "https" else 80)
            self.addresses(parsed.host, port, timeout)
        except Refused as exc:
            return str(exc)
        except (httpx.HTTPError, httpx.InvalidURL, OSError, UnicodeError, ValueError):
            return None
        return None


def _lookup(resolve: Resolver, host: str, port: int, timeout: float | None) -> list[str]:
    """``resolve(host, port)``, waited for at most ``timeout`` seconds (a name lookup has no
    timeout of its own: it runs on a thread, abandoned when late)."""
    box: list[list[str] | BaseException] = []

    def work() -> None:
        try:
            box.append(resolve(host, port))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box.append(exc)

    if timeout is None:
        work()
    else:
        thread = threading.Thread(target=work, name="tocsin-lookup", daemon=True)
        thread.start()
        thread.join(timeout)
    if not box:
        raise httpx.ConnectTimeout(f"looking up {host} took longer than {timeout:g}s")
    found = box[0]
    if isinstance(found, BaseException):
        raise httpx.ConnectError(f"cannot resolve {host}: {found}") from found
    return found


class _Backend(httpcore.NetworkBackend):
    """Connects only to addresses ``guard`` checked, trying each in turn."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        self.inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        started = time.monotonic()
        failure: Exception | None = None
        for address in self.guard.addresses(host, port, timeout):
            left = None if timeout is None else max(0.001, timeout - (time.monotonic() - started))
            try:
                return self.inner.connect_tcp(address, port, left, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise Refused("outbound requests do not use Unix sockets")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


_MAPPED: dict[type[Exception], type[httpx.TransportError]] = {
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
}


@contextmanager
def _mapped() -> Iterator[None]:
    """httpcore's exceptions as httpx's (the most specific that matches)."""
    try:
        yield
    except Exception as exc:
        for cls in type(exc).__mro__:
            target = _MAPPED.get(cls)
            if target is not None:
                raise target(str(exc)) from exc
        raise


def _too_large(limit: int) -> TooLarge:
    return TooLarge(f"the answer is larger than {limit} bytes; not read further")


class _Inflater:
    """Decodes gzip or deflate, never more than asked for at a time."""

    def __init__(self, encoding: str) -> None:
        self.gzip = encoding in ("gzip", "x-gzip")
        self.inner: Any = zlib.decompressobj(zlib.MAX_WBITS | 16) if self.gzip else None

    def feed(self, data: bytes, most: int) -> bytes:
        try:
            if self.inner is None:  # deflate: zlib-wrapped as the RFC says, or raw
                self.inner = zlib.decompressobj()
                try:
                    return bytes(self.inner.decompress(data, most))
                except zlib.error:
                    self.inner = zlib.decompressobj(-zlib.MAX_WBITS)
            return bytes(self.inner.decompress(data, most))
        except zlib.error as exc:
            raise httpx.DecodingError(f"the answer does not decode: {exc}") from None

    def rest(self) -> bytes:
        return bytes(self.inner.flush()) if self.inner is not None else b""


class _Body(httpx.SyncByteStream):
    """An answer's body, read until ``limit`` bytes or the deadline, whichever first."""

    def __init__(
        self,
        response: httpcore.Response,
        limit: int,
        deadline: float,
        total: float,
        inflater: _Inflater | None,
    ) -> None:
        self.response = response
        self.limit = limit
        self.deadline = deadline
        self.total = total
        self.inflater = inflater

    def __iter__(self) -> Iterator[bytes]:
        stream = self.response.stream
        assert isinstance(stream, Iterable)
        seen = received = 0
        with _mapped():
            for chunk in stream:
                received += len(chunk)
                if time.monotonic() > self.deadline:
                    raise httpx.ReadTimeout(f"the answer did not finish within {self.total:g}s")
                if self.inflater is not None:
                    chunk = self.inflater.feed(chunk, self.limit - seen + 1)
                seen += len(chunk)
                if seen > self.limit or received > self.limit:
                    raise _too_large(self.limit)
                if chunk:
                    yield chunk
            if self.inflater is not None:
                tail = self.inflater.rest()
                if seen + len(tail) > self.limit:
                    raise _too_large(self.limit)
                if tail:
                    yield tail

    def close(self) -> None:
        self.response.close()


_Pool = httpcore.ConnectionPool | httpcore.HTTPProxy


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that connects only where its guards allow, within the limits.
    ``guards`` by ``Trust`` value; a request names its own with the ``TRUST`` extension."""

    def __init__(
        self,
        guards: Mapping[str, Guard],
        default: str,
        *,
        outbound: Outbound,
        verify: ssl.SSLContext,
        proxy: str | None = None,
        max_response_bytes: int | None = None,
    ) -> None:
        self.guards = dict(guards)
        self.default = default
        self.outbound = outbound
        self.verify = verify
        self.proxy = proxy
        self.limit = max_response_bytes or outbound.max_response_bytes
        self._pools: dict[tuple[str, str | None], _Pool] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        trust = str(request.extensions.get(TRUST, self.default))
        guard = self.guards.get(trust)
        if guard is None:
            raise Refused(f"no outbound rule {trust!r}")
        timeouts: dict[str, float | None] = dict(request.extensions.get("timeout") or {})
        longest = max((t for t in timeouts.values() if t is not None), default=0.0)
        total = max(self.outbound.total, longest)
        deadline = request.extensions.setdefault(_DEADLINE, time.monotonic() + total)
        left = deadline - time.monotonic()
        if left <= 0:
            raise httpx.ConnectTimeout(f"no answer within {total:g}s")
        phases = ("connect", "read", "write", "pool")
        capped = {k: left if timeouts.get(k) is None else min(left, timeouts[k]) for k in phases}
        proxy = self._proxy_for(request.url)
        if proxy is not None:
            problem = guard.rule.host_refusal(request.url.host)
            if problem is not None:
                raise Refused(problem)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"accept-encoding"]
        headers.append((b"Accept-Encoding", _ENCODINGS.encode()))
        extensions: dict[str, Any] = {"timeout": capped}
        for key in ("sni_hostname", "trace"):
            if key in request.extensions:
                extensions[key] = request.extensions[key]
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=headers,
            content=request.stream,
            extensions=extensions,
        )
        with _mapped():
            response = self._pool(trust, guard, proxy).handle_request(core)
        return self._response(response, deadline, total)

    def _response(
        self, response: httpcore.Response, deadline: float, total: float
    ) -> httpx.Response:
        headers = httpx.Headers(response.headers)
        encoding = headers.get("content-encoding", "").strip().lower()
        inflater = None
        if encoding not in ("", "identity"):
            if encoding not in ("gzip", "x-gzip", "deflate"):
                response.close()
                raise httpx.DecodingError(f"the answer is {encoding}-encoded, not asked for")
            inflater = _Inflater(encoding)
            del headers["content-encoding"]
            headers.pop("content-length", None)
        return httpx.Response(
            status_code=response.status,
            headers=headers,
            stream=_Body(response, self.limit, deadline, total, inflater),
            extensions=response.extensions,
        )

    def _proxy_for(self, url: httpx.URL) -> str | None:
        """The receiver's proxy, else the environment's (``HTTPS_PROXY``, ``NO_PROXY`` ...)."""
        if self.proxy is not None:
            return self.proxy
        proxies = urllib.request.getproxies_environment()
        proxy = proxies.get(url.scheme) or proxies.get("all")
        if not proxy or urllib.request.proxy_bypass(url.host):
            return None
        return proxy if "://" in proxy else f"http://{proxy}"

    def _pool(self, trust: str, guard: Guard, proxy: str | None) -> _Pool:
        with self._lock:
            pool = self._pools.get((trust, proxy))
            if pool is None:
                pool = self._new_pool(guard, proxy)
                self._pools[(trust, proxy)] = pool
            return pool

    def _new_pool(self, guard: Guard, proxy: str | None) -> _Pool:
        if proxy is None:
            return httpcore.ConnectionPool(
                ssl_context=self.verify,
                max_connections=100,
                max_keepalive_connections=20,
                keepalive_expiry=5.0,
                network_backend=_Backend(guard),
            )
        url = httpx.URL(proxy)
        if url.scheme not in ("http", "https"):
            raise Refused(f"proxy {url.scheme}:// is not supported (http:// or https://)")
        auth = (url.username, url.password) if url.username else None
        return httpcore.HTTPProxy(
            proxy_url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            proxy_auth=auth,
            ssl_context=self.verify,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )

    def close(self) -> None:
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.close()


def guarded_client(
    outbound: Outbound,
    *,
    trust: Trust = Trust.CONFIGURED,
    guard: Guard | None = None,
    timeout: float = 10.0,
    follow_redirects: bool = False,
    verify: ssl.SSLContext | None = None,
    proxy: str | None = None,
    max_response_bytes: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Client:
    """An httpx client whose every request is guarded and limited: to ``trust``'s
    destinations (or ``guard``'s, for every request, when given). ``timeout`` is each
    phase's (the connection's at most ``outbound.connect``)."""
    guards = {t.value: guard or outbound.guard(t) for t in Trust}
    transport = GuardedTransport(
        guards,
        trust.value,
        outbound=outbound,
        verify=verify or client_context(),
        proxy=proxy,
        max_response_bytes=max_response_bytes,
    )
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout, connect=min(timeout, outbound.connect)),
        follow_redirects=follow_redirects,
        max_redirects=outbound.max_redirects,
        headers={"User-Agent": "Tocsin", **(headers or {})},
        trust_env=False,
    )
