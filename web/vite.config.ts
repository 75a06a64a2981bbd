import { defineConfig } from 'vite';

// The client is served by the api-gateway (services/api-gateway/src/http/routes/web.ts), which serves
// index.html and the files of assets/ only: keep every output file there, with a content hash in its name.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // Everything is a file of its own: the CSP allows no inline script, style or data: URL.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
  // `npm run dev -w web`: Vite on 5173 in front of a gateway started by `npm start`.
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/socket.io': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
