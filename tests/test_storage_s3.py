"""Files on an S3-compatible object store (issue 15, scale-out; SPEC L3, T1): with
``CSM_STORAGE=s3`` every stored file goes to the bucket through Django's storage API, so web
nodes and workers share no disk; files stay private and are downloaded only through the
access-checked views; the day-90 deletion removes the organisation's objects from the bucket.

The server is moto's S3 server (``ThreadedMotoServer``: Flask answering the S3 HTTP API on a
loopback port), reached by boto3 over HTTP exactly as a provider's endpoint would be. The storage
settings are the ones ``csm_portal/settings/base.py`` builds from the environment.
"""

import runpy
import socket
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import boto3
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django_scopes import scopes_disabled
from moto.server import ThreadedMotoServer

from contracts import lifecycle
from contracts.models import Contract, DeletionRecord, PendingFileRemoval
from csm_portal.files import delete_file_on_rollback, files_removed_on_failure
from csm_portal.settings import base as base_settings
from tests.conftest import client_for, make_tenant
from tests.tickets.conftest import authentication_passed, local_mailbox
from tests.tickets.test_portal_requests import token
from tickets.ingest import ingest
from tickets.models import Attachment, InboundMessage, Ticket

ROME = ZoneInfo("Europe/Rome")
BUCKET = "csm-portal-files-test"
REGION = "eu-south-1"
KEY_ID, SECRET = "test-access-key", "test-secret-key"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """A fresh private bucket in an EU region, and the portal's files storage pointed at it by
    the same environment variables production uses."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    for name, value in {
        "CSM_STORAGE": "s3",
        "CSM_S3_BUCKET": BUCKET,
        "CSM_S3_ENDPOINT_URL": s3_endpoint,
        "CSM_S3_REGION": REGION,
        "CSM_S3_ACCESS_KEY_ID": KEY_ID,
        "CSM_S3_SECRET_ACCESS_KEY": SECRET,
        "CSM_S3_ADDRESSING_STYLE": "path",
    }.items():
        monkeypatch.setenv(name, value)
    built = runpy.run_path(base_settings.__file__)["STORAGES"]
    settings.STORAGES = {**settings.STORAGES, "default": built["default"]}
    yield client
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    for key in keys:
        client.delete_object(Bucket=BUCKET, Key=key)
    client.delete_bucket(Bucket=BUCKET)


def objects(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def mail_with_attachment(sender: str, subject: str, payload: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@csm-test.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{abs(hash((sender, subject)))}@mail.example>"
    message["Authentication-Results"] = authentication_passed(sender).replace("\r\n", "")
    message.set_content("Il file è allegato.")
    message.add_attachment(payload, maintype="text", subtype="plain", filename="log.txt")
    return message.as_bytes()


def open_request_with_file(client, name: str, payload: bytes):
    upload = SimpleUploadedFile(name, payload, "text/plain")
    return client.post(
        reverse("ticket_new"),
        {
            "category": "configuration",
            "subject": "Nuovo gruppo di utenti",
            "description": "Serve un gruppo per la filiale di Torino.",
            "write_once": token(client),
            "attachments": [upload],
        },
    )


def test_scale_out_the_s3_settings_keep_files_private_and_in_the_configured_region(bucket):
    """Scale-out, data protection: the storage production builds from CSM_STORAGE=s3 is
    django-storages' S3Storage with no ACL (the bucket's private default), no custom/CDN domain,
    never overwriting an object, in the configured EU region; an object it writes has no public
    grant."""
    from storages.backends.s3 import S3Storage

    storage = storages["default"]
    assert isinstance(storage, S3Storage)
    assert storage.default_acl is None and storage.custom_domain is None
    assert storage.file_overwrite is False and storage.querystring_expire == 60
    assert storage.region_name == REGION
    name = storage.save("probe/private.txt", ContentFile(b"riservato"))
    grants = bucket.get_object_acl(Bucket=BUCKET, Key=name)["Grants"]
    assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers/AuthUsers
    assert bucket.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == REGION


@pytest.mark.django_db(transaction=True)
def test_scale_out_a_file_of_a_failed_transaction_is_removed_from_the_bucket(bucket):
    """SPEC L3, L4 on the object store: csm_portal.files removes from the bucket a file saved in
    a block that fails, and keeps the one whose block commits."""
    failed = InboundMessage()
    with pytest.raises(ValueError), files_removed_on_failure(), transaction.atomic():
        failed.raw.save("message.eml", ContentFile(b"From: a@b.example\r\n\r\nx"), save=False)
        delete_file_on_rollback(failed.raw)
        assert objects(bucket) == {failed.raw.name}
        raise ValueError("the parser gave up after the file was stored")
    assert objects(bucket) == set()
    kept = InboundMessage()
    with files_removed_on_failure(), transaction.atomic():
        kept.raw.save("message.eml", ContentFile(b"From: a@b.example\r\n\r\nx"), save=False)
        delete_file_on_rollback(kept.raw)
    assert objects(bucket) == {kept.raw.name}


@pytest.mark.django_db(transaction=True)
def test_scale_out_s3_upload_download_and_day_90_deletion_of_the_objects(bucket, cstm, agent):
    """Scale-out with SPEC L3 and T1: a referent's upload in the portal and a mail's raw copy
    and attachment (the worker's path) are stored as objects in the bucket, nowhere on disk; the
    referent downloads the attachment through the portal's access-checked view (streamed from
    the bucket, never a redirect to it), another organisation's referent gets a 404; at day 90
    the organisation's objects are removed from the bucket and the other organisation's stay."""
    mailbox = local_mailbox()
    alfa = make_tenant("Alfa Assicurazioni S.p.A.", "alfa.example", cstm=cstm)
    bravo = make_tenant("Bravo Banca S.p.A.", "bravo.example")
    with scopes_disabled():
        Contract.objects.filter(pk=bravo.contract.pk).update(
            expires_on=alfa.contract.expires_on + timedelta(days=400)
        )
    assert objects(bucket) == set()

    referent = client_for(alfa.referent)
    response = open_request_with_file(referent, "configurazione.txt", b"gruppo=Torino\n")
    assert response.status_code == 302
    ingest(mailbox, mail_with_attachment(alfa.referent.email, "Log del server", b"riga 1\n"))
    bravo_client = client_for(bravo.referent)
    assert open_request_with_file(bravo_client, "bravo.txt", b"bravo\n").status_code == 302
    with scopes_disabled():
        alfa_names = {
            *Attachment.objects.filter(ticket__organisation=alfa.organisation).values_list(
                "file", flat=True
            ),
            *InboundMessage.objects.filter(organisation=alfa.organisation).values_list(
                "raw", flat=True
            ),
        }
        bravo_names = set(
            Attachment.objects.filter(ticket__organisation=bravo.organisation).values_list(
                "file", flat=True
            )
        )
        uploaded = Attachment.objects.get(
            ticket__organisation=alfa.organisation, filename="configurazione.txt"
        )
        assert Ticket.objects.filter(organisation=alfa.organisation).count() == 2
    # Two attachments and one raw mail for Alfa, one attachment for Bravo: all in the bucket.
    assert len(alfa_names) == 3 and len(bravo_names) == 1
    assert objects(bucket) == alfa_names | bravo_names
    assert bucket.get_object(Bucket=BUCKET, Key=uploaded.file.name)["Body"].read() == (
        b"gruppo=Torino\n"
    )

    url = reverse("attachment_download", args=[uploaded.pk])
    download = referent.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"gruppo=Torino\n"
    assert "attachment" in download["Content-Disposition"]
    assert not any("amz" in header.lower() for header in download.headers)
    assert bravo_client.get(url).status_code == 404  # T1: another customer learns nothing

    expiry = alfa.contract.expires_on
    with time_machine.travel(
        datetime.combine(expiry + timedelta(days=90), time(2), tzinfo=ROME), tick=False
    ):
        report = lifecycle.run_daily()
    assert report.organisations_deleted == 1
    assert objects(bucket) == bravo_names
    with scopes_disabled():
        assert DeletionRecord.objects.get(organisation_ref=alfa.organisation.pk).finished_at
        assert not PendingFileRemoval.objects.exists()


def test_scale_out_an_unreachable_store_does_not_hide_why_the_transaction_failed():
    """SPEC L4 on the object store: when removing a failed block's file fails too (the store
    is unreachable: botocore raises its own errors, not OSError), the block's own error goes on
    and the leftover is logged, never replaced by the storage error."""
    from botocore.exceptions import EndpointConnectionError
    from django.core.files.storage import Storage

    class Unreachable(Storage):
        def delete(self, name):
            raise EndpointConnectionError(endpoint_url="https://s3.eu-south-1.example")

    class Saved:
        storage, name = Unreachable(), "mail/raw/x.eml"

    with pytest.raises(ValueError, match="parser"), files_removed_on_failure():
        delete_file_on_rollback(Saved())
        raise ValueError("the parser gave up")


def test_scale_out_no_web_or_worker_code_reaches_stored_files_by_a_local_path():
    """Scale-out: web nodes and workers share no disk, so no code of the apps reaches a stored
    file by a local path (a FieldFile's or a storage's ``.path``, ``MEDIA_ROOT``,
    ``FileSystemStorage``): everything goes through the storage API (save, open, delete)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(
        r"\.(file|raw|pdf|logo|storage)\.path\b|storage\.path\(|MEDIA_ROOT|FileSystemStorage"
    )
    found = []
    for folder in ("accounts", "contracts", "activities", "tickets", "onboarding", "csm_portal"):
        for path in (root / folder).rglob("*.py"):
            if "migrations" in path.parts or "settings" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if pattern.search(line):
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert found == []
