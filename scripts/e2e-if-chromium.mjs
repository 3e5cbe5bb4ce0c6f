// The browser journeys are part of `npm test` whenever Chromium is there. Without it they
// are skipped with a clear reason, except in CI (CI=true), where a missing Chromium fails.
import { execSync } from 'node:child_process';
import fs from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  if (process.env.CI === 'true') {
    console.error(`\nE2E: ${chromium} is missing, and CI=true requires the browser journeys. Install it: apt-get install -y chromium\n`);
    process.exit(1);
  }
  console.log(`\nE2E skipped: no Chromium at ${chromium} (install it with \`apt-get install -y chromium\` to run the browser journeys).\n`);
  process.exit(0);
}
try {
  execSync('npm run e2e --silent', { stdio: 'inherit' });
} catch {
  process.exit(1);
}
