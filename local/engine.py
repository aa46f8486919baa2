"""The local engine: creates template.yaml's resources on moto and runs the real ASL on the real handlers."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import logging
import os
import re
import sys
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws

from .callbacks import exclusive_callbacks
from .clock import VirtualClock, install_virtual_clock
from .moto_dynamodb import fast_item_responses, indexed_queries
from .template import ROOT, Function, Route, Template, load_template
from .timescale import install_time_scale

log = logging.getLogger("local.engine")

# Only what differs locally from AWS: no X-Ray daemon, metrics to nowhere.
LOCAL_ENVIRONMENT = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true"}
# No Cognito hosted UI locally: the staff pages sign in with dev tokens (POST /_local/token), unless a stand-in
# for the hosted UI is named (the browser tests serve one).
LOCAL_STAGE_VARIABLES = {"signInUrl": "", "signInClientId": ""}


@dataclass
class LocalContext:
    """The parts of the Lambda context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    deadline: float = field(default_factory=lambda: time.time() + 15)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) * 1000))


_LINK_ID = re.compile(r"/c/([A-Za-z0-9_-]+)")
_CASE_ID = re.compile(r"\bcase-[0-9a-f]{32}\b")


@dataclass
class OutboxItem:
    channel: str  # email | sms | topic
    recipient: str
    subject: str | None
    body: str
    at: float
    case_id: str | None = None  # whose message it is: the case its link leads to, or the case it names
    message_id: str | None = None  # SES's or SNS's id: a bounce or complaint names the email by it
    tags: dict[str, str] = field(default_factory=dict)  # an email's SES tags, as its events carry them back


