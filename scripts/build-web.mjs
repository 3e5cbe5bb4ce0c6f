// Builds the web app (apps/web/dist) when it is missing or older than its sources, so that
// `npm start` serves a current app on a fresh clone. `--force` always builds.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const web = 'apps/web';
const index = path.join(web, 'dist', 'index.html');

function newest(p) {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of fs.readdirSync(p)) if (e !== 'node_modules' && e !== 'dist') m = Math.max(m, newest(path.join(p, e)));
  return m;
}

export function webIsStale() {
  if (!fs.existsSync(index)) return true;
  const built = fs.statSync(index).mtimeMs;
  const sources = [path.join(web, 'src'), path.join(web, 'index.html'), path.join(web, 'public'), path.join(web, 'vite.config.ts'), 'packages/protocol/src'];
  return sources.some((s) => fs.existsSync(s) && newest(s) > built);
}

export function buildWeb(force = false) {
  if (!force && !webIsStale()) return false;
  console.log('Building the web app (apps/web)…');
  execSync('npm run build --silent -w @caucus/web', { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) buildWeb(process.argv.includes('--force'));
