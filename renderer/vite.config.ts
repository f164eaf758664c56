import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The image loader decodes in Web Workers started from this file, next to the page's script (assets/), where the
 * loader looks for it. The API serves it with a policy of its own (static-ui.ts), so the codecs' need for eval stays
 * inside the worker.
 */
export const DECODER_WORKER = 'index.worker.bundle.min.worker.js';

function decoderWorker(): Plugin {
  return {
    name: 'decoder-worker',
    apply: 'build',
    async generateBundle() {
      const file = fileURLToPath(new URL(`../node_modules/cornerstone-wado-image-loader/dist/${DECODER_WORKER}`, import.meta.url));
      this.emitFile({ type: 'asset', fileName: `assets/${DECODER_WORKER}`, source: await readFile(file) });
    },
  };
}

/** The renderer is built into renderer/dist, which the core's API serves (main/api/static-ui.ts). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react(), decoderWorker()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The image loader with its WebAssembly codecs is one large module by nature.
    chunkSizeWarningLimit: 5000,
  },
});
