"""Who the receiving server says wrote a message (SPEC S10), from its Authentication-Results
headers (RFC 8601). Pure functions, no ORM.

Only headers whose authserv-id is the one configured on the mailbox count: anybody can write an
Authentication-Results header into the mail they send, and RFC 8601 §5 makes the receiving server
remove incoming ones that carry its own id. With no trusted id configured nothing counts.

The verdict is "pass" when the From domain is authenticated and aligned:
- if the trusted server reports DMARC (pass or not), DMARC decides: ``dmarc=pass`` whose
  ``header.from`` is the domain of our From (a different one means the server evaluated another
  From header, e.g. a message with two of them);
- without a DMARC result (or ``dmarc=none``: the domain publishes no policy), an ``spf=pass``
  whose ``smtp.mailfrom`` domain, or a ``dkim=pass`` whose ``header.d`` domain, is the From domain
  or a parent of it (relaxed alignment without a public-suffix list: the parent must itself have a
  dot, so ``d=example`` never aligns).
Any result found but not so: "fail". Nothing from the trusted server: "none".
"""

import re
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser

PASS = "pass"
FAIL = "fail"
NONE = "none"
METHODS = ("dmarc", "spf", "dkim")
_TOKEN = re.compile(r'\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)')


@dataclass(frozen=True)
class MethodResult:
    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        shown = {k: v for k, v in self.properties.items() if k in _SHOWN}
        return " ".join([f"{self.method}={self.result}", *(f"{k}={v}" for k, v in shown.items())])


_SHOWN = ("header.from", "header.d", "smtp.mailfrom")


@dataclass(frozen=True)
class Verdict:
    status: str  # pass / fail / none
    results: tuple[MethodResult, ...] = ()

    @property
    def summary(self) -> str:
        return "; ".join(str(result) for result in self.results)[:500]


def _strip_comments(value: str) -> str:
    """RFC 5322 comments (nested parentheses) removed, quoted strings kept."""
    out: list[str] = []
    depth = 0
    quoted = False
    escaped = False
    for char in value:
        if escaped:
            escaped = False
            if depth == 0:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if depth == 0:
                out.append(char)
            continue
        if quoted:
            quoted = char != '"'
            out.append(char)
            continue
        if char == '"' and depth == 0:
            quoted = True
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def parse_header(value: str) -> tuple[str, list[MethodResult]]:
    """One Authentication-Results value → (authserv-id, results of the methods we use)."""
    parts = [part.strip() for part in _strip_comments(value).split(";")]
    if not parts or not parts[0]:
        return "", []
    authserv_id = parts[0].split()[0].lower()  # an optional version number may follow
    results: list[MethodResult] = []
    for part in parts[1:]:
        pairs = [(k.lower(), v.strip('"')) for k, v in _TOKEN.findall(part)]
        if not pairs:
            continue
        method, result = pairs[0]
        method = method.split("/")[0]  # a method version ("dkim/1")
        if method not in METHODS:
            continue
        properties = {k: v.lower() for k, v in pairs[1:] if "." in k}
        results.append(MethodResult(method, result.lower(), properties))
    return authserv_id, results


def _domain(value: str) -> str:
    return value.rsplit("@", 1)[-1].strip().strip(".").lower()


def aligned(domain: str, from_domain: str) -> bool:
    domain, from_domain = _domain(domain), _domain(from_domain)
    if not domain or not from_domain:
        return False
    return domain == from_domain or ("." in domain and from_domain.endswith("." + domain))


def verdict(headers: list[str], trusted_authserv_id: str, from_address: str) -> Verdict:
    """SPEC S10: the authentication of ``from_address`` according to the trusted server."""
    trusted = trusted_authserv_id.strip().lower()
    if not trusted:
        return Verdict(NONE)
    results: list[MethodResult] = []
    for value in headers:
        authserv_id, found = parse_header(value)
        if authserv_id == trusted:
            results.extend(found)
    if not results:
        return Verdict(NONE)
    from_domain = _domain(from_address) if "@" in from_address else ""
    dmarc = [r for r in results if r.method == "dmarc" and r.result != NONE]
    if dmarc:
        ok = bool(from_domain) and all(
            r.result == PASS and _domain(r.properties.get("header.from", "")) == from_domain
            for r in dmarc
        )
        return Verdict(PASS if ok else FAIL, tuple(results))
    ok = any(
        r.result == PASS
        and (
            (r.method == "spf" and aligned(r.properties.get("smtp.mailfrom", ""), from_domain))
            or (r.method == "dkim" and aligned(r.properties.get("header.d", ""), from_domain))
        )
        for r in results
    )
    return Verdict(PASS if ok else FAIL, tuple(results))


def headers_of(raw: bytes) -> list[str]:
    """The Authentication-Results values of a raw message, top (most recent) first."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    return [" ".join(str(value).split()) for value in message.get_all("Authentication-Results", [])]
