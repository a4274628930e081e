"""Security events (issue: sign-in, failure, MFA change are logged).

Receivers only record what happened; they decide nothing.
"""

import ipaddress
import logging

from allauth.account import signals as account_signals
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import SecurityEvent, User

logger = logging.getLogger("csm_portal.security")


def _client(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    return request.META.get("REMOTE_ADDR"), request.META.get("HTTP_USER_AGENT", "")[:300]


def truncated_ip(ip: str | None) -> str:
    """The network of an address, not the address (IPv4 /24, IPv6 /48), for log lines: enough
    to see a burst from one network, not enough to identify a person."""
    if not ip:
        return "-"
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "?"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def record_security_event(
    kind: str, *, request: HttpRequest | None, user: User | None, identifier: str = ""
) -> SecurityEvent:
    """The details (address typed, IP, browser) go to the SecurityEvent row, kept
    SECURITY_EVENT_RETENTION_DAYS; the log line carries the user id and the IP's network only."""
    ip, agent = _client(request)
    identifier = identifier or (user.email if user else "")
    logger.info("security event %s user=%s ip=%s", kind, user.pk if user else "-", truncated_ip(ip))
    return SecurityEvent.objects.create(
        kind=kind, user=user, identifier=identifier[:254], ip_address=ip, user_agent=agent
    )


@receiver(auth_signals.user_logged_in)
def _logged_in(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    record_security_event(SecurityEvent.Kind.LOGIN, request=request, user=user)


@receiver(auth_signals.user_logged_out)
def _logged_out(sender: object, request: HttpRequest, user: User | None, **kwargs: object) -> None:
    if user is not None:
        record_security_event(SecurityEvent.Kind.LOGOUT, request=request, user=user)


@receiver(auth_signals.user_login_failed)
def _login_failed(
    sender: object, credentials: dict, request: HttpRequest | None = None, **kwargs: object
) -> None:
    identifier = str(credentials.get("email") or credentials.get("username") or "")
    user = User.objects.filter(email__iexact=identifier).first() if identifier else None
    record_security_event(
        SecurityEvent.Kind.LOGIN_FAILED, request=request, user=user, identifier=identifier
    )


@receiver(mfa_signals.authenticator_added)
def _mfa_added(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    record_security_event(SecurityEvent.Kind.MFA_ADDED, request=request, user=user)
    authenticator = kwargs.get("authenticator")
    if authenticator is not None and authenticator.type == authenticator.Type.TOTP:
        # Activating TOTP takes a valid code from the app: the second factor was passed in this
        # session (SPEC T4), as allauth records it for the sign-in's MFA stage.
        record_authentication(
            request, user, "mfa", id=authenticator.pk, type=authenticator.type, activated=True
        )


@receiver(mfa_signals.authenticator_removed)
def _mfa_removed(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    record_security_event(SecurityEvent.Kind.MFA_REMOVED, request=request, user=user)


@receiver(mfa_signals.authenticator_reset)
def _mfa_reset(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    record_security_event(SecurityEvent.Kind.MFA_RESET, request=request, user=user)


@receiver(account_signals.password_changed)
def _password_changed(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    record_security_event(SecurityEvent.Kind.PASSWORD_CHANGED, request=request, user=user)


@receiver(account_signals.password_reset)
def _password_reset(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    record_security_event(SecurityEvent.Kind.PASSWORD_RESET, request=request, user=user)
