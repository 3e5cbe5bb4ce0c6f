import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The server serves dist/ in production (apps/server/src/http/static.ts); in development
// Vite proxies the API and the live socket to a server started with `npm start`.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, assetsInlineLimit: 0 },
  server: {
    proxy: { '/api': { target: process.env.CAUCUS_API ?? 'http://127.0.0.1:3000', ws: true, changeOrigin: false } },
  },
});
