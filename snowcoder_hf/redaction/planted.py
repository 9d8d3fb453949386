"""A planted-secrets corpus: real files with secrets and hard negatives inserted at seeded lines, offsets recorded.

Each planted snippet is one or a few lines in the host file's own syntax (Python, JS, YAML, INI, shell, JSON,
text); `Plant.start` / `end` are the offsets of the planted value in the final text. Positives carry their
kind (`email`, `ip_address`, `key`, `password`) and a finer `subkind` (`github_token`, `url_password`, ...);
hard negatives have kind `negative` (hex constants, UUIDs, hashes, versions, reserved addresses, private IPs,
placeholder passwords, base64 fixtures, public keys) and must come out untouched.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

B62 = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
FAMILIES = {
    ".py": "python", ".js": "js", ".ts": "js", ".mjs": "js", ".cjs": "js", ".yaml": "yaml", ".yml": "yaml",
    ".cfg": "ini", ".ini": "ini", ".conf": "ini", ".toml": "toml", ".sh": "shell", ".bash": "shell",
    ".json": "json", ".md": "text", ".txt": "text", ".rst": "text",
}  # fmt: skip
COMMENT = {"python": "#", "js": "//", "yaml": "#", "ini": "#", "toml": "#", "shell": "#", "json": None, "text": ""}


@dataclass
class Plant:
    kind: str  # email | ip_address | key | password | negative
    subkind: str
    start: int  # the planted value, as offsets into the final text
    end: int
    snippet_start: int  # the inserted lines
    snippet_end: int


@dataclass
class PlantedDoc:
    id: str
    name: str  # a relative path with the host's suffix
    text: str
    plants: list[Plant] = field(default_factory=list)


# ---- values -----------------------------------------------------------------------------------------------------

_FIRST = (
    "ana", "lars", "priya", "wei", "omar", "sofia", "jonas", "mei", "tomas", "elena", "kofi", "ines", "yuki",
    "diego", "noor", "hanna", "ravi", "lucia"
)  # fmt: skip
_LAST = (
    "silva", "mikkelsen", "natarajan", "zhang", "haddad", "rossi", "becker", "tanaka", "novak", "ortiz", "mensah",
    "costa", "ito", "ramos"
)  # fmt: skip
_MAIL_DOMAINS = (
    "gmail.com", "outlook.com", "proton.me", "fastmail.fm", "yahoo.co.jp", "mail.ru", "web.de", "uni-heidelberg.de"
)  # fmt: skip
_ORG_WORDS = (
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "tyrell", "cyberdyne",
    "soylent", "nakatomi"
)  # fmt: skip
_TLDS = ("com", "io", "de", "fr", "co.uk", "net", "org", "dev", "ai", "nl")
_PASSWORD_CHARS = B62 + "!#$%^&*-_+=?.~"
_WORDS = (
    "sunflower", "dragon", "maple", "orbit", "falcon", "harbor", "velvet", "copper", "meadow", "tundra", "quartz",
    "ember"
)  # fmt: skip


def rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(_FIRST), rng.choice(_LAST)


def _domain(rng: random.Random) -> str:
    return f"{rng.choice(_ORG_WORDS)}-{rand(rng, string.ascii_lowercase, 3)}.{rng.choice(_TLDS)}"


def email_value(rng: random.Random) -> str:
    first, last = _person(rng)
    local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}{rng.randint(1, 99)}", f"{first}+ci"])
    return f"{local}@{rng.choice(_MAIL_DOMAINS) if rng.random() < 0.5 else _domain(rng)}"


def public_ipv4(rng: random.Random) -> str:
    while True:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global and not address.is_multicast:
            return str(address)


def public_ipv6(rng: random.Random) -> str:
    while True:
        groups = [rng.randint(0x2400, 0x2C0F)] + [rng.getrandbits(16) for _ in range(7)]
        if rng.random() < 0.5:
            groups[3:6] = [0, 0, 0]
        address = ipaddress.IPv6Address(":".join(f"{g:x}" for g in groups))
        if address.is_global:
            return address.compressed if rng.random() < 0.7 else address.exploded


def password_value(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"{rng.choice(_WORDS).capitalize()}{rng.randint(10, 9999)}{rng.choice('!#$%&*?')}"
    while True:
        value = rand(rng, _PASSWORD_CHARS, rng.randint(8, 20))
        # starting with `#`, `$` or `!` it would read as a comment, a variable or a YAML tag: people quote those
        if value[0].isalnum() and any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def _b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt_value(rng: random.Random) -> str:
    header = {"alg": rng.choice(["HS256", "RS256"]), "typ": "JWT"}
    payload = {"sub": str(rng.randint(10**5, 10**9)), "iat": rng.randint(1.6e9, 1.8e9), "scope": "read"}
    return f"{_b64url(header)}.{_b64url(payload)}.{rand(rng, B62 + '-_', 43)}"


def pem_lines(rng: random.Random) -> list[str]:
    body = base64.b64encode(rng.randbytes(rng.randint(180, 320))).decode()
    return [body[i : i + 64] for i in range(0, len(body), 64)]


KEY_VALUES: dict[str, Callable[[random.Random], str]] = {
    "aws_access_key_id": lambda r: "AKIA" + rand(r, string.ascii_uppercase + "234567", 16),
    "aws_secret_access_key": lambda r: rand(r, B62 + "+/", 40),
    "github_token": lambda r: r.choice(["ghp_", "gho_", "ghs_"]) + rand(r, B62, 36)
    if r.random() < 0.75 else f"github_pat_{rand(r, B62, 22)}_{rand(r, B62, 59)}",
    "huggingface_token": lambda r: "hf_" + rand(r, string.ascii_letters, 34),
    "slack_token": lambda r: f"{r.choice(['xoxb', 'xoxp'])}-{rand(r, string.digits, 12)}-{rand(r, string.digits, 13)}-"
    + rand(r, B62, 24),
    "stripe_key": lambda r: r.choice(["sk_live_", "rk_live_", "sk_test_"]) + rand(r, B62, r.choice([24, 99])),
    "google_api_key": lambda r: "AIza" + rand(r, B62 + "_-", 35),
    "openai_key": lambda r: "sk-proj-" + rand(r, B62 + "_-", 64)
    if r.random() < 0.6 else f"sk-{rand(r, B62, 20)}T3BlbkFJ{rand(r, B62, 20)}",
    "jwt": jwt_value,
    "generic_secret": lambda r: r.choice([rand(r, B62, r.randint(24, 64)), rand(r, HEX, r.choice([32, 40, 64])),
                                          rand(r, B62 + "+/", 40)]),
    "detect_secrets_vendor": lambda r: r.choice([
        "glpat-" + rand(r, B62, 20), f"SG.{rand(r, B62, 22)}.{rand(r, B62, 43)}",
        "pypi-AgEIcHlwaS5vcmc" + rand(r, B62, 90), "SK" + rand(r, string.ascii_lowercase + string.digits, 32),
    ]),
}  # fmt: skip

# ---- templates --------------------------------------------------------------------------------------------------
# `{v}` is the value (its offsets are recorded); `{v:indent}` indents its continuation lines by four spaces and
# `{v:escaped}` writes its newlines as `\n`. `{NAME}` / `{name}` / `{camel}` spell the subkind's variable name.

_ASSIGN = {
    "python": ['{NAME} = "{v}"', 'client = Client({name}="{v}")', 'config["{name}"] = "{v}"'],
    "js": ["const {camel} = '{v}';", '  {camel}: "{v}",', 'process.env.{NAME} = "{v}";'],
    "yaml": ["  {name}: {v}", '  {name}: "{v}"'],
    "ini": ["{name} = {v}", "{name}={v}"],
    "toml": ['{name} = "{v}"'],
    "shell": ["export {NAME}={v}", '{NAME}="{v}" ./deploy.sh'],
    "json": ['  "{name}": "{v}",'],
    "text": ["{NAME}={v}", "    {name}: {v}"],
}
_TOKEN_FREE = {  # prefix tokens need no name
    "python": ['gh = Github("{v}")', "# rotate {v} before the release"],
    "js": ['fetch(url, {{ headers: {{ Authorization: "Bearer {v}" }} }});'],
    "shell": ['curl -H "Authorization: Bearer {v}" https://api.{domain}/v1/me'],
    "yaml": ["  - {v}"],
    "text": ["Use the token `{v}` for CI."],
}
_NAMES = {
    "aws_access_key_id": ["aws_access_key_id", "AWS_ACCESS_KEY_ID", "accessKeyId"],
    "aws_secret_access_key": ["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "secretAccessKey"],
    "github_token": ["github_token", "GH_TOKEN", "token"],
    "huggingface_token": ["hf_token", "HUGGING_FACE_HUB_TOKEN", "token"],
    "slack_token": ["slack_bot_token", "SLACK_TOKEN"],
    "stripe_key": ["stripe_secret_key", "STRIPE_API_KEY", "api_key"],
    "google_api_key": ["google_api_key", "MAPS_API_KEY", "apiKey"],
    "openai_key": ["openai_api_key", "OPENAI_API_KEY", "api_key"],
    "jwt": ["access_token", "JWT_TOKEN", "auth_token"],
    "generic_secret": ["api_key", "client_secret", "SECRET_KEY", "auth_token", "webhook_secret", "apiKey",
                       "signing_key", "access_token", "API_SECRET"],
    "detect_secrets_vendor": ["gitlab_token", "SENDGRID_API_KEY", "pypi_token", "twilio_auth_token"],
    "password": ["password", "DB_PASSWORD", "db_pass", "passwd", "smtp_password", "adminPassword", "mysql_pwd"],
}  # fmt: skip

_EMAIL = {
    "python": ['__author__ = "{person} <{v}>"', "# Contact: {v}", 'ADMINS = [("{person}", "{v}")]'],
    "js": ["// Maintainer: {person} <{v}>", '  "author": "{person} <{v}>",'],
    "yaml": ["  email: {v}", "maintainer: {person} <{v}>"],
    "ini": ["author_email = {v}"],
    "toml": ['authors = [{{ name = "{person}", email = "{v}" }}]'],
    "shell": ['git config user.email "{v}"', "# questions: {v}"],
    "json": ['  "email": "{v}",'],
    "text": ["Reach {person} at <{v}>.", "INSERT INTO users VALUES (42, '{person}', '{v}', NOW());"],
}
_IP = {
    "python": ['HOST = "{v}"', 'sock.connect(("{v}", 443))', "# prod db at {v}"],
    "js": ["const server = 'http://{v}:8080';", "// blocked {v} after the incident"],
    "yaml": ["  host: {v}", '  - "{v}"'],
    "ini": ["server = {v}", "bind-address = {v}"],
    "toml": ['host = "{v}"'],
    "shell": ["ssh deploy@{v} 'uptime'", "curl -s http://{v}/healthz"],
    "json": ['  "ip": "{v}",'],
    "text": ["The server moved to {v} last week."],
}
_IPV6 = {
    "python": ['HOST = "{v}"'], "js": ["const server = 'http://[{v}]:8080';"], "yaml": ["  host: {v}"],
    "ini": ["server = {v}"], "shell": ["ping6 -c 1 {v}"], "json": ['  "ipv6": "{v}",'], "text": ["AAAA {v}"],
}  # fmt: skip
_URL_PASSWORD = {
    "python": ['DATABASE_URL = "postgresql://{user}:{v}@db.{domain}:5432/app"'],
    "js": ["const uri = 'mongodb+srv://{user}:{v}@cluster0.{domain}/prod';"],
    "yaml": ["  url: redis://{user}:{v}@cache.{domain}:6379/0"],
    "ini": ["sqlalchemy.url = mysql://{user}:{v}@{domain}/shop"],
    "shell": ["git clone https://{user}:{v}@git.{domain}/org/repo.git"],
    "json": ['  "dsn": "amqp://{user}:{v}@mq.{domain}:5672/",'],
    "text": ["DATABASE_URL=postgres://{user}:{v}@db.{domain}/app"],
}
_PEM = {
    "python": ['PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----\n{v}\n-----END RSA PRIVATE KEY-----\n"""'],
    "yaml": ["  tls_key: |\n    -----BEGIN PRIVATE KEY-----\n    {v:indent}\n    -----END PRIVATE KEY-----"],
    "json": ['  "private_key": "-----BEGIN PRIVATE KEY-----\\n{v:escaped}\\n-----END PRIVATE KEY-----\\n",'],
    "shell": ["cat > id_rsa <<'EOF'\n-----BEGIN OPENSSH PRIVATE KEY-----\n{v}\n-----END OPENSSH PRIVATE KEY-----\nEOF"],
    "*": ["-----BEGIN EC PRIVATE KEY-----\n{v}\n-----END EC PRIVATE KEY-----"],
}

