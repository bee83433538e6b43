'use strict';
// A small order-entry service on crmscm, in Node with `pg` (README "Using
// crmscm from an application").
//
//  * one pg.Pool for the service; every transaction starts with
//    set_config('crmscm.tenant_id', $1, true), so a pooled connection never
//    carries a tenant into the next transaction;
//  * crmscm.place_order(): an order and its lines in one call, reserved before
//    it returns (its transaction holds the inventory rows it locked until it
//    ends, so it commits at once);
//  * a retry loop for 40001 (serialization failure) and 40P01 (deadlock);
//  * a LISTEN on crmscm_backorder_filled, on a client of its own;
//  * JSON over HTTP: POST /orders, GET /orders/:id, GET /orders/:id/availability,
//    the tenant in the header X-Tenant.
//
// Timestamps, dates and intervals are read as text: a JavaScript Date keeps
// milliseconds, so an object written back whole would cut the microseconds
// off every timestamp it carries.

const http = require('http');
const pg = require('pg');

for (const oid of [1082, 1114, 1184, 1186]) pg.types.setTypeParser(oid, (v) => v);

const RETRYABLE = new Set(['40001', '40P01']);

class OrderService {
  constructor(config, { max = 5, tries = 6 } = {}) {
    this.config = config;
    this.pool = new pg.Pool({ ...config, max });
    this.tries = tries;
    this.retries = 0;
    this.listener = null;
  }

  // work(client) in one transaction of `tenant`, retried on 40001 / 40P01
  async run(tenant, work, { isolation = 'READ COMMITTED' } = {}) {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
        await client.query("SELECT set_config('crmscm.tenant_id', $1, true)", [String(tenant)]);
        const result = await work(client, attempt);
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        if (!RETRYABLE.has(e.code) || attempt >= this.tries) throw e;
        this.retries++;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));
      } finally {
        client.release();
      }
    }
  }

  // lines: [{item_id, qty, warehouse_id?, unit_price?}]; options: status, ship_to, priority, fill_policy
  placeOrder(tenant, customerId, lines, options = {}) {
    return this.run(tenant, async (c) => {
      const { rows } = await c.query(
        'SELECT * FROM crmscm.place_order($1, $2::jsonb, $3, $4::crmscm.geopoint, $5, $6)',
        [customerId, JSON.stringify(lines), options.status || 'confirmed', options.ship_to || null,
          options.priority ?? null, options.fill_policy || 'backorder']);
      return { order_id: rows[0].order_id, lines: rows.map(({ order_id, ...line }) => line) };
    });
  }

  getOrder(tenant, orderId) {
    return this.run(tenant, async (c) => {
      const o = await c.query(
        'SELECT order_id, status, fill_policy, amount, open_amount, reserved_value FROM crmscm.order_totals WHERE order_id = $1',
        [orderId]);
      if (o.rowCount === 0) return null;
      const l = await c.query(
        'SELECT line_no, item_id, qty, unit_price, qty_reserved, qty_backordered, status FROM crmscm.sales_order_lines'
        + ' WHERE order_id = $1 ORDER BY line_no', [orderId]);
      return { ...o.rows[0], lines: l.rows };
    });
  }

  availability(tenant, orderId) {
    return this.run(tenant, async (c) => (await c.query('SELECT * FROM crmscm.order_availability($1)', [orderId])).rows);
  }

  // callback(payload) for every backorder fill (of `tenant`, or of all)
  async listen(callback, tenant = null) {
    const client = new pg.Client(this.config);
    await client.connect();
    client.on('notification', (n) => {
      const p = JSON.parse(n.payload);
      if (tenant === null || p.tenant_id === Number(tenant)) callback(p);
    });
    await client.query('LISTEN crmscm_backorder_filled');
    this.listener = client;
    return client;
  }

  async close() {
    if (this.listener) await this.listener.end();
    await this.pool.end();
  }
}

function httpServer(service) {
  const send = (res, code, body) => {
    const data = JSON.stringify(body);
    res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
    res.end(data);
  };
  return http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => { raw += d; });
    req.on('end', async () => {
      const tenant = req.headers['x-tenant'];
      if (!tenant) return send(res, 400, { error: 'X-Tenant header missing' });
      const parts = req.url.split('/').filter(Boolean);
      try {
        let result;
        if (req.method === 'POST' && req.url === '/orders') {
          const b = JSON.parse(raw || '{}');
          result = await service.placeOrder(tenant, b.customer_id, b.lines, b);
        } else if (req.method === 'GET' && parts[0] === 'orders' && parts.length === 2) {
          result = await service.getOrder(tenant, Number(parts[1]));
        } else if (req.method === 'GET' && parts[0] === 'orders' && parts[2] === 'availability') {
          result = await service.availability(tenant, Number(parts[1]));
        } else {
          return send(res, 404, { error: 'no such path' });
        }
        return result == null ? send(res, 404, { error: 'not found' }) : send(res, 200, result);
      } catch (e) {
        if (!e.code) return send(res, 500, { error: String(e) });
        return send(res, e.code.startsWith('23') ? 409 : 400,
          { sqlstate: e.code, constraint: e.constraint, message: e.message, detail: e.detail });
      }
    });
  });
}

module.exports = { OrderService, httpServer };

if (require.main === module) {
  const svc = new OrderService({ connectionString: process.argv[2] });
  svc.listen((p) => console.log('backorder filled:', p));
  const srv = httpServer(svc).listen(Number(process.argv[3] || 8080), '127.0.0.1',
    () => console.log(`listening on 127.0.0.1:${srv.address().port}`));
}
