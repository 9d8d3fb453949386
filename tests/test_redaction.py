"""Secrets and PII redaction: real-shaped files of many kinds, every detector, hard negatives, bad input, the block."""

from __future__ import annotations

import base64
import json
import pickle
import random
import re
import string
from pathlib import Path

import pytest
from datatrove.data import Document

from snowcoder_hf.pipeline import SecretsRedactor
from snowcoder_hf.redaction import RedactionConfig, Redactor
from snowcoder_hf.redaction.values import looks_random

DOCS_SNIPPET = Path(__file__).resolve().parents[1] / "docs" / "redaction.md"
B62 = string.ascii_letters + string.digits


def rand(alphabet: str, n: int, seed: int) -> str:
    """Random-looking secret material, built at run time so that no token-shaped literal sits in the repo."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


def b64url(obj: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


GITHUB = "ghp_" + rand(B62, 36, 1)
HF = "hf_" + rand(string.ascii_letters, 34, 2)
AWS_ID = "AKIA" + rand(string.ascii_uppercase + "234567", 16, 3)
AWS_SECRET = rand(B62 + "+/", 40, 4)
GOOGLE = "AIza" + rand(B62 + "_-", 35, 5)
STRIPE = "sk_live_" + rand(B62, 24, 6)
SLACK = f"xoxb-{rand(string.digits, 12, 7)}-{rand(string.digits, 13, 8)}-{rand(B62, 24, 9)}"
OPENAI = "sk-proj-" + rand(B62, 48, 10)
JWT = f"{b64url({'alg': 'HS256', 'typ': 'JWT'})}.{b64url({'sub': '1234', 'iat': 1716239022})}.{rand(B62, 43, 11)}"
GENERIC = rand(B62, 40, 12)
PASSWORD = "Xk9#mQ2v!Lp4"
PEM_BODY = "\n".join(rand(B62 + "+/", 64, 20 + i) for i in range(4))


def stat_totals(block) -> dict[str, float]:
    return {name: metric.total for name, metric in block.stats.stats.items()}


def redact(text: str, **kwargs) -> str:
    return Redactor().redact(text, **kwargs).text


def test_python_settings_keep_names_quotes_and_references():
    settings = f'''import os

DEBUG = False
SECRET_KEY = "{GENERIC}"
ALLOWED_HOSTS = ["app.example.com", "203.0.114.7", "10.0.0.5", "localhost"]
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "USER": "app",
        "PASSWORD": "{PASSWORD}",
        "HOST": os.environ.get("DB_HOST", "127.0.0.1"),
    }}
}}
EMAIL_HOST_PASSWORD = os.environ["EMAIL_HOST_PASSWORD"]
ADMINS = [("Jane Roe", "jane.roe@acme-corp.io")]
DEFAULT_FROM_EMAIL = "noreply@acme-corp.io"
AUTH_PASSWORD_VALIDATORS = [{{"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"}}]
'''
    out = redact(settings, language="Python")
    assert 'SECRET_KEY = "<KEY>"' in out
    assert '"PASSWORD": "<PASSWORD>",' in out
    assert '"203.0.114.7"' not in out
    assert '"<IP_ADDRESS>"' in out
    assert '"10.0.0.5"' in out
    assert '("Jane Roe", "<EMAIL>")' in out
    assert 'os.environ["EMAIL_HOST_PASSWORD"]' in out
    assert '"127.0.0.1"' in out
    assert "noreply@acme-corp.io" in out
    assert "MinimumLengthValidator" in out


def test_dotenv_values_are_redacted_and_placeholders_kept():
    env = f"""# local settings
DATABASE_URL=postgres://app:{PASSWORD}@db.internal.acme-corp.io:5432/app
DB_PASSWORD={PASSWORD}
GITHUB_TOKEN={GITHUB}
HF_TOKEN={HF}
STRIPE_SECRET_KEY={STRIPE}
REDIS_PASSWORD=${{REDIS_PASSWORD}}
ADMIN_PASSWORD=changeme
APP_VERSION=1.2.3.4
"""
    out = redact(env, path="deploy/.env")
    assert out.splitlines()[1:] == [
        "DATABASE_URL=postgres://app:<PASSWORD>@db.internal.acme-corp.io:5432/app",
        "DB_PASSWORD=<PASSWORD>",
        "GITHUB_TOKEN=<KEY>",
        "HF_TOKEN=<KEY>",
        "STRIPE_SECRET_KEY=<KEY>",
        "REDIS_PASSWORD=${REDIS_PASSWORD}",
        "ADMIN_PASSWORD=changeme",
        "APP_VERSION=1.2.3.4",
    ]


def test_yaml_compose_file_redacts_literals_only():
    compose = f"""version: "3.9"