_NEGATIVES: dict[str, dict[str, list[str]]] = {
    "hex_constant": {"*": ["{c} MAGIC = 0x{v}", "MASK = 0x{v}"], "js": ["const MASK = 0x{v};"]},
    "uuid": {"python": ['request_id = "{v}"', 'NAMESPACE = uuid.UUID("{v}")'], "json": ['  "id": "{v}",'],
             "yaml": ["  uuid: {v}"], "*": ["{c} trace {v}"]},
    "hash": {"python": ['expected_sha256 = "{v}"', 'assert hashlib.md5(data).hexdigest() == "{v}"'],
             "yaml": ["    rev: {v}", "  sha1: {v}"], "json": ['  "checksum": "{v}",'],
             "*": ["{c} fixed in commit {v}"]},
    "integrity": {"json": ['  "integrity": "sha512-{v}",'], "*": ["{c} integrity sha512-{v}"]},
    "version": {"python": ['__version__ = "{v}"', 'version = "{v}"', 'install_requires = ["somepkg=={v}"]'],
                "json": ['  "version": "{v}",'], "yaml": ["version: {v}"], "ini": ["version = {v}"],
                "js": ["const VERSION = '{v}';"], "*": ["{c} User-Agent: Mozilla/5.0 Chrome/{v}"]},
    "example_address": {"python": ['EMAIL = "{v}"'], "*": ["{c} contact {v}"], "yaml": ["  email: {v}"],
                        "json": ['  "email": "{v}",']},
    "private_ip": {"python": ['HOST = "{v}"'], "yaml": ["  host: {v}"], "ini": ["server = {v}"],
                   "shell": ["ssh admin@{v}"], "json": ['  "ip": "{v}",'], "*": ["{c} gateway {v}"]},
    "placeholder_password": {"*": ["{v}"]},
    "base64_fixture": {"python": ['SAMPLE_PNG_B64 = "{v}"', 'fake_token = "{v}"', 'EXPECTED_SIGNATURE = "{v}"',
                                  'mock_api_key = "{v}"', 'payload = base64.b64decode("{v}")'],
                       "json": ['  "thumbnail": "{v}",'], "*": ["{c} fixture: {v}"]},
    "public_key": {"*": ["-----BEGIN CERTIFICATE-----\n{v}\n-----END CERTIFICATE-----",
                         "ssh-ed25519 {v} deploy@build-host"]},
}  # fmt: skip
_PLACEHOLDER_PASSWORDS = {
    "python": ['password = "changeme"', 'password = os.environ["DB_PASSWORD"]', 'password = os.getenv("DB_PASSWORD")',
               'PASSWORD = "********"', 'api_key = "your-api-key-here"', 'DATABASE_URL = "postgres://app:${DB_PASS}@localhost/app"'],
    "js": ["  password: process.env.DB_PASSWORD,", "const token = '<YOUR_TOKEN>';"],
    "yaml": ['  password: "{{ vault_db_password }}"', "  password: ${POSTGRES_PASSWORD}", '  password: "<password>"'],
    "ini": ["password = changeme", "password = %(db_password)s"],
    "shell": ['export DB_PASSWORD="${DB_PASSWORD:?missing}"', 'curl -u "$CI_USER:$CI_TOKEN" https://ci.local/'],
    "json": ['  "password": "",', '  "password": null,'],
    "text": ["password: <password>", "API_KEY=your-api-key"],
}  # fmt: skip


