import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The hosted portal page Hookbase serves at /portal: a static page, its assets under /portal/assets/,
// no inline script (the server sends a strict Content-Security-Policy).
export default defineConfig({
  root: 'hosted',
  base: '/portal/',
  plugins: [react()],
  build: {
    outDir: '../dist/hosted',
    emptyOutDir: true,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
  },
});