services:
  db:
    image: postgres:16.2
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: {PASSWORD}
      PGDATA: /var/lib/postgresql/data
  worker:
    environment:
      - AWS_ACCESS_KEY_ID={AWS_ID}
      - AWS_SECRET_ACCESS_KEY={AWS_SECRET}
      - API_TOKEN="{{{{ vault_api_token }}}}"
    extra_hosts:
      - "mirror:151.101.0.223"
      - "gateway:172.17.0.1"
"""
    out = redact(compose, language="YAML")
    assert "POSTGRES_PASSWORD: <PASSWORD>" in out
    assert "AWS_ACCESS_KEY_ID=<KEY>" in out
    assert "AWS_SECRET_ACCESS_KEY=<KEY>" in out
    assert "{{ vault_api_token }}" in out
    assert "postgres:16.2" in out
    assert '"mirror:<IP_ADDRESS>"' in out
    assert "172.17.0.1" in out


def test_javascript_client_keeps_env_lookups():
    js = f"""// Maintainer: Priya Natarajan <priya.natarajan@fastmail.fm>
const firebaseConfig = {{
  apiKey: '{GOOGLE}',
  authDomain: 'demo-app.firebaseapp.com',
}};
const openai = new OpenAI({{ apiKey: process.env.OPENAI_API_KEY }});
const legacy = new OpenAI({{ apiKey: "{OPENAI}" }});
fetch("https://api.example.com/v1/items", {{
  headers: {{ Authorization: `Bearer {JWT}` }},
}});
"""
    out = redact(js, language="JavaScript")
    assert "<priya.natarajan" not in out
    assert "Maintainer: Priya Natarajan <<EMAIL>>" in out
    assert "apiKey: '<KEY>'," in out
    assert 'apiKey: "<KEY>"' in out
    assert "process.env.OPENAI_API_KEY" in out
    assert "Authorization: `Bearer <KEY>`" in out


def test_shell_script_with_curl_and_ssh():
    script = f"""#!/usr/bin/env bash
set -euo pipefail
export GITHUB_TOKEN="{GITHUB}"
curl -u deploy:{PASSWORD} https://ci.acme-corp.io/api/json
curl -H "Authorization: token {GITHUB}" https://api.github.com/user
curl -H "Authorization: Bearer $TOKEN" https://api.github.com/user
curl --user "$CI_USER:$CI_PASSWORD" https://ci.acme-corp.io/
mysql -h 10.1.2.3 -u root -p{PASSWORD} shop < dump.sql
ssh -i ~/.ssh/id_ed25519 ubuntu@198.51.99.14 'uptime'
ping -c 1 8.8.8.8
docker run -u 1000:1000 app
"""
    out = redact(script, language="Shell")
    assert 'export GITHUB_TOKEN="<KEY>"' in out
    assert "curl -u deploy:<PASSWORD> https://ci.acme-corp.io/api/json" in out
    assert '"Authorization: token <KEY>"' in out
    assert "Bearer $TOKEN" in out
    assert '"$CI_USER:$CI_PASSWORD"' in out
    assert "-p<PASSWORD> shop" in out
    assert "-h 10.1.2.3" in out
    assert "ubuntu@<IP_ADDRESS>" in out
    assert "ping -c 1 8.8.8.8" in out
    assert "-u 1000:1000" in out


def test_sql_dump_redacts_emails_and_passwords():
    dump = f"""-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