def _negative_value(subkind: str, rng: random.Random, family: str) -> str:
    if subkind == "hex_constant":
        return rand(rng, "0123456789ABCDEF", rng.choice([8, 12, 16]))
    if subkind == "uuid":
        return str(uuid.UUID(bytes=rng.randbytes(16), version=4))
    if subkind == "hash":
        return rand(rng, HEX, rng.choice([32, 40, 64]))
    if subkind == "integrity":
        return base64.b64encode(rng.randbytes(64)).decode()
    if subkind == "version":
        top = 30 if rng.random() < 0.5 else 255
        return ".".join(str(rng.randint(0, top)) for _ in range(4))
    if subkind == "example_address":
        first, last = _person(rng)
        return rng.choice([f"{first}@example.com", f"{first}.{last}@example.org", f"{first}@localhost",
                           "ci@build.test", f"{last}@mail.example.net", f"{first}@corp.invalid"])  # fmt: skip
    if subkind == "private_ip":
        return rng.choice([
            f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}", "127.0.0.1", "0.0.0.0", "255.255.255.0",
            f"169.254.{rng.randint(0, 255)}.{rng.randint(1, 254)}", f"100.{rng.randint(64, 127)}.3.{rng.randint(1, 254)}",
            f"192.0.2.{rng.randint(1, 254)}", f"198.51.100.{rng.randint(1, 254)}", f"203.0.113.{rng.randint(1, 254)}",
            "::1", f"fe80::{rng.getrandbits(16):x}:{rng.getrandbits(16):x}", f"fd{rng.getrandbits(8):02x}:{rng.getrandbits(16):x}::1",
            f"2001:db8:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}",
        ])  # fmt: skip
    if subkind == "base64_fixture":
        return base64.b64encode(rng.randbytes(rng.choice([24, 48, 72]))).decode()
    if subkind == "public_key":
        return "\n".join(pem_lines(rng)) if rng.random() < 0.5 else "AAAAC3NzaC1lZDI1NTE5AAAAI" + rand(rng, B62, 43)
    raise ValueError(f"unknown negative subkind {subkind!r}")


