"""Cost limits of one API request (docs/security.md#cost-limits).

An expensive request is refused before it runs, or stopped while it runs, and
never stalls ``/health`` or the other clients:

* **body size** -- :class:`RequestLimits` refuses a body over
  ``IMVO_MAX_BODY_BYTES`` (413), by its ``Content-Length`` before reading it
  and by counting while reading one sent in chunks;
* **query cost** -- :class:`QueryCost` estimates, before execution, how many
  fields the answer resolves: every list multiplies what is selected inside it
  by its ``first`` argument or, for lists without one, by a declared typical
  size (:data:`LIST_SIZES`); aliases count as often as they appear; the
  whole-graph questions add a fixed cost (:data:`FIELD_COSTS`).  Over
  ``IMVO_MAX_QUERY_COST`` the query is refused with one GraphQL error;
* **result size** -- :func:`count_nodes` counts the objects an answer holds
  and stops it past ``IMVO_MAX_RESULT_NODES`` (what an estimate missed);
* **time** -- a deadline of ``IMVO_REQUEST_TIMEOUT`` seconds
  (:mod:`imvo.kernel.deadline`) that the store reads and the query layer check
  as they go, and that Neo4j gets as the transaction timeout;
* **isolation** -- a GraphQL operation is executed in a worker thread with its
  own event loop (:func:`execute_off_loop`), at most :data:`EXECUTION_SLOTS`
  at a time, its store calls made in that thread one after the other; the
  server's event loop only parses, serialises and answers, so ``/health`` (with
  threads of its own, :data:`HEALTH_THREADS`) and the other clients are served
  while an expensive operation runs.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import math
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.to_thread
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInt,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
    value_from_ast,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from imvo.kernel import audit, deadline
from imvo.kernel.errors import TooExpensive

__all__ = [
    "EXECUTION_SLOTS",
    "FIELD_COSTS",
    "HEALTH_THREADS",
    "LIST_SIZES",
    "QueryCost",
    "RequestLimits",
    "RequestScope",
    "count_nodes",
    "current",
    "execute_off_loop",
    "in_thread",
    "query_cost",
]

#: GraphQL operations (and view renderings) running at once; more wait for a slot (within their deadline)
EXECUTION_SLOTS = 8
#: threads reserved for /health, so it never waits behind the queries
HEALTH_THREADS = 4
#: the query cost allowed when no settings are at hand (IMVO_MAX_QUERY_COST's default)
DEFAULT_MAX_COST = 1_000_000
#: after the deadline, how long the executing thread gets to notice before its answer is given up
GRACE_SECONDS = 1.0

#: Fixed cost (in fields) of the questions that read much of the graph, beside the fields they return;
#: one unit is about one field resolved (~5-10 us); with the default budget of 1,000,000 a request may
#: hold about 9 whole-graph analytics or 19 `paths` (scripts/bench_limits.py measures what they cost).
FIELD_COSTS: dict[tuple[str, str], int] = {
    ("Query", "jointActionOpportunities"): 100_000,
    ("Query", "coBuyerNetwork"): 100_000,
    ("Query", "paths"): 50_000,
    ("Query", "countryOverview"): 25_000,
    ("Query", "sharedFactories"): 5_000,
    ("Query", "multiCovenantCompanies"): 5_000,
    ("Query", "search"): 5_000,
    **{("Query", name): 5_000 for name in ("factories", "companies", "covenants", "countries", "suppliers",
                                           "unions", "ngos", "organisations", "grievances")},
    ("Query", "coBuyers"): 500,
    ("Query", "factoryLeverage"): 500,
    ("Query", "factoryInvestors"): 500,
}

#: Typical sizes of the lists that take no ``first`` (what one item of the parent usually holds);
#: ``nodes`` of a page and the ranked lists of coBuyerNetwork take their ``first`` / ``top``.
DEFAULT_LIST_SIZE = 20
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "sharedFactories"): 1_000, ("Query", "coBuyers"): 100, ("Query", "multiCovenantCompanies"): 100,
    ("Query", "factoryInvestors"): 20,
    ("Country", "located"): 2_000, ("Country", "risks"): 12, ("Country", "active"): 20,
    ("Company", "sourcing"): 200, ("Company", "suppliers"): 20, ("Company", "covenants"): 5,
    ("Company", "investments"): 20, ("Company", "investors"): 10,
    ("Factory", "buyers"): 10, ("Factory", "suppliers"): 5, ("Factory", "unions"): 5, ("Factory", "grievances"): 5,
    ("Supplier", "factories"): 50, ("Supplier", "owns"): 20, ("Supplier", "buyers"): 20,
    ("Covenant", "parties"): 200, ("Covenant", "priorityRisks"): 12,
    ("Union", "factories"): 10, ("Union", "affiliatedTo"): 2, ("Union", "affiliates"): 20,
    ("Union", "covenants"): 5, ("Union", "filed"): 10,
    ("NGO", "activeIn"): 20, ("NGO", "covenants"): 5, ("NGO", "filed"): 20,
    ("Organisation", "activeIn"): 20, ("Organisation", "covenants"): 5,
    ("Risk", "countries"): 100, ("Risk", "covenants"): 5,
    ("SharedFactory", "buyers"): 10, ("CoBuyer", "sharedFactories"): 50,
    **{("FactoryLeverage", name): 10 for name in ("buyers", "signatoryBuyers", "unions", "unionPresence", "ngos",
                                                  "openGrievances")},
    **{("Opportunity", name): 10 for name in ("signatoryBuyers", "openGrievances", "unions", "ngos")},
    ("CountryOverview", "unions"): 50, ("CountryOverview", "ngos"): 20, ("CountryOverview", "riskLevels"): 12,
    ("GraphPath", "nodes"): 7, ("CompanyCovenants", "covenants"): 5,
    ("CoBuyerNetwork", "companies"): 200, ("CoBuyerNetwork", "edges"): 1_000,
    ("CoBuyerNetwork", "communities"): 200,
}
_PAGED = {"nodes", "centralCompanies", "centralFactories"}     # sized by the parent's first / top


# ---------------------------------------------------------------------------
# the request's scope
# ---------------------------------------------------------------------------

@dataclass
class RequestScope:
    """What one request may still spend, and who made it (for the audit record)."""

    max_nodes: int
    nodes: int = 0
    tripped: TooExpensive | None = None
    role: str | None = None
    token: str | None = None
    operation: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_scope: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar("imvo_request", default=None)
_in_execution: contextvars.ContextVar[bool] = contextvars.ContextVar("imvo_in_execution", default=False)


def current() -> RequestScope | None:
    """The scope of the request being served (None outside a request, e.g. in the CLI)."""
    return _scope.get()


def count_nodes(n: int = 1) -> None:
    """Count ``n`` objects of the answer; past the request's limit, stop it (TooExpensive)."""
    scope = _scope.get()
    if scope is None:
        return
    if scope.tripped is not None:
        raise scope.tripped
    scope.nodes += n
    if scope.nodes > scope.max_nodes:
        scope.tripped = TooExpensive(f"the answer would hold more than {scope.max_nodes:,} objects and was "
                                     f"stopped: ask for fewer fields or smaller lists (IMVO_MAX_RESULT_NODES)")
        raise scope.tripped
    d = deadline.current()
    if d is not None and d.expired():
        scope.tripped = d.error()
        raise scope.tripped


