"""Pages for people and organisations. Thin: parse, call a selector or service, render."""

import contextlib

from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from accounts import health_snapshots, selectors, services
from accounts.forms import (
    ApiTokenForm,
    AssignmentForm,
    EndAssignmentForm,
    InviteForm,
    OrganisationForm,
    ProfileForm,
    SetPasswordForm,
)
from accounts.roles import INVITER_ROLES, PROVIDER_ROLES, Role
from accounts.tasks import HEARTBEAT_CACHE_KEY
from csm_portal import cockpit
from csm_portal.web import NOT_DONE, paginate, role_required, submit

ADMIN = (Role.PROVIDER_ADMIN,)
COCKPIT_PAGE_SIZE = 50  # customer cards per page of the CSTM's and the admin's cockpit


def _bar(percent: int | None) -> int:
    """A percentage as a bar's width, 0 to 100 (as the ``percent_of`` filter of 100)."""
    return max(0, min(100, int(percent or 0)))


def _cards(rows: list) -> list[dict]:
    """The cockpit's cards as plain values (issue 15): the link formatted from the route
    reversed once, the figures as text, the sentences said once; the template only places them
    (50 cards of lookups, filters and number formatting were most of the page's time)."""
    mark = 987654321  # an id in no route pattern: the cards' ids take its place
    head, _mark, tail = reverse("organisation_detail", args=[mark]).partition(str(mark))
    cards = []
    for row in rows:
        facts, health = row.facts, row.health
        used, elapsed = facts.used_percent, facts.elapsed_percent
        cards.append(
            {
                "pk": row.organisation.pk,
                "name": row.organisation.name,
                "url": f"{head}{int(row.organisation.pk)}{tail}",
                "level": health.level,
                "label": health.label,
                "burn": None
                if used is None
                else {
                    "used": str(used),
                    "elapsed": str(elapsed),
                    "width": str(_bar(used)),
                    "left": str(_bar(elapsed)),
                    "fast": facts.burning_fast,
                    "legend": _(
                        "%(used)s%% of the hours used · %(elapsed)s%% of the licence year elapsed"
                    )
                    % {"used": used, "elapsed": elapsed},
                },
                "alerts": [
                    {"severity": a.severity, "code": a.code, "url": a.url, "sentence": a.sentence}
                    for a in row.alerts
                ],
                "reasons": [{"level": r.level, "sentence": r.sentence} for r in health.reasons],
            }
        )
    return cards


@role_required()
def home(request: HttpRequest) -> HttpResponse:
    """Each role's day starts here (issue 14): the referent's hours, tickets, requests and
    meetings; the CSTM's customers with their alerts and health; the agent's desk; the admin's
    cockpit across every customer and the health of the jobs. The apps above accounts add their
    parts through ``csm_portal.cockpit`` (accounts imports none of them)."""
    tenancy = request.tenancy
    today = timezone.localdate()
    role = tenancy.role
    context: dict = {"panels": cockpit.panels_for(request, role or "", today)}
    if role in (Role.CSTM, Role.PROVIDER_ADMIN):
        # Issue 15: the counts, the order and the cards (health and alerts) are read from the
        # stored ranking, a page of the most urgent first, so the page costs the same with 30
        # customers as with 2,000.
        board = health_snapshots.cockpit_page(
            page_number=request.GET.get("page"), per_page=COCKPIT_PAGE_SIZE, today=today
        )
        context["customer_total"] = board.total
        context["customer_page"] = board.page
        context["customer_cards"] = _cards(board.page.object_list)
        context["health_counts"] = board.health_counts
        context["alert_count"] = board.alert_count
        # "Order and counts as of HH:MM" only when the ranking lags (the beat job stopped).
        context["ranked_at"] = board.ranked_at if board.ranking_lags else None
        if tenancy.is_admin:
            context["pending_invitations"] = selectors.invitation_list(pending_only=True).count()
            context["worker_seen_at"] = cache.get(HEARTBEAT_CACHE_KEY)
            context["job_panels"] = cockpit.panels_for(request, cockpit.JOBS, today)
    elif tenancy.membership is not None and tenancy.is_customer:
        organisation = tenancy.membership.organisation
        context["organisation"] = organisation
        context["cstms"] = selectors.current_cstms(organisation=organisation)
    return render(request, "accounts/home.html", context)


@role_required(*PROVIDER_ROLES)
def organisation_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    page = paginate(request, selectors.organisation_list(search=search))
    template = (
        "accounts/partials/organisation_rows.html"
        if request.htmx
        else "accounts/organisation_list.html"
    )
    return render(request, template, {"page": page, "search": search})


@role_required(*PROVIDER_ROLES, Role.REFERENT)
def organisation_detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    context = {
        "organisation": organisation,
        "people": selectors.organisation_people(organisation=organisation),
        "domains": list(organisation.domains.all()),
        "assignments": selectors.organisation_assignments(organisation=organisation)
        if request.tenancy.is_provider_staff
        else [],
    }
    return render(request, "accounts/organisation_detail.html", context)


@role_required(*ADMIN)
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None, initial={"language": "it", "is_active": True})
    organisation = submit(
        request,
        form,
        lambda data: services.organisation_create(
            name=data["name"],
            domains=data["domains"],
            language=data["language"],
            notes=data["notes"],
        ),
    )
    if organisation is not NOT_DONE:
        messages.success(request, _("Organisation %(name)s created.") % {"name": organisation.name})
        return redirect("organisation_detail", organisation_id=organisation.pk)
    return render(request, "accounts/organisation_form.html", {"form": form})