POSITIVE_SUBKINDS: dict[str, str] = {
    "email": "email", "ipv4": "ip_address", "ipv6": "ip_address", "password": "password",
    "url_password": "password", "private_key": "key", **{name: "key" for name in KEY_VALUES},
}  # fmt: skip
NEGATIVE_SUBKINDS = tuple(_NEGATIVES)


def _names(name: str) -> dict[str, str]:
    words = name.replace("-", "_").split("_") if "_" in name else [name]
    camel = words[0].lower() + "".join(w.capitalize() for w in words[1:]) if "_" in name else name
    return {"NAME": name.upper() if "_" in name else name, "name": name.lower() if "_" in name else name,
            "camel": camel}  # fmt: skip


def _pick(table: dict[str, list[str]], family: str, rng: random.Random) -> str:
    return rng.choice(table.get(family) or table.get("*") or table.get("text") or table["python"])


def _render(template: str, value: str, fields: dict[str, str]) -> tuple[str, int, int]:
    """The snippet and the offsets of the value inside it."""
    for marker, shaped in (("{v:indent}", value.replace("\n", "\n    ")), ("{v:escaped}", value.replace("\n", "\\n")),
                           ("{v}", value)):  # fmt: skip
        if marker in template:
            before, after = template.split(marker, 1)
            before, after = before.format(**fields), after.format(**fields)
            return before + shaped + after, len(before), len(before) + len(shaped)
    snippet = template.format(**fields)
    return snippet, 0, len(snippet)


