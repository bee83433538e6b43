'use strict';
// Tests of the Node example (order_service.js) and of whole-object saves of
// every crmscm table through Sequelize and TypeORM, against a database
// prepared by test/application/examples_setup.sh; prints TAP
// (test/scripts/example_node.sh).  Roles from the environment: EX_WRITER,
// EX_MASTER, EX_ADMIN (pinned to tenant 1) and EX_OWNER.

require('reflect-metadata');
const http = require('http');
const pg = require('pg');
const { Sequelize, DataTypes } = require('sequelize');
const typeorm = require('typeorm');
const { OrderService, httpServer } = require('./order_service');

const env = process.env;
const conn = (user) => ({ host: env.EX_HOST || undefined, port: Number(env.EX_PORT || 5432), database: env.EX_DB, user });
const W = env.EX_WRITER; const M = env.EX_MASTER; const A = env.EX_ADMIN; const O = env.EX_OWNER;
let n = 0; let failed = 0;
function ok(cond, name, diag) {
  n += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (!cond) { failed += 1; if (diag !== undefined) console.log(`# ${JSON.stringify(diag)}`); }
}

async function sql(role, text, args = []) {
  const c = new pg.Client(conn(role));
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query("SELECT set_config('crmscm.tenant_id', '1', true)");
    const r = await c.query(text, args);
    await c.query('COMMIT');
    return r.rows;
  } finally { await c.end(); }
}

