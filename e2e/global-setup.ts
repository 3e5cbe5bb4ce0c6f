import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Builds the web app when its sources are newer than dist/, and starts with an empty screenshot folder. */
export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, ['scripts/build-web.mjs'], { cwd: root, stdio: 'inherit' });
  fs.rmSync(path.join(import.meta.dirname, 'out', 'axe-minor.txt'), { force: true });
}