def make_snippet(kind: str, subkind: str, family: str, rng: random.Random) -> tuple[str, int, int]:
    """One planted snippet in `family`'s syntax: (text, value start, value end)."""
    first, last = _person(rng)
    fields = {"person": f"{first.capitalize()} {last.capitalize()}", "user": rng.choice(["app", "deploy", first]),
              "domain": _domain(rng), "c": COMMENT.get(family) or "#"}  # fmt: skip
    if kind == "negative":
        if subkind == "placeholder_password":
            return _render("{v}", _pick(_PLACEHOLDER_PASSWORDS, family, rng), fields)
        value = _negative_value(subkind, rng, family)
        return _render(_pick(_NEGATIVES[subkind], family, rng), value, fields)
    if subkind == "email":
        return _render(_pick(_EMAIL, family, rng), email_value(rng), fields)
    if subkind == "ipv4":
        return _render(_pick(_IP, family, rng), public_ipv4(rng), fields)
    if subkind == "ipv6":
        return _render(_pick(_IPV6, family, rng), public_ipv6(rng), fields)
    if subkind == "url_password":
        return _render(_pick(_URL_PASSWORD, family, rng), password_value(rng).replace("@", "%40"), fields)
    if subkind == "private_key":
        return _render(_pick(_PEM, family, rng), "\n".join(pem_lines(rng)), fields)
    if subkind == "password":
        value = password_value(rng)
    else:
        value = KEY_VALUES[subkind](rng)
    fields.update(_names(rng.choice(_NAMES[subkind])))
    free = subkind not in ("aws_secret_access_key", "generic_secret", "password") and rng.random() < 0.3
    template = _pick(_TOKEN_FREE if free else _ASSIGN, family, rng)
    return _render(template, value, fields)


