"""A small order-entry service on crmscm, in Python with SQLAlchemy (1.4, Debian's
python3-sqlalchemy) over psycopg2.  README "Using crmscm from an application".

What it shows:
  * one pooled engine for the whole service; the tenant is set at the start
    of every transaction with set_config('crmscm.tenant_id', :t, true), so a
    pooled connection never carries a tenant into the next transaction;
  * crmscm.place_order(): an order and its lines in one call, reserved before
    it returns (quantities are final; its transaction holds the inventory
    rows it locked until it ends, so it commits at once);
  * a retry loop for serialization failures (40001) and deadlocks (40P01),
    the only errors worth retrying as they are;
  * ORM classes for orders and lines: loaded, changed and saved whole
    (crmscm lets a write of the value a row holds through: 2 for 2.0);
  * a LISTEN on crmscm_backorder_filled, on a connection of its own;
  * a JSON-over-HTTP face (http.server): POST /orders, GET /orders/<id>,
    PATCH /orders/<id>/lines/<n>, the tenant in the header X-Tenant.

Run:  python3 order_service.py postgresql://app@/shop 8080
"""
import json
import random
import select
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import psycopg2.extensions
from sqlalchemy import (BigInteger, Column, ForeignKeyConstraint, Integer, Numeric, Text, create_engine, text)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, declarative_base, relationship

RETRYABLE = {"40001", "40P01"}

Base = declarative_base()


class SalesOrder(Base):
    __tablename__ = "sales_orders"
    __table_args__ = {"schema": "crmscm"}
    # tenant_id is part of the key but comes from the column default
    # (crmscm.current_tenant()); row-level security shows one tenant
    tenant_id = Column(BigInteger, server_default=text("crmscm.current_tenant()"))
    order_id = Column(BigInteger, primary_key=True)
    customer_id = Column(BigInteger, nullable=False)
    status = Column(Text, server_default="draft")
    ship_to = Column(Text)                  # crmscm.geopoint, '(lat,lon)'
    priority = Column(Integer, server_default="0")
    fill_policy = Column(Text, server_default="backorder")
    lines = relationship("SalesOrderLine", order_by="SalesOrderLine.line_no", back_populates="order")


class SalesOrderLine(Base):
    __tablename__ = "sales_order_lines"
    __table_args__ = (ForeignKeyConstraint(["tenant_id", "order_id"], ["crmscm.sales_orders.tenant_id", "crmscm.sales_orders.order_id"]),
                      {"schema": "crmscm"})
    tenant_id = Column(BigInteger, server_default=text("crmscm.current_tenant()"))
    order_id = Column(BigInteger, primary_key=True)
    line_no = Column(Integer, primary_key=True)
    item_id = Column(BigInteger, nullable=False)
    qty = Column(Numeric, nullable=False)
    unit_price = Column(Numeric)           # omitted: the item's price
    warehouse_id = Column(BigInteger)
    status = Column(Text, server_default="open")
    # maintained by crmscm: read them, write back only what was loaded
    qty_reserved = Column(Numeric, server_default="0")
    qty_backordered = Column(Numeric, server_default="0")
    qty_shipped = Column(Numeric, server_default="0")
    order = relationship("SalesOrder", back_populates="lines",
                         primaryjoin="and_(SalesOrder.tenant_id == foreign(SalesOrderLine.tenant_id), "
                                     "SalesOrder.order_id == foreign(SalesOrderLine.order_id))")


def _jsonable(v):
    return str(v) if isinstance(v, Decimal) else v


