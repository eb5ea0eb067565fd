import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Library build: one ESM file, React and zustand left to the host app, the CSS as dist/styles.css.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: () => 'index.js',
      cssFileName: 'styles',
    },
    rollupOptions: {
      external: ['react', 'react-dom', 'react/jsx-runtime', 'zustand', 'zustand/vanilla', 'zustand/shallow'],
    },
  },
});
