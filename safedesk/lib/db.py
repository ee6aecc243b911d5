"""Database upkeep that the embedded (SQLite) mode needs and PostgreSQL does by itself, a
row-by-primary-key read for the lookups every request makes, and frozen queries: querysets the
ORM compiles once and that later run with new values."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet, FullResultSet, ImproperlyConfigured, ValidationError
from django.db import connection, connections, transaction
from django.db.models import Model, QuerySet, signals
from django.db.models.base import ModelState

M = TypeVar("M", bound=Model)


def row_by_pk(model: type[M], pk: Any) -> M | None:
    """`model.objects.filter(pk=pk).first()` for one row by primary key, without building and
    compiling a query each time. Every signed-in request reads its user and its second-factor
    device this way; through the ORM the two cost ~0.7 ms of Python per request, as plain SQL
    ~0.2 ms. The row comes back as a model instance (the fields' database converters applied),
    or None. Integer keys (every model here) go through a frozen query (below), any other
    through the ORM."""
    try:
        key = model._meta.pk.to_python(pk)
    except ValidationError:
        return None
    if type(key) is not int:
        return model._default_manager.filter(pk=key).first()
    found = _frozen_by_pk(model)(key)
    return found[0] if found else None


@lru_cache(maxsize=64)
def _frozen_by_pk(model: type[M]) -> Frozen[M]:
    return Frozen(lambda pk: model._default_manager.filter(pk=pk), int)


def refresh_planner_statistics() -> None:
    """Give the query planner fresh table statistics, after start-up or a bulk import.

    Without them SQLite guessed that a two-valued status index was selective and scanned 12,000
    rows (8 ms) for a five-row lookup that takes 0.05 ms with them; PostgreSQL, right after a
    bulk import and before autovacuum's next pass, searched 10× slower."""
    if connection.vendor in {"sqlite", "postgresql"}:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# ---- frozen queries ----------------------------------------------------------------------------
#
# Building a queryset and compiling it to SQL costs ~0.5–1 ms of Python per statement on this
# machine, turning the rows into model instances through `from_db` ~10 µs per instance; running
# the same SQL directly costs ~0.2 ms. A page that reads five lists pays that five times on every
# request. A frozen query asks the ORM for the SQL of a queryset shape once (per database and
# shape), with marker values where the caller's values go, and afterwards only swaps the values
# in: the SQL text, the column converters and the way rows become instances are the ORM's own.

MAX_SHAPES = 256  # compiled shapes kept per frozen query
DB = "default"
# Negative (no key or count is) and within a 32-bit integer column's range: a value outside a
# column's range never reaches the SQL (Django answers such a lookup without asking).
_INT_MARK = -2_073_100_000
_STR_MARK = "\x1ffrozen-slot-{}\x1f"


def _marker(kind: type, index: int) -> Any:
    if kind is int:
        return _INT_MARK - index
    if kind is str:
        return _STR_MARK.format(index)
    raise ImproperlyConfigured(f"a frozen query slot is int or str, not {kind!r}")


@dataclass(frozen=True)
class _Node:
    """How one model's columns in a row become an instance (the queryset's model or a
    select_related one), and where it goes on its parent."""

    model: type[Model]
    start: int
    end: int
    attnames: tuple[str, ...]
    pk_index: int  # within start:end
    fast: bool  # no init signal listeners: the instance may be made without Model.__init__
    local_setter: Any
    remote_setter: Any
    children: tuple[_Node, ...]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, ...], ...]  # per slot, the positions of its marker in params
    converters: tuple[tuple[int, tuple[Any, ...], Any], ...]
    root: _Node | None  # None: a values_list() query, rows come back as tuples


def _node(klass_info: dict[str, Any], select: Sequence[Any]) -> _Node:
    fields = list(klass_info["select_fields"])
    if fields != list(range(fields[0], fields[-1] + 1)):
        raise ImproperlyConfigured("a frozen query cannot select a model's columns out of order")
    start, end = fields[0], fields[-1] + 1
    model = klass_info["model"]
    attnames = tuple(col[0].target.attname for col in select[start:end])
    listeners = signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)
    return _Node(
        model=model,
        start=start,
        end=end,
        attnames=attnames,
        pk_index=attnames.index(model._meta.pk.attname),
        fast=not listeners,
        local_setter=klass_info.get("local_setter"),
        remote_setter=klass_info.get("remote_setter"),
        children=tuple(_node(info, select) for info in klass_info.get("related_klass_infos", ())),
    )