def candidate_files(roots: list[Path], suffixes: tuple[str, ...], max_bytes: int) -> dict[str, list[Path]]:
    """Real files under `roots` with one of `suffixes` and 200 bytes to `max_bytes`, sorted, per suffix."""
    by_suffix: dict[str, list[Path]] = {s: [] for s in suffixes}
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.suffix in by_suffix and path.is_file() and not path.is_symlink():
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                if 200 <= size <= max_bytes:
                    by_suffix[path.suffix].append(path)
    return by_suffix


def sample_files(candidates: dict[str, list[Path]], suffix_quota: dict[str, int], seed: int) -> list[Path]:
    """A seeded sample of `suffix_quota[suffix]` files per suffix."""
    rng = random.Random(seed)
    chosen: list[Path] = []
    for suffix, quota in suffix_quota.items():
        files = list(candidates.get(suffix, ()))
        rng.shuffle(files)
        chosen += files[:quota]
    return chosen


def build_corpus(hosts: list[tuple[str, str]], seed: int = 0, plants_per_doc: tuple[int, int] = (1, 4),
                 negative_share: float = 0.5) -> list[PlantedDoc]:  # fmt: skip
    """Insert snippets into each `(name, text)` host at seeded line boundaries. Positives cycle through the four
    kinds, and within a kind through its subkinds, so every kind gets the same count; negatives likewise."""
    rng = random.Random(seed)
    by_kind: dict[str, list[str]] = {}
    for subkind, kind in POSITIVE_SUBKINDS.items():
        by_kind.setdefault(kind, []).append(subkind)
    kinds = sorted(by_kind)
    rng.shuffle(kinds)
    for subkinds in by_kind.values():
        rng.shuffle(subkinds)
    negatives = list(NEGATIVE_SUBKINDS)
    rng.shuffle(negatives)
    n_pos = n_neg = 0
    seen = dict.fromkeys(kinds, 0)
    docs = []
    for number, (name, text) in enumerate(hosts):
        family = FAMILIES.get(Path(name).suffix, "text")
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        inserts: list[tuple[int, str, str]] = []
        for _ in range(rng.randint(*plants_per_doc)):
            if rng.random() < negative_share:
                inserts.append((rng.randint(0, len(lines)), "negative", negatives[n_neg % len(negatives)]))
                n_neg += 1
            else:
                kind = kinds[n_pos % len(kinds)]
                subkind = by_kind[kind][seen[kind] % len(by_kind[kind])]
                seen[kind] += 1
                n_pos += 1
                inserts.append((rng.randint(0, len(lines)), kind, subkind))
        inserts.sort(key=lambda x: x[0])
        pieces, plants, position, line_no = [], [], 0, 0
        for at, kind, subkind in inserts:
            chunk = "".join(lines[line_no:at])
            pieces.append(chunk)
            position += len(chunk)
            line_no = at
            snippet, v_start, v_end = make_snippet(kind, subkind, family, rng)
            snippet += "\n"
            plants.append(Plant(kind, subkind, position + v_start, position + v_end, position, position + len(snippet)))
            pieces.append(snippet)
            position += len(snippet)
        pieces.append("".join(lines[line_no:]))
        docs.append(PlantedDoc(f"doc-{number:05d}", name, "".join(pieces), plants))
    return docs
