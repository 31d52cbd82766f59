// Loads risk_rules.yaml: YAML with line positions, then the strict schema. Every error names its path and line.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { RiskConfigSchema, type RiskConfig } from './schema';

export interface ConfigError {
  /** Dotted YAML path, e.g. `buckets.LT.band_drift.long_pct_range`; `(root)` for the document itself. */
  path: string;
  /** 1-based line in the file, when known. */
  line: number | null;
  message: string;
}

export type ConfigResult = { ok: true; config: RiskConfig } | { ok: false; errors: ConfigError[] };

export function formatConfigError(e: ConfigError): string {
  return `${e.path}${e.line != null ? ` (line ${e.line})` : ''}: ${e.message}`;
}

type Seg = string | number;

function joinPath(path: readonly Seg[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Line of the node at `path`, else of the nearest ancestor that exists. */
function lineOf(doc: Document, lc: LineCounter, path: readonly Seg[], key?: string): number | null {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = sub.length === 0 ? doc.contents : doc.getIn(sub, true);
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      const r = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (r) return lc.linePos(r[0]).line;
    }
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lc.linePos(range[0]).line;
  }
  return null;
}

function issueToErrors(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter): ConfigError[] {
  const path = issue.path as Seg[];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => ({
      path: joinPath([...path, k]),
      line: lineOf(doc, lc, path, k),
      message: 'unknown key',
    }));
  }
  let message = issue.message;
  if (issue.code === 'invalid_type' && issue.expected === 'int') {
    message = 'must be a whole number';
  } else if (issue.code === 'invalid_type') {
    const node = doc.getIn(path, true);
    const got = isScalar(node) ? (node.value === null ? 'null' : typeof node.value) : node ? 'a collection' : 'nothing';
    message = `expected ${issue.expected}, got ${got}`;
  }
  return [{ path: joinPath(path), line: lineOf(doc, lc, path), message }];
}

export function loadConfigText(text: string): ConfigResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => ({
        path: '(root)',
        line: e.linePos?.[0]?.line ?? null,
        message: `YAML syntax error: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    };
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = RiskConfigSchema.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  const errors = parsed.error.issues.flatMap((i) => issueToErrors(i, doc, lc));
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { ok: false, errors };
}

export function loadConfigFile(file: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, errors: [{ path: file, line: null, message: `cannot read config (${code})` }] };
  }
  return loadConfigText(text);
}

/** The embedded default configuration (all defaults). */
export function defaultConfig(): RiskConfig {
  return RiskConfigSchema.parse({});
}
