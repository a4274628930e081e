"""SPEC O2, T1, C5: the two logos (type by content, size, dimensions, SVG safety; served only
to their organisation as attachments) and the whitelisting confirmation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Organisation
from onboarding.models import Logo, WhitelistingConfirmation
from onboarding.userlist import logos
from tests.conftest import client_for
from tests.onboarding.userlist.conftest import png

pytestmark = pytest.mark.django_db
SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def post_logo(client, organisation, variant: str, name: str, data: bytes):
    return client.post(
        reverse("onboarding_logos", args=[organisation.pk]),
        {"variant": variant, "file": SimpleUploadedFile(name, data)},
    )


def logo_count(organisation) -> int:
    with scopes_disabled():
        return Logo.objects.filter(organisation=organisation).count()


@pytest.mark.parametrize(
    "svg, reason",
    [
        (f"<svg {SVG_NS}><script>alert(1)</script></svg>", "script"),
        (f'<svg {SVG_NS}><rect onclick="x()"/></svg>', "onclick"),
        (f"<svg {SVG_NS}><foreignObject><p>x</p></foreignObject></svg>", "foreignObject"),
        (f'<svg {SVG_NS}><image href="https://evil.example/x.png"/></svg>', "evil.example"),
        (f'<svg {SVG_NS}><use xlink:href="//evil.example/a.svg#x"/></svg>', "evil.example"),
        (f'<svg {SVG_NS}><rect style="fill:url(https://e.example/a)"/></svg>', "outside"),
        (f'<!DOCTYPE svg [<!ENTITY x "y">]><svg {SVG_NS}>&x;</svg>', "DOCTYPE"),
        ("<svg><unclosed></svg>", "well-formed"),
    ],
)
def test_o2_an_unsafe_svg_is_refused_with_the_reason(svg, reason):
    assert reason in logos.check_logo(svg.encode()).problem


def test_o2_a_safe_svg_with_internal_and_data_references_is_accepted():
    svg = (
        f'<svg {SVG_NS}><defs><g id="a"/></defs><use href="#a"/>'
        '<image href="data:image/png;base64,AA=="/></svg>'
    )
    check = logos.check_logo(svg.encode())
    assert check.problem == "" and check.content_type == "image/svg+xml"


def test_o2_the_type_comes_from_the_content_not_the_name():
    assert logos.check_logo(png(), max_bytes=10**6).content_type == "image/png"
    assert "PNG, JPEG or SVG" in logos.check_logo(b"GIF89a....").problem
    assert "damaged" in logos.check_logo(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20).problem


def test_o2_dimensions_and_size_are_checked():
    assert "pixels" in logos.check_logo(png(20, 20)).problem
    assert "pixels" in logos.check_logo(png(5000, 100)).problem
    assert "KB" in logos.check_logo(png(), max_bytes=10).problem
    assert logos.check_logo(png(300, 120)).width == 300


def test_o2_two_logos_are_uploaded_and_served_only_to_their_organisation(tenant_a, tenant_b):
    client = client_for(tenant_a.referent)
    post_logo(client, tenant_a.organisation, "light", "logo.png", png())
    post_logo(client, tenant_a.organisation, "dark", "logo.svg", f"<svg {SVG_NS}/>".encode())
    # A new light logo replaces the old one.
    post_logo(client, tenant_a.organisation, "light", "new.png", png(400, 200))
    with scopes_disabled():
        light = Logo.objects.get(organisation=tenant_a.organisation, variant="light")
    assert logo_count(tenant_a.organisation) == 2 and light.width == 400
    response = client.get(reverse("logo_file", args=[light.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert (
        client_for(tenant_b.referent).get(reverse("logo_file", args=[light.pk])).status_code == 404
    )


def test_o2_a_renamed_or_unsafe_logo_stores_nothing(tenant_a):
    client = client_for(tenant_a.referent)
    page = post_logo(
        client,
        tenant_a.organisation,
        "light",
        "logo.svg",
        f"<svg {SVG_NS}><script/></svg>".encode(),
    ).content.decode()
    assert "script" in page
    post_logo(client, tenant_a.organisation, "dark", "logo.png", b"MZ\x90\x00binary")
    assert logo_count(tenant_a.organisation) == 0


def test_c5_t2_read_only_customers_and_end_users_cannot_upload_logos(tenant_a):
    assert (
        post_logo(
            client_for(tenant_a.end_user), tenant_a.organisation, "light", "l.png", png()
        ).status_code
        == 404
    )
    with scopes_disabled():
        Organisation.objects.filter(pk=tenant_a.organisation.pk).update(
            access=Organisation.Access.READ_ONLY
        )
    post_logo(client_for(tenant_a.referent), tenant_a.organisation, "light", "l.png", png())
    assert logo_count(tenant_a.organisation) == 0


def test_o2_whitelisting_is_confirmed_when_all_four_work(tenant_a, cstm):
    url = reverse("onboarding_whitelisting", args=[tenant_a.organisation.pk])
    staff = client_for(cstm)
    staff.post(url, {"form": "instructions", "technical_notes": "Allow 192.0.2.1; see the doc"})
    client = client_for(tenant_a.referent)
    page = client.post(url, {"form": "confirm", "phishing_mail": "on", "awareness_mail": "on"})
    assert page.status_code == 200
    with scopes_disabled():
        current = WhitelistingConfirmation.objects.get(organisation=tenant_a.organisation)
    assert current.confirmed_at is None and "192.0.2.1" in current.technical_notes
    checks = {k: "on" for k in ("phishing_mail", "awareness_mail", "channel_mail", "videos_play")}
    response = client.post(url, {"form": "confirm", **checks, "note": "Tutto ok"})
    assert response.status_code == 302
    with scopes_disabled():
        current.refresh_from_db()
    assert (
        current.complete
        and current.confirmed_by == tenant_a.referent
        and current.note == "Tutto ok"
    )
    assert "192.0.2.1" in client.get(url).content.decode()


def test_t1_another_tenants_whitelisting_and_logos_pages_are_404(tenant_a, tenant_b):
    client = client_for(tenant_a.referent)
    for name in ("onboarding_whitelisting", "onboarding_logos", "user_list_export"):
        assert client.get(reverse(name, args=[tenant_b.organisation.pk])).status_code == 404


def test_o1_each_prerequisite_done_tells_the_plan_its_step(tenant_a, monkeypatch):
    """Applying a list, the second logo and the confirmation call steps.step_done with the
    step's code and who closed it (the plan decides what follows)."""
    from onboarding import steps
    from onboarding.plan import services as plan_services
    from tests.onboarding.userlist.conftest import csv_file, users

    done = []
    monkeypatch.setattr(
        plan_services,
        "plan_step_complete",
        lambda *, organisation, code, by: done.append((organisation.pk, code, by.pk)),
    )
    client = client_for(tenant_a.referent)
    org = tenant_a.organisation
    post_logo(client, org, "light", "l.png", png())
    assert done == []
    post_logo(client, org, "dark", "d.png", png())
    response = client.post(
        reverse("user_list", args=[org.pk]), {"file": csv_file(*users("alfa.example", 1))}
    )
    from tests.onboarding.userlist.conftest import once

    client.post(response["Location"] + "apply/", once())
    checks = {k: "on" for k in ("phishing_mail", "awareness_mail", "channel_mail", "videos_play")}
    client.post(reverse("onboarding_whitelisting", args=[org.pk]), {"form": "confirm", **checks})
    who = tenant_a.referent.pk
    assert done == [
        (org.pk, steps.LOGOS, who),
        (org.pk, steps.USER_LIST, who),
        (org.pk, steps.WHITELISTING, who),
    ]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_o2_fuzz_any_bytes_as_a_logo_never_crash_and_are_refused_or_typed(data):
    check = logos.check_logo(data)
    assert bool(check.problem) or check.content_type in logos.EXTENSIONS


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="<>/=\"' svgscriptonloadhref:#xml!DOCTYPE[]&;", max_size=200))
def test_o2_fuzz_svg_like_text_never_crashes(text):
    check = logos.check_logo(("<svg " + text).encode())
    assert bool(check.problem) or check.content_type == "image/svg+xml"
