import { defineConfig } from 'vitest/config';

export default defineConfig({
  // One copy of yjs: two copies break `instanceof` checks between y-websocket,
  // y-codemirror.next and our own Y.Doc ("Yjs was already imported").
  resolve: { dedupe: ['yjs', 'y-protocols', 'lib0'] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // The bundle-size check walks the static import graph from here.
    manifest: true,
  },
  server: {
    // `npm run dev` talks to a server started with `make run`.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
