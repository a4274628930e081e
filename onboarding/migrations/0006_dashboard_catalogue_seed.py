"""SPEC W6: the catalogue of dashboards and reports proposed to SIEM customers, seeded so that a
new portal has something to tick; admins edit it in Django admin. Names in Italian (the portal's
default language) with the English in brackets."""

from django.db import migrations

CATALOGUE = [
    (
        "dashboard",
        "Panoramica della sicurezza (Security overview)",
        "Allarmi aperti per gravità, tendenza degli ultimi 30 giorni, incidenti in corso.",
    ),
    (
        "dashboard",
        "Stato delle sorgenti di log (Log source health)",
        "Sorgenti attive, silenziose da oltre 24 ore, volumi ed EPS per tipo.",
    ),
    (
        "dashboard",
        "Autenticazioni e accessi (Authentication and access)",
        "Accessi falliti, blocchi di account, accessi da paesi insoliti, uso di account privilegiati.",
    ),
    (
        "dashboard",
        "Perimetro e firewall (Perimeter and firewall)",
        "Connessioni bloccate, scansioni, principali destinazioni e sorgenti esterne.",
    ),
    (
        "dashboard",
        "Endpoint e malware (Endpoints and malware)",
        "Rilevamenti dell'antivirus/EDR, host più colpiti, quarantene.",
    ),
    (
        "dashboard",
        "Posta elettronica e phishing (E-mail and phishing)",
        "Messaggi bloccati, segnalazioni di phishing, allegati e link malevoli.",
    ),
    (
        "report",
        "Report mensile per la direzione (Monthly management report)",
        "Sintesi per la direzione: incidenti, tendenze, rischi e azioni raccomandate.",
    ),
    (
        "report",
        "Report tecnico settimanale (Weekly technical report)",
        "Allarmi gestiti, regole modificate, sorgenti aggiunte o silenziose.",
    ),
    (
        "report",
        "Report di conformità GDPR e NIS2 (GDPR and NIS2 compliance report)",
        "Evidenze per gli obblighi di notifica e di conservazione dei log.",
    ),
    (
        "report",
        "Report degli accessi privilegiati (Privileged access report)",
        "Uso degli account amministrativi e modifiche ai gruppi privilegiati.",
    ),
    (
        "report",
        "Report di conservazione e volumi (Retention and volume report)",
        "Volumi giornalieri, spazio occupato per livello, previsione rispetto alla retention decisa.",
    ),
]


def seed(apps, schema_editor):
    offer = apps.get_model("onboarding", "DashboardOffer")
    for position, (kind, name, description) in enumerate(CATALOGUE, start=1):
        offer.objects.get_or_create(
            name=name, defaults={"kind": kind, "description": description, "position": position}
        )


def unseed(apps, schema_editor):
    apps.get_model("onboarding", "DashboardOffer").objects.filter(
        name__in=[name for _kind, name, _description in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0005_siem_workshops")]

    operations = [migrations.RunPython(seed, unseed)]
