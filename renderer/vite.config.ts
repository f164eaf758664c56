import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** The renderer is built into renderer/dist, which the core's API serves (main/api/static-ui.ts). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The image loader with its WebAssembly codecs is one large module by nature.
    chunkSizeWarningLimit: 5000,
  },
});
