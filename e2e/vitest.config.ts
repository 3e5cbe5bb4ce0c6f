import { defineConfig } from 'vitest/config';

// Browser journeys: real server, real Chromium. Run by `npm run e2e` (and `npm test` when Chromium is present).
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['**/*.e2e.ts'],
    globalSetup: ['./global-setup.ts'],
    testTimeout: 120_000,
    // A browser, a server and up to four journeys share two cores: a state that takes a
    // second to show under that load is not a failure (vitest's default is 1 s).
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 4,
  },
});
