"""The ``loket`` command for operators and scripts.

Exit codes: 0 success; 1 the command ran and found a problem (invalid input, a duplicate,
a broken audit chain); 2 wrong usage (Typer's own).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from app.config import Settings

cli = typer.Typer(
    help="Loket: digital public services.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
departments_cli = typer.Typer(help="Departments.", no_args_is_help=True)
users_cli = typer.Typer(help="Accounts.", no_args_is_help=True)
services_cli = typer.Typer(help="Service catalogue.", no_args_is_help=True)
audit_cli = typer.Typer(help="Audit trail.", no_args_is_help=True)
workflows_cli = typer.Typer(help="Built-in workflows.", no_args_is_help=True)
keys_cli = typer.Typer(help="Certificate signing keys.", no_args_is_help=True)
backup_cli = typer.Typer(
    help="Backups: the database, the data directory and the signing keys.", no_args_is_help=True
)
clients_cli = typer.Typer(
    help="OAuth clients: other government systems, and apps acting for residents.",
    no_args_is_help=True,
)
privacy_cli = typer.Typer(
    help="Personal data (UU PDP): the record of processing, a breach's reach.",
    no_args_is_help=True,
)
for name, sub in (
    ("db", db_cli),
    ("departments", departments_cli),
    ("users", users_cli),
    ("services", services_cli),
    ("audit", audit_cli),
    ("workflows", workflows_cli),
    ("keys", keys_cli),
    ("backup", backup_cli),
    ("clients", clients_cli),
    ("privacy", privacy_cli),
):
    cli.add_typer(sub, name=name)


def main() -> None:
    cli()


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _runtime():
    from app.runtime import build_runtime

    return build_runtime(Settings())


def _run_service(work):
    """Run ``work(session, runtime)`` in one transaction; domain errors become exit code 1."""
    from app.db import transaction
    from app.errors import DomainError

    runtime = _runtime()
    try:
        with transaction(runtime.engine) as session:
            return work(session, runtime)
    except DomainError as error:
        details = "; ".join(f"{e.field}: {e.message.en}" for e in error.errors)
        _fail(f"{error}{' (' + details + ')' if details else ''}")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Run the HTTP server (applies migrations first on the embedded SQLite default)."""
    import uvicorn

    from app.metrics import use_multiprocess_dir

    settings = Settings()
    # Before anything imports prometheus_client: the workers must add up (app/metrics).
    use_multiprocess_dir(settings.data_dir)
    if settings.is_sqlite:
        from app.migrate import upgrade

        upgrade(settings)
    _runtime()  # creates the data directory and keys before workers start
    from app.http.server import server_options

    uvicorn.run(**server_options(settings, host=host, port=port, workers=workers))


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from app.migrate import upgrade

    upgrade(Settings())
    typer.echo("database is up to date")


@cli.command()
def demo() -> None:
    """Create demo departments, catalogue and accounts (idempotent) and print the logins."""
    from app.demo import seed_demo
    from app.migrate import upgrade

    upgrade(Settings())
    logins = _run_service(lambda session, runtime: seed_demo(session, runtime=runtime))
    typer.echo("Demo accounts (e-mail / password / role):")
    for email, password, role in logins:
        typer.echo(f"  {email:<34} {password:<22} {role}")
    base = Settings().public_base_url.rstrip("/")
    typer.echo(f"Sign in at {base}/login (residents, officers, admins); API docs at {base}/docs")


@departments_cli.command("create")
def departments_create(
    code: Annotated[str, typer.Option()], name: Annotated[str, typer.Option()]
) -> None:
    """Create a department."""
    from app.accounts.service import create_department

    department = _run_service(lambda s, _r: create_department(s, code=code, name=name))
    typer.echo(f"created department {department.code}")


@users_cli.command("create")
def users_create(
    email: Annotated[str, typer.Option()],
    password: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="citizen | officer | admin")],
    department: Annotated[str | None, typer.Option(help="department code (officers)")] = None,
    officer_roles: Annotated[str, typer.Option(help="verifier,approver (officers)")] = "",
    nik: Annotated[str | None, typer.Option(help="16-digit NIK (citizens)")] = None,
) -> None:
    """Create an account."""
    from app.accounts.service import create_user

    roles = frozenset(r.strip() for r in officer_roles.split(",") if r.strip())
    user = _run_service(
        lambda s, r: create_user(
            s,
            passwords=r.passwords,
            email=email,
            password=password,
            full_name=name,
            role=role,
            department_code=department,
            officer_roles=roles,
            nik=nik,
        )
    )
    typer.echo(f"created {user.role} {user.email} ({user.id})")