-- Host: 10.0.3.17    Database: shop
CREATE USER 'shop'@'%' IDENTIFIED BY '{PASSWORD}';
ALTER ROLE reporting WITH PASSWORD 'Qm7!vR2@pL9s';
INSERT INTO `customers` VALUES (1,'Ana','ana.silva@gmail.com','2023-04-01 10:22:13'),(2,'Bo','bo@example.com',NULL);
"""
    out = redact(dump, language="SQL")
    assert "IDENTIFIED BY '<PASSWORD>';" in out
    assert "WITH PASSWORD '<PASSWORD>';" in out
    assert "'<EMAIL>'" in out
    assert "bo@example.com" in out
    assert "Host: 10.0.3.17" in out
    assert "Distrib 8.0.36" in out


@pytest.mark.parametrize(
    "block",
    [
        "-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n",
        '{{"private_key": "-----BEGIN PRIVATE KEY-----\\n{escaped}\\n-----END PRIVATE KEY-----\\n"}}',
        'KEY = (\n    "-----BEGIN EC PRIVATE KEY-----\\n"\n    "{line0}\\n"\n    "{line1}\\n"\n    "-----END EC PRIVATE KEY-----\\n"\n)',
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n",  # footer lost: the base64 lines after the header go
    ],
)
def test_private_key_bodies_are_redacted_and_armor_kept(block):
    lines = PEM_BODY.split("\n")
    text = block.format(body=PEM_BODY, escaped="\\n".join(lines), line0=lines[0], line1=lines[1])
    result = Redactor().redact(text)
    assert [s.rule for s in result.spans] == ["private_key"]
    assert not any(line in result.text for line in lines)
    assert "PRIVATE KEY-----" in result.text
    assert "<KEY>" in result.text
    if "KEY = (" in text:  # a key written as joined string literals stays valid Python
        assert (
            result.text
            == 'KEY = (\n    "-----BEGIN EC PRIVATE KEY-----\\n"\n    "<KEY>\\n"\n    "-----END EC PRIVATE KEY-----\\n"\n)'
        )


def test_certificates_and_public_keys_stay():
    text = f"-----BEGIN CERTIFICATE-----\n{PEM_BODY}\n-----END CERTIFICATE-----\n"
    text += f"-----BEGIN PUBLIC KEY-----\n{PEM_BODY}\n-----END PUBLIC KEY-----\n"
    text += "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy@build-host\n"
    assert redact(text) == text


@pytest.mark.parametrize(
    ("token", "rule"),
    [
        (GITHUB, "github_token"),
        ("gho_" + rand(B62, 36, 30), "github_token"),
        ("ghs_" + rand(B62, 36, 31), "github_token"),
        ("github_pat_" + rand(B62, 22, 32) + "_" + rand(B62, 59, 33), "github_token"),
        (HF, "huggingface_token"),
        (AWS_ID, "aws_access_key_id"),
        (SLACK, "slack_token"),
        (
            "xoxp-" + rand(string.digits, 11, 34) + "-" + rand(string.digits, 12, 35) + "-" + rand(B62, 32, 36),
            "slack_token",
        ),
        (STRIPE, "stripe_key"),
        ("rk_test_" + rand(B62, 30, 37), "stripe_key"),
        (GOOGLE, "google_api_key"),
        (OPENAI, "openai_key"),
        ("sk-" + rand(B62, 20, 38) + "T3BlbkFJ" + rand(B62, 20, 39), "openai_key"),
        (JWT, "jwt"),
        ("npm_" + rand(B62, 36, 40), "npm_token"),
        ("glpat-" + rand(B62, 20, 41), "detect_secrets_git_lab_token"),
        ("SG." + rand(B62, 22, 42) + "." + rand(B62, 43, 43), "detect_secrets_send_grid"),
        ("pypi-AgEIcHlwaS5vcmc" + rand(B62, 80, 44), "detect_secrets_pypi_token"),
        ("SK" + rand(string.ascii_lowercase + string.digits, 32, 45), "detect_secrets_twilio_key"),
    ],
)
def test_vendor_tokens_are_keys_wherever_they_appear(token, rule):
    text = f"# rotate this: {token}\nclient = Client({token!r})\n"
    result = Redactor().redact(text)
    assert token not in result.text
    assert result.text == "# rotate this: <KEY>\nclient = Client('<KEY>')\n"
    assert {s.rule for s in result.spans} == {rule}


def test_slack_webhook_keeps_the_host():
    hook = f"https://hooks.slack.com/services/T{rand(string.ascii_uppercase, 8, 50)}/B{rand(string.ascii_uppercase, 8, 51)}/{rand(B62, 24, 52)}"
    assert redact(f'WEBHOOK = "{hook}"') == 'WEBHOOK = "https://hooks.slack.com/services/<KEY>"'


def test_aws_credentials_file_and_documented_example_keys():
    ini = f"[default]\naws_access_key_id = {AWS_ID}\naws_secret_access_key = {AWS_SECRET}\nregion = eu-west-1\n"
    assert redact(ini, path=".aws/credentials") == (
        "[default]\naws_access_key_id = <KEY>\naws_secret_access_key = <KEY>\nregion = eu-west-1\n"
    )
    docs = (
        "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    )
    assert redact(docs, path="README.md") == docs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("postgresql://app:{pw}@db.acme-corp.io/app", "postgresql://app:<PASSWORD>@db.acme-corp.io/app"),
        ("redis://:{pw}@cache.acme-corp.io:6379/0", "redis://:<PASSWORD>@cache.acme-corp.io:6379/0"),
        (
            "mongodb+srv://svc:{pw}@cluster0.ab1cd.mongodb.net",
            "mongodb+srv://svc:<PASSWORD>@cluster0.ab1cd.mongodb.net",
        ),
        ("https://user:${{GIT_PASSWORD}}@git.acme-corp.io/x.git", None),
        ("amqp://guest:guest@localhost:5672//", None),
        ("postgres://postgres:<password>@localhost/db", None),
        ("https://deploy@git.acme-corp.io/org/repo.git", None),
    ],
)
def test_url_passwords_keep_the_user_part(line, expected):
    text = line.format(pw=PASSWORD)
    assert redact(text) == (expected if expected is not None else text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Author: Lars Mikkelsen <lars.mikkelsen@uni-heidelberg.de>", "Author: Lars Mikkelsen <<EMAIL>>"),
        ("mailto:support+billing@shop-acme.co.uk?subject=x", "mailto:<EMAIL>?subject=x"),
        ("send to ANA.SILVA@GMAIL.COM.", "send to <EMAIL>."),
        ("contact user@example.com or admin@mail.example.org", None),
        ("root@localhost, dev@build.test, x@y.invalid", None),
        ("git@github.com:huggingface/datatrove.git", None),
        ("out = weights@inputs.T; y = a@b.shape", None),
        ("@property\ndef name(self): ...", None),
        ("npm install lodash@4.17.21 @babel/core@7.24.0", None),
        ("FROM python@sha256:5c9b1a0f", None),
        ("you@yourdomain.com, jane@company.com", None),
        ("12345+octocat@users.noreply.github.com", None),
    ],
)
def test_emails(text, expected):
    assert redact(text) == (expected if expected is not None else text)


@pytest.mark.parametrize(
    "address",
    ["10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1", "127.0.0.1", "169.254.169.254", "0.0.0.0",
     "255.255.255.255", "255.255.255.0", "100.64.0.1", "192.0.2.10", "198.51.100.7", "203.0.113.99",
     "224.0.0.251", "239.255.255.250", "240.1.2.3", "8.8.8.8", "1.1.1.1"],
)  # fmt: skip
def test_non_public_ipv4_addresses_stay(address):
    text = f'HOST = "{address}"\n'
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        'version = "1.2.3.4"',
        "__version__ = '10.20.30.40'",
        "requests==2.31.0.1",
        '[assembly: AssemblyVersion("1.0.0.0")]',
        "User-Agent: Mozilla/5.0 Chrome/120.0.61.99",
        "id_ce = univ.ObjectIdentifier('2.5.29.17')",
        "see section 13.2.3.1 of RFC 9110",
        "oid 1.3.6.1.4.1.311",
        "release-21.45.67.89 is out",
        "10.200.300.400",
        "01.02.03.04",
    ],
)
def test_version_strings_and_dotted_numbers_stay(text):
    assert redact(text) == text


def test_public_ipv4_in_many_syntaxes():
    text = "server 23.94.12.201;\nproxy_pass http://45.77.128.9:8080/;\nallow 185.199.108.0/22;\n'hosts': ['91.198.174.192']"
    out = redact(text)
    assert out == (
        "server <IP_ADDRESS>;\nproxy_pass http://<IP_ADDRESS>:8080/;\nallow <IP_ADDRESS>/22;\n'hosts': ['<IP_ADDRESS>']"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("listen [2a00:1450:4001:81b::200e]:443;", "listen [<IP_ADDRESS>]:443;"),
        ("AAAA 2606:4700:3033:0:0:0:ac43:b6a5", "AAAA <IP_ADDRESS>"),
        ("::1 localhost\nfe80::1ff:fe23:4567:890a%eth0", None),
        ("docs use 2001:db8::1 and 2001:db8:85a3::8a2e:370:7334", None),
        ("ula fd12:3456:789a:1::1", None),
        ("std::vector<int> v; a::b::c", None),
        ("mac 00:1a:2b:3c:4d:5e at 12:30:45", None),
        ("dns 2001:4860:4860::8888", None),
    ],
)
def test_ipv6(text, expected):
    assert redact(text) == (expected if expected is not None else text)


HARD_NEGATIVES = r"""
MAGIC = 0x5F3759DF
MASK = 0xFFFFFFFFFFFF0000
color = "#a1b2c3"
request_id = "123e4567-e89b-12d3-a456-426614174000"
NAMESPACE = uuid.UUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
"ClientRequestToken": "a8ca07e4-61ec-4399-99f4-19853801bcd5",
"NextToken": "AAMA-EFRSURBSGlNQk5pTVB2bU5GWk9QZz09",
expected_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
assert hashlib.md5(data).hexdigest() == "5d41402abc4b2a76b9719d911017c592"
sha1: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12
rev: 3b18e512dba79e4c8300dd08aeb37f8e728b8dad  # pre-commit
# fixed in 7a1c3e9f, see commit 4e2d1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e
"integrity": "sha512-Q6lsbfaGqQGd7hLvGF7e1OEXs8bHrz0bJ3HbrpHBnmZQqG5WOcv9mE94i5+0ARuRZQxNmGVYaKaZ7u4n2fYF5A=="
password_hash = "pbkdf2_sha256$600000$Kt3Qb9Zx$Zg1c0Vq8l7yXcQ=="
pad_token = "<pad>"; eos_token = "</s>"; bos_token = "<|endoftext|>"
max_tokens = 512
token_type = "Bearer"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SAMPLE_PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
fake_token = "dGhpcyBpcyBub3QgYSByZWFsIHRva2VuIGF0IGFsbA=="
mock_api_key = "AbC123dEf456GhI789jKl012MnO345pQ"
EXPECTED_SECRET = "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA="
dummy_password = "Xq9#Lm2$Vr"
"""


def test_hard_negatives_stay_untouched():
    assert redact(HARD_NEGATIVES, language="Python") == HARD_NEGATIVES


@pytest.mark.parametrize(
    "line",
    [
        'password = "changeme"',
        'password: "${DB_PASSWORD}"',
        'DB_PASSWORD="<password>"',
        'password = os.environ["DB_PASSWORD"]',
        'password = os.getenv("DB_PASSWORD")',
        "password: process.env.DB_PASSWORD,",
        'password: "{{ db_password }}"',
        "password = None",
        'password = ""',
        'PASSWORD = "********"',
        'api_key = "your-api-key-here"',
        'secret = "xxxxxxxxxxxxxxxxxxxxxxxx"',
        "login(user=user, password=password)",
        'password = input("Password: ")',
        "password = getpass.getpass()",
        "password = self.password",
        'token = f"{prefix}{suffix}"',
        'PASSWORD = "%(db_password)s"',
        "if password == 'hunter2':",
        'parser.add_argument("--password", help="the password")',
        'cl_pw = r"([0-9a-f]{64})"',
    ],
)
def test_placeholders_and_references_stay(line):
    text = line + "\n"
    assert redact(text, language="Python") == text


def test_unquoted_values_are_literals_in_config_but_references_in_code():
    assert redact("password = hunter2x\n", language="Python") == "password = hunter2x\n"
    assert redact("password = hunter2x\n", language="INI") == "password = <PASSWORD>\n"
    assert redact("password: hunter2x\n") == "password: <PASSWORD>\n"  # alone on its line: a config value
    # a random-looking unquoted value is a literal even in code
    assert redact(f"api_key = {GENERIC}\n", language="Python") == "api_key = <KEY>\n"


def test_setter_calls_and_xml_elements():
    java = f'ds.setPassword("{PASSWORD}");\nprops.setProperty("password", "{PASSWORD}");\n'
    assert (
        redact(java, language="Java") == 'ds.setPassword("<PASSWORD>");\nprops.setProperty("password", "<PASSWORD>");\n'
    )
    xml = f"<user>app</user><password>{PASSWORD}</password>"
    assert redact(xml, language="XML") == "<user>app</user><password><PASSWORD></password>"


def test_basic_auth_header_is_a_key():
    creds = base64.b64encode(b"deploy:s3cret").decode()
    assert redact(f'headers = {{"Authorization": "Basic {creds}"}}') == 'headers = {"Authorization": "Basic <KEY>"}'


def test_offsets_point_into_the_original_text():
    text = f'ADMIN = "ana.silva@gmail.com"\nTOKEN = "{GITHUB}"\nHOST = "23.94.12.201"\npassword = "{PASSWORD}"\n'
    result = Redactor().redact(text)
    assert [(s.kind, text[s.start : s.end]) for s in result.spans] == [
        ("email", "ana.silva@gmail.com"),
        ("key", GITHUB),
        ("ip_address", "23.94.12.201"),
        ("password", PASSWORD),
    ]
    rebuilt, position = [], 0
    for span in result.spans:
        rebuilt += [text[position : span.start], f"<{span.kind}>"]
        position = span.end
    placeholders = {"<email>": "<EMAIL>", "<key>": "<KEY>", "<ip_address>": "<IP_ADDRESS>", "<password>": "<PASSWORD>"}
    assert re.sub(r"<\w+>", lambda m: placeholders[m.group()], "".join(rebuilt) + text[position:]) == result.text


def test_config_selects_kinds_placeholders_and_allow_lists():
    text = f'owner = "ana.silva@gmail.com"  # at 23.94.12.201\ntoken = "{GITHUB}"\nops = "ops@corp.acme.io"\n'
    only_email = Redactor(kinds=["email"], allow_domains=["acme.io"]).redact(text).text
    assert only_email == f'owner = "<EMAIL>"  # at 23.94.12.201\ntoken = "{GITHUB}"\nops = "ops@corp.acme.io"\n'
    custom = Redactor(placeholders={"key": "[REDACTED]"}, allow_values=["23.94.12.201"]).redact(text).text
    assert 'token = "[REDACTED]"' in custom
    assert "23.94.12.201" in custom
    assert redact("x = 'me@example.com'") == "x = 'me@example.com'"
    assert Redactor(builtin_allow_list=False).redact("x = 'me@example.com'").text == "x = '<EMAIL>'"
    gitlab = "glpat-" + rand(B62, 20, 41)
    assert Redactor(detect_secrets_plugins=[]).redact(gitlab).text == gitlab


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kinds": ["emails"]}, "`kinds` must be a subset"),
        ({"kinds": "email"}, "must be a list of strings"),
        ({"placeholders": {"token": "<T>"}}, "`placeholders` keys"),
        ({"detect_secrets_plugins": ["KeywordDetector"]}, "`detect_secrets_plugins` must be among"),
        ({"max_records": -1}, "`max_records`"),
        ({"allow_value": ["x"]}, "unknown redaction keys ['allow_value']"),
    ],
)
def test_misconfigured_options_fail_with_a_clear_message(options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        RedactionConfig.from_dict(options)


def test_block_rewrites_text_records_offsets_and_counts():
    original = f'SECRET = "{GENERIC}"\nOWNER = "ana.silva@gmail.com"\nHOST = "23.94.12.201"\n'
    docs = [
        Document(text=original, id="a", metadata={"path": "app/settings.py", "language": "Python"}),
        Document(text="print('hello')\n", id="b", metadata={}),
    ]
    block = SecretsRedactor()
    out = list(block.run(iter(docs)))
    assert [d.id for d in out] == ["a", "b"]
    assert out[0].text == 'SECRET = "<KEY>"\nOWNER = "<EMAIL>"\nHOST = "<IP_ADDRESS>"\n'
    records = out[0].metadata["redactions"]
    assert [(r["kind"], original[r["start"] : r["end"]]) for r in records] == [
        ("key", GENERIC),
        ("email", "ana.silva@gmail.com"),
        ("ip_address", "23.94.12.201"),
    ]
    assert out[1].metadata["redactions"] == []
    assert out[1].text == "print('hello')\n"
    totals = stat_totals(block)
    assert {k: totals[k] for k in ("redacted_key", "redacted_email", "redacted_ip_address", "docs_redacted")} == {
        "redacted_key": 1,
        "redacted_email": 1,
        "redacted_ip_address": 1,
        "docs_redacted": 1,
    }
    assert totals["total"] == totals["forwarded"] == 2


def test_block_passes_bad_input_through_and_counts_it():
    binary = "\x00\x01\x02ELF\x00" * 100 + f" token={GITHUB} "
    docs = [
        Document(text="", id="empty"),
        Document(text=binary, id="binary"),
        Document(text=b"password = 'x'", id="bytes"),  # type: ignore[arg-type]
        Document(text=None, id="none"),  # type: ignore[arg-type]
        Document(text="caf\udce9 owner=ana.silva@gmail.com", id="surrogates"),
    ]
    block = SecretsRedactor()
    out = {d.id: d for d in block.run(iter(docs))}
    assert list(out) == ["empty", "binary", "bytes", "none", "surrogates"]
    assert GITHUB not in out["binary"].text
    assert "<KEY>" in out["binary"].text
    assert out["bytes"].text == b"password = 'x'"
    assert out["bytes"].metadata["redaction_skipped"] == "non_str_text"
    assert out["surrogates"].text == "caf\udce9 owner=<EMAIL>"
    totals = stat_totals(block)
    assert totals["skipped_non_str_text"] == 2
    assert totals["empty_text"] == 1
    assert totals["binary_text"] == 1
    assert totals["forwarded"] == 5


def test_block_caps_its_records_but_redacts_everything():
    text = "".join(f"user{i}@acme-corp.io\n" for i in range(5))
    doc = Document(text=text, id="x")
    (out,) = SecretsRedactor(max_records=2).run(iter([doc]))
    assert out.text == "<EMAIL>\n" * 5
    assert len(out.metadata["redactions"]) == 2
    assert out.metadata["redactions_omitted"] == 3


def test_block_pickles_for_workers():
    block = pickle.loads(pickle.dumps(SecretsRedactor(kinds=["key"])))
    (doc,) = block.run(iter([Document(text=f"t = '{GITHUB}'", id="x")]))
    assert doc.text == "t = '<KEY>'"


def test_huge_document_is_redacted_in_one_linear_pass(stdlib_dir):
    code = "".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(stdlib_dir.glob("*.py"))[:60])
    secret_block = f'\nAPI_TOKEN = "{GITHUB}"\nOWNER = "ana.silva@gmail.com"\n'
    chunk = code + secret_block
    copies = 20_000_000 // len(chunk) + 1
    text = chunk * copies
    assert len(text) >= 20_000_000
    spans = Redactor().find(text, language="Python")
    assert sum(text[s.start : s.end] == GITHUB for s in spans) == copies
    assert sum(text[s.start : s.end] == "ana.silva@gmail.com" for s in spans) == copies


PATHOLOGICAL = {
    "at signs": "a@" * 250_000,
    "dotted labels": "x@" + "a." * 250_000,
    "dotted digits": "1." * 250_000,
    "hex and colons": "2001:" * 100_000 + ":" * 200_000,
    "jwt-like runs": "eyJ" * 170_000 + ".",
    "key headers without footers": "-----BEGIN RSA PRIVATE KEY-----\n" * 15_000,
    "assignments without values": "password = '" * 40_000,
    "escaped quotes": 'token = "' + "\\" * 500_000,
    "url authorities": "://a:" * 100_000,
    "token prefixes": "ghp_" * 60_000 + "xoxb-" * 40_000 + "sk-" * 60_000 + "AKIA" * 60_000,
    "one long identifier": "api_key: " + "A1b2" * 125_000,
    "command flags": "--password " * 45_000 + "mysql " * 40_000 + " -p",
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_lines_finish(name):
    text = PATHOLOGICAL[name]
    result = Redactor().redact(text)
    assert len(result.text) <= len(text) + 16 * len(result.spans)


def test_random_secrets_look_random_and_words_do_not():
    rng = random.Random(0)
    secrets = ["".join(rng.choice(B62) for _ in range(24)) for _ in range(500)]
    assert sum(map(looks_random, secrets)) >= 495
    words = ["ThisIsMySecretKey", "my-dev-secret-2024", "django.contrib.auth", "application/json", "SuperSecret1"]
    assert not any(map(looks_random, words))


def test_documented_snippet_runs_and_redacts(tmp_path):
    code = re.search(r"```python\n(.*?)```", DOCS_SNIPPET.read_text(), re.DOTALL).group(1)
    repo = tmp_path / "repos" / "webapp"
    repo.mkdir(parents=True)
    (repo / "settings.py").write_text(
        f'import os\n\nDEBUG = False\nSECRET_KEY = "{GENERIC}"\nADMIN_EMAIL = "ana.silva@gmail.com"\n'
        f'DATABASE_PASSWORD = os.environ["DATABASE_PASSWORD"]\nSUPPORT = "help@mycorp.example"\n'
    )
    code = code.replace('"my_repos"', repr(str(tmp_path / "repos"))).replace('"curated"', repr(str(tmp_path / "out")))
    exec(compile(code, str(DOCS_SNIPPET), "exec"), {})
    import gzip

    (path,) = (tmp_path / "out" / "files").glob("*.jsonl*")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as f:
        (record,) = [json.loads(line) for line in f]
    assert 'SECRET_KEY = "<KEY>"' in record["text"]
    assert 'ADMIN_EMAIL = "<EMAIL>"' in record["text"]
    assert 'os.environ["DATABASE_PASSWORD"]' in record["text"]
    assert "help@mycorp.example" in record["text"]
    assert [r["kind"] for r in record["metadata"]["redactions"]] == ["key", "email"]
    (stats_file,) = (tmp_path / "out" / "logs" / "stats").glob("*.json")
    (block_stats,) = [s for s in json.loads(stats_file.read_text()) if s["name"].endswith(SecretsRedactor.name)]
    assert block_stats["stats"]["redacted_key"] == 1
    assert block_stats["stats"]["redacted_email"] == 1


def _planted_docs(stdlib_dir, count=40, seed=3):
    from snowcoder_hf.redaction.planted import build_corpus

    hosts = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(stdlib_dir.glob("*.py"))[:count]]
    hosts += [(name, text) for name, text in (("compose.yaml", "services:\n  web:\n    image: nginx\n"),
                                                 ("setup.cfg", "[metadata]\nname = demo\n"),
                                                 ("run.sh", "#!/bin/sh\necho hi\n"),
                                                 ("package.json", '{\n  "name": "demo"\n}\n'))]  # fmt: skip
    return hosts, build_corpus(hosts, seed=seed)


def test_planted_corpus_records_where_each_value_went(stdlib_dir):
    hosts, docs = _planted_docs(stdlib_dir)
    assert [d.plants for d in docs] == [d.plants for d in _planted_docs(stdlib_dir)[1]]  # seeded
    for (name, host), doc in zip(hosts, docs, strict=True):
        assert doc.name == name
        remaining, position = [], 0
        for plant in doc.plants:
            assert plant.snippet_start <= plant.start < plant.end <= plant.snippet_end
            remaining.append(doc.text[position : plant.snippet_start])
            position = plant.snippet_end
        remaining.append(doc.text[position:])
        assert "".join(remaining).rstrip("\n") == host.rstrip("\n")  # the host text is untouched around the plants


def test_planted_secrets_are_redacted_and_planted_negatives_are_not(stdlib_dir):
    _, docs = _planted_docs(stdlib_dir)
    redactor = Redactor()
    kinds = set()
    for doc in docs:
        spans = redactor.find(doc.text, path=doc.name)
        for plant in doc.plants:
            overlapping = [s for s in spans if s.start < plant.end and plant.start < s.end]
            if plant.kind == "negative":
                assert not overlapping, (plant.subkind, doc.text[plant.snippet_start : plant.snippet_end])
            else:
                kinds.add(plant.kind)
                assert any(s.kind == plant.kind and s.start <= plant.start and plant.end <= s.end for s in spans), (
                    plant.subkind,
                    doc.text[plant.snippet_start : plant.snippet_end],
                )
    assert kinds == {"email", "ip_address", "key", "password"}


def test_shell_expansions_and_key_bodies_starting_with_base64_punctuation():
    assert redact('export DB_PASSWORD="${DB_PASSWORD:?missing}"\n', language="Shell") == (
        'export DB_PASSWORD="${DB_PASSWORD:?missing}"\n'
    )
    body = "+5fQbR39Q01UWwQhvtCZ2F5tafP38aKc6eFkmByyt7j2f5Rst6F3FrICvQgfR3Bd\n/pXxPpnEnqvF/Z13mWndVu/OyEmjXPKKLGFT+"
    text = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
    assert redact(text) == "-----BEGIN OPENSSH PRIVATE KEY-----\n<KEY>\n-----END OPENSSH PRIVATE KEY-----\n"
    js = f"const key = '-----BEGIN PRIVATE KEY-----\\n' +\n  '{PEM_BODY.splitlines()[0]}\\n' +\n  '-----END PRIVATE KEY-----';"
    assert (
        redact(js) == "const key = '-----BEGIN PRIVATE KEY-----\\n' +\n  '<KEY>\\n' +\n  '-----END PRIVATE KEY-----';"
    )


@pytest.mark.parametrize(
    ("path", "redacted"),
    [("deploy/.env.production", True), ("Dockerfile", True), ("conf/app.ini", True), ("ci/run.sh", True),
     ("app/settings.py", False), ("src/Main.java", False), ("notes/unknown.xyz", True)],
)  # fmt: skip
def test_the_path_tells_config_values_from_variables(path, redacted):
    text = "PASSWORD=hunter2x\n"  # alone on its line: a literal wherever the file type is not known code
    assert (redact(text, path=path) == "PASSWORD=<PASSWORD>\n") is redacted


def test_type_annotations_and_yaml_values_with_equals_signs():
    assert redact(f'    password: str = "{PASSWORD}"\n', language="Python") == '    password: str = "<PASSWORD>"\n'
    assert redact("  mysql_pwd: hifqdCl=M+141OJoB_\n", language="YAML") == "  mysql_pwd: <PASSWORD>\n"
