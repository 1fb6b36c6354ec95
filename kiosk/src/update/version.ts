// Which release this program is: release.json at the root of the bundle it was unpacked from (chot release build
// writes it), else the package's version (a development tree, or a kiosk provisioned before releases).
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The folder this program was installed in: the bundle's root (dist/kiosk/src/update → four levels up). */
export const INSTALL_ROOT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');

export function releaseInfo(root = INSTALL_ROOT): { version: string; fromRelease: boolean; root: string } {
  let real = root;
  try { real = realpathSync(root); } catch { /* as given */ }
  try {
    const r = JSON.parse(readFileSync(`${root}/release.json`, 'utf8')) as { version?: unknown };
    if (typeof r.version === 'string') return { version: r.version, fromRelease: true, root: real };
  } catch { /* not a release bundle */ }
  try {
    const p = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version?: unknown };
    if (typeof p.version === 'string') return { version: p.version, fromRelease: false, root: real };
  } catch { /* no package.json either */ }
  return { version: '0.0.0', fromRelease: false, root: real };
}

export const RUNNING = releaseInfo();