def _instance(node: _Node, row: Sequence[Any], db: str) -> Model:
    values = row[node.start : node.end]
    if not node.fast:
        return node.model.from_db(db, list(node.attnames), values)
    # What from_db and Model.__init__ leave on an instance read from the database, without the
    # per-field loop: the loaded values by attribute name (fields left out stay deferred, read
    # on access as with .only()) and a state that says "from this database, not new".
    obj = node.model.__new__(node.model)
    state = ModelState()
    state.adding = False
    state.db = db
    obj.__dict__["_state"] = state
    obj.__dict__.update(zip(node.attnames, values, strict=True))
    return obj


def _populate(node: _Node, row: Sequence[Any], parent: Model, db: str) -> None:
    obj = None if row[node.start + node.pk_index] is None else _instance(node, row, db)
    if obj is not None:
        for child in node.children:
            _populate(child, row, obj, db)
    node.local_setter(parent, obj)
    if obj is not None:
        node.remote_setter(obj, parent)


class Frozen(Generic[M]):
    """A queryset shape compiled once per database and shape key.

    `build(*values)` returns the queryset for the given slot values (`slots` gives each one's
    type, int or str: keys, counts, texts); it is called once per shape with markers in place of
    the values, and the markers' positions among the compiled SQL's parameters are where later
    calls put theirs. Anything else the queryset holds (constants, ordering, LIMIT) is part of
    the shape: give `key` whatever of it varies. A value the ORM would transform before binding
    (a date, a UUID on SQLite, a model instance) cannot be a slot; pass the key it stands for.
    A slot that a shape does not use is ignored in that shape. The result equals
    `list(build(*values))` (tested per query against the ORM on both databases), with
    select_related objects attached as the ORM attaches them."""

    def __init__(self, build: Callable[..., QuerySet[Any]], *slots: type) -> None:
        self._build = build
        self._slots = slots
        self._compiled: dict[tuple[Hashable, ...], _Compiled] = {}
        self._lock = threading.Lock()
        self.compilations = 0  # how often the ORM compiled a shape (tests check it stays put)

    def _compile(self, db: str, key: Hashable, build_args: tuple[Any, ...]) -> _Compiled:
        markers = [_marker(kind, i) for i, kind in enumerate(self._slots)]
        queryset = self._build(*build_args, *markers)
        compiler = queryset.query.get_compiler(using=db)
        try:
            sql, params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet) as exc:
            raise ImproperlyConfigured("a frozen query slot does not reach the SQL as a parameter") from exc
        params = tuple(params)
        slots = []
        for marker in markers:
            positions = tuple(i for i, p in enumerate(params) if type(p) is type(marker) and p == marker)
            if not positions and len(self._slots) == 1:
                raise ImproperlyConfigured(f"frozen query slot {marker!r} does not reach the SQL as a parameter")
            # With several slots a shape may leave one out (an inbox view that is not "mine"
            # does not filter by the viewer): its value is then not bound.
            slots.append(positions)
        select = compiler.select
        converters = tuple(
            (pos, tuple(convs), expr)
            for pos, (convs, expr) in compiler.get_converters([col[0] for col in select]).items()
        )
        values_only = queryset._iterable_class.__name__ == "ValuesListIterable"
        if not values_only and queryset._iterable_class.__name__ != "ModelIterable":
            raise ImproperlyConfigured("a frozen query returns model instances or values_list() tuples")
        if values_only and (compiler.query.annotation_select or compiler.query.extra_select):
            raise ImproperlyConfigured("a frozen values_list() query reads fields only")
        root = None if values_only else _node(compiler.klass_info, select)
        with self._lock:
            self.compilations += 1
        return _Compiled(sql=sql, params=params, slots=tuple(slots), converters=converters, root=root)

    def __call__(self, *values: Any, key: Hashable = (), build_args: tuple[Any, ...] = ()) -> list[M]:
        """The rows for `values`. `build_args` go to `build` before the slot values and must be
        determined by `key` (they shape the query; they are not bound again)."""
        db = DB  # safedesk runs on one database (no routers)
        shape = (db, key)
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compile(db, key, build_args)
            if len(self._compiled) < MAX_SHAPES:
                compiled = self._compiled.setdefault(shape, compiled)
            # Past MAX_SHAPES a shape is compiled per call and not kept: shape keys come from
            # request parameters, and memory must not grow with what clients send.
        params = list(compiled.params)
        for positions, value, kind in zip(compiled.slots, values, self._slots, strict=True):
            if type(value) is not kind:
                raise TypeError(f"frozen query slot wants {kind.__name__}, got {type(value).__name__}")
            for i in positions:
                params[i] = value
        conn = connections[db]
        with conn.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            converted = []
            for raw in rows:
                row = list(raw)
                for pos, convs, expr in compiled.converters:
                    value = row[pos]
                    for conv in convs:
                        value = conv(value, expr, conn)
                    row[pos] = value
                converted.append(row)
            rows = converted
        root = compiled.root
        if root is None:
            return [tuple(row) for row in rows]  # type: ignore[misc]  # (values_list(): Frozen[Any])
        out: list[Any] = []
        for row in rows:
            obj = _instance(root, row, db)
            for child in root.children:
                _populate(child, row, obj, db)
            out.append(obj)
        return out


