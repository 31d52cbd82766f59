// Intents and their append-only audit (docs/spec.md §6). Every status change goes through transition(), which is
// conditional on the current status (so two writers cannot both move one intent) and writes its audit row.
import type { Bucket, Classification, IntentStatus, OrderType, Side } from '../../../shared/domain';
import type { AuditRow } from '../../../shared/types';
import type { Db } from '../store/db';

export interface IntentRecord {
  id: string;
  kind: string;
  created_at: number;
  updated_at: number;
  trading_date: string;
  bucket: Bucket;
  symbol: string;
  classification: Classification;
  side: Side;
  qty: number;
  order_type: OrderType;
  limit_micro: number | null;
  tick_micro: number | null;
  pnl_pct: number | null;
  priority: number;
  reason: string;
  status: IntentStatus;
  order_id: string | null;
  episode_id: number | null;
}

/** Orders at the broker. */
export const WORKING_STATUSES: readonly IntentStatus[] = ['APPROVED', 'WORKING'];
/** Approved, not yet at the broker (released at its session's open) or already there: committed by a trader. */
export const COMMITTED_STATUSES: readonly IntentStatus[] = ['STAGED', 'APPROVED', 'WORKING'];
/** Everything still alive: counted by the controller's dedup, room and cap. */
export const OPEN_STATUSES: readonly IntentStatus[] = ['PENDING', 'STAGED', 'APPROVED', 'WORKING'];

const COLS =
  'id, kind, created_at, updated_at, trading_date, bucket, symbol, classification, side, qty, order_type, ' +
  'limit_micro, tick_micro, pnl_pct, priority, reason, status, order_id, episode_id';

export class IntentStore {
  private readonly st;

  constructor(readonly db: Db) {
    this.st = {
      insert: db.prepare(`INSERT INTO intents (${COLS}) VALUES (${COLS.split(', ').map(() => '?').join(', ')})`),
      get: db.prepare(`SELECT ${COLS} FROM intents WHERE id = ?`),
      move: db.prepare('UPDATE intents SET status = ?, updated_at = ? WHERE id = ? AND status = ?'),
      setOrder: db.prepare('UPDATE intents SET order_id = ? WHERE id = ?'),
      audit: db.prepare(
        'INSERT INTO intent_audit (intent_id, from_status, to_status, actor, at, reason) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      open: db.prepare(`SELECT ${COLS} FROM intents WHERE status IN ('PENDING','STAGED','APPROVED','WORKING') ORDER BY id`),
      byStatus: db.prepare(`SELECT ${COLS} FROM intents WHERE status = ? ORDER BY id DESC LIMIT ?`),
      openDesc: db.prepare(
        `SELECT ${COLS} FROM intents WHERE status IN ('PENDING','STAGED','APPROVED','WORKING') ORDER BY id DESC LIMIT ?`,
      ),
      all: db.prepare(`SELECT ${COLS} FROM intents ORDER BY id DESC LIMIT ?`),
      openUpTo: db.prepare(
        `SELECT ${COLS} FROM intents WHERE status IN ('PENDING','STAGED','APPROVED','WORKING') AND trading_date <= ? ORDER BY id`,
      ),
      setQty: db.prepare("UPDATE intents SET qty = ?, updated_at = ? WHERE id = ? AND status = ?"),
      auditAll: db.prepare(
        'SELECT id, intent_id, from_status, to_status, actor, at, reason FROM intent_audit ORDER BY id DESC LIMIT ?',
      ),
      auditOne: db.prepare(
        'SELECT id, intent_id, from_status, to_status, actor, at, reason FROM intent_audit WHERE intent_id = ? ORDER BY id LIMIT ?',
      ),
      countPending: db.prepare("SELECT COUNT(*) FROM intents WHERE status = 'PENDING'").pluck(),
      countWorking: db.prepare("SELECT COUNT(*) FROM intents WHERE status IN ('APPROVED','WORKING')").pluck(),
      countStaged: db.prepare("SELECT COUNT(*) FROM intents WHERE status = 'STAGED'").pluck(),
    };
  }

  insert(rec: IntentRecord, actor: string, reason: string): void {
    const s = this.st;
    s.insert.run(
      rec.id,
      rec.kind,
      rec.created_at,
      rec.updated_at,
      rec.trading_date,
      rec.bucket,
      rec.symbol,
      rec.classification,
      rec.side,
      rec.qty,
      rec.order_type,
      rec.limit_micro,
      rec.tick_micro,
      rec.pnl_pct === null || !Number.isFinite(rec.pnl_pct) ? null : rec.pnl_pct,
      rec.priority,
      rec.reason,
      rec.status,
      rec.order_id,
      rec.episode_id,
    );
    s.audit.run(rec.id, null, rec.status, actor, rec.created_at, reason);
  }

  get(id: string): IntentRecord | undefined {
    return this.st.get.get(id) as IntentRecord | undefined;
  }

  /** Moves an intent from `from` to `to` with its audit row; false (nothing written) if it is not in `from`. */
  transition(id: string, from: IntentStatus, to: IntentStatus, actor: string, reason: string, at: number): boolean {
    if (this.st.move.run(to, at, id, from).changes !== 1) return false;
    this.st.audit.run(id, from, to, actor, at, reason);
    return true;
  }

  setOrderId(id: string, orderId: string): void {
    this.st.setOrder.run(orderId, id);
  }

  open(): IntentRecord[] {
    return this.st.open.all() as IntentRecord[];
  }

  /** Open intents of a trading date up to `date` (read paths check them for expiry and day-order ends). */
  openUpTo(date: string): IntentRecord[] {
    return this.st.openUpTo.all(date) as IntentRecord[];
  }

  /**
   * Lowers a PENDING or STAGED intent's quantity (approval and release clamp a decrease to the position), with an
   * audit row that says so (from and to the same status: the status does not change, the order it will become does).
   */
  clampQty(id: string, status: 'PENDING' | 'STAGED', qty: number, actor: string, reason: string, at: number): boolean {
    if (this.st.setQty.run(qty, at, id, status).changes !== 1) return false;
    this.st.audit.run(id, status, status, actor, at, reason);
    return true;
  }

  countPending(): number {
    return this.st.countPending.get() as number;
  }

  countWorking(): number {
    return this.st.countWorking.get() as number;
  }

  countStaged(): number {
    return this.st.countStaged.get() as number;
  }

  list(status: IntentStatus | 'OPEN' | 'ALL', limit: number): IntentRecord[] {
    if (status === 'ALL') return this.st.all.all(limit) as IntentRecord[];
    if (status === 'OPEN') return this.st.openDesc.all(limit) as IntentRecord[];
    return this.st.byStatus.all(status, limit) as IntentRecord[];
  }

  audit(intentId: string | undefined, limit: number): AuditRow[] {
    const rows = (intentId ? this.st.auditOne.all(intentId, limit) : this.st.auditAll.all(limit)) as {
      id: number;
      intent_id: string;
      from_status: IntentStatus | null;
      to_status: IntentStatus;
      actor: string;
      at: number;
      reason: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      intent_id: r.intent_id,
      from: r.from_status,
      to: r.to_status,
      actor: r.actor,
      at: r.at,
      reason: r.reason,
    }));
  }
}
