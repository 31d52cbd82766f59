// Packaging: electron-builder.yml passes electron-builder's own schema and lists the four targets; the afterPack hook
// really flips the fuses (on a stand-in binary carrying Electron's fuse wire); `npm run dist` says in one clear line
// when the Electron binary is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/paths';
import { tempDir } from '../support/tmp';

const require_ = createRequire(join(ROOT, 'package.json'));
const CONFIG = join(ROOT, 'electron-builder.yml');
const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;

interface BuilderConfig {
  directories: { output: string };
  files: string[];
  asar: boolean;
  asarUnpack: string[];
  extraResources: { from: string; to: string }[];
  npmRebuild: boolean;
  afterPack: string;
  linux: { target: string[] };
  win: { target: string[] };
  mac: { target: string[] };
}

// @electron/fuses constants: the sentinel before the fuse wire, and the states of one fuse.
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ON = 0x31;
const OFF = 0x30;

function fakeElectron(file: string, wire = '01001000'): void {
  writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 7), Buffer.from(SENTINEL), Buffer.from([1, wire.length]), Buffer.from(wire), Buffer.alloc(512, 9)]));
}

describe('packaging', () => {
  const config = parse(readFileSync(CONFIG, 'utf8')) as BuilderConfig;

  it("the config passes electron-builder's own schema validation", async () => {
    const { getConfig, validateConfiguration } = require_('app-builder-lib/out/util/config/config') as {
      getConfig(dir: string, file: string, extra: null): Promise<unknown>;
      validateConfiguration(c: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require_('builder-util') as { DebugLogger: new (on: boolean) => unknown };
    const loaded = await getConfig(ROOT, CONFIG, null);
    await expect(validateConfiguration(loaded, new DebugLogger(false))).resolves.toBeUndefined();
    // And it is not blind: an unknown key fails.
    await expect(validateConfiguration({ ...(loaded as object), npmRebiuld: false }, new DebugLogger(false))).rejects.toThrow(/npmRebiuld/);
  });

  it('lists the targets: Linux AppImage + deb, Windows nsis, macOS dmg', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
  });

  it('ships resources/ unpacked and the Electron build of better-sqlite3; no in-place rebuild of node_modules', () => {
    expect(config.asar).toBe(true);
    expect(config.extraResources).toContainEqual(expect.objectContaining({ from: 'resources', to: 'resources' }));
    expect(config.extraResources).toContainEqual({ from: 'build/electron-native/better_sqlite3.node', to: 'native/better_sqlite3.node' });
    expect(config.asarUnpack).toContain('**/*.node');
    expect(config.npmRebuild).toBe(false);
    expect(existsSync(join(ROOT, 'resources/config/risk_rules.yaml'))).toBe(true);
    expect(config.files).toContain('out/**/*');
  });

  it('the afterPack hook flips the six fuses on the packed executable', async () => {
    expect(existsSync(join(ROOT, 'node_modules/@electron/fuses/package.json'))).toBe(true);
    const hook = (await import(pathToFileURL(join(ROOT, config.afterPack)).href)) as {
      default: (ctx: unknown) => Promise<void>;
    };
    const { dir: out } = tempDir();
    mkdirSync(join(out, 'resources/native'), { recursive: true });
    mkdirSync(join(out, 'resources/resources/config'), { recursive: true });
    const ctx = {
      appOutDir: out,
      electronPlatformName: 'linux',
      arch: 1,
      packager: { executableName: 'band-console', appInfo: { productFilename: 'Band Console' } },
    };
    fakeElectron(join(out, 'band-console'));
    // Without the Electron build of better-sqlite3 the package is refused.
    await expect(hook.default(ctx)).rejects.toThrow(/better_sqlite3\.node is missing/);
    writeFileSync(join(out, 'resources/native/better_sqlite3.node'), 'x');
    writeFileSync(join(out, 'resources/resources/config/risk_rules.yaml'), 'x: 1\n');
    await hook.default(ctx);
    const bin = readFileSync(join(out, 'band-console'));
    const at = bin.indexOf(SENTINEL) + SENTINEL.length + 2;
    const fuse = (i: number) => bin[at + i];
    expect(fuse(0)).toBe(OFF); // RunAsNode
    expect(fuse(1)).toBe(ON); // EnableCookieEncryption
    expect(fuse(2)).toBe(OFF); // EnableNodeOptionsEnvironmentVariable
    expect(fuse(3)).toBe(OFF); // EnableNodeCliInspectArguments
    expect(fuse(4)).toBe(ON); // EnableEmbeddedAsarIntegrityValidation
    expect(fuse(5)).toBe(ON); // OnlyLoadAppFromAsar
    expect(String.fromCharCode(fuse(6), fuse(7))).toBe('00'); // the others are left as Electron ships them
  });

  it('the afterPack hook refuses a main bundle that does not load the packed better-sqlite3 build', async () => {
    const hook = (await import(pathToFileURL(join(ROOT, config.afterPack)).href)) as { default: (ctx: unknown) => Promise<void> };
    const { dir: project } = tempDir();
    mkdirSync(join(project, 'out/main'), { recursive: true });
    const { dir: out } = tempDir();
    mkdirSync(join(out, 'resources/native'), { recursive: true });
    mkdirSync(join(out, 'resources/resources/config'), { recursive: true });
    writeFileSync(join(out, 'resources/native/better_sqlite3.node'), 'x');
    writeFileSync(join(out, 'resources/resources/config/risk_rules.yaml'), 'x: 1\n');
    fakeElectron(join(out, 'band-console'));
    const ctx = {
      appOutDir: out,
      electronPlatformName: 'linux',
      arch: 1,
      packager: { executableName: 'band-console', appInfo: { productFilename: 'Band Console' }, info: { projectDir: project } },
    };
    writeFileSync(join(project, 'out/main/index.js'), "new Database(file)");
    await expect(hook.default(ctx)).rejects.toThrow(/would load better-sqlite3's Node build/);
    writeFileSync(join(project, 'out/main/index.js'), "nativeBinding: join(process.resourcesPath, 'native', 'better_sqlite3.node')");
    await expect(hook.default(ctx)).resolves.toBeUndefined();
  });

  it('`node scripts/dist.mjs` with ELECTRON_OVERRIDE_DIST_PATH naming an empty folder: one clear line on stderr, exit 1', () => {
    const { dir: empty } = tempDir();
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/dist.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty },
      timeout: 30_000,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`npm run dist: cannot package: ELECTRON_OVERRIDE_DIST_PATH=${empty} holds no Electron ${electronVersion} executable`);
  });
});