# ---- planned inserts ---------------------------------------------------------------------------
#
# `obj.save(force_insert=True)` and `bulk_create` build an InsertQuery and compile it on every
# call: ~0.3 ms of Python per row on this machine, four times over for one new ticket (ticket,
# first message, audit events, job row). The statement's text depends only on the model, the
# database and the number of rows, so it is written once; each call prepares the values with the
# fields' own `pre_save` and `get_db_prep_save`, as the ORM does.

_INSERT_ROWS_MAX = 16  # statements kept per model by row count (beyond: written per call)
_MAX_PARAMS = 999  # SQLite's lowest limit of parameters per statement


@dataclass(frozen=True)
class _InsertPlan:
    sql: str
    fields: tuple[Any, ...]  # the columns written, in order
    returns_pk: bool  # the primary key comes back from the database (an auto-increment key)


def _insert_plan(model: type[Model], rows: int, pk_set: bool, vendor: str) -> _InsertPlan:
    key = (model, rows, pk_set, vendor)
    plan = _INSERT_PLANS.get(key)
    if plan is not None:
        return plan
    meta = model._meta
    conn = connections[DB]
    qn = conn.ops.quote_name
    fields = tuple(f for f in meta.local_concrete_fields if not f.generated and (pk_set or f is not meta.auto_field))
    returns_pk = not pk_set and meta.auto_field is not None
    if returns_pk and not conn.features.can_return_rows_from_bulk_insert:
        raise ImproperlyConfigured("planned inserts need INSERT … RETURNING")
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Only the model's quoted table and column names go into the text; values are parameters.
    sql = "INSERT INTO {} ({}) VALUES {}".format(  # noqa: S608
        qn(meta.db_table), ", ".join(qn(str(f.column)) for f in fields), ", ".join([row] * rows)
    )
    if returns_pk:
        sql += f" RETURNING {qn(meta.db_table)}.{qn(str(meta.pk.column))}"
    plan = _InsertPlan(sql=sql, fields=fields, returns_pk=returns_pk)
    if rows <= _INSERT_ROWS_MAX:
        _INSERT_PLANS[key] = plan
    return plan


_INSERT_PLANS: dict[tuple[Any, ...], _InsertPlan] = {}


@cache
def _plain_shape(model: type[Model]) -> bool:
    """No parent tables, no field that picks its own SQL placeholder or has a database default
    read back after the INSERT, and no `save()` of its own (it would be skipped: the SLA set-up
    rows drop a shared cache token there) unless the model says, with `INSERT_SKIPS_SAVE`, that
    its `save()` adds nothing to a first INSERT."""
    meta = model._meta
    if meta.parents or meta.proxy:
        return False
    if model.save is not Model.save and not getattr(model, "INSERT_SKIPS_SAVE", False):
        return False
    return not any(
        hasattr(f, "get_placeholder") or (f.db_returning and not f.primary_key) for f in meta.concrete_fields
    )


def insert(*objs: M) -> None:
    """Write new rows of one model, as `obj.save(force_insert=True)` (one object: with the
    pre_save and post_save signals) or `bulk_create` (several: without them) would: the same
    columns and values (`pre_save` of each field fills auto_now ones; defaults are those the
    instances already hold), in one INSERT statement, the new primary keys set on the objects.
    A model the plan cannot write exactly (see `_plain_shape`) goes through the ORM instead; a
    value that is an SQL expression is refused (TypeError). Runs in the caller's transaction."""
    if not objs:
        return
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("insert() writes rows of one model")
    meta = model._meta
    pk_set = objs[0].pk is not None
    batch: _Together | None = getattr(_together, "batch", None)
    if batch is not None:
        batch.add(objs, pk_set)  # written when the `inserts_together` block ends
        return
    if not _plain_shape(model) or any((obj.pk is not None) is not pk_set for obj in objs):
        _orm_insert(objs)
        return
    if len(objs) * len(meta.local_concrete_fields) > _MAX_PARAMS:
        _orm_insert(objs)  # bulk_create splits it into batches the database accepts
        return
    one = objs[0] if len(objs) == 1 else None
    if one is not None and signals.pre_save.has_listeners(model):
        signals.pre_save.send(sender=model, instance=one, raw=False, using=DB, update_fields=None)
        pk_set = one.pk is not None  # a listener may have set the key
    conn = connections[DB]
    plan = _insert_plan(model, len(objs), pk_set, conn.vendor)
    params: list[Any] = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        for field in plan.fields:
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"insert() writes values, not SQL expressions ({field.name}): use the ORM")
            params.append(field.get_db_prep_save(value, conn))
    with conn.cursor() as cursor:
        cursor.execute(plan.sql, params)
        if plan.returns_pk:
            keys = cursor.fetchall()
            if len(keys) != len(objs):
                raise RuntimeError("the database returned fewer keys than rows inserted")
            attname = meta.pk.attname
            for obj, (key,) in zip(objs, keys, strict=True):
                setattr(obj, attname, key)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = DB
    if one is not None and signals.post_save.has_listeners(model):
        signals.post_save.send(sender=model, instance=one, created=True, update_fields=None, raw=False, using=DB)


