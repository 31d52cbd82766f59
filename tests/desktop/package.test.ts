// Packaging, checked for real: `npm run dist -- --dir` on a project copy, with Electron fetched by its own installer
// from the loopback mirror (a fake binary that carries Electron's fuse wire), runs electron-builder's unpacked Linux
// target, and the test lists what the app archive holds.
//
// What cannot run on a fake binary, and why:
// - launching the packaged app: the fake is a Node script, not Chromium (the main process is tested in main.test.ts);
// - the AppImage and deb targets: electron-builder downloads its tools for them (appimagetool, fpm) from GitHub,
//   which this machine cannot reach; `--dir` packs the same app folder those targets wrap;
// - embedded asar integrity: electron-builder writes it into macOS and Windows executables only; the fuse is set
//   here and checked below, the hash it enforces is not.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { electronZip, FUSE_SENTINEL, shasums, startMirror, type Mirror } from './mirror';
import { cleanEnv, projectCopy, run, type ProjectCopy, type Run } from './project';
import { ROOT as REPO } from '../support/paths';

const VERSION = (JSON.parse(readFileSync(join(REPO, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
const ZIP_NAME = `electron-v${VERSION}-linux-x64.zip`;
const NODE_ADDON = join(REPO, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
const asar = createRequire(join(REPO, 'package.json'))('@electron/asar') as { listPackage(file: string, o?: unknown): string[]; extractFile(archive: string, file: string): Buffer };

describe.skipIf(process.platform !== 'linux')('npm run dist -- --dir (electron-builder, fake Electron from the loopback mirror)', () => {
  let mirror: Mirror;
  let p: ProjectCopy;
  let r: Run;
  let app: string;
  let files: string[];

  beforeAll(async () => {
    const zip = await electronZip(VERSION);
    mirror = await startMirror({ [`/v${VERSION}/${ZIP_NAME}`]: zip, [`/v${VERSION}/SHASUMS256.txt`]: shasums({ [ZIP_NAME]: zip }) });
    p = projectCopy('band-dist-');
    // What must never ship: a developer's .env, the tests, the TypeScript sources.
    writeFileSync(join(p.dir, '.env'), 'BAND_SECRET=do-not-ship\n');
    mkdirSync(join(p.dir, 'tests'));
    writeFileSync(join(p.dir, 'tests/x.test.ts'), 'export {};\n');
    r = await run('npm', ['run', 'dist', '--', '--dir'], {
      cwd: p.dir,
      timeoutMs: 300_000,
      env: cleanEnv({
        ELECTRON_MIRROR: mirror.url,
        electron_use_remote_checksums: '1',
        electron_config_cache: join(p.dir, '.electron-cache'),
        npm_config_cache: join(p.dir, '.npm-cache'),
        // Node's build of the addon stands in for Electron's (which needs Electron's headers from the network).
        BAND_SQLITE_BINDING: NODE_ADDON,
        ELECTRON_BUILDER_CACHE: join(p.dir, '.builder-cache'),
      }),
    });
    app = join(p.dir, 'release/linux-unpacked');
    files = r.code === 0 ? asar.listPackage(join(app, 'resources/app.asar'), { isPack: false }) : [];
  }, 330_000);
  afterAll(async () => {
    await mirror?.close();
    p?.remove();
  });

  it('packs the unpacked Linux app from the Electron the installer fetched', () => {
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(mirror.requests).toContain(`/v${VERSION}/${ZIP_NAME}`);
    expect(existsSync(join(app, 'band-console'))).toBe(true);
    expect(readFileSync(join(app, 'version'), 'utf8')).toBe(`v${VERSION}`);
  });

  it('the archive holds the built app and package.json, and no sources, tests, source maps or .env', () => {
    for (const f of ['/package.json', '/out/main/index.js', '/out/main/ledgerWorker.js', '/out/preload/index.js', '/out/renderer/index.html']) expect(files, f).toContain(f);
    expect(files.some((f) => /^\/out\/renderer\/assets\/index-[\w-]+\.js$/.test(f))).toBe(true);
    const bad = files.filter(
      (f) => /^\/(src|tests|e2e|bench|soak|scripts|resources|build|release)(\/|$)/.test(f) || /\.map$/.test(f) || /(^|\/)\.env/.test(f) || /\.(ts|mts|cts)$/.test(f),
    );
    expect(bad).toEqual([]);
    expect(files.filter((f) => /\/(test|tests|__tests__)\//.test(f))).toEqual([]);
    const pkg = JSON.parse(asar.extractFile(join(app, 'resources/app.asar'), 'package.json').toString()) as { main: string; devDependencies?: unknown };
    expect(pkg.main).toBe('./out/main/index.js');
  });

  it('every production dependency the main bundle loads is in the archive, with its own dependencies', () => {
    const present = (name: string) => files.some((f) => f === `/node_modules/${name}/package.json` || f.endsWith(`/node_modules/${name}/package.json`));
    // the entries (index, the ledger and replay workers) and the chunks they share
    const main = readdirSync(join(p.dir, 'out/main'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(p.dir, 'out/main', f), 'utf8'))
      .join('\n');
    const required = [...main.matchAll(/require\("([^"./][^"]*)"\)/g)].map((m) => m[1]).filter((m) => !m.startsWith('node:') && !builtinModules.includes(m) && m !== 'electron');
    const roots = [...new Set(required.map((m) => (m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0])))];
    expect(roots.sort()).toEqual(expect.arrayContaining(['better-sqlite3', 'ioredis', 'luxon', 'yaml', 'zod']));
    const missing: string[] = [];
    const seen = new Set<string>();
    const walk = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      if (!present(name)) return void missing.push(name);
      const pj = JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      for (const dep of Object.keys(pj.dependencies ?? {})) walk(dep);
    };
    roots.forEach(walk);
    expect(missing).toEqual([]);
    expect(files.some((f) => f.startsWith('/node_modules/electron/'))).toBe(false);
    expect(files.some((f) => f.startsWith('/node_modules/vitest/') || f.startsWith('/node_modules/react/'))).toBe(false);
  });

  it('the default config, the icon and the native addon ship beside the archive', () => {
    expect(readFileSync(join(app, 'resources/resources/config/risk_rules.yaml'), 'utf8')).toBe(readFileSync(join(REPO, 'resources/config/risk_rules.yaml'), 'utf8'));
    expect(readFileSync(join(app, 'resources/resources/icon.png'))).toEqual(readFileSync(join(REPO, 'resources/icon.png')));
    expect(readFileSync(join(app, 'resources/native/better_sqlite3.node'))).toEqual(readFileSync(NODE_ADDON));
    // The packed main bundle loads it from there.
    expect(asar.extractFile(join(app, 'resources/app.asar'), 'out/main/index.js').toString()).toContain('better_sqlite3.node');
  });

  it('the afterPack hook set the fuses on the packed executable', () => {
    const bin = readFileSync(join(app, 'band-console'));
    const at = bin.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    expect(bin[at]).toBe(1); // fuse wire version
    const wire = bin.subarray(at + 2, at + 2 + bin[at + 1]).toString();
    // RunAsNode off, cookie encryption on, NODE_OPTIONS off, inspect off, asar integrity on, only from asar on;
    // the last two as Electron ships them.
    expect(wire).toBe('01001101');
    expect(r.stdout).toContain('fuses set on');
  });
});
