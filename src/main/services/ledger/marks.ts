// Which event ids of a batch cannot have been applied already, known without asking SQLite (apply.ts pass 2): the
// ids a producer numbers (`e-5-1042`, `fix-a-17`) do not sort as text, but each one's number grows. Two marks say
// what the book can hold:
//
// - the floor: the greatest id (in SQLite's byte order) in fills and order_events when the marks were last reset;
// - per id shape (a prefix and a run of L trailing digits, validate.ts IdShape), the greatest id of that shape
//   applied since then. Ids of one shape have one prefix and one length, so as text they compare as their numbers.
//
// Every id in the book is at most the floor, or is of a shape with a mark and at most that mark. So an id after the
// floor whose shape has no mark, or that is greater than its shape's mark, is new; any other id is asked about (the
// exact probe of both UNIQUE indexes). A mark above what was applied (a rolled-back batch's) only means more probes.
// The marks are reset (floor = the book's greatest id, no marks) when another connection has committed (PRAGMA
// data_version), when a batch has no shapes (too many, or ids that are not ASCII), or when there are too many marks.
// They are kept per connection: every applier on one connection shares them (its writes do not change
// data_version).
import { Buffer } from 'node:buffer';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db';
import { ASCII, type Checked, type IdShape } from './validate';

/** More marks than this (ids of that many shapes applied since the reset): reset. */
const MAX_MARKS = 4096;

const byConnection = new WeakMap<Db, IdMarks>();

function keyOf(s: IdShape): string {
  return `${s.prefix}\u0000${s.digits}`;
}

/** a after b in SQLite's order of TEXT (the bytes of their UTF-8). */
function bytesAfter(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) > 0;
}

export class IdMarks {
  private version: number | null = null;
  /** undefined: to be read from the book before the next use. */
  private floor: string | null | undefined = undefined;
  private floorAscii = true;
  private readonly marks = new Map<string, string>();
  /** The batch check() was told of: compare as bytes, whether it has shapes, its shape per line, their marks. */
  private byBytes = false;
  private hasShapes = false;
  private shape = new Uint16Array(0);
  private batchMarks: (string | undefined)[] = [];
  private readonly maxFill: Statement;
  private readonly maxOe: Statement;

  private constructor(private readonly db: Db) {
    this.maxFill = db.prepare('SELECT MAX(event_id) FROM fills').pluck();
    this.maxOe = db.prepare('SELECT MAX(event_id) FROM order_events').pluck();
  }

  /** The marks of a connection (one per connection, shared by its appliers). */
  static of(db: Db): IdMarks {
    let m = byConnection.get(db);
    if (!m) byConnection.set(db, (m = new IdMarks(db)));
    return m;
  }

  /** At the start of each transaction (inside it): another connection's commit since the last one resets the marks. */
  begin(): void {
    const v = this.db.pragma('data_version', { simple: true }) as number;
    if (v !== this.version) {
      this.version = v;
      this.reset(); // now, before this transaction writes: its own ids are then covered by the marks, not the floor
    }
  }

  /**
   * True when every FIRST id of batch `c` sorts after every id already applied, so none can be a duplicate and
   * isNew() need not be asked: the common case of a producer whose ids grow (sequences, time-based ids). Compared as
   * SQLite compares TEXT (bytes), which JavaScript's order equals for ASCII (the batch's least id is its least in
   * byte order only if every id of it is ASCII); any other batch is asked about id by id.
   */
  allAfterBook(c: Checked): boolean {
    const min = c.minId as string;
    const maxFill = this.maxFill.get() as string | null;
    const maxOe = this.maxOe.get() as string | null;
    if (!c.ascii || (maxFill !== null && !ASCII.test(maxFill)) || (maxOe !== null && !ASCII.test(maxOe))) return false;
    return (maxFill === null || min > maxFill) && (maxOe === null || min > maxOe);
  }

  /** The batch whose FIRST ids isNew() is asked about next (once per batch: its fields are read here, not per id). */
  check(c: Checked): void {
    if (c.shapes === null && this.marks.size > 0) this.floor = undefined; // the marks cannot speak for it: reset
    if (this.floor === undefined) this.reset();
    this.byBytes = !(c.ascii && this.floorAscii);
    this.hasShapes = c.shapes !== null;
    this.shape = c.shape as Uint16Array<ArrayBuffer>;
    this.batchMarks = c.shapes === null ? [] : c.shapes.map((s) => this.marks.get(keyOf(s)));
  }

  /** True when `id`, a FIRST id of the batch check() was told of (its line i), cannot be in the book; false: ask SQLite. */
  isNew(id: string, i: number): boolean {
    const f = this.floor as string | null;
    if (f !== null && !(this.byBytes ? bytesAfter(id, f) : id > f)) return false;
    if (!this.hasShapes) return true; // (no marks: after the floor is enough)
    const m = this.batchMarks[this.shape[i]];
    return m === undefined || id > m;
  }

  /** Batch `c` is being applied: its FIRST ids are (or may be) in the book from now on. */
  applied(c: Checked): void {
    if (c.shapes === null || this.marks.size + c.shapes.length > MAX_MARKS) {
      this.floor = undefined; // read again (after its rows are in) before the next use
      return;
    }
    for (const s of c.shapes) {
      const k = keyOf(s);
      const m = this.marks.get(k);
      if (m === undefined || s.max > m) this.marks.set(k, s.max);
    }
  }

  private reset(): void {
    const a = this.maxFill.get() as string | null;
    const b = this.maxOe.get() as string | null;
    this.floor = a === null ? b : b === null ? a : bytesAfter(a, b) ? a : b;
    this.floorAscii = this.floor === null || ASCII.test(this.floor);
    this.marks.clear();
  }
}