@role_required(*ADMIN)
def organisation_edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    form = OrganisationForm(
        request.POST or None, initial=OrganisationForm.initial_for(organisation)
    )
    done = submit(
        request, form, lambda data: services.organisation_update(organisation=organisation, **data)
    )
    if done is not NOT_DONE:
        messages.success(request, _("Changes saved."))
        return redirect("organisation_detail", organisation_id=organisation.pk)
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": organisation}
    )


@role_required(*INVITER_ROLES)
def person_invite(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    if organisation.is_provider and not request.tenancy.is_admin:
        raise Http404  # only admins bring in provider staff

    form = InviteForm(request.POST or None, organisation=organisation)
    done = submit(
        request,
        form,
        lambda data: services.person_invite(
            organisation=organisation, invited_by=request.user, **data
        ),
    )
    if done is not NOT_DONE:
        messages.success(
            request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]}
        )
        return redirect("organisation_detail", organisation_id=organisation.pk)
    return render(
        request, "accounts/person_invite.html", {"form": form, "organisation": organisation}
    )


@role_required(*ADMIN)
def people_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    page = paginate(request, selectors.membership_list(search=search, role=role))
    return render(
        request,
        "accounts/people_list.html",
        {"page": page, "search": search, "role": role, "roles": Role.choices},
    )


@role_required(*PROVIDER_ROLES)
def person_detail(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(membership_id=membership_id)
    invitations = selectors.invitation_list().filter(user=membership.user)
    return render(
        request,
        "accounts/person_detail.html",
        {"membership": membership, "invitations": invitations},
    )


@require_POST
@role_required(*ADMIN)
def person_set_active(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get(membership_id=membership_id)
    active = request.POST.get("active") == "1"
    try:
        services.person_set_active(membership=membership, active=active, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Account enabled.") if active else _("Account disabled."))
    return redirect("person_detail", membership_id=membership.pk)


@role_required(*INVITER_ROLES)
def invitation_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.invitation_list())
    return render(request, "accounts/invitation_list.html", {"page": page})


@require_POST
@role_required(*INVITER_ROLES)
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get(invitation_id=invitation_id)
    try:
        services.invitation_resend(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("A new link was sent to %(email)s.") % {"email": invitation.user.email}
        )
    return redirect("invitation_list")


@require_POST
@role_required(*INVITER_ROLES)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get(invitation_id=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Invitation revoked."))
    return redirect("invitation_list")


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the one-time link of an invitation (or of a contract activation) sets a password."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(request.POST or None, user=invitation.user)
    user = submit(
        request,
        form,
        lambda data: services.invitation_accept(
            invitation=invitation,
            password=data["password1"],
            ip_address=request.META.get("REMOTE_ADDR"),
        ),
    )
    if user is not NOT_DONE:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your password is set."))
        return redirect("home")
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


@role_required(*ADMIN)
def assignment_create(request: HttpRequest, organisation_id: int) -> HttpResponse:
    organisation = selectors.organisation_get(organisation_id=organisation_id)
    form = AssignmentForm(request.POST or None)
    done = submit(
        request, form, lambda data: services.cstm_assign(organisation=organisation, **data)
    )
    if done is not NOT_DONE:
        messages.success(request, _("CSTM assigned."))
        return redirect("organisation_detail", organisation_id=organisation.pk)
    return render(
        request, "accounts/assignment_form.html", {"form": form, "organisation": organisation}
    )


@role_required(*ADMIN)
def assignment_end(request: HttpRequest, assignment_id: int) -> HttpResponse:
    assignment = selectors.assignment_get(assignment_id=assignment_id)
    form = EndAssignmentForm(request.POST or None, initial={"ends_on": assignment.ends_on})
    done = submit(
        request,
        form,
        lambda data: services.cstm_assignment_end(assignment=assignment, ends_on=data["ends_on"]),
    )
    if done is not NOT_DONE:
        messages.success(request, _("Assignment updated."))
        return redirect("organisation_detail", organisation_id=assignment.organisation_id)
    return render(request, "accounts/assignment_end.html", {"form": form, "assignment": assignment})


@role_required()
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ProfileForm(
        request.POST or None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
        },
    )
    done = submit(request, form, lambda data: services.user_update_profile(user=user, **data))
    if done is not NOT_DONE:
        messages.success(request, _("Profile saved."))
        response = redirect("profile")
        response.set_cookie("django_language", user.language, samesite="Lax")
        return response
    return _render_profile(request, form=form)


def _render_profile(
    request: HttpRequest,
    *,
    form: ProfileForm | None = None,
    token_form: ApiTokenForm | None = None,
    new_secret: str = "",
) -> HttpResponse:
    user = request.user
    form = form or ProfileForm(
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
        }
    )
    context = {
        "form": form,
        "token_form": token_form or ApiTokenForm(),
        "tokens": selectors.api_tokens_of(user=user),
        "new_secret": new_secret,
        "events": selectors.security_events_for(user=user),
    }
    response = render(request, "accounts/profile.html", context)
    if new_secret:
        response["Cache-Control"] = "no-store"  # the secret is shown once and must not be cached
    return response


@require_POST
@role_required()
def api_token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    created = submit(
        request, form, lambda data: services.api_token_create(user=request.user, name=data["name"])
    )
    if created is not NOT_DONE:
        _token, secret = created
        messages.success(request, _("Token created. Copy it now: it will not be shown again."))
        return _render_profile(request, new_secret=secret)
    return _render_profile(request, token_form=form)


@require_POST
@role_required()
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = selectors.api_token_get(user=request.user, token_id=token_id)
    services.api_token_revoke(token=token)
    messages.success(request, _("Token revoked: scripts using it can no longer connect."))
    return redirect("profile")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switcher: a signed-in user's choice also becomes their preference."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        # Django's view below ignores an unknown language the same way.
        with contextlib.suppress(ValidationError):
            services.user_set_language(user=request.user, language=language)
    return django_set_language(request)