@services_cli.command("load")
def services_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Load a catalogue YAML file; changed services get a new version."""
    from app.catalogue.definitions import CatalogueError, load_catalogue
    from app.catalogue.service import load_catalogue as store

    try:
        catalogue = load_catalogue(file)
    except CatalogueError as error:
        _fail(str(error))
    report = _run_service(lambda s, _r: store(s, catalogue=catalogue))
    for label, codes in (
        ("departments created", report.departments_created),
        ("services created", report.created),
        ("new versions", report.new_versions),
        ("unchanged", report.unchanged),
        ("complaint categories created", report.categories_created),
        ("complaint categories with new versions", report.categories_new_versions),
        ("complaint categories unchanged", report.categories_unchanged),
    ):
        typer.echo(f"{label}: {', '.join(codes) or '-'}")


@audit_cli.command("verify")
def audit_verify(
    public_key: Annotated[
        Path | None,
        typer.Option(help="a pinned public key (PEM) instead of Loket's own key file"),
    ] = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(help="checkpoints received (JSON lines) instead of Loket's own file"),
    ] = None,
) -> None:
    """Check every timeline, every case against its events, the audit log against its signed
    checkpoints (and those kept outside the database); exit 1 on any finding."""
    from app.audit import keys
    from app.audit.service import verify_all

    pinned = None
    if public_key is not None:
        try:
            pinned = keys.load_public(public_key.read_bytes())
        except (OSError, ValueError) as error:
            _fail(f"{public_key}: {error}")
    if checkpoints is not None and not checkpoints.is_file():
        _fail(f"{checkpoints}: no such file")
    report = _run_service(
        lambda s, r: verify_all(
            s, settings=r.settings, public_key=pinned, checkpoints_file=checkpoints
        )
    )
    for finding in report.findings:
        typer.echo(f"TAMPERED {finding.kind} {finding.where}: {finding.detail}", err=True)
    typer.echo(
        f"checked {report.cases} cases, {report.events} events, {report.leaves} logged events, "
        f"{report.checkpoints} checkpoints: {len(report.findings)} problems"
    )
    if report.findings:
        sys.exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Log the events written since the last checkpoint and sign a new one."""
    from app.audit.service import checkpoint

    made = _run_service(lambda s, r: checkpoint(s, settings=r.settings))
    if made is None:
        typer.echo("no new events since the last checkpoint")
        return
    typer.echo(f"checkpoint: {made.tree_size} events, root {made.root_hash}")


@audit_cli.command("key")
def audit_key() -> None:
    """Print the public key that checks the checkpoints, for an auditor to pin once."""
    from app.audit import keys

    key = keys.load_or_create(Settings().audit_key_path)
    typer.echo(f"key id {key.key_id}")
    typer.echo(key.public_pem().rstrip())


@backup_cli.command("create")
def backup_create(directory: Annotated[Path, typer.Argument(file_okay=False)]) -> None:
    """Back up the database (SQLite's online backup, or pg_dump), the data directory and the
    key files into DIRECTORY (absent or empty), with a manifest of SHA-256 hashes."""
    from app.backup import BackupError, create

    try:
        manifest = create(Settings(), directory)
    except BackupError as error:
        _fail(str(error))
    typer.echo(
        f"backed up the {manifest['database']['kind']} database and "
        f"{len(manifest['files']) - 1} files to {directory}"
    )


@backup_cli.command("restore")
def backup_restore(
    directory: Annotated[Path, typer.Argument(exists=True, file_okay=False)],
    force: Annotated[
        bool, typer.Option(help="overwrite a database with tables or a data directory with files")
    ] = False,
) -> None:
    """Verify the backup in DIRECTORY against its manifest, then restore it into the configured
    database and data directory (stop the servers and workers first)."""
    from app.backup import BackupError, restore

    try:
        restored = restore(Settings(), directory, force=force)
    except BackupError as error:
        _fail(str(error))
    for warning in restored.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(
        f"restored the {restored.database} database and {restored.files} files; "
        "run `loket db upgrade`, then `loket audit verify`"
    )