function request(port, method, path, body, tenant = '1') {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path,
      headers: { 'Content-Type': 'application/json', ...(tenant ? { 'X-Tenant': tenant } : {}) } }, (res) => {
      let raw = ''; res.on('data', (d) => { raw += d; });
      res.on('end', () => resolve([res.statusCode, JSON.parse(raw)]));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const WRITER_TABLES = new Set(['customers', 'sales_orders', 'sales_order_lines', 'stock_moves', 'purchase_orders',
  'purchase_order_lines', 'leads', 'lead_events']);
const MASTER_TABLES = new Set(['items', 'warehouses']);
const BOOKKEEPING = new Set(['inventory', 'reservations', 'backorders', 'sales_order_totals', 'customer_purchase_days',
  'customer_lifetime']);
const roleFor = (t) => (WRITER_TABLES.has(t) ? W : MASTER_TABLES.has(t) ? M : BOOKKEEPING.has(t) ? O : A);
// the row to save per table: one whose bookkeeping is not all zero
const INTERESTING = { sales_order_lines: 'qty_reserved > 0 AND qty_shipped > 0', sales_orders: "status = 'confirmed'",
  inventory: 'reserved > 0', purchase_order_lines: 'qty_received > 0', stock_moves: "kind = 'shipment'",
  purchase_orders: "status = 'ordered'" };

// a value as an HTTP client re-sends it: numeric strings as JSON numbers (2 -> 2)
const asClient = (v, type) => (type === 'numeric' && v !== null && Number.isFinite(Number(v)) ? Number(v) : v);
function same(a, b) {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (typeof a === 'object') return JSON.stringify(a) === JSON.stringify(b);
  if (!Number.isNaN(Number(a)) && !Number.isNaN(Number(b)) && String(a).trim() !== '') return Number(a) === Number(b);
  return String(a) === String(b);
}
function diff(before, after) {
  return Object.keys(before).filter((k) => !same(before[k], after[k])).map((k) => [k, before[k], after[k]]);
}

async function schema() {
  const cols = await sql(O, `
    SELECT c.relname AS t, a.attname AS col, format_type(a.atttypid, NULL) AS type, a.attgenerated <> '' AS generated,
           coalesce(a.attnum = ANY (i.indkey), false) AS pk, a.attnum
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
     WHERE c.relnamespace = 'crmscm'::regnamespace AND c.relkind = 'r' ORDER BY 1, a.attnum`);
  const tables = {};
  for (const r of cols) (tables[r.t] = tables[r.t] || []).push(r);
  return tables;
}

async function ownerRow(table, cols) {
  const key = cols.filter((c) => c.pk).map((c) => c.col);
  const rows = await sql(O, `SELECT * FROM crmscm.${table} WHERE ${INTERESTING[table] || 'true'} ORDER BY ${key.join(', ')} LIMIT 1`);
  return rows[0];
}
const keyWhere = (cols, row) => cols.filter((c) => c.pk).map((c) => `${c.col} = '${row[c.col]}'`).join(' AND ');

// ---------------------------------------------------------------------
// Sequelize
// ---------------------------------------------------------------------
function seqType(type) {
  return { bigint: DataTypes.BIGINT, integer: DataTypes.INTEGER, numeric: DataTypes.DECIMAL,
    'double precision': DataTypes.DOUBLE, boolean: DataTypes.BOOLEAN, text: DataTypes.TEXT,
    'double precision[]': DataTypes.ARRAY(DataTypes.DOUBLE), 'text[]': DataTypes.ARRAY(DataTypes.TEXT) }[type]
    || DataTypes.TEXT;			// timestamps, dates, intervals and crmscm's own types as text
}
function sequelizeFor(role) {
  const s = new Sequelize(env.EX_DB, role, null, { dialect: 'postgres', host: env.EX_HOST, port: Number(env.EX_PORT || 5432),
    logging: false, pool: { max: 2 } });
  return s;
}
function seqModel(s, table, cols) {
  const attrs = {};
  for (const c of cols) {
    if (c.generated) continue;		// read-only (inventory.available)
    attrs[c.col] = { type: seqType(c.type), primaryKey: c.pk, allowNull: true };
  }
  return s.define(table, attrs, { schema: 'crmscm', tableName: table, timestamps: false, freezeTableName: true });
}

async function sequelizeRoundTrips(tables) {
  const seqs = {};
  for (const [table, cols] of Object.entries(tables)) {
    const role = roleFor(table);
    seqs[role] = seqs[role] || sequelizeFor(role);
    const s = seqs[role];
    const Model = seqModel(s, table, cols);
    const before = await ownerRow(table, cols);
    const where = {}; for (const c of cols.filter((x) => x.pk)) where[c.col] = before[c.col];
    for (const how of ['set(body).save()', 'upsert(body)']) {
      try {
        await s.transaction(async (t) => {
          await s.query("SELECT set_config('crmscm.tenant_id', '1', true)", { transaction: t });
          const inst = await Model.findOne({ where, transaction: t });
          const body = {};
          for (const c of cols) if (!c.generated) body[c.col] = asClient(inst.get(c.col), c.type);
          if (how === 'upsert(body)') {
            await Model.upsert(body, { transaction: t, returning: false });
          } else {
            inst.set(body);
            for (const c of cols) if (!c.pk && !c.generated) inst.changed(c.col, true);
            await inst.save({ transaction: t });
          }
        });
        const after = (await sql(O, `SELECT * FROM crmscm.${table} WHERE ${keyWhere(cols, before)}`))[0];
        const d = diff(before, after);
        ok(d.length === 0, `Sequelize ${how}: ${table} loaded and saved whole as ${role === O ? 'the owner' : role.split('_')[1]}: unchanged`, d);
      } catch (e) {
        ok(false, `Sequelize ${how}: ${table}`, `${e.parent ? e.parent.code : ''} ${e.message}`);
      }
    }
  }
  // not vacuous: a changed bookkeeping value in the same whole-object write is refused
  const lines = tables.sales_order_lines;
  const row = await ownerRow('sales_order_lines', lines);
  const s = seqs[W];
  const Line = s.models.sales_order_lines;
  let code = null;
  try {
    await s.transaction(async (t) => {
      await s.query("SELECT set_config('crmscm.tenant_id', '1', true)", { transaction: t });
      const body = {}; for (const c of lines) body[c.col] = asClient(row[c.col], c.type);
      body.qty_reserved = Number(row.qty_reserved) + 1;
      await Line.upsert(body, { transaction: t, returning: false });
    });
  } catch (e) { code = [e.parent && e.parent.code, e.parent && e.parent.constraint]; }
  // (the insert half of the upsert meets the new-line rule first)
  ok(JSON.stringify(code) === '["23514","line_new_open"]', 'Sequelize upsert with qty_reserved + 1: 23514, constraint line_new_open', code);
  for (const x of Object.values(seqs)) await x.close();
}

// ---------------------------------------------------------------------
// TypeORM
// ---------------------------------------------------------------------
function ormType(type) {
  const arr = type.endsWith('[]');
  const base = arr ? type.slice(0, -2) : type;
  const known = new Set(['bigint', 'integer', 'numeric', 'double precision', 'boolean', 'text']);
  return { type: known.has(base) ? base : 'text', array: arr };
}
function entities(tables) {
  return Object.entries(tables).map(([table, cols]) => {
    const columns = {};
    for (const c of cols) {
      columns[c.col] = { ...ormType(c.type), primary: c.pk, nullable: true,
        ...(c.generated ? { insert: false, update: false } : {}) };
    }
    return new typeorm.EntitySchema({ name: table, tableName: table, schema: 'crmscm', columns });
  });
}

async function typeormRoundTrips(tables) {
  const sources = {};
  const ents = entities(tables);
  for (const [table, cols] of Object.entries(tables)) {
    const role = roleFor(table);
    if (!sources[role]) {
      sources[role] = new typeorm.DataSource({ type: 'postgres', ...conn(role), entities: ents, synchronize: false, logging: false });
      await sources[role].initialize();
    }
    const ds = sources[role];
    const before = await ownerRow(table, cols);
    const where = {}; for (const c of cols.filter((x) => x.pk)) where[c.col] = before[c.col];
    for (const how of ['save(entity)', 'upsert(entity)']) {
      try {
        await ds.transaction(async (m) => {
          await m.query("SELECT set_config('crmscm.tenant_id', '1', true)");
          const e = await m.findOne(table, { where });
          const plain = {};
          for (const c of cols) if (!c.generated) plain[c.col] = asClient(e[c.col], c.type);
          if (how === 'save(entity)') await m.save(table, plain);
          else await m.upsert(table, plain, cols.filter((c) => c.pk).map((c) => c.col));
        });
        const after = (await sql(O, `SELECT * FROM crmscm.${table} WHERE ${keyWhere(cols, before)}`))[0];
        const d = diff(before, after);
        ok(d.length === 0, `TypeORM ${how}: ${table} loaded and saved whole as ${role === O ? 'the owner' : role.split('_')[1]}: unchanged`, d);
      } catch (e) {
        ok(false, `TypeORM ${how}: ${table}`, `${e.code || ''} ${e.message}`);
      }
    }
  }
  const lines = tables.sales_order_lines;
  const row = await ownerRow('sales_order_lines', lines);
  let code = null;
  try {
    await sources[W].transaction(async (m) => {
      await m.query("SELECT set_config('crmscm.tenant_id', '1', true)");
      const plain = {}; for (const c of lines) plain[c.col] = asClient(row[c.col], c.type);
      plain.qty_shipped = 0;
      await m.save('sales_order_lines', plain);
    });
  } catch (e) { code = [e.code, e.constraint]; }
  ok(JSON.stringify(code) === '["23000","guarded_column"]', 'TypeORM save with qty_shipped changed to 0: 23000, constraint guarded_column', code);
  for (const ds of Object.values(sources)) await ds.destroy();
}

// ---------------------------------------------------------------------
// the service
// ---------------------------------------------------------------------
async function serviceTests() {
  const item = (await sql(M, "INSERT INTO crmscm.items (sku, name, unit_price) VALUES ('JSX', 'node item', 4) RETURNING item_id"))[0].item_id;
  const wh = (await sql(M, "SELECT warehouse_id FROM crmscm.warehouses WHERE name = 'Milan'"))[0].warehouse_id;
  const cust = (await sql(M, "INSERT INTO crmscm.customers (name, location) VALUES ('Node Srl', '(45.46,9.19)') RETURNING customer_id"))[0].customer_id;
  await sql(W, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES ($1, $2, 3, 'receipt')", [item, wh]);

  const svc = new OrderService(conn(W));
  const fills = [];
  await svc.listen((p) => fills.push(p), 1);
  const srv = httpServer(svc);
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const port = srv.address().port;

  // 4 of the item: 3 in Milan reserved, 1 backordered (hand count)
  let [code, got] = await request(port, 'POST', '/orders', { customer_id: cust, lines: [{ item_id: Number(item), qty: 4 }] });
  ok(code === 200 && JSON.stringify(got.lines) === JSON.stringify([{ line_no: 1, item_id: item, qty: '4', unit_price: '4',
    qty_reserved: '3', qty_backordered: '1' }]), 'POST /orders: 3 reserved, 1 backordered, price from the item', [code, got]);
  const orderId = got.order_id;
  [code, got] = await request(port, 'GET', `/orders/${orderId}`);
  ok(code === 200 && got.amount === '16' && got.reserved_value === '12', 'GET /orders/:id: totals 4*4, reserved 3*4', got);
  [code, got] = await request(port, 'POST', '/orders', { customer_id: cust, lines: [{ item_id: Number(item), qty: 1 }], fill_policy: 'all_or_nothing' });
  ok(code === 409 && got.sqlstate === '23514' && got.constraint === 'all_or_nothing', 'all_or_nothing short: 409, constraint all_or_nothing', got);
  [code, got] = await request(port, 'POST', '/orders', { customer_id: cust, lines: [{ item_id: Number(item), qty: 'NaN' }] });
  ok(code === 400 && got.sqlstate === '22003', 'qty NaN: 400 with 22003', got);
  [code, got] = await request(port, 'GET', `/orders/${orderId}`, undefined, '2');
  ok(code === 400 && got.sqlstate === '42501', 'another tenant for a pinned writer: 42501', got);

  // a pooled connection carries no tenant between transactions
  const c = await svc.pool.connect();
  const left = (await c.query("SELECT current_setting('crmscm.tenant_id', true) AS t")).rows[0].t;
  let err = null;
  try { await c.query('SELECT crmscm.current_tenant()'); } catch (e) { err = e.code; }
  c.release();
  ok((left === '' || left === null) && err === '55000', 'a pooled connection has no tenant between transactions (55000)', [left, err]);

  // the receipt of 1 fills the backorder: one event on the LISTEN
  await sql(W, "INSERT INTO crmscm.stock_moves (item_id, warehouse_id, qty, kind) VALUES ($1, $2, 1, 'receipt')", [item, wh]);
  for (let i = 0; i < 200 && fills.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  ok(fills.length === 1 && String(fills[0].order_id) === String(orderId) && fills[0].line_no === 1 && Number(fills[0].qty) === 1
     && String(fills[0].warehouse_id) === String(wh), 'LISTEN crmscm_backorder_filled: one fill, 1 unit in Milan', fills);

  // a real serialization failure at REPEATABLE READ, retried
  let attempts = 0;
  await svc.run(1, async (cl) => {
    attempts++;
    const p = (await cl.query('SELECT unit_price FROM crmscm.sales_order_lines WHERE order_id = $1 AND line_no = 1', [orderId])).rows[0].unit_price;
    if (attempts === 1) await sql(W, 'UPDATE crmscm.sales_order_lines SET unit_price = unit_price + 1 WHERE order_id = $1', [orderId]);
    await cl.query('UPDATE crmscm.sales_order_lines SET unit_price = $2::numeric + 1 WHERE order_id = $1 AND line_no = 1', [orderId, p]);
  }, { isolation: 'REPEATABLE READ' });
  const final = (await sql(W, 'SELECT unit_price FROM crmscm.sales_order_lines WHERE order_id = $1', [orderId]))[0].unit_price;
  ok(attempts === 2 && svc.retries === 1 && final === '6', '40001 at REPEATABLE READ: retried once, both increments kept (4 + 1 + 1)', [attempts, final]);

  await new Promise((r) => srv.close(r));
  await svc.close();
}

(async () => {
  try {
    await serviceTests();
    const tables = await schema();
    await sequelizeRoundTrips(tables);
    await typeormRoundTrips(tables);
    const bad = await sql(W, 'SELECT count(*)::int AS n FROM crmscm.check_inventory()');
    ok(bad[0].n === 0, 'check_inventory() clean after all the saves', bad);
  } catch (e) {
    ok(false, 'the tests ran to the end', String(e && e.stack));
  }
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
})();
