// Electronegativity (Doyensec's Electron security scanner) over src/: zero findings. The tool exits 0 even with
// findings, so its report is read: SARIF, not CSV (its CSV writer truncates-and-writes the header and appends the rows
// as two concurrent async writes; on a loaded machine the header lands last and cuts the first row). It tries to fetch Electron's release list and translations first, prints a
// connectivity warning when it cannot, and goes on. A suppression is an `eng-disable <CHECK>` comment at the line,
// with its reason beside it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/paths';
import { tempDir } from '../support/tmp';

const CLI = join(ROOT, 'node_modules/@doyensec/electronegativity/dist/index.js');
const ELECTRON_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;

interface Finding {
  issue: string;
  level: string;
  filename: string;
  location: string;
  description: string;
}

interface Sarif {
  runs: {
    results: {
      ruleId: string;
      level: string;
      message: { text: string };
      locations?: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine?: number; startColumn?: number } } }[];
    }[];
  }[];
}

function scan(input: string): Promise<{ findings: Finding[]; output: string }> {
  const out = join(tempDir('band-eng-').dir, 'result.sarif');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '-i', input, '-o', out, '-r', '-e', ELECTRON_VERSION], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`electronegativity exited ${code}: ${output}`);
        if (!existsSync(out)) throw new Error(`electronegativity wrote no result file: ${output}`);
        const sarif = JSON.parse(readFileSync(out, 'utf8')) as Sarif;
        const findings = sarif.runs.flatMap((r) =>
          r.results.map((x) => {
            const loc = x.locations?.[0]?.physicalLocation;
            return {
              issue: x.ruleId,
              level: x.level,
              filename: loc?.artifactLocation.uri ?? 'N/A',
              location: `${loc?.region?.startLine ?? 0}:${loc?.region?.startColumn ?? 0}`,
              description: x.message.text,
            };
          }),
        );
        resolve({ findings, output });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

function show(f: Finding): string {
  return `${f.issue} (${f.level}) at src/${f.filename}:${f.location} — ${f.description}`;
}

describe('Electronegativity', () => {
  it('finds nothing in src/', async () => {
    // The canary (a window with every bad setting) runs beside it: it proves the scan and the CSV reading work.
    const { dir: canaryDir } = tempDir('band-eng-canary-');
    mkdirSync(join(canaryDir, 'src'), { recursive: true });
    writeFileSync(
      join(canaryDir, 'src/main.ts'),
      `import { BrowserWindow } from 'electron';
const win = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false, webSecurity: false } });
win.loadURL('http://example.com/');
`,
    );
    const [src, canary] = await Promise.all([scan(join(ROOT, 'src')), scan(canaryDir)]);
    const canaryIssues = canary.findings.map((f) => f.issue);
    expect(canaryIssues).toContain('SANDBOX_JS_CHECK');
    expect(canaryIssues).toContain('CONTEXT_ISOLATION_JS_CHECK');
    expect(canaryIssues).toContain('WEB_SECURITY_JS_CHECK');
    // The real sources: zero findings.
    expect(src.findings.map(show)).toEqual([]);
  });
});
