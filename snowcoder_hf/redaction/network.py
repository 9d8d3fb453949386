"""Email addresses and public IP addresses (IPv4, IPv6), with the checks that keep look-alikes in clear.

Kept in clear: reserved and placeholder domains (example.com, *.test, localhost, yourdomain.com), Python's
`a@b.T` and npm's `pkg@1.2.3`, private / loopback / link-local / reserved / documentation / multicast
addresses, public DNS resolvers, and dotted versions (`version="1.2.3.4"`, `pkg==1.2.3.4`, `Chrome/1.2.3.4`).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from snowcoder_hf.redaction.spans import Span

# Country-code TLDs plus the generic ones that carry real mail; a TLD outside the list is an attribute
# (`x@w.shape`) or a file name, not an address.
_CC_TLDS = """
ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz ca cc cd
cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk fm fo fr ga gb gd
ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg
kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv
mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa
sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug
uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
"""
_GENERIC_TLDS = """
com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat app dev ai io page
tech online site store cloud email company solutions agency digital network systems global world life live space
website blog news media studio design group team works zone today xyz top club shop link click fun icu vip work
wiki help support center services academy institute university school science software codes tools host hosting
security consulting ventures partners finance capital bank money ltd llc inc gmbh berlin london paris nyc tokyo
amsterdam wien swiss art build cafe city expert guru ninja rocks social systems tips foundation org mail me
"""
TLDS = frozenset(_CC_TLDS.split()) | frozenset(_GENERIC_TLDS.split())

# RFC 2606 / 6761 reserved names and the placeholder domains that documentation uses.
BUILTIN_EMAIL_DOMAINS = (
    "example.com", "example.org", "example.net", "example.edu", "example", "test", "invalid", "localhost",
    "local", "domain.com", "yourdomain.com", "mydomain.com", "yourcompany.com", "company.com", "email.com",
    "test.com", "foo.com", "bar.com", "foobar.com", "somewhere.com", "somedomain.com", "server.com",
    "noreply.github.com", "users.noreply.github.com",
)  # fmt: skip
BUILTIN_EMAIL_VALUES = frozenset({"git@github.com", "git@gitlab.com", "git@bitbucket.org", "git@ssh.dev.azure.com"})
BUILTIN_LOCAL_PARTS = frozenset({"noreply", "no-reply", "donotreply", "do-not-reply"})
# Public DNS resolvers: in every network tutorial and test, and nobody's personal address.
BUILTIN_IP_VALUES = frozenset(str(ipaddress.ip_address(a)) for a in (
    "8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220",
    "64.6.64.6", "64.6.65.6", "76.76.19.19", "76.223.122.150", "94.140.14.14", "94.140.15.15", "8.26.56.26",
    "8.20.247.20", "185.228.168.9", "185.228.169.9", "2001:4860:4860::8888", "2001:4860:4860::8844",
    "2606:4700:4700::1111", "2606:4700:4700::1001", "2620:fe::fe", "2620:fe::9",
))  # fmt: skip
# IANA's special-purpose IPv4 blocks plus multicast, as integer ranges (ipaddress's `is_global` walks a list
# of network objects per call, thirty times slower).
_NON_PUBLIC_IPV4 = tuple(
    (int(n.network_address), int(n.broadcast_address))
    for n in map(ipaddress.IPv4Network, (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    ))
)  # fmt: skip
_IPV6_DOCUMENTATION = ipaddress.ip_network("3fff::/20")  # RFC 9637, newer than some Pythons' tables

_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_AT_RE = re.compile(r"@(?=[A-Za-z0-9])")
_DOMAIN_RE = re.compile(r"((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}([A-Za-z]{2,24}))(?![A-Za-z0-9-])")
# The last three dotted numbers of an IPv4 address, not followed by more of a dotted run: starting at a dot
# lets the regex engine jump between dots (digits are everywhere in code); the first number is read in Python.
_IPV4_TAIL_RE = re.compile(r"\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(?![0-9A-Za-z_]|\.[0-9A-Za-z_])")
# Global unicast IPv6 is 2000::/3, so a public address starts with a four-digit group beginning 2 or 3.
_IPV6_RE = re.compile(r"[23][0-9A-Fa-f]{3}:[0-9A-Fa-f:.]{2,41}")
_IPV6_HINT_RE = re.compile(r":[0-9A-Fa-f]{0,4}:")  # every IPv6 address with three groups or `::` has one
_IPV4_LEFT_STOP = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.")
_IPV6_LEFT_STOP = _IPV4_LEFT_STOP | {":"}
_VERSION_CONTEXT_RE = re.compile(
    r"(?i:version|\bver|release|revision|\brev|firmware|\boid|objectidentifier|section|\bsec|rfc|chapter|§)"
    r"[\w-]*[\"'\]]?\s*(?:[:=]{1,2}|=>|\(|,)?\s*[(\[\"'v]*$"
    r"|(?:[=<>~!]=|[\^~])\s*[\"']?$"  # pip / npm specifiers
    r"|(?<![^\s(;])[A-Z][A-Za-z]+/$"  # user-agent product tokens: Chrome/1.2.3.4
    r"|[A-Za-z0-9]-$"  # name-1.2.3.4
)


def _domain_allowed(domain: str, allowed: tuple[str, ...]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in allowed)


def find_emails(text: str, allowed_domains: tuple[str, ...], builtin: bool) -> Iterator[Span]:
    for at in _AT_RE.finditer(text):
        i = at.start()
        start = i
        while start > 0 and text[start - 1] in _LOCAL_CHARS and i - start <= 64:
            start -= 1
        if i - start > 64 or i == start:
            continue  # a run too long for a local part, or nothing before the @ (decorators, npm scopes)
        while start < i and not text[start].isalnum():
            start += 1
        local = text[start:i]
        if not local or local.endswith(".") or ".." in local:
            continue
        if _in_url_authority(text, start):
            continue  # `scheme://user:pass@host` is a URL password, `scheme://user@host` a user name
        match = _DOMAIN_RE.match(text, i + 1)
        if match is None:
            continue
        domain, tld = match.group(1), match.group(2)
        if tld.lower() not in TLDS or not (tld.islower() or tld.isupper()):
            continue
        address = f"{local}@{domain}".lower()
        domain = domain.lower()
        if builtin and (
            address in BUILTIN_EMAIL_VALUES
            or local.lower() in BUILTIN_LOCAL_PARTS
            or _domain_allowed(domain, BUILTIN_EMAIL_DOMAINS)
        ):
            continue
        if _domain_allowed(domain, allowed_domains):
            continue
        yield Span("email", start, match.end(1), "email")


def _in_url_authority(text: str, start: int) -> bool:
    line_start = text.rfind("\n", max(0, start - 300), start) + 1
    head = text[max(line_start, start - 300) : start]
    scheme = head.rfind("://")
    return scheme >= 0 and not any(c.isspace() or c in "\"'<>/" for c in head[scheme + 3 :])


def _is_version_context(text: str, start: int) -> bool:
    line_start = text.rfind("\n", max(0, start - 48), start) + 1
    return bool(_VERSION_CONTEXT_RE.search(text, max(line_start, start - 48), start))


def _public_ipv4(value: str, octets: list[int], builtin: bool) -> bool:
    number = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
    if any(low <= number <= high for low, high in _NON_PUBLIC_IPV4):
        return False
    return not (builtin and value in BUILTIN_IP_VALUES)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address, builtin: bool) -> bool:
    if not address.is_global or address.is_multicast:
        return False
    if address.version == 6 and address in _IPV6_DOCUMENTATION:
        return False
    return not (builtin and str(address) in BUILTIN_IP_VALUES)


def find_ipv4(text: str, builtin: bool) -> Iterator[Span]:
    for tail in _IPV4_TAIL_RE.finditer(text):
        start = tail.start()
        while start > 0 and tail.start() - start < 3 and text[start - 1].isdigit():
            start -= 1
        if start == tail.start() or start > 0 and text[start - 1] in _IPV4_LEFT_STOP:
            continue
        value = text[start : tail.end()]
        octets = [int(o) for o in value.split(".")]
        if any(len(o) > 1 and o[0] == "0" for o in value.split(".")) or max(octets) > 255:
            continue
        if max(octets) < 16:
            continue  # section and version numbers (2.3.5.1), not addresses
        if not _public_ipv4(value, octets, builtin) or _is_version_context(text, start):
            continue
        yield Span("ip_address", start, tail.end(), "ipv4")


def find_ipv6(text: str, builtin: bool) -> Iterator[Span]:
    if not _IPV6_HINT_RE.search(text):
        return
    for match in _IPV6_RE.finditer(text):
        start, end = match.span()
        if start > 0 and text[start - 1] in _IPV6_LEFT_STOP:
            continue
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue  # a hex-looking prefix of a longer word
        candidate = match.group().rstrip(".")
        address = _parse_ipv6(candidate)
        if address is None and candidate.endswith(":") and not candidate.endswith("::"):
            candidate = candidate[:-1]  # "at 2a00:1450::1:" ends a sentence
            address = _parse_ipv6(candidate)
        if address is None or sum(1 for g in candidate.split(":") if g) < 3:
            continue
        if _public(address, builtin):
            yield Span("ip_address", start, start + len(candidate), "ipv6")


def _parse_ipv6(candidate: str) -> ipaddress.IPv6Address | None:
    try:
        return ipaddress.IPv6Address(candidate)
    except ValueError:
        return None