# ---- inserts written together ------------------------------------------------------------------
#
# A new guest ticket is four rows (the ticket, its first message, its audit event, its email
# job): four INSERTs, and around them the BEGIN and COMMIT of their transaction — six round trips
# to PostgreSQL, each a wake-up of the server process and of ours. One statement of four
# data-modifying WITH parts writes the same rows atomically with one round trip and no
# transaction around it; a row that refers to an earlier row of the statement (the message's
# ticket) reads that row's new key from its part.

_together = threading.local()  # .batch: the open `inserts_together` block of this thread


class _Together:
    """Rows given to `insert()` in an `inserts_together` block, in order, by call."""

    def __init__(self) -> None:
        self.groups: list[tuple[type[Model], tuple[Model, ...], bool]] = []  # (model, rows, pk set)
        self.where: dict[int, tuple[int, int]] = {}  # id(row) -> (group, number of rows in it)

    def add(self, objs: Sequence[Model], pk_set: bool) -> None:
        model = type(objs[0])
        if not _plain_shape(model) or any((obj.pk is not None) is not pk_set for obj in objs):
            raise TypeError(f"{model.__name__} rows cannot be written by inserts_together(): use insert() alone")
        if len(objs) == 1 and signals.pre_save.has_listeners(model):
            signals.pre_save.send(sender=model, instance=objs[0], raw=False, using=DB, update_fields=None)
            pk_set = objs[0].pk is not None
        for obj in objs:
            self.where[id(obj)] = (len(self.groups), len(objs))
        self.groups.append((model, tuple(objs), pk_set))

    @property
    def rows(self) -> list[Model]:
        return [obj for _model, objs, _pk in self.groups for obj in objs]


@cache
def _relations(model: type[Model]) -> tuple[Any, ...]:
    """The model's concrete foreign keys (what `_prepare_related_fields_for_save` checks)."""
    return tuple(f for f in model._meta.concrete_fields if f.is_relation)


