// electron-builder afterPack hook (electron-builder.yml `afterPack`): flips the Electron fuses of the packed app with
// @electron/fuses (right after packing, before signing), and checks that the Electron build of better-sqlite3 was
// packed. A package without its fuses or its database driver fails here rather than shipping.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fuses every package ships with (names of @electron/fuses' FuseV1Options). */
export const FUSES = Object.freeze({
  RunAsNode: false,
  EnableCookieEncryption: true,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
});

async function loadFuses() {
  try {
    return await import('@electron/fuses');
  } catch (e) {
    throw new Error(
      `afterPack: @electron/fuses is not installed under node_modules (${e.message.split('\n')[0]}); ` +
        'refusing to package an app without its fuses set',
      { cause: e },
    );
  }
}

/** The fuse config for @electron/fuses' flipFuses(). */
export async function fuseConfig({ arm64Mac = false } = {}) {
  const mod = await loadFuses();
  const { FuseV1Options, FuseVersion } = mod.default ?? mod;
  const config = { version: FuseVersion.V1, resetAdHocDarwinSignature: arm64Mac };
  for (const [name, on] of Object.entries(FUSES)) {
    if (FuseV1Options[name] === undefined) throw new Error(`afterPack: @electron/fuses has no fuse named ${name}`);
    config[FuseV1Options[name]] = on;
  }
  return config;
}

/** Path of the packed Electron executable (what @electron/fuses flips). */
export function packedExecutable(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') {
    return join(appOutDir, `${packager.appInfo.productFilename}.app`);
  }
  if (electronPlatformName === 'win32') return join(appOutDir, `${packager.appInfo.productFilename}.exe`);
  return join(appOutDir, packager.executableName);
}

function resourcesDir(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') {
    return join(appOutDir, `${packager.appInfo.productFilename}.app`, 'Contents', 'Resources');
  }
  return join(appOutDir, 'resources');
}

export default async function afterPack(context) {
  const res = resourcesDir(context);
  const native = join(res, 'native', 'better_sqlite3.node');
  if (!existsSync(native)) {
    throw new Error(`afterPack: ${native} is missing: better-sqlite3 was not built for Electron (run \`npm run dist\`, not electron-builder alone)`);
  }
  if (!existsSync(join(res, 'resources', 'config', 'risk_rules.yaml'))) {
    throw new Error(`afterPack: ${join(res, 'resources')} is missing the default risk_rules.yaml`);
  }
  // The packed main process must load that build (better-sqlite3's `nativeBinding`), not the Node one.
  const projectDir = context.packager.info?.projectDir;
  const mainDir = projectDir ? join(projectDir, 'out', 'main') : null;
  if (mainDir && existsSync(mainDir)) {
    const knows = readdirSync(mainDir)
      .filter((f) => f.endsWith('.js'))
      .some((f) => readFileSync(join(mainDir, f), 'utf8').includes('better_sqlite3.node'));
    if (!knows) {
      throw new Error(
        "afterPack: out/main never names 'native/better_sqlite3.node': the packaged app would load better-sqlite3's Node build and fail; pass join(process.resourcesPath, 'native', 'better_sqlite3.node') as nativeBinding when app.isPackaged",
      );
    }
  }
  const exe = packedExecutable(context);
  const arm64Mac = (context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas') && (context.arch === 3 || context.arch === 4); // Arch.arm64, Arch.universal
  const config = await fuseConfig({ arm64Mac });
  const mod = await loadFuses();
  const { flipFuses } = mod.default ?? mod;
  await flipFuses(exe, config);
  console.log(`  • fuses set on ${exe}: ${Object.entries(FUSES).map(([k, v]) => `${k}=${v ? 'on' : 'off'}`).join(', ')}`);
}