@workflows_cli.command("show")
def workflows_show(name: str, lang: Annotated[str | None, typer.Option(help="id | en")] = None):
    """Print a workflow as a Mermaid state diagram (for docs and reviews)."""
    from app.workflow.definitions import WORKFLOWS
    from app.workflow.engine import to_mermaid

    if name not in WORKFLOWS:
        _fail(f"unknown workflow {name!r}; known: {', '.join(sorted(WORKFLOWS))}")
    typer.echo(to_mermaid(WORKFLOWS[name], lang=lang))


@keys_cli.command("init")
def keys_init(force: Annotated[bool, typer.Option(help="replace an existing chain")] = False):
    """Create a local root CA, issuing CA and document-signing certificate (development)."""
    from app.certificates.keys import SigningSetupError, init_chain, load_material

    settings = Settings()
    try:
        directory = init_chain(
            settings.certificates_dir, authority_name=settings.authority_name, force=force
        )
    except SigningSetupError as error:
        _fail(f"{error} (use --force to replace it)")
    typer.echo(f"created a signing chain in {directory}")
    _print_chain(load_material(directory=directory).describe())


@keys_cli.command("show")
def keys_show():
    """Print the signing chain in use: subjects, SHA-256 fingerprints, expiry."""
    from app.certificates.issuer import signing_material
    from app.certificates.keys import SigningSetupError

    try:
        material = signing_material(Settings())
    except SigningSetupError as error:
        _fail(str(error))
    _print_chain(material.describe())


def _print_chain(entries: list[dict]) -> None:
    for entry in entries:
        typer.echo(f"{entry['role']:<11} {entry['subject']}")
        typer.echo(f"{'':<11} sha256 {entry['sha256']}  valid until {entry['not_after']}")


outbox_cli = typer.Typer(
    help="Outbox: webhooks and e-mail waiting for delivery.", no_args_is_help=True
)
cli.add_typer(outbox_cli, name="outbox")


@cli.command()
def worker(
    once: Annotated[bool, typer.Option(help="deliver one batch, then exit")] = False,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="messages per claim")] = 50,
) -> None:
    """Deliver outbox messages (webhooks, e-mail) and run the background jobs (recovering
    certificate files, ...) until SIGTERM or Ctrl-C."""
    import logging
    import signal
    import threading

    from app import logs
    from app.jobs import Schedule, background_jobs
    from app.notifications.dispatcher import Dispatcher

    logs.configure(Settings().log_format)
    runtime = _runtime()
    dispatcher = Dispatcher(runtime.engine, runtime.settings)
    schedule = Schedule(background_jobs(runtime))
    if once:
        typer.echo(f"tried {dispatcher.run_once(batch)} messages")
        schedule.run_due()
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    logging.getLogger("loket.outbox").info("worker started")
    # A stop lets the delivery in flight finish and hands the rest of the batch back.
    dispatcher.run_forever(stop, batch=batch, between_rounds=schedule.run_due)


@outbox_cli.command("dead")
def outbox_dead(limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200) -> None:
    """List messages given up on, oldest first, with their last error."""
    from app.notifications.outbox import dead_messages

    rows = _run_service(lambda s, _r: dead_messages(s, limit=limit))
    for message, target in rows:
        typer.echo(
            f"{message.id}  {message.kind:<7} {message.event_type:<30} "
            f"attempts={message.attempts}  {target}"
        )
        typer.echo(f"    last error: {message.last_error or '-'}")
    typer.echo(f"{len(rows)} dead messages")


@outbox_cli.command("resend")
def outbox_resend(
    message_id: Annotated[str | None, typer.Argument(help="id of a dead message")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="every dead message")] = False,
) -> None:
    """Deliver dead messages again, with a fresh attempt budget."""
    import uuid

    from app.notifications.outbox import resend, resend_all_dead

    if (message_id is None) == (not all_dead):
        _fail("give either a message id or --all-dead")
    if all_dead:
        count = _run_service(lambda s, _r: resend_all_dead(s))
        typer.echo(f"{count} dead messages queued again")
        return
    try:
        parsed = uuid.UUID(message_id)
    except ValueError:
        _fail(f"not a message id: {message_id!r}")
    _run_service(lambda s, _r: resend(s, message_id=parsed))
    typer.echo(f"message {parsed} queued again")