def _writes_refused(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    if sql.lstrip()[:6].upper() != "SELECT":
        raise RuntimeError("only reads may run inside inserts_together(): its writes are one statement")
    return execute(sql, params, many, context)


@contextmanager
def inserts_together() -> Iterator[_Together | None]:
    """The rows `insert()` is given inside the block are written all or none. On PostgreSQL they
    are one statement sent when the block ends (atomic by itself, so outside a transaction there
    is no BEGIN and COMMIT either), and any other write inside the block is refused
    (RuntimeError); a row keeps no primary key until then, so code inside must not read one,
    and a foreign key to a single row written earlier in the block is filled in by the
    statement. Elsewhere (SQLite) the block is a transaction and each `insert()` runs at once.
    An error inside the block writes nothing; a constraint the statement breaks raises
    IntegrityError from the end of the block. Yields the batch (its `.rows`) on PostgreSQL,
    None elsewhere."""
    conn = connections[DB]
    if conn.vendor != "postgresql":
        with transaction.atomic():
            yield None
        return
    if getattr(_together, "batch", None) is not None:
        raise RuntimeError("inserts_together() blocks do not nest")
    batch = _Together()
    _together.batch = batch
    try:
        with conn.execute_wrapper(_writes_refused):
            yield batch
    finally:
        _together.batch = None
    if conn.in_atomic_block:
        with transaction.atomic():  # a savepoint: a failed statement leaves the caller's transaction usable
            _write_together(batch)
    else:
        _write_together(batch)


def _write_together(batch: _Together) -> None:
    if not batch.groups:
        return
    conn = connections[DB]
    params: list[Any] = []
    filled: list[tuple[Model, Any, int]] = []  # (row, foreign key field, group it points at)
    shape: list[Any] = []  # what the statement's text depends on
    for model, objs, pk_set in batch.groups:
        plan = _insert_plan(model, len(objs), pk_set, conn.vendor)
        relations = _relations(model)
        row_refs = []
        for obj in objs:
            refs: dict[int, int] = {}  # id(field) -> the group it points at
            for field in relations:
                if field.is_cached(obj):
                    target = field.get_cached_value(obj)
                    if target is not None and target.pk is None and id(target) in batch.where:
                        group, size = batch.where[id(target)]
                        if size != 1:
                            raise TypeError("a row of inserts_together() can refer to a single-row insert only")
                        refs[id(field)] = group
            if not refs:
                obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
            elif others := [f for f in relations if id(f) not in refs]:  # ([] would mean "all" to Django)
                obj._prepare_related_fields_for_save(operation_name="save", fields=others)  # type: ignore[attr-defined]
            placed = []
            for i, field in enumerate(plan.fields):
                points_at = refs.get(id(field))
                if points_at is not None:
                    placed.append((i, points_at))
                    filled.append((obj, field, points_at))
                    continue
                value = field.pre_save(obj, True)
                if hasattr(value, "resolve_expression"):
                    raise TypeError(f"insert() writes values, not SQL expressions ({field.name}): use the ORM")
                params.append(field.get_db_prep_save(value, conn))
            row_refs.append(tuple(placed))
        shape.append((model, len(objs), pk_set, tuple(row_refs)))
    statement, returned = _together_statement(conn.vendor, tuple(shape))
    with conn.cursor() as cursor:
        cursor.execute(statement, params)
        keys = cursor.fetchall()
    by_group: dict[int, list[Any]] = {}
    for part, key in keys:
        by_group.setdefault(part, []).append(key)
    for g in returned:
        model, objs, _pk = batch.groups[g]
        got = by_group.get(g, [])
        if len(got) != len(objs):
            raise RuntimeError("the database returned fewer keys than rows inserted")
        for obj, key in zip(objs, got, strict=True):
            setattr(obj, model._meta.pk.attname, key)
    for obj, field, group in filled:
        setattr(obj, field.attname, batch.groups[group][1][0].pk)
    for model, objs, _pk in batch.groups:
        for obj in objs:
            obj._state.adding = False
            obj._state.db = DB
        if len(objs) == 1 and signals.post_save.has_listeners(model):
            signals.post_save.send(
                sender=model, instance=objs[0], created=True, update_fields=None, raw=False, using=DB
            )


@lru_cache(maxsize=64)
def _together_statement(vendor: str, shape: tuple[Any, ...]) -> tuple[str, tuple[int, ...]]:
    """The text of one `inserts_together` statement, written once per shape: per part its model,
    row count, whether keys are given, and per row which columns take the new key of which
    earlier part; with the parts whose new keys come back."""
    qn = connections[DB].ops.quote_name
    parts: list[str] = []
    returned: list[int] = []  # parts whose new keys come back, in the order of the SELECT
    for g, (model, count, pk_set, row_refs) in enumerate(shape):
        meta = model._meta
        plan = _insert_plan(model, count, pk_set, vendor)
        rows = []
        for placed in row_refs:
            values = ["%s"] * len(plan.fields)
            for i, points_at in placed:
                ref_pk = qn(str(shape[points_at][0]._meta.pk.column))
                values[i] = f"(SELECT {ref_pk} FROM w{points_at})"  # noqa: S608
            rows.append("(" + ", ".join(values) + ")")
        # Only the models' quoted table and column names go into the text; values are parameters.
        sql = "INSERT INTO {} ({}) VALUES {}".format(  # noqa: S608
            qn(meta.db_table), ", ".join(qn(str(f.column)) for f in plan.fields), ", ".join(rows)
        )
        if plan.returns_pk:
            sql += f" RETURNING {qn(str(meta.pk.column))}"
            returned.append(g)
        parts.append(f"w{g} AS ({sql})")
    selects = [f"SELECT {g} AS part, {qn(str(shape[g][0]._meta.pk.column))} AS key FROM w{g}" for g in returned]  # noqa: S608
    tail = " UNION ALL ".join(selects) if selects else "SELECT 0, 0 WHERE FALSE"
    return "WITH " + ", ".join(parts) + " " + tail, tuple(returned)


def _orm_insert(objs: Sequence[Model]) -> None:
    # (The ORM sends the save signals of one object itself.)
    if len(objs) == 1:
        objs[0].save(force_insert=True)
    else:
        type(objs[0])._default_manager.bulk_create(list(objs))
