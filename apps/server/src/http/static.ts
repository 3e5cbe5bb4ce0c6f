import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web app (apps/web/dist) with the security headers every page needs.
 * Hashed assets are cached for a year; index.html never, so a deploy shows at once.
 * Any other GET outside /api is the single-page app's (history routing: /join,
 * /cases/…); /api paths keep their JSON 404.
 */
export const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// No inline script or style anywhere; the live socket is same-origin ('self' covers ws/wss).
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function registerStatic(app: FastifyInstance, distDir: string = WEB_DIST): void {
  app.addHook('onSend', (_req, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    // Invitation tokens live in URL fragments; no page ever sends its address onwards.
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) reply.header('content-security-policy', CSP);
    done(null, payload);
  });

  const root = path.resolve(distDir);
  app.get('/*', async (req, reply) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/api' || url.pathname.startsWith('/api/'))
      return reply.status(404).type('application/json').send({ error: { code: 'not_found', message: 'Not found.' } });
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      return reply.status(400).type('application/json').send({ error: { code: 'validation', message: 'The request could not be understood.' } });
    }
    const file = path.resolve(root, `.${rel}`);
    const ext = path.extname(file);
    if (file.startsWith(root + path.sep) && ext && TYPES[ext]) {
      const body = await fs.readFile(file).catch(() => null);
      if (body) {
        const hashed = rel.startsWith('/assets/');
        reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : ext === '.html' ? 'no-cache' : 'public, max-age=3600');
        return reply.type(TYPES[ext] ?? 'application/octet-stream').send(body);
      }
      if (rel.startsWith('/assets/')) return reply.status(404).type('text/plain; charset=utf-8').send('Not found');
    }
    const index = await fs.readFile(path.join(root, 'index.html')).catch(() => null);
    if (!index)
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The Caucus web app has not been built. Run `npm start` (it builds the app) or `npm run build:web`.');
    return reply.header('cache-control', 'no-cache').type(TYPES['.html'] ?? 'text/html').send(index);
  });
}