class LocalEngine:
    """Everything template.yaml declares, on moto, in this process.

    time_scale: 0.001 makes an hour of Wait, Retry or TimeoutSeconds pass in 3.6 s.
    api_keys: the channels' API keys (api_key: a single one); api_key is the first.
    skip_schedules: scheduled functions (logical ids) that do not run by themselves; a test calls what they do.
    hosted_ui: (base URL, client id) of a stand-in for the Cognito hosted UI the staff pages then sign in through.
    """

    def __init__(self, *, time_scale: float = 1.0, public_base_url: str = "http://127.0.0.1:3000",
                 api_key: str = "local-dev-key", api_keys: list[str] | None = None, region: str = "us-east-1",
                 skip_schedules: tuple[str, ...] = (), hosted_ui: tuple[str, str] | None = None):
        self.template = Template(load_template(), region=region)
        self.time_scale = time_scale
        self.public_base_url = public_base_url
        keys = list(api_keys) if api_keys is not None else [api_key]
        if not keys or not all(isinstance(k, str) and k for k in keys):
            raise ValueError("api_keys: at least one, each a non-empty string")
        self.api_key = keys[0]
        # Key -> key id, as API Gateway hands the id of the key used to the function; derived from the key, so
        # a case created under a key stays that key's across restarts of the local stack.
        self.api_keys = {k: api_key_id(k) for k in keys}
        self.region = region
        self.functions: dict[str, Function] = self.template.functions()
        unknown = set(skip_schedules) - {name for name, fn in self.functions.items() if fn.schedules}
        if unknown:
            raise ValueError(f"skip_schedules: no scheduled function {sorted(unknown)[0]!r} in template.yaml")
        self.skip_schedules = set(skip_schedules)
        self.hosted_ui = hosted_ui
        self.stage_variables: dict[str, str] = {}
        self.routes: list[Route] = [r for f in self.functions.values() for r in f.routes]
        self.outbox: list[OutboxItem] = []
        self._links_client = None
        self._modules: dict[str, ModuleType] = {}
        self._import_lock = threading.Lock()
        # On AWS each invocation has a process to itself; here all handlers share one, and Powertools keeps
        # per-process state at class or logger level: every resolver's current event (BaseRouter.current_event),
        # the keys of the service's one Logger (inject_lambda_context's function_name). One handler runs at a
        # time, so no handler sees another's event or logs under another's name. Handlers never wait for one
        # another (a callback or a start returns at once), and moto runs in this process under the same GIL.
        self._container = threading.RLock()
        self._mock = None
        self._patches: list[tuple[Any, str, Any]] = []
        self._stopping = threading.Event()
        self._schedules: list[threading.Thread] = []
        self.clock = VirtualClock(lambda: self.time_scale)
        self._undo_clock: Callable[[], None] | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalEngine:
        os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": self.region,
                           "AWS_REGION": self.region, "TZ": "UTC"})
        time.tzset()  # moto compares Wait timestamps in local time
        logging.getLogger("moto").setLevel(logging.CRITICAL)  # it logs every caught state failure at ERROR
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        install_time_scale(lambda: self.time_scale)
        for path in map(str, self.template.layer_paths()):
            if path not in sys.path:
                sys.path.insert(0, path)
        self._undo_clock = install_virtual_clock(self.clock)
        self._create_resources()
        self._set_environment()
        self._install_patches()
        self._start_schedules()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._schedules:  # a scheduled run still going would reach for real AWS once moto stops
            thread.join(timeout=10)
        for owner, name, original in reversed(self._patches):
            setattr(owner, name, original)
        self._patches.clear()
        if self._undo_clock:
            self._undo_clock()
            self._undo_clock = None
        if self._mock:
            self._mock.stop()
            self._mock = None

    def client(self, service: str):
        return boto3.client(service, region_name=self.region)

    # ------------------------------------------------------------------ resources
    def _create_resources(self) -> None:
        t = self.template
        ddb, sns, events, iam = (self.client(s) for s in ("dynamodb", "sns", "events", "iam"))
        for logical_id, resource in t.of_type("AWS::DynamoDB::Table").items():
            props = t.resolve(resource["Properties"])
            name = props.get("TableName", f"{t.stack_name}-{logical_id}")
            spec = {"TableName": name, "KeySchema": props["KeySchema"],
                    "AttributeDefinitions": props["AttributeDefinitions"], "BillingMode": "PAY_PER_REQUEST"}
            if props.get("GlobalSecondaryIndexes"):
                spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            arn = ddb.create_table(**spec)["TableDescription"]["TableArn"]
            ttl = props.get("TimeToLiveSpecification")
            if ttl:
                ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
            t.physical[logical_id] = {"Ref": name, "Arn": arn}
        for logical_id in t.of_type("AWS::SNS::Topic"):
            name = f"{t.stack_name}-{logical_id}"
            arn = sns.create_topic(Name=name)["TopicArn"]
            t.physical[logical_id] = {"Ref": arn, "TopicName": name, "TopicArn": arn}
        s3, kms = self.client("s3"), self.client("kms")
        for logical_id, resource in t.of_type("AWS::S3::Bucket").items():
            name = f"{t.stack_name}-{logical_id}".lower()
            s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=bool(resource["Properties"].get(
                "ObjectLockEnabled")))
            t.physical[logical_id] = {"Ref": name, "Arn": f"arn:aws:s3:::{name}"}
        for logical_id, resource in t.of_type("AWS::KMS::Key").items():
            props = resource["Properties"]
            key = kms.create_key(KeySpec=props["KeySpec"], KeyUsage=props["KeyUsage"])["KeyMetadata"]
            t.physical[logical_id] = {"Ref": key["KeyId"], "Arn": key["Arn"], "KeyId": key["KeyId"]}
        for logical_id, resource in t.of_type("AWS::Events::EventBus").items():
            name = t.resolve(resource["Properties"])["Name"]
            arn = events.create_event_bus(Name=name)["EventBusArn"]
            t.physical[logical_id] = {"Ref": name, "Name": name, "Arn": arn}
            self._subscribe_downstream(name)
        for logical_id in t.of_type("AWS::Cognito::UserPool"):
            # Reviewers sign in with local dev tokens (POST /_local/token); no pool is needed.
            t.physical[logical_id] = {"Ref": f"local-{logical_id}",
                                      "Arn": f"arn:aws:cognito-idp:{self.region}:{t.account}:userpool/local"}
        for cfn_type in ("AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolDomain"):
            for logical_id in t.of_type(cfn_type):
                t.physical[logical_id] = {"Ref": f"local-{logical_id}"}
        for logical_id, resource in t.of_type("AWS::Serverless::Api").items():
            t.physical[logical_id] = {"Ref": "local"}
            variables = t.resolve(resource["Properties"].get("Variables", {}))
            self.stage_variables = {k: str(v) for k, v in {**variables, **LOCAL_STAGE_VARIABLES}.items()}
            if self.hosted_ui:
                self.stage_variables.update(signInUrl=self.hosted_ui[0], signInClientId=self.hosted_ui[1])
        role = iam.create_role(RoleName="loopgate-local", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        lam = self.client("lambda")
        for logical_id in t.of_type("AWS::Serverless::Function"):
            name = f"{t.stack_name}-{logical_id}"
            arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.lambda_handler",
                                      Code={"ZipFile": _placeholder_zip()})["FunctionArn"]
            t.physical[logical_id] = {"Ref": name, "Arn": arn}
        sfn = self.client("stepfunctions")
        for logical_id, resource in t.of_type("AWS::Serverless::StateMachine").items():
            props = resource["Properties"]
            name = t.resolve(props.get("Name", f"{t.stack_name}-{logical_id}"))
            definition = (ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
            for key, value in t.resolve(props.get("DefinitionSubstitutions", {})).items():
                definition = definition.replace("${" + key + "}", str(value))
            arn = sfn.create_state_machine(name=name, definition=definition, roleArn=role,
                                           type=props.get("Type", "STANDARD"))["stateMachineArn"]
            t.physical[logical_id] = {"Ref": arn, "Name": name, "Arn": arn}
        for logical_id, resource in t.of_type("AWS::SES::ConfigurationSet").items():
            name = t.resolve(resource["Properties"])["Name"]
            self.client("sesv2").create_configuration_set(ConfigurationSetName=name)
            t.physical[logical_id] = {"Ref": name}
        sender = t.ref("SenderEmail") if "SenderEmail" in t.data.get("Parameters", {}) else None
        if sender:
            self.client("ses").verify_email_identity(EmailAddress=sender)

    def _subscribe_downstream(self, bus: str) -> None:
        """A stand-in for downstream systems: everything published on the bus is kept here, as a rule matching
        `{"source": ["loopgate"]}` would deliver it to a subscriber.

        Not a rule with an SQS target (as before): moto counts a queue's messages at every send, so a long run
        (1,000 chaos cases) slowed with each event it published.
        """
        self._bus = bus
        self.downstream: list[dict[str, Any]] = []
        self._downstream_lock = threading.Condition()

    def _deliver_downstream(self, entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            if entry.get("EventBusName", "").rsplit("/", 1)[-1] != self._bus or entry.get("Source") != "loopgate":
                continue
            event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": entry["DetailType"],
                     "source": entry["Source"], "account": self.template.account,
                     "time": self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "region": self.region,
                     "resources": entry.get("Resources", []), "detail": json.loads(entry["Detail"])}
            with self._downstream_lock:
                self.downstream.append(event)
                self._downstream_lock.notify_all()

    def downstream_events(self) -> list[dict[str, Any]]:
        """Every event published to the bus so far, oldest first."""
        with self._downstream_lock:
            return list(self.downstream)

    def await_publication(self, seen: int, timeout: float) -> int:
        """Waits until more than `seen` events were published (or `timeout` passes); returns how many there are.
        A test waiting for a case's status wakes when a status change is published instead of polling the API."""
        with self._downstream_lock:
            self._downstream_lock.wait_for(lambda: len(self.downstream) > seen, timeout)
            return len(self.downstream)

    def _set_environment(self) -> None:
        merged: dict[str, str] = {}
        for fn in self.functions.values():
            for key, value in self.template.resolve(fn.environment).items():
                if key in merged and merged[key] != str(value):
                    raise ValueError(f"{fn.logical_id}: {key} differs between functions; the local engine runs "
                                     "all handlers in one process and needs one value per variable")
                merged[key] = str(value)
        merged["PUBLIC_BASE_URL"] = self.public_base_url
        os.environ.update({**merged, **LOCAL_ENVIRONMENT})

    # ------------------------------------------------------------------ Lambda dispatch
    def handler_module(self, logical_id: str) -> ModuleType:
        """The loaded module of a function's handler (tests inject faults into it)."""
        self._handler(self.functions[logical_id])
        return self._modules[logical_id]

    def _handler(self, fn: Function) -> Callable:
        with self._import_lock:
            module = self._modules.get(fn.logical_id)
            if module is None:
                module_file, attr = fn.handler.rsplit(".", 1)
                spec = importlib.util.spec_from_file_location(f"loopgate_fn_{fn.logical_id}",
                                                              fn.code_uri / f"{module_file}.py")
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                self._modules[fn.logical_id] = module
        return getattr(module, fn.handler.rsplit(".", 1)[1])

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Runs a handler as Lambda would; exceptions propagate to the caller."""
        fn = self.functions[logical_id]
        context = LocalContext(function_name=self.template.physical[logical_id]["Ref"],
                               invoked_function_arn=self.template.physical[logical_id]["Arn"],
                               deadline=time.time() + fn.timeout)  # the function's Timeout in template.yaml
        handler = self._handler(fn)
        with self._container:
            try:
                return handler(event, context)
            finally:
                _drop_unflushed_metrics()

    def _install_patches(self) -> None:
        from moto.awslambda.models import LambdaFunction
        from moto.core.exceptions import JsonRESTError
        from moto.events.models import EventsBackend
        from moto.ses.models import SESBackend
        from moto.sesv2.responses import SESV2Response
        from moto.sns.models import SNSBackend

        by_name = {self.template.physical[k]["Ref"]: k for k in self.functions}
        engine = self

        def invoke(function, body, request_headers, response_headers):
            logical_id = by_name[function.function_name]
            try:
                result = engine.invoke(logical_id, json.loads(body) if body else {})
                return json.dumps(result).encode("utf-8")
            except Exception as exc:  # surfaces as a Lambda function error named after the class, as on AWS
                log.warning("%s raised %s", logical_id, type(exc).__name__)
                log.debug("".join(traceback.format_exception(exc)))
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode("utf-8")

        original_email = SESBackend.send_email

        def send_email(backend, source, subject, body, destinations):
            message = original_email(backend, source, subject, body, destinations)
            for address in [a for group in destinations.values() for a in group]:
                engine.outbox.append(OutboxItem("email", address, subject, body, time.time(), engine.case_of(body),
                                                message_id=message.id))
            return message

        original_email_v2 = SESV2Response.send_email

        def send_email_v2(response):
            # moto drops EmailTags and the configuration set; SES publishes both with the email's events.
            request = json.loads(response.body)
            name = request.get("ConfigurationSetName")
            if name and name not in response.sesv2_backend.core_backend.config_sets:
                raise JsonRESTError("NotFoundException", f"Configuration set <{name}> does not exist")
            answer = original_email_v2(response)
            message_id = json.loads(answer)["MessageId"]
            tags = {tag["Name"]: tag["Value"] for tag in request.get("EmailTags", [])}
            for item in engine.outbox:
                if item.message_id == message_id:
                    item.tags = {**tags, **({"ses:configuration-set": name} if name else {})}
            return answer

        original_publish = SNSBackend.publish

        def publish(backend, message, arn, phone_number=None, subject=None, **kwargs):
            message_id = original_publish(backend, message, arn, phone_number=phone_number, subject=subject, **kwargs)
            channel, recipient = ("sms", phone_number) if phone_number else ("topic", arn)
            engine.outbox.append(OutboxItem(channel, recipient, subject, message, time.time(),
                                            engine.case_of(message), message_id=message_id))
            return message_id

        original_put_events = EventsBackend.put_events

        def put_events(backend, events):
            entries = original_put_events(backend, events)
            engine._deliver_downstream([e for e, result in zip(events, entries, strict=True) if "EventId" in result])
            return entries

        replacements = [(LambdaFunction, "invoke", invoke), (SESBackend, "send_email", send_email),
                        (SESV2Response, "send_email", send_email_v2),
                        (SNSBackend, "publish", publish), (EventsBackend, "put_events", put_events)]
        # The indexed queries go in first: the lock that serialises DynamoDB requests then wraps them too.
        for group in (indexed_queries, lambda: replacements + _atomic_dynamodb_writes() + fast_item_responses()
                      + _cached_interpreter_clients() + _parsed_once() + exclusive_callbacks()):
            for owner, name, replacement in group():
                self._patches.append((owner, name, getattr(owner, name)))
                setattr(owner, name, replacement)

    def case_of(self, message: str) -> str | None:
        """The case a message belongs to, found when it is sent (a link record expires, the outbox stays).

        A customer message carries a link: its id hashes to the link record, which names the case. Alerts name
        the case in their text.
        """
        from loopgate.adapters.dynamo import link_key
        from loopgate.usecases.links import link_hash

        link = _LINK_ID.search(message)
        if link:
            if self._links_client is None:  # made once: a client costs more than the GetItem it makes
                self._links_client = self.client("dynamodb")
            item = self._links_client.get_item(
                TableName=self.template.physical["CasesTable"]["Ref"],
                Key={k: {"S": v} for k, v in link_key(link_hash(link.group(1))).items()},
                ProjectionExpression="caseId").get("Item")
            if item:
                return item["caseId"]["S"]
        named = _CASE_ID.search(message)
        return named.group(0) if named else None

    def _start_schedules(self) -> None:
        """EventBridge schedules of the template, run on scaled time in daemon threads."""
        for fn in self.functions.values():
            if fn.logical_id in self.skip_schedules:
                continue
            for period in fn.schedules:
                thread = threading.Thread(target=self._run_schedule, args=(fn.logical_id, period), daemon=True,
                                          name=f"schedule-{fn.logical_id}")
                self._schedules.append(thread)
                thread.start()

    def _run_schedule(self, logical_id: str, period: float) -> None:
        """Runs on the engine's clock, so a change of time scale (a test that needs real time) takes effect at once.

        Never more often than SCHEDULE_FLOOR_SECONDS of real time: at the chaos bench's scale a minute passes in
        3 ms, and the 1-minute deadlines job ran back to back; handlers take turns here, so it held up every other
        one (a 40-case chaos run spent 2.2 s of CPU per case, the automatic path 0.08 s)."""
        next_run, last_real = self.clock.time() + period, 0.0
        while not self._stopping.wait(0.02):
            if self.clock.time() < next_run or time.monotonic() - last_real < SCHEDULE_FLOOR_SECONDS:
                continue
            next_run, last_real = self.clock.time() + period, time.monotonic()
            try:
                self.run_scheduled(logical_id)
            except Exception:  # a failed run is retried at the next tick, as EventBridge would
                log.exception("scheduled %s failed", logical_id)

    def run_scheduled(self, logical_id: str) -> Any:
        """Runs a scheduled function now, with the event EventBridge would send (POST /_local/run/<id> too)."""
        if not self.functions[logical_id].schedules:
            raise ValueError(f"{logical_id} is not a scheduled function")
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                 "source": "aws.events", "account": self.template.account,
                 "time": self.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"), "region": self.region,
                 "resources": [f"arn:aws:events:{self.region}:{self.template.account}:rule/{logical_id}"],
                 "detail": {}}
        return self.invoke(logical_id, event)

    # ------------------------------------------------------------------ the workflow
    @property
    def state_machine_arn(self) -> str:
        (logical_id,) = self.template.of_type("AWS::Serverless::StateMachine")
        return self.template.physical[logical_id]["Arn"]

    def execution(self, case_id: str) -> dict[str, Any]:
        arn = f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{case_id}"
        return self.client("stepfunctions").describe_execution(executionArn=arn)

    def history(self, case_id: str) -> list[dict[str, Any]]:
        arn = f"{self.state_machine_arn.replace(':stateMachine:', ':execution:')}:{case_id}"
        return self.client("stepfunctions").get_execution_history(executionArn=arn, maxResults=1000)["events"]



def _drop_unflushed_metrics() -> None:
    """With metrics disabled (LOCAL_ENVIRONMENT), Powertools keeps every data point in its class-level set
    instead of flushing it at the end of an invocation: a long `make dev` session would grow without end, and
    the next flush anywhere would print them all. Lambda starts each invocation with an empty set."""
    from aws_lambda_powertools import Metrics

    Metrics().clear_metrics()


# One lock for the process, however often the replacements below are installed (a unit test installs them again
# while a local stack runs in the same worker): moto's backends are the process's, and two locks taken in opposite
# orders by nested installs deadlocked a run under load.
_DYNAMODB_LOCK = threading.RLock()


def _atomic_dynamodb_writes() -> list[tuple[Any, str, Callable]]:
    """DynamoDB checks a condition and writes in one step; moto does not, across threads. Serialize requests.

    Without this, two reviewers deciding at the same instant could both pass `status = OPEN`, and a query
    copying items while another thread writes one fails with "dictionary changed size during iteration".
    """
    from moto.dynamodb.models import DynamoDBBackend

    lock = _DYNAMODB_LOCK

    def atomic(original: Callable) -> Callable:
        def write(*args, **kwargs):
            with lock:
                return original(*args, **kwargs)
        return write

    def item_level_rollback(original: Callable) -> Callable:
        """moto backs up every table a transaction touches (a deep copy: 0.7 s at 10,000 items, under the lock).
        Requests are serialized here, so a backup of the items it touches is enough to roll back."""
        import moto.dynamodb.models as models

        class _NoTableCopy:
            @staticmethod
            def deepcopy(value: Any) -> Any:
                return value

        def transact(self, transact_items, *args, **kwargs):
            before = []
            for entry in transact_items:
                op = next(iter(entry.values()))
                table = self.get_table(op["TableName"])
                key = op.get("Key") or {name: op["Item"][name] for name in (table.hash_key_attr,
                                                                            table.range_key_attr) if name}
                found = self.get_item(op["TableName"], key)
                before.append((op["TableName"], key, found.to_json()["Attributes"] if found else None))
            module_copy, models.copy = models.copy, _NoTableCopy
            try:
                return original(self, transact_items, *args, **kwargs)
            except Exception:
                for table_name, key, attributes in reversed(before):
                    if attributes is None:
                        self.delete_item(table_name, key)
                    else:
                        self.put_item(table_name, attributes)
                raise
            finally:
                models.copy = module_copy

        return transact

    from moto.dynamodb.responses import DynamoHandler

    # The whole request too, not only the backend call: moto hands back the live item (GetItem) and converts it to
    # the response after the backend returned; an update of that item meanwhile failed it with "dictionary changed
    # size during iteration" (a 502 seen under load). The lock is reentrant: the backend calls inside take it again.
    return [(DynamoDBBackend, name, atomic(item_level_rollback(getattr(DynamoDBBackend, name))
                                           if name == "transact_write_items" else getattr(DynamoDBBackend, name)))
            for name in ("put_item", "update_item", "delete_item", "transact_write_items", "get_item", "query",
                         "scan", "batch_get_item", "batch_write_item", "transact_get_items")
            if hasattr(DynamoDBBackend, name)] + [(DynamoHandler, "call_action", atomic(DynamoHandler.call_action))]


def _cached_interpreter_clients() -> list[tuple[Any, str, Callable]]:
    """moto's interpreter builds a new boto3 client for every service call (tens of ms each); reuse them.

    boto3 clients are thread-safe, and the interpreter's clients all have the same settings.
    """
    import importlib
    from pathlib import Path

    import moto.stepfunctions.parser.asl as asl
    from moto.stepfunctions.parser.asl.utils import boto_client as module

    original, cache, lock = module.boto_client_for, {}, threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials: Any = None):
        key = (region, service, repr(state_credentials))
        with lock:
            if key not in cache:
                cache[key] = original(region, service, state_credentials)
            return cache[key]

    users = [module]
    base = Path(asl.__file__).parent
    for source in base.rglob("*.py"):  # the modules that imported the name (read, not imported blindly)
        if "import boto_client_for" in source.read_text(encoding="utf-8"):
            name = ".".join((asl.__name__, *source.relative_to(base).with_suffix("").parts))
            users.append(importlib.import_module(name))
    return [(mod, "boto_client_for", boto_client_for) for mod in users]


def _parsed_once() -> list[tuple[Any, str, Callable]]:
    """moto parses the ASL with ANTLR at every execution start: 28 % of the engine's CPU in `make bench`. Parse
    each definition once.

    The parsed program is shared by concurrent executions: its components take their state from the execution's
    Environment (checked against moto 5.2.5: outside construction only Parallel's and Map's workers assign to
    themselves, and they are built per run; Program.eval writes nothing to the program).
    """
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original, cache, lock = ExecutionWorker._get_evaluation_entrypoint, {}, threading.Lock()

    def entrypoint(worker: Any):
        definition = worker._evaluation_details.state_machine_details.definition
        with lock:
            if definition not in cache:
                cache[definition] = original(worker)
            return cache[definition]

    # The same holds for the JSONPaths the states read ($.plan.next, ...): moto builds a new parser (a yacc table) for
    # each one it evaluates. A parsed path is a read-only tree; find() keeps its state in the call.
    import functools

    import moto.stepfunctions.parser.asl.component.common.path.result_path as result_path
    import moto.stepfunctions.parser.asl.utils.json_path as json_path

    return [(ExecutionWorker, "_get_evaluation_entrypoint", entrypoint)] + [
        (module, "parse", functools.lru_cache(maxsize=4096)(module.parse)) for module in (json_path, result_path)]


def api_key_id(key: str) -> str:
    """A stable id for a channel API key, shaped like API Gateway's (10 lowercase letters and digits)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


# The least real time between two runs of one scheduled function (see LocalEngine._run_schedule).
SCHEDULE_FLOOR_SECONDS = 0.5


def _placeholder_zip() -> bytes:
    """moto wants code to create a function; the engine dispatches to the real handler instead."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    raise RuntimeError('dispatched')\n")
    return buffer.getvalue()