@clients_cli.command("create")
def clients_create(
    name: Annotated[str, typer.Option()],
    scopes: Annotated[
        list[str], typer.Option(help='repeat, or space-separated: "applications:read"')
    ],
    grant: Annotated[
        str, typer.Option(help="client_credentials (a system) or authorization_code (an app)")
    ] = "client_credentials",
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="an app's redirect URI (repeat for more)")
    ] = None,
    operator: Annotated[str, typer.Option(help="who runs the app (consent page)")] = "",
    public: Annotated[bool, typer.Option("--public", help="an app without a secret")] = False,
    logo_url: Annotated[str | None, typer.Option(help="https:// address of the logo")] = None,
    allow_nik: Annotated[
        bool, typer.Option("--allow-nik", help="the app may ask for the nik scope")
    ] = False,
    open311: Annotated[
        bool,
        typer.Option("--open311", help="a system: also an Open311 api_key (adds complaints:write)"),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Register a client; its secret (if it has one) and its Open311 api_key (with --open311)
    are printed once and never stored in clear."""
    import json

    from app.oauth.clients import AUTHORIZATION_CODE, create_app_client, create_client

    scope_list = [part for value in scopes for part in value.split()]
    if open311 and grant != "client_credentials":
        _fail("--open311 is for a system (--grant client_credentials)")
    if grant == AUTHORIZATION_CODE:
        created = _run_service(
            lambda s, r: create_app_client(
                s,
                passwords=r.passwords,
                name=name,
                operator=operator or name,
                redirect_uris=redirect_uri or [],
                scopes=scope_list,
                public=public,
                logo_url=logo_url,
                nik_approved=allow_nik,
            )
        )
    elif grant == "client_credentials":
        if redirect_uri or public:
            _fail("--redirect-uri and --public are for --grant authorization_code")
        created = _run_service(
            lambda s, r: create_client(
                s, passwords=r.passwords, name=name, scopes=scope_list, open311=open311
            )
        )
    else:
        _fail(f"unknown grant {grant!r}: client_credentials or authorization_code")
    fields = {
        "client_id": created.client.client_id,
        "client_secret": created.secret,
        "name": created.client.name,
        "scopes": created.client.scopes,
    }
    if grant == AUTHORIZATION_CODE:
        fields["redirect_uris"] = " ".join(created.client.redirect_uri_list)
    if open311:
        fields["open311_key"] = created.open311_key
    if as_json:
        typer.echo(json.dumps(fields))
        return
    for key, value in fields.items():
        if value is not None:
            typer.echo(f"{key:<14} {value}")
    if created.secret:
        if created.open311_key:
            typer.echo("The secret and the api_key are shown only now: store them safely.")
        else:
            typer.echo("The secret is shown only now: store it safely.")


@privacy_cli.command("register")
def privacy_register(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of text")] = False,
) -> None:
    """Print the record of processing activities from the catalogue: per service and complaint
    category, purposes, categories of personal data, recipients and retention."""
    from app.protection.register import as_text, register

    activities = _run_service(lambda s, _r: register(s))
    if as_json:
        typer.echo(json.dumps([a.as_dict() for a in activities], ensure_ascii=False, indent=2))
    else:
        typer.echo(as_text(activities))


@privacy_cli.command("breach")
def privacy_breach(
    start: Annotated[str, typer.Option("--from", help="ISO 8601 date or time (UTC if bare)")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601, exclusive")],
    client: Annotated[str | None, typer.Option("--client", help="a client's client_id")] = None,
    officer: Annotated[
        str | None, typer.Option("--officer", help="an officer's account id or e-mail")
    ] = None,
) -> None:
    """CSV on stdout of the residents whose personal data was read in the period (by the
    client or officer when named), with contact details, to notify within 3 x 24 hours."""
    from app.protection.breach import affected_csv, moment

    if client is not None and officer is not None:
        _fail("name a client or an officer, not both")
    output = _run_service(
        lambda s, _r: affected_csv(
            s,
            start=moment(start, field="from"),
            end=moment(end, field="to"),
            client_id=client,
            officer=officer,
        )
    )
    sys.stdout.write(output)


@clients_cli.command("list")
def clients_list() -> None:
    """Every client with its scopes and state."""
    from app.oauth.clients import list_clients

    for client in _run_service(lambda s, _r: list_clients(s)):
        state = "active" if client.is_active else "disabled"
        kind = "app" if client.redirect_uris else "system"
        typer.echo(f"{client.client_id}  {state:<8}  {kind:<6}  {client.name}  [{client.scopes}]")


@clients_cli.command("disable")
def clients_disable(client_id: str) -> None:
    """Disable a client: new tokens are refused and its current tokens stop working."""
    from app.oauth.clients import set_active

    _run_service(lambda s, _r: set_active(s, client_id=client_id, active=False))
    typer.echo(f"disabled {client_id}")


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Start signing access tokens with a new key; old keys stay published while tokens live."""
    from app.oauth.keys import rotate

    settings = Settings()
    # Servers pick up a new key within their refresh interval (30 s), so a retired key may
    # still sign for that long; its tokens then live one access-token lifetime.
    new_key, removed = rotate(
        settings.keys_dir, retire_after_seconds=settings.access_token_ttl_seconds + 120
    )
    typer.echo(f"new signing key {new_key.kid}")
    typer.echo(f"retired keys: {', '.join(removed) or '-'}")


stats_cli = typer.Typer(help="Public statistics.", no_args_is_help=True)
cli.add_typer(stats_cli, name="stats")


@stats_cli.command("refresh")
def stats_refresh() -> None:
    """Bring the statistics facts up to date with the applications changed since last time."""
    from app.stats.facts import refresh_facts

    count = _run_service(lambda s, _r: refresh_facts(s))
    typer.echo(f"{count} applications read")


sla_cli = typer.Typer(
    help="Deadlines that bind: warnings, escalations, deemed approvals.", no_args_is_help=True
)
cli.add_typer(sla_cli, name="sla")


def _moment(text: str | None):
    from datetime import UTC, datetime

    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _fail(f"--now {text!r} is not an ISO-8601 time (e.g. 2026-12-24T09:00:00+07:00)")
    if moment.tzinfo is None:
        _fail(f"--now {text!r} needs a time zone (Z or +07:00)")
    return moment.astimezone(UTC)


@sla_cli.command("sweep")
def sla_sweep(
    now: Annotated[
        str | None, typer.Option(help="the moment to sweep at, ISO-8601 with zone (default: now)")
    ] = None,
) -> None:
    """Take every warning, escalation and deemed approval due at --now, once, and print them
    (the worker does the same every minute)."""
    from app.cases.sweep import sweep

    moment = _moment(now)
    runtime = _runtime()
    report = sweep(
        runtime.engine,
        now=moment,
        env=lambda: runtime.certificates,
        batch=runtime.settings.sla_sweep_batch,
    )
    for item in report.items:
        typer.echo(f"{item.reference}\t{item.action or '-'}\t{item.outcome}")
    done = sum(1 for item in report.items if item.outcome == "done")
    typer.echo(
        f"swept at {moment.isoformat()}: {done} actions, {report.failed} failed, "
        f"{len(report.items) - done - report.failed} deadlines recomputed"
    )
    if report.failed:
        raise typer.Exit(1)


@sla_cli.command("report")
def sla_report(
    start: Annotated[str, typer.Option("--from", help="first office day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="last office day, YYYY-MM-DD (included)")],
) -> None:
    """Count warnings, escalations, extensions, deemed approvals and objections per department
    and service between two office days."""
    from datetime import date, timedelta

    from app.accounts import repository as accounts
    from app.cases import deadlines, kinds
    from app.office import end_of_day

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError:
        _fail("--from and --to are office days written YYYY-MM-DD")
    if last < first:
        _fail("--to is before --from")

    def work(session, _runtime):
        rows = deadlines.deadline_counts(
            session,
            kinds=[kind.name for kind in kinds.registered()],
            start=end_of_day(first - timedelta(days=1)),
            end=end_of_day(last),
        )
        codes = {}
        for row in rows:
            department = accounts.department_by_id(session, row.department_id)
            codes[row.department_id] = department.code if department else str(row.department_id)
        return rows, codes

    rows, codes = _run_service(work)
    columns = [column for column, _ in deadlines.COUNTED_EVENTS]
    typer.echo("\t".join(["department", "subject", *columns]))
    totals = dict.fromkeys(columns, 0)
    for row in rows:
        values = [row.counts[column] for column in columns]
        typer.echo("\t".join([codes[row.department_id], row.subject_code, *map(str, values)]))
        for column in columns:
            totals[column] += row.counts[column]
    typer.echo("\t".join(["total", "", *(str(totals[column]) for column in columns)]))


complaints_cli = typer.Typer(help="Complaints (pengaduan).", no_args_is_help=True)
cli.add_typer(complaints_cli, name="complaints")


@complaints_cli.command("close-unanswered")
def complaints_close_unanswered() -> None:
    """Close the verified reports whose reporter neither confirmed nor reopened them in 7 days."""
    from app.complaints.handling import close_unanswered

    closed = _run_service(lambda s, _r: close_unanswered(s))
    typer.echo(f"{len(closed)} reports closed: {', '.join(closed) or '-'}")