class OrderService:
    def __init__(self, url, pool_size=5, max_tries=6):
        self.engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, future=True)
        self.url = url
        self.max_tries = max_tries
        self.retries = 0
        self._listener = None

    # -- transactions ---------------------------------------------------
    def run(self, tenant, work):
        """work(session) in one transaction of `tenant`, retried on 40001/40P01."""
        for attempt in range(1, self.max_tries + 1):
            try:
                with Session(self.engine, future=True) as s:
                    with s.begin():
                        # first statement of every transaction: its tenant
                        s.execute(text("SELECT set_config('crmscm.tenant_id', :t, true)"), {"t": str(tenant)})
                        return work(s)
            except DBAPIError as e:
                code = getattr(e.orig, "pgcode", None)
                if code not in RETRYABLE or attempt == self.max_tries:
                    raise
                self.retries += 1
                time.sleep(random.uniform(0, 0.01 * 2 ** attempt))

    # -- the API ----------------------------------------------------------
    def place_order(self, tenant, customer_id, lines, **options):
        """lines: [{"item_id", "qty", "warehouse_id"?, "unit_price"?}]; options: status,
        ship_to, priority, fill_policy.  Returns the order id and each line's outcome."""
        args = {"c": customer_id, "l": json.dumps(lines, default=str), "s": options.get("status", "confirmed"),
                "st": options.get("ship_to"), "p": options.get("priority"), "f": options.get("fill_policy", "backorder")}

        def work(s):
            rows = s.execute(text(
                "SELECT * FROM crmscm.place_order(:c, CAST(:l AS jsonb), :s, CAST(:st AS crmscm.geopoint), :p, :f)"),
                args).mappings().all()
            return {"order_id": rows[0]["order_id"],
                    "lines": [{k: _jsonable(v) for k, v in r.items() if k != "order_id"} for r in rows]}
        return self.run(tenant, work)

    def get_order(self, tenant, order_id):
        def work(s):
            o = s.get(SalesOrder, order_id)
            if o is None:
                return None
            totals = s.execute(text("SELECT amount, open_amount, reserved_value FROM crmscm.order_totals WHERE order_id = :o"),
                               {"o": order_id}).mappings().one()
            return {"order_id": o.order_id, "status": o.status, "fill_policy": o.fill_policy,
                    "totals": {k: str(v) for k, v in totals.items()},
                    "lines": [{"line_no": l.line_no, "item_id": l.item_id, "qty": str(l.qty), "unit_price": str(l.unit_price),
                               "qty_reserved": str(l.qty_reserved), "qty_backordered": str(l.qty_backordered),
                               "status": l.status} for l in o.lines]}
        return self.run(tenant, work)

    def set_line_qty(self, tenant, order_id, line_no, qty):
        """Change a line through the ORM (the whole line is written back) and
        return it as reserved at the end of the transaction."""
        def work(s):
            line = s.get(SalesOrderLine, (order_id, line_no))
            if line is None:
                return None
            line.qty = Decimal(str(qty))
            s.flush()
            s.execute(text("SELECT crmscm.reserve_pending()"))     # quantities final now
            s.refresh(line)
            return {"line_no": line.line_no, "qty": str(line.qty), "qty_reserved": str(line.qty_reserved),
                    "qty_backordered": str(line.qty_backordered)}
        return self.run(tenant, work)

    def availability(self, tenant, order_id):
        return self.run(tenant, lambda s: [{k: _jsonable(v) for k, v in r.items()} for r in s.execute(
            text("SELECT * FROM crmscm.order_availability(:o)"), {"o": order_id}).mappings()])

    # -- events -----------------------------------------------------------
    def listen(self, callback, tenant=None):
        """callback(payload dict) for every backorder fill (of `tenant`, or all)."""
        conn = psycopg2.connect(self.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg2", "postgresql"))
        conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        conn.cursor().execute("LISTEN crmscm_backorder_filled")
        stop = threading.Event()

        def loop():
            while not stop.is_set():
                if select.select([conn], [], [], 0.2) == ([], [], []):
                    continue
                conn.poll()
                while conn.notifies:
                    payload = json.loads(conn.notifies.pop(0).payload)
                    if tenant is None or payload["tenant_id"] == int(tenant):
                        callback(payload)
            conn.close()
        t = threading.Thread(target=loop, daemon=True)
        t.start()
        self._listener = (stop, t)
        return stop

    def close(self):
        if self._listener:
            self._listener[0].set()
            self._listener[1].join(2)
        self.engine.dispose()


def http_server(service, port=0):
    """The service over HTTP on 127.0.0.1; returns the server (serve_forever it)."""
    class Handler(BaseHTTPRequestHandler):
        def _send(self, code, body):
            data = json.dumps(body, default=_jsonable).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(n) or b"{}")

        def _call(self, fn):
            tenant = self.headers.get("X-Tenant")
            if not tenant:
                return self._send(400, {"error": "X-Tenant header missing"})
            try:
                result = fn(tenant)
                self._send(404 if result is None else 200, result if result is not None else {"error": "not found"})
            except DBAPIError as e:
                diag = e.orig.diag
                self._send(409 if (e.orig.pgcode or "").startswith("23") else 400,
                           {"sqlstate": e.orig.pgcode, "constraint": diag.constraint_name,
                            "message": diag.message_primary, "detail": diag.message_detail})

        def do_POST(self):
            if self.path == "/orders":
                b = self._body()
                opts = {k: b[k] for k in ("status", "ship_to", "priority", "fill_policy") if k in b}
                self._call(lambda t: service.place_order(t, b["customer_id"], b["lines"], **opts))
            else:
                self._send(404, {"error": "no such path"})

        def do_GET(self):
            parts = self.path.strip("/").split("/")
            if len(parts) == 2 and parts[0] == "orders":
                self._call(lambda t: service.get_order(t, int(parts[1])))
            elif len(parts) == 3 and parts[0] == "orders" and parts[2] == "availability":
                self._call(lambda t: service.availability(t, int(parts[1])))
            else:
                self._send(404, {"error": "no such path"})

        def do_PATCH(self):
            parts = self.path.strip("/").split("/")
            if len(parts) == 4 and parts[0] == "orders" and parts[2] == "lines":
                b = self._body()
                self._call(lambda t: service.set_line_qty(t, int(parts[1]), int(parts[3]), b["qty"]))
            else:
                self._send(404, {"error": "no such path"})

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


if __name__ == "__main__":
    import sys
    svc = OrderService(sys.argv[1])
    svc.listen(lambda p: print("backorder filled:", p, flush=True))
    srv = http_server(svc, int(sys.argv[2]) if len(sys.argv) > 2 else 8080)
    print("listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()
