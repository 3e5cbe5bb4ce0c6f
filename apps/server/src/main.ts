import { ConfigError, loadConfig } from './config.ts';
import { StoreInUse } from './storage/single-process.ts';
import { startServer } from './server.ts';
import { prepareSetup } from './services/accounts.ts';

/** Composition root: configuration, then the server; prints where to go. */
async function main(): Promise<void> {
  const config = loadConfig();
  const server = await startServer(config, {
    // What the disk holds is no longer known (a failed flush): stop, as PostgreSQL does, and
    // let the next start recover from what is on disk. Nothing more was acknowledged.
    onStoreFailure: (e) => {
      process.stderr.write(`\nCaucus stops: ${e.message}\n`);
      process.exit(70);
    },
  });
  const where = config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`;
  process.stdout.write(`\nCaucus is running at ${config.publicUrl} (store: ${where}; case keys in ${config.keysDir}: back them up with the store)\n`);
  const setup = await prepareSetup(server.svc);
  if (setup) {
    process.stdout.write(
      `\nNo administrator yet. Open this one-time link within 24 hours to create one:\n  ${setup}\n` +
        `(or: npm run caucus -- admin create --email you@example.org --name "Your Name")\n\n`,
    );
  }
  const stop = (signal: string) => {
    process.stdout.write(`\n${signal}: closing live connections and the store…\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof StoreInUse) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`Caucus could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
