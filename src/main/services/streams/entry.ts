// One `ev.orders` stream entry -> one order event for the ledger. Producers write either the whole event as one JSON
// field (`event`, `json`, `data` or `payload`) or the event's fields flat (`event_id` "e-1" `fill_qty` "100" ...);
// both are accepted. Flat values are strings; the ledger's validator reads numeric strings as numbers.

/** Field names that carry the whole event as one JSON text. */
export const JSON_FIELDS: readonly string[] = ['event', 'json', 'data', 'payload'];

export type DecodedEntry =
  /** The JSON text of the event (validated by the ledger, quarantined there if bad). */
  | string
  /** Flat fields as an object (validated by the ledger). */
  | Record<string, unknown>;

/** Pairs [k1, v1, k2, v2, ...] as Redis returns them; null for an entry deleted while pending. */
export function decodeEntry(fields: readonly string[] | null): DecodedEntry {
  if (fields === null || fields.length === 0) {
    // A pending entry that was deleted from the stream (XDEL / trimming): nothing to apply; the ledger quarantines it
    // with this text as its raw form, so its loss is visible instead of silent.
    return '{"__stream_entry__":"deleted before it was applied"}';
  }
  // An envelope field wins: the JSON event (other fields, e.g. producer metadata, are ignored).
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (JSON_FIELDS.includes(fields[i])) return fields[i + 1];
  }
  const o: Record<string, unknown> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const k = fields[i];
    const v = fields[i + 1];
    // A flat entry cannot carry null: an empty optional intent_id means "none".
    if (k === 'intent_id' && v === '') continue;
    o[k] = v; // a repeated field: the last value wins, as in HSET
  }
  return o;
}