_executions: anyio.CapacityLimiter | None = None
_health: anyio.CapacityLimiter | None = None


def _limiter(kind: str) -> anyio.CapacityLimiter:
    # created on first use, inside the server's event loop (a limiter belongs to one loop)
    global _executions, _health
    if kind == "health":
        if _health is None:
            _health = anyio.CapacityLimiter(HEALTH_THREADS)
        return _health
    if _executions is None:
        _executions = anyio.CapacityLimiter(EXECUTION_SLOTS)
    return _executions


async def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call off the server's event loop.

    Inside an operation executed by :func:`execute_off_loop` (already off the
    server's loop, in a thread of its own) the call is made right there: a
    request's store calls go one after the other, so one request holds one
    thread.  Elsewhere (the views) it takes one of the :data:`EXECUTION_SLOTS`.
    """
    call = functools.partial(fn, *args, **kwargs)
    if _in_execution.get():
        return call()
    return await anyio.to_thread.run_sync(call, limiter=_limiter("executions"))


async def health_thread(fn: Callable[[], Any]) -> Any:
    """Run ``/health``'s check in a thread reserved for it."""
    return await anyio.to_thread.run_sync(fn, limiter=_limiter("health"))


async def execute_off_loop(run: Callable[[], Awaitable[ExecutionResult]]) -> ExecutionResult:
    """Execute a GraphQL operation in a worker thread with an event loop of its own.

    The operation gets until the request's deadline plus :data:`GRACE_SECONDS`;
    then its answer is given up (:class:`TooExpensive`), also when the thread
    is inside a call that cannot be interrupted -- that call then stops at its
    own next look at the deadline.
    """
    def in_own_loop() -> ExecutionResult:
        _in_execution.set(True)
        return _thread_loop().run_until_complete(_run_and_tidy(run))
    d = deadline.current()
    with anyio.move_on_after(d.remaining() + GRACE_SECONDS if d is not None else math.inf) as waited:
        result: ExecutionResult = await anyio.to_thread.run_sync(
            contextvars.copy_context().run, in_own_loop, limiter=_limiter("executions"), abandon_on_cancel=True)
        return result
    assert d is not None and waited.cancelled_caught
    return ExecutionResult(data=None, errors=[GraphQLError(str(d.error()), original_error=d.error())])


class _ThreadLoop:
    """An event loop that lives as long as its thread's local storage (closed when the thread ends)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        if not self.loop.is_closed():
            self.loop.close()


_loops = threading.local()


def _thread_loop() -> asyncio.AbstractEventLoop:
    """The execution thread's own event loop, kept for the thread's life (making one per request,
    as ``asyncio.run`` does, cost about a millisecond of every answer)."""
    holder: _ThreadLoop | None = getattr(_loops, "holder", None)
    if holder is None or holder.loop.is_closed():
        holder = _ThreadLoop()
        _loops.holder = holder
    return holder.loop


async def _run_and_tidy(run: Callable[[], Awaitable[ExecutionResult]]) -> ExecutionResult:
    """The operation; then whatever it left scheduled (a DataLoader's batch) is cancelled, as
    ``asyncio.run`` would at its end, so nothing of one request runs during the next."""
    try:
        return await _bounded(run)
    finally:
        me = asyncio.current_task()
        left = [t for t in asyncio.all_tasks() if t is not me]
        for t in left:
            t.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)


async def _bounded(run: Callable[[], Awaitable[ExecutionResult]]) -> ExecutionResult:
    d = deadline.current()
    if d is None:
        return await run()
    if d.expired():
        return ExecutionResult(data=None, errors=[GraphQLError(str(d.error()), original_error=d.error())])
    try:
        return await asyncio.wait_for(run(), d.remaining() + GRACE_SECONDS)
    except TimeoutError:
        return ExecutionResult(data=None, errors=[GraphQLError(str(d.error()), original_error=d.error())])


# ---------------------------------------------------------------------------
# the query's cost, before it runs
# ---------------------------------------------------------------------------

class _Cost:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any] | None) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables or {}
        self.memo: dict[tuple[str, str, int | None], int] = {}
        self.active: set[str] = set()

    def selections(self, sel: SelectionSetNode, parent: GraphQLNamedType, page: int | None) -> int:
        common = 0
        branches: dict[str, int] = defaultdict(int)
        for s in sel.selections:
            if isinstance(s, FieldNode):
                common += self.field(s, parent, page)
                continue
            if isinstance(s, InlineFragmentNode):
                cond = s.type_condition.name.value if s.type_condition else None
                cost = self._part(s.selection_set, cond, parent, page)
            elif isinstance(s, FragmentSpreadNode):
                frag = self.fragments.get(s.name.value)
                if frag is None or s.name.value in self.active:
                    continue
                cond = frag.type_condition.name.value
                key = (s.name.value, parent.name, page)
                if key not in self.memo:
                    self.active.add(s.name.value)
                    try:
                        self.memo[key] = self._part(frag.selection_set, cond, parent, page)
                    finally:
                        self.active.discard(s.name.value)
                cost = self.memo[key]
            else:               # pragma: no cover - graphql-core has no other selection kinds
                continue
            if cond is None or cond == parent.name:
                common += cost
            else:
                branches[cond] += cost          # one object is of one type: the dearest branch counts
        return common + max(branches.values(), default=0)

    def _part(self, sel: SelectionSetNode, cond: str | None, parent: GraphQLNamedType, page: int | None) -> int:
        t = self.schema.get_type(cond) if cond else parent
        return self.selections(sel, t or parent, page)

    def _int_arg(self, node: FieldNode, fdef: Any, name: str) -> int | None:
        arg = next((a for a in node.arguments or () if a.name.value == name), None)
        value: Any = None
        if arg is not None:
            value = value_from_ast(arg.value, GraphQLInt, self.variables)
        elif fdef is not None and name in fdef.args:
            value = fdef.args[name].default_value
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

    def field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 1                            # introspection: bounded by the (fixed) schema
        fields = getattr(parent, "fields", None)
        fdef = fields.get(name) if fields else None
        own = 1 + FIELD_COSTS.get((parent.name, name), 0)
        if fdef is None or node.selection_set is None:
            return own
        rtype = get_nullable_type(fdef.type)
        first = self._int_arg(node, fdef, "first")
        top = self._int_arg(node, fdef, "top")
        child_page = None
        size = 1
        if is_list_type(rtype):
            if first is not None:
                size = first
            elif name in _PAGED and page is not None:
                size = page
            else:
                size = LIST_SIZES.get((parent.name, name), DEFAULT_LIST_SIZE)
        else:
            child_page = first if first is not None else top
        inner = self.selections(node.selection_set, get_named_type(rtype), child_page)
        return own + size * (inner + 1) if is_list_type(rtype) else own + inner   # + 1: each object of a list


def query_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None = None,
               variables: dict[str, Any] | None = None) -> int:
    """The estimated number of fields the operation resolves (see the module's docstring)."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    if operation_name is not None:
        ops = [o for o in ops if o.name is not None and o.name.value == operation_name]
    if len(ops) != 1:
        return 0                                # graphql-core reports the missing / ambiguous operation
    root = schema.get_root_type(ops[0].operation)
    if root is None:
        return 0
    return _Cost(schema, fragments, variables).selections(ops[0].selection_set, root, None)


def describe_operation(document: DocumentNode, operation_name: str | None) -> str:
    """``query Name { rootField rootField }`` -- the operation as the audit log names it."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        ops = [o for o in ops if o.name is not None and o.name.value == operation_name]
    if len(ops) != 1:
        return "?"
    op = ops[0]
    roots = sorted({s.name.value for s in op.selection_set.selections if isinstance(s, FieldNode)})
    name = f" {op.name.value}" if op.name else ""
    return f"{op.operation.value}{name} {{ {' '.join(roots)} }}"


class QueryCost(SchemaExtension):
    """Refuse an operation whose estimated cost is over the limit, before it runs."""

    def __init__(self, *, max_cost: Callable[[Any], int]) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        ec = self.execution_context
        doc = ec.graphql_document
        if doc is not None:
            scope = _scope.get()
            if scope is not None:
                scope.operation = describe_operation(doc, ec.operation_name)
            limit = self.max_cost(ec.context)
            cost = query_cost(ec.schema._schema, doc, ec.operation_name, ec.variables)
            if scope is not None:
                scope.extra["cost"] = cost
            if cost > limit:
                err = TooExpensive(f"the query would cost about {cost:,} (list sizes multiplied through nesting, "
                                   f"aliases counted), more than the {limit:,} allowed: ask for fewer fields, "
                                   f"a smaller first or less nesting (IMVO_MAX_QUERY_COST)")
                ec.result = ExecutionResult(data=None, errors=[GraphQLError(str(err), original_error=err)])
        yield


# ---------------------------------------------------------------------------
# the HTTP side: body size, deadline, the request's scope
# ---------------------------------------------------------------------------

_EXEMPT = ("/health", "/static/")


class RequestLimits:
    """Pure ASGI middleware: body size limit, the request's deadline and scope (not for /health, /static)."""

    def __init__(self, app: ASGIApp, *, max_body: int, timeout: float, max_nodes: int,
                 on_done: Callable[[Scope, RequestScope, int, audit.Collector], None] | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.timeout = timeout
        self.max_nodes = max_nodes
        self.on_done = on_done

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length == -1:
            await _plain(send, 400, "Content-Length is not a number")
            return
        if length is not None and length > self.max_body:
            await _plain(send, 413, f"the request body is larger than {self.max_body:,} bytes "
                                    f"(IMVO_MAX_BODY_BYTES)")
            return
        received = 0
        status = 0
        body_done = False

        async def limited_receive() -> Message:
            # the body must arrive whole before the deadline (a client trickling it in holds nothing longer)
            nonlocal received, body_done
            if body_done:
                return await receive()
            d = deadline.current()
            try:
                with anyio.fail_after(max(d.remaining(), 0.0) if d is not None else None):
                    message = await receive()
            except TimeoutError:
                raise BodyTooSlow(self.timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
                body_done = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        req = RequestScope(max_nodes=self.max_nodes)
        token = _scope.set(req)
        try:
            with deadline.within(self.timeout), audit.collect() as links:
                try:
                    await self.app(scope, limited_receive, tracking_send)
                except (BodyTooLarge, BodyTooSlow) as exc:
                    if status:
                        raise
                    status = exc.status
                    await _plain(send, status, str(exc))
                finally:
                    if self.on_done is not None:
                        self.on_done(scope, req, status, links)
        finally:
            _scope.reset(token)


class BodyTooLarge(Exception):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit:,} bytes (IMVO_MAX_BODY_BYTES)")


class BodyTooSlow(Exception):
    status = 408

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the request body did not arrive within {seconds:g} s (IMVO_REQUEST_TIMEOUT)")


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", ()):
        if k == b"content-length":
            try:
                n = int(v)
            except ValueError:
                return -1
            return n if n >= 0 else -1
    return None


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------------
# a GraphQL request body, read strictly
# ---------------------------------------------------------------------------

class BadRequest(Exception):
    """A malformed GraphQL request (HTTP 400 / 415, one line)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """A POSTed GraphQL request: one JSON object ``{query, variables, operationName, extensions}``."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in ("application/json", "application/graphql-response+json"):
        raise BadRequest(415, "send the GraphQL request as JSON: Content-Type: application/json")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "the request body is not valid UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest(400, "the request body is JSON nested too deeply") from None
    except ValueError as exc:           # JSONDecodeError, NaN / Infinity, integers of > 4300 digits
        raise BadRequest(400, f"the request body is not valid JSON ({str(exc).splitlines()[0][:80]})") from None
    if isinstance(data, list):
        raise BadRequest(400, "batched requests are not accepted: send one operation per request")
    if not isinstance(data, dict):
        raise BadRequest(400, "the request body must be a JSON object {\"query\": ..., \"variables\": ...}")
    for key, kinds, what in (("query", (str,), "a string"), ("operationName", (str,), "a string"),
                             ("variables", (dict,), "an object"), ("extensions", (dict,), "an object")):
        if data.get(key) is not None and not isinstance(data[key], kinds):
            raise BadRequest(400, f"`{key}` must be {what} or null")
    return data

